#include "ra/token.h"

#include <openssl/rand.h>

#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace acmeva::ra {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kSha256Base64UrlChars = 43;

}  // namespace

absl::StatusOr<std::string> NewChallengeToken() {
  std::array<unsigned char, kTokenBytes> bytes;
  if (RAND_bytes(bytes.data(), bytes.size()) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  // absl's web-safe escape is base64url without padding.
  return absl::WebSafeBase64Escape(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool IsBase64Url(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::string> KeyAuthorizationFromThumbprint(
    std::string_view token, std::string_view thumbprint,
    std::string_view field) {
  if (thumbprint.size() != kSha256Base64UrlChars || !IsBase64Url(thumbprint)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field),
                     ": must be the base64url (no padding) SHA-256 JWK "
                     "thumbprint, 43 characters"));
  }
  return absl::StrCat(std::string(token), ".", std::string(thumbprint));
}

absl::Status CheckKeyAuthorization(std::string_view token,
                                   std::string_view key_authorization,
                                   std::string_view field) {
  const std::string prefix = absl::StrCat(std::string(token), ".");
  if (key_authorization.substr(0, prefix.size()) != prefix) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field),
        ": must start with the challenge token followed by \".\""));
  }
  return KeyAuthorizationFromThumbprint(
             token, key_authorization.substr(prefix.size()), field)
      .status();
}

}  // namespace acmeva::ra
