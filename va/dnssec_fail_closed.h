// Fail closed when no resolver validates DNSSEC. The BR (§3.2.2.4,
// §3.2.2.8.1) require every DCV and CAA lookup to be DNSSEC-validated; when
// the canary (dns/dnssec_canary.h) finds no validating resolver, an answer
// could be forged, so the VA answers serverInternal instead of looking up.
#ifndef VA_DNSSEC_FAIL_CLOSED_H_
#define VA_DNSSEC_FAIL_CLOSED_H_

#include <optional>

#include "va/dns/resolver_health.h"
#include "va/problem.h"

namespace acmeva::va {

// The problem to answer with, or nullopt to go on. `health` null: the
// canary is off (--dnssec-canary=off) and nothing is checked.
std::optional<Problem> DnssecFailClosed(const dns::ResolverHealth* health);

}  // namespace acmeva::va

#endif  // VA_DNSSEC_FAIL_CLOSED_H_
