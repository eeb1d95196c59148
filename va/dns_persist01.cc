#include "va/dns_persist01.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "va/persist_record.h"

namespace acmeva::va {
namespace {

constexpr char kPersistPrefix[] = "_validation-persist.";

// Boulder's texts (va/dns_persist.go).
constexpr char kLookupFailed[] =
    "Retrieving TXT records for DNS-PERSIST-01 challenge: ";
constexpr char kNoTxt[] = "No TXT record found for DNS-PERSIST-01 challenge";
constexpr char kNoneForUs[] =
    "No valid TXT record found for DNS-PERSIST-01 challenge";
constexpr char kNoIssuer[] =
    "no issuer domain name configured for DNS-PERSIST-01 challenge "
    "validation";
constexpr char kNoAccountUri[] =
    "accountURI must be provided for dns-persist-01";

Problem MalformedProblem(std::string detail) {
  Problem p;
  p.type = ProblemType::kMalformed;
  p.detail = std::move(detail);
  return p;
}

class DnsPersist01 final : public ChallengeValidator {
 public:
  std::string_view Type() const override { return "dns-persist-01"; }
  bool UsesToken() const override { return false; }
  bool AccountBound() const override { return true; }

  void Check(dns::Resolver& resolver, const ChallengeConfig& config,
             DcvInput input, absl::Time deadline, DcvDone done) const override {
    const bool wildcard = input.identifier.starts_with("*.");
    std::string hostname = StripWildcard(input.identifier);
    absl::StatusOr<std::string> issuer =
        NormalizeIssuerDomainName(config.issuer_domain);
    std::string account_uri = AccountUri(config, input.account_id);
    if (!issuer.ok() || account_uri.empty()) {
      // A VA configured without them cannot decide: fail closed.
      DcvResult result;
      result.hostname = std::move(hostname);
      result.problem = ServerInternalProblem(
          issuer.ok() ? kNoAccountUri : kNoIssuer, /*transient=*/false);
      std::move(done)(std::move(result));
      return;
    }
    std::string query_name = absl::StrCat(kPersistPrefix, hostname);
    resolver.Lookup(
        std::move(query_name), dns::RRType::kTXT, deadline,
        [hostname = std::move(hostname), issuer = *std::move(issuer),
         account_uri = std::move(account_uri), wildcard, now = input.now,
         done = std::move(done)](dns::LookupResult lookup) mutable {
          std::move(done)(EvaluatePersistTxt(lookup, hostname, issuer,
                                             account_uri, wildcard, now));
        });
  }

  // Every corroborating perspective must have matched the same account.
  std::optional<Problem> RemoteDisagreement(
      const DcvResult& local,
      std::string_view remote_account_uri) const override {
    if (remote_account_uri == local.account_uri) return std::nullopt;
    return UnauthorizedProblem(absl::StrCat(
        "Remote perspective matched accounturi ", GoQuote(remote_account_uri),
        ", expected ", GoQuote(local.account_uri)));
  }

  absl::StatusOr<PublishedTxt> RecordToPublish(
      const ChallengeConfig& config, const DcvInput& input) const override {
    absl::StatusOr<std::string> issuer =
        NormalizeIssuerDomainName(config.issuer_domain);
    if (!issuer.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("issuer domain: ", issuer.status().message()));
    }
    const std::string account_uri = AccountUri(config, input.account_id);
    if (account_uri.empty()) {
      return absl::InvalidArgumentError(
          "account URI prefix: required for dns-persist-01");
    }
    const bool wildcard = input.identifier.starts_with("*.");
    return PublishedTxt{
        absl::StrCat(kPersistPrefix, StripWildcard(input.identifier)),
        absl::StrCat(*issuer, "; accounturi=", account_uri,
                     wildcard ? "; policy=wildcard" : "")};
  }
};

}  // namespace

DcvResult EvaluatePersistTxt(const dns::LookupResult& lookup,
                             const std::string& hostname,
                             const std::string& issuer_domain,
                             const std::string& account_uri, bool wildcard,
                             absl::Time now) {
  DcvResult result;
  result.hostname = hostname;
  result.resolver = lookup.resolver;
  result.authenticated_data = lookup.authenticated_data;
  result.attempts = lookup.attempts;
  result.account_uri = account_uri;
  // NXDOMAIN included, as for dns-01: a structured dns problem.
  if (!lookup.ok()) {
    result.problem = WithDetailPrefix(DnsProblem(lookup), kLookupFailed);
    return result;
  }
  if (lookup.txt.empty()) {
    result.problem = UnauthorizedProblem(kNoTxt);
    return result;
  }
  std::vector<std::string> syntax_errors, mismatches;
  for (const std::string& txt : lookup.txt) {
    const PersistRecord record = ParsePersistRecord(txt);
    // Records for other issuers (or with no usable issuer) are skipped.
    if (record.issuer != issuer_domain) continue;
    if (!record.ok()) {
      syntax_errors.push_back(
          absl::StrCat("Parsing DNS-PERSIST-01 challenge TXT record with "
                       "issuer-domain-name ",
                       GoQuote(record.issuer), ": ", record.error));
      continue;
    }
    if (std::optional<std::string> mismatch =
            PersistMismatch(record.params, account_uri, wildcard, now)) {
      mismatches.push_back(
          absl::StrCat("Checking DNS-PERSIST-01 challenge TXT record with "
                       "issuer-domain-name ",
                       GoQuote(record.issuer), ": ", *mismatch));
      continue;
    }
    return result;  // authorized
  }
  if (!syntax_errors.empty()) {
    result.problem = MalformedProblem(absl::StrJoin(syntax_errors, "; "));
  } else if (!mismatches.empty()) {
    result.problem = UnauthorizedProblem(absl::StrJoin(mismatches, "; "));
  } else {
    result.problem = UnauthorizedProblem(kNoneForUs);
  }
  return result;
}

const ChallengeValidator& DnsPersist01Validator() {
  static const DnsPersist01 kValidator;
  return kValidator;
}

}  // namespace acmeva::va
