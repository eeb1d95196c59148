// The DNSSEC canary against scripted DNS servers on loopback: one that
// validates (AD=1 for the signed name, SERVFAIL for the bogus one) and one
// that does not; the rotation the VA's resolver follows; failing closed.
#include "va/dns/dnssec_canary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "test/unit/fake_dns_server.h"
#include "va/dns/cares_resolver.h"
#include "va/dnssec_fail_closed.h"

namespace acmeva::va::dns {
namespace {

using testing::FakeDnsScript;
using testing::FakeDnsServer;

LookupResult Result(Outcome outcome, bool ad) {
  LookupResult r;
  r.outcome = outcome;
  r.authenticated_data = ad;
  return r;
}

TEST(JudgeCanaryTest, Table) {
  struct Case {
    std::string name;
    LookupResult signed_answer, bogus_answer;
    bool want;
    std::string reason_has;
  };
  const std::vector<Case> cases = {
      {"validating", Result(Outcome::kNoError, true),
       Result(Outcome::kServFail, false), true, ""},
      {"no AD on the signed name", Result(Outcome::kNoError, false),
       Result(Outcome::kServFail, false), false, "without AD=1"},
      {"bogus name answered", Result(Outcome::kNoError, true),
       Result(Outcome::kNoError, false), false, "forged answer"},
      {"bogus name NXDOMAIN", Result(Outcome::kNoError, true),
       Result(Outcome::kNxDomain, false), false, "nxdomain"},
      {"signed name timed out", Result(Outcome::kTimeout, false),
       Result(Outcome::kServFail, false), false, "timeout"},
      {"resolver SERVFAILs everything", Result(Outcome::kServFail, false),
       Result(Outcome::kServFail, false), false, "servfail"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CanaryVerdict v = JudgeCanary(c.signed_answer, c.bogus_answer);
    EXPECT_EQ(v.validating, c.want);
    EXPECT_THAT(v.reason, ::testing::HasSubstr(c.reason_has));
  }
}

TEST(ResolverHealthTest, KeepUsableDropsOnlyWhileOneIsLeft) {
  ResolverHealth health(3);
  RetryPolicy::ResolverList order = {2, 0, 1};
  health.KeepUsable(order);
  EXPECT_EQ(order, (RetryPolicy::ResolverList{2, 0, 1}));
  health.SetUsable(0, false);
  health.KeepUsable(order);
  EXPECT_EQ(order, (RetryPolicy::ResolverList{2, 1}));
  EXPECT_EQ(health.UsableCount(), 2u);
  health.SetUsable(1, false);
  health.SetUsable(2, false);
  order = {1, 2, 0};
  health.KeepUsable(order);  // none usable: left whole
  EXPECT_EQ(order, (RetryPolicy::ResolverList{1, 2, 0}));
  EXPECT_EQ(health.UsableCount(), 0u);
  health.SetUsable(7, true);  // out of range: ignored
  EXPECT_FALSE(health.Usable(7));
}

void ScriptValidating(FakeDnsServer& s) {
  FakeDnsScript ok;
  ok.ad = true;
  s.Set("signed.test", RRType::kA, ok);
  FakeDnsScript servfail;
  servfail.rcode = 2;
  s.Set("bogus.test", RRType::kA, servfail);
}

void ScriptNotValidating(FakeDnsServer& s) {
  FakeDnsScript plain;  // NOERROR, AD=0, for both
  s.Set("signed.test", RRType::kA, plain);
  s.Set("bogus.test", RRType::kA, plain);
}

class DnssecCanaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = FakeDnsServer::Start();
    auto b = FakeDnsServer::Start();
    ASSERT_TRUE(a.ok() && b.ok());
    validating_ = *std::move(a);
    plain_ = *std::move(b);
    ScriptValidating(*validating_);
    ScriptNotValidating(*plain_);
    FakeDnsScript txt;
    txt.txt = {{"hello"}};
    validating_->Set("x.test", RRType::kTXT, txt);
    plain_->Set("x.test", RRType::kTXT, txt);
  }

  std::unique_ptr<DnssecCanary> MakeCanary() {
    DnssecCanaryOptions o;
    o.servers = {validating_->address(), plain_->address()};
    o.signed_name = "signed.test";
    o.bogus_name = "bogus.test.";  // a trailing dot is fine
    o.timeout = absl::Seconds(10);
    auto c = DnssecCanary::Create(o, &metrics_);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  common::MetricsRegistry metrics_;
  std::unique_ptr<FakeDnsServer> validating_;
  std::unique_ptr<FakeDnsServer> plain_;
};

TEST_F(DnssecCanaryTest, NonValidatingResolverLeavesTheRotation) {
  std::unique_ptr<DnssecCanary> canary = MakeCanary();
  ASSERT_NE(canary, nullptr);
  std::atomic<int> reported{-1};
  canary->OnChecked([&](size_t n) { reported = static_cast<int>(n); });
  EXPECT_EQ(canary->CheckNow(), 1u);
  EXPECT_EQ(reported.load(), 1);
  EXPECT_TRUE(canary->health()->Usable(0));
  EXPECT_FALSE(canary->health()->Usable(1));
  const std::string rendered = metrics_.Render();
  EXPECT_THAT(rendered, ::testing::HasSubstr(absl::StrCat(
                            "dns_resolver_dnssec_validating{resolver=\"",
                            validating_->address(), "\"} 1")));
  EXPECT_THAT(rendered, ::testing::HasSubstr(absl::StrCat(
                            "dns_resolver_dnssec_validating{resolver=\"",
                            plain_->address(), "\"} 0")));
  EXPECT_FALSE(DnssecFailClosed(canary->health()).has_value());

  // The VA's resolver, following the canary's rotation, never asks the
  // non-validating server.
  CaresResolverOptions o;
  o.servers = {validating_->address(), plain_->address()};
  o.health = canary->health();
  auto resolver = CaresResolver::Create(o);
  ASSERT_TRUE(resolver.ok());
  for (int i = 0; i < 20; ++i) {
    absl::Notification done;
    LookupResult got;
    (*resolver)->Lookup(absl::StrCat("x.test"), RRType::kTXT,
                        absl::Now() + absl::Seconds(10), [&](LookupResult r) {
                          got = std::move(r);
                          done.Notify();
                        });
    done.WaitForNotification();
    EXPECT_TRUE(got.ok()) << OutcomeName(got.outcome);
  }
  EXPECT_EQ(validating_->query_count("x.test", RRType::kTXT), 20);
  EXPECT_EQ(plain_->query_count("x.test", RRType::kTXT), 0);
}

TEST_F(DnssecCanaryTest, NoValidatingResolverFailsClosedUntilOneRecovers) {
  std::unique_ptr<DnssecCanary> canary = MakeCanary();
  ASSERT_NE(canary, nullptr);
  ScriptNotValidating(*validating_);
  EXPECT_EQ(canary->CheckNow(), 0u);
  std::optional<Problem> closed = DnssecFailClosed(canary->health());
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->type, ProblemType::kServerInternal);
  EXPECT_TRUE(closed->transient);
  EXPECT_THAT(closed->detail, ::testing::HasSubstr("DNSSEC"));
  EXPECT_FALSE(DnssecFailClosed(nullptr).has_value());  // canary off

  ScriptValidating(*plain_);  // the other one starts validating
  EXPECT_EQ(canary->CheckNow(), 1u);
  EXPECT_FALSE(canary->health()->Usable(0));
  EXPECT_TRUE(canary->health()->Usable(1));
  EXPECT_FALSE(DnssecFailClosed(canary->health()).has_value());
}

TEST_F(DnssecCanaryTest, DeadResolverFailsTheCanary) {
  DnssecCanaryOptions o;
  o.servers = {FakeDnsServer::ClosedUdpAddress()};
  o.signed_name = "signed.test";
  o.bogus_name = "bogus.test";
  auto canary = DnssecCanary::Create(o, nullptr);
  ASSERT_TRUE(canary.ok());
  EXPECT_EQ((*canary)->CheckNow(), 0u);
}

TEST(DnssecCanaryOptionsTest, BadOptionsAreRefused) {
  DnssecCanaryOptions o;
  EXPECT_FALSE(DnssecCanary::Create(o, nullptr).ok());  // no servers
  o.servers = {"127.0.0.1:53"};
  o.signed_name = "a..b";
  EXPECT_FALSE(DnssecCanary::Create(o, nullptr).ok());
  o.signed_name = "ok.test";
  o.interval = absl::ZeroDuration();
  EXPECT_FALSE(DnssecCanary::Create(o, nullptr).ok());
  o.interval = absl::Minutes(1);
  o.servers = {"localhost:53"};
  EXPECT_FALSE(DnssecCanary::Create(o, nullptr).ok());
}

}  // namespace
}  // namespace acmeva::va::dns
