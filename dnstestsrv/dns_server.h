// The sockets of the test DNS server: UDP and TCP on one port. UDP is a
// tight recvmmsg/sendmmsg loop (it is the authoritative server in
// benchmarks); delayed UDP answers go through a timer thread so a delay
// fault never stalls the loop. TCP is a thread per connection with an idle
// timeout, which is plenty for truncation fallback and tests.
#ifndef DNSTESTSRV_DNS_SERVER_H_
#define DNSTESTSRV_DNS_SERVER_H_

#include <atomic>
#include <list>
#include <memory>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/socket_address.h"
#include "dnstestsrv/responder.h"

namespace acmeva::dnstestsrv {

struct DnsServerOptions {
  std::string address = "127.0.0.1:0";  // port 0: pick one free for both
  int udp_threads = 1;
  absl::Duration tcp_idle_timeout = absl::Seconds(10);
  int max_tcp_connections = 256;
};

class DnsServer {
 public:
  // `responder` must outlive the server.
  static absl::StatusOr<std::unique_ptr<DnsServer>> Start(
      const DnsServerOptions& options, const Responder* responder);

  ~DnsServer();  // Shutdown()
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  const common::SocketAddress& address() const { return address_; }
  int port() const { return address_.port(); }

  // Stops all threads; queued delayed answers are discarded. Idempotent.
  void Shutdown();

 private:
  struct Delayed {
    absl::Time due;
    common::SocketAddress to;
    std::vector<uint8_t> bytes;
    bool operator>(const Delayed& other) const { return due > other.due; }
  };
  struct TcpConnection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  DnsServer(const DnsServerOptions& options, const Responder* responder,
            int udp_fd, int tcp_fd, int stop_fd, common::SocketAddress address);
  void UdpLoop();
  void DelayLoop();
  void AcceptLoop();
  void ServeTcp(TcpConnection* connection, std::string peer);

  const DnsServerOptions options_;
  const Responder* const responder_;
  const int udp_fd_;
  const int tcp_fd_;
  const int stop_fd_;  // eventfd, readable once Shutdown() starts
  const common::SocketAddress address_;
  std::atomic<bool> stopping_{false};
  absl::Notification stopped_;  // wakes sleeping delayed TCP answers

  std::vector<std::thread> udp_threads_;
  std::thread delay_thread_;
  std::thread accept_thread_;

  absl::Mutex delay_mu_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<Delayed>>
      delayed_ ABSL_GUARDED_BY(delay_mu_);

  absl::Mutex tcp_mu_;
  std::list<TcpConnection> tcp_connections_ ABSL_GUARDED_BY(tcp_mu_);

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_DNS_SERVER_H_
