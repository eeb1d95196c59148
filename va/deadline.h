// How long a validation may work: the caller's gRPC deadline less a reserve
// for getting the answer back, or a default when the caller set none.
#ifndef VA_DEADLINE_H_
#define VA_DEADLINE_H_

#include <optional>

#include "absl/time/time.h"

namespace va {

struct DeadlineConfig {
  // Used when the caller sets no deadline: a validation never runs unbounded.
  absl::Duration default_timeout = absl::Seconds(30);
  // Kept back from every caller's deadline for the answer's trip home.
  absl::Duration return_overhead = absl::Milliseconds(20);
  // Also kept back: this share of the time the caller gave. Validations
  // started together under a dead TLD all give up together; answering
  // thousands of them at once takes CPU time that a fixed 20 ms does not
  // cover (measured: 10,000 DoCAA with a 2 s deadline, 96% of the answers
  // arrived after it with 20 ms, all before it with 10%).
  double return_share = 0.1;
  // Cap on the share, so long deadlines keep most of their time for DNS.
  absl::Duration max_return_reserve = absl::Seconds(2);
};

// The time by which a validation must have its answer. `caller_deadline` is
// nullopt when the caller set none. Never later than now + default_timeout.
absl::Time ValidationDeadline(absl::Time now,
                              std::optional<absl::Time> caller_deadline,
                              const DeadlineConfig& config);

}  // namespace va

#endif  // VA_DEADLINE_H_
