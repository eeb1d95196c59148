// RemotePerspectives over real gRPC on loopback, against remote VAs started
// in-process whose answers are scripted (pass, a problem, a delay, a wrong
// perspective or RIR), and a port nobody listens on.
#include "va/remote_perspectives.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/va.grpc.pb.h"
#include "test/unit/fake_resolver.h"
#include "va/dns01.h"
#include "va/service.h"

namespace acmeva::va {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kPrefix[] = "During secondary validation: ";
constexpr char kToken[] = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
constexpr char kKeyAuthz[] =
    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0."
    "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

// What a fake remote VA answers.
struct Script {
  std::optional<Problem> problem;               // none: pass
  absl::Duration delay = absl::ZeroDuration();  // before answering
  std::string reply_perspective;                // empty: its own
  std::string reply_rir;                        // empty: its own
};

Script Fail(Problem problem, absl::Duration delay = absl::ZeroDuration()) {
  Script s;
  s.problem = std::move(problem);
  s.delay = delay;
  return s;
}
Script Delay(absl::Duration delay) {
  Script s;
  s.delay = delay;
  return s;
}
Script ReplyAs(std::string perspective, std::string rir) {
  Script s;
  s.reply_perspective = std::move(perspective);
  s.reply_rir = std::move(rir);
  return s;
}

// A remote VA (va.VA and va.CAA) on a loopback port picked at run time.
class FakeRemoteVa {
 public:
  FakeRemoteVa(std::string perspective, std::string rir, Script script = {},
               std::shared_ptr<grpc::ServerCredentials> creds =
                   grpc::InsecureServerCredentials())
      : perspective_(std::move(perspective)),
        rir_(std::move(rir)),
        script_(std::move(script)),
        va_(this),
        caa_(this) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", creds, &port);
    builder.RegisterService(&va_);
    builder.RegisterService(&caa_);
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    EXPECT_GT(port, 0);
    address_ = "127.0.0.1:" + std::to_string(port);
  }

  ~FakeRemoteVa() {
    // Cancels calls still delayed; their threads then finish them.
    server_->Shutdown(std::chrono::system_clock::now());
    std::vector<std::thread> threads;
    {
      absl::MutexLock lock(&mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  RemoteVaConfig Config() const {
    RemoteVaConfig c;
    c.address = address_;
    c.perspective = perspective_;
    c.rir = rir_;
    return c;
  }
  const std::string& perspective() const { return perspective_; }
  int calls() const { return calls_.load(); }
  int cancellations() const { return cancellations_.load(); }
  std::vector<std::string> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  // Finishes after the scripted delay, or at once when cancelled.
  class Reactor : public grpc::ServerUnaryReactor {
   public:
    void OnCancel() override { cancelled_.Notify(); }
    void OnDone() override { delete this; }
    absl::Notification cancelled_;
  };

  template <typename Response>
  grpc::ServerUnaryReactor* Answer(const google::protobuf::Message& request,
                                   Response* response) {
    calls_.fetch_add(1);
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request.DebugString());
    }
    response->set_perspective(script_.reply_perspective.empty()
                                  ? perspective_
                                  : script_.reply_perspective);
    response->set_rir(script_.reply_rir.empty() ? rir_ : script_.reply_rir);
    if (script_.problem) ToProto(*script_.problem, response->mutable_problem());
    auto* reactor = new Reactor;
    if (script_.delay <= absl::ZeroDuration()) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    absl::MutexLock lock(&mu_);
    threads_.emplace_back([this, reactor, delay = script_.delay] {
      if (reactor->cancelled_.WaitForNotificationWithTimeout(delay)) {
        cancellations_.fetch_add(1);
      }
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

  class VaImpl : public ::va::VA::CallbackService {
   public:
    explicit VaImpl(FakeRemoteVa* fake) : fake_(fake) {}
    grpc::ServerUnaryReactor* DoDCV(grpc::CallbackServerContext*,
                                    const ::va::PerformValidationRequest* req,
                                    ::va::ValidationResult* resp) override {
      return fake_->Answer(*req, resp);
    }

   private:
    FakeRemoteVa* fake_;
  };

  class CaaImpl : public ::va::CAA::CallbackService {
   public:
    explicit CaaImpl(FakeRemoteVa* fake) : fake_(fake) {}
    grpc::ServerUnaryReactor* DoCAA(grpc::CallbackServerContext*,
                                    const ::va::IsCAAValidRequest* req,
                                    ::va::IsCAAValidResponse* resp) override {
      return fake_->Answer(*req, resp);
    }

   private:
    FakeRemoteVa* fake_;
  };

  const std::string perspective_;
  const std::string rir_;
  const Script script_;
  VaImpl va_;
  CaaImpl caa_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<int> calls_{0};
  std::atomic<int> cancellations_{0};
  mutable absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

// A loopback TCP port bound but never listened on: connections are refused.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() { close(fd_); }
  RemoteVaConfig Config(std::string perspective, std::string rir) const {
    RemoteVaConfig c;
    c.address = "127.0.0.1:" + std::to_string(port_);
    c.perspective = std::move(perspective);
    c.rir = std::move(rir);
    return c;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Records every call of a CorroborationDone.
struct Captured {
  absl::Mutex mu;
  int calls ABSL_GUARDED_BY(mu) = 0;
  std::optional<Problem> problem ABSL_GUARDED_BY(mu);
  absl::Time at ABSL_GUARDED_BY(mu);
  absl::Notification done;

  // Waits for the first call; the problem it carried.
  std::optional<Problem> Wait(absl::Duration timeout = absl::Seconds(10)) {
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(timeout))
        << "done was not called";
    absl::MutexLock lock(&mu);
    return problem;
  }
  int Calls() {
    absl::MutexLock lock(&mu);
    return calls;
  }
  absl::Time At() {
    absl::MutexLock lock(&mu);
    return at;
  }
};

CorroborationDone Capture(std::shared_ptr<Captured> c) {
  return [c](std::optional<Problem> problem) {
    absl::MutexLock lock(&c->mu);
    if (++c->calls == 1) {
      c->problem = std::move(problem);
      c->at = absl::Now();
      c->done.Notify();
    }
  };
}

::va::PerformValidationRequest DcvRequest() {
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("example.com");
  req.mutable_challenge()->set_type("dns-01");
  req.mutable_challenge()->set_token(kToken);
  req.mutable_authz()->set_id(7);
  req.mutable_authz()->set_regid(42);
  req.set_expectedkeyauthorization(kKeyAuthz);
  return req;
}

::va::IsCAAValidRequest CaaRequest() {
  ::va::IsCAAValidRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("example.com");
  req.set_validationmethod("dns-01");
  req.set_accounturiid(42);
  req.set_authzid(7);
  return req;
}

struct Options {
  absl::Duration remote_timeout = absl::Seconds(5);
  absl::Duration grace = absl::Milliseconds(100);
  int min_remotes = 3;
  common::MetricsRegistry* metrics = nullptr;
  common::TlsFiles tls = PlaintextTls();

  Options& Timeout(absl::Duration d) {
    remote_timeout = d;
    return *this;
  }
  Options& Grace(absl::Duration d) {
    grace = d;
    return *this;
  }
  Options& MinRemotes(int n) {
    min_remotes = n;
    return *this;
  }
  Options& Metrics(common::MetricsRegistry* m) {
    metrics = m;
    return *this;
  }
  Options& Tls(common::TlsFiles t) {
    tls = std::move(t);
    return *this;
  }

  static common::TlsFiles PlaintextTls() {
    common::TlsFiles tls;
    tls.plaintext = true;
    return tls;
  }
};

std::unique_ptr<RemotePerspectives> Make(std::vector<RemoteVaConfig> remotes,
                                         Options options = {}) {
  RemotePerspectivesConfig config;
  config.remotes = std::move(remotes);
  config.min_remote_perspectives = options.min_remotes;
  config.remote_timeout = options.remote_timeout;
  config.straggler_grace = options.grace;
  config.tls = options.tls;
  absl::StatusOr<std::unique_ptr<RemotePerspectives>> rp =
      RemotePerspectives::Create(std::move(config), options.metrics);
  EXPECT_TRUE(rp.ok()) << rp.status();
  return rp.ok() ? *std::move(rp) : nullptr;
}

std::vector<RemoteVaConfig> Configs(
    const std::vector<const FakeRemoteVa*>& fakes) {
  std::vector<RemoteVaConfig> out;
  for (const FakeRemoteVa* f : fakes) out.push_back(f->Config());
  return out;
}

// Polls `condition` until it holds or `timeout` passes; its last value.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(3)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// The quorum may pass before the last remote has even been reached; wait
// until it has, before destroying the corroborator cancels it.
bool AllAsked(const std::vector<const FakeRemoteVa*>& fakes) {
  return Eventually([&fakes] {
    for (const FakeRemoteVa* f : fakes) {
      if (f->calls() == 0) return false;
    }
    return true;
  });
}

Problem Unauthorized(std::string detail) {
  return UnauthorizedProblem(std::move(detail));
}

std::optional<Problem> RunDcv(RemotePerspectives& rp,
                              absl::Duration budget = absl::Seconds(10)) {
  auto c = std::make_shared<Captured>();
  rp.CorroborateDcv(DcvRequest(), absl::Now() + budget, Capture(c));
  return c->Wait();
}

TEST(RemotePerspectivesTest, AllPassSendsTheIdenticalRequestToEveryRemote) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"), c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  EXPECT_EQ(RunDcv(*rp), std::nullopt);
  EXPECT_TRUE(AllAsked({&a, &b, &c}));
  rp.reset();  // waits for every callback
  const std::string want = DcvRequest().DebugString();
  for (const FakeRemoteVa* f : {&a, &b, &c}) {
    EXPECT_THAT(f->requests(), ElementsAre(want)) << f->perspective();
  }
}

TEST(RemotePerspectivesTest, CaaAllPassGoesToTheCaaService) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"), c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  auto cap = std::make_shared<Captured>();
  rp->CorroborateCaa(CaaRequest(), absl::Now() + absl::Seconds(10),
                     Capture(cap));
  EXPECT_EQ(cap->Wait(), std::nullopt);
  EXPECT_TRUE(AllAsked({&a, &b, &c}));
  rp.reset();
  for (const FakeRemoteVa* f : {&a, &b, &c}) {
    EXPECT_THAT(f->requests(), ElementsAre(CaaRequest().DebugString()));
  }
}

TEST(RemotePerspectivesTest, OneOfThreeFailingStillPasses) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"),
      c("south", "APNIC", Fail(Unauthorized("Incorrect TXT record")));
  auto rp = Make(Configs({&a, &b, &c}));
  EXPECT_EQ(RunDcv(*rp), std::nullopt);
}

TEST(RemotePerspectivesTest, TwoOfThreeFailingReturnsTheFirstProblem) {
  // "west" answers later, so "east" is the first failure to arrive.
  FakeRemoteVa a("east", "ARIN",
                 Fail(Unauthorized("No TXT record found at "
                                   "_acme-challenge.example.com"))),
      b("west", "RIPE",
        Fail(Unauthorized("Incorrect TXT record \"x\""),
             absl::Milliseconds(200))),
      c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kUnauthorized);
  EXPECT_EQ(p->detail,
            std::string(kPrefix) +
                "No TXT record found at _acme-challenge.example.com");
  EXPECT_FALSE(p->transient);
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "west"));
}

TEST(RemotePerspectivesTest, ARemoteThatIsDownCountsAsAFailure) {
  DeadPort dead;
  FakeRemoteVa b("west", "RIPE"), c("south", "APNIC");
  {
    // One failure of three: still a pass.
    auto rp = Make({dead.Config("east", "ARIN"), b.Config(), c.Config()});
    EXPECT_EQ(RunDcv(*rp), std::nullopt);
  }
  // With a second failure (arriving later) the RPC error is the problem.
  FakeRemoteVa late(
      "late", "APNIC",
      Fail(Unauthorized("Incorrect TXT record"), absl::Milliseconds(300)));
  DeadPort dead2;
  auto rp = Make({dead2.Config("east", "ARIN"), b.Config(), late.Config()});
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kServerInternal);
  EXPECT_EQ(p->detail,
            std::string(kPrefix) + "Secondary validation RPC failed");
  EXPECT_TRUE(p->transient);
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "late"));
}

TEST(RemotePerspectivesTest, ARemoteSlowerThanItsTimeoutFailsByTheTimeout) {
  FakeRemoteVa a("east", "ARIN", Fail(Unauthorized("Incorrect TXT record"))),
      b("west", "RIPE"), slow("south", "APNIC", Delay(absl::Seconds(10)));
  std::vector<RemoteVaConfig> remotes = Configs({&a, &b, &slow});
  remotes[2].timeout = absl::Milliseconds(300);  // its own timeout
  auto rp = Make(remotes, Options().Timeout(absl::Seconds(15)));
  const absl::Time start = absl::Now();
  auto cap = std::make_shared<Captured>();
  rp->CorroborateDcv(DcvRequest(), start + absl::Seconds(20), Capture(cap));
  std::optional<Problem> p = cap->Wait();
  const absl::Duration took = cap->At() - start;
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kUnauthorized);  // the first to arrive
  EXPECT_EQ(p->detail, std::string(kPrefix) + "Incorrect TXT record");
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "south"));
}

TEST(RemotePerspectivesTest, TheCallersDeadlineBoundsEveryRemote) {
  FakeRemoteVa a("east", "ARIN", Fail(Unauthorized("Incorrect TXT record"))),
      b("west", "RIPE"), slow("south", "APNIC", Delay(absl::Seconds(10)));
  auto rp =
      Make(Configs({&a, &b, &slow}), Options().Timeout(absl::Seconds(15)));
  const absl::Time start = absl::Now();
  auto cap = std::make_shared<Captured>();
  rp->CorroborateDcv(DcvRequest(), start + absl::Milliseconds(400),
                     Capture(cap));
  std::optional<Problem> p = cap->Wait();
  const absl::Duration took = cap->At() - start;
  EXPECT_GE(took, absl::Milliseconds(350));
  EXPECT_LT(took, absl::Seconds(3));
  ASSERT_TRUE(p.has_value());
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "south"));
}

TEST(RemotePerspectivesTest, AReplyFromAnotherPerspectiveIsAMisconfiguration) {
  FakeRemoteVa liar("east", "ARIN", ReplyAs("impostor", "")), b("west", "RIPE"),
      late("south", "APNIC",
           Fail(Unauthorized("Incorrect TXT record"), absl::Milliseconds(300)));
  common::MetricsRegistry metrics;
  auto rp = Make(Configs({&liar, &b, &late}), Options().Metrics(&metrics));
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kServerInternal);
  EXPECT_EQ(p->detail, std::string(kPrefix) +
                           "Expected perspective \"east\" (\"ARIN\") but got "
                           "reply from \"impostor\" (\"ARIN\") - "
                           "misconfiguration likely");
  EXPECT_FALSE(p->transient);
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "south"));
  rp.reset();
  EXPECT_EQ(metrics.Counter("mpic_remote_results_total", "")
                ->Value({"east", "misconfigured"}),
            1);
}

TEST(RemotePerspectivesTest, AReplyFromAnotherRirIsAMisconfiguration) {
  FakeRemoteVa liar("east", "ARIN", ReplyAs("", "RIPE")), b("west", "RIPE"),
      c("south", "APNIC", Fail(Unauthorized("x")));
  auto rp = Make(Configs({&liar, &b, &c}));
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "south"));
  // Whichever failure came first, the lie is recognised as one.
  rp.reset();
  EXPECT_EQ(liar.calls(), 1);
}

TEST(RemotePerspectivesTest, ACaaProblemFromRemotesKeepsItsType) {
  const Problem caa = CaaProblem(
      "While processing CAA for example.com: CAA record for example.com "
      "prevents issuance");
  FakeRemoteVa a("east", "ARIN", Fail(caa)), b("west", "RIPE", Fail(caa)),
      c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  auto cap = std::make_shared<Captured>();
  rp->CorroborateCaa(CaaRequest(), absl::Now() + absl::Seconds(10),
                     Capture(cap));
  std::optional<Problem> p = cap->Wait();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kCaa);
  EXPECT_EQ(p->detail, std::string(kPrefix) + caa.detail);
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "west"));
}

TEST(RemotePerspectivesTest, ATransientDnsProblemStaysTransient) {
  dns::LookupResult timeout;
  timeout.name = "_acme-challenge.example.com";
  timeout.type = dns::RRType::kTXT;
  timeout.outcome = dns::Outcome::kTimeout;
  timeout.attempts = 3;
  timeout.resolver = "127.0.0.1:53";
  const Problem dns = DnsProblem(timeout);
  ASSERT_TRUE(dns.transient);
  FakeRemoteVa a("east", "ARIN", Fail(dns)), b("west", "RIPE", Fail(dns)),
      c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kDns);
  EXPECT_EQ(p->detail, std::string(kPrefix) +
                           "DNS problem: query timed out looking up TXT for "
                           "_acme-challenge.example.com");
  EXPECT_TRUE(p->transient);
  EXPECT_EQ(p->attempts, 3);
  EXPECT_EQ(p->dns_outcome, "timeout");
  EXPECT_EQ(p->query_name, "_acme-challenge.example.com");
  EXPECT_EQ(p->query_type, "TXT");
  EXPECT_EQ(p->resolver, "127.0.0.1:53");
  EXPECT_EQ(p->retry_after_seconds, dns.retry_after_seconds);
}

TEST(RemotePerspectivesTest, PassesAllInOneRirFailTheQuorum) {
  FakeRemoteVa a("east", "ARIN"), b("central", "ARIN"), c("west", "ARIN");
  auto rp = Make(Configs({&a, &b, &c}));
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kServerInternal);
  EXPECT_THAT(p->detail, StartsWith(kPrefix));
  EXPECT_THAT(p->detail, HasSubstr("span 1 RIR (ARIN)"));
  EXPECT_THAT(p->detail, HasSubstr("at least 2 distinct RIRs"));
  EXPECT_FALSE(p->transient);
  EXPECT_TRUE(p->failed_perspectives.empty());
}

TEST(RemotePerspectivesTest, RirRuleDecidesWithoutWaitingForAHopelessRemote) {
  // The count is met by two ARIN passes; the one left is ARIN too, so
  // nothing it says can help.
  FakeRemoteVa a("east", "ARIN"), b("central", "ARIN"),
      slow("west", "ARIN", Delay(absl::Seconds(10)));
  auto rp = Make(Configs({&a, &b, &slow}));
  const absl::Time start = absl::Now();
  std::optional<Problem> p = RunDcv(*rp);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(p.has_value());
  EXPECT_THAT(p->detail, HasSubstr("span 1 RIR (ARIN)"));
}

TEST(RemotePerspectivesTest, AnEarlyDecisionCancelsStragglersAfterGrace) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"),
      slow("south", "APNIC", Delay(absl::Seconds(10)));
  auto rp =
      Make(Configs({&a, &b, &slow}), Options().Grace(absl::Milliseconds(100)));
  const absl::Time start = absl::Now();
  auto cap = std::make_shared<Captured>();
  rp->CorroborateDcv(DcvRequest(), start + absl::Seconds(20), Capture(cap));
  EXPECT_EQ(cap->Wait(), std::nullopt);
  EXPECT_LT(cap->At() - start, absl::Seconds(2));
  // The straggler's server sees the cancellation well before its 10 s.
  const absl::Time give_up = absl::Now() + absl::Seconds(3);
  while (slow.cancellations() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(slow.cancellations(), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  rp.reset();
  EXPECT_EQ(cap->Calls(), 1);
}

TEST(RemotePerspectivesTest, AnEarlyFailureAlsoDoesNotWaitForStragglers) {
  FakeRemoteVa a("east", "ARIN", Fail(Unauthorized("one"))),
      b("west", "RIPE", Fail(Unauthorized("two"))),
      slow("south", "APNIC", Delay(absl::Seconds(10)));
  auto rp =
      Make(Configs({&a, &b, &slow}), Options().Grace(absl::ZeroDuration()));
  const absl::Time start = absl::Now();
  std::optional<Problem> p = RunDcv(*rp);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(p.has_value());
  EXPECT_THAT(p->failed_perspectives, UnorderedElementsAre("east", "west"));
}

TEST(RemotePerspectivesTest, TooFewRemotesIsAnInternalErrorOnEveryRequest) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE");
  common::MetricsRegistry metrics;
  auto rp = Make(Configs({&a, &b}), Options().Metrics(&metrics));
  for (int i = 0; i < 2; ++i) {
    std::optional<Problem> p = RunDcv(*rp);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->type, ProblemType::kServerInternal);
    EXPECT_EQ(p->detail, "Insufficient remote perspectives: need at least 3");
    EXPECT_FALSE(p->transient);
  }
  EXPECT_EQ(a.calls() + b.calls(), 0);
  EXPECT_EQ(
      metrics.Counter("mpic_quorum_total", "")->Value({"dcv", "insufficient"}),
      2);
  // The same two remotes are enough when the minimum allows it.
  auto two = Make(Configs({&a, &b}), Options().MinRemotes(2));
  EXPECT_EQ(RunDcv(*two), std::nullopt);
}

TEST(RemotePerspectivesTest, CountsResultsInMetrics) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"),
      c("south", "APNIC", Fail(Unauthorized("x")));
  DeadPort dead;
  common::MetricsRegistry metrics;
  auto rp =
      Make({a.Config(), b.Config(), c.Config(), dead.Config("north", "LACNIC")},
           Options().Grace(absl::Seconds(2)).Metrics(&metrics));
  // Four remotes allow one failure: two failures fail the quorum.
  std::optional<Problem> p = RunDcv(*rp);
  ASSERT_TRUE(p.has_value());
  common::MetricFamily* remote =
      metrics.Counter("mpic_remote_results_total", "");
  // The passes may still be on their way when the quorum has failed.
  EXPECT_TRUE(Eventually([remote] {
    return remote->Value({"east", "pass"}) + remote->Value({"west", "pass"}) ==
           2;
  }));
  rp.reset();
  EXPECT_EQ(remote->Value({"east", "pass"}), 1);
  EXPECT_EQ(remote->Value({"west", "pass"}), 1);
  EXPECT_EQ(remote->Value({"south", "problem"}), 1);
  EXPECT_EQ(remote->Value({"north", "rpc_error"}), 1);
  EXPECT_EQ(metrics.Counter("mpic_quorum_total", "")->Value({"dcv", "fail"}),
            1);
}

TEST(RemotePerspectivesTest, LogsOneQuorumSummaryPerRequest) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"),
      c("south", "APNIC", Fail(Unauthorized("x")));
  testing::internal::CaptureStderr();
  {
    auto rp = Make(Configs({&a, &b, &c}), Options().Grace(absl::Seconds(2)));
    EXPECT_EQ(RunDcv(*rp), std::nullopt);
  }  // every remote has reported once this returns
  const std::string err = testing::internal::GetCapturedStderr();
  std::vector<std::string> summaries;
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (absl::StrContains(line, "\"msg\":\"Quorum result\"")) {
      summaries.emplace_back(line);
    }
  }
  ASSERT_EQ(summaries.size(), 1u) << err;
  const std::string& s = summaries[0];
  EXPECT_THAT(s, HasSubstr("\"level\":\"audit\""));
  EXPECT_THAT(s, HasSubstr("\"kind\":\"dcv\""));
  EXPECT_THAT(s, HasSubstr("\"identifier\":\"example.com\""));
  EXPECT_THAT(s, HasSubstr("\"quorumResult\":\"2/3\""));
  EXPECT_THAT(s, HasSubstr("\"passedPerspectives\":[\"east\",\"west\"]"));
  EXPECT_THAT(s, HasSubstr("\"failedPerspectives\":[\"south\"]"));
  EXPECT_THAT(s, HasSubstr("\"passedRIRs\":[\"ARIN\",\"RIPE\"]"));
  EXPECT_THAT(s, HasSubstr("\"result\":\"pass\""));
}

TEST(RemotePerspectivesTest, DestroyingCancelsWhatIsInFlight) {
  FakeRemoteVa a("east", "ARIN", Delay(absl::Seconds(10))),
      b("west", "RIPE", Delay(absl::Seconds(10))),
      c("south", "APNIC", Delay(absl::Seconds(10)));
  auto rp = Make(Configs({&a, &b, &c}));
  auto cap = std::make_shared<Captured>();
  rp->CorroborateDcv(DcvRequest(), absl::Now() + absl::Seconds(20),
                     Capture(cap));
  // Let the calls reach the servers, then shut down.
  const absl::Time give_up = absl::Now() + absl::Seconds(3);
  while (a.calls() + b.calls() + c.calls() < 3 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Time start = absl::Now();
  rp.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(cap->done.HasBeenNotified());
  std::optional<Problem> p = cap->Wait();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->detail,
            std::string(kPrefix) + "Secondary validation RPC canceled");
  EXPECT_TRUE(p->transient);
  EXPECT_EQ(cap->Calls(), 1);
}

TEST(RemotePerspectivesTest, ManyConcurrentRequestsEachGetOneAnswer) {
  FakeRemoteVa a("east", "ARIN"),
      b("west", "RIPE", Delay(absl::Milliseconds(20))),
      c("south", "APNIC", Fail(Unauthorized("x")));
  auto rp = Make(Configs({&a, &b, &c}), Options().Grace(absl::Milliseconds(5)));
  std::vector<std::shared_ptr<Captured>> caps;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    std::vector<std::shared_ptr<Captured>> mine(10);
    for (auto& c : mine) c = std::make_shared<Captured>();
    caps.insert(caps.end(), mine.begin(), mine.end());
    callers.emplace_back([&rp, mine] {
      for (const auto& c : mine) {
        rp->CorroborateDcv(DcvRequest(), absl::Now() + absl::Seconds(10),
                           Capture(c));
      }
    });
  }
  for (std::thread& t : callers) t.join();
  for (const auto& c : caps) EXPECT_EQ(c->Wait(), std::nullopt);
  rp.reset();
  for (const auto& c : caps) EXPECT_EQ(c->Calls(), 1);
  EXPECT_EQ(a.calls(), 40);
}

TEST(RemotePerspectivesTest, CreateRejectsUnusableSettings) {
  RemotePerspectivesConfig config;
  config.tls.plaintext = true;
  config.min_remote_perspectives = 0;
  EXPECT_FALSE(RemotePerspectives::Create(config).ok());
  config.min_remote_perspectives = 3;
  config.remote_timeout = absl::ZeroDuration();
  EXPECT_FALSE(RemotePerspectives::Create(config).ok());
  config.remote_timeout = absl::Seconds(1);
  config.straggler_grace = -absl::Seconds(1);
  EXPECT_FALSE(RemotePerspectives::Create(config).ok());
  config.straggler_grace = absl::ZeroDuration();
  RemoteVaConfig r;
  r.address = "127.0.0.1:1";
  r.perspective = "east";
  r.rir = "ARIN";
  config.remotes = {r, r};
  EXPECT_FALSE(RemotePerspectives::Create(config).ok());
  config.remotes = {r};
  config.tls.plaintext = false;  // and no certificate files
  EXPECT_FALSE(RemotePerspectives::Create(config).ok());
}

// Mutual TLS with certificates from scripts/make-certs.sh; the servers'
// certificates name "remote-va", not 127.0.0.1, so the override is needed.
TEST(RemotePerspectivesTest, MutualTlsWithServerNameOverride) {
  char dir_template[] = "/tmp/mpic-tls-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string cmd = std::string("bash ") + MAKE_CERTS_SCRIPT + " " + dir +
                          " --server remote-va --client primary-va" +
                          " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  common::TlsFiles server_tls;
  server_tls.cert = dir + "/remote-va/cert.pem";
  server_tls.key = dir + "/remote-va/key.pem";
  server_tls.ca = dir + "/ca.pem";
  server_tls.allowed_client_names = {"primary-va"};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server_creds =
      common::MakeServerCredentials(server_tls);
  ASSERT_TRUE(server_creds.ok()) << server_creds.status();
  FakeRemoteVa a("east", "ARIN", {}, *server_creds),
      b("west", "RIPE", {}, *server_creds),
      c("south", "APNIC", {}, *server_creds);

  common::TlsFiles client_tls;
  client_tls.cert = dir + "/primary-va/cert.pem";
  client_tls.key = dir + "/primary-va/key.pem";
  client_tls.ca = dir + "/ca.pem";
  client_tls.server_name_override = "remote-va";
  {
    auto rp = Make(Configs({&a, &b, &c}), Options().Tls(client_tls));
    EXPECT_EQ(RunDcv(*rp), std::nullopt);
    EXPECT_TRUE(AllAsked({&a, &b, &c}));
  }
  EXPECT_EQ(a.calls() + b.calls() + c.calls(), 3);

  // Without the override the name check fails and nothing reaches a server.
  client_tls.server_name_override.clear();
  {
    auto rp = Make(Configs({&a, &b, &c}), Options().Tls(client_tls));
    std::optional<Problem> p = RunDcv(*rp);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->detail,
              std::string(kPrefix) + "Secondary validation RPC failed");
  }
  EXPECT_EQ(a.calls() + b.calls() + c.calls(), 3);
  std::system(("rm -rf " + dir).c_str());
}

// Through the real VA service: remotes are asked only after a local success,
// and their verdict becomes the service's answer.
class ServiceTest : public ::testing::Test {
 protected:
  void StartVa(Corroborator* corroborator) {
    ServiceDeps deps;
    deps.resolver = &resolver_;
    deps.corroborator = corroborator;
    deps.config.perspective = "Primary";
    deps.config.rir = "ARIN";
    va_ = std::make_unique<VaService>(deps);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(va_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = ::va::VA::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  ::va::ValidationResult Call() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    ::va::ValidationResult resp;
    grpc::Status s = stub_->DoDCV(&ctx, DcvRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  fakes::FakeResolver resolver_;
  std::unique_ptr<VaService> va_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<::va::VA::Stub> stub_;
};

TEST_F(ServiceTest, RemotesAreAskedOnlyAfterALocalSuccess) {
  FakeRemoteVa a("east", "ARIN"), b("west", "RIPE"), c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  StartVa(rp.get());

  // Local failure (no TXT record): the remotes are never asked.
  ::va::ValidationResult bad = Call();
  ASSERT_TRUE(bad.has_problem());
  EXPECT_EQ(bad.problem().problemtype(), "unauthorized");
  EXPECT_THAT(bad.problem().detail(), Not(HasSubstr(kPrefix)));
  EXPECT_EQ(a.calls() + b.calls() + c.calls(), 0);

  // Local success: every remote is asked and the quorum passes.
  resolver_.SetTxt("_acme-challenge.example.com", {Dns01Digest(kKeyAuthz)});
  ::va::ValidationResult good = Call();
  EXPECT_FALSE(good.has_problem()) << good.problem().detail();
  EXPECT_EQ(good.perspective(), "Primary");
  EXPECT_TRUE(AllAsked({&a, &b, &c}));
}

TEST_F(ServiceTest, ARemoteQuorumFailureBecomesTheServiceAnswer) {
  FakeRemoteVa a("east", "ARIN", Fail(Unauthorized("Incorrect TXT"))),
      b("west", "RIPE", Fail(Unauthorized("Incorrect TXT"))),
      c("south", "APNIC");
  auto rp = Make(Configs({&a, &b, &c}));
  StartVa(rp.get());
  resolver_.SetTxt("_acme-challenge.example.com", {Dns01Digest(kKeyAuthz)});
  ::va::ValidationResult resp = Call();
  ASSERT_TRUE(resp.has_problem());
  EXPECT_EQ(resp.problem().problemtype(), "unauthorized");
  EXPECT_EQ(resp.problem().detail(), std::string(kPrefix) + "Incorrect TXT");
  EXPECT_THAT(resp.problem().failedperspectives(),
              UnorderedElementsAre("east", "west"));
  EXPECT_EQ(resp.records_size(), 0);
}

}  // namespace
}  // namespace acmeva::va
