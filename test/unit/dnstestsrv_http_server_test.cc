// common::HttpServer over real loopback sockets: request parsing,
// keep-alive, limits, garbage, timeouts, connection cap, shutdown.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/http_server.h"

namespace acmeva::common {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A blocking loopback client with a receive timeout.
class Client {
 public:
  explicit Client(const SocketAddress& address) {
    fd_ = socket(address.family(), SOCK_STREAM, 0);
    timeval tv = {5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, address.addr(), address.length) == 0;
  }
  ~Client() { close(fd_); }

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void Send(absl::string_view data) {
    ASSERT_EQ(send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  // Reads one response (head + Content-Length body); "" on EOF/timeout.
  std::string ReadResponse() {
    while (true) {
      size_t head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        size_t at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) {
          size_t eol = buffer_.find("\r\n", at);
          EXPECT_TRUE(absl::SimpleAtoi(buffer_.substr(at + 16, eol - at - 16),
                                       &length));
        }
        if (buffer_.size() >= head_end + 4 + length) {
          std::string out = buffer_.substr(0, head_end + 4 + length);
          buffer_.erase(0, head_end + 4 + length);
          return out;
        }
      }
      if (!ReadSome()) return "";
    }
  }
  // True when the server closed the connection (EOF) in time.
  bool ReadEof() {
    while (ReadSome()) {
    }
    return eof_;
  }

 private:
  bool ReadSome() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  out.content_type = "application/json";
  auto it = r.headers.find("x-test");
  out.body =
      absl::StrCat(r.method, " ", r.path, " q=", r.query, " body=", r.body,
                   " x-test=", it == r.headers.end() ? "" : it->second);
  if (r.path == "/missing") out.status = 404;
  return out;
}

std::unique_ptr<HttpServer> StartEcho(HttpServerOptions options = {}) {
  auto server = HttpServer::Start("127.0.0.1:0", Echo, options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(DnstestsrvHttpServer, ServesPostWithBodyAndHeaders) {
  auto server = StartEcho();
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  Client c(server->address());
  ASSERT_TRUE(c.connected());
  c.Send(
      "POST /set-txt?a=b HTTP/1.1\r\nHost: x\r\nX-Test:  hello \r\n"
      "Content-Length: 5\r\n\r\nhello");
  std::string r = c.ReadResponse();
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(r, HasSubstr("Connection: keep-alive\r\n"));
  EXPECT_THAT(r,
              HasSubstr("\r\n\r\nPOST /set-txt q=a=b body=hello x-test=hello"));
}

TEST(DnstestsrvHttpServer, KeepAliveAndPipelining) {
  auto server = StartEcho();
  Client c(server->address());
  c.Send(
      "GET /one HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: "
      "2\r\n\r\nhi");
  EXPECT_THAT(c.ReadResponse(), HasSubstr("GET /one q= body="));
  EXPECT_THAT(c.ReadResponse(), HasSubstr("POST /two q= body=hi"));
  c.Send("GET /missing HTTP/1.1\r\n\r\n");
  EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 404 Not Found"));
}

TEST(DnstestsrvHttpServer, ClosesWhenAsked) {
  auto server = StartEcho();
  {
    Client c(server->address());
    c.Send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    EXPECT_THAT(c.ReadResponse(), HasSubstr("Connection: close"));
    EXPECT_TRUE(c.ReadEof());
  }
  {
    Client c(server->address());
    c.Send("GET / HTTP/1.0\r\n\r\n");
    EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 200"));
    EXPECT_TRUE(c.ReadEof());
  }
}

TEST(DnstestsrvHttpServer, ExpectContinueGetsInterimResponse) {
  auto server = StartEcho();
  Client c(server->address());
  c.Send(
      "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(c.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send("abc");
  EXPECT_THAT(c.ReadResponse(), HasSubstr("body=abc"));
}

struct BadRequestCase {
  std::string label;
  std::string request;
  int status;
};

class DnstestsrvHttpBadRequest
    : public ::testing::TestWithParam<BadRequestCase> {};

TEST_P(DnstestsrvHttpBadRequest, AnswersErrorAndCloses) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 100;
  auto server = StartEcho(options);
  Client c(server->address());
  c.Send(GetParam().request);
  EXPECT_THAT(c.ReadResponse(),
              StartsWith(absl::StrCat("HTTP/1.1 ", GetParam().status, " ")));
  EXPECT_TRUE(c.ReadEof());
  // The server is still fine.
  Client ok(server->address());
  ok.Send("GET /after HTTP/1.1\r\n\r\n");
  EXPECT_THAT(ok.ReadResponse(), HasSubstr("GET /after"));
}

INSTANTIATE_TEST_SUITE_P(
    Http, DnstestsrvHttpBadRequest,
    ::testing::Values(
        BadRequestCase{"garbage", "\x01\x02\xff garbage\r\n\r\n", 400},
        BadRequestCase{"no target", "GET\r\n\r\n", 400},
        BadRequestCase{"lowercase method", "get / HTTP/1.1\r\n\r\n", 400},
        BadRequestCase{"http2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                       505},
        BadRequestCase{"header without colon",
                       "GET / HTTP/1.1\r\nnocolon\r\n\r\n", 400},
        BadRequestCase{"space before colon",
                       "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
        BadRequestCase{"negative length",
                       "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
        BadRequestCase{"hex length",
                       "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400},
        BadRequestCase{"conflicting lengths",
                       "POST / HTTP/1.1\r\nContent-Length: "
                       "1\r\nContent-Length: 2\r\n\r\nab",
                       400},
        BadRequestCase{
            "chunked",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            501},
        BadRequestCase{"body too big",
                       "POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413},
        BadRequestCase{
            "head too big",
            "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n",
            431},
        BadRequestCase{"endless head",
                       "GET / HTTP/1.1\r\nX: " + std::string(3000, 'a'), 431}),
    [](const auto& info) {
      std::string name;
      for (char c : info.param.label) name.push_back(isalnum(c) ? c : '_');
      return name;
    });

TEST(DnstestsrvHttpServer, IdleConnectionsTimeOut) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(200);
  auto server = StartEcho(options);
  Client c(server->address());
  auto start = std::chrono::steady_clock::now();
  c.Send("GET / HTT");  // half a request, then silence
  EXPECT_TRUE(c.ReadEof());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(DnstestsrvHttpServer, ConnectionCapAnswers503) {
  HttpServerOptions options;
  options.max_connections = 1;
  options.evict_after = absl::Hours(1);  // the idle first one stays
  auto server = StartEcho(options);
  Client first(server->address());
  first.Send("GET /1 HTTP/1.1\r\n\r\n");
  EXPECT_THAT(first.ReadResponse(), HasSubstr("GET /1"));  // surely accepted
  Client second(server->address());
  EXPECT_THAT(second.ReadResponse(), StartsWith("HTTP/1.1 503"));
}

// Slowloris: bytes that keep trickling in do not reset the clock; the
// request must arrive whole within request_timeout.
TEST(DnstestsrvHttpServer, TrickledRequestIsCutAtTheRequestTimeout) {
  HttpServerOptions options;
  options.read_timeout = absl::Seconds(30);
  options.request_timeout = absl::Milliseconds(500);
  auto server = StartEcho(options);
  Client c(server->address());
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string head =
        "GET / HTTP/1.1\r\nX-Slow: " + std::string(400, 'a');
    for (size_t i = 0; i < head.size() && !stop; ++i) {
      if (send(c.fd(), &head[i], 1, MSG_NOSIGNAL) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ReadEof());
  // The trickle would go on for 20 s; the read timeout (30 s) never fires.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  stop = true;
  trickle.join();
}

// Slowloris at the connection cap: slow clients hold every slot, and a
// scrape still gets through, taking the slot of the slowest.
TEST(DnstestsrvHttpServer, SlowClientsAtTheCapDoNotBlockARequest) {
  HttpServerOptions options;
  options.max_connections = 4;
  options.evict_after = absl::Milliseconds(200);
  auto server = StartEcho(options);
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<Client>(server->address()));
    slow.back()->Send("GET / HTTP/1.1\r\nX-Slow: a");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < 3; ++i) {
    Client scrape(server->address());
    scrape.Send("GET /metrics HTTP/1.1\r\n\r\n");
    EXPECT_THAT(scrape.ReadResponse(), StartsWith("HTTP/1.1 200"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Another slow one takes the freed slot meanwhile.
    slow.push_back(std::make_unique<Client>(server->address()));
    slow.back()->Send("GET / HTTP/1.1\r\nX-Slow: a");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

TEST(DnstestsrvHttpServer, ShutdownEndsIdleConnectionsPromptly) {
  auto server = StartEcho();
  Client c(server->address());
  c.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 200"));
  auto start = std::chrono::steady_clock::now();
  server->Shutdown();
  server->Shutdown();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(c.ReadEof());
  Client late(server->address());
  EXPECT_FALSE(late.connected());  // the listening socket is closed
}

TEST(DnstestsrvHttpServer, ConcurrentHandlers) {
  std::atomic<int> calls{0};
  auto server = HttpServer::Start("127.0.0.1:0", [&](const HttpRequest&) {
    ++calls;
    return HttpResponse{200, "text/plain", "ok"};
  });
  ASSERT_TRUE(server.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Client c((*server)->address());
      for (int i = 0; i < 20; ++i) {
        c.Send("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        EXPECT_THAT(c.ReadResponse(), HasSubstr("\r\n\r\nok"));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 160);
}

TEST(DnstestsrvHttpServer, Ipv6LoopbackAndBadAddresses) {
  auto v6 = HttpServer::Start("[::1]:0", Echo);
  if (v6.ok()) {
    Client c((*v6)->address());
    c.Send("GET /six HTTP/1.1\r\n\r\n");
    EXPECT_THAT(c.ReadResponse(), HasSubstr("GET /six"));
    EXPECT_THAT((*v6)->address().ToString(), StartsWith("[::1]:"));
  }
  for (const char* bad : {"nonsense", "127.0.0.1", "127.0.0.1:99999", "[::1:80",
                          "example.com:80", "1:2:3"}) {
    EXPECT_FALSE(HttpServer::Start(bad, Echo).ok()) << bad;
  }
}

}  // namespace
}  // namespace acmeva::common
