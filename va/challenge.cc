#include "va/challenge.h"

#include "absl/strings/str_cat.h"
#include "va/key_authorization.h"

namespace acmeva::va {

std::optional<Problem> ChallengeValidator::RemoteDisagreement(
    const DcvResult&, std::string_view) const {
  return std::nullopt;
}

std::string StripWildcard(std::string_view identifier) {
  if (identifier.starts_with("*.")) identifier.remove_prefix(2);
  return std::string(identifier);
}

std::string AccountUri(const ChallengeConfig& config, int64_t account_id) {
  if (config.account_uri_prefixes.empty()) return "";
  return absl::StrCat(config.account_uri_prefixes.front(), account_id);
}

absl::Status ChallengeValidator::ValidateRequest(
    std::string_view token, std::string_view key_authorization) const {
  return ValidateKeyAuthorization(token, key_authorization,
                                  /*allow_empty_token_part=*/!UsesToken());
}

}  // namespace acmeva::va
