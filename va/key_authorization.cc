#include "va/key_authorization.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace acmeva::va {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

}  // namespace

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

absl::Status ValidateKeyAuthorization(std::string_view token,
                                      std::string_view ka,
                                      bool allow_empty_token_part) {
  if (!token.empty() && (token.size() != 43 || !IsBase64Url(token))) {
    return Invalid("challenge.token", "must be 43 base64url characters");
  }
  if (ka.empty()) return Invalid("expectedKeyAuthorization", "missing");
  if (ka.size() > 512) return Invalid("expectedKeyAuthorization", "too long");
  const size_t dot = ka.find('.');
  const std::string_view token_part =
      dot == std::string_view::npos ? ka : ka.substr(0, dot);
  const bool token_part_ok =
      IsBase64Url(token_part) || (allow_empty_token_part && token_part.empty());
  if (dot == std::string_view::npos || !token_part_ok ||
      !IsBase64Url(ka.substr(dot + 1))) {
    return Invalid("expectedKeyAuthorization",
                   allow_empty_token_part
                       ? "must be [<token>].<base64url JWK thumbprint>"
                       : "must be <token>.<base64url JWK thumbprint>");
  }
  if (!token.empty() && token_part != token) {
    return Invalid("expectedKeyAuthorization",
                   "does not start with challenge.token");
  }
  return absl::OkStatus();
}

}  // namespace acmeva::va
