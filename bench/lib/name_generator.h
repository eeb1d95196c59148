// The deterministic namespace a benchmark validates: names, key
// authorizations and CAA sets derived from a seed, so that the records loaded
// into the DNS server and the requests sent to the VA come from one place.
#ifndef BENCH_LIB_NAME_GENERATOR_H_
#define BENCH_LIB_NAME_GENERATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acmeva::bench {

struct GeneratorOptions {
  uint64_t seed = 1;
  int64_t zones = 100;
  int64_t names_per_zone = 100;
  // Labels below the zone apex: 1 gives n7.z3.bench, 2 gives
  // n7.d1.z3.bench (one more CAA suffix per validation).
  int label_depth = 1;
  double caa_share = 0.1;  // share of names with a CAA set at the name
  std::string tld = "bench";
  int64_t accounts = 1000;  // distinct ACME accounts (regIDs)
  std::string issuer_domain = "letsencrypt.org";
  std::string account_uri_prefix = "https://acme.example/acct/";
};

struct BenchName {
  std::string name;               // n7.z3.bench
  std::string token;              // 43 base64url characters
  std::string key_authorization;  // token "." thumbprint
  std::string txt_value;          // base64url(SHA-256(key_authorization))
  int64_t reg_id = 0;
  int64_t authz_id = 0;
  // The CAA "issue" value at the name, when it has a CAA set. It names this
  // CA and the account, so the check succeeds.
  std::optional<std::string> caa_issue;
};

class NameGenerator {
 public:
  static absl::StatusOr<NameGenerator> Create(GeneratorOptions options);

  // Names in the generated namespace.
  int64_t size() const { return options_.zones * options_.names_per_zone; }
  // Consecutive indexes fall in different zones, so concurrent validations
  // spread over the namespace. Requires 0 <= index < size().
  std::string NameAt(int64_t index) const;
  BenchName At(int64_t index) const { return ForName(NameAt(index), index); }
  // Everything but the name derives from (seed, name), so a names file and
  // the generator agree for the same name.
  BenchName ForName(std::string name, int64_t index) const;

  const GeneratorOptions& options() const { return options_; }

 private:
  explicit NameGenerator(GeneratorOptions options)
      : options_(std::move(options)) {}
  GeneratorOptions options_;
};

// What the VA asks for one validation: TXT at _acme-challenge.<name> (dns-01)
// and CAA at every suffix of the name, the TLD included.
std::string TxtQueryName(absl::string_view name);
std::vector<std::string> CaaQueryNames(absl::string_view name);

std::string Sha256(absl::string_view data);
std::string Base64UrlNoPad(absl::string_view bytes);

// One name per line; blank lines and lines starting with '#' are skipped.
absl::StatusOr<std::vector<std::string>> ReadNamesFile(const std::string& path);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_NAME_GENERATOR_H_
