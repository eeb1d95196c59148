#include "va/dns_persist01.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "test/unit/fake_resolver.h"
#include "va/challenge_registry.h"

namespace acmeva::va {
namespace {

using dns::Outcome;
using dns::RRType;
using fakes::FakeResolver;

constexpr char kUri[] = "https://ca.example/acct/1";
constexpr char kOurs[] = "ca.example; accounturi=https://ca.example/acct/1";
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

struct Case {
  std::string label{};
  std::string identifier = "example.com";
  std::string issuer = "ca.example";
  std::vector<std::string> prefixes{"https://ca.example/acct/"};
  Outcome outcome = Outcome::kNoError;
  std::vector<std::string> txt{};
  bool want_ok = false;
  ProblemType want_type = ProblemType::kUnauthorized;
  std::string want_detail{};
  bool want_transient = false;
  bool want_query = true;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

class DnsPersist01Test : public ::testing::TestWithParam<Case> {};

TEST_P(DnsPersist01Test, Table) {
  const Case& c = GetParam();
  FakeResolver resolver;
  dns::LookupResult answer;
  answer.outcome = c.outcome;
  answer.txt = c.txt;
  answer.resolver = "127.0.0.2:53";
  answer.attempts = 2;
  resolver.Set("_validation-persist.example.com", RRType::kTXT, answer);

  const ChallengeValidator* v = FindChallenge("dns-persist-01");
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(v->UsesToken());
  EXPECT_TRUE(v->AccountBound());
  ChallengeConfig config{c.issuer, c.prefixes};
  DcvInput input{c.identifier, "", ".thumb", 1, kNow};
  std::optional<DcvResult> result;
  v->Check(resolver, config, input, absl::Now() + absl::Seconds(10),
           [&](DcvResult r) { result = std::move(r); });
  ASSERT_TRUE(result.has_value());

  if (c.want_query) {
    ASSERT_EQ(resolver.QueriedNames(),
              std::vector<std::string>{"_validation-persist.example.com"});
  } else {
    EXPECT_TRUE(resolver.queries().empty());
  }
  EXPECT_EQ(result->hostname, "example.com");
  if (c.want_ok) {
    EXPECT_FALSE(result->problem.has_value()) << result->problem->detail;
    EXPECT_EQ(result->account_uri, kUri);
    EXPECT_EQ(result->resolver, "127.0.0.2:53");
    EXPECT_EQ(result->attempts, 2);
    return;
  }
  ASSERT_TRUE(result->problem.has_value());
  EXPECT_EQ(result->problem->type, c.want_type);
  EXPECT_EQ(result->problem->detail, c.want_detail);
  EXPECT_EQ(result->problem->transient, c.want_transient);
}

const std::string kCheck =
    "Checking DNS-PERSIST-01 challenge TXT record with issuer-domain-name "
    "\"ca.example\": ";
const std::string kParse =
    "Parsing DNS-PERSIST-01 challenge TXT record with issuer-domain-name "
    "\"ca.example\": ";

INSTANTIATE_TEST_SUITE_P(
    Rules, DnsPersist01Test,
    ::testing::Values(
        Case{.label = "valid", .txt = {kOurs}, .want_ok = true},
        Case{.label = "valid among others' and broken records",
             .txt = {"other.example; accounturi=x", "ca.example; junk", "hello",
                     kOurs},
             .want_ok = true},
        Case{.label = "issuer compared normalized, config too",
             .issuer = "CA.example.",
             .txt = {"Ca.Example.; accounturi=https://ca.example/acct/1"},
             .want_ok = true},
        Case{.label = "wildcard with policy",
             .identifier = "*.example.com",
             .txt = {std::string(kOurs) + "; policy=wildcard"},
             .want_ok = true},
        Case{.label = "wildcard without policy",
             .identifier = "*.example.com",
             .txt = {kOurs},
             .want_detail = kCheck +
                            "policy mismatch: expected \"wildcard\", got "
                            "\"\""},
        Case{.label = "persistUntil in the future",
             .txt = {std::string(kOurs) + "; persistUntil=1767225601"},
             .want_ok = true},
        Case{.label = "persistUntil passed",
             .txt = {std::string(kOurs) + "; persistUntil=1767225599"},
             .want_detail = kCheck +
                            "validation time 2026-01-01T00:00:00Z is after "
                            "persistUntil 2025-12-31T23:59:59Z"},
        Case{.label = "another account",
             .txt = {"ca.example; accounturi=https://ca.example/acct/2"},
             .want_detail = kCheck + "accounturi mismatch: expected "
                                     "\"https://ca.example/acct/1\", got "
                                     "\"https://ca.example/acct/2\""},
        Case{.label = "every mismatch named",
             .txt = {"ca.example; accounturi=a", "ca.example; accounturi=b"},
             .want_detail =
                 kCheck +
                 "accounturi mismatch: expected \"https://ca.example/acct/1\", "
                 "got \"a\"; " +
                 kCheck +
                 "accounturi mismatch: expected \"https://ca.example/acct/1\", "
                 "got \"b\""},
        Case{.label = "malformed record for us wins over mismatches",
             .txt = {"ca.example; accounturi=a", "ca.example; policy=x"},
             .want_type = ProblemType::kMalformed,
             .want_detail = kParse + "missing mandatory accounturi parameter"},
        Case{.label = "malformed for another CA is skipped",
             .txt = {"other.example; accounturi="},
             .want_detail =
                 "No valid TXT record found for DNS-PERSIST-01 challenge"},
        Case{.label = "only another CA's record",
             .txt = {"other.example; accounturi=https://ca.example/acct/1"},
             .want_detail =
                 "No valid TXT record found for DNS-PERSIST-01 challenge"},
        Case{.label = "no TXT at all",
             .want_detail = "No TXT record found for DNS-PERSIST-01 challenge"},
        Case{.label = "nxdomain is a dns problem",
             .outcome = Outcome::kNxDomain,
             .want_type = ProblemType::kDns,
             .want_detail =
                 "Retrieving TXT records for DNS-PERSIST-01 challenge: DNS "
                 "problem: NXDOMAIN looking up TXT for "
                 "_validation-persist.example.com - check that a DNS record "
                 "exists for this domain"},
        Case{.label = "timeout is transient",
             .outcome = Outcome::kTimeout,
             .want_type = ProblemType::kDns,
             .want_detail =
                 "Retrieving TXT records for DNS-PERSIST-01 challenge: DNS "
                 "problem: query timed out looking up TXT for "
                 "_validation-persist.example.com",
             .want_transient = true},
        Case{.label = "no issuer configured: internal, no query",
             .issuer = "",
             .want_type = ProblemType::kServerInternal,
             .want_detail = "no issuer domain name configured for "
                            "DNS-PERSIST-01 challenge validation",
             .want_query = false},
        Case{.label = "no account prefix: internal, no query",
             .prefixes = {},
             .want_type = ProblemType::kServerInternal,
             .want_detail = "accountURI must be provided for dns-persist-01",
             .want_query = false}));

TEST(DnsPersist01Test, RecordToPublish) {
  const ChallengeValidator& v = DnsPersist01Validator();
  ChallengeConfig config{"CA.example", {"https://ca.example/acct/"}};
  DcvInput input{"*.example.com", "", ".thumb", 1, kNow};
  absl::StatusOr<PublishedTxt> txt = v.RecordToPublish(config, input);
  ASSERT_TRUE(txt.ok()) << txt.status();
  EXPECT_EQ(txt->name, "_validation-persist.example.com");
  EXPECT_EQ(txt->value, std::string(kOurs) + "; policy=wildcard");
  // What it publishes validates.
  dns::LookupResult lookup;
  lookup.txt = {txt->value};
  EXPECT_FALSE(EvaluatePersistTxt(lookup, "example.com", "ca.example", kUri,
                                  /*wildcard=*/true, kNow)
                   .problem.has_value());
}

TEST(DnsPersist01Test, RemoteMustMatchTheSameAccount) {
  const ChallengeValidator& v = DnsPersist01Validator();
  DcvResult local;
  local.account_uri = kUri;
  EXPECT_FALSE(v.RemoteDisagreement(local, kUri).has_value());
  std::optional<Problem> p =
      v.RemoteDisagreement(local, "https://ca.example/acct/2");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, ProblemType::kUnauthorized);
  EXPECT_EQ(p->detail,
            "Remote perspective matched accounturi "
            "\"https://ca.example/acct/2\", expected "
            "\"https://ca.example/acct/1\"");
  EXPECT_TRUE(v.RemoteDisagreement(local, "").has_value());
}

}  // namespace
}  // namespace acmeva::va
