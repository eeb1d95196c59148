#include "va/challenge.h"

#include "absl/strings/str_cat.h"

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

}  // namespace acmeva::va
