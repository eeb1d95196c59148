// CAA checking (RFC 8659, RFC 8657): find the relevant RRset by querying
// every suffix of the name in parallel, then decide whether it permits this CA.
#ifndef VA_CAA_H_
#define VA_CAA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "va/dns/resolver.h"
#include "va/problem.h"

namespace acmeva::va {

struct CaaConfig {
  std::string issuer_domain;                      // e.g. "letsencrypt.org"
  std::vector<std::string> account_uri_prefixes;  // account URI = prefix + ID
};

struct CaaRequest {
  std::string identifier;  // may start with "*."
  std::string method;      // "dns-01", "http-01", "tls-alpn-01", ...
  int64_t account_id = 0;
};

struct CaaResult {
  std::optional<Problem> problem;   // empty: issuance permitted
  bool present = false;             // a relevant RRset was found
  std::string found_at;             // name where it was found
  bool authenticated_data = false;  // every deciding answer had the AD bit
  int attempts = 0;                 // DNS tries over all lookups
  std::vector<std::string> resolvers;
};

// Calls `done` exactly once.
void CheckCaa(dns::Resolver& resolver, const CaaConfig& config,
              CaaRequest request, absl::Time deadline,
              absl::AnyInvocable<void(CaaResult) &&> done);

}  // namespace acmeva::va

#endif  // VA_CAA_H_
