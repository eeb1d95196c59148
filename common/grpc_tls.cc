#include "common/grpc_tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_log.h"
#include "common/tls13_only.h"
#include "common/tls_last_good.h"

namespace acmeva::common {
namespace {

absl::Status CheckFilesGiven(const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs --tls-cert, --tls-key and --tls-ca (or --plaintext for "
        "local use)");
  }
  return absl::OkStatus();
}

// Accepts a client certificate (already chain-verified against --tls-ca by
// gRPC) only if one of its SAN DNS names is on the allowlist.
class ClientNameVerifier
    : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit ClientNameVerifier(std::vector<std::string> allowed)
      : allowed_(allowed.begin(), allowed.end()) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    std::vector<std::string> seen;
    for (const auto& name : request->dns_names()) {
      std::string n(name.data(), name.size());
      if (allowed_.contains(n)) {
        *sync_status = grpc::Status::OK;
        return true;
      }
      seen.push_back(std::move(n));
    }
    // An audit trail for refused callers: who tried, with which names.
    common::Log("audit", "client refused: certificate name not allowed",
                common::JsonFields().Strs("certificateNames", seen));
    *sync_status = grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("client certificate names [", absl::StrJoin(seen, ","),
                     "] are not on the allowlist"));
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {
  }

 private:
  absl::flat_hash_set<std::string> allowed_;
};

// Client side with server_name_override: accepts the server certificate
// (already chain-verified against --tls-ca by gRPC) only if it names
// `expected`, instead of the target's host. Without this the override would
// be silently ignored: it is a channel argument in gRPC, not a credential.
class ServerNameVerifier
    : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit ServerNameVerifier(std::string expected)
      : expected_(std::move(expected)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    std::vector<std::string> seen;
    for (const auto& names : {request->dns_names(), request->ip_names()}) {
      for (const auto& name : names) {
        std::string n(name.data(), name.size());
        if (absl::EqualsIgnoreCase(n, expected_)) {
          *sync_status = grpc::Status::OK;
          return true;
        }
        seen.push_back(std::move(n));
      }
    }
    *sync_status = grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("server certificate names [", absl::StrJoin(seen, ","),
                     "], not ", expected_));
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {
  }

 private:
  const std::string expected_;
};

// gRPC reads only the last good set of files (common/tls_last_good.h): a
// missing, empty, garbage or mismatched file is a clear start-up error
// naming its flag, and at reload it keeps the set in use instead of
// aborting the process (gRPC 1.51 asserts on an empty certificate) or
// failing every new handshake.
absl::StatusOr<
    std::shared_ptr<grpc::experimental::CertificateProviderInterface>>
WatchFiles(const TlsFiles& files) {
  if (auto s = CheckFilesGiven(files); !s.ok()) return s;
  if (files.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-reload-interval: ", absl::FormatDuration(files.reload_interval),
        " is shorter than 1s"));
  }
  absl::StatusOr<LastGoodTlsFiles*> last_good =
      LastGoodTlsFiles::Watch(TlsPaths{files.cert, files.key, files.ca},
                              files.reload_interval, files.metrics);
  if (!last_good.ok()) return last_good.status();
  // gRPC's watcher reads memory files: once a second costs nothing, and a
  // new set is in use within a second of passing its checks.
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      (*last_good)->identity_path(), (*last_good)->identity_path(),
      (*last_good)->ca_path(), 1);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  if (files.plaintext) return grpc::InsecureServerCredentials();
  if (auto s = RequireTls13Only(); !s.ok()) return s;
  auto provider = WatchFiles(files);
  if (!provider.ok()) return provider.status();
  grpc::experimental::TlsServerCredentialsOptions options(*provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!files.allowed_client_names.empty()) {
    options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<
            ClientNameVerifier>(files.allowed_client_names));
  }
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const TlsFiles& files) {
  if (files.plaintext) return grpc::InsecureChannelCredentials();
  if (auto s = RequireTls13Only(); !s.ok()) return s;
  auto provider = WatchFiles(files);
  if (!provider.ok()) return provider.status();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(*provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  if (!files.server_name_override.empty()) {
    options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<
            ServerNameVerifier>(files.server_name_override));
    // The per-call check compares the target's host with the certificate;
    // the verifier above already checked the name that counts.
    options.set_check_call_host(false);
  }
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace acmeva::common
