#include "ra/revalidation_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace acmeva::ra {

absl::Duration BaseBackoff(const RevalidationPolicy& policy, int retry_number) {
  double factor = 1.0;
  for (int i = 1; i < retry_number; ++i) {
    factor *= std::max(policy.multiplier, 1.0);
    // Stop growing once past the cap; avoids overflow for large n.
    if (policy.initial_backoff * factor >= policy.max_backoff) break;
  }
  return std::min(policy.initial_backoff * factor, policy.max_backoff);
}

RevalidationDecision DecideRevalidation(const RevalidationPolicy& policy,
                                        const AttemptOutcome& outcome,
                                        double random01) {
  RevalidationDecision decision;
  if (!outcome.transient) {
    decision.reason = "the problem is not transient";
    return decision;
  }
  if (outcome.attempts_made >= policy.max_attempts) {
    decision.reason = absl::StrCat("reached the maximum of ",
                                   policy.max_attempts, " attempts");
    return decision;
  }
  const absl::Duration base = BaseBackoff(policy, outcome.attempts_made);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double r = std::clamp(random01, 0.0, 1.0);
  const absl::Duration delay = base * (1.0 - jitter * r);
  const absl::Time next = outcome.now + delay;
  if (next > outcome.first_attempt_at + policy.window) {
    decision.reason =
        absl::StrCat("the next attempt would start after the ",
                     absl::FormatDuration(policy.window), " retry window");
    return decision;
  }
  decision.retry = true;
  decision.next_attempt_at = next;
  return decision;
}

}  // namespace acmeva::ra
