#include "va/dnssec_fail_closed.h"

namespace acmeva::va {

std::optional<Problem> DnssecFailClosed(const dns::ResolverHealth* health) {
  if (health == nullptr || health->UsableCount() > 0) return std::nullopt;
  // Transient: the next canary check may find a resolver validating again.
  Problem p = ServerInternalProblem(
      "No configured DNS resolver validates DNSSEC (the DNSSEC canary failed "
      "on every one): refusing to validate, as the CA/B Forum Baseline "
      "Requirements (3.2.2.4, 3.2.2.8.1) require",
      /*transient=*/true);
  p.retry_after_seconds = 60;
  return p;
}

}  // namespace acmeva::va
