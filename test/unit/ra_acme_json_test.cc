#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "gtest/gtest.h"
#include "ra/acme_json.h"
#include "ra/authz_view.h"

namespace acmeva::ra {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct out;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &out);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return out;
}

const google::protobuf::Value& Field(const google::protobuf::Struct& s,
                                     const std::string& key) {
  static const google::protobuf::Value kMissing;
  auto it = s.fields().find(key);
  if (it == s.fields().end()) {
    ADD_FAILURE() << "missing field " << key;
    return kMissing;
  }
  return it->second;
}

AuthzRecord BaseRecord() {
  AuthzRecord r;
  r.id = 42;
  r.account_id = 7;
  r.identifier = "example.com";
  r.token = std::string(43, 'k');
  r.created = kNow - absl::Minutes(1);
  r.expires = kNow + absl::Hours(24);
  return r;
}

core::ProblemDetails DnsTimeout() {
  core::ProblemDetails p;
  p.set_problemtype("dns");
  p.set_detail(
      "DNS problem: query timed out looking up TXT for "
      "_acme-challenge.example.com");
  p.set_httpstatus(400);
  p.set_transient(true);
  p.set_attempts(3);
  p.set_queryname("_acme-challenge.example.com");
  p.set_querytype("TXT");
  p.set_dnsoutcome("timeout");
  p.set_resolver("127.0.0.1:5353");
  return p;
}

TEST(RaAcmeJsonTest, PendingAuthorization) {
  const ::ra::AuthorizationResponse view =
      RenderAuthorization(BaseRecord(), kNow);
  const google::protobuf::Struct json = Parse(AuthorizationJson(view));
  EXPECT_EQ(Field(json, "id").number_value(), 42);
  EXPECT_EQ(Field(json, "status").string_value(), "pending");
  EXPECT_EQ(Field(json, "wildcard").bool_value(), false);
  EXPECT_EQ(Field(json, "expires").string_value(), "2027-01-16T08:00:00Z");
  const auto& identifier = Field(json, "identifier").struct_value();
  EXPECT_EQ(Field(identifier, "type").string_value(), "dns");
  EXPECT_EQ(Field(identifier, "value").string_value(), "example.com");
  // The three DNS challenges are offered, all pending; dns-persist-01 has
  // no token.
  const auto& challenges = Field(json, "challenges").list_value();
  ASSERT_EQ(challenges.values_size(), 3);
  const char* const kTypes[] = {"dns-01", "dns-account-01", "dns-persist-01"};
  for (int i = 0; i < 3; ++i) {
    const auto& challenge = challenges.values(i).struct_value();
    EXPECT_EQ(Field(challenge, "type").string_value(), kTypes[i]);
    EXPECT_EQ(Field(challenge, "status").string_value(), "pending");
    EXPECT_EQ(Field(challenge, "token").string_value(),
              i < 2 ? std::string(43, 'k') : std::string());
    EXPECT_EQ(challenge.fields().count("error"), 0u);
    EXPECT_EQ(challenge.fields().count("validated"), 0u);
  }
  EXPECT_EQ(json.fields().count("retryAfter"), 0u);
}

TEST(RaAcmeJsonTest, ProcessingWithScheduledRetryShowsErrorAndRetryAfter) {
  AuthzRecord r = BaseRecord();
  r.state = {AuthzStatus::kPending, ChallengeStatus::kProcessing};
  r.attempts = 1;
  r.first_attempt_at = kNow - absl::Seconds(3);
  r.last_attempt_at = kNow - absl::Seconds(1);
  r.next_attempt_at = kNow + absl::Milliseconds(4500);
  r.problem = DnsTimeout();
  const ::ra::AuthorizationResponse view = RenderAuthorization(r, kNow);
  // Just after the next attempt (§8.2): ceil(4.5) + 1.
  EXPECT_EQ(view.retryafterseconds(), 6);
  EXPECT_TRUE(view.has_nextattemptat());
  EXPECT_EQ(view.authz().status(), "pending");

  const google::protobuf::Struct json = Parse(AuthorizationJson(view));
  EXPECT_EQ(Field(json, "status").string_value(), "pending");
  EXPECT_EQ(Field(json, "retryAfter").number_value(), 6);
  EXPECT_EQ(Field(json, "validationAttempts").number_value(), 1);
  const auto& challenge =
      Field(json, "challenges").list_value().values(0).struct_value();
  EXPECT_EQ(Field(challenge, "status").string_value(), "processing");
  // Erratum 5732: an error while still processing.
  const auto& error = Field(challenge, "error").struct_value();
  EXPECT_EQ(Field(error, "type").string_value(),
            "urn:ietf:params:acme:error:dns");
  EXPECT_EQ(Field(error, "status").number_value(), 400);
  EXPECT_EQ(Field(error, "transient").bool_value(), true);
  EXPECT_EQ(Field(error, "attempts").number_value(), 3);
  EXPECT_EQ(Field(error, "queryName").string_value(),
            "_acme-challenge.example.com");
  EXPECT_EQ(Field(error, "queryType").string_value(), "TXT");
  EXPECT_EQ(Field(error, "dnsOutcome").string_value(), "timeout");
  EXPECT_EQ(Field(error, "resolver").string_value(), "127.0.0.1:5353");
  EXPECT_EQ(Field(error, "retryAfter").number_value(), 6);
}

TEST(RaAcmeJsonTest, ProcessingAttemptInFlight) {
  AuthzRecord r = BaseRecord();
  r.state = {AuthzStatus::kPending, ChallengeStatus::kProcessing};
  r.first_attempt_at = kNow;
  r.next_attempt_at = kNow;
  const ::ra::AuthorizationResponse view = RenderAuthorization(r, kNow);
  EXPECT_EQ(view.retryafterseconds(), kInFlightRetryAfterSeconds);
  EXPECT_FALSE(view.has_nextattemptat());
}

TEST(RaAcmeJsonTest, ValidWildcard) {
  AuthzRecord r = BaseRecord();
  r.identifier = "*.example.com";
  r.state = {AuthzStatus::kValid, ChallengeStatus::kValid};
  r.validated = kNow - absl::Seconds(2);
  core::ValidationRecord record;
  record.set_hostname("example.com");
  r.records.push_back(record);
  const ::ra::AuthorizationResponse view = RenderAuthorization(r, kNow);
  EXPECT_TRUE(view.wildcard());
  EXPECT_EQ(view.authz().identifier().value(), "*.example.com");
  EXPECT_EQ(view.authz().challenges(0).validationrecords_size(), 1);
  const google::protobuf::Struct json = Parse(AuthorizationJson(view));
  EXPECT_EQ(Field(json, "status").string_value(), "valid");
  EXPECT_EQ(Field(json, "wildcard").bool_value(), true);
  EXPECT_EQ(
      Field(Field(json, "identifier").struct_value(), "value").string_value(),
      "example.com");
  const auto& challenge =
      Field(json, "challenges").list_value().values(0).struct_value();
  EXPECT_EQ(Field(challenge, "validated").string_value(),
            "2027-01-15T07:59:58Z");
  EXPECT_EQ(json.fields().count("retryAfter"), 0u);
}

TEST(RaAcmeJsonTest, InvalidAndExpired) {
  AuthzRecord r = BaseRecord();
  r.state = {AuthzStatus::kInvalid, ChallengeStatus::kInvalid};
  core::ProblemDetails p;
  p.set_problemtype("unauthorized");
  p.set_detail(
      "Incorrect TXT record \"x\" found at _acme-challenge.example.com");
  p.set_httpstatus(403);
  r.problem = p;
  google::protobuf::Struct json =
      Parse(AuthorizationJson(RenderAuthorization(r, kNow)));
  EXPECT_EQ(Field(json, "status").string_value(), "invalid");
  const auto& error =
      Field(Field(json, "challenges").list_value().values(0).struct_value(),
            "error")
          .struct_value();
  EXPECT_EQ(Field(error, "type").string_value(),
            "urn:ietf:params:acme:error:unauthorized");
  EXPECT_EQ(Field(error, "detail").string_value(), p.detail());
  EXPECT_EQ(Field(error, "transient").bool_value(), false);
  EXPECT_EQ(error.fields().count("queryName"), 0u);

  AuthzRecord old = BaseRecord();
  old.expires = kNow - absl::Seconds(1);
  json = Parse(AuthorizationJson(RenderAuthorization(old, kNow)));
  EXPECT_EQ(Field(json, "status").string_value(), "expired");
}

TEST(RaAcmeJsonTest, ErrorTypeUrn) {
  EXPECT_EQ(AcmeErrorType("caa"), "urn:ietf:params:acme:error:caa");
  EXPECT_EQ(AcmeErrorType("urn:ietf:params:acme:error:dns"),
            "urn:ietf:params:acme:error:dns");
}

}  // namespace
}  // namespace acmeva::ra
