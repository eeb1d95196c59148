// Request checks shared by the challenge types that use RFC 8555 §8.1 key
// authorizations: token "." base64url(JWK thumbprint).
#ifndef VA_KEY_AUTHORIZATION_H_
#define VA_KEY_AUTHORIZATION_H_

#include <string_view>

#include "absl/status/status.h"

namespace acmeva::va {

// Base64url without padding, non-empty (RFC 8555 §8.1 tokens, thumbprints).
bool IsBase64Url(std::string_view s);

// INVALID_ARGUMENT naming the field unless `token` is empty or 43 base64url
// characters (Boulder's CheckPending) and `key_authorization` is
// <token>.<thumbprint>, at most 512 bytes, starting with `token` when one is
// given. `allow_empty_token_part`: the key authorization may be
// ".<thumbprint>" (Boulder's RA sends that for dns-persist-01).
absl::Status ValidateKeyAuthorization(std::string_view token,
                                      std::string_view key_authorization,
                                      bool allow_empty_token_part);

}  // namespace acmeva::va

#endif  // VA_KEY_AUTHORIZATION_H_
