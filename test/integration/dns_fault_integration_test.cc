// The VA process against a hostile DNS server (UDP and TCP on loopback, in
// this test): answers with the wrong ID, the wrong question, from the wrong
// source port, with malformed TXT or CAA data, oversized or garbage packets,
// and broken TCP fallbacks. For each the VA must give a clear `dns` problem,
// or ignore the bad packet and use the legitimate answer; it must never say
// valid (or permit CAA) on the strength of a bad packet, and never crash.
//
// Each test uses its own name; the server picks its behaviour from the label
// after "_acme-challenge." (TXT) or the first label (CAA).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dnswire/message.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;

bool ReadFull(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

void WriteFull(int fd, const std::vector<uint8_t>& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t r = ::write(fd, data.data() + off, data.size() - off);
    if (r <= 0) return;
    off += static_cast<size_t>(r);
  }
}

std::vector<uint8_t> WithLengthPrefix(const std::vector<uint8_t>& msg) {
  std::vector<uint8_t> out = {static_cast<uint8_t>(msg.size() >> 8),
                              static_cast<uint8_t>(msg.size())};
  out.insert(out.end(), msg.begin(), msg.end());
  return out;
}

// Bytes that are not a DNS message, except that they start with `id` so the
// client gets as far as matching them to its query.
std::vector<uint8_t> Garbage(uint16_t id, size_t size) {
  std::vector<uint8_t> out(size);
  uint32_t x = 0x9e3779b9u;
  for (uint8_t& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  out[0] = static_cast<uint8_t>(id >> 8);
  out[1] = static_cast<uint8_t>(id);
  out[2] |= 0x80;  // QR
  return out;
}

// A UDP+TCP DNS server on one loopback port whose answers are chosen per
// name to be hostile. Every TXT answer that is not "legit" carries the
// correct digest, so accepting it would turn into a false "valid".
class HostileDns {
 public:
  ~HostileDns() { Stop(); }

  absl::Status Start() {
    for (int i = 0; i < 50 && port_ == 0; ++i) {
      udp_ = BindLoopback(SOCK_DGRAM, 0, /*reuse_addr=*/true);
      if (udp_ < 0) continue;
      tcp_ = BindLoopback(SOCK_STREAM, LocalPort(udp_), /*reuse_addr=*/true);
      if (tcp_ < 0) {
        ::close(udp_);
        continue;
      }
      port_ = LocalPort(udp_);
    }
    if (port_ == 0 || ::listen(tcp_, 16) != 0) {
      return absl::InternalError("cannot bind the hostile DNS server");
    }
    spoof_ = BindLoopback(SOCK_DGRAM, 0,
                          /*reuse_addr=*/true);  // another port on 127.0.0.1
    if (spoof_ < 0) return absl::InternalError("cannot bind spoof socket");
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : {udp_, tcp_, spoof_}) {
      if (fd >= 0) ::close(fd);
    }
    udp_ = tcp_ = spoof_ = -1;
  }

  std::string addr() const { return absl::StrCat("127.0.0.1:", port_); }

  // The digest a legitimate answer for `mode` carries (and every hostile
  // one too).
  void SetDigest(const std::string& mode, const std::string& digest) {
    std::lock_guard<std::mutex> lock(mu_);
    digests_[mode] = digest;
  }

  int Queries(const std::string& mode, const std::string& transport) {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_[mode + "/" + transport];
  }

 private:
  struct Reply {
    std::vector<uint8_t> bytes;
    bool from_spoof_port = false;
  };

  // "_acme-challenge.<mode>.fault.example" or "<mode>.fault.example".
  static std::string ModeOf(const dnswire::Query& q) {
    std::vector<std::string> labels = absl::StrSplit(q.qname, '.');
    if (labels.size() < 3) return "";
    if (labels[0] == "_acme-challenge") return labels[1];
    return labels.size() == 3 ? labels[0] : "";
  }

  std::string DigestFor(const std::string& mode) {
    std::lock_guard<std::mutex> lock(mu_);
    return digests_[mode];
  }

  // The answer a correct server would give: the digest as TXT, or for CAA
  // an "issue" for letsencrypt.org at mode names and nothing above them.
  static std::vector<uint8_t> Legit(const dnswire::Query& q,
                                    const std::string& txt,
                                    bool caa_record = true) {
    dnswire::Response r;
    if (q.qtype == dnswire::RRType::kTXT && !txt.empty()) {
      r.answers.push_back({q.qname, 60, dnswire::TxtRecord{{txt}}});
    } else if (q.qtype == dnswire::RRType::kCAA && caa_record) {
      r.answers.push_back(
          {q.qname, 60, dnswire::CaaRecord{0, "issue", "letsencrypt.org"}});
    }
    return dnswire::BuildResponse(q, r, 65535);
  }

  static std::vector<uint8_t> WrongId(dnswire::Query q,
                                      const std::string& txt) {
    q.header.id ^= 0x5a5a;
    return Legit(q, txt);
  }

  // Replies (in order) for one query; transport is "udp" or "tcp".
  std::vector<Reply> Respond(const dnswire::Query& q,
                             const std::string& transport) {
    const std::string mode = ModeOf(q);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_[mode + "/" + transport];
    }
    const std::string good = DigestFor(mode);
    const bool udp = transport == "udp";
    dnswire::Response empty;
    // Names above the mode name (CAA walks to the TLD): no CAA there.
    if (mode.empty()) return {{dnswire::BuildResponse(q, empty, 65535)}};

    if (mode == "legit") return {{Legit(q, good)}};
    if (mode == "wrongid") return {{WrongId(q, good)}};
    if (mode == "wrongidthenlegitbad") {
      return {{WrongId(q, good)}, {Legit(q, "bad-value")}};
    }
    if (mode == "wrongidthenlegit") {
      return {{WrongId(q, "bad-value")}, {Legit(q, good)}};
    }
    if (mode == "wrongname") {
      dnswire::Query other = q;
      other.qname = "_acme-challenge.other.fault.example";
      return {{Legit(other, good)}};
    }
    if (mode == "wrongtype") {
      dnswire::Query other = q;
      other.qtype = dnswire::RRType::kA;
      dnswire::Response r;
      r.answers.push_back({q.qname, 60, dnswire::TxtRecord{{good}}});
      return {{dnswire::BuildResponse(other, r, 65535)}};
    }
    if (mode == "spoofport") return {{Legit(q, good), true}};
    if (mode == "spoofportthenlegitbad") {
      return {{Legit(q, good), true}, {Legit(q, "bad-value")}};
    }
    if (mode == "garbage") return {{Garbage(q.header.id, 300)}};
    if (mode == "garbagethenlegit") {
      return {{Garbage(q.header.id, 300)}, {Legit(q, good)}};
    }
    if (mode == "oversized") {
      // Over UDP: far over the EDNS size the VA advertised (and over
      // c-ares' buffer), carrying the digest. It must not be used as is:
      // the client asks again over TCP, which here says something else.
      if (!udp) return {{Legit(q, "bad-value")}};
      dnswire::Response r;
      r.answers.push_back({q.qname, 60, dnswire::TxtRecord{{good}}});
      for (int i = 0; i < 60; ++i) {
        r.answers.push_back(
            {q.qname, 60, dnswire::TxtRecord{{std::string(250, 'p')}}});
      }
      return {{dnswire::BuildResponse(q, r, 65535)}};
    }
    if (mode == "malformedtxt") {
      // The TXT character-string length runs past its RDATA.
      std::vector<uint8_t> m = Legit(q, good);
      const size_t opt = q.has_edns ? 11 : 0;
      m[m.size() - opt - good.size() - 1] = 200;
      return {{m}};
    }
    if (mode == "malformedcaa") {
      // The CAA tag length runs past the RDATA.
      std::vector<uint8_t> m = Legit(q, good);
      const size_t opt = q.has_edns ? 11 : 0;
      if (q.qtype == dnswire::RRType::kCAA) {
        m[m.size() - opt - std::string("issueletsencrypt.org").size() - 1] =
            250;
      }
      return {{m}};
    }
    if (mode == "caawrongid") {
      // The only answer says "no CAA" (would permit), with the wrong ID.
      dnswire::Query other = q;
      other.header.id ^= 0x5a5a;
      return {{dnswire::BuildResponse(other, empty, 65535)}};
    }
    if (mode == "caaspoofpermit") {
      // Spoofed "no CAA" first, then the real forbidding set.
      dnswire::Response forbid;
      forbid.answers.push_back(
          {q.qname, 60, dnswire::CaaRecord{0, "issue", "other-ca.example"}});
      return {{dnswire::BuildResponse(q, empty, 65535), true},
              {dnswire::BuildResponse(q, forbid, 65535)}};
    }
    // TCP fallback modes: over UDP, a truncated legit answer.
    if (udp && mode.rfind("tc", 0) == 0) {
      dnswire::Response tc;
      tc.tc = true;
      return {{dnswire::BuildResponse(q, tc, 65535)}};
    }
    if (mode == "tclegit") return {{Legit(q, good)}};
    if (mode == "tcgarbage") return {{Garbage(q.header.id, 200)}};
    if (mode == "tcwrongid") return {{WrongId(q, good)}};
    if (mode == "tcclose") return {};  // the connection is closed
    return {{dnswire::BuildErrorResponse(q.header, dnswire::kRefused)}};
  }

  void Loop() {
    std::vector<int> conns;
    while (!stop_) {
      std::vector<pollfd> fds = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      for (int c : conns) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) ServeUdp();
      std::vector<int> still_open;
      if (fds[1].revents & POLLIN) {
        const int c = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) still_open.push_back(c);
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        const int c = fds[i].fd;
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !ServeTcp(c)) {
          ::close(c);
        } else {
          still_open.push_back(c);
        }
      }
      conns = std::move(still_open);
    }
    for (int c : conns) ::close(c);
  }

  void ServeUdp() {
    uint8_t buf[4096];
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    const ssize_t n = ::recvfrom(udp_, buf, sizeof(buf), 0,
                                 reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) return;
    auto q = dnswire::ParseQuery(buf, static_cast<size_t>(n));
    if (!q.ok()) return;
    for (const Reply& r : Respond(*q, "udp")) {
      ::sendto(r.from_spoof_port ? spoof_ : udp_, r.bytes.data(),
               r.bytes.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      // Keep the order visible to the client.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Serves one length-prefixed query; false closes the connection.
  bool ServeTcp(int c) {
    uint8_t len_buf[2];
    if (!ReadFull(c, len_buf, 2)) return false;
    std::vector<uint8_t> msg(static_cast<size_t>(len_buf[0] << 8 | len_buf[1]));
    if (!ReadFull(c, msg.data(), msg.size())) return false;
    auto q = dnswire::ParseQuery(msg.data(), msg.size());
    if (!q.ok()) return false;
    const std::vector<Reply> replies = Respond(*q, "tcp");
    if (replies.empty()) return false;
    for (const Reply& r : replies) WriteFull(c, WithLengthPrefix(r.bytes));
    return true;
  }

  int udp_ = -1, tcp_ = -1, spoof_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::string> digests_;
  std::map<std::string, int> counts_;
};

class DnsFaultIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dns_ = new HostileDns();
    absl::Status s = dns_->Start();
    ASSERT_TRUE(s.ok()) << s;
    stack_ = new VaStack();
    VaStackOptions options;
    options.start_dns = false;
    options.resolvers = {dns_->addr()};
    // Two short tries: a hostile answer that is ignored costs a timeout.
    options.va_flags = {"--dns-tries=2", "--dns-timeout=300ms",
                        "--dns-adaptive-timeout=false",
                        "--dns-backoff-base=10ms", "--dns-backoff-cap=20ms"};
    s = stack_->Start(options);
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete stack_;
    delete dns_;
  }

  void TearDown() override {
    ASSERT_TRUE(stack_->va().Running()) << "the VA died:\n"
                                        << stack_->va().Log();
  }

  // DoDCV for <mode>.fault.example whose correct TXT the server knows.
  static ::va::ValidationResult Dcv(const std::string& mode, int seed) {
    const KeyAuthz k = MakeKeyAuthz(seed);
    dns_->SetDigest(mode, k.txt);
    ::va::ValidationResult r;
    grpc::Status s = stack_->DoDCV(absl::StrCat(mode, ".fault.example"),
                                   k.key_authorization, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  }

  static ::va::IsCAAValidResponse Caa(const std::string& mode) {
    ::va::IsCAAValidResponse r;
    grpc::Status s =
        stack_->DoCAA(absl::StrCat(mode, ".fault.example"), "dns-01", 1, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  }

  // `outcome` is the structured dnsOutcome a `dns` problem must carry.
  static void ExpectNotValid(const ::va::ValidationResult& r,
                             const std::string& type,
                             const std::string& outcome = "") {
    ASSERT_TRUE(r.has_problem()) << "VALID from a hostile answer";
    EXPECT_EQ(r.records_size(), 0);
    EXPECT_EQ(r.problem().problemtype(), type) << r.problem().detail();
    EXPECT_THAT(r.problem().detail(), HasSubstr("_acme-challenge."));
    if (!outcome.empty()) {
      EXPECT_EQ(r.problem().dnsoutcome(), outcome) << r.problem().detail();
      EXPECT_TRUE(r.problem().transient());
      // Timeouts, network errors and malformed answers are all retried
      // (--dns-tries=2; malformed ones up to max_malformed_tries, 3).
      EXPECT_EQ(r.problem().attempts(), 2);
      EXPECT_EQ(r.problem().querytype(), "TXT");
    }
  }

  static HostileDns* dns_;
  static VaStack* stack_;
};

HostileDns* DnsFaultIntegrationTest::dns_ = nullptr;
VaStack* DnsFaultIntegrationTest::stack_ = nullptr;

TEST_F(DnsFaultIntegrationTest, LegitimateAnswerIsValid) {
  const ::va::ValidationResult r = Dcv("legit", 1);
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  ASSERT_EQ(r.records_size(), 1);
  EXPECT_EQ(r.records(0).hostname(), "legit.fault.example");
}

TEST_F(DnsFaultIntegrationTest, WrongIdIsIgnoredAndTimesOut) {
  const ::va::ValidationResult r = Dcv("wrongid", 2);
  ExpectNotValid(r, "dns", "timeout");
  EXPECT_THAT(r.problem().detail(), HasSubstr("timed out"));
  EXPECT_EQ(dns_->Queries("wrongid", "udp"), 2) << "both tries were sent";
}

TEST_F(DnsFaultIntegrationTest, WrongIdBeforeLegitimateAnswerIsIgnored) {
  // The forged packet carries the right digest, the real one a wrong value.
  const ::va::ValidationResult bad = Dcv("wrongidthenlegitbad", 3);
  ExpectNotValid(bad, "unauthorized");
  EXPECT_THAT(bad.problem().detail(), HasSubstr("\"bad-value\""));
  // And the other way round: the legitimate answer is used.
  const ::va::ValidationResult good = Dcv("wrongidthenlegit", 4);
  EXPECT_FALSE(good.has_problem()) << good.problem().detail();
}

TEST_F(DnsFaultIntegrationTest, AnswerToAnotherQuestionIsIgnored) {
  ExpectNotValid(Dcv("wrongname", 5), "dns", "timeout");
  ExpectNotValid(Dcv("wrongtype", 6), "dns", "timeout");
}

TEST_F(DnsFaultIntegrationTest, AnswerFromAnotherSourcePortIsIgnored) {
  const ::va::ValidationResult r = Dcv("spoofport", 7);
  ExpectNotValid(r, "dns", "timeout");
  EXPECT_THAT(r.problem().detail(), HasSubstr("timed out"));
  // With a real answer after the spoofed one, the real one decides.
  const ::va::ValidationResult bad = Dcv("spoofportthenlegitbad", 8);
  ExpectNotValid(bad, "unauthorized");
  EXPECT_THAT(bad.problem().detail(), HasSubstr("\"bad-value\""));
}

TEST_F(DnsFaultIntegrationTest, GarbageIsIgnored) {
  ExpectNotValid(Dcv("garbage", 9), "dns", "timeout");
  const ::va::ValidationResult r = Dcv("garbagethenlegit", 10);
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
}

TEST_F(DnsFaultIntegrationTest, OversizedUdpAnswerIsNotTrusted) {
  const ::va::ValidationResult r = Dcv("oversized", 11);
  ExpectNotValid(r, "unauthorized");
  EXPECT_THAT(r.problem().detail(), HasSubstr("\"bad-value\""));
  EXPECT_GE(dns_->Queries("oversized", "tcp"), 1);
}

TEST_F(DnsFaultIntegrationTest, MalformedTxtIsADnsProblem) {
  // The packet is the real server's (right ID, question and port), so it
  // is not ignored but refused: malformed, and never read for the digest.
  ExpectNotValid(Dcv("malformedtxt", 12), "dns", "malformed");
}

TEST_F(DnsFaultIntegrationTest, TruncatedUdpFallsBackToTcp) {
  const ::va::ValidationResult r = Dcv("tclegit", 13);
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  EXPECT_GE(dns_->Queries("tclegit", "tcp"), 1);
}

TEST_F(DnsFaultIntegrationTest, BrokenTcpFallbackIsADnsProblem) {
  const std::pair<const char*, const char*> cases[] = {{"tcgarbage", "timeout"},
                                                       {"tcwrongid", "timeout"},
                                                       {"tcclose", "network"}};
  for (const auto& [mode, outcome] : cases) {
    SCOPED_TRACE(mode);
    ExpectNotValid(Dcv(mode, 14), "dns", outcome);
    EXPECT_GE(dns_->Queries(mode, "tcp"), 1) << "no TCP fallback";
  }
}

TEST_F(DnsFaultIntegrationTest, MalformedCaaFailsClosed) {
  const ::va::IsCAAValidResponse r = Caa("malformedcaa");
  ASSERT_TRUE(r.has_problem()) << "CAA permitted despite a malformed answer";
  EXPECT_EQ(r.problem().problemtype(), "dns") << r.problem().detail();
  EXPECT_EQ(r.problem().dnsoutcome(), "malformed");
  EXPECT_EQ(r.problem().querytype(), "CAA");
  EXPECT_THAT(r.problem().detail(), HasSubstr("malformedcaa.fault.example"));
}

TEST_F(DnsFaultIntegrationTest, CaaAnswerWithWrongIdFailsClosed) {
  const ::va::IsCAAValidResponse r = Caa("caawrongid");
  ASSERT_TRUE(r.has_problem()) << "CAA permitted from a forged answer";
  EXPECT_EQ(r.problem().problemtype(), "dns") << r.problem().detail();
  EXPECT_EQ(r.problem().dnsoutcome(), "timeout");
}

TEST_F(DnsFaultIntegrationTest, SpoofedPermissiveCaaIsIgnored) {
  const ::va::IsCAAValidResponse r = Caa("caaspoofpermit");
  ASSERT_TRUE(r.has_problem()) << "CAA permitted from a spoofed answer";
  EXPECT_EQ(r.problem().problemtype(), "caa") << r.problem().detail();
}

TEST_F(DnsFaultIntegrationTest, StillServesAfterwards) {
  const ::va::ValidationResult r = Dcv("legit", 99);
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  const ::va::IsCAAValidResponse caa = Caa("legit");
  EXPECT_FALSE(caa.has_problem()) << caa.problem().detail();
}

}  // namespace
}  // namespace acmeva::testing_harness
