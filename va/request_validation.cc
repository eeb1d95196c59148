#include "va/request_validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "va/identifier.h"

namespace va {
namespace {

// Tokens and thumbprints are base64url without padding (RFC 8555 §8.1).
bool IsBase64Url(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

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
  return method == "dns-01" || method == "http-01" || method == "tls-alpn-01" ||
         method == "dns-account-01";
}

absl::Status ValidateDcvRequest(const ::va::PerformValidationRequest& req) {
  if (auto s = ValidateIdentifier(req.identifier(), req.has_identifier());
      !s.ok()) {
    return s;
  }
  if (!req.has_challenge()) return Invalid("challenge", "missing");
  const auto& chall = req.challenge();
  if (chall.type().empty()) return Invalid("challenge.type", "empty");
  if (chall.type() != "dns-01") {
    return Invalid("challenge.type",
                   absl::StrCat("unsupported challenge type \"",
                                absl::CEscape(chall.type()),
                                "\" (this VA validates dns-01)"));
  }
  // Boulder's CheckPending: a token is exactly 43 base64url characters.
  if (!chall.token().empty() &&
      (chall.token().size() != 43 || !IsBase64Url(chall.token()))) {
    return Invalid("challenge.token", "must be 43 base64url characters");
  }
  const std::string& ka = req.expectedkeyauthorization();
  if (ka.empty()) return Invalid("expectedKeyAuthorization", "missing");
  if (ka.size() > 512) return Invalid("expectedKeyAuthorization", "too long");
  const size_t dot = ka.find('.');
  if (dot == std::string::npos || !IsBase64Url(ka.substr(0, dot)) ||
      !IsBase64Url(ka.substr(dot + 1))) {
    return Invalid("expectedKeyAuthorization",
                   "must be <token>.<base64url JWK thumbprint>");
  }
  if (!chall.token().empty() && ka.substr(0, dot) != chall.token()) {
    return Invalid("expectedKeyAuthorization",
                   "does not start with challenge.token");
  }
  if (!req.has_authz()) return Invalid("authz", "missing");
  if (AuthzIdOf(req) <= 0) return Invalid("authz.id", "must be positive");
  if (req.authz().regid() <= 0) {
    return Invalid("authz.regID", "must be positive");
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

}  // namespace va
