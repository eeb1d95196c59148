// Serves a gRPC server on a TCP socket this class owns and accepts on, so
// running out of descriptors never stops the server from accepting.
//
// Why not ServerBuilder::AddListeningPort: gRPC 1.51's listener
// (tcp_server_posix.cc) treats any accept() error but EAGAIN/ECONNABORTED/
// EINTR as fatal. One EMFILE (a burst of bare TCP connects is enough) and it
// never accepts again while the process looks healthy. Rather than detect a
// wedged listener and rebuild the server (dropping every call in flight), we
// accept here and hand each descriptor to the server through
// ServerBuilder::experimental().AddExternalConnectionAcceptor, the one 1.51
// C++ API that takes accepted descriptors with any credentials, TLS
// included (grpc::AddInsecureChannelFromFd is plaintext only, and the core's
// grpc_server_add_channel_from_fd wants core credentials the C++ API does
// not expose). Our loop:
//   - raises the soft RLIMIT_NOFILE to the hard limit at start-up;
//   - keeps a reserve of descriptors (common/fd_limit.h) free for DNS,
//     certificate reloads and /metrics: past the cap a connection is
//     accepted and closed at once;
//   - on EMFILE/ENFILE sheds a pending connection and keeps going
//     (common/tcp_accept.h);
//   - sheds the heaviest connection while the heap is over the memory limit
//     (common/connection_guard.h: what gRPC 1.51 leaves unbounded);
//   - reports a flood: health NOT_SERVING (if the default health service is
//     on), a log line when it starts and ends, and the metrics below, until
//     5 s pass without a refused connection.
// Metrics: grpc_listener_descriptor_flood, grpc_listener_connections_
// {accepted,refused,shed}_total, grpc_listener_accept_errors_total{error},
// process_open_fds, process_max_fds.
#ifndef COMMON_GRPC_LISTENER_H_
#define COMMON_GRPC_LISTENER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/connection_guard.h"
#include "common/grpc_server_limits.h"

namespace grpc {
class Server;
class ServerBuilder;
class ServerCredentials;
namespace experimental {
class ExternalConnectionAcceptor;
}  // namespace experimental
}  // namespace grpc

namespace acmeva::common {

class MetricsRegistry;
class MetricFamily;

struct GrpcListenerOptions {
  std::string address;  // "host:port" (common/socket_address.h); port 0 = any
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Unset: from the --grpc-* flags (common/grpc_server_limits.h).
  std::optional<GrpcServerLimits> limits;
  MetricsRegistry* metrics = nullptr;  // may be null
};

class GrpcListener {
 public:
  // Applies the limits to `builder` (services already registered), builds
  // and starts the server, and starts accepting on `options.address`.
  static absl::StatusOr<std::unique_ptr<GrpcListener>> Start(
      grpc::ServerBuilder& builder, GrpcListenerOptions options);

  ~GrpcListener();  // Shutdown(now) unless done
  GrpcListener(const GrpcListener&) = delete;
  GrpcListener& operator=(const GrpcListener&) = delete;

  grpc::Server* server() const { return server_.get(); }
  int port() const { return port_; }
  // True while connections are being refused for want of descriptors.
  bool flooded() const { return flooded_.load(); }

  // Stops accepting, then shuts the server down (calls in flight may finish
  // until `deadline`) and waits for it. Idempotent.
  void Shutdown(absl::Time deadline);

 private:
  GrpcListener() = default;
  void AcceptLoop();
  void SetFlooded(bool flooded, std::string_view why);

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  int64_t fd_cap_ = 0;  // accept while fewer descriptors than this are open
  CallsInFlight calls_;
  std::unique_ptr<ConnectionGuard> guard_;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::unique_ptr<grpc::Server> server_;
  std::thread accept_thread_;
  std::atomic<bool> flooded_{false};
  bool shut_down_ = false;
  int64_t refused_since_flood_ = 0;

  MetricFamily* flood_gauge_ = nullptr;
  MetricFamily* accepted_ = nullptr;
  MetricFamily* refused_ = nullptr;
  MetricFamily* shed_ = nullptr;
  MetricFamily* accept_errors_ = nullptr;
  MetricFamily* open_fds_ = nullptr;
  MetricFamily* max_fds_ = nullptr;
};

}  // namespace acmeva::common

#endif  // COMMON_GRPC_LISTENER_H_
