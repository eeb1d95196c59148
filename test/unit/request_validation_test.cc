// Per-type request validation through the one entry point the service uses.
#include "va/request_validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "va/challenge_registry.h"

namespace acmeva::va {
namespace {

constexpr char kToken[] = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
constexpr char kThumb[] = "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

::va::PerformValidationRequest Base(const std::string& type) {
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("example.com");
  req.mutable_challenge()->set_type(type);
  req.mutable_challenge()->set_status("pending");
  if (type == "dns-persist-01") {
    req.set_expectedkeyauthorization(std::string(".") + kThumb);
  } else {
    req.mutable_challenge()->set_token(kToken);
    req.set_expectedkeyauthorization(std::string(kToken) + "." + kThumb);
  }
  req.mutable_authz()->set_id(7);
  req.mutable_authz()->set_regid(1);
  return req;
}

struct Case {
  std::string label;
  std::string type;
  std::function<void(::va::PerformValidationRequest&)> mutate;
  std::string want;  // "" = OK; else the start of the INVALID_ARGUMENT text
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

class ValidateDcvRequestTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateDcvRequestTest, Table) {
  const Case& c = GetParam();
  ::va::PerformValidationRequest req = Base(c.type);
  if (c.mutate) c.mutate(req);
  const absl::Status s = ValidateDcvRequest(req);
  if (c.want.empty()) {
    EXPECT_TRUE(s.ok()) << s;
    return;
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::string(s.message()).starts_with(c.want)) << s.message();
}

using R = ::va::PerformValidationRequest;

INSTANTIATE_TEST_SUITE_P(
    PerType, ValidateDcvRequestTest,
    ::testing::Values(
        Case{"dns-01 ok", "dns-01", nullptr, ""},
        Case{"dns-account-01 ok", "dns-account-01", nullptr, ""},
        Case{"dns-persist-01 ok (Boulder's shape)", "dns-persist-01", nullptr,
             ""},
        Case{"dns-persist-01 with a token", "dns-persist-01",
             [](R& r) {
               r.mutable_challenge()->set_token(kToken);
               r.set_expectedkeyauthorization(std::string(kToken) + "." +
                                              kThumb);
             },
             ""},
        Case{"unknown type", "dns-01",
             [](R& r) { r.mutable_challenge()->set_type("http-02"); },
             "challenge.type: unsupported challenge type \"http-02\" (this "
             "VA validates dns-01, dns-account-01, dns-persist-01)"},
        Case{"http-01 not registered", "dns-01",
             [](R& r) { r.mutable_challenge()->set_type("http-01"); },
             "challenge.type: unsupported"},
        Case{"empty type", "dns-01",
             [](R& r) { r.mutable_challenge()->set_type(""); },
             "challenge.type: empty"},
        Case{"dns-account-01 without regID", "dns-account-01",
             [](R& r) { r.mutable_authz()->set_regid(0); },
             "authz.regID: must be positive (dns-account-01 names the "
             "account)"},
        Case{"dns-persist-01 without regID", "dns-persist-01",
             [](R& r) { r.mutable_authz()->clear_regid(); },
             "authz.regID: must be positive (dns-persist-01 names the "
             "account)"},
        Case{"dns-01 without regID", "dns-01",
             [](R& r) { r.mutable_authz()->set_regid(-1); },
             "authz.regID: must be positive"},
        Case{"dns-account-01 empty token part", "dns-account-01",
             [](R& r) {
               r.mutable_challenge()->clear_token();
               r.set_expectedkeyauthorization(std::string(".") + kThumb);
             },
             "expectedKeyAuthorization: must be <token>."},
        Case{"dns-persist-01 missing key authorization", "dns-persist-01",
             [](R& r) { r.clear_expectedkeyauthorization(); },
             "expectedKeyAuthorization: missing"},
        Case{"dns-persist-01 bad thumbprint", "dns-persist-01",
             [](R& r) { r.set_expectedkeyauthorization(".a b"); },
             "expectedKeyAuthorization: must be [<token>]."},
        Case{"dns-persist-01 bad token", "dns-persist-01",
             [](R& r) { r.mutable_challenge()->set_token("short"); },
             "challenge.token: must be 43 base64url characters"},
        Case{"dns-account-01 token mismatch", "dns-account-01",
             [](R& r) {
               r.set_expectedkeyauthorization(std::string(43, 'A') + "." +
                                              kThumb);
             },
             "expectedKeyAuthorization: does not start with "
             "challenge.token"}));

TEST(IsKnownValidationMethodTest, KnowsEveryRegisteredType) {
  for (const ChallengeValidator* v : AllChallenges()) {
    EXPECT_TRUE(IsKnownValidationMethod(v->Type())) << v->Type();
  }
  EXPECT_TRUE(IsKnownValidationMethod("dns-persist-01"));
  EXPECT_TRUE(IsKnownValidationMethod("dns-account-01"));
  EXPECT_TRUE(IsKnownValidationMethod("http-01"));
  EXPECT_FALSE(IsKnownValidationMethod("dns-02"));
  EXPECT_FALSE(IsKnownValidationMethod(""));
}

}  // namespace
}  // namespace acmeva::va
