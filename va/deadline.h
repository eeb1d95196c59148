// How long a validation may work: the caller's gRPC deadline less a reserve
// for getting the answer back, or a default when the caller set none.
#ifndef VA_DEADLINE_H_
#define VA_DEADLINE_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"

namespace acmeva::va {

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

// A caller's deadline as gRPC keeps it (ServerContext::raw_deadline(), in
// the realtime clock): seconds and nanoseconds since the epoch; nullopt for
// "no deadline" (gRPC's infinite future, INT64_MAX seconds).
// ServerContext::deadline() must not be used: it converts to a
// std::chrono::system_clock::time_point, whose int64 nanoseconds end in the
// year 2262, so a grpc-timeout of "2100000H" (or "99999999H", which a Go
// client can send) wraps to a time far in the past and every call fails
// with "not enough time left on clock: -3024095h...". absl::Time has room for
// any int64 seconds, so such a deadline stays in the far future and
// ValidationDeadline() clamps it to now + default_timeout.
std::optional<absl::Time> CallerDeadline(int64_t unix_seconds,
                                         int32_t nanoseconds);

// The time by which a validation must have its answer. `caller_deadline` is
// nullopt when the caller set none. Never later than now + default_timeout.
absl::Time ValidationDeadline(absl::Time now,
                              std::optional<absl::Time> caller_deadline,
                              const DeadlineConfig& config);

}  // namespace acmeva::va

#endif  // VA_DEADLINE_H_
