#include "va/caa_params.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace acmeva::va {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct ParseCase {
  std::string value;
  bool want_ok;
  std::string want_domain{};
  Params want_params{};
};

void PrintTo(const ParseCase& c, std::ostream* os) {
  *os << "\"" << c.value << "\"";
}

class ParseCaaIssueValueTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseCaaIssueValueTest, Table) {
  const ParseCase& c = GetParam();
  const absl::StatusOr<CaaIssueValue> parsed = ParseCaaIssueValue(c.value);
  if (!c.want_ok) {
    EXPECT_FALSE(parsed.ok()) << "domain=" << parsed->issuer_domain;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    }
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->issuer_domain, c.want_domain);
  EXPECT_EQ(parsed->params, c.want_params);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8659, ParseCaaIssueValueTest,
    ::testing::Values(
        // Well-formed.
        ParseCase{"letsencrypt.org", true, "letsencrypt.org"},
        ParseCase{"  letsencrypt.org  ", true, "letsencrypt.org"},
        ParseCase{"\tletsencrypt.org\t", true, "letsencrypt.org"},
        ParseCase{"ca-1.example", true, "ca-1.example"},
        ParseCase{"LetsEncrypt.org", true, "LetsEncrypt.org"},
        ParseCase{";", true, ""}, ParseCase{"", true, ""},
        ParseCase{"   ", true, ""},
        ParseCase{"letsencrypt.org;", true, "letsencrypt.org"},
        ParseCase{"letsencrypt.org ;  ", true, "letsencrypt.org"},
        ParseCase{"letsencrypt.org; accounturi=https://ca/acct/1",
                  true,
                  "letsencrypt.org",
                  {{"accounturi", "https://ca/acct/1"}}},
        ParseCase{"letsencrypt.org;accounturi=https://ca/acct/1;"
                  "validationmethods=dns-01",
                  true,
                  "letsencrypt.org",
                  {{"accounturi", "https://ca/acct/1"},
                   {"validationmethods", "dns-01"}}},
        ParseCase{"letsencrypt.org ; accounturi = https://ca/1 ;\tfoo=bar ",
                  true,
                  "letsencrypt.org",
                  {{"accounturi", "https://ca/1"}, {"foo", "bar"}}},
        ParseCase{
            "letsencrypt.org; foo=", true, "letsencrypt.org", {{"foo", ""}}},
        ParseCase{"letsencrypt.org; foo=a=b",
                  true,
                  "letsencrypt.org",
                  {{"foo", "a=b"}}},
        ParseCase{"letsencrypt.org; a=b; a=c",
                  true,
                  "letsencrypt.org",
                  {{"a", "b"}, {"a", "c"}}},
        ParseCase{"; foo=bar", true, "", {{"foo", "bar"}}},
        ParseCase{
            "letsencrypt.org; Tag9=!\"#$%&'()*+,-./09:<=>?@AZ[\\]^_`az{|}~",
            true,
            "letsencrypt.org",
            {{"Tag9", "!\"#$%&'()*+,-./09:<=>?@AZ[\\]^_`az{|}~"}}},
        // Malformed: issuer domain.
        ParseCase{"%%%%%", false}, ParseCase{"letsencrypt.org.", false},
        ParseCase{"-letsencrypt.org", false},
        ParseCase{"letsencrypt-.org", false},
        ParseCase{"letsencrypt..org", false},
        ParseCase{"lets_encrypt.org", false},
        ParseCase{"lets encrypt.org", false},
        ParseCase{"letsencrypt.org foo", false},
        ParseCase{"letsencrypt.org\n", false},
        ParseCase{"letsencrypt.org=x", false},
        ParseCase{"l\xC3\xA9tsencrypt.org", false},
        // Malformed: parameters.
        ParseCase{"letsencrypt.org;;", false},
        ParseCase{"letsencrypt.org; ;", false},
        ParseCase{"letsencrypt.org; accounturi", false},
        ParseCase{"letsencrypt.org; =v", false},
        ParseCase{"letsencrypt.org; account-uri=x", false},
        ParseCase{"letsencrypt.org; account_uri=x", false},
        ParseCase{"letsencrypt.org; a b=c", false},
        ParseCase{"letsencrypt.org; a=b c", false},
        ParseCase{"letsencrypt.org; a=b;", false},
        ParseCase{"letsencrypt.org; a=b; ", false},
        ParseCase{"letsencrypt.org; a=b;;c=d", false},
        ParseCase{"letsencrypt.org; a=\x7F", false},
        ParseCase{"letsencrypt.org; a=\xC3\xA9", false},
        ParseCase{"letsencrypt.org; a=b\n", false},
        ParseCase{"letsencrypt.org;\n", false}));

CaaIssueValue WithParams(Params params) {
  CaaIssueValue v;
  v.issuer_domain = "letsencrypt.org";
  v.params = std::move(params);
  return v;
}

const std::vector<std::string> kPrefixes = {
    "https://acme-v02.api.letsencrypt.org/acme/acct/",
    "https://acme-v01.api.letsencrypt.org/acme/reg/"};

struct AccountCase {
  std::string label;
  Params params;
  std::vector<std::string> prefixes;
  int64_t account_id;
  bool want;
};

void PrintTo(const AccountCase& c, std::ostream* os) { *os << c.label; }

class AccountUriTest : public ::testing::TestWithParam<AccountCase> {};

TEST_P(AccountUriTest, Table) {
  const AccountCase& c = GetParam();
  EXPECT_EQ(
      CaaAccountUriMatches(WithParams(c.params), c.prefixes, c.account_id),
      c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8657, AccountUriTest,
    ::testing::Values(
        AccountCase{"absent matches any account", {}, kPrefixes, 7, true},
        AccountCase{"other params only", {{"foo", "bar"}}, kPrefixes, 7, true},
        AccountCase{"first prefix",
                    {{"accounturi", kPrefixes[0] + "123"}},
                    kPrefixes,
                    123,
                    true},
        AccountCase{"second (legacy) prefix",
                    {{"accounturi", kPrefixes[1] + "123"}},
                    kPrefixes,
                    123,
                    true},
        AccountCase{"other account",
                    {{"accounturi", kPrefixes[0] + "124"}},
                    kPrefixes,
                    123,
                    false},
        AccountCase{"id prefix is not the id",
                    {{"accounturi", kPrefixes[0] + "12"}},
                    kPrefixes,
                    123,
                    false},
        AccountCase{"unknown prefix",
                    {{"accounturi", "https://other.ca/acct/123"}},
                    kPrefixes,
                    123,
                    false},
        AccountCase{"two accounturi, both matching",
                    {{"accounturi", kPrefixes[0] + "123"},
                     {"accounturi", kPrefixes[0] + "123"}},
                    kPrefixes,
                    123,
                    false},
        AccountCase{"tag case does not hide it",
                    {{"AccountURI", kPrefixes[0] + "999"}},
                    kPrefixes,
                    123,
                    false},
        AccountCase{"no prefixes configured",
                    {{"accounturi", kPrefixes[0] + "123"}},
                    {},
                    123,
                    false},
        AccountCase{
            "empty value", {{"accounturi", ""}}, kPrefixes, 123, false}));

struct MethodCase {
  std::string label;
  Params params;
  std::string method;
  bool want;
};

void PrintTo(const MethodCase& c, std::ostream* os) { *os << c.label; }

class ValidationMethodsTest : public ::testing::TestWithParam<MethodCase> {};

TEST_P(ValidationMethodsTest, Table) {
  const MethodCase& c = GetParam();
  EXPECT_EQ(CaaValidationMethodMatches(WithParams(c.params), c.method), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8657, ValidationMethodsTest,
    ::testing::Values(
        MethodCase{"absent matches any method", {}, "dns-01", true},
        MethodCase{"exact", {{"validationmethods", "dns-01"}}, "dns-01", true},
        MethodCase{"other method",
                   {{"validationmethods", "http-01"}},
                   "dns-01",
                   false},
        MethodCase{"in a list",
                   {{"validationmethods", "http-01,dns-01"}},
                   "dns-01",
                   true},
        MethodCase{"ca-specific names allowed",
                   {{"validationmethods", "ca-foo,dns-01"}},
                   "dns-01",
                   true},
        MethodCase{
            "case matters", {{"validationmethods", "DNS-01"}}, "dns-01", false},
        MethodCase{"bad label spoils the list",
                   {{"validationmethods", "dns-01,bad_label"}},
                   "dns-01",
                   false},
        MethodCase{
            "empty item", {{"validationmethods", "dns-01,"}}, "dns-01", false},
        MethodCase{"empty value", {{"validationmethods", ""}}, "dns-01", false},
        MethodCase{
            "two params",
            {{"validationmethods", "dns-01"}, {"validationmethods", "dns-01"}},
            "dns-01",
            false},
        MethodCase{"tag case does not hide it",
                   {{"ValidationMethods", "http-01"}},
                   "dns-01",
                   false},
        // The DNS challenge family: each name matches only itself.
        MethodCase{"dns-account-01 listed",
                   {{"validationmethods", "dns-01,dns-account-01"}},
                   "dns-account-01",
                   true},
        MethodCase{"dns-persist-01 listed",
                   {{"validationmethods", "dns-persist-01"}},
                   "dns-persist-01",
                   true},
        MethodCase{"dns-01 does not cover dns-persist-01",
                   {{"validationmethods", "dns-01"}},
                   "dns-persist-01",
                   false},
        MethodCase{"dns-persist-01 does not cover dns-01",
                   {{"validationmethods", "dns-persist-01,dns-account-01"}},
                   "dns-01",
                   false}));

}  // namespace
}  // namespace acmeva::va
