#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ra/token.h"

namespace acmeva::ra {
namespace {

const std::string kThumbprint(43, 'T');

TEST(RaTokenTest, FortyThreeCharsOfBase64UrlAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<std::string> token = NewChallengeToken();
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(token->size(), 43u);
    EXPECT_TRUE(IsBase64Url(*token)) << *token;
    seen.insert(*token);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(RaTokenTest, Base64UrlAlphabet) {
  EXPECT_TRUE(IsBase64Url("AZaz09-_"));
  EXPECT_FALSE(IsBase64Url(""));
  EXPECT_FALSE(IsBase64Url("abc="));
  EXPECT_FALSE(IsBase64Url("ab+c"));
  EXPECT_FALSE(IsBase64Url("ab/c"));
  EXPECT_FALSE(IsBase64Url("ab c"));
}

TEST(RaTokenTest, KeyAuthorizationFromThumbprint) {
  absl::StatusOr<std::string> ka =
      KeyAuthorizationFromThumbprint("tok", kThumbprint, "jwkThumbprint");
  ASSERT_TRUE(ka.ok());
  EXPECT_EQ(*ka, "tok." + kThumbprint);

  for (const std::string& bad :
       {std::string(), std::string(42, 'T'), std::string(44, 'T'),
        std::string(42, 'T') + "="}) {
    absl::StatusOr<std::string> r =
        KeyAuthorizationFromThumbprint("tok", bad, "jwkThumbprint");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("jwkThumbprint"), std::string::npos);
  }
}

TEST(RaTokenTest, CheckKeyAuthorizationTable) {
  struct Case {
    std::string ka;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"tok." + kThumbprint, true},
      {"other." + kThumbprint, false},
      {"tok" + kThumbprint, false},
      {"tok.", false},
      {"tok." + kThumbprint + "x", false},
      {"tok.." + kThumbprint.substr(1), false},
      {"", false},
  };
  for (const Case& c : cases) {
    const absl::Status s =
        CheckKeyAuthorization("tok", c.ka, "keyAuthorization");
    EXPECT_EQ(s.ok(), c.ok) << c.ka << " " << s;
    if (!c.ok) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find("keyAuthorization"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace acmeva::ra
