// The chain operators run in production: VA -> Unbound (a real recursor) ->
// authoritative server (dnstestsrv). Unbound is started by the test on a
// loopback port with a stub zone pointing at dnstestsrv.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

class UnboundTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new VaStack();
    VaStackOptions dns_only;
    // Start dnstestsrv first; the VA comes after Unbound is up.
    ASSERT_TRUE(stack_->Start(dns_only).ok());
    unbound_port_ = FreePort(/*udp_too=*/true);
    const std::string dir = stack_->dir();
    // No validator: the test zones are unsigned and there is no network for
    // the root anchor. "test." is a built-in NXDOMAIN zone unless made
    // nodefault.
    auto unbound =
        StartLoopbackUnbound(dir, unbound_port_,
                             "  module-config: \"iterator\"\n"
                             "  local-zone: \"test.\" nodefault\n"
                             "  qname-minimisation: no\n"
                             "  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n"
                             "  infra-host-ttl: 2\n",
                             {{"test.", stack_->dns_port()}});
    ASSERT_TRUE(unbound.ok()) << unbound.status();
    unbound_ = new Process(*std::move(unbound));
    ASSERT_TRUE(stack_
                    ->StartVa({"--dns-tries=3", "--dns-timeout=1s"},
                              {absl::StrCat("127.0.0.1:", unbound_port_)})
                    .ok());
  }
  static void TearDownTestSuite() {
    delete unbound_;
    delete stack_;
  }

  static VaStack* stack_;
  static Process* unbound_;
  static int unbound_port_;
};

VaStack* UnboundTest::stack_ = nullptr;
Process* UnboundTest::unbound_ = nullptr;
int UnboundTest::unbound_port_ = 0;

TEST_F(UnboundTest, Dns01ThroughUnbound) {
  KeyAuthz k = MakeKeyAuthz(100);
  ASSERT_TRUE(
      stack_
          ->Dns("/set-txt",
                absl::StrCat("{\"host\":\"_acme-challenge.www.ok.test\","
                             "\"value\":\"",
                             k.txt, "\"}"))
          .ok());
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("www.ok.test", k.key_authorization, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  ASSERT_EQ(r.records_size(), 1);
  EXPECT_EQ(r.records(0).resolveraddrs(0),
            absl::StrCat("127.0.0.1:", unbound_port_));
  // Unbound asked the authoritative server on our behalf.
  EXPECT_GE(stack_->QueryCount("_acme-challenge.www.ok.test", "TXT"), 1);
}

TEST_F(UnboundTest, CaaDenyAndCnameThroughUnbound) {
  ASSERT_TRUE(stack_
                  ->Dns("/add-caa",
                        "{\"host\":\"deny.test\",\"policies\":[{\"tag\":"
                        "\"issue\",\"value\":\"other-ca.example\"}]}")
                  .ok());
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(stack_->DoCAA("www.deny.test", "dns-01", 1, &r).ok());
  EXPECT_EQ(r.problem().problemtype(), "caa");

  // CAA behind a CNAME: the recursor follows it (RFC 8659 §3).
  ASSERT_TRUE(stack_
                  ->Dns("/add-caa",
                        "{\"host\":\"target.test\",\"policies\":[{\"tag\":"
                        "\"issue\",\"value\":\"other-ca.example\"}]}")
                  .ok());
  ASSERT_TRUE(stack_
                  ->Dns("/set-cname",
                        "{\"host\":\"alias.test\",\"target\":\"target.test\"}")
                  .ok());
  ::va::IsCAAValidResponse c;
  ASSERT_TRUE(stack_->DoCAA("alias.test", "dns-01", 1, &c).ok());
  EXPECT_EQ(c.problem().problemtype(), "caa") << c.problem().detail();
}

TEST_F(UnboundTest, AuthoritativeServfailSurfacesAsTransientServfail) {
  ASSERT_TRUE(
      stack_->Dns("/set-servfail", "{\"host\":\"_acme-challenge.sf.test\"}")
          .ok());
  KeyAuthz k = MakeKeyAuthz(101);
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("sf.test", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().dnsoutcome(), "servfail");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_THAT(r.problem().detail(),
              HasSubstr("SERVFAIL looking up TXT for _acme-challenge.sf.test"));
}

TEST_F(UnboundTest, DeadAuthoritativeServerIsATransientDnsProblemInTime) {
  // The authoritative server drops every query for this name: Unbound keeps
  // trying upstream and gives no timely answer (or a late SERVFAIL), so the
  // VA's own bounded tries decide, well before the caller's deadline.
  ASSERT_TRUE(stack_
                  ->Dns("/set-fault",
                        "{\"host\":\"_acme-challenge.dead.test\",\"mode\":"
                        "\"drop\"}")
                  .ok());
  KeyAuthz k = MakeKeyAuthz(102);
  ::va::ValidationResult r;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(
      stack_->DoDCV("dead.test", k.key_authorization, &r, absl::Seconds(8))
          .ok());
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_THAT(r.problem().dnsoutcome(), AnyOf("timeout", "servfail"));
  EXPECT_THAT(r.problem().detail(),
              AnyOf(HasSubstr("query timed out looking up TXT for "
                              "_acme-challenge.dead.test"),
                    HasSubstr("SERVFAIL looking up TXT")));
  EXPECT_LT(took, absl::Seconds(8));
}

}  // namespace
}  // namespace acmeva::testing_harness
