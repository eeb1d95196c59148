// A small HTTP/1.1 server for control planes and metrics (the test DNS
// server's management API, Prometheus /metrics): one handler callback,
// Content-Length bodies only, keep-alive, a thread per connection with a
// connection cap and read timeouts, and bounded header/body sizes, so
// garbage or slow clients cannot hurt the process. Not for the Internet.
// Slow clients (slowloris): a request must arrive whole within
// request_timeout however steadily its bytes trickle in, and at the
// connection cap a new connection takes the slot of the one that has been
// waiting longest for its request (over evict_after), so a scrape gets
// through while others hold every slot.
#ifndef COMMON_HTTP_SERVER_H_
#define COMMON_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/socket_address.h"

namespace acmeva::common {

struct HttpRequest {
  std::string method;  // as sent, e.g. "POST"
  std::string path;    // the target up to '?'
  std::string query;   // after '?', undecoded; "" if none
  absl::flat_hash_map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string peer;  // "ip:port"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on connection threads, possibly concurrently.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;
  // A connection idle (or mid-request) this long is closed.
  absl::Duration read_timeout = absl::Seconds(30);
  // From the first byte of a request to its last: longer and it is closed
  // (a slow client cannot reset the clock by sending a byte at a time).
  absl::Duration request_timeout = absl::Seconds(10);
  // At the connection cap, a connection that has waited this long for (the
  // rest of) a request is closed to make room for a new one.
  absl::Duration evict_after = absl::Seconds(1);
  absl::Duration write_timeout = absl::Seconds(10);
  int max_connections = 64;  // further ones get 503 and are closed
};

class HttpServer {
 public:
  // Binds `address` ("127.0.0.1:0" picks a free port) and starts serving.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      absl::string_view address, HttpHandler handler,
      HttpServerOptions options = {});

  ~HttpServer();  // Shutdown()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const SocketAddress& address() const { return address_; }
  int port() const { return address_.port(); }

  // Stops accepting, ends idle connections, waits for handlers in flight.
  // Idempotent.
  void Shutdown();

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
    // When it started waiting for a request (absl::ToUnixNanos), 0 while a
    // request is being handled or answered.
    std::atomic<int64_t> waiting_since{0};
    absl::Mutex close_mu;  // eviction never shuts down a reused descriptor
  };

  HttpServer(int listen_fd, int stop_fd, SocketAddress address,
             HttpHandler handler, HttpServerOptions options);
  void AcceptLoop();
  void Serve(Connection* connection, std::string peer);
  void ReapFinished() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until `fd` is readable; false on timeout (read_timeout, or
  // `deadline`) or shutdown.
  bool WaitReadable(int fd, absl::Time deadline);
  // At the cap: closes the connection waiting longest for its request, if
  // it has waited over evict_after. True if one was closed.
  bool EvictSlowest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SendAll(int fd, absl::string_view data);

  int listen_fd_;      // closed by Shutdown() so new connections are refused
  const int stop_fd_;  // eventfd, readable once Shutdown() starts
  const SocketAddress address_;
  const HttpHandler handler_;
  const HttpServerOptions options_;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::list<Connection> connections_ ABSL_GUARDED_BY(mu_);
  absl::Mutex shutdown_mu_;  // serializes Shutdown()
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

// "OK", "Not Found", ... for the status codes this server uses.
absl::string_view HttpReasonPhrase(int status);

}  // namespace acmeva::common

#endif  // COMMON_HTTP_SERVER_H_
