// A malformed reply (one we cannot parse) is retried on the next resolver,
// under the retry policy's cap for malformed replies: CaresResolver over
// real UDP sockets on loopback against FakeDnsServer.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "test/unit/fake_dns_server.h"
#include "va/dns/cares_resolver.h"

namespace acmeva::va::dns {
namespace {

using ::acmeva::va::dns::testing::FakeDnsScript;
using ::acmeva::va::dns::testing::FakeDnsServer;

std::unique_ptr<FakeDnsServer> StartServer() {
  absl::StatusOr<std::unique_ptr<FakeDnsServer>> server =
      FakeDnsServer::Start();
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// The defaults, with short backoffs so the binary stays fast, and the fixed
// 1 s try timeout: the RTT-based one can be 100 ms on loopback, which a
// loaded machine running the sanitized suite can stall past, turning a good
// answer into a timeout and the counts below into noise.
std::unique_ptr<CaresResolver> MakeResolver(std::vector<std::string> servers) {
  CaresResolverOptions o;
  o.servers = std::move(servers);
  o.rtt.enabled = false;
  o.retry.backoff_base = absl::Milliseconds(5);
  o.retry.backoff_cap = absl::Milliseconds(20);
  absl::StatusOr<std::unique_ptr<CaresResolver>> r =
      CaresResolver::Create(std::move(o));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : nullptr;
}

LookupResult LookupAndWait(Resolver& resolver, const std::string& name,
                           RRType type) {
  absl::Notification done;
  LookupResult out;
  resolver.Lookup(name, type, absl::Now() + absl::Seconds(5),
                  [&](LookupResult r) {
                    out = std::move(r);
                    done.Notify();
                  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(8)));
  return out;
}

TEST(DnsMalformedRetryTest, GarbledOnceThenGoodAnswerSucceedsOnTheRetry) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.malformed_first = 1;
  script.txt = {{"token-value"}};
  server->Set("_acme-challenge.once.test", RRType::kTXT, script);
  FakeDnsScript caa;
  caa.malformed_first = 1;
  caa.caa = {CaaRecord{0, "issue", "letsencrypt.org"}};
  server->Set("once.test", RRType::kCAA, caa);
  auto resolver = MakeResolver({server->address()});
  ASSERT_NE(resolver, nullptr);

  LookupResult txt =
      LookupAndWait(*resolver, "_acme-challenge.once.test", RRType::kTXT);
  EXPECT_EQ(txt.outcome, Outcome::kNoError) << OutcomeName(txt.outcome);
  EXPECT_EQ(txt.attempts, 2);
  EXPECT_EQ(txt.txt, std::vector<std::string>{"token-value"});
  EXPECT_EQ(server->query_count("_acme-challenge.once.test", RRType::kTXT), 2);

  LookupResult r = LookupAndWait(*resolver, "once.test", RRType::kCAA);
  EXPECT_EQ(r.outcome, Outcome::kNoError) << OutcomeName(r.outcome);
  EXPECT_EQ(r.attempts, 2);
  ASSERT_EQ(r.caa.size(), 1u);
  EXPECT_EQ(r.caa[0].value, "letsencrypt.org");
}

// A reply that is always malformed (a zone serving broken RDATA) costs
// max_malformed_tries (3) fast tries, not max_tries (10), and stays
// transient.
TEST(DnsMalformedRetryTest, AlwaysMalformedStopsAtTheMalformedCap) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.action = FakeDnsScript::Action::kMalformed;
  server->Set("broken.test", RRType::kCAA, script);
  auto resolver = MakeResolver({server->address()});
  ASSERT_NE(resolver, nullptr);

  LookupResult r = LookupAndWait(*resolver, "broken.test", RRType::kCAA);
  EXPECT_EQ(r.outcome, Outcome::kMalformed) << OutcomeName(r.outcome);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(server->query_count("broken.test", RRType::kCAA), 3);
  EXPECT_TRUE(IsTransient(r.outcome));
  // Three tries to one resolver, spaced by the minimal try (100 ms).
  EXPECT_LT(r.elapsed, absl::Seconds(1));
}

// One of two resolvers garbles every reply: the retry goes to the other
// one, and no lookup asks the broken one twice.
TEST(DnsMalformedRetryTest, RetriedOnTheOtherResolver) {
  auto broken = StartServer();
  auto good = StartServer();
  ASSERT_NE(broken, nullptr);
  ASSERT_NE(good, nullptr);
  FakeDnsScript garbled;
  garbled.action = FakeDnsScript::Action::kMalformed;
  broken->SetDefault(garbled);
  FakeDnsScript answer;
  answer.txt = {{"v"}};
  good->SetDefault(answer);
  auto resolver = MakeResolver({broken->address(), good->address()});
  ASSERT_NE(resolver, nullptr);

  std::set<int> attempts_seen;
  for (int i = 0; i < 12; ++i) {
    const std::string name = absl::StrCat("n", i, ".test");
    LookupResult r = LookupAndWait(*resolver, name, RRType::kTXT);
    EXPECT_EQ(r.outcome, Outcome::kNoError) << name;
    EXPECT_EQ(r.resolver, good->address()) << name;
    EXPECT_EQ(r.txt, std::vector<std::string>{"v"}) << name;
    EXPECT_EQ(r.attempts, 1 + broken->query_count(name, RRType::kTXT)) << name;
    EXPECT_LE(broken->query_count(name, RRType::kTXT), 1) << name;
    attempts_seen.insert(r.attempts);
  }
  // The first resolver is random: with 12 lookups both orders showed up
  // (a 1 in 2048 chance that they did not).
  EXPECT_EQ(attempts_seen, (std::set<int>{1, 2}));
}

}  // namespace
}  // namespace acmeva::va::dns
