// dnstestsrv end to end over loopback: the DNS server on UDP and TCP, the
// management API over HTTP, faults as a client sees them (timeouts, TC and
// TCP fallback, delays that do not stall other queries), and `dig` as an
// independent client.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/http_server.h"
#include "dnstestsrv/dns_server.h"
#include "dnstestsrv/fault_table.h"
#include "dnstestsrv/management_api.h"
#include "dnstestsrv/record_store.h"
#include "dnstestsrv/request_history.h"
#include "dnstestsrv/responder.h"
#include "dnswire/message.h"

namespace acmeva::dnstestsrv {
namespace {

using ::acmeva::dnswire::AaaaRecord;
using ::acmeva::dnswire::BuildQuery;
using ::acmeva::dnswire::CaaRecord;
using ::acmeva::dnswire::kFormErr;
using ::acmeva::dnswire::kNoError;
using ::acmeva::dnswire::kNxDomain;
using ::acmeva::dnswire::kRefused;
using ::acmeva::dnswire::kServFail;
using ::acmeva::dnswire::ParsedMessage;
using ::acmeva::dnswire::ParsedRecord;
using ::acmeva::dnswire::ParseMessage;
using ::acmeva::dnswire::RRType;
using ::acmeva::dnswire::TxtRecord;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

// One UDP exchange; nullopt when nothing arrives within `timeout_ms`.
std::optional<Bytes> UdpExchange(const common::SocketAddress& server,
                                 const Bytes& query, int timeout_ms = 2000) {
  int fd = socket(server.family(), SOCK_DGRAM, 0);
  sendto(fd, query.data(), query.size(), 0, server.addr(), server.length);
  pollfd p = {fd, POLLIN, 0};
  std::optional<Bytes> out;
  if (poll(&p, 1, timeout_ms) == 1) {
    Bytes buf(65535);
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      out = std::move(buf);
    }
  }
  close(fd);
  return out;
}

// A DNS-over-TCP connection (RFC 7766 framing).
class TcpClient {
 public:
  explicit TcpClient(const common::SocketAddress& server) {
    fd_ = socket(server.family(), SOCK_STREAM, 0);
    connected_ = connect(fd_, server.addr(), server.length) == 0;
  }
  ~TcpClient() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(const Bytes& query) {
    Bytes framed = {static_cast<uint8_t>(query.size() >> 8),
                    static_cast<uint8_t>(query.size())};
    framed.insert(framed.end(), query.begin(), query.end());
    ASSERT_EQ(send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(framed.size()));
  }
  std::optional<Bytes> Receive(int timeout_ms = 2000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      if (buffer_.size() >= 2) {
        size_t length = static_cast<size_t>(buffer_[0] << 8 | buffer_[1]);
        if (buffer_.size() >= 2 + length) {
          Bytes out(buffer_.begin() + 2,
                    buffer_.begin() + 2 + static_cast<long>(length));
          buffer_.erase(buffer_.begin(),
                        buffer_.begin() + 2 + static_cast<long>(length));
          return out;
        }
      }
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                Clock::now())
              .count());
      pollfd p = {fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, left) != 1) return std::nullopt;
      uint8_t chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return std::nullopt;
      buffer_.insert(buffer_.end(), chunk, chunk + n);
    }
  }
  std::optional<Bytes> Exchange(const Bytes& query, int timeout_ms = 2000) {
    Send(query);
    return Receive(timeout_ms);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  Bytes buffer_;
};

ParsedMessage Parse(const std::optional<Bytes>& bytes) {
  EXPECT_TRUE(bytes.has_value());
  if (!bytes) return {};
  absl::StatusOr<ParsedMessage> m = ParseMessage(bytes->data(), bytes->size());
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : ParsedMessage{};
}

std::vector<std::string> TxtValues(const ParsedMessage& m) {
  std::vector<std::string> out;
  for (const ParsedRecord& rr : m.answers) {
    if (rr.type != RRType::kTXT) continue;
    std::string joined;
    for (const std::string& s : std::get<TxtRecord>(*rr.data).strings)
      joined += s;
    out.push_back(joined);
  }
  return out;
}

// POSTs over a fresh connection; returns {status, body}.
std::pair<int, std::string> HttpPost(const common::SocketAddress& server,
                                     absl::string_view path,
                                     absl::string_view body) {
  int fd = socket(server.family(), SOCK_STREAM, 0);
  timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, server.addr(), server.length) != 0) {
    close(fd);
    return {0, "connect failed"};
  }
  std::string request =
      absl::StrCat("POST ", path,
                   " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                   "Content-Type: application/json\r\nContent-Length: ",
                   body.size(), "\r\n\r\n", body);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
    response.append(buf, static_cast<size_t>(n));
  close(fd);
  int status = 0;
  if (response.size() > 12) status = std::atoi(response.substr(9, 3).c_str());
  size_t body_at = response.find("\r\n\r\n");
  return {status,
          body_at == std::string::npos ? "" : response.substr(body_at + 4)};
}

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start("127.0.0.1:0"); }

  void Start(const std::string& address) {
    history_ = std::make_unique<RequestHistory>(1000);
    responder_ = std::make_unique<Responder>(&store_, &faults_, history_.get());
    api_ = std::make_unique<ManagementApi>(&store_, &faults_, history_.get(),
                                           false);
    DnsServerOptions options;
    options.address = address;
    options.udp_threads = 2;
    options.tcp_idle_timeout = absl::Seconds(5);
    auto dns = DnsServer::Start(options, responder_.get());
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    auto http = common::HttpServer::Start(
        "127.0.0.1:0",
        [this](const common::HttpRequest& r) { return api_->Handle(r); });
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = *std::move(http);
  }

  void TearDown() override {
    if (http_) http_->Shutdown();
    if (dns_) dns_->Shutdown();
  }

  int Post(absl::string_view path, absl::string_view body) {
    return HttpPost(http_->address(), path, body).first;
  }

  RecordStore store_;
  FaultTable faults_{99};
  std::unique_ptr<RequestHistory> history_;
  std::unique_ptr<Responder> responder_;
  std::unique_ptr<ManagementApi> api_;
  std::unique_ptr<DnsServer> dns_;
  std::unique_ptr<common::HttpServer> http_;
};

TEST_F(DnsServerTest, ApiSetRecordsAreServedOverUdpAndTcp) {
  ASSERT_EQ(Post("/set-txt",
                 R"({"host":"_acme-challenge.example.test.","value":"tok"})"),
            200);
  ASSERT_EQ(
      Post(
          "/add-caa",
          R"({"host":"example.test","policies":[{"tag":"issue","value":"ca.example"}]})"),
      200);
  ParsedMessage udp = Parse(
      UdpExchange(dns_->address(),
                  BuildQuery(1, "_ACME-challenge.example.test", RRType::kTXT)));
  EXPECT_EQ(udp.header.id, 1);
  EXPECT_TRUE(udp.header.aa);
  EXPECT_THAT(TxtValues(udp), ElementsAre("tok"));

  TcpClient tcp(dns_->address());
  ASSERT_TRUE(tcp.connected());
  ParsedMessage caa =
      Parse(tcp.Exchange(BuildQuery(2, "example.test", RRType::kCAA)));
  ASSERT_EQ(caa.answers.size(), 1u);
  EXPECT_EQ(std::get<CaaRecord>(*caa.answers[0].data).value, "ca.example");
  // The same connection serves more queries.
  ParsedMessage again =
      Parse(tcp.Exchange(BuildQuery(3, "nothing.example.test", RRType::kTXT)));
  EXPECT_EQ(again.header.rcode, kNoError);
  EXPECT_THAT(again.answers, IsEmpty());
  ASSERT_EQ(again.authority.size(), 1u);
  EXPECT_EQ(again.authority[0].type, RRType::kSOA);

  ASSERT_EQ(Post("/clear-txt", R"({"host":"_acme-challenge.example.test"})"),
            200);
  udp = Parse(
      UdpExchange(dns_->address(),
                  BuildQuery(4, "_acme-challenge.example.test", RRType::kTXT)));
  EXPECT_THAT(udp.answers, IsEmpty());

  auto [status, history] =
      HttpPost(http_->address(), "/dns-request-history",
               R"({"host":"_acme-challenge.example.test"})");
  EXPECT_EQ(status, 200);
  EXPECT_THAT(history, HasSubstr(R"("transport":"udp")"));
  EXPECT_THAT(history, HasSubstr(R"("Qtype":16)"));
  auto [tcp_status, tcp_history] = HttpPost(
      http_->address(), "/dns-request-history", R"({"host":"example.test"})");
  EXPECT_THAT(tcp_history, HasSubstr(R"("transport":"tcp")"));
}

TEST_F(DnsServerTest, BadApiInputIs400WithMessage) {
  auto [status, body] =
      HttpPost(http_->address(), "/set-txt", "{\"host\": \"x.test\", ");
  EXPECT_EQ(status, 400);
  EXPECT_THAT(body, HasSubstr("invalid JSON"));
  std::tie(status, body) =
      HttpPost(http_->address(), "/add-a", R"({"host":"x.test"})");
  EXPECT_EQ(status, 400);
  EXPECT_THAT(body, HasSubstr("\"addresses\""));
  std::tie(status, body) = HttpPost(http_->address(), "/nope", "{}");
  EXPECT_EQ(status, 404);
}

TEST_F(DnsServerTest, TruncateFaultFallsBackToTcp) {
  ASSERT_EQ(Post("/set-txt", R"({"host":"tc.test","value":"full answer"})"),
            200);
  ASSERT_EQ(Post("/set-fault", R"({"host":"tc.test","mode":"truncate"})"), 200);
  ParsedMessage udp = Parse(
      UdpExchange(dns_->address(), BuildQuery(5, "tc.test", RRType::kTXT)));
  EXPECT_TRUE(udp.header.tc);
  EXPECT_THAT(udp.answers, IsEmpty());
  TcpClient tcp(dns_->address());
  ParsedMessage full =
      Parse(tcp.Exchange(BuildQuery(6, "tc.test", RRType::kTXT)));
  EXPECT_FALSE(full.header.tc);
  EXPECT_THAT(TxtValues(full), ElementsAre("full answer"));
}

TEST_F(DnsServerTest, LargeAnswerTruncatesOverUdpOnly) {
  std::string value(3000, 'v');  // 12 character-strings, > 1232 octets
  ASSERT_EQ(Post("/set-txt", absl::StrCat(R"({"host":"big.test","value":")",
                                          value, R"("})")),
            200);
  ParsedMessage udp =
      Parse(UdpExchange(dns_->address(), BuildQuery(7, "big.test", RRType::kTXT,
                                                    {.edns_udp_size = 4096})));
  EXPECT_TRUE(udp.header.tc);
  TcpClient tcp(dns_->address());
  ParsedMessage full =
      Parse(tcp.Exchange(BuildQuery(8, "big.test", RRType::kTXT)));
  EXPECT_THAT(TxtValues(full), ElementsAre(value));
}

// `dig` retries over TCP on TC=1 by itself: an independent client check.
TEST_F(DnsServerTest, DigFollowsTruncationToTcp) {
  if (access("/usr/bin/dig", X_OK) != 0) GTEST_SKIP() << "dig not installed";
  ASSERT_EQ(Post("/set-txt",
                 R"({"host":"_acme-challenge.dig.test","value":"via-tcp"})"),
            200);
  ASSERT_EQ(Post("/set-fault",
                 R"({"host":"_acme-challenge.dig.test","mode":"truncate"})"),
            200);
  std::string cmd =
      absl::StrCat("/usr/bin/dig +tries=1 +time=3 -p ", dns_->port(),
                   " @127.0.0.1 TXT _acme-challenge.dig.test 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  pclose(pipe);
  EXPECT_THAT(out, HasSubstr("Truncated, retrying in TCP mode"));
  EXPECT_THAT(out, HasSubstr("\"via-tcp\""));
  EXPECT_THAT(out, HasSubstr("status: NOERROR"));
  std::vector<RequestEvent> events = history_->Get("_acme-challenge.dig.test");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].transport, Transport::kUdp);
  EXPECT_EQ(events[0].fault, "truncate");
  EXPECT_EQ(events[1].transport, Transport::kTcp);
}

TEST_F(DnsServerTest, DelayDoesNotStallOtherQueries) {
  ASSERT_EQ(Post("/add-a", R"({"host":"slow.test","addresses":["192.0.2.7"]})"),
            200);
  ASSERT_EQ(Post("/add-a", R"({"host":"fast.test","addresses":["192.0.2.8"]})"),
            200);
  ASSERT_EQ(Post("/set-fault",
                 R"({"host":"slow.test","mode":"delay","delay_ms":400})"),
            200);
  auto start = Clock::now();
  std::optional<Bytes> slow;
  std::thread slow_thread([&] {
    slow = UdpExchange(dns_->address(), BuildQuery(9, "slow.test", RRType::kA),
                       3000);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto fast_start = Clock::now();
  ParsedMessage fast = Parse(
      UdpExchange(dns_->address(), BuildQuery(10, "fast.test", RRType::kA)));
  EXPECT_LT(Clock::now() - fast_start, std::chrono::milliseconds(200));
  EXPECT_EQ(fast.answers.size(), 1u);
  slow_thread.join();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(400));
  ParsedMessage slow_answer = Parse(slow);
  EXPECT_EQ(slow_answer.answers.size(), 1u);
  // Over TCP the delay applies too.
  TcpClient tcp(dns_->address());
  auto tcp_start = Clock::now();
  ParsedMessage tcp_answer =
      Parse(tcp.Exchange(BuildQuery(11, "slow.test", RRType::kA)));
  EXPECT_GE(Clock::now() - tcp_start, std::chrono::milliseconds(400));
  EXPECT_EQ(tcp_answer.answers.size(), 1u);
}

TEST_F(DnsServerTest, DropWithCountTimesOutThenAnswers) {
  ASSERT_EQ(Post("/set-txt", R"({"host":"drop.test","value":"eventually"})"),
            200);
  ASSERT_EQ(
      Post("/set-fault",
           R"({"host":"drop.test","type":"TXT","mode":"drop","count":2})"),
      200);
  EXPECT_FALSE(UdpExchange(dns_->address(),
                           BuildQuery(12, "drop.test", RRType::kTXT), 300));
  TcpClient tcp(dns_->address());
  EXPECT_FALSE(tcp.Exchange(BuildQuery(13, "drop.test", RRType::kTXT), 300));
  // Both drops used up: the same TCP connection now gets the answer.
  ParsedMessage m =
      Parse(tcp.Exchange(BuildQuery(14, "drop.test", RRType::kTXT)));
  EXPECT_EQ(m.header.id, 14);
  EXPECT_THAT(TxtValues(m), ElementsAre("eventually"));
  // Other types were never affected.
  EXPECT_TRUE(UdpExchange(dns_->address(),
                          BuildQuery(15, "drop.test", RRType::kCAA), 2000));
}

TEST_F(DnsServerTest, RcodeFaultsAndFlags) {
  struct Case {
    std::string body;
    uint8_t rcode;
  };
  const Case cases[] = {
      {R"({"host":"f.test","mode":"servfail","count":1})", kServFail},
      {R"({"host":"f.test","mode":"refused","count":1})", kRefused},
      {R"({"host":"f.test","mode":"nxdomain","count":1})", kNxDomain},
  };
  for (const Case& c : cases) {
    ASSERT_EQ(Post("/set-fault", c.body), 200);
    ParsedMessage m = Parse(
        UdpExchange(dns_->address(), BuildQuery(16, "f.test", RRType::kCAA)));
    EXPECT_EQ(m.header.rcode, c.rcode) << c.body;
  }
  ASSERT_EQ(Post("/set-servfail", R"({"host":"sf.test"})"), 200);
  EXPECT_EQ(Parse(UdpExchange(dns_->address(),
                              BuildQuery(17, "sf.test", RRType::kTXT)))
                .header.rcode,
            kServFail);
  ASSERT_EQ(Post("/clear-servfail", R"({"host":"sf.test"})"), 200);
  EXPECT_EQ(Parse(UdpExchange(dns_->address(),
                              BuildQuery(18, "sf.test", RRType::kTXT)))
                .header.rcode,
            kNoError);
  ASSERT_EQ(Post("/set-nxdomain", R"({"host":"nx.test"})"), 200);
  EXPECT_EQ(Parse(UdpExchange(dns_->address(),
                              BuildQuery(19, "nx.test", RRType::kTXT)))
                .header.rcode,
            kNxDomain);
  ASSERT_EQ(Post("/add-caa", R"({"host":"ad.test","ad":true,)"
                             R"("policies":[{"tag":"issue","value":"ca"}]})"),
            200);
  ParsedMessage ad = Parse(
      UdpExchange(dns_->address(), BuildQuery(20, "ad.test", RRType::kCAA)));
  EXPECT_TRUE(ad.header.ad);
  EXPECT_TRUE(ad.header.rd);  // copied from the query
}

TEST_F(DnsServerTest, GarbageIsSurvivedAndMalformedGetsFormerr) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  std::mt19937 rng(5);
  for (int i = 0; i < 500; ++i) {
    Bytes junk(rng() % 600);
    for (uint8_t& b : junk) b = static_cast<uint8_t>(rng());
    if (junk.size() > 2) junk[2] &= 0x7F;  // mostly "queries"
    sendto(fd, junk.data(), junk.size(), 0, dns_->address().addr(),
           dns_->address().length);
  }
  close(fd);
  Bytes bad = {0x0B, 0xAD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'x'};
  ParsedMessage formerr = Parse(UdpExchange(dns_->address(), bad));
  EXPECT_EQ(formerr.header.id, 0x0BAD);
  EXPECT_EQ(formerr.header.rcode, kFormErr);
  // Garbage over TCP: a frame with junk, then a good query on a new one.
  {
    TcpClient tcp(dns_->address());
    tcp.Send(Bytes{1, 2, 3});
    EXPECT_FALSE(tcp.Receive(200).has_value());
  }
  ASSERT_EQ(
      Post("/add-a", R"({"host":"alive.test","addresses":["192.0.2.9"]})"),
      200);
  EXPECT_EQ(Parse(UdpExchange(dns_->address(),
                              BuildQuery(21, "alive.test", RRType::kA)))
                .answers.size(),
            1u);
  TcpClient tcp(dns_->address());
  EXPECT_EQ(Parse(tcp.Exchange(BuildQuery(22, "alive.test", RRType::kA)))
                .answers.size(),
            1u);
}

TEST_F(DnsServerTest, ManyQueriesInABurst) {
  ASSERT_EQ(
      Post("/add-a", R"({"host":"burst.test","addresses":["192.0.2.1"]})"),
      200);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int buffer = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  connect(fd, dns_->address().addr(), dns_->address().length);
  const int kQueries = 500;
  for (int i = 0; i < kQueries; ++i) {
    Bytes q = BuildQuery(static_cast<uint16_t>(i), "burst.test", RRType::kA);
    send(fd, q.data(), q.size(), 0);
  }
  std::vector<bool> seen(kQueries);
  int answered = 0;
  pollfd p = {fd, POLLIN, 0};
  while (answered < kQueries && poll(&p, 1, 2000) == 1) {
    Bytes buf(512);
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    auto m = ParseMessage(buf.data(), static_cast<size_t>(n));
    ASSERT_TRUE(m.ok());
    if (!seen[m->header.id]) ++answered;
    seen[m->header.id] = true;
  }
  close(fd);
  EXPECT_EQ(answered, kQueries);
}

TEST_F(DnsServerTest, ShutdownIsPromptWithPendingWork) {
  ASSERT_EQ(Post("/set-fault",
                 R"({"host":"never.test","mode":"delay","delay_ms":60000})"),
            200);
  Bytes q = BuildQuery(23, "never.test", RRType::kA);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(fd, q.data(), q.size(), 0, dns_->address().addr(),
         dns_->address().length);
  TcpClient idle(dns_->address());
  TcpClient delayed(dns_->address());
  delayed.Send(q);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = Clock::now();
  dns_->Shutdown();
  http_->Shutdown();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  close(fd);
}

TEST(DnsServerIpv6, ServesOnIpv6Loopback) {
  RecordStore store;
  FaultTable faults;
  Responder responder(&store, &faults, nullptr);
  store.AddAaaa("six.test",
                AaaaRecord{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}});
  DnsServerOptions options;
  options.address = "[::1]:0";
  auto dns = DnsServer::Start(options, &responder);
  if (!dns.ok()) GTEST_SKIP() << "no IPv6 loopback: " << dns.status();
  ParsedMessage m = Parse(
      UdpExchange((*dns)->address(), BuildQuery(1, "six.test", RRType::kAAAA)));
  ASSERT_EQ(m.answers.size(), 1u);
  TcpClient tcp((*dns)->address());
  EXPECT_EQ(Parse(tcp.Exchange(BuildQuery(2, "six.test", RRType::kAAAA)))
                .answers.size(),
            1u);
}

TEST(DnsServerAddress, RejectsBadAddresses) {
  RecordStore store;
  FaultTable faults;
  Responder responder(&store, &faults, nullptr);
  DnsServerOptions options;
  options.address = "not-an-ip:53";
  EXPECT_FALSE(DnsServer::Start(options, &responder).ok());
}

}  // namespace
}  // namespace acmeva::dnstestsrv
