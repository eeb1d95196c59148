// The dns-01 challenge (RFC 8555 §8.4): a TXT record at
// _acme-challenge.<name> must carry base64url(SHA-256(key authorization)).
#ifndef VA_DNS01_H_
#define VA_DNS01_H_

#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "va/dns/resolver.h"
#include "va/problem.h"

namespace va {

struct Dns01Result {
  std::optional<Problem> problem;  // empty: the challenge is satisfied
  // The validation record Boulder returns: {hostname, resolverAddrs}.
  std::string hostname;  // the identifier, without "*."
  std::string resolver;  // resolver that gave the deciding answer
  bool authenticated_data = false;
  int attempts = 0;
};

// base64url without padding of SHA-256(key_authorization) (OpenSSL EVP).
std::string Dns01Digest(std::string_view key_authorization);

// `identifier` may start with "*." (stripped). Calls `done` exactly once.
void CheckDns01(dns::Resolver& resolver, std::string identifier,
                std::string key_authorization, absl::Time deadline,
                absl::AnyInvocable<void(Dns01Result) &&> done);

}  // namespace va

#endif  // VA_DNS01_H_
