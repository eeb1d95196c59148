#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "bench/lib/name_generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acmeva::bench {
namespace {

using ::testing::ElementsAre;

NameGenerator Make(GeneratorOptions options = {}) {
  auto g = NameGenerator::Create(std::move(options));
  EXPECT_TRUE(g.ok()) << g.status();
  return *std::move(g);
}

bool IsBase64Url(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

TEST(NameGeneratorTest, NamesSpreadOverZonesAndAreDistinct) {
  GeneratorOptions o;
  o.zones = 3;
  o.names_per_zone = 4;
  NameGenerator g = Make(o);
  EXPECT_EQ(g.size(), 12);
  EXPECT_EQ(g.NameAt(0), "n0.z0.bench");
  EXPECT_EQ(g.NameAt(1), "n0.z1.bench");
  EXPECT_EQ(g.NameAt(3), "n1.z0.bench");
  EXPECT_EQ(g.NameAt(11), "n3.z2.bench");
  std::set<std::string> names;
  for (int64_t i = 0; i < g.size(); ++i) names.insert(g.NameAt(i));
  EXPECT_EQ(names.size(), 12u);
}

TEST(NameGeneratorTest, LabelDepthAddsLabelsBelowTheZone) {
  GeneratorOptions o;
  o.label_depth = 3;
  o.tld = "outage";
  EXPECT_EQ(Make(o).NameAt(0), "n0.d1.d2.z0.outage");
}

TEST(NameGeneratorTest, KeyAuthorizationIsTokenDotThumbprintAndTxtIsItsDigest) {
  NameGenerator g = Make();
  const BenchName n = g.At(5);
  EXPECT_EQ(n.token.size(), 43u);
  EXPECT_TRUE(IsBase64Url(n.token));
  ASSERT_TRUE(absl::StartsWith(n.key_authorization, n.token + "."));
  const std::string thumbprint = n.key_authorization.substr(44);
  EXPECT_EQ(thumbprint.size(), 43u);
  EXPECT_TRUE(IsBase64Url(thumbprint));
  EXPECT_EQ(n.txt_value, Base64UrlNoPad(Sha256(n.key_authorization)));
  EXPECT_EQ(n.txt_value.size(), 43u);
  EXPECT_EQ(n.authz_id, 6);
  EXPECT_GE(n.reg_id, 1);
  EXPECT_LE(n.reg_id, 1000);
}

TEST(NameGeneratorTest, Sha256MatchesTheKnownVector) {
  // SHA-256("abc"), FIPS 180-2 appendix B.1, in base64url.
  std::string expected;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(
      "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0", &expected));
  EXPECT_EQ(Sha256("abc"), expected);
  EXPECT_EQ(Base64UrlNoPad("\xff\xfe"), "__4");  // no '=' padding
}

TEST(NameGeneratorTest, SameSeedSameData_OtherSeedOtherTokens) {
  GeneratorOptions a;
  GeneratorOptions b;
  b.seed = 2;
  const BenchName a1 = Make(a).At(7), a2 = Make(a).At(7), b1 = Make(b).At(7);
  EXPECT_EQ(a1.name, b1.name);
  EXPECT_EQ(a1.token, a2.token);
  EXPECT_EQ(a1.txt_value, a2.txt_value);
  EXPECT_NE(a1.token, b1.token);
}

TEST(NameGeneratorTest, ForNameAgreesWithTheGenerator) {
  NameGenerator g = Make();
  const BenchName generated = g.At(42);
  ASSERT_EQ(generated.name, "n0.z42.bench");
  const BenchName from_file = g.ForName("N0.Z42.Bench", 42);  // any case
  EXPECT_EQ(from_file.name, generated.name);
  EXPECT_EQ(from_file.token, generated.token);
  EXPECT_EQ(from_file.key_authorization, generated.key_authorization);
  EXPECT_EQ(from_file.caa_issue, generated.caa_issue);
  EXPECT_NE(g.ForName("n1.z42.bench", 42).token, generated.token);
}

TEST(NameGeneratorTest, CaaShareIsRoughlyHonoured) {
  struct Case {
    double share;
    int min, max;  // of 10,000 names
  };
  for (const Case& c : {Case{0.0, 0, 0}, Case{1.0, 10000, 10000},
                        Case{0.1, 850, 1150}, Case{0.5, 4800, 5200}}) {
    GeneratorOptions o;
    o.zones = 100;
    o.names_per_zone = 100;
    o.caa_share = c.share;
    NameGenerator g = Make(o);
    int with_caa = 0;
    for (int64_t i = 0; i < g.size(); ++i) {
      const BenchName n = g.At(i);
      if (n.caa_issue.has_value()) {
        ++with_caa;
        EXPECT_EQ(*n.caa_issue,
                  "letsencrypt.org; accounturi=https://acme.example/acct/" +
                      std::to_string(n.reg_id));
      }
    }
    EXPECT_GE(with_caa, c.min) << c.share;
    EXPECT_LE(with_caa, c.max) << c.share;
  }
}

TEST(NameGeneratorTest, RejectsBadOptions) {
  struct Case {
    const char* what;
    void (*change)(GeneratorOptions&);
  };
  for (const Case& c : std::vector<Case>{
           {"zones", [](GeneratorOptions& o) { o.zones = 0; }},
           {"names", [](GeneratorOptions& o) { o.names_per_zone = 0; }},
           {"depth", [](GeneratorOptions& o) { o.label_depth = 0; }},
           {"share", [](GeneratorOptions& o) { o.caa_share = 1.5; }},
           {"accounts", [](GeneratorOptions& o) { o.accounts = 0; }},
           {"tld", [](GeneratorOptions& o) { o.tld = "a.b"; }},
           {"empty tld", [](GeneratorOptions& o) { o.tld = ""; }},
       }) {
    GeneratorOptions o;
    c.change(o);
    EXPECT_FALSE(NameGenerator::Create(o).ok()) << c.what;
  }
}

TEST(QueryNamesTest, TxtAndEveryCaaSuffix) {
  EXPECT_EQ(TxtQueryName("a.b.c"), "_acme-challenge.a.b.c");
  EXPECT_THAT(
      CaaQueryNames("n1.d1.z2.bench"),
      ElementsAre("n1.d1.z2.bench", "d1.z2.bench", "z2.bench", "bench"));
}

TEST(ReadNamesFileTest, SkipsCommentsBlanksAndTrailingDots) {
  const std::string path =
      ::testing::TempDir() + "/vabench_names_" + std::to_string(getpid());
  {
    std::ofstream out(path);
    out << "# names\n\n  a.example.  \nb.example\n";
  }
  auto names = ReadNamesFile(path);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("a.example", "b.example"));
  std::remove(path.c_str());
  EXPECT_FALSE(ReadNamesFile(path).ok());
}

}  // namespace
}  // namespace acmeva::bench
