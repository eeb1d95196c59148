#include "dnstestsrv/dns_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/tcp_accept.h"

namespace acmeva::dnstestsrv {
namespace {

constexpr int kUdpBatch = 32;
// Queries are small; a bigger datagram is cut and answered FORMERR.
constexpr size_t kMaxQuerySize = 4096;
constexpr int kSocketBufferBytes = 4 << 20;
constexpr int kBindAttempts = 32;

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int PollMillis(absl::Duration d) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(d), 1 << 30));
}

// Binds UDP and TCP sockets to the same address; with port 0, retries
// until a port is free for both.
absl::Status BindPair(common::SocketAddress address, int* udp_fd, int* tcp_fd) {
  const bool any_port = address.port() == 0;
  for (int attempt = 0; attempt < (any_port ? kBindAttempts : 1); ++attempt) {
    int udp = socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (udp < 0) return Errno("socket(udp)");
    if (bind(udp, address.addr(), address.length) != 0) {
      absl::Status s = Errno(absl::StrCat("bind udp ", address.ToString()));
      close(udp);
      return s;
    }
    absl::StatusOr<common::SocketAddress> bound = common::LocalAddress(udp);
    if (!bound.ok()) {
      close(udp);
      return bound.status();
    }
    int tcp = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (tcp < 0) {
      close(udp);
      return Errno("socket(tcp)");
    }
    int one = 1;
    setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(tcp, bound->addr(), bound->length) != 0 || listen(tcp, 128) != 0) {
      const bool in_use = errno == EADDRINUSE;
      absl::Status s = Errno(absl::StrCat("bind tcp ", bound->ToString()));
      close(tcp);
      close(udp);
      if (any_port && in_use) continue;
      return s;
    }
    *udp_fd = udp;
    *tcp_fd = tcp;
    return absl::OkStatus();
  }
  return absl::UnavailableError("no port free for both UDP and TCP");
}

}  // namespace

absl::StatusOr<std::unique_ptr<DnsServer>> DnsServer::Start(
    const DnsServerOptions& options, const Responder* responder) {
  absl::StatusOr<common::SocketAddress> address =
      common::ParseHostPort(options.address);
  if (!address.ok()) return address.status();
  int udp_fd = -1;
  int tcp_fd = -1;
  if (absl::Status s = BindPair(*address, &udp_fd, &tcp_fd); !s.ok()) return s;
  absl::StatusOr<common::SocketAddress> bound = common::LocalAddress(udp_fd);
  int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!bound.ok() || stop_fd < 0) {
    close(udp_fd);
    close(tcp_fd);
    if (stop_fd >= 0) close(stop_fd);
    return bound.ok() ? Errno("eventfd") : bound.status();
  }
  int buffer = kSocketBufferBytes;
  setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  setsockopt(udp_fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  // recvmmsg wakes up this often to notice Shutdown().
  timeval tick = {0, 200 * 1000};
  setsockopt(udp_fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));

  std::unique_ptr<DnsServer> server(
      new DnsServer(options, responder, udp_fd, tcp_fd, stop_fd, *bound));
  DnsServer* s = server.get();
  for (int i = 0; i < std::max(1, options.udp_threads); ++i) {
    s->udp_threads_.emplace_back([s] { s->UdpLoop(); });
  }
  s->delay_thread_ = std::thread([s] { s->DelayLoop(); });
  s->accept_thread_ = std::thread([s] { s->AcceptLoop(); });
  return server;
}

DnsServer::DnsServer(const DnsServerOptions& options,
                     const Responder* responder, int udp_fd, int tcp_fd,
                     int stop_fd, common::SocketAddress address)
    : options_(options),
      responder_(responder),
      udp_fd_(udp_fd),
      tcp_fd_(tcp_fd),
      stop_fd_(stop_fd),
      address_(address) {}

DnsServer::~DnsServer() {
  Shutdown();
  close(udp_fd_);
  close(tcp_fd_);
  close(stop_fd_);
}

void DnsServer::Shutdown() {
  absl::MutexLock shutdown_lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  {
    absl::MutexLock lock(&delay_mu_);  // DelayLoop's condition reads it
    stopping_ = true;
  }
  stopped_.Notify();
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
    // Cannot overflow with a single write.
  }
  // On Linux this wakes threads blocked in recvmmsg on the unconnected
  // socket at once (it returns ENOTCONN but still marks the socket shut);
  // the receive timeout tick is the fallback.
  shutdown(udp_fd_, SHUT_RD);
  for (std::thread& t : udp_threads_) t.join();
  udp_threads_.clear();
  if (delay_thread_.joinable()) delay_thread_.join();
  if (accept_thread_.joinable()) accept_thread_.join();
  absl::MutexLock lock(&tcp_mu_);
  for (TcpConnection& c : tcp_connections_) {
    if (c.thread.joinable()) c.thread.join();
  }
  tcp_connections_.clear();
}

void DnsServer::UdpLoop() {
  // Per-thread buffers, reused for every batch.
  std::vector<std::array<uint8_t, kMaxQuerySize>> buffers(kUdpBatch);
  std::vector<sockaddr_storage> peers(kUdpBatch);
  std::vector<iovec> in_iov(kUdpBatch);
  std::vector<mmsghdr> in(kUdpBatch);
  std::vector<Reply> replies(kUdpBatch);
  std::vector<iovec> out_iov(kUdpBatch);
  std::vector<mmsghdr> out(kUdpBatch);
  const bool want_client = responder_->records_history();
  while (!stopping_.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kUdpBatch; ++i) {
      in_iov[i] = {buffers[i].data(), kMaxQuerySize};
      in[i] = {};
      in[i].msg_hdr.msg_name = &peers[i];
      in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in[i].msg_hdr.msg_iov = &in_iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(udp_fd_, in.data(), kUdpBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // timeout tick, EINTR, or a transient error
    int to_send = 0;
    for (int i = 0; i < n; ++i) {
      const auto* peer = reinterpret_cast<const sockaddr*>(&peers[i]);
      std::string client = want_client ? common::FormatSocketAddress(
                                             peer, in[i].msg_hdr.msg_namelen)
                                       : std::string();
      Reply reply = responder_->Handle(buffers[i].data(), in[i].msg_len,
                                       Transport::kUdp, client);
      if (reply.drop) continue;
      if (reply.delay > absl::ZeroDuration()) {
        Delayed d;
        d.due = absl::Now() + reply.delay;
        std::memcpy(&d.to.storage, &peers[i], in[i].msg_hdr.msg_namelen);
        d.to.length = in[i].msg_hdr.msg_namelen;
        d.bytes = std::move(reply.bytes);
        absl::MutexLock lock(&delay_mu_);
        delayed_.push(std::move(d));
        continue;
      }
      replies[to_send] = std::move(reply);
      out_iov[to_send] = {replies[to_send].bytes.data(),
                          replies[to_send].bytes.size()};
      out[to_send] = {};
      out[to_send].msg_hdr.msg_name = &peers[i];
      out[to_send].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
      out[to_send].msg_hdr.msg_iov = &out_iov[to_send];
      out[to_send].msg_hdr.msg_iovlen = 1;
      ++to_send;
    }
    int sent = 0;
    while (sent < to_send) {
      int m = sendmmsg(udp_fd_, out.data() + sent, to_send - sent, 0);
      if (m < 0 && errno == EINTR) continue;
      if (m <= 0) {
        ++sent;  // skip the datagram the kernel refused (e.g. EPERM)
        continue;
      }
      sent += m;
    }
  }
}

void DnsServer::DelayLoop() {
  absl::MutexLock lock(&delay_mu_);
  while (!stopping_) {
    if (delayed_.empty()) {
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(delay_mu_) {
        return stopping_.load() || !delayed_.empty();
      };
      delay_mu_.Await(absl::Condition(&ready));
      continue;
    }
    const absl::Time due = delayed_.top().due;
    if (absl::Now() >= due) {
      const Delayed& d = delayed_.top();
      sendto(udp_fd_, d.bytes.data(), d.bytes.size(), 0, d.to.addr(),
             d.to.length);
      delayed_.pop();
      continue;
    }
    // Wake at the deadline, or earlier for shutdown or an earlier entry.
    auto changed = [this, due]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(delay_mu_) {
      return stopping_.load() || delayed_.top().due < due;
    };
    delay_mu_.AwaitWithDeadline(absl::Condition(&changed), due);
  }
}

void DnsServer::AcceptLoop() {
  while (!stopping_) {
    common::AcceptResult accepted =
        common::AcceptNext(tcp_fd_, stop_fd_, options_.tcp_idle_timeout);
    if (accepted.kind == common::AcceptResult::Kind::kStop) return;
    if (accepted.kind == common::AcceptResult::Kind::kRetry) continue;
    const int fd = accepted.fd;
    std::string peer_text = std::move(accepted.peer);
    absl::MutexLock lock(&tcp_mu_);
    for (auto it = tcp_connections_.begin(); it != tcp_connections_.end();) {
      if (it->done.load()) {
        it->thread.join();
        it = tcp_connections_.erase(it);
      } else {
        ++it;
      }
    }
    if (static_cast<int>(tcp_connections_.size()) >=
        options_.max_tcp_connections) {
      close(fd);
      continue;
    }
    TcpConnection& c = tcp_connections_.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c, peer_text] { ServeTcp(&c, peer_text); });
  }
}

void DnsServer::ServeTcp(TcpConnection* connection, std::string peer) {
  const int fd = connection->fd;
  std::vector<uint8_t> buffer;
  uint8_t chunk[4096];
  // Reads until `buffer` holds `want` bytes; false on EOF, timeout, stop.
  auto fill = [&](size_t want) {
    while (buffer.size() < want) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      int p = poll(fds, 2, PollMillis(options_.tcp_idle_timeout));
      if (p < 0 && errno == EINTR) continue;
      if (p <= 0 || fds[1].revents != 0) return false;
      ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buffer.insert(buffer.end(), chunk, chunk + n);
    }
    return true;
  };
  while (!stopping_) {
    if (!fill(2)) break;
    const size_t length = static_cast<size_t>(buffer[0] << 8 | buffer[1]);
    if (!fill(2 + length)) break;
    Reply reply =
        responder_->Handle(buffer.data() + 2, length, Transport::kTcp, peer);
    buffer.erase(buffer.begin(),
                 buffer.begin() + 2 + static_cast<long>(length));
    if (reply.drop) continue;  // the client waits until it gives up
    if (reply.delay > absl::ZeroDuration() &&
        stopped_.WaitForNotificationWithTimeout(reply.delay)) {
      break;
    }
    std::vector<uint8_t> out;
    out.reserve(reply.bytes.size() + 2);
    out.push_back(static_cast<uint8_t>(reply.bytes.size() >> 8));
    out.push_back(static_cast<uint8_t>(reply.bytes.size()));
    out.insert(out.end(), reply.bytes.begin(), reply.bytes.end());
    size_t done = 0;
    bool ok = true;
    while (done < out.size()) {
      ssize_t n = send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (!ok) break;
  }
  close(fd);
  connection->done = true;
}

}  // namespace acmeva::dnstestsrv
