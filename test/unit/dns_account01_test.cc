#include "va/dns_account01.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "test/unit/fake_resolver.h"
#include "va/challenge_registry.h"
#include "va/dns01.h"

namespace acmeva::va {
namespace {

using dns::Outcome;
using dns::RRType;
using fakes::FakeResolver;

constexpr char kKeyAuthorization[] =
    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0."
    "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

// Labels computed independently (Python: base64.b32encode(
// hashlib.sha256(uri).digest()[:10]).lower()); the first is the example of
// draft-ietf-acme-dns-account-label.
struct LabelCase {
  std::string account_uri;
  std::string label;
};

class AccountLabelTest : public ::testing::TestWithParam<LabelCase> {};

TEST_P(AccountLabelTest, Table) {
  const LabelCase& c = GetParam();
  const std::string label = AccountLabel(c.account_uri);
  EXPECT_EQ(label, c.label);
  EXPECT_EQ(label.size(), 16u);  // 10 bytes, no padding
  for (char ch : label) {
    EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')) << ch;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, AccountLabelTest,
    ::testing::Values(
        LabelCase{"https://example.com/acme/acct/ExampleAccount",
                  "ujmmovf2vn55tgye"},
        LabelCase{"https://acme.example/acct/1", "gx6dzk56qzbtpci5"},
        LabelCase{"http://boulder.service.consul:4000/acme/reg/42",
                  "5zij4byr2qxcyyfw"},
        LabelCase{"", "4oymiquy7qobjgx3"}));

TEST(AccountLabelTest, CaseOfUriMatters) {
  EXPECT_NE(AccountLabel("https://acme.example/acct/1"),
            AccountLabel("HTTPS://acme.example/acct/1"));
}

TEST(DnsAccount01NameTest, Layout) {
  EXPECT_EQ(DnsAccount01Name("https://example.com/acme/acct/ExampleAccount",
                             "example.org"),
            "_ujmmovf2vn55tgye._acme-challenge.example.org");
}

struct Case {
  std::string label{};
  std::string identifier{};
  std::vector<std::string> prefixes{"https://acme.example/acct/"};
  int64_t account_id = 1;
  std::string answer_name{};
  Outcome outcome = Outcome::kNoError;
  std::vector<std::string> txt{};
  bool want_ok = false;
  ProblemType want_type = ProblemType::kUnauthorized;
  std::string want_detail{};
  bool want_transient = false;
  bool want_query = true;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

class DnsAccount01Test : public ::testing::TestWithParam<Case> {};

TEST_P(DnsAccount01Test, Table) {
  const Case& c = GetParam();
  FakeResolver resolver;
  dns::LookupResult answer;
  answer.outcome = c.outcome;
  answer.txt = c.txt;
  answer.resolver = "127.0.0.2:53";
  resolver.Set(c.answer_name, RRType::kTXT, answer);

  const ChallengeValidator* v = FindChallenge("dns-account-01");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->UsesToken());
  EXPECT_TRUE(v->AccountBound());
  ChallengeConfig config{"ca.example", c.prefixes};
  DcvInput input{c.identifier, "", kKeyAuthorization, c.account_id,
                 absl::Now()};
  std::optional<DcvResult> result;
  v->Check(resolver, config, input, absl::Now() + absl::Seconds(10),
           [&](DcvResult r) { result = std::move(r); });
  ASSERT_TRUE(result.has_value());  // the fake answers synchronously

  if (c.want_query) {
    ASSERT_EQ(resolver.QueriedNames(), std::vector<std::string>{c.answer_name});
  } else {
    EXPECT_TRUE(resolver.queries().empty());
  }
  std::string want_hostname = c.identifier;
  if (want_hostname.starts_with("*.")) want_hostname.erase(0, 2);
  EXPECT_EQ(result->hostname, want_hostname);
  if (c.want_ok) {
    EXPECT_FALSE(result->problem.has_value()) << result->problem->detail;
    EXPECT_EQ(result->account_uri,
              c.prefixes.front() + std::to_string(c.account_id));
    return;
  }
  ASSERT_TRUE(result->problem.has_value());
  EXPECT_EQ(result->problem->type, c.want_type);
  EXPECT_EQ(result->problem->detail, c.want_detail);
  EXPECT_EQ(result->problem->transient, c.want_transient);
}

const std::string kName1 = "_gx6dzk56qzbtpci5._acme-challenge.example.com";
const std::string kDigest = Dns01Digest(kKeyAuthorization);

INSTANTIATE_TEST_SUITE_P(
    Rules, DnsAccount01Test,
    ::testing::Values(
        Case{.label = "valid",
             .identifier = "example.com",
             .answer_name = kName1,
             .txt = {"other", kDigest},
             .want_ok = true},
        Case{.label = "wildcard stripped",
             .identifier = "*.example.com",
             .answer_name = kName1,
             .txt = {kDigest},
             .want_ok = true},
        Case{.label = "first prefix only",
             .identifier = "example.com",
             .prefixes = {"https://acme.example/acct/", "https://old/acct/"},
             .answer_name = kName1,
             .txt = {kDigest},
             .want_ok = true},
        Case{.label = "wrong value names the account",
             .identifier = "example.com",
             .answer_name = kName1,
             .txt = {"nope"},
             .want_detail = "Incorrect TXT record \"nope\" found at " + kName1 +
                            " (account: \"https://acme.example/acct/1\")"},
        Case{.label = "missing record names the account",
             .identifier = "example.com",
             .answer_name = kName1,
             .want_detail = "No TXT record found at " + kName1 +
                            " (account: \"https://acme.example/acct/1\")"},
        Case{.label = "another account's name is not ours",
             .identifier = "example.com",
             .account_id = 2,
             .answer_name = "_" + AccountLabel("https://acme.example/acct/2") +
                            "._acme-challenge.example.com",
             .txt = {"x"},
             .want_detail = "Incorrect TXT record \"x\" found at _" +
                            AccountLabel("https://acme.example/acct/2") +
                            "._acme-challenge.example.com (account: "
                            "\"https://acme.example/acct/2\")"},
        Case{.label = "servfail is a transient dns problem, no account",
             .identifier = "example.com",
             .answer_name = kName1,
             .outcome = Outcome::kServFail,
             .want_type = ProblemType::kDns,
             .want_detail = "DNS problem: SERVFAIL looking up TXT for " +
                            kName1 +
                            " - the domain's nameservers may be "
                            "malfunctioning",
             .want_transient = true},
        Case{.label = "no prefix configured: internal, no query",
             .identifier = "example.com",
             .prefixes = {},
             .answer_name = kName1,
             .want_type = ProblemType::kServerInternal,
             .want_detail = "accountURI must be provided for dns-account-01",
             .want_query = false}));

TEST(DnsAccount01Test, RecordToPublish) {
  const ChallengeValidator& v = DnsAccount01Validator();
  ChallengeConfig config{"ca.example", {"https://acme.example/acct/"}};
  DcvInput input{"*.example.com", "", kKeyAuthorization, 1, absl::Now()};
  absl::StatusOr<PublishedTxt> txt = v.RecordToPublish(config, input);
  ASSERT_TRUE(txt.ok()) << txt.status();
  EXPECT_EQ(txt->name, kName1);
  EXPECT_EQ(txt->value, kDigest);
  config.account_uri_prefixes.clear();
  EXPECT_FALSE(v.RecordToPublish(config, input).ok());
}

}  // namespace
}  // namespace acmeva::va
