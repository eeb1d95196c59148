// Builds and starts a gRPC server the way every server here needs it: one
// listening address, TLS from the shared flags, callback services.
#ifndef COMMON_SERVE_GRPC_H_
#define COMMON_SERVE_GRPC_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/grpc_tls.h"

namespace common {

struct GrpcServerOptions {
  std::string listen;  // host:port (port 0: any free port)
  TlsFiles tls;
  std::vector<grpc::Service*> services;  // not owned; must outlive the server
  // Largest request accepted; 0 keeps gRPC's default (4 MiB).
  int max_receive_message_bytes = 0;
  // The standard health service and server reflection.
  bool health_and_reflection = false;
};

struct GrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the port bound
};

// Errors name the flag at fault (--listen, or the TLS flags).
absl::StatusOr<GrpcServer> ServeGrpc(const GrpcServerOptions& options);

}  // namespace common

#endif  // COMMON_SERVE_GRPC_H_
