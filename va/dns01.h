// The dns-01 challenge (RFC 8555 §8.4): a TXT record at
// _acme-challenge.<name> must carry base64url(SHA-256(key authorization)).
// The TXT decision is shared with dns-account-01, which only moves the name.
#ifndef VA_DNS01_H_
#define VA_DNS01_H_

#include <string>

#include "absl/time/time.h"
#include "va/challenge.h"
#include "va/dns/resolver.h"

namespace acmeva::va {

// Older name of the shared result type.
using Dns01Result = DcvResult;

// base64url without padding of SHA-256(key_authorization) (OpenSSL EVP).
std::string Dns01Digest(std::string_view key_authorization);

// Looks up TXT at `query_name` and passes when one record equals `digest`;
// Boulder's texts otherwise. `hostname` goes into the result's record.
void CheckDigestTxt(dns::Resolver& resolver, std::string hostname,
                    std::string query_name, std::string digest,
                    absl::Time deadline, DcvDone done);

// `identifier` may start with "*." (stripped). Calls `done` exactly once.
void CheckDns01(dns::Resolver& resolver, std::string identifier,
                std::string key_authorization, absl::Time deadline,
                DcvDone done);

const ChallengeValidator& Dns01Validator();

}  // namespace acmeva::va

#endif  // VA_DNS01_H_
