#include "bench/lib/name_generator.h"

#include <openssl/sha.h>

#include <cstring>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace acmeva::bench {
namespace {

uint64_t FirstWord(absl::string_view digest, size_t offset) {
  uint64_t v = 0;
  std::memcpy(&v, digest.data() + offset, sizeof(v));
  return v;
}

}  // namespace

std::string Sha256(absl::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

std::string Base64UrlNoPad(absl::string_view bytes) {
  // absl's WebSafeBase64Escape is already unpadded.
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<NameGenerator> NameGenerator::Create(GeneratorOptions options) {
  if (options.zones < 1)
    return absl::InvalidArgumentError("zones must be >= 1");
  if (options.names_per_zone < 1) {
    return absl::InvalidArgumentError("names-per-zone must be >= 1");
  }
  if (options.label_depth < 1 || options.label_depth > 20) {
    return absl::InvalidArgumentError("label-depth must be in 1..20");
  }
  if (options.caa_share < 0 || options.caa_share > 1) {
    return absl::InvalidArgumentError("caa-share must be in 0..1");
  }
  if (options.accounts < 1) {
    return absl::InvalidArgumentError("accounts must be >= 1");
  }
  if (options.tld.empty() || options.tld.find('.') != std::string::npos) {
    return absl::InvalidArgumentError("tld must be one non-empty label");
  }
  return NameGenerator(std::move(options));
}

std::string NameGenerator::NameAt(int64_t index) const {
  const int64_t zone = index % options_.zones;
  const int64_t host = index / options_.zones;
  std::string name = absl::StrCat("n", host);
  for (int d = 1; d < options_.label_depth; ++d) {
    absl::StrAppend(&name, ".d", d);
  }
  absl::StrAppend(&name, ".z", zone, ".", options_.tld);
  return name;
}

BenchName NameGenerator::ForName(std::string name, int64_t index) const {
  BenchName out;
  out.name = absl::AsciiStrToLower(std::move(name));
  const std::string digest =
      Sha256(absl::StrCat("vabench|", options_.seed, "|", out.name));
  out.token = Base64UrlNoPad(digest);  // 32 bytes -> 43 characters
  out.reg_id =
      1 + static_cast<int64_t>(FirstWord(digest, 0) %
                               static_cast<uint64_t>(options_.accounts));
  const std::string thumbprint = Base64UrlNoPad(
      Sha256(absl::StrCat("account|", options_.seed, "|", out.reg_id)));
  out.key_authorization = absl::StrCat(out.token, ".", thumbprint);
  out.txt_value = Base64UrlNoPad(Sha256(out.key_authorization));
  out.authz_id = index + 1;
  // Uniform in [0,1) from 53 bits of the digest.
  const double draw =
      static_cast<double>(FirstWord(digest, 8) >> 11) * 0x1.0p-53;
  if (draw < options_.caa_share) {
    out.caa_issue =
        absl::StrCat(options_.issuer_domain,
                     "; accounturi=", options_.account_uri_prefix, out.reg_id);
  }
  return out;
}

std::string TxtQueryName(absl::string_view name) {
  return absl::StrCat("_acme-challenge.", name);
}

std::vector<std::string> CaaQueryNames(absl::string_view name) {
  std::vector<std::string> labels = absl::StrSplit(name, '.');
  std::vector<std::string> out;
  for (size_t i = 0; i < labels.size(); ++i) {
    out.push_back(absl::StrJoin(labels.begin() + i, labels.end(), "."));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadNamesFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view name = absl::StripAsciiWhitespace(line);
    if (name.empty() || name[0] == '#') continue;
    absl::ConsumeSuffix(&name, ".");
    names.emplace_back(name);
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no names"));
  }
  return names;
}

}  // namespace acmeva::bench
