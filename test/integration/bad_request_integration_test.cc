// Bad gRPC requests against the real VA process: every malformed field of
// DoDCV and DoCAA gets INVALID_ARGUMENT naming that field (RESOURCE_EXHAUSTED
// for messages over the receive limit), no DNS work is started, and the VA
// still validates a good request correctly afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A token and thumbprint of 43 base64url characters.
const std::string kToken = "tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string kThumb = "thumbBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

::va::PerformValidationRequest GoodDcv() {
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("good.example.com");
  req.mutable_challenge()->set_type("dns-01");
  req.mutable_challenge()->set_status("pending");
  req.mutable_challenge()->set_token(kToken);
  req.mutable_authz()->set_id(7);
  req.mutable_authz()->set_regid(9);
  req.set_expectedkeyauthorization(kToken + "." + kThumb);
  return req;
}

::va::IsCAAValidRequest GoodCaa() {
  ::va::IsCAAValidRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("good.example.com");
  req.set_validationmethod("dns-01");
  req.set_accounturiid(9);
  req.set_authzid(7);
  return req;
}

struct BadCase {
  std::string name;
  bool caa;  // DoCAA (else DoDCV)
  std::function<void(::va::PerformValidationRequest&)> dcv;
  std::function<void(::va::IsCAAValidRequest&)> caa_mutate;
  grpc::StatusCode code;
  std::string field;  // the message starts with "<field>:"
};

BadCase Dcv(std::string name,
            std::function<void(::va::PerformValidationRequest&)> f,
            std::string field,
            grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT) {
  return {std::move(name), false, std::move(f),
          nullptr,         code,  std::move(field)};
}
BadCase Caa(std::string name, std::function<void(::va::IsCAAValidRequest&)> f,
            std::string field,
            grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT) {
  return {std::move(name), true, nullptr, std::move(f), code, std::move(field)};
}

// An identifier value that breaks one name rule (va/identifier.h).
std::function<void(::va::PerformValidationRequest&)> DcvName(std::string v) {
  return [v](::va::PerformValidationRequest& r) {
    r.mutable_identifier()->set_value(v);
  };
}
std::function<void(::va::IsCAAValidRequest&)> CaaName(std::string v) {
  return
      [v](::va::IsCAAValidRequest& r) { r.mutable_identifier()->set_value(v); };
}

std::vector<BadCase> BadCases() {
  using P = ::va::PerformValidationRequest;
  using C = ::va::IsCAAValidRequest;
  const std::string long_name =  // 4 * 63 + 3 dots + ".com" = 259 octets
      absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'), ".",
                   std::string(63, 'c'), ".", std::string(63, 'd'), ".com");
  const std::string name_254 =  // 254 octets, every label legal
      absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'), ".",
                   std::string(63, 'c'), ".", std::string(58, 'd'), ".com");
  const std::string big(100 * 1024, 'x');        // over a 64 KiB receive limit
  const std::string huge(5 * 1024 * 1024, 'y');  // over gRPC's 4 MiB default
  const std::string id_v = "identifier.value";
  return {
      // ---- DoDCV: the identifier ----
      Dcv(
          "dcv_no_identifier", [](P& r) { r.clear_identifier(); },
          "identifier"),
      Dcv(
          "dcv_empty_type", [](P& r) { r.mutable_identifier()->set_type(""); },
          "identifier.type"),
      Dcv(
          "dcv_ip_type", [](P& r) { r.mutable_identifier()->set_type("ip"); },
          "identifier.type"),
      Dcv(
          "dcv_upper_type",
          [](P& r) { r.mutable_identifier()->set_type("DNS"); },
          "identifier.type"),
      Dcv("dcv_empty_value", DcvName(""), id_v),
      Dcv("dcv_uppercase", DcvName("Good.Example.com"), id_v),
      Dcv("dcv_trailing_dot", DcvName("good.example.com."), id_v),
      Dcv("dcv_leading_dot", DcvName(".good.example.com"), id_v),
      Dcv("dcv_empty_label", DcvName("good..example.com"), id_v),
      Dcv("dcv_single_label", DcvName("localhost"), id_v),
      Dcv("dcv_name_too_long", DcvName(long_name), id_v),
      Dcv("dcv_name_254_octets", DcvName(name_254), id_v),
      Dcv("dcv_label_64_octets", DcvName(std::string(64, 'a') + ".com"), id_v),
      Dcv("dcv_leading_hyphen", DcvName("-good.example.com"), id_v),
      Dcv("dcv_trailing_hyphen", DcvName("good-.example.com"), id_v),
      Dcv("dcv_underscore", DcvName("go_od.example.com"), id_v),
      Dcv("dcv_space", DcvName("go od.example.com"), id_v),
      Dcv("dcv_nul_byte", DcvName(std::string("go\0od.example.com", 17)), id_v),
      Dcv("dcv_control_byte", DcvName("go\tod.example.com"), id_v),
      Dcv("dcv_raw_utf8",
          DcvName("b\xc3\xbc"
                  "cher.example"),
          id_v),
      Dcv("dcv_fake_a_label", DcvName("xn--m.example.com"), id_v),
      Dcv("dcv_reserved_hyphens", DcvName("ab--cd.example.com"), id_v),
      Dcv("dcv_ip_address", DcvName("192.0.2.1"), id_v),
      Dcv("dcv_wildcard_twice", DcvName("*.*.example.com"), id_v),
      Dcv("dcv_wildcard_inner", DcvName("good.*.example.com"), id_v),
      Dcv("dcv_wildcard_partial", DcvName("*good.example.com"), id_v),
      Dcv("dcv_wildcard_alone", DcvName("*"), id_v),
      Dcv("dcv_wildcard_tld", DcvName("*.com"), id_v),
      // ---- DoDCV: the challenge ----
      Dcv(
          "dcv_no_challenge", [](P& r) { r.clear_challenge(); }, "challenge"),
      Dcv(
          "dcv_empty_challenge_type",
          [](P& r) { r.mutable_challenge()->set_type(""); }, "challenge.type"),
      Dcv(
          "dcv_http01",
          [](P& r) { r.mutable_challenge()->set_type("http-01"); },
          "challenge.type"),
      Dcv(
          "dcv_upper_dns01",
          [](P& r) { r.mutable_challenge()->set_type("DNS-01"); },
          "challenge.type"),
      Dcv(
          "dcv_token_short",
          [](P& r) { r.mutable_challenge()->set_token(kToken.substr(1)); },
          "challenge.token"),
      Dcv(
          "dcv_token_not_base64url",
          [](P& r) {
            r.mutable_challenge()->set_token("+" + kToken.substr(1));
          },
          "challenge.token"),
      // ---- DoDCV: the key authorization ----
      Dcv(
          "dcv_no_key_authz", [](P& r) { r.clear_expectedkeyauthorization(); },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_no_dot",
          [](P& r) { r.set_expectedkeyauthorization(kToken + kThumb); },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_padding",
          [](P& r) {
            r.set_expectedkeyauthorization(kToken + "." + kThumb + "=");
          },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_empty_thumbprint",
          [](P& r) { r.set_expectedkeyauthorization(kToken + "."); },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_two_dots",
          [](P& r) {
            r.set_expectedkeyauthorization(kToken + "." + kThumb + ".x");
          },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_wrong_token",
          [](P& r) {
            r.set_expectedkeyauthorization("x" + kToken.substr(1) + "." +
                                           kThumb);
          },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_whitespace",
          [](P& r) { r.set_expectedkeyauthorization(kToken + ". " + kThumb); },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_key_authz_too_long",
          [](P& r) {
            r.set_expectedkeyauthorization(kToken + "." +
                                           std::string(600, 'A'));
          },
          "expectedKeyAuthorization"),
      // ---- DoDCV: the authorization IDs ----
      Dcv(
          "dcv_no_authz", [](P& r) { r.clear_authz(); }, "authz"),
      Dcv(
          "dcv_authz_id_zero", [](P& r) { r.mutable_authz()->set_id(0); },
          "authz.id"),
      Dcv(
          "dcv_authz_id_negative", [](P& r) { r.mutable_authz()->set_id(-5); },
          "authz.id"),
      Dcv(
          "dcv_regid_zero", [](P& r) { r.mutable_authz()->set_regid(0); },
          "authz.regID"),
      Dcv(
          "dcv_regid_negative", [](P& r) { r.mutable_authz()->set_regid(-1); },
          "authz.regID"),
      // ---- DoDCV: the DNS challenge family ----
      Dcv(
          "dcv_account01_no_regid",
          [](P& r) {
            r.mutable_challenge()->set_type("dns-account-01");
            r.mutable_authz()->clear_regid();
          },
          "authz.regID"),
      Dcv(
          "dcv_persist01_no_regid",
          [](P& r) {
            r.mutable_challenge()->set_type("dns-persist-01");
            r.mutable_challenge()->clear_token();
            r.set_expectedkeyauthorization("." + kThumb);
            r.mutable_authz()->set_regid(0);
          },
          "authz.regID"),
      Dcv(
          "dcv_persist01_no_key_authz",
          [](P& r) {
            r.mutable_challenge()->set_type("dns-persist-01");
            r.mutable_challenge()->clear_token();
            r.clear_expectedkeyauthorization();
          },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_account01_empty_token_part",
          [](P& r) {
            r.mutable_challenge()->set_type("dns-account-01");
            r.mutable_challenge()->clear_token();
            r.set_expectedkeyauthorization("." + kThumb);
          },
          "expectedKeyAuthorization"),
      Dcv(
          "dcv_unknown_dns_type",
          [](P& r) { r.mutable_challenge()->set_type("dns-02"); },
          "challenge.type"),
      // ---- DoDCV: oversized messages ----
      Dcv(
          "dcv_100k_key_authz",
          [big](P& r) { r.set_expectedkeyauthorization(kToken + "." + big); },
          "", grpc::StatusCode::RESOURCE_EXHAUSTED),
      Dcv("dcv_5m_identifier", DcvName(huge), "",
          grpc::StatusCode::RESOURCE_EXHAUSTED),
      // ---- DoCAA ----
      Caa(
          "caa_no_identifier", [](C& r) { r.clear_identifier(); },
          "identifier"),
      Caa(
          "caa_type_trailing_space",
          [](C& r) { r.mutable_identifier()->set_type("dns "); },
          "identifier.type"),
      Caa("caa_empty_value", CaaName(""), id_v),
      Caa("caa_uppercase", CaaName("GOOD.example.com"), id_v),
      Caa("caa_trailing_dot", CaaName("example.com."), id_v),
      Caa("caa_wildcard_inner", CaaName("good.*.example.com"), id_v),
      Caa("caa_name_too_long", CaaName(long_name), id_v),
      Caa("caa_ip_address", CaaName("10.0.0.1"), id_v),
      Caa(
          "caa_no_method", [](C& r) { r.clear_validationmethod(); },
          "validationMethod"),
      Caa(
          "caa_unknown_method", [](C& r) { r.set_validationmethod("dns-02"); },
          "validationMethod"),
      Caa(
          "caa_upper_method", [](C& r) { r.set_validationmethod("DNS-01"); },
          "validationMethod"),
      Caa(
          "caa_method_with_nul",
          [](C& r) { r.set_validationmethod(std::string("dns-01\0", 7)); },
          "validationMethod"),
      Caa(
          "caa_account_zero", [](C& r) { r.set_accounturiid(0); },
          "accountURIID"),
      Caa(
          "caa_account_negative", [](C& r) { r.set_accounturiid(-1); },
          "accountURIID"),
      Caa(
          "caa_authz_zero", [](C& r) { r.set_authzid(0); }, "authzID"),
      Caa(
          "caa_authz_negative", [](C& r) { r.set_authzid(-7); }, "authzID"),
      Caa(
          "caa_100k_method", [big](C& r) { r.set_validationmethod(big); }, "",
          grpc::StatusCode::RESOURCE_EXHAUSTED),
  };
}

class BadRequestIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new VaStack();
    absl::Status s = stack_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  // The sum of validation_requests_rejected_total{kind=...,code=...}.
  static double Rejected(const std::string& kind) {
    auto metrics = HttpGet(stack_->metrics_port(), "/metrics");
    if (!metrics.ok() || metrics->status != 200) return -1;
    const std::string prefix =
        absl::StrCat("validation_requests_rejected_total{kind=\"", kind,
                     "\",code=\"invalid_argument\"} ");
    for (absl::string_view line : absl::StrSplit(metrics->body, '\n')) {
      if (absl::StartsWith(line, prefix)) {
        double v = 0;
        if (absl::SimpleAtod(line.substr(prefix.size()), &v)) return v;
      }
    }
    return 0;
  }

  static VaStack* stack_;
};

VaStack* BadRequestIntegrationTest::stack_ = nullptr;

TEST_F(BadRequestIntegrationTest, EveryBadRequestIsRefusedNamingTheField) {
  const std::vector<BadCase> cases = BadCases();
  ASSERT_GE(cases.size(), 40u);
  const double dcv_rejected_before = Rejected("dcv");
  const double caa_rejected_before = Rejected("caa");
  int dcv_invalid = 0, caa_invalid = 0;
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Status status;
    bool has_problem = false;
    if (c.caa) {
      ::va::IsCAAValidRequest req = GoodCaa();
      c.caa_mutate(req);
      ::va::IsCAAValidResponse resp;
      status = stack_->caa_stub().DoCAA(&ctx, req, &resp);
      has_problem = resp.has_problem();
    } else {
      ::va::PerformValidationRequest req = GoodDcv();
      c.dcv(req);
      ::va::ValidationResult resp;
      status = stack_->va_stub().DoDCV(&ctx, req, &resp);
      has_problem = resp.has_problem();
    }
    EXPECT_EQ(status.error_code(), c.code)
        << c.name << ": " << status.error_message();
    EXPECT_FALSE(has_problem) << "a caller bug is not an in-band problem";
    if (c.code == grpc::StatusCode::INVALID_ARGUMENT) {
      EXPECT_THAT(status.error_message(), StartsWith(c.field + ":"));
      (c.caa ? caa_invalid : dcv_invalid)++;
    }
    ASSERT_TRUE(stack_->va().Running()) << "VA died on " << c.name << "\n"
                                        << stack_->va().Log();
  }
  // Each was refused before any work: counted as rejected, and no DNS query
  // was sent for any of them.
  EXPECT_EQ(Rejected("dcv") - dcv_rejected_before, dcv_invalid);
  EXPECT_EQ(Rejected("caa") - caa_rejected_before, caa_invalid);
  EXPECT_EQ(stack_->QueryCount("_acme-challenge.good.example.com"), 0);
  EXPECT_EQ(stack_->QueryCount("good.example.com"), 0);
}

TEST_F(BadRequestIntegrationTest, GoodRequestsStillValidateAfterwards) {
  // Run the bad table first in this test too, so order does not matter.
  for (const BadCase& c : BadCases()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (c.caa) {
      ::va::IsCAAValidRequest req = GoodCaa();
      c.caa_mutate(req);
      ::va::IsCAAValidResponse resp;
      ASSERT_FALSE(stack_->caa_stub().DoCAA(&ctx, req, &resp).ok()) << c.name;
    } else {
      ::va::PerformValidationRequest req = GoodDcv();
      c.dcv(req);
      ::va::ValidationResult resp;
      ASSERT_FALSE(stack_->va_stub().DoDCV(&ctx, req, &resp).ok()) << c.name;
    }
  }

  const KeyAuthz k = MakeKeyAuthz(41);
  ASSERT_TRUE(
      stack_
          ->Dns("/set-txt", absl::StrCat("{\"host\":\"_acme-challenge.after."
                                         "example.com\",\"value\":\"",
                                         k.txt, "\"}"))
          .ok());
  ::va::ValidationResult valid;
  grpc::Status s =
      stack_->DoDCV("after.example.com", k.key_authorization, &valid);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(valid.has_problem()) << valid.problem().detail();
  ASSERT_EQ(valid.records_size(), 1);
  EXPECT_EQ(valid.records(0).hostname(), "after.example.com");

  // And a wrong value is still told apart from a right one.
  ::va::ValidationResult wrong;
  s = stack_->DoDCV("after.example.com", MakeKeyAuthz(42).key_authorization,
                    &wrong);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(wrong.has_problem());
  EXPECT_EQ(wrong.problem().problemtype(), "unauthorized");

  ::va::IsCAAValidResponse caa;
  s = stack_->DoCAA("after.example.com", "dns-01", 9, &caa);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(caa.has_problem()) << caa.problem().detail();
  EXPECT_TRUE(stack_->va().Running());
}

// A repeatable --remote-va with no value after it (the last argument) is a
// start-up error that names the flag, exit code 2, before anything starts;
// not absl's "unknown command line flag 'remote-va'".
TEST(VaStartupFlagsTest, TrailingRemoteVaWithoutValueRefusesToStart) {
  const CommandResult r = RunCommand(
      {ProgramPath("va"), "--listen=127.0.0.1:0",
       "--dns-resolvers=127.0.0.1:53", "--dnssec-canary=off",
       "--issuer-domain=letsencrypt.org", "--plaintext", "--remote-va"},
      absl::Seconds(10));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--remote-va needs a value")) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("unknown"))) << r.err;
}

// The RA's repeatable --va: the same rule.
TEST(VaStartupFlagsTest, RaTrailingVaWithoutValueRefusesToStart) {
  const CommandResult r =
      RunCommand({ProgramPath("ra"), "--listen=127.0.0.1:0", "--plaintext",
                  "--db=/nonexistent/never-created.db", "--va"},
                 absl::Seconds(10));
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--va needs a value")) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("unknown"))) << r.err;
}

}  // namespace
}  // namespace acmeva::testing_harness
