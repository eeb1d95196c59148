#include "va/dns01.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "test/unit/fake_resolver.h"

namespace acmeva::va {
namespace {

using dns::Outcome;
using dns::RRType;
using fakes::FakeResolver;

// Boulder's vector: token "." thumbprint -> TXT value.
constexpr char kKeyAuthorization[] =
    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0."
    "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
constexpr char kDigest[] = "LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo";

Dns01Result RunDns01(FakeResolver& resolver, std::string identifier,
                     absl::Time deadline = absl::Now() + absl::Seconds(10)) {
  fakes::Notification finished;
  std::atomic<int> calls{0};
  Dns01Result out;
  CheckDns01(resolver, std::move(identifier), kKeyAuthorization, deadline,
             [&](Dns01Result r) {
               out = std::move(r);
               calls.fetch_add(1);
               finished.Notify();
             });
  EXPECT_TRUE(finished.WaitFor(absl::Seconds(10)));
  resolver.JoinThreads();
  EXPECT_EQ(calls.load(), 1);
  return out;
}

TEST(Dns01DigestTest, BoulderVector) {
  EXPECT_EQ(Dns01Digest(kKeyAuthorization), kDigest);
}

TEST(Dns01DigestTest, EmptyInput) {
  // SHA-256("") in base64url without padding.
  EXPECT_EQ(Dns01Digest(""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}

struct Case {
  std::string label{};
  std::string identifier{};
  // Answer for the TXT query at `answer_name`.
  std::string answer_name{};
  Outcome outcome = Outcome::kNoError;
  std::vector<std::string> txt{};
  int attempts = 1;
  // Expectations.
  bool want_ok = false;
  ProblemType want_type = ProblemType::kUnauthorized;
  std::string want_detail{};
  bool want_transient = false;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

class CheckDns01Test : public ::testing::TestWithParam<Case> {};

TEST_P(CheckDns01Test, Table) {
  const Case& c = GetParam();
  FakeResolver resolver;
  dns::LookupResult answer;
  answer.outcome = c.outcome;
  answer.txt = c.txt;
  answer.attempts = c.attempts;
  answer.authenticated_data = true;
  answer.resolver = "127.0.0.2:53";
  resolver.Set(c.answer_name, RRType::kTXT, answer);

  const Dns01Result r = RunDns01(resolver, c.identifier);

  // Exactly one query, TXT at _acme-challenge.<name sans "*.">.
  const auto queries = resolver.queries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].type, RRType::kTXT);
  EXPECT_EQ(queries[0].name, c.answer_name);

  // The validation record is filled whatever the outcome.
  std::string want_hostname = c.identifier;
  if (want_hostname.rfind("*.", 0) == 0) want_hostname.erase(0, 2);
  EXPECT_EQ(r.hostname, want_hostname);
  EXPECT_EQ(r.resolver, "127.0.0.2:53");
  EXPECT_EQ(r.attempts, c.attempts);
  EXPECT_TRUE(r.authenticated_data);

  if (c.want_ok) {
    EXPECT_FALSE(r.problem.has_value()) << r.problem->detail;
    return;
  }
  ASSERT_TRUE(r.problem.has_value());
  EXPECT_EQ(r.problem->type, c.want_type);
  EXPECT_EQ(r.problem->detail, c.want_detail);
  EXPECT_EQ(r.problem->transient, c.want_transient);
  if (c.want_type == ProblemType::kDns) {
    EXPECT_EQ(r.problem->attempts, c.attempts);
    EXPECT_EQ(r.problem->query_name, c.answer_name);
    EXPECT_EQ(r.problem->query_type, "TXT");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, CheckDns01Test,
    ::testing::Values(
        Case{.label = "single matching record",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .txt = {kDigest},
             .want_ok = true},
        Case{.label = "match among wrong records",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .txt = {"a", "b", kDigest, "c"},
             .want_ok = true},
        Case{.label = "wildcard prefix stripped",
             .identifier = "*.example.com",
             .answer_name = "_acme-challenge.example.com",
             .txt = {kDigest},
             .want_ok = true},
        Case{.label = "no TXT record",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .want_detail =
                 "No TXT record found at _acme-challenge.example.com"},
        Case{.label = "one wrong record",
             .identifier = "wrong-dns01.com",
             .answer_name = "_acme-challenge.wrong-dns01.com",
             .txt = {"a"},
             .want_detail = "Incorrect TXT record \"a\" found at "
                            "_acme-challenge.wrong-dns01.com"},
        Case{.label = "five wrong records",
             .identifier = "wrong-many-dns01.com",
             .answer_name = "_acme-challenge.wrong-many-dns01.com",
             .txt = {"a", "b", "c", "d", "e"},
             .want_detail = "Incorrect TXT record \"a\" (and 4 more) found at "
                            "_acme-challenge.wrong-many-dns01.com"},
        Case{.label = "long wrong record cut at 100",
             .identifier = "long.com",
             .answer_name = "_acme-challenge.long.com",
             .txt = {std::string(150, 'a')},
             .want_detail = "Incorrect TXT record \"" + std::string(100, 'a') +
                            "...\" found at _acme-challenge.long.com"},
        Case{.label = "exactly 100 chars not cut",
             .identifier = "long.com",
             .answer_name = "_acme-challenge.long.com",
             .txt = {std::string(100, 'b')},
             .want_detail = "Incorrect TXT record \"" + std::string(100, 'b') +
                            "\" found at _acme-challenge.long.com"},
        Case{.label = "case differs",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .txt = {"lpsiwto7o8bog0-vjcygqgbwsvipxi-i_x336euoqzo"},
             .want_detail = "Incorrect TXT record "
                            "\"lpsiwto7o8bog0-vjcygqgbwsvipxi-i_x336euoqzo\" "
                            "found at _acme-challenge.example.com"},
        Case{.label = "prefix of digest",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .txt = {"LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZ"},
             .want_detail = "Incorrect TXT record "
                            "\"LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZ\" "
                            "found at _acme-challenge.example.com"},
        Case{.label = "digest with padding",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .txt = {std::string(kDigest) + "="},
             .want_detail = "Incorrect TXT record "
                            "\"LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo=\" "
                            "found at _acme-challenge.example.com"},
        Case{.label = "nxdomain is a dns problem",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .outcome = Outcome::kNxDomain,
             .want_type = ProblemType::kDns,
             .want_detail = "DNS problem: NXDOMAIN looking up TXT for "
                            "_acme-challenge.example.com - check that a DNS "
                            "record exists for this domain"},
        Case{.label = "servfail",
             .identifier = "example.com",
             .answer_name = "_acme-challenge.example.com",
             .outcome = Outcome::kServFail,
             .want_type = ProblemType::kDns,
             .want_detail = "DNS problem: SERVFAIL looking up TXT for "
                            "_acme-challenge.example.com - the domain's "
                            "nameservers may be malfunctioning",
             .want_transient = true},
        Case{.label = "timeout after three tries",
             .identifier = "*.example.com",
             .answer_name = "_acme-challenge.example.com",
             .outcome = Outcome::kTimeout,
             .attempts = 3,
             .want_type = ProblemType::kDns,
             .want_detail = "DNS problem: query timed out looking up TXT for "
                            "_acme-challenge.example.com",
             .want_transient = true}));

TEST(CheckDns01Test, DeadlineReachesResolver) {
  FakeResolver resolver;
  resolver.SetTxt("_acme-challenge.example.com", {kDigest});
  const absl::Time deadline = absl::FromUnixSeconds(4102444800);
  const Dns01Result r = RunDns01(resolver, "example.com", deadline);
  EXPECT_FALSE(r.problem.has_value());
  ASSERT_EQ(resolver.queries().size(), 1u);
  EXPECT_EQ(resolver.queries()[0].deadline, deadline);
}

TEST(CheckDns01Test, AnswerFromAnotherThread) {
  FakeResolver resolver(FakeResolver::Delivery::kThreadPerLookup);
  resolver.SetTxt("_acme-challenge.example.com", {"x", kDigest});
  const Dns01Result r = RunDns01(resolver, "example.com");
  EXPECT_FALSE(r.problem.has_value());
  EXPECT_EQ(r.hostname, "example.com");
}

TEST(CheckDns01Test, HeldAnswerCompletesLater) {
  FakeResolver resolver(FakeResolver::Delivery::kHeld);
  resolver.SetTxt("_acme-challenge.example.com", {"nope"});
  std::optional<Dns01Result> result;
  CheckDns01(resolver, "example.com", kKeyAuthorization,
             absl::Now() + absl::Seconds(5),
             [&](Dns01Result r) { result = std::move(r); });
  EXPECT_FALSE(result.has_value());  // nothing until the answer arrives
  EXPECT_EQ(resolver.HeldCount(), 1u);
  resolver.DeliverHeldInReverse();
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->problem.has_value());
  EXPECT_EQ(result->problem->type, ProblemType::kUnauthorized);
}

}  // namespace
}  // namespace acmeva::va
