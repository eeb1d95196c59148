#include "common/grpc_listener.h"

#include <fcntl.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/fd_limit.h"
#include "common/json_log.h"
#include "common/metrics.h"
#include "common/socket_address.h"
#include "common/tcp_accept.h"

namespace acmeva::common {
namespace {

constexpr absl::Duration kFloodHold = absl::Seconds(5);
constexpr absl::Duration kRecount = absl::Seconds(1);
constexpr absl::Duration kTick = absl::Milliseconds(250);
// mallinfo2() walks the free lists under each arena's lock: once a second
// unless the heap is over the limit.
constexpr absl::Duration kGuardEvery = absl::Seconds(1);

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::StatusOr<int> BindListener(const SocketAddress& address) {
  int fd =
      socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno("socket");
  // SO_REUSEADDR only (restart over TIME_WAIT); no SO_REUSEPORT: two
  // processes that picked the same port must not silently share it.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, address.addr(), address.length) != 0) {
    absl::Status s = Errno(absl::StrCat("bind ", address.ToString()));
    close(fd);
    return s;
  }
  if (listen(fd, SOMAXCONN) != 0) {
    absl::Status s = Errno("listen");
    close(fd);
    return s;
  }
  return fd;
}

const char* ErrnoName(int error) {
  switch (error) {
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ENOBUFS:
      return "ENOBUFS";
    case ENOMEM:
      return "ENOMEM";
    case ECONNABORTED:
      return "ECONNABORTED";
    case EAGAIN:
      return "EAGAIN";
    case EINTR:
      return "EINTR";
    default:
      return "other";
  }
}

bool IsOutOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS ||
         error == ENOMEM;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcListener>> GrpcListener::Start(
    grpc::ServerBuilder& builder, GrpcListenerOptions options) {
  GrpcServerLimits limits;
  if (options.limits.has_value()) {
    limits = *options.limits;
  } else {
    absl::StatusOr<GrpcServerLimits> from_flags = GrpcServerLimitsFromFlags();
    if (!from_flags.ok()) return from_flags.status();
    limits = *from_flags;
  }
  absl::StatusOr<FdLimit> fd_limit = RaiseFdLimitToHard();
  if (!fd_limit.ok()) return fd_limit.status();
  ReserveSpareDescriptor();

  absl::StatusOr<SocketAddress> address = ParseHostPort(options.address);
  if (!address.ok()) return address.status();
  absl::StatusOr<int> fd = BindListener(*address);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<GrpcListener> l(new GrpcListener());
  l->listen_fd_ = *fd;
  absl::StatusOr<SocketAddress> bound = LocalAddress(*fd);
  if (!bound.ok()) return bound.status();
  l->port_ = bound->port();
  l->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l->stop_fd_ < 0) return Errno("eventfd");
  l->fd_cap_ = fd_limit->soft - FdReserve(fd_limit->soft);
  l->guard_ = std::make_unique<ConnectionGuard>(limits.memory_limit_bytes);

  if (MetricsRegistry* m = options.metrics; m != nullptr) {
    l->flood_gauge_ = m->Gauge(
        "grpc_listener_descriptor_flood",
        "1 while gRPC connections are refused for want of descriptors");
    l->accepted_ = m->Counter("grpc_listener_connections_accepted_total",
                              "gRPC connections accepted");
    l->refused_ = m->Counter(
        "grpc_listener_connections_refused_total",
        "gRPC connections closed at once: the descriptor reserve was reached");
    l->shed_ = m->Counter(
        "grpc_listener_connections_shed_total",
        "gRPC connections shut down because the heap passed "
        "--grpc-memory-limit-mib (the one that had sent the most bytes)");
    l->accept_errors_ =
        m->Counter("grpc_listener_accept_errors_total",
                   "accept() failures on the gRPC port", {"error"});
    l->open_fds_ = m->Gauge("process_open_fds", "Open file descriptors");
    l->max_fds_ =
        m->Gauge("process_max_fds", "Maximum number of open file descriptors");
    l->flood_gauge_->Set({}, 0);
    l->max_fds_->Set({}, static_cast<double>(fd_limit->soft));
  }

  ApplyGrpcServerLimits(limits, builder, &l->calls_, options.metrics);
  l->acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      options.credentials);
  l->server_ = builder.BuildAndStart();
  if (l->server_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot start the gRPC server on ", options.address));
  }
  l->accept_thread_ = std::thread([p = l.get()] { p->AcceptLoop(); });
  return l;
}

GrpcListener::~GrpcListener() {
  Shutdown(absl::Now());
  if (stop_fd_ >= 0) close(stop_fd_);
}

void GrpcListener::Shutdown(absl::Time deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  if (accept_thread_.joinable()) {
    uint64_t one = 1;
    if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
      // Cannot fail for one write to a fresh eventfd.
    }
    accept_thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(deadline));
    server_->Wait();
  }
}

void GrpcListener::SetFlooded(bool flooded, std::string_view why) {
  if (flooded_.exchange(flooded) == flooded) return;
  if (flood_gauge_ != nullptr) flood_gauge_->Set({}, flooded ? 1 : 0);
  if (grpc::HealthCheckServiceInterface* health =
          server_->GetHealthCheckService();
      health != nullptr) {
    health->SetServingStatus(!flooded);
  }
  const int64_t open = CountOpenFds();
  if (flooded) {
    refused_since_flood_ = 0;
    Log("error", "gRPC listener out of descriptors: refusing connections",
        JsonFields()
            .Str("reason", why)
            .Int("openFds", open)
            .Int("fdCap", fd_cap_)
            .Int("port", port_));
  } else {
    Log("info", "gRPC listener accepting again",
        JsonFields()
            .Int("refused", refused_since_flood_)
            .Int("openFds", open)
            .Int("port", port_));
  }
}

void GrpcListener::AcceptLoop() {
  int64_t open_fds = std::max<int64_t>(CountOpenFds(), 0);
  absl::Time counted = absl::Now();
  absl::Time flood_until = absl::InfinitePast();
  absl::Time guarded = absl::Now();
  auto refuse = [&](std::string_view why, absl::Time now) {
    ++refused_since_flood_;
    flood_until = now + kFloodHold;
    SetFlooded(true, why);
  };
  while (true) {
    AcceptResult r =
        AcceptNext(listen_fd_, stop_fd_, absl::InfiniteDuration(), kTick);
    if (r.kind == AcceptResult::Kind::kStop) return;
    const absl::Time now = absl::Now();
    if (now - guarded >= (guard_->over_limit() ? kTick : kGuardEvery)) {
      guarded = now;
      for (const ConnectionGuard::Shed& s : guard_->Check()) {
        if (shed_ != nullptr) shed_->Add({}, 1);
        Log("error", "gRPC connection shut down: heap over the memory limit",
            JsonFields()
                .Str("peer", s.peer)
                .Int("bytesReceived", static_cast<int64_t>(s.bytes_received))
                .Int("heapBytes", s.heap_bytes)
                .Int("port", port_));
      }
    }
    // `open_fds` counts descriptors other than a connection just accepted;
    // each connection takes two (gRPC's and the guard's duplicate). It only
    // goes up between recounts (gRPC closes descriptors without telling
    // us), so it errs towards refusing; a recount near the cap or once a
    // second corrects it.
    const bool accepted = r.kind == AcceptResult::Kind::kAccepted;
    if (now - counted >= kRecount || (accepted && open_fds + 2 > fd_cap_)) {
      open_fds = CountOpenFds();
      // No descriptor even to count them: as good as over the cap.
      if (open_fds < 0) open_fds = fd_cap_;
      if (accepted) --open_fds;
      counted = now;
      if (open_fds_ != nullptr) {
        open_fds_->Set({}, static_cast<double>(open_fds));
      }
    }
    if (r.kind == AcceptResult::Kind::kRetry) {
      if (r.error != 0 && accept_errors_ != nullptr) {
        accept_errors_->Add({ErrnoName(r.error)}, 1);
      }
      if (IsOutOfResources(r.error)) {
        refuse(ErrnoName(r.error), now);
      } else if (flooded_ && now >= flood_until) {
        SetFlooded(false, "");
      }
      continue;
    }
    if (open_fds + 2 > fd_cap_) {
      close(r.fd);
      if (refused_ != nullptr) refused_->Add({}, 1);
      refuse("descriptor reserve reached", now);
      continue;
    }
    if (flooded_ && now >= flood_until) SetFlooded(false, "");
    // What gRPC's own listener sets on accepted sockets.
    fcntl(r.fd, F_SETFL, fcntl(r.fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // The connection, and the guard's duplicate of it.
    open_fds += guard_->Track(r.fd, r.peer) ? 2 : 1;
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters
        params;
    params.listener_fd = listen_fd_;
    params.fd = r.fd;
    acceptor_->HandleNewConnection(&params);  // gRPC owns r.fd now
    if (accepted_ != nullptr) accepted_->Add({}, 1);
  }
}

}  // namespace acmeva::common
