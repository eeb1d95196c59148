// Kept instead of cpp-httplib (Debian 12: 0.11.4), by the figures of
// `bench/library_costs.sh build` (bench/http_costs.cc; bench/RESULTS.md,
// 2026-12-06, three runs on a loaded 2-core machine):
//   - with 64 clients trickling request headers, a /metrics scrape is served
//     here in 2-6 ms (the one waiting longest is evicted) and fails after 8 s
//     with httplib: its pool threads stay with the slow clients (a timeout
//     per read, no deadline for the whole request, no connection cap);
//   - resident set: about the same (peak 5.4 MB here, 5.2-5.3 MB there).
// httplib answers one-connection scrapes one after another faster (4,300-
// 7,800/s against 760-2,400/s: a thread per connection here, a pool there),
// which a scrape every few seconds does not notice; from 8 clients at once
// it is the slower (1,750-1,880/s against 4,300-9,000/s).
#include "common/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/tcp_accept.h"

namespace acmeva::common {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int PollMillis(absl::Duration d) {
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(d), 1 << 30));
}

// A request head parsed from the bytes before "\r\n\r\n".
struct Head {
  std::string method;
  std::string target;
  std::string version;
  absl::flat_hash_map<std::string, std::string> headers;
};

// Returns an HTTP status (400, 501, ...) on failure, 0 on success.
int ParseHead(absl::string_view text, Head* head) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, "\r\n");
  if (lines.empty()) return 400;
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) return 400;
  for (char c : parts[0]) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c))) return 400;
  }
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") return 505;
  head->method = std::string(parts[0]);
  head->target = std::string(parts[1]);
  head->version = std::string(parts[2]);
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    size_t colon = line.find(':');
    if (colon == 0 || colon == absl::string_view::npos) return 400;
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    for (char c : name) {
      if (c <= ' ' || c >= 0x7f) return 400;  // no whitespace before ':'
    }
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    auto [it, inserted] = head->headers.emplace(name, value);
    if (!inserted) {
      // Conflicting lengths are a request-smuggling classic.
      if (name == "content-length" && it->second != value) return 400;
      absl::StrAppend(&it->second, ", ", value);
    }
  }
  return 0;
}

}  // namespace

absl::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    absl::string_view address, HttpHandler handler, HttpServerOptions options) {
  absl::StatusOr<SocketAddress> parsed = ParseHostPort(address);
  if (!parsed.ok()) return parsed.status();
  int fd = socket(parsed->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, parsed->addr(), parsed->length) != 0) {
    absl::Status s = Errno(absl::StrCat("bind ", parsed->ToString()));
    close(fd);
    return s;
  }
  if (listen(fd, 128) != 0) {
    absl::Status s = Errno("listen");
    close(fd);
    return s;
  }
  absl::StatusOr<SocketAddress> bound = LocalAddress(fd);
  if (!bound.ok()) {
    close(fd);
    return bound.status();
  }
  int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    absl::Status s = Errno("eventfd");
    close(fd);
    return s;
  }
  std::unique_ptr<HttpServer> server(new HttpServer(
      fd, stop_fd, *bound, std::move(handler), std::move(options)));
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

HttpServer::HttpServer(int listen_fd, int stop_fd, SocketAddress address,
                       HttpHandler handler, HttpServerOptions options)
    : listen_fd_(listen_fd),
      stop_fd_(stop_fd),
      address_(address),
      handler_(std::move(handler)),
      options_(std::move(options)) {}

HttpServer::~HttpServer() {
  Shutdown();
  close(stop_fd_);
}

void HttpServer::Shutdown() {
  absl::MutexLock shutdown_lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  stopping_ = true;
  uint64_t one = 1;
  // The eventfd stays readable from now on, waking every poll() below.
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
    // Only fails if the counter overflows, which one write cannot do.
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  absl::MutexLock lock(&mu_);
  for (Connection& c : connections_) {
    if (c.thread.joinable()) c.thread.join();
  }
  connections_.clear();
}

void HttpServer::ReapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done.load()) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void HttpServer::AcceptLoop() {
  while (!stopping_) {
    AcceptResult accepted =
        AcceptNext(listen_fd_, stop_fd_, options_.write_timeout);
    if (accepted.kind == AcceptResult::Kind::kStop) return;
    if (accepted.kind == AcceptResult::Kind::kRetry) continue;
    const int fd = accepted.fd;
    std::string peer_text = std::move(accepted.peer);
    absl::MutexLock lock(&mu_);
    ReapFinished();
    if (static_cast<int>(connections_.size()) >= options_.max_connections &&
        !EvictSlowest()) {
      SendAll(fd,
              "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
              "Connection: close\r\n\r\n");
      close(fd);
      continue;
    }
    Connection& c = connections_.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c, peer_text] { Serve(&c, peer_text); });
  }
}

bool HttpServer::EvictSlowest() {
  const int64_t cutoff = absl::ToUnixNanos(absl::Now() - options_.evict_after);
  Connection* slowest = nullptr;
  int64_t oldest = 0;
  for (Connection& c : connections_) {
    const int64_t since = c.waiting_since.load();
    if (c.done.load() || since == 0 || since > cutoff) continue;
    if (slowest == nullptr || since < oldest) {
      slowest = &c;
      oldest = since;
    }
  }
  if (slowest == nullptr) return false;
  // Its thread sees end-of-file, closes the descriptor and is reaped later.
  absl::MutexLock lock(&slowest->close_mu);
  if (slowest->done.load()) return true;  // ended meanwhile: a slot is free
  slowest->waiting_since = 0;
  shutdown(slowest->fd, SHUT_RDWR);
  return true;
}

bool HttpServer::WaitReadable(int fd, absl::Time deadline) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    int n = poll(fds, 2, PollMillis(std::min(options_.read_timeout, left)));
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && fds[1].revents == 0 && fds[0].revents != 0;
  }
}

bool HttpServer::SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void HttpServer::Serve(Connection* connection, std::string peer) {
  const int fd = connection->fd;
  std::string buffer;
  char chunk[16 * 1024];
  // Set when the first byte of a request arrives (or is already buffered).
  absl::Time request_deadline = absl::InfiniteFuture();
  // Reads more bytes into `buffer`; false on EOF, error, timeout, shutdown.
  auto read_more = [&]() {
    if (!WaitReadable(fd, request_deadline)) return false;
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    if (request_deadline == absl::InfiniteFuture()) {
      request_deadline = absl::Now() + options_.request_timeout;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  auto reply_error = [&](int status) {
    std::string body =
        absl::StrCat(status, " ", HttpReasonPhrase(status), "\n");
    SendAll(fd,
            absl::StrCat("HTTP/1.1 ", status, " ", HttpReasonPhrase(status),
                         "\r\nContent-Type: text/plain; charset=utf-8"
                         "\r\nContent-Length: ",
                         body.size(), "\r\nConnection: close\r\n\r\n", body));
  };
  bool keep_alive = true;
  while (keep_alive && !stopping_) {
    connection->waiting_since = absl::ToUnixNanos(absl::Now());
    request_deadline = buffer.empty() ? absl::InfiniteFuture()
                                      : absl::Now() + options_.request_timeout;
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > options_.max_header_bytes) {
        reply_error(431);
        keep_alive = false;
        break;
      }
      if (!read_more()) {
        keep_alive = false;
        break;
      }
    }
    if (!keep_alive) break;
    if (head_end > options_.max_header_bytes) {
      reply_error(431);
      break;
    }
    Head head;
    if (int status =
            ParseHead(absl::string_view(buffer).substr(0, head_end), &head);
        status != 0) {
      reply_error(status);
      break;
    }
    buffer.erase(0, head_end + 4);
    if (head.headers.contains("transfer-encoding")) {
      reply_error(501);  // no chunked bodies; clients here send lengths
      break;
    }
    size_t body_length = 0;
    if (auto it = head.headers.find("content-length");
        it != head.headers.end()) {
      if (it->second.empty() ||
          !std::all_of(it->second.begin(), it->second.end(),
                       [](char c) {
                         return absl::ascii_isdigit(
                             static_cast<unsigned char>(c));
                       }) ||
          !absl::SimpleAtoi(it->second, &body_length)) {
        reply_error(400);
        break;
      }
    }
    if (body_length > options_.max_body_bytes) {
      reply_error(413);
      break;
    }
    if (auto it = head.headers.find("expect");
        it != head.headers.end() &&
        absl::EqualsIgnoreCase(it->second, "100-continue") &&
        buffer.size() < body_length) {
      SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");  // curl waits for this
    }
    bool complete = true;
    while (buffer.size() < body_length) {
      if (!read_more()) {
        complete = false;
        break;
      }
    }
    if (!complete) break;
    connection->waiting_since = 0;

    HttpRequest request;
    request.method = std::move(head.method);
    absl::string_view target = head.target;
    if (size_t q = target.find('?'); q != absl::string_view::npos) {
      request.query = std::string(target.substr(q + 1));
      target = target.substr(0, q);
    }
    request.path = std::string(target);
    request.body = buffer.substr(0, body_length);
    buffer.erase(0, body_length);
    request.peer = peer;
    request.headers = std::move(head.headers);

    absl::string_view connection_header;
    if (auto it = request.headers.find("connection");
        it != request.headers.end()) {
      connection_header = it->second;
    }
    const std::string connection_lower =
        absl::AsciiStrToLower(connection_header);
    keep_alive = head.version == "HTTP/1.1"
                     ? !absl::StrContains(connection_lower, "close")
                     : absl::StrContains(connection_lower, "keep-alive");

    HttpResponse response = handler_(request);
    std::string out = absl::StrCat(
        "HTTP/1.1 ", response.status, " ", HttpReasonPhrase(response.status),
        "\r\nContent-Type: ", response.content_type,
        "\r\nContent-Length: ", response.body.size(),
        keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close",
        "\r\n\r\n");
    if (request.method != "HEAD") out += response.body;
    if (!SendAll(fd, out)) break;
  }
  absl::MutexLock lock(&connection->close_mu);
  close(fd);
  connection->done = true;
}

}  // namespace acmeva::common
