// Builds and starts a gRPC server the way every server here needs it: one
// listening address accepted on by our own loop (common/grpc_listener.h),
// the shared limits (common/grpc_server_limits.h), TLS from the shared
// flags, callback services.
#ifndef COMMON_SERVE_GRPC_H_
#define COMMON_SERVE_GRPC_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/grpc_listener.h"
#include "common/grpc_tls.h"

namespace acmeva::common {

class MetricsRegistry;

struct GrpcServerOptions {
  std::string listen;  // host:port (port 0: any free port)
  TlsFiles tls;
  std::vector<grpc::Service*> services;  // not owned; must outlive the server
  // Largest request accepted; 0 keeps the --grpc-* limit (64 KiB).
  int max_receive_message_bytes = 0;
  // The standard health service and server reflection.
  bool health_and_reflection = false;
  MetricsRegistry* metrics = nullptr;  // the listener's metrics; may be null
};

struct GrpcServer {
  std::unique_ptr<GrpcListener> listener;
  int port = 0;  // the port bound
  grpc::Server* server() const { return listener->server(); }
};

// Errors name the flag at fault (--listen, the TLS flags, --grpc-*).
absl::StatusOr<GrpcServer> ServeGrpc(const GrpcServerOptions& options);

}  // namespace acmeva::common

#endif  // COMMON_SERVE_GRPC_H_
