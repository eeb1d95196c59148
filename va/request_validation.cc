#include "va/request_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/string_view_bridge.h"
#include "va/challenge_registry.h"
#include "va/identifier.h"

namespace acmeva::va {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status ValidateIdentifier(const ::core::Identifier& id, bool has_id) {
  if (!has_id) return Invalid("identifier", "missing");
  if (id.type() != "dns") {
    return Invalid("identifier.type",
                   absl::StrCat("must be \"dns\", got \"",
                                absl::CEscape(id.type()), "\""));
  }
  if (id.value().empty()) return Invalid("identifier.value", "empty");
  return ValidateDnsName(id.value(), /*allow_wildcard=*/true,
                         "identifier.value");
}

int64_t PositiveOrZero(const std::string& decimal) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(decimal, &v) || v <= 0) return 0;
  return v;
}

}  // namespace

int64_t AuthzIdOf(const ::va::PerformValidationRequest& req) {
  if (req.authz().id() != 0) return req.authz().id();
  return PositiveOrZero(req.authz().legacyid());
}

int64_t AuthzIdOf(const ::va::IsCAAValidRequest& req) {
  if (req.authzid() != 0) return req.authzid();
  return PositiveOrZero(req.legacyauthzid());
}

bool IsKnownValidationMethod(std::string_view method) {
  // Boulder's methods that this VA does not validate itself are still valid
  // names for CAA validationmethods (RFC 8657).
  return method == "http-01" || method == "tls-alpn-01" ||
         FindChallenge(method) != nullptr;
}

absl::Status ValidateDcvRequest(const ::va::PerformValidationRequest& req) {
  if (auto s = ValidateIdentifier(req.identifier(), req.has_identifier());
      !s.ok()) {
    return s;
  }
  if (!req.has_challenge()) return Invalid("challenge", "missing");
  const auto& chall = req.challenge();
  if (chall.type().empty()) return Invalid("challenge.type", "empty");
  const ChallengeValidator* validator = FindChallenge(chall.type());
  if (validator == nullptr) {
    std::string known;
    for (const ChallengeValidator* v : AllChallenges()) {
      absl::StrAppend(&known, known.empty() ? "" : ", ", Av(v->Type()));
    }
    return Invalid("challenge.type",
                   absl::StrCat("unsupported challenge type \"",
                                absl::CEscape(chall.type()),
                                "\" (this VA validates ", known, ")"));
  }
  if (auto s = validator->ValidateRequest(chall.token(),
                                          req.expectedkeyauthorization());
      !s.ok()) {
    return s;
  }
  if (!req.has_authz()) return Invalid("authz", "missing");
  if (AuthzIdOf(req) <= 0) return Invalid("authz.id", "must be positive");
  // Every type needs it for the audit log; account-bound types build the
  // account URI from it.
  if (req.authz().regid() <= 0) {
    return Invalid("authz.regID", validator->AccountBound()
                                      ? absl::StrCat("must be positive (",
                                                     Av(validator->Type()),
                                                     " names the account)")
                                      : std::string("must be positive"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCaaRequest(const ::va::IsCAAValidRequest& req) {
  if (auto s = ValidateIdentifier(req.identifier(), req.has_identifier());
      !s.ok()) {
    return s;
  }
  if (req.validationmethod().empty()) {
    return Invalid("validationMethod", "missing");
  }
  if (!IsKnownValidationMethod(req.validationmethod())) {
    return Invalid("validationMethod",
                   absl::StrCat("unrecognized validation method \"",
                                absl::CEscape(req.validationmethod()), "\""));
  }
  if (req.accounturiid() <= 0) {
    return Invalid("accountURIID", "must be positive");
  }
  if (AuthzIdOf(req) <= 0) return Invalid("authzID", "must be positive");
  return absl::OkStatus();
}

}  // namespace acmeva::va
