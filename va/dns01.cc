#include "va/dns01.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace va {
namespace {

constexpr absl::string_view kChallengePrefix = "_acme-challenge.";
// Boulder quotes at most this much of a wrong TXT value.
constexpr size_t kMaxQuotedTxt = 100;

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length of the digest is public (always 43), so only the content
  // comparison needs to be constant time.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Dns01Result Evaluate(const std::string& hostname, const std::string& query_name,
                     const std::string& digest, dns::LookupResult lookup) {
  Dns01Result result;
  result.hostname = hostname;
  result.resolver = lookup.resolver;
  result.authenticated_data = lookup.authenticated_data;
  result.attempts = lookup.attempts;

  // Any failure, NXDOMAIN included, is a DNS problem: Boulder does not turn
  // NXDOMAIN into "no TXT record".
  if (!lookup.ok()) {
    result.problem = DnsProblem(lookup);
    return result;
  }
  if (lookup.txt.empty()) {
    result.problem = UnauthorizedProblem(
        absl::StrCat("No TXT record found at ", query_name));
    return result;
  }
  for (const std::string& value : lookup.txt) {
    if (ConstantTimeEquals(value, digest)) return result;
  }
  std::string quoted = lookup.txt.front();
  if (quoted.size() > kMaxQuotedTxt) {
    quoted.resize(kMaxQuotedTxt);
    quoted += "...";
  }
  std::string more;
  if (lookup.txt.size() > 1) {
    more = absl::StrCat(" (and ", lookup.txt.size() - 1, " more)");
  }
  result.problem = UnauthorizedProblem(absl::StrCat(
      "Incorrect TXT record \"", quoted, "\"", more, " found at ", query_name));
  return result;
}

}  // namespace

std::string Dns01Digest(std::string_view key_authorization) {
  // Fetched once: with EVP_sha256() OpenSSL 3 looks the implementation up
  // in its provider store on every call, half of the digest's cost
  // (callgrind: ~5,000 of ~10,000 instructions). Never freed: it lives as
  // long as the process.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (sha256 == nullptr ||
      EVP_Digest(key_authorization.data(), key_authorization.size(), md,
                 &md_len, sha256, nullptr) != 1) {
    // SHA-256 cannot fail short of OpenSSL being broken; an empty digest
    // never equals a 43-character TXT value, so this fails closed.
    return "";
  }
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(md), md_len));
}

void CheckDns01(dns::Resolver& resolver, std::string identifier,
                std::string key_authorization, absl::Time deadline,
                absl::AnyInvocable<void(Dns01Result) &&> done) {
  std::string hostname = std::move(identifier);
  if (hostname.starts_with("*.")) hostname.erase(0, 2);
  std::string digest = Dns01Digest(key_authorization);
  std::string query_name = absl::StrCat(kChallengePrefix, hostname);
  resolver.Lookup(
      query_name, dns::RRType::kTXT, deadline,
      [hostname = std::move(hostname), query_name, digest = std::move(digest),
       done = std::move(done)](dns::LookupResult lookup) mutable {
        std::move(done)(
            Evaluate(hostname, query_name, digest, std::move(lookup)));
      });
}

}  // namespace va
