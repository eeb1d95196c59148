#include "va/caa.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "test/unit/fake_resolver.h"

namespace acmeva::va {
namespace {

using dns::CaaRecord;
using dns::Outcome;
using dns::RRType;
using fakes::FakeResolver;

const std::string kAcct = "https://acme-v02.api.letsencrypt.org/acme/acct/";
const std::string kReg = "https://acme-v01.api.letsencrypt.org/acme/reg/";

CaaConfig Config() { return {"letsencrypt.org", {kAcct, kReg}}; }

CaaRecord Rec(uint8_t flags, std::string tag, std::string value) {
  return CaaRecord{flags, std::move(tag), std::move(value)};
}
CaaRecord Issue(std::string value) { return Rec(0, "issue", std::move(value)); }
CaaRecord Wild(std::string value) {
  return Rec(0, "issuewild", std::move(value));
}

// Runs CheckCaa to completion and checks `done` ran exactly once.
CaaResult RunCaa(FakeResolver& resolver, std::string identifier,
                 std::string method = "dns-01", int64_t account_id = 123,
                 absl::Time deadline = absl::Now() + absl::Seconds(10)) {
  fakes::Notification finished;
  std::atomic<int> calls{0};
  CaaResult out;
  CheckCaa(resolver, Config(),
           CaaRequest{std::move(identifier), std::move(method), account_id},
           deadline, [&](CaaResult r) {
             out = std::move(r);
             if (calls.fetch_add(1) == 0) finished.Notify();
           });
  EXPECT_TRUE(finished.WaitFor(absl::Seconds(10)));
  resolver.JoinThreads();
  EXPECT_EQ(calls.load(), 1);
  return out;
}

struct Answer {
  std::string name;
  Outcome outcome = Outcome::kNoError;
  std::vector<CaaRecord> caa{};
  int attempts = 1;
};

enum class Want { kPermit, kCaa, kDns };

struct Case {
  std::string label;
  std::string identifier;
  std::vector<Answer> answers;  // names not listed answer NOERROR, no CAA
  Want want;
  std::string want_found_at{};  // "" when no relevant set
  std::string want_detail{};    // for kCaa / kDns
  bool want_transient = false;
  std::string method = "dns-01";
  int64_t account_id = 123;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

std::string Deny(const std::string& identifier, const std::string& found_at) {
  return "While processing CAA for " + identifier + ": CAA record for " +
         found_at + " prevents issuance";
}

class CheckCaaTest : public ::testing::TestWithParam<Case> {};

TEST_P(CheckCaaTest, Table) {
  const Case& c = GetParam();
  FakeResolver resolver;
  for (const Answer& a : c.answers) {
    dns::LookupResult r;
    r.outcome = a.outcome;
    r.caa = a.caa;
    r.attempts = a.attempts;
    resolver.Set(a.name, RRType::kCAA, r);
  }
  const CaaResult result =
      RunCaa(resolver, c.identifier, c.method, c.account_id);

  EXPECT_EQ(result.found_at, c.want_found_at);
  EXPECT_EQ(result.present, !c.want_found_at.empty());
  switch (c.want) {
    case Want::kPermit:
      EXPECT_FALSE(result.problem.has_value()) << result.problem->detail;
      break;
    case Want::kCaa:
      ASSERT_TRUE(result.problem.has_value());
      EXPECT_EQ(result.problem->type, ProblemType::kCaa);
      EXPECT_EQ(result.problem->detail, c.want_detail);
      EXPECT_FALSE(result.problem->transient);
      break;
    case Want::kDns:
      ASSERT_TRUE(result.problem.has_value());
      EXPECT_EQ(result.problem->type, ProblemType::kDns);
      EXPECT_EQ(result.problem->detail, c.want_detail);
      EXPECT_EQ(result.problem->transient, c.want_transient);
      EXPECT_EQ(result.problem->query_type, "CAA");
      break;
  }
}

const char kW[] = "www.example.com";

INSTANTIATE_TEST_SUITE_P(
    Rules, CheckCaaTest,
    ::testing::Values(
        // Presence and the relevant set.
        Case{"no CAA anywhere", kW, {}, Want::kPermit},
        Case{"issue for us at parent",
             kW,
             {{"example.com", Outcome::kNoError, {Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"issue for another CA",
             kW,
             {{"example.com", Outcome::kNoError, {Issue("other.ca")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"nearest set wins over a permitting parent",
             kW,
             {{kW, Outcome::kNoError, {Issue("other.ca")}},
              {"example.com", Outcome::kNoError, {Issue("letsencrypt.org")}}},
             Want::kCaa,
             kW,
             Deny(kW, kW)},
        Case{"nearest set permits despite a forbidding parent",
             kW,
             {{kW, Outcome::kNoError, {Issue("letsencrypt.org")}},
              {"example.com", Outcome::kNoError, {Issue(";")}}},
             Want::kPermit,
             kW},
        Case{"deep name, set in the middle",
             "a.b.example.com",
             {{"b.example.com", Outcome::kNoError, {Issue("other.ca")}}},
             Want::kCaa,
             "b.example.com",
             Deny("a.b.example.com", "b.example.com")},
        Case{"set at the TLD counts",
             kW,
             {{"com", Outcome::kNoError, {Issue("other.ca")}}},
             Want::kCaa,
             "com",
             Deny(kW, "com")},
        Case{"identifier lower-cased, detail as given",
             "WWW.Example.COM",
             {{"example.com", Outcome::kNoError, {Issue("other.ca")}}},
             Want::kCaa,
             "example.com",
             Deny("WWW.Example.COM", "example.com")},
        // Values.
        Case{"issue \";\" forbids",
             kW,
             {{"example.com", Outcome::kNoError, {Issue(";")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"empty issue value forbids",
             kW,
             {{"example.com", Outcome::kNoError, {Issue("")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"issue with params but empty domain forbids",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("; accounturi=" + kAcct + "123")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"issuer domain compared exactly",
             kW,
             {{"example.com", Outcome::kNoError, {Issue("LetsEncrypt.org")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"issuer domain with WSP and ';'",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("  letsencrypt.org ;  ")}}},
             Want::kPermit,
             "example.com"},
        Case{"malformed value forbids",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; a=b c")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"malformed value skipped, other record permits",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; a=b c"), Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"records are additive",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue(";"), Issue("other.ca"), Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"unknown parameter ignored",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; foo=bar")}}},
             Want::kPermit,
             "example.com"},
        // Flags and tags.
        Case{"critical unknown tag (128) forbids",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org"), Rec(128, "tbs", "x")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"critical unknown tag (flag 1) forbids",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org"), Rec(1, "tbs", "x")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"critical unknown tag alone forbids",
             kW,
             {{"example.com", Outcome::kNoError, {Rec(129, "future", "x")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"reserved flag bits are not critical",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org"), Rec(0x7E, "tbs", "x")}}},
             Want::kPermit,
             "example.com"},
        Case{"non-critical unknown tag alone permits",
             kW,
             {{"example.com", Outcome::kNoError, {Rec(0, "tbs", "x")}}},
             Want::kPermit,
             "example.com"},
        Case{"critical iodef ignored",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Rec(128, "iodef", "mailto:a@example.com"),
                Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"critical iodef alone permits",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Rec(128, "iodef", "mailto:a@example.com")}}},
             Want::kPermit,
             "example.com"},
        Case{"critical issuemail and issuevmc ignored",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Rec(128, "issuemail", "other.ca"),
                Rec(1, "IssueVMC", "other.ca"), Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"critical flag on issue is fine",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Rec(128, "issue", "letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"tag case-insensitive (permit)",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Rec(0, "ISSUE", "letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{
            "tag case-insensitive (deny)",
            kW,
            {{"example.com", Outcome::kNoError, {Rec(0, "IsSuE", "other.ca")}}},
            Want::kCaa,
            "example.com",
            Deny(kW, "example.com")},
        Case{"critical tag case-insensitive iodef",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Rec(128, "IODEF", "mailto:x"), Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        // Wildcards.
        Case{"wildcard: issuewild for us overrides issue",
             "*.example.com",
             {{"example.com",
               Outcome::kNoError,
               {Issue("other.ca"), Wild("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"wildcard: issuewild for other overrides issue for us",
             "*.example.com",
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org"), Wild("other.ca")}}},
             Want::kCaa,
             "example.com",
             Deny("*.example.com", "example.com")},
        Case{"wildcard: issuewild tag case-insensitive",
             "*.example.com",
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org"), Rec(0, "IssueWild", ";")}}},
             Want::kCaa,
             "example.com",
             Deny("*.example.com", "example.com")},
        Case{"wildcard without issuewild uses issue (permit)",
             "*.example.com",
             {{"example.com", Outcome::kNoError, {Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"wildcard without issuewild uses issue (deny)",
             "*.example.com",
             {{"example.com", Outcome::kNoError, {Issue("other.ca")}}},
             Want::kCaa,
             "example.com",
             Deny("*.example.com", "example.com")},
        Case{"wildcard: only issuewild for us",
             "*.example.com",
             {{"example.com", Outcome::kNoError, {Wild("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"wildcard: only non-critical unknown permits",
             "*.example.com",
             {{"example.com", Outcome::kNoError, {Rec(0, "tbs", "x")}}},
             Want::kPermit,
             "example.com"},
        Case{"wildcard: the set is looked up from the base name",
             "*.www.example.com",
             {{kW, Outcome::kNoError, {Wild(";")}}},
             Want::kCaa,
             kW,
             Deny("*.www.example.com", kW)},
        Case{"non-wildcard ignores forbidding issuewild",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org"), Wild(";")}}},
             Want::kPermit,
             "example.com"},
        Case{"non-wildcard ignores issuewild for us",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("other.ca"), Wild("letsencrypt.org")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"non-wildcard, only issuewild: nothing restricts",
             kW,
             {{"example.com", Outcome::kNoError, {Wild(";")}}},
             Want::kPermit,
             "example.com"},
        // RFC 8657 accounturi.
        Case{"accounturi matches",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; accounturi=" + kAcct + "123")}}},
             Want::kPermit,
             "example.com"},
        Case{"accounturi of another account",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; accounturi=" + kAcct + "124")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"accounturi with the second prefix",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; accounturi=" + kReg + "123")}}},
             Want::kPermit,
             "example.com"},
        Case{"two accounturi params unsatisfiable",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; accounturi=" + kAcct +
                      "123; accounturi=" + kReg + "123")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"accounturi mismatch, another record permits",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; accounturi=" + kAcct + "1"),
                Issue("letsencrypt.org; accounturi=" + kAcct + "123")}}},
             Want::kPermit,
             "example.com"},
        // RFC 8657 validationmethods.
        Case{"validationmethods matches",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; validationmethods=http-01,dns-01")}}},
             Want::kPermit,
             "example.com"},
        Case{"validationmethods without our method",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; validationmethods=http-01")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"validationmethods checked against the request's method",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; validationmethods=http-01")}}},
             Want::kPermit,
             "example.com",
             "",
             false,
             "http-01"},
        Case{"two validationmethods params unsatisfiable",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; validationmethods=dns-01; "
                      "validationmethods=dns-01")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"validationmethods bad label unsatisfiable",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; validationmethods=dns-01,dns_01")}}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{"accounturi and validationmethods together",
             kW,
             {{"example.com",
               Outcome::kNoError,
               {Issue("letsencrypt.org; accounturi=" + kAcct +
                      "123; validationmethods=dns-01")}}},
             Want::kPermit,
             "example.com"},
        // Lookup failures.
        Case{"error below the relevant set fails closed",
             kW,
             {{kW, Outcome::kServFail},
              {"example.com", Outcome::kNoError, {Issue("letsencrypt.org")}}},
             Want::kDns,
             "",
             "While processing CAA for www.example.com: DNS problem: "
             "SERVFAIL looking up CAA for www.example.com - the domain's "
             "nameservers may be malfunctioning",
             true},
        Case{"error below no set fails closed",
             kW,
             {{"example.com", Outcome::kRefused}},
             Want::kDns,
             "",
             "While processing CAA for www.example.com: DNS problem: REFUSED "
             "looking up CAA for example.com",
             true},
        Case{"errors above the relevant set ignored (permit)",
             kW,
             {{kW, Outcome::kNoError, {Issue("letsencrypt.org")}},
              {"example.com", Outcome::kServFail},
              {"com", Outcome::kTimeout, {}, 3}},
             Want::kPermit,
             kW},
        Case{"errors above the relevant set ignored (deny)",
             kW,
             {{"example.com", Outcome::kNoError, {Issue("other.ca")}},
              {"com", Outcome::kServFail}},
             Want::kCaa,
             "example.com",
             Deny(kW, "example.com")},
        Case{
            "the lowest error is reported",
            "a.b.example.com",
            {{"b.example.com", Outcome::kServFail}, {"com", Outcome::kTimeout}},
            Want::kDns,
            "",
            "While processing CAA for a.b.example.com: DNS problem: SERVFAIL "
            "looking up CAA for b.example.com - the domain's nameservers may "
            "be malfunctioning",
            true},
        Case{"timeout at the TLD is transient",
             kW,
             {{"com", Outcome::kTimeout, {}, 3}},
             Want::kDns,
             "",
             "While processing CAA for www.example.com: DNS problem: query "
             "timed out looking up CAA for com",
             true},
        Case{"truncated answer fails closed",
             kW,
             {{kW, Outcome::kTruncated}},
             Want::kDns,
             "",
             "While processing CAA for www.example.com: DNS problem: response "
             "was truncated looking up CAA for www.example.com",
             true},
        Case{"NXDOMAIN below the TLD is an empty set",
             kW,
             {{kW, Outcome::kNxDomain},
              {"example.com", Outcome::kNoError, {Issue("letsencrypt.org")}}},
             Want::kPermit,
             "example.com"},
        Case{"NXDOMAIN below the TLD, nothing above",
             kW,
             {{kW, Outcome::kNxDomain}, {"example.com", Outcome::kNxDomain}},
             Want::kPermit},
        Case{"NXDOMAIN for the TLD fails closed",
             "labca.lan",
             {{"labca.lan", Outcome::kNxDomain}, {"lan", Outcome::kNxDomain}},
             Want::kDns,
             "",
             "While processing CAA for labca.lan: DNS problem: NXDOMAIN "
             "looking up CAA for lan - check that a DNS record exists for "
             "this domain",
             false},
        Case{"NXDOMAIN for the TLD above the relevant set ignored",
             "labca.lan",
             {{"labca.lan", Outcome::kNoError, {Issue("letsencrypt.org")}},
              {"lan", Outcome::kNxDomain}},
             Want::kPermit,
             "labca.lan"}));

TEST(CheckCaaTest, QueriesEverySuffixIncludingTheTld) {
  FakeResolver resolver;
  const absl::Time deadline = absl::FromUnixSeconds(4102444800);
  RunCaa(resolver, "*.a.b.example.com", "dns-01", 1, deadline);
  std::vector<std::string> names = resolver.QueriedNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.b.example.com", "b.example.com",
                                             "com", "example.com"}));
  for (const auto& q : resolver.queries()) {
    EXPECT_EQ(q.type, RRType::kCAA);
    EXPECT_EQ(q.deadline, deadline);
  }
}

TEST(CheckCaaTest, TrailingDotIgnored) {
  FakeResolver resolver;
  RunCaa(resolver, "example.com.");
  std::vector<std::string> names = resolver.QueriedNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"com", "example.com"}));
}

TEST(CheckCaaTest, LookupsRunInParallel) {
  FakeResolver resolver(FakeResolver::Delivery::kHeld);
  resolver.SetCaa("example.com", {Issue("letsencrypt.org")});
  std::optional<CaaResult> result;
  int calls = 0;
  CheckCaa(resolver, Config(), {"a.b.example.com", "dns-01", 1},
           absl::Now() + absl::Seconds(5), [&](CaaResult r) {
             result = std::move(r);
             ++calls;
           });
  // All four questions are out before any answer has come back.
  EXPECT_EQ(resolver.HeldCount(), 4u);
  EXPECT_FALSE(result.has_value());
  resolver.DeliverHeldInReverse();
  ASSERT_EQ(calls, 1);
  EXPECT_FALSE(result->problem.has_value());
  EXPECT_EQ(result->found_at, "example.com");
}

TEST(CheckCaaTest, InvalidNameIsNotQueried) {
  for (const char* bad : {"", "*.", "a..example.com", "."}) {
    FakeResolver resolver;
    const CaaResult r = RunCaa(resolver, bad);
    ASSERT_TRUE(r.problem.has_value()) << bad;
    EXPECT_EQ(r.problem->type, ProblemType::kMalformed);
    EXPECT_TRUE(resolver.queries().empty()) << bad;
  }
}

dns::LookupResult Answered(std::vector<CaaRecord> caa, bool ad, int attempts,
                           std::string resolver) {
  dns::LookupResult r;
  r.caa = std::move(caa);
  r.authenticated_data = ad;
  r.attempts = attempts;
  r.resolver = std::move(resolver);
  return r;
}

TEST(CheckCaaTest, AttemptsSummedAndResolversCollected) {
  FakeResolver resolver;
  resolver.Set(kW, RRType::kCAA, Answered({}, true, 2, "127.0.0.1:53"));
  resolver.Set("example.com", RRType::kCAA,
               Answered({Issue("letsencrypt.org")}, true, 1, "127.0.0.2:53"));
  resolver.Set("com", RRType::kCAA, Answered({}, true, 3, "127.0.0.1:53"));
  const CaaResult r = RunCaa(resolver, kW);
  EXPECT_FALSE(r.problem.has_value());
  EXPECT_EQ(r.attempts, 6);
  std::vector<std::string> resolvers = r.resolvers;
  std::sort(resolvers.begin(), resolvers.end());
  EXPECT_EQ(resolvers,
            (std::vector<std::string>{"127.0.0.1:53", "127.0.0.2:53"}));
}

TEST(CheckCaaTest, AuthenticatedDataCoversEveryDecidingAnswer) {
  struct Case {
    std::string label;
    bool www_ad, example_ad, com_ad;
    bool set_at_example;
    bool want;
  };
  for (const Case& c : {
           Case{"all AD, set at example.com", true, true, true, true, true},
           Case{"empty answer below not AD", false, true, true, true, false},
           Case{"relevant answer not AD", true, false, true, true, false},
           Case{"answer above the set not AD (unused)", true, true, false, true,
                true},
           Case{"no set: all AD", true, true, true, false, true},
           Case{"no set: TLD not AD", true, true, false, false, false},
       }) {
    FakeResolver resolver;
    resolver.Set(kW, RRType::kCAA, Answered({}, c.www_ad, 1, ""));
    resolver.Set("example.com", RRType::kCAA,
                 Answered(c.set_at_example
                              ? std::vector<CaaRecord>{Issue("letsencrypt.org")}
                              : std::vector<CaaRecord>{},
                          c.example_ad, 1, ""));
    resolver.Set("com", RRType::kCAA, Answered({}, c.com_ad, 1, ""));
    const CaaResult r = RunCaa(resolver, kW);
    EXPECT_FALSE(r.problem.has_value()) << c.label;
    EXPECT_EQ(r.authenticated_data, c.want) << c.label;
  }
}

TEST(CheckCaaTest, TimeoutProblemCarriesStructuredFields) {
  FakeResolver resolver;
  dns::LookupResult timeout;
  timeout.outcome = Outcome::kTimeout;
  timeout.attempts = 3;
  timeout.resolver = "127.0.0.9:53";
  resolver.Set("example.com", RRType::kCAA, timeout);
  const CaaResult r = RunCaa(resolver, kW);
  ASSERT_TRUE(r.problem.has_value());
  EXPECT_EQ(r.problem->type, ProblemType::kDns);
  EXPECT_TRUE(r.problem->transient);
  EXPECT_EQ(r.problem->attempts, 3);
  EXPECT_EQ(r.problem->query_name, "example.com");
  EXPECT_EQ(r.problem->query_type, "CAA");
  EXPECT_EQ(r.problem->dns_outcome, "timeout");
  EXPECT_EQ(r.problem->resolver, "127.0.0.9:53");
  EXPECT_GT(r.problem->retry_after_seconds, 0);
  EXPECT_FALSE(r.present);
  EXPECT_EQ(r.attempts, 5);  // 3 for example.com, 1 each for www and com
}

// Answers from a fresh thread per lookup, finishing in reverse order.
TEST(CheckCaaConcurrencyTest, ThreadPerLookup) {
  for (int i = 0; i < 20; ++i) {
    FakeResolver resolver(FakeResolver::Delivery::kThreadPerLookup);
    resolver.SetCaa("b.example.com", {Issue("other.ca")});
    resolver.SetOutcome("com", RRType::kCAA, Outcome::kTimeout);
    const CaaResult r = RunCaa(resolver, "a.b.example.com");
    ASSERT_TRUE(r.problem.has_value());
    EXPECT_EQ(r.problem->type, ProblemType::kCaa);
    EXPECT_EQ(r.found_at, "b.example.com");
  }
}

// All answers released at once from one thread each, so the join sees truly
// concurrent callbacks. Repeated to give races a chance to show (also run
// this binary with --gtest_repeat, and under -fsanitize=thread).
TEST(CheckCaaConcurrencyTest, ConcurrentCallbacksCallDoneOnce) {
  const std::string name = "a.b.c.d.e.f.example.com";
  for (int i = 0; i < 200; ++i) {
    FakeResolver resolver(FakeResolver::Delivery::kHeld);
    resolver.SetCaa("d.e.f.example.com", {Issue("letsencrypt.org")});
    resolver.SetOutcome("example.com", RRType::kCAA, Outcome::kServFail);
    std::atomic<int> calls{0};
    std::optional<CaaResult> result;
    CheckCaa(resolver, Config(), {name, "dns-01", 1},
             absl::Now() + absl::Seconds(5), [&](CaaResult r) {
               result = std::move(r);
               calls.fetch_add(1);
             });
    ASSERT_EQ(resolver.HeldCount(), 8u);
    resolver.DeliverHeldConcurrently();
    ASSERT_EQ(calls.load(), 1) << "iteration " << i;
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(result->problem.has_value()) << result->problem->detail;
    EXPECT_EQ(result->found_at, "d.e.f.example.com");
    EXPECT_EQ(result->attempts, 8);
  }
}

}  // namespace
}  // namespace acmeva::va
