// When a failed validation attempt is retried (RFC 8555 §8.2) and when the
// RA gives up. Pure: the caller passes the clock and the random draw.
#ifndef RA_REVALIDATION_POLICY_H_
#define RA_REVALIDATION_POLICY_H_

#include <string>

#include "absl/time/time.h"

namespace acmeva::ra {

struct RevalidationPolicy {
  // Attempts in total, the first included; 1 turns retries off (Boulder's
  // behaviour: one attempt, then valid or invalid).
  int max_attempts = 3;
  // No attempt starts later than this after the first one. With the
  // defaults, three attempts fit well inside two minutes even when each one
  // runs into the 20 s VA deadline.
  absl::Duration window = absl::Minutes(2);
  // Delay before retry n (n = 1, 2, ...) is initial * multiplier^(n-1),
  // capped at max_backoff, then jittered. §8.2: "there should not usually be
  // any reason to retry more often than every 5 or 10 seconds".
  absl::Duration initial_backoff = absl::Seconds(10);
  double multiplier = 2.0;
  absl::Duration max_backoff = absl::Minutes(1);
  // The delay is drawn uniformly from [(1 - jitter) * d, d]: authorizations
  // that failed together (one broken zone, one resolver hiccup) spread out
  // instead of hitting the VA and the zone's servers again in lock step.
  double jitter = 0.5;
};

struct AttemptOutcome {
  int attempts_made = 0;        // finished attempts, this one included
  absl::Time first_attempt_at;  // start of the retry window
  absl::Time now;               // when this attempt finished
  bool transient = false;       // the problem's `transient` flag
};

struct RevalidationDecision {
  bool retry = false;
  absl::Time next_attempt_at;  // set when retry
  std::string reason;          // why not, for logs
};

// `random01` is a uniform draw from [0, 1).
RevalidationDecision DecideRevalidation(const RevalidationPolicy& policy,
                                        const AttemptOutcome& outcome,
                                        double random01);

// The un-jittered delay before retry `retry_number` (1-based).
absl::Duration BaseBackoff(const RevalidationPolicy& policy, int retry_number);

}  // namespace acmeva::ra

#endif  // RA_REVALIDATION_POLICY_H_
