// The dns-persist-01 challenge (draft-ietf-acme-dns-persist, CA/B BR
// 3.2.2.4.22): a standing TXT record at _validation-persist.<name> names the
// CA (issuer-domain-name) and the account (accounturi), so one record
// published once validates every later authorization of that account.
// Record syntax and the per-record decision: va/persist_record.h.
#ifndef VA_DNS_PERSIST01_H_
#define VA_DNS_PERSIST01_H_

#include <string>
#include <vector>

#include "va/challenge.h"
#include "va/dns/resolver.h"

namespace acmeva::va {

// The decision over one TXT answer for `hostname` (no "*."), Boulder's
// validateDNSPersist01 after the lookup. `issuer_domain` is normalized.
DcvResult EvaluatePersistTxt(const dns::LookupResult& lookup,
                             const std::string& hostname,
                             const std::string& issuer_domain,
                             const std::string& account_uri, bool wildcard,
                             absl::Time now);

const ChallengeValidator& DnsPersist01Validator();

}  // namespace acmeva::va

#endif  // VA_DNS_PERSIST01_H_
