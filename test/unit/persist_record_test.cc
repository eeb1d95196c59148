#include "va/persist_record.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace acmeva::va {
namespace {

struct ParseCase {
  std::string label;
  std::string record;
  std::string want_issuer;  // normalized; "" when the issuer is malformed
  std::string want_error;   // "" when it parses
  std::string want_account = "";
  std::string want_policy = "";
  std::optional<int64_t> want_until = std::nullopt;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.label; }

class ParsePersistRecordTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParsePersistRecordTest, Table) {
  const ParseCase& c = GetParam();
  const PersistRecord r = ParsePersistRecord(c.record);
  EXPECT_EQ(r.issuer, c.want_issuer);
  EXPECT_EQ(r.error, c.want_error);
  EXPECT_EQ(r.ok(), c.want_error.empty());
  if (!r.ok()) return;
  EXPECT_EQ(r.params.account_uri, c.want_account);
  EXPECT_EQ(r.params.policy, c.want_policy);
  EXPECT_EQ(r.params.persist_until, c.want_until);
}

constexpr char kUri[] = "https://ca.example/acct/1";

INSTANTIATE_TEST_SUITE_P(
    Rules, ParsePersistRecordTest,
    ::testing::Values(
        ParseCase{"minimal", "ca.example;accounturi=https://ca.example/acct/1",
                  "ca.example", "", kUri},
        ParseCase{"spaces and tabs around everything",
                  " \tca.example \t; accounturi = https://ca.example/acct/1 ",
                  "ca.example", "", kUri},
        ParseCase{"issuer normalized: case and trailing dot",
                  "CA.Example.;accounturi=x", "ca.example", "", "x"},
        ParseCase{"all known tags, any case",
                  "ca.example; AccountURI=x; Policy=WildCard; "
                  "PERSISTUNTIL=1767225600",
                  "ca.example", "", "x", "WildCard", 1767225600},
        ParseCase{"unknown tags ignored", "ca.example; foo=bar; accounturi=x",
                  "ca.example", "", "x"},
        ParseCase{"unknown tag twice is still ignored",
                  "ca.example; foo=1; foo=2; accounturi=x", "ca.example", "",
                  "x"},
        ParseCase{"accounturi is case-sensitive data",
                  "ca.example; accounturi=HTTPS://CA.example/Acct/1",
                  "ca.example", "", "HTTPS://CA.example/Acct/1"},
        ParseCase{"value may contain '='", "ca.example; accounturi=a=b",
                  "ca.example", "", "a=b"},
        ParseCase{"empty policy value",
                  "ca.example; accounturi=x; policy=", "ca.example", "", "x"},
        ParseCase{"negative persistUntil parses",
                  "ca.example; accounturi=x; persistUntil=-5", "ca.example", "",
                  "x", "", -5},
        ParseCase{"int64 max",
                  "ca.example; accounturi=x; persistUntil=9223372036854775807",
                  "ca.example", "", "x", "", INT64_MAX},
        // Malformed.
        ParseCase{"empty record", "", "", "empty issuer-domain-name"},
        ParseCase{"only whitespace issuer", " \t;accounturi=x", "",
                  "empty issuer-domain-name"},
        ParseCase{"issuer with underscore", "ca_example;accounturi=x", "",
                  "malformed issuer-domain-name \"ca_example\": only letters, "
                  "digits and hyphens are allowed"},
        ParseCase{"issuer non-ASCII", "ca\xc3\xa9.example;accounturi=x", "",
                  "malformed issuer-domain-name \"ca\\xc3\\xa9.example\": "
                  "only letters, digits and hyphens are allowed"},
        ParseCase{"missing accounturi", "ca.example", "ca.example",
                  "missing mandatory accounturi parameter"},
        ParseCase{"missing accounturi, other tags",
                  "ca.example; policy=wildcard", "ca.example",
                  "missing mandatory accounturi parameter"},
        ParseCase{"empty accounturi", "ca.example; accounturi=", "ca.example",
                  "empty value provided for mandatory accounturi"},
        ParseCase{"trailing semicolon", "ca.example; accounturi=x;",
                  "ca.example",
                  "empty parameter or trailing semicolon provided"},
        ParseCase{"empty parameter in the middle", "ca.example;; accounturi=x",
                  "ca.example",
                  "empty parameter or trailing semicolon provided"},
        ParseCase{"no '='", "ca.example; accounturi", "ca.example",
                  "malformed parameter \"accounturi\" should be tag=value "
                  "pair"},
        ParseCase{"empty tag", "ca.example; =x", "ca.example",
                  "malformed parameter \"=x\", empty tag"},
        ParseCase{"duplicate accounturi",
                  "ca.example; accounturi=x; accounturi=x", "ca.example",
                  "duplicate parameter \"accounturi\""},
        ParseCase{"duplicate across case",
                  "ca.example; accounturi=x; "
                  "policy=wildcard; POLICY=wildcard",
                  "ca.example", "duplicate parameter \"POLICY\""},
        ParseCase{"duplicate persistUntil",
                  "ca.example; accounturi=x; persistUntil=1; persistuntil=2",
                  "ca.example", "duplicate parameter \"persistuntil\""},
        ParseCase{"space inside a value", "ca.example; accounturi=a b",
                  "ca.example",
                  "malformed value \"a b\" for tag \"accounturi\""},
        ParseCase{"control character in a value",
                  "ca.example; accounturi=a\x01z", "ca.example",
                  "malformed value \"a\\x01z\" for tag \"accounturi\""},
        ParseCase{"non-ASCII in a value", "ca.example; accounturi=\xc3\xa9",
                  "ca.example",
                  "malformed value \"\\xc3\\xa9\" for tag \"accounturi\""},
        ParseCase{"bad value in an unknown tag is still malformed",
                  "ca.example; accounturi=x; note=a\tb", "ca.example",
                  "malformed value \"a\\tb\" for tag \"note\""},
        ParseCase{"persistUntil not a number",
                  "ca.example; accounturi=x; persistUntil=soon", "ca.example",
                  "malformed persistUntil timestamp \"soon\""},
        ParseCase{"persistUntil empty",
                  "ca.example; accounturi=x; persistUntil=", "ca.example",
                  "malformed persistUntil timestamp \"\""},
        ParseCase{"persistUntil overflows int64",
                  "ca.example; accounturi=x; persistUntil=9223372036854775808",
                  "ca.example",
                  "malformed persistUntil timestamp "
                  "\"9223372036854775808\""},
        ParseCase{"persistUntil with fraction",
                  "ca.example; accounturi=x; persistUntil=1.5", "ca.example",
                  "malformed persistUntil timestamp \"1.5\""}));

struct NormalizeCase {
  std::string in;
  std::string want;  // "" = error
};

class NormalizeIssuerTest : public ::testing::TestWithParam<NormalizeCase> {};

TEST_P(NormalizeIssuerTest, Table) {
  absl::StatusOr<std::string> got = NormalizeIssuerDomainName(GetParam().in);
  if (GetParam().want.empty()) {
    EXPECT_FALSE(got.ok()) << *got;
  } else {
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, GetParam().want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, NormalizeIssuerTest,
    ::testing::Values(
        NormalizeCase{"letsencrypt.org", "letsencrypt.org"},
        NormalizeCase{"LetsEncrypt.ORG.", "letsencrypt.org"},
        NormalizeCase{"xn--bcher-kva.example", "xn--bcher-kva.example"},
        NormalizeCase{"", ""}, NormalizeCase{".", ""},
        NormalizeCase{"a..b", ""}, NormalizeCase{"-a.b", ""},
        NormalizeCase{"a-.b", ""}, NormalizeCase{"ab--c.d", ""},
        NormalizeCase{"a b", ""},
        NormalizeCase{std::string(64, 'a') + ".b", ""},
        NormalizeCase{std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                          std::string(63, 'c') + "." + std::string(61, 'd'),
                      std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                          std::string(63, 'c') + "." + std::string(61, 'd')},
        NormalizeCase{std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                          std::string(63, 'c') + "." + std::string(63, 'd'),
                      ""}));

struct MismatchCase {
  std::string label;
  PersistParams params;
  bool wildcard = false;
  std::string want = "";  // "" = authorizes
};

void PrintTo(const MismatchCase& c, std::ostream* os) { *os << c.label; }

class PersistMismatchTest : public ::testing::TestWithParam<MismatchCase> {};

// 2026-01-01T00:00:00Z
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

TEST_P(PersistMismatchTest, Table) {
  const MismatchCase& c = GetParam();
  std::optional<std::string> got =
      PersistMismatch(c.params, kUri, c.wildcard, kNow);
  EXPECT_EQ(got.value_or(""), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, PersistMismatchTest,
    ::testing::Values(
        MismatchCase{"exact account", {kUri, "", std::nullopt}},
        MismatchCase{"account differs",
                     {"https://ca.example/acct/2", "", std::nullopt},
                     false,
                     "accounturi mismatch: expected "
                     "\"https://ca.example/acct/1\", got "
                     "\"https://ca.example/acct/2\""},
        MismatchCase{"account differs only in case",
                     {"https://CA.example/acct/1", "", std::nullopt},
                     false,
                     "accounturi mismatch: expected "
                     "\"https://ca.example/acct/1\", got "
                     "\"https://CA.example/acct/1\""},
        MismatchCase{"wildcard needs policy",
                     {kUri, "", std::nullopt},
                     true,
                     "policy mismatch: expected \"wildcard\", got \"\""},
        MismatchCase{"wildcard with another policy",
                     {kUri, "strict", std::nullopt},
                     true,
                     "policy mismatch: expected \"wildcard\", got \"strict\""},
        MismatchCase{
            "wildcard policy any case", {kUri, "WILDcard", std::nullopt}, true},
        MismatchCase{"policy ignored for non-wildcard",
                     {kUri, "strict", std::nullopt}},
        MismatchCase{"persistUntil in the future", {kUri, "", 1767225601}},
        MismatchCase{"persistUntil is now", {kUri, "", 1767225600}},
        MismatchCase{"persistUntil passed",
                     {kUri, "", 1767225599},
                     false,
                     "validation time 2026-01-01T00:00:00Z is after "
                     "persistUntil 2025-12-31T23:59:59Z"},
        MismatchCase{"account checked before policy",
                     {"other", "", 1},
                     true,
                     "accounturi mismatch: expected "
                     "\"https://ca.example/acct/1\", got \"other\""}));

}  // namespace
}  // namespace acmeva::va
