// gRPC credentials from the TLS flags every server and client here shares:
// --tls-cert, --tls-key, --tls-ca, --plaintext (local use only, explicit).
#ifndef COMMON_GRPC_TLS_H_
#define COMMON_GRPC_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class ServerCredentials;
class ChannelCredentials;
}  // namespace grpc

namespace acmeva::common {

class MetricsRegistry;

struct TlsFiles {
  std::string cert;  // PEM certificate chain presented to the peer
  std::string key;   // PEM private key
  std::string ca;    // PEM roots that verify the peer
  bool plaintext = false;
  // Server side: SAN DNS names a client certificate must carry (one of);
  // empty = any certificate signed by `ca`.
  std::vector<std::string> allowed_client_names;
  // Client side: the name expected in the server's certificate; empty = the
  // host part of the target address.
  std::string server_name_override;
  // How often the three files are read again, so certificates (short-lived
  // ones, a new CA bundle) are rotated by renaming new files into place,
  // without a restart. Whole seconds, at least 1. New handshakes use the new
  // files; established connections keep theirs.
  // A set that fails its checks (common/tls_file_check.h) is not taken:
  // the last good one stays in use (common/tls_last_good.h).
  absl::Duration reload_interval = absl::Minutes(1);
  // Gets tls_files_rejected_total and tls_files_reloaded_total; may be null.
  MetricsRegistry* metrics = nullptr;
};

// Mutual TLS 1.3 only (TLS 1.2 and below refused, for the whole process: see
// common/tls13_only.h; client certificate required and verified), or
// insecure credentials when `plaintext` is set. Fails when neither the files
// nor --plaintext were given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const TlsFiles& files);

}  // namespace acmeva::common

#endif  // COMMON_GRPC_TLS_H_
