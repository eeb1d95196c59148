#include "va/dns_account01.h"

#include <openssl/evp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/string_view_bridge.h"
#include "va/dns01.h"
#include "va/key_authorization.h"

namespace acmeva::va {
namespace {

constexpr char kBase32Lower[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kLabelBytes = 10;  // 80 bits: exactly 16 base32 characters

// Boulder's text when no account URI can be built (no prefix configured).
constexpr char kNoAccountUri[] =
    "accountURI must be provided for dns-account-01";

std::string Base32Lower(const unsigned char* data, size_t size) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Lower[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Lower[(buffer << (5 - bits)) & 31]);
  return out;
}

class DnsAccount01 final : public ChallengeValidator {
 public:
  std::string_view Type() const override { return "dns-account-01"; }
  bool UsesToken() const override { return true; }
  bool AccountBound() const override { return true; }
  void Check(dns::Resolver& resolver, const ChallengeConfig& config,
             DcvInput input, absl::Time deadline, DcvDone done) const override {
    std::string account_uri = AccountUri(config, input.account_id);
    std::string hostname = StripWildcard(input.identifier);
    if (account_uri.empty()) {
      DcvResult result;
      result.hostname = std::move(hostname);
      result.problem = ServerInternalProblem(kNoAccountUri,
                                             /*transient=*/false);
      std::move(done)(std::move(result));
      return;
    }
    std::string query_name = DnsAccount01Name(account_uri, hostname);
    CheckDigestTxt(
        resolver, std::move(hostname), std::move(query_name),
        Dns01Digest(input.key_authorization), deadline,
        [account_uri, done = std::move(done)](DcvResult result) mutable {
          result.account_uri = account_uri;
          // Boulder names the account in every unauthorized detail: the
          // subscriber may have published the record for another account.
          if (result.problem &&
              result.problem->type == ProblemType::kUnauthorized) {
            absl::StrAppend(&result.problem->detail, " (account: \"",
                            account_uri, "\")");
          }
          std::move(done)(std::move(result));
        });
  }

  absl::StatusOr<PublishedTxt> RecordToPublish(
      const ChallengeConfig& config, const DcvInput& input) const override {
    const std::string account_uri = AccountUri(config, input.account_id);
    if (account_uri.empty()) {
      return absl::InvalidArgumentError(
          "account URI prefix: required for dns-account-01");
    }
    return PublishedTxt{
        DnsAccount01Name(account_uri, StripWildcard(input.identifier)),
        Dns01Digest(input.key_authorization)};
  }
};

}  // namespace

std::string AccountLabel(std::string_view account_uri) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(account_uri.data(), account_uri.size(), md, &md_len,
                 EVP_sha256(), nullptr) != 1 ||
      md_len < kLabelBytes) {
    // Cannot happen short of a broken OpenSSL; an empty label makes a name
    // nobody publishes, so this fails closed.
    return "";
  }
  return Base32Lower(md, kLabelBytes);
}

std::string DnsAccount01Name(std::string_view account_uri,
                             std::string_view hostname) {
  return absl::StrCat("_", AccountLabel(account_uri), "._acme-challenge.",
                      Av(hostname));
}

const ChallengeValidator& DnsAccount01Validator() {
  static const DnsAccount01 kValidator;
  return kValidator;
}

}  // namespace acmeva::va
