// Challenge tokens and key authorizations (RFC 8555 §8.1, §8.4).
#ifndef RA_TOKEN_H_
#define RA_TOKEN_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace acmeva::ra {

// 32 bytes from OpenSSL's CSPRNG (RAND_bytes), base64url without padding:
// 43 characters, 256 bits of entropy (§8.1 asks for at least 128).
absl::StatusOr<std::string> NewChallengeToken();

// True when `s` is non-empty and only uses the base64url alphabet (no '=').
bool IsBase64Url(std::string_view s);

// token "." thumbprint. The thumbprint must be base64url of a SHA-256 JWK
// thumbprint (RFC 7638): 43 characters. INVALID_ARGUMENT names `field`.
absl::StatusOr<std::string> KeyAuthorizationFromThumbprint(
    std::string_view token, std::string_view thumbprint,
    std::string_view field);

// OK when `key_authorization` is token "." <43-char base64url thumbprint>.
// INVALID_ARGUMENT names `field`.
absl::Status CheckKeyAuthorization(std::string_view token,
                                   std::string_view key_authorization,
                                   std::string_view field);

}  // namespace acmeva::ra

#endif  // RA_TOKEN_H_
