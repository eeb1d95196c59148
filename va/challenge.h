// The challenge seam: what every DCV challenge type provides, so the service,
// MPIC and the RA handle them alike. One validator per type, one file per
// type (va/dns01.cc, va/dns_account01.cc, va/dns_persist01.cc); the registry
// (va/challenge_registry.h) maps challenge.type to its validator. Adding a
// type (e.g. http-01) is a new validator plus one registry line.
#ifndef VA_CHALLENGE_H_
#define VA_CHALLENGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "va/dns/resolver.h"
#include "va/problem.h"

namespace acmeva::va {

// The outcome of one local DCV check, whatever the type.
struct DcvResult {
  std::optional<Problem> problem;  // empty: the challenge is satisfied
  // The validation record Boulder returns: {hostname, resolverAddrs}.
  std::string hostname;  // the identifier, without "*."
  std::string resolver;  // resolver that gave the deciding answer
  bool authenticated_data = false;
  int attempts = 0;
  // Account-bound types: the account URI the deciding record was checked
  // against (MPIC compares it across perspectives).
  std::string account_uri;
};

using DcvDone = absl::AnyInvocable<void(DcvResult) &&>;

// What the VA knows besides the request (its flags).
struct ChallengeConfig {
  std::string issuer_domain;                      // --issuer-domain
  std::vector<std::string> account_uri_prefixes;  // --account-uri-prefixes
};

// One validation, as a validator sees it.
struct DcvInput {
  std::string identifier;  // may start with "*."
  std::string token;       // empty for types without one
  std::string key_authorization;
  int64_t account_id = 0;  // authz.regID
  absl::Time now;          // validation time (persistUntil)
};

// The record a subscriber must publish for a challenge (vactl prints it).
struct PublishedTxt {
  std::string name;
  std::string value;
};

class ChallengeValidator {
 public:
  virtual ~ChallengeValidator() = default;

  // "dns-01", ... as in challenge.type.
  virtual std::string_view Type() const = 0;
  // False for types validated without a token (dns-persist-01).
  virtual bool UsesToken() const = 0;
  // True when the record names the account (the account URI is needed).
  virtual bool AccountBound() const = 0;

  // The type's own request fields (token, expectedKeyAuthorization);
  // INVALID_ARGUMENT naming the field. Identifier and authz are checked
  // before, for every type (va/request_validation.cc). By default the key
  // authorization's form (va/key_authorization.h); a type that uses no token
  // accepts an empty token part (Boulder's RA sends "." + thumbprint).
  virtual absl::Status ValidateRequest(
      std::string_view token, std::string_view key_authorization) const;

  // Looks the record up and decides. Calls `done` exactly once.
  virtual void Check(dns::Resolver& resolver, const ChallengeConfig& config,
                     DcvInput input, absl::Time deadline,
                     DcvDone done) const = 0;

  // MPIC: a remote perspective passed; does its record agree with the local
  // one? A problem makes that remote count as failed. Default: agrees.
  virtual std::optional<Problem> RemoteDisagreement(
      const DcvResult& local, std::string_view remote_account_uri) const;

  // The TXT name and value to publish; errors name what is missing.
  virtual absl::StatusOr<PublishedTxt> RecordToPublish(
      const ChallengeConfig& config, const DcvInput& input) const = 0;
};

// prefixes[0] + decimal(account_id), as Boulder builds it; empty when no
// prefix is configured.
std::string AccountUri(const ChallengeConfig& config, int64_t account_id);

// The name whose record is looked up: the identifier without a leading "*."
// (every DNS challenge type validates a wildcard at its base name).
std::string StripWildcard(std::string_view identifier);

}  // namespace acmeva::va

#endif  // VA_CHALLENGE_H_
