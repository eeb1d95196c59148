// --dns-timeout is a promise (issue 12): a resolver that is slow but
// healthy never turns into "query timed out". The VA process against
// dnstestsrv's `delay` fault, over real sockets and in real time, with the
// answer-time estimate trained on fast answers first (a light background
// load of fast CAA checks keeps it there): the estimate may send extra
// (hedged) tries, but no try is abandoned before its full timeout and the
// first answer from any of them is used.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;

// The try timeout of every test here; delays are chosen against it.
constexpr char kTimeoutFlag[] = "--dns-timeout=1s";
// Deadline of every call: the tries' full time plus headroom for a loaded
// machine.
constexpr absl::Duration kCallDeadline = absl::Seconds(10);

// The value of one sample line of /metrics (`series` as printed, labels
// included), or -1.
double MetricValue(const std::string& body, const std::string& series) {
  const std::string needle = "\n" + series + " ";
  const size_t at = body.find(needle);
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + needle.size()));
}

// "attempts" of the audit line for `identifier` (the last one), or -1.
int AuditAttempts(const std::string& log, const std::string& identifier) {
  const std::regex line(
      absl::StrCat("\"identifier\":\"", identifier,
                   "\"[^\\n]*?\"result\":\"valid\",\"attempts\":([0-9]+)"));
  int attempts = -1;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end;
       ++it) {
    attempts = std::stoi((*it)[1]);
  }
  return attempts;
}

// Fast CAA checks in the background, about 50 a second, as on a VA under
// light load: every one is a fast answer for the estimator.
class BackgroundLoad {
 public:
  explicit BackgroundLoad(VaStack* stack) {
    thread_ = std::thread([this, stack] {
      while (!stop_) {
        ::va::IsCAAValidResponse r;
        grpc::Status s = stack->DoCAA("load.hedge.example", "dns-01", 1, &r);
        if (s.ok() && !r.has_problem()) ++valid_;
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
  }
  ~BackgroundLoad() {
    stop_ = true;
    thread_.join();
  }
  int valid() const { return valid_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> valid_{0};
  std::thread thread_;
};

void Delay(VaStack& stack, const std::string& host, const std::string& type,
           int delay_ms) {
  absl::Status s = stack.Dns(
      "/set-fault",
      absl::StrCat("{\"host\":\"", host, "\",\"type\":\"", type,
                   "\",\"mode\":\"delay\",\"delay_ms\":", delay_ms, "}"));
  ASSERT_TRUE(s.ok()) << s;
}

// Trains the VA's estimates for TXT and CAA with fast answers.
void Warm(VaStack& stack) {
  KeyAuthz k = MakeKeyAuthz(7000);
  ASSERT_TRUE(stack
                  .Dns("/set-txt", absl::StrCat("{\"host\":\"_acme-challenge."
                                                "warm.hedge.example\","
                                                "\"value\":\"",
                                                k.txt, "\"}"))
                  .ok());
  for (int i = 0; i < 20; ++i) {
    ::va::ValidationResult r;
    ASSERT_TRUE(
        stack.DoDCV("warm.hedge.example", k.key_authorization, &r).ok());
    ASSERT_FALSE(r.has_problem()) << r.problem().detail();
    ::va::IsCAAValidResponse c;
    ASSERT_TRUE(stack.DoCAA("warm.hedge.example", "dns-01", 1, &c).ok());
    ASSERT_FALSE(c.has_problem()) << c.problem().detail();
  }
}

// ---- the delay matrix: --dns-tries x delays x lookups ----

enum class Check { kDcv, kCaa, kCaaTld };

std::string CheckName(Check check) {
  switch (check) {
    case Check::kDcv:
      return "DoDCV";
    case Check::kCaa:
      return "DoCAA";
    case Check::kCaaTld:
      return "DoCAA(TLD)";
  }
  return "";
}

class DelayMatrixTest : public ::testing::TestWithParam<int> {};

TEST_P(DelayMatrixTest, SlowButHealthyResolverIsValid) {
  const int tries = GetParam();
  VaStack stack;
  VaStackOptions options;
  options.va_flags = {kTimeoutFlag, absl::StrCat("--dns-tries=", tries)};
  ASSERT_TRUE(stack.Start(options).ok());
  ASSERT_NO_FATAL_FAILURE(Warm(stack));
  BackgroundLoad load(&stack);

  int n = 0;
  for (int delay_ms : {150, 300, 600, 900}) {
    for (Check check : {Check::kDcv, Check::kCaa, Check::kCaaTld}) {
      ++n;
      SCOPED_TRACE(absl::StrCat(CheckName(check), ", --dns-tries ", tries,
                                ", answers delayed ", delay_ms, " ms"));
      const std::string label = absl::StrCat("d", delay_ms, "n", n);
      const absl::Time start = absl::Now();
      int attempts = -1;
      // Lookups the check makes (CAA walks up to the TLD).
      int lookups = 1;
      if (check == Check::kDcv) {
        const std::string name = absl::StrCat(label, ".hedge.example");
        const std::string qname = "_acme-challenge." + name;
        KeyAuthz k = MakeKeyAuthz(7100 + n);
        ASSERT_TRUE(
            stack
                .Dns("/set-txt", absl::StrCat("{\"host\":\"", qname,
                                              "\",\"value\":\"", k.txt, "\"}"))
                .ok());
        Delay(stack, qname, "TXT", delay_ms);
        ::va::ValidationResult r;
        ASSERT_TRUE(
            stack.DoDCV(name, k.key_authorization, &r, kCallDeadline).ok());
        ASSERT_FALSE(r.has_problem()) << r.problem().detail();
        ASSERT_EQ(r.records_size(), 1);
        attempts = r.records(0).attempts();
        EXPECT_EQ(stack.QueryCount(qname, "TXT"), attempts);
      } else {
        // Non-TLD: the identifier's own CAA set is delayed; TLD: the
        // identifier has none and the lookup for its TLD is delayed.
        const std::string tld = absl::StrCat("hedge", label);
        const std::string name = absl::StrCat("www.", tld);
        const std::string delayed = check == Check::kCaa ? name : tld;
        if (check == Check::kCaa) {
          ASSERT_TRUE(
              stack
                  .Dns("/add-caa", absl::StrCat("{\"host\":\"", name,
                                                "\",\"policies\":[{\"tag\":"
                                                "\"issue\",\"value\":"
                                                "\"letsencrypt.org\"}]}"))
                  .ok());
        }
        Delay(stack, delayed, "CAA", delay_ms);
        lookups = 2;
        ::va::IsCAAValidResponse r;
        ASSERT_TRUE(stack.DoCAA(name, "dns-01", 1, &r, kCallDeadline).ok());
        ASSERT_FALSE(r.has_problem()) << r.problem().detail();
        attempts = AuditAttempts(stack.va().Log(), name);
        // The tries of both lookups (the name and its TLD), as sent.
        EXPECT_EQ(attempts,
                  stack.QueryCount(name, "CAA") + stack.QueryCount(tld, "CAA"));
      }
      // The problem-free result says how many tries were sent: at least
      // one per lookup, at most --dns-tries per lookup.
      EXPECT_GE(attempts, lookups);
      EXPECT_LE(attempts, lookups * tries);
      EXPECT_LT(absl::Now() - start, kCallDeadline);
    }
  }
  EXPECT_GT(load.valid(), 0);
  // Hedging is visible to the operator.
  auto metrics = HttpGet(stack.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  const double hedged = MetricValue(metrics->body, "dns_hedged_tries_total");
  const double late_used =
      MetricValue(metrics->body, "dns_late_answers_total{used=\"true\"}");
  ASSERT_GE(hedged, 0) << "no dns_hedged_tries_total in /metrics";
  ASSERT_GE(late_used, 0) << "no dns_late_answers_total in /metrics";
  // The estimate was trained on fast answers, so every delayed answer came
  // after its try's hedge point and was used; with tries to spare, the VA
  // sent hedged tries meanwhile.
  EXPECT_GE(late_used, 1);
  if (tries > 1) {
    EXPECT_GE(hedged, 1);
  }
}

// 1-3 as Boulder runs it; 10 is the VA's default.
INSTANTIATE_TEST_SUITE_P(Tries, DelayMatrixTest, ::testing::Values(1, 2, 3, 10),
                         [](const auto& info) {
                           return absl::StrCat("DnsTries", info.param);
                         });

// ---- a resolver slower than the timeout: a timeout after the full time ----

TEST(HedgingTimeoutTest, AnswersAfterTheTimeoutAreATimeoutAfterAllTries) {
  VaStack stack;
  VaStackOptions options;
  options.va_flags = {kTimeoutFlag, "--dns-tries=3"};
  ASSERT_TRUE(stack.Start(options).ok());
  ASSERT_NO_FATAL_FAILURE(Warm(stack));
  KeyAuthz k = MakeKeyAuthz(7300);
  const std::string qname = "_acme-challenge.late.hedge.example";
  ASSERT_TRUE(
      stack
          .Dns("/set-txt", absl::StrCat("{\"host\":\"", qname,
                                        "\",\"value\":\"", k.txt, "\"}"))
          .ok());
  Delay(stack, qname, "TXT", 1200);
  ::va::ValidationResult r;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(
      stack.DoDCV("late.hedge.example", k.key_authorization, &r, kCallDeadline)
          .ok());
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().dnsoutcome(), "timeout");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_THAT(r.problem().detail(),
              HasSubstr("query timed out looking up TXT for " + qname));
  EXPECT_EQ(r.problem().attempts(), 3);
  EXPECT_EQ(stack.QueryCount(qname, "TXT"), 3);
  // Every try had its full second: the last one was sent after the first.
  EXPECT_GE(took, absl::Seconds(1));
  EXPECT_LT(took, kCallDeadline);
}

// ---- a real recursor in the path ----

// Unbound on a loopback port, recursing to the stack's dnstestsrv for
// "test." and caching what it gets.
absl::StatusOr<Process> StartUnbound(VaStack& stack, int port) {
  // As in unbound_integration_test.cc, but with the cache on, and Unbound's
  // own upstream timeout above the 400 ms delay (its infra cache learns
  // ~0 ms from the fast lookups and would otherwise retransmit upstream at
  // 50 ms and give up on the delayed one).
  return StartLoopbackUnbound(stack.dir(), port,
                              "  module-config: \"iterator\"\n"
                              "  local-zone: \"test.\" nodefault\n"
                              "  qname-minimisation: no\n"
                              "  infra-cache-min-rtt: 1500\n",
                              {{"test.", stack.dns_port()}});
}

TEST(HedgingUnboundTest, FirstUncachedValidationOfAFreshVaAfterCachedOnes) {
  VaStack stack;
  VaStackOptions dns_only;
  // Records Unbound may cache (dnstestsrv serves TTL 0 by default).
  dns_only.dns_flags = {"--ttl=3600"};
  ASSERT_TRUE(stack.Start(dns_only).ok());
  const int unbound_port = FreePort(/*udp_too=*/true);
  auto unbound = StartUnbound(stack, unbound_port);
  ASSERT_TRUE(unbound.ok()) << unbound.status();
  // A fresh VA: no answer times known yet.
  ASSERT_TRUE(stack
                  .StartVa({kTimeoutFlag, "--dns-tries=3"},
                           {absl::StrCat("127.0.0.1:", unbound_port)})
                  .ok());

  // 1,000 fast lookups answered from Unbound's cache: 250 dns-01 (one TXT
  // lookup each) and 250 CAA checks of a 3-label name (three CAA lookups).
  KeyAuthz warm = MakeKeyAuthz(7400);
  ASSERT_TRUE(
      stack
          .Dns("/set-txt",
               absl::StrCat("{\"host\":\"_acme-challenge.warm.ok.test\","
                            "\"value\":\"",
                            warm.txt, "\"}"))
          .ok());
  for (int i = 0; i < 250; ++i) {
    ::va::ValidationResult r;
    ASSERT_TRUE(stack.DoDCV("warm.ok.test", warm.key_authorization, &r).ok());
    ASSERT_FALSE(r.has_problem()) << i << ": " << r.problem().detail();
    ::va::IsCAAValidResponse c;
    ASSERT_TRUE(stack.DoCAA("warm.ok.test", "dns-01", 1, &c).ok());
    ASSERT_FALSE(c.has_problem()) << i << ": " << c.problem().detail();
  }
  // Unbound answered them from its cache.
  EXPECT_LT(stack.QueryCount("_acme-challenge.warm.ok.test", "TXT"), 10);

  // The first uncached ones: the authoritative answers come 400 ms late.
  KeyAuthz k = MakeKeyAuthz(7401);
  const std::string qname = "_acme-challenge.cold.ok.test";
  ASSERT_TRUE(
      stack
          .Dns("/set-txt", absl::StrCat("{\"host\":\"", qname,
                                        "\",\"value\":\"", k.txt, "\"}"))
          .ok());
  Delay(stack, qname, "TXT", 400);
  Delay(stack, "cold.ok.test", "CAA", 400);
  ::va::ValidationResult r;
  ASSERT_TRUE(
      stack.DoDCV("cold.ok.test", k.key_authorization, &r, kCallDeadline).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  ::va::IsCAAValidResponse c;
  ASSERT_TRUE(stack.DoCAA("cold.ok.test", "dns-01", 1, &c, kCallDeadline).ok());
  EXPECT_FALSE(c.has_problem()) << c.problem().detail();
}

}  // namespace
}  // namespace acmeva::testing_harness
