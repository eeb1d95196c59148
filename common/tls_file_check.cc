#include "common/tls_file_check.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace acmeva::common {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Splits `pem` into its "-----BEGIN X-----" ... "-----END X-----" blocks.
// Anything but whitespace outside a block, or a block without its END line
// (a file cut short), is an error.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PemBlocks(
    absl::string_view pem) {
  std::vector<std::pair<std::string, std::string>> blocks;  // label, text
  while (true) {
    size_t begin = pem.find("-----BEGIN ");
    absl::string_view before =
        pem.substr(0, begin == absl::string_view::npos ? pem.size() : begin);
    if (!absl::StripAsciiWhitespace(before).empty()) {
      return absl::InvalidArgumentError("text outside PEM blocks");
    }
    if (begin == absl::string_view::npos) break;
    pem.remove_prefix(begin);
    size_t label_end = pem.find("-----", 11);
    if (label_end == absl::string_view::npos) {
      return absl::InvalidArgumentError("truncated PEM header");
    }
    std::string label(pem.substr(11, label_end - 11));
    const std::string end_line = absl::StrCat("-----END ", label, "-----");
    size_t end = pem.find(end_line);
    if (end == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("PEM block ", label, " has no END line (cut short?)"));
    }
    end += end_line.size();
    blocks.emplace_back(label, std::string(pem.substr(0, end)));
    pem.remove_prefix(end);
  }
  return blocks;
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unparseable";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(absl::string_view pem) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> blocks =
      PemBlocks(pem);
  if (!blocks.ok()) return blocks.status();
  std::vector<X509Ptr> certs;
  for (const auto& [label, text] : *blocks) {
    if (label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected PEM block ", label));
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
    X509Ptr cert(
        label == "CERTIFICATE"
            ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
            : PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", certs.size() + 1,
                       " does not parse: ", OpenSslError()));
    }
    certs.push_back(std::move(cert));
  }
  if (certs.empty()) {
    return absl::InvalidArgumentError("no certificate in the file");
  }
  return certs;
}

absl::StatusOr<PkeyPtr> ParseKey(absl::string_view pem) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> blocks =
      PemBlocks(pem);
  if (!blocks.ok()) return blocks.status();
  const std::string* key_block = nullptr;
  for (const auto& [label, text] : *blocks) {
    if (absl::EndsWith(label, "PRIVATE KEY")) {
      if (key_block != nullptr) {
        return absl::InvalidArgumentError("more than one private key");
      }
      key_block = &text;
    } else if (label != "EC PARAMETERS") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected PEM block ", label));
    }
  }
  if (key_block == nullptr) {
    return absl::InvalidArgumentError("no PEM private key block");
  }
  const std::string& text = *key_block;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key does not parse: ", OpenSslError()));
  }
  return key;
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError("read error");
  if (ss.str().empty()) return absl::InvalidArgumentError("the file is empty");
  return ss.str();
}

}  // namespace

absl::StatusOr<TlsPem> ReadCheckedTlsFiles(const TlsPaths& paths,
                                           TlsFileProblem* problem) {
  auto fail = [&](const char* flag, const std::string& path,
                  const absl::Status& why) -> absl::Status {
    if (problem != nullptr) {
      *problem = TlsFileProblem{flag, path, std::string(why.message())};
    }
    if (why.message() == "cannot read") {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": cannot read ", path));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, ": ", why.message()));
  };
  TlsPem pem;
  for (auto [flag, path, out] : {std::tuple{"tls-cert", &paths.cert, &pem.cert},
                                 std::tuple{"tls-key", &paths.key, &pem.key},
                                 std::tuple{"tls-ca", &paths.ca, &pem.ca}}) {
    absl::StatusOr<std::string> text = ReadWhole(*path);
    if (!text.ok()) return fail(flag, *path, text.status());
    *out = *std::move(text);
  }
  absl::StatusOr<std::vector<X509Ptr>> chain = ParseCertificates(pem.cert);
  if (!chain.ok()) return fail("tls-cert", paths.cert, chain.status());
  absl::StatusOr<PkeyPtr> key = ParseKey(pem.key);
  if (!key.ok()) return fail("tls-key", paths.key, key.status());
  if (X509_check_private_key((*chain)[0].get(), key->get()) != 1) {
    ERR_clear_error();
    return fail("tls-key", paths.key,
                absl::InvalidArgumentError(absl::StrCat(
                    "does not match the certificate in ", paths.cert)));
  }
  absl::StatusOr<std::vector<X509Ptr>> roots = ParseCertificates(pem.ca);
  if (!roots.ok()) return fail("tls-ca", paths.ca, roots.status());
  return pem;
}

}  // namespace acmeva::common
