#include "common/tls13_only.h"

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "common/json_log.h"

namespace acmeva::common {
namespace {

// Replaces the ssl_conf module's sections, so "system_default" here is the
// only one in effect. "Protocol" sets SSL_OP_NO_SSLv3 ... SSL_OP_NO_TLSv1_2,
// the bits gRPC's later SSL_CTX_set_min_proto_version(TLS1_2_VERSION) leaves
// alone; "MinProtocol" says the same for code that does not lower it.
// CipherString repeats Debian's stock system_default (which this replaces)
// so certificate key sizes stay checked at security level 2.
constexpr char kTls13OnlyConfig[] = R"(openssl_conf = tls13_only_init
[tls13_only_init]
ssl_conf = tls13_only_ssl
[tls13_only_ssl]
system_default = tls13_only_system_default
[tls13_only_system_default]
Protocol = -ALL, TLSv1.3
MinProtocol = TLSv1.3
CipherString = DEFAULT:@SECLEVEL=2
)";

std::string OpensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "no OpenSSL error" : out;
}

absl::Status Install() {
  // Load the system configuration now, once, as gRPC's own OPENSSL_init_ssl
  // would later: after this it is never loaded again, so it cannot replace
  // the sections installed below.
  if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr) != 1) {
    return absl::InternalError(
        absl::StrCat("OPENSSL_init_ssl: ", OpensslErrors()));
  }
  std::unique_ptr<CONF, decltype(&NCONF_free)> conf(NCONF_new(nullptr),
                                                    &NCONF_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(kTls13OnlyConfig, sizeof(kTls13OnlyConfig) - 1),
      &BIO_free);
  long error_line = 0;
  if (conf == nullptr || bio == nullptr ||
      NCONF_load_bio(conf.get(), bio.get(), &error_line) != 1) {
    return absl::InternalError(absl::StrCat("TLS 1.3 config, line ", error_line,
                                            ": ", OpensslErrors()));
  }
  if (CONF_modules_load(conf.get(), nullptr, 0) <= 0) {
    return absl::InternalError(
        absl::StrCat("TLS 1.3 config not applied: ", OpensslErrors()));
  }

  // Fail closed: a context set up the way gRPC's tsi does it must still have
  // TLS 1.2 switched off and TLS 1.3 on.
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_method()), &SSL_CTX_free);
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpensslErrors()));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  const uint64_t options = SSL_CTX_get_options(ctx.get());
  if ((options & SSL_OP_NO_TLSv1_2) == 0 || (options & SSL_OP_NO_TLSv1_3)) {
    return absl::InternalError(absl::StrCat(
        "OpenSSL ignored the TLS 1.3-only configuration (options 0x",
        absl::Hex(options), ")"));
  }
  common::Log("info", "TLS 1.3 only: TLS 1.2 and below are refused",
              common::JsonFields()
                  .Str("openssl", OpenSSL_version(OPENSSL_VERSION))
                  .Str("via", "OpenSSL system_default Protocol=TLSv1.3"));
  return absl::OkStatus();
}

}  // namespace

absl::Status RequireTls13Only() {
  static absl::once_flag once;
  static absl::Status* result = nullptr;
  absl::call_once(once, [] { result = new absl::Status(Install()); });
  return *result;
}

}  // namespace acmeva::common
