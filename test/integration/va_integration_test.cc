// The VA as a real process, asked over real gRPC, answering from dnstestsrv
// over real UDP/TCP on loopback.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;

class VaIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new VaStack();
    VaStackOptions options;
    options.va_flags = {"--dns-tries=3", "--dns-timeout=300ms"};
    absl::Status s = stack_->Start(options);
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  static void SetTxt(const std::string& host, const std::string& value) {
    ASSERT_TRUE(
        stack_
            ->Dns("/set-txt", absl::StrCat("{\"host\":\"", host,
                                           "\",\"value\":\"", value, "\"}"))
            .ok());
  }
  static void AddCaa(const std::string& host, const std::string& tag,
                     const std::string& value, int flag = 0) {
    absl::Status s = stack_->Dns(
        "/add-caa",
        absl::StrCat("{\"host\":\"", host, "\",\"policies\":[{\"tag\":\"", tag,
                     "\",\"value\":\"", value, "\",\"flag\":", flag, "}]}"));
    ASSERT_TRUE(s.ok()) << s;
  }

  static VaStack* stack_;
};

VaStack* VaIntegrationTest::stack_ = nullptr;

// ---- dns-01 ----

TEST_F(VaIntegrationTest, Dns01Valid) {
  KeyAuthz k = MakeKeyAuthz(1);
  SetTxt("_acme-challenge.valid.example.com", k.txt);
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("valid.example.com", k.key_authorization, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  ASSERT_EQ(r.records_size(), 1);
  EXPECT_EQ(r.records(0).hostname(), "valid.example.com");
  ASSERT_EQ(r.records(0).resolveraddrs_size(), 1);
  EXPECT_EQ(r.records(0).resolveraddrs(0), stack_->dns_addr());
  EXPECT_EQ(r.perspective(), "Primary");
}

TEST_F(VaIntegrationTest, Dns01WildcardLooksUpBaseName) {
  KeyAuthz k = MakeKeyAuthz(2);
  SetTxt("_acme-challenge.wild.example.com", k.txt);
  ::va::ValidationResult r;
  ASSERT_TRUE(
      stack_->DoDCV("*.wild.example.com", k.key_authorization, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  ASSERT_EQ(r.records_size(), 1);
  EXPECT_EQ(r.records(0).hostname(), "wild.example.com");
}

TEST_F(VaIntegrationTest, Dns01NoRecord) {
  KeyAuthz k = MakeKeyAuthz(3);
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("none.example.com", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "unauthorized");
  EXPECT_EQ(r.problem().httpstatus(), 403);
  EXPECT_EQ(r.problem().detail(),
            "No TXT record found at _acme-challenge.none.example.com");
  EXPECT_FALSE(r.problem().transient());
  EXPECT_EQ(r.records_size(), 0);
}

TEST_F(VaIntegrationTest, Dns01WrongValueAndSeveralValues) {
  KeyAuthz k = MakeKeyAuthz(4);
  SetTxt("_acme-challenge.wrong.example.com", "a");
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("wrong.example.com", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "unauthorized");
  EXPECT_EQ(r.problem().detail(),
            "Incorrect TXT record \"a\" found at "
            "_acme-challenge.wrong.example.com");

  // Several values, one of them right: valid.
  SetTxt("_acme-challenge.wrong.example.com", "b");
  SetTxt("_acme-challenge.wrong.example.com", k.txt);
  ::va::ValidationResult r2;
  ASSERT_TRUE(
      stack_->DoDCV("wrong.example.com", k.key_authorization, &r2).ok());
  EXPECT_FALSE(r2.has_problem()) << r2.problem().detail();
}

TEST_F(VaIntegrationTest, Dns01SeveralWrongValuesCounted) {
  KeyAuthz k = MakeKeyAuthz(5);
  for (const char* v : {"a", "b", "c"}) {
    SetTxt("_acme-challenge.many.example.com", v);
  }
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("many.example.com", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_THAT(r.problem().detail(), HasSubstr("(and 2 more) found at"));
}

TEST_F(VaIntegrationTest, Dns01MultiStringTxtIsJoined) {
  KeyAuthz k = MakeKeyAuthz(6);
  const std::string a = k.txt.substr(0, 20), b = k.txt.substr(20);
  ASSERT_TRUE(
      stack_
          ->Dns("/set-txt", absl::StrCat("{\"host\":\"_acme-challenge.multi."
                                         "example.com\",\"strings\":[\"",
                                         a, "\",\"", b, "\"]}"))
          .ok());
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("multi.example.com", k.key_authorization, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
}

TEST_F(VaIntegrationTest, Dns01CnamedChallenge) {
  KeyAuthz k = MakeKeyAuthz(7);
  SetTxt("delegated.validation.example.net", k.txt);
  ASSERT_TRUE(stack_
                  ->Dns("/set-cname",
                        "{\"host\":\"_acme-challenge.cname.example.com\","
                        "\"target\":\"delegated.validation.example.net\"}")
                  .ok());
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("cname.example.com", k.key_authorization, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
}

TEST_F(VaIntegrationTest, Dns01NxdomainIsDnsProblemNotRetried) {
  KeyAuthz k = MakeKeyAuthz(8);
  ASSERT_TRUE(stack_
                  ->Dns("/set-nxdomain",
                        "{\"host\":\"_acme-challenge.nx.example.com\"}")
                  .ok());
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("nx.example.com", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().detail(),
            "DNS problem: NXDOMAIN looking up TXT for "
            "_acme-challenge.nx.example.com - check that a DNS record exists "
            "for this domain");
  EXPECT_FALSE(r.problem().transient());
  EXPECT_EQ(r.problem().dnsoutcome(), "nxdomain");
  EXPECT_EQ(r.problem().attempts(), 1);
  EXPECT_EQ(stack_->QueryCount("_acme-challenge.nx.example.com", "TXT"), 1);
}

TEST_F(VaIntegrationTest, Dns01ServfailIsTransientDnsProblem) {
  KeyAuthz k = MakeKeyAuthz(9);
  ASSERT_TRUE(stack_
                  ->Dns("/set-servfail",
                        "{\"host\":\"_acme-challenge.sf.example.com\"}")
                  .ok());
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("sf.example.com", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().detail(),
            "DNS problem: SERVFAIL looking up TXT for "
            "_acme-challenge.sf.example.com - the domain's nameservers may be "
            "malfunctioning");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_EQ(r.problem().querytype(), "TXT");
  EXPECT_EQ(r.problem().queryname(), "_acme-challenge.sf.example.com");
  EXPECT_EQ(r.problem().resolver(), stack_->dns_addr());
}

// ---- CAA ----

TEST_F(VaIntegrationTest, CaaAllowDenyAndNone) {
  AddCaa("allow.example.org", "issue", "letsencrypt.org");
  AddCaa("deny.example.org", "issue", "other-ca.example");
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(stack_->DoCAA("www.allow.example.org", "dns-01", 1, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();

  ::va::IsCAAValidResponse d;
  ASSERT_TRUE(stack_->DoCAA("www.deny.example.org", "dns-01", 1, &d).ok());
  ASSERT_TRUE(d.has_problem());
  EXPECT_EQ(d.problem().problemtype(), "caa");
  EXPECT_EQ(d.problem().httpstatus(), 403);
  EXPECT_EQ(d.problem().detail(),
            "While processing CAA for www.deny.example.org: CAA record for "
            "deny.example.org prevents issuance");

  ::va::IsCAAValidResponse n;
  ASSERT_TRUE(stack_->DoCAA("nothing.example.org", "dns-01", 1, &n).ok());
  EXPECT_FALSE(n.has_problem()) << n.problem().detail();
  // Every suffix, the TLD included, was asked.
  EXPECT_GE(stack_->QueryCount("org", "CAA"), 1);
}

TEST_F(VaIntegrationTest, CaaCriticalUnknownTagForbids) {
  AddCaa("crit.example.org", "issue", "letsencrypt.org");
  AddCaa("crit.example.org", "tbs", "unknown", 128);
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(stack_->DoCAA("crit.example.org", "dns-01", 1, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "caa");
}

TEST_F(VaIntegrationTest, CaaWildcardWithAndWithoutIssuewild) {
  AddCaa("w1.example.org", "issue", "letsencrypt.org");
  AddCaa("w1.example.org", "issuewild", ";");
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(stack_->DoCAA("*.w1.example.org", "dns-01", 1, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "caa");
  ::va::IsCAAValidResponse plain;
  ASSERT_TRUE(stack_->DoCAA("w1.example.org", "dns-01", 1, &plain).ok());
  EXPECT_FALSE(plain.has_problem()) << plain.problem().detail();

  AddCaa("w2.example.org", "issue", "letsencrypt.org");
  ::va::IsCAAValidResponse w2;
  ASSERT_TRUE(stack_->DoCAA("*.w2.example.org", "dns-01", 1, &w2).ok());
  EXPECT_FALSE(w2.has_problem()) << w2.problem().detail();
}

TEST_F(VaIntegrationTest, CaaAccountUriAndValidationMethods) {
  AddCaa("acct.example.org", "issue",
         "letsencrypt.org; accounturi=https://acme-v02.example/acme/acct/42");
  ::va::IsCAAValidResponse ok, bad;
  ASSERT_TRUE(stack_->DoCAA("acct.example.org", "dns-01", 42, &ok).ok());
  EXPECT_FALSE(ok.has_problem()) << ok.problem().detail();
  ASSERT_TRUE(stack_->DoCAA("acct.example.org", "dns-01", 43, &bad).ok());
  EXPECT_EQ(bad.problem().problemtype(), "caa");

  AddCaa("meth.example.org", "issue",
         "letsencrypt.org; validationmethods=http-01,tls-alpn-01");
  ::va::IsCAAValidResponse dns, http;
  ASSERT_TRUE(stack_->DoCAA("meth.example.org", "dns-01", 1, &dns).ok());
  EXPECT_EQ(dns.problem().problemtype(), "caa");
  ASSERT_TRUE(stack_->DoCAA("meth.example.org", "http-01", 1, &http).ok());
  EXPECT_FALSE(http.has_problem()) << http.problem().detail();
}

TEST_F(VaIntegrationTest, CaaServfailAboveRelevantSetIgnoredBelowFailsClosed) {
  // Relevant set at sub.sfcaa.example.org; SERVFAIL at its parent: ignored.
  AddCaa("sub.sfcaa.example.org", "issue", "letsencrypt.org");
  ASSERT_TRUE(stack_
                  ->Dns("/set-fault",
                        "{\"host\":\"sfcaa.example.org\",\"type\":\"CAA\","
                        "\"mode\":\"servfail\"}")
                  .ok());
  ::va::IsCAAValidResponse above;
  ASSERT_TRUE(stack_->DoCAA("sub.sfcaa.example.org", "dns-01", 1, &above).ok());
  EXPECT_FALSE(above.has_problem()) << above.problem().detail();

  // SERVFAIL at the name itself, below the set at the parent: fails closed.
  AddCaa("parent.example.org", "issue", "letsencrypt.org");
  ASSERT_TRUE(stack_
                  ->Dns("/set-fault",
                        "{\"host\":\"child.parent.example.org\",\"type\":"
                        "\"CAA\",\"mode\":\"servfail\"}")
                  .ok());
  ::va::IsCAAValidResponse below;
  ASSERT_TRUE(
      stack_->DoCAA("child.parent.example.org", "dns-01", 1, &below).ok());
  ASSERT_TRUE(below.has_problem());
  EXPECT_EQ(below.problem().problemtype(), "dns");
  EXPECT_EQ(below.problem().detail(),
            "While processing CAA for child.parent.example.org: DNS problem: "
            "SERVFAIL looking up CAA for child.parent.example.org - the "
            "domain's nameservers may be malfunctioning");
  EXPECT_TRUE(below.problem().transient());
}

TEST_F(VaIntegrationTest, TruncatedCaaOverUdpCompletedOverTcp) {
  AddCaa("trunc.example.org", "issue", "letsencrypt.org");
  ASSERT_TRUE(stack_
                  ->Dns("/set-fault",
                        "{\"host\":\"trunc.example.org\",\"type\":\"CAA\","
                        "\"mode\":\"truncate\"}")
                  .ok());
  AddCaa("trunc2.example.org", "issue", "other-ca.example");
  ASSERT_TRUE(stack_
                  ->Dns("/set-fault",
                        "{\"host\":\"trunc2.example.org\",\"type\":\"CAA\","
                        "\"mode\":\"truncate\"}")
                  .ok());
  ::va::IsCAAValidResponse ok, deny;
  ASSERT_TRUE(stack_->DoCAA("trunc.example.org", "dns-01", 1, &ok).ok());
  EXPECT_FALSE(ok.has_problem()) << ok.problem().detail();
  // The deny behind truncation is seen too: truncation never hides a set.
  ASSERT_TRUE(stack_->DoCAA("trunc2.example.org", "dns-01", 1, &deny).ok());
  EXPECT_EQ(deny.problem().problemtype(), "caa");
  auto history = HttpPost(stack_->mgmt_port(), "/dns-request-history",
                          "{\"host\":\"trunc.example.org\"}");
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(history->body, HasSubstr("\"transport\":\"tcp\""));
}

// ---- bad requests: INVALID_ARGUMENT naming the field; still serving ----

TEST_F(VaIntegrationTest, BadRequestsAreInvalidArgument) {
  struct Case {
    std::string identifier;
    std::string key_authz;
    std::string field;
  };
  KeyAuthz k = MakeKeyAuthz(10);
  std::vector<Case> cases = {
      {"", k.key_authorization, "identifier.value"},
      {"UPPER.example.com", k.key_authorization, "identifier.value"},
      {"under_score.example.com", k.key_authorization, "identifier.value"},
      {"-lead.example.com", k.key_authorization, "identifier.value"},
      {"a..b.example.com", k.key_authorization, "identifier.value"},
      {"example.com.", k.key_authorization, "identifier.value"},
      {"x.*.example.com", k.key_authorization, "identifier.value"},
      {"valid.example.com", "", "expectedKeyAuthorization"},
      {"valid.example.com", "no-dot", "expectedKeyAuthorization"},
  };
  for (const Case& c : cases) {
    ::va::ValidationResult r;
    grpc::Status s = stack_->DoDCV(c.identifier, c.key_authz, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.identifier << " / " << c.key_authz;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field)) << c.identifier;
  }
  ::va::IsCAAValidResponse caa;
  grpc::Status s =
      stack_->DoCAA("valid.example.com", "carrier-pigeon-01", 1, &caa);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("validationMethod"));
  s = stack_->DoCAA("valid.example.com", "dns-01", 0, &caa);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("accountURIID"));

  // Still serving.
  KeyAuthz good = MakeKeyAuthz(11);
  SetTxt("_acme-challenge.after.example.com", good.txt);
  ::va::ValidationResult r;
  ASSERT_TRUE(
      stack_->DoDCV("after.example.com", good.key_authorization, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
}

// ---- observability: Prometheus metrics and the audit line ----

TEST_F(VaIntegrationTest, MetricsAndAuditLogDescribeEachValidation) {
  KeyAuthz k = MakeKeyAuthz(30);
  SetTxt("_acme-challenge.metrics.example.com", k.txt);
  ::va::ValidationResult r;
  ASSERT_TRUE(
      stack_->DoDCV("metrics.example.com", k.key_authorization, &r).ok());
  ASSERT_FALSE(r.has_problem()) << r.problem().detail();

  auto metrics = HttpGet(stack_->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("dns_query_time_bucket{qtype=\"TXT\""));
  EXPECT_THAT(metrics->body,
              HasSubstr("validations_total{kind=\"dcv\",result=\"valid\""));
  EXPECT_THAT(metrics->body,
              HasSubstr("grpc_server_handling_seconds_count{grpc_method="
                        "\"DoDCV\",grpc_code=\"OK\"}"));
  EXPECT_THAT(metrics->body, HasSubstr("dns_lookup_attempts_count"));

  // One JSON audit line for the validation, with what an auditor needs.
  const std::string log = stack_->va().Log();
  EXPECT_THAT(log, HasSubstr("\"msg\":\"Validation result\""));
  EXPECT_THAT(log, HasSubstr("\"identifier\":\"metrics.example.com\""));
  EXPECT_THAT(log, HasSubstr("\"result\":\"valid\""));
  EXPECT_THAT(log, HasSubstr("\"latencyMs\""));
}

TEST_F(VaIntegrationTest, DnssecAuthenticatedAnswersAreRecorded) {
  // dnstestsrv sets AD=1 on answers for names marked "ad", as a validating
  // recursor does for signed zones; the VA records it per validation.
  KeyAuthz k = MakeKeyAuthz(31);
  ASSERT_TRUE(
      stack_
          ->Dns("/set-txt", absl::StrCat("{\"host\":\"_acme-challenge.signed."
                                         "example.com\",\"value\":\"",
                                         k.txt, "\",\"ad\":true}"))
          .ok());
  SetTxt("_acme-challenge.unsigned.example.com", k.txt);
  ::va::ValidationResult signed_result, unsigned_result;
  ASSERT_TRUE(
      stack_->DoDCV("signed.example.com", k.key_authorization, &signed_result)
          .ok());
  ASSERT_TRUE(
      stack_
          ->DoDCV("unsigned.example.com", k.key_authorization, &unsigned_result)
          .ok());
  ASSERT_EQ(signed_result.records_size(), 1);
  ASSERT_EQ(unsigned_result.records_size(), 1);
  EXPECT_TRUE(signed_result.records(0).authenticateddata());
  EXPECT_FALSE(unsigned_result.records(0).authenticateddata());
  auto metrics = HttpGet(stack_->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(
      metrics->body,
      HasSubstr("dns_answers_total{qtype=\"TXT\",authenticated=\"true\"}"));
  EXPECT_THAT(stack_->va().Log(), HasSubstr("\"authenticatedData\":true"));
}

TEST_F(VaIntegrationTest, HealthCheckServing) {
  // gRPC health checking is on: the standard service answers SERVING.
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_->va_port()),
                          grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  // HealthCheckRequest{service=""} is an empty message on the wire.
  grpc::ByteBuffer request;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   status = s;
                   done.Notify();
                 });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (auto& sl : slices)
    bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  // HealthCheckResponse{status=SERVING(1)}: field 1, varint 1.
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

// ---- SIGTERM drains in-flight work ----

TEST(DrainTest, SigtermLetsInFlightValidationsFinish) {
  VaStack stack;
  ASSERT_TRUE(stack.Start().ok());
  KeyAuthz k = MakeKeyAuthz(40);
  ASSERT_TRUE(stack
                  .Dns("/set-txt",
                       absl::StrCat("{\"host\":\"_acme-challenge.slow.example."
                                    "com\",\"value\":\"",
                                    k.txt, "\"}"))
                  .ok());
  ASSERT_TRUE(stack
                  .Dns("/set-fault",
                       "{\"host\":\"_acme-challenge.slow.example.com\","
                       "\"mode\":\"delay\",\"delay_ms\":600}")
                  .ok());
  ::va::ValidationResult r;
  grpc::Status status;
  std::thread call([&] {
    status = stack.DoDCV("slow.example.com", k.key_authorization, &r,
                         absl::Seconds(10));
  });
  absl::SleepFor(absl::Milliseconds(200));
  const int exit_status = stack.va().Stop(absl::Seconds(10));
  call.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  EXPECT_TRUE(WIFEXITED(exit_status));
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
}

// ---- the resolver restarting under load ----

TEST(ResolverRestartTest, BoundedRetriesCarryValidationsOverARestart) {
  // The DNS server is killed and comes back 250 ms later (records reloaded
  // from its file) while validations are in flight: their retries, inside
  // the budget and the deadline, carry them over.
  constexpr int kNames = 40;
  const std::string dir = TempDir("restart");
  std::ofstream records(dir + "/records.json");
  records << "{\"txt\":[";
  for (int i = 0; i < kNames; ++i) {
    KeyAuthz k = MakeKeyAuthz(1000 + i);
    records << (i ? "," : "") << "{\"host\":\"_acme-challenge.r" << i
            << ".example.com\",\"value\":\"" << k.txt << "\"}";
  }
  records << "]}";
  records.close();

  VaStack stack;
  VaStackOptions options;
  options.dns_flags = {"--records=" + dir + "/records.json"};
  options.va_flags = {"--dns-tries=6", "--dns-timeout=300ms"};
  ASSERT_TRUE(stack.Start(options).ok());

  std::vector<std::thread> calls;
  std::vector<::va::ValidationResult> results(kNames);
  std::vector<grpc::Status> statuses(kNames);
  // Half the validations start just before the kill, half while it's down.
  for (int i = 0; i < kNames; ++i) {
    if (i == kNames / 2) {
      calls.emplace_back(
          [&] { ASSERT_TRUE(stack.RestartDns(absl::Milliseconds(250)).ok()); });
      absl::SleepFor(absl::Milliseconds(50));
    }
    calls.emplace_back([&, i] {
      KeyAuthz k = MakeKeyAuthz(1000 + i);
      statuses[i] =
          stack.DoDCV(absl::StrCat("r", i, ".example.com"), k.key_authorization,
                      &results[i], absl::Seconds(10));
    });
  }
  for (auto& t : calls) t.join();
  int valid = 0;
  for (int i = 0; i < kNames; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_code()
                                  << " " << statuses[i].error_message();
    if (!results[i].has_problem()) ++valid;
    EXPECT_FALSE(results[i].has_problem())
        << i << ": " << results[i].problem().detail();
  }
  EXPECT_EQ(valid, kNames);
  EXPECT_TRUE(stack.va().Running());
}

// ---- older Boulder RAs sent authorization IDs as strings ----

TEST_F(VaIntegrationTest, LegacyStringAuthzIdsAreAccepted) {
  KeyAuthz k = MakeKeyAuthz(50);
  SetTxt("_acme-challenge.legacy.example.com", k.txt);
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("legacy.example.com");
  req.mutable_challenge()->set_type("dns-01");
  req.mutable_authz()->set_regid(9);
  req.mutable_authz()->set_legacyid("1234");  // field 1, as a string
  req.set_expectedkeyauthorization(k.key_authorization);
  {
    grpc::ClientContext ctx;
    ::va::ValidationResult r;
    ASSERT_TRUE(stack_->va_stub().DoDCV(&ctx, req, &r).ok());
    EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  }
  req.mutable_authz()->set_legacyid("not-a-number");
  {
    grpc::ClientContext ctx;
    ::va::ValidationResult r;
    grpc::Status s = stack_->va_stub().DoDCV(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("authz.id"));
  }
  ::va::IsCAAValidRequest caa;
  caa.mutable_identifier()->set_type("dns");
  caa.mutable_identifier()->set_value("legacy.example.com");
  caa.set_validationmethod("dns-01");
  caa.set_accounturiid(9);
  caa.set_legacyauthzid("1234");  // field 4, as a string
  grpc::ClientContext ctx;
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(stack_->caa_stub().DoCAA(&ctx, caa, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
}

// ---- the case this project exists for: CAA for the TLD "me" ----

class SeedCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VaStackOptions options;
    options.va_flags = {"--dns-tries=3", "--dns-timeout=400ms"};
    absl::Status s = stack_.Start(options);
    ASSERT_TRUE(s.ok()) << s;
  }
  VaStack stack_;
};

TEST_F(SeedCaseTest, FirstQueryForMeDroppedThenValidationSucceeds) {
  ASSERT_TRUE(stack_
                  .Dns("/set-fault",
                       "{\"host\":\"me\",\"type\":\"CAA\",\"mode\":\"drop\","
                       "\"count\":1}")
                  .ok());
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(stack_.DoCAA("example.me", "dns-01", 1, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  // The retry is visible in the server's history: two CAA queries for "me".
  EXPECT_EQ(stack_.QueryCount("me", "CAA"), 2);
}

TEST_F(SeedCaseTest, EveryQueryForMeDroppedGivesTransientDnsProblemInTime) {
  ASSERT_TRUE(stack_
                  .Dns("/set-fault",
                       "{\"host\":\"me\",\"type\":\"CAA\",\"mode\":\"drop\"}")
                  .ok());
  ::va::IsCAAValidResponse r;
  const absl::Duration deadline = absl::Seconds(5);
  const absl::Time start = absl::Now();
  grpc::Status s = stack_.DoCAA("example.me", "dns-01", 1, &r, deadline);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().httpstatus(), 400);
  EXPECT_EQ(r.problem().detail(),
            "While processing CAA for example.me: DNS problem: query timed out "
            "looking up CAA for me");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_EQ(r.problem().attempts(), 3);
  EXPECT_EQ(r.problem().queryname(), "me");
  EXPECT_EQ(r.problem().querytype(), "CAA");
  EXPECT_EQ(r.problem().dnsoutcome(), "timeout");
  EXPECT_GT(r.problem().retryafterseconds(), 0);
  EXPECT_LT(took, deadline);
  EXPECT_EQ(stack_.QueryCount("me", "CAA"), 3);
}

TEST_F(SeedCaseTest, ShortCallerDeadlineIsNeverOutlived) {
  ASSERT_TRUE(stack_
                  .Dns("/set-fault",
                       "{\"host\":\"me\",\"type\":\"CAA\",\"mode\":\"drop\"}")
                  .ok());
  ::va::IsCAAValidResponse r;
  const absl::Time start = absl::Now();
  grpc::Status s =
      stack_.DoCAA("example.me", "dns-01", 1, &r, absl::Milliseconds(700));
  const absl::Duration took = absl::Now() - start;
  // The VA answers in time with what it knows (a timeout problem), rather
  // than the call dying with DEADLINE_EXCEEDED.
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_LT(took, absl::Milliseconds(700));
}

// The outage the project exists for, as a wave: 1,000 validations under a
// dead "me" at once. The VA sends one CAA query for "me" per try, not one per
// validation (coalescing), and every caller gets a transient dns problem
// before its deadline, although all of them give up at the same moment.
TEST_F(SeedCaseTest, AWaveUnderDeadMeSharesEachQueryAndIsAnsweredInTime) {
  ASSERT_TRUE(stack_
                  .Dns("/set-fault",
                       "{\"host\":\"me\",\"type\":\"CAA\",\"mode\":\"drop\"}")
                  .ok());
  constexpr int kCalls = 1000;
  // Each call's own deadline: launching 1,000 calls takes a while under
  // sanitizers, and a late call must not be judged by the first one's clock.
  const absl::Duration deadline = absl::Seconds(2);
  struct Call {
    grpc::ClientContext ctx;
    ::va::IsCAAValidRequest req;
    ::va::IsCAAValidResponse resp;
    grpc::Status status;
    absl::Time start;
    absl::Duration took;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::Mutex mu;
  int remaining = kCalls;
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->req.mutable_identifier()->set_type("dns");
    call->req.mutable_identifier()->set_value(absl::StrCat("wave", i, ".me"));
    call->req.set_validationmethod("dns-01");
    call->req.set_accounturiid(1);
    call->req.set_authzid(i + 1);
    call->start = absl::Now();
    call->ctx.set_deadline(absl::ToChronoTime(call->start + deadline));
    Call* c = call.get();
    calls.push_back(std::move(call));
    stack_.caa_stub().async()->DoCAA(&c->ctx, &c->req, &c->resp,
                                     [c, &mu, &remaining](grpc::Status s) {
                                       c->status = std::move(s);
                                       c->took = absl::Now() - c->start;
                                       absl::MutexLock lock(&mu);
                                       --remaining;
                                     });
  }
  const absl::Duration launch_took = calls.back()->start - calls[0]->start;
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(
                                +[](int* n) { return *n == 0; }, &remaining),
                            absl::Seconds(30)));
  }
  int transient_dns = 0;
  absl::Duration slowest;
  for (const auto& c : calls) {
    ASSERT_TRUE(c->status.ok())
        << c->req.identifier().value() << ": " << c->status.error_message();
    EXPECT_LT(c->took, deadline);
    slowest = std::max(slowest, c->took);
    if (c->resp.problem().problemtype() == "dns" &&
        c->resp.problem().transient() &&
        c->resp.problem().queryname() == "me") {
      ++transient_dns;
    }
  }
  EXPECT_EQ(transient_dns, kCalls);
  RecordProperty("slowest_ms", absl::ToInt64Milliseconds(slowest));
  // --dns-tries=3: at most 3 queries for "me", whatever the number of calls,
  // when they all join the shared lookup during its first try. A caller
  // that joins later gets its own 3 tries (one unlucky shared lookup must
  // not fail everyone who joined it), and a try lasts at least 100 ms
  // (--dns-min-timeout): launching the calls slowly (a loaded sanitizer
  // run) allows one more query per 100 ms of launching, never one per call.
  const int bound = 3 + static_cast<int>(launch_took / absl::Milliseconds(100));
  RecordProperty("launch_ms", absl::ToInt64Milliseconds(launch_took));
  EXPECT_GE(stack_.QueryCount("me", "CAA"), 1);
  EXPECT_LE(stack_.QueryCount("me", "CAA"), bound)
      << "calls launched over " << launch_took;
}

TEST(TwoResolversTest, OneDeadResolverNeverFailsAValidation) {
  // A UDP port that swallows queries: bound, never read.
  const int dead_fd = BindLoopback(SOCK_DGRAM, 0);
  ASSERT_GE(dead_fd, 0);
  const int dead_port = LocalPort(dead_fd);

  VaStack stack;
  VaStackOptions options;
  options.va_flags = {"--dns-tries=3", "--dns-timeout=300ms"};
  ASSERT_TRUE(stack.Start(options).ok());
  ASSERT_TRUE(
      stack
          .StartVa(options.va_flags,
                   {stack.dns_addr(), absl::StrCat("127.0.0.1:", dead_port)})
          .ok());
  KeyAuthz k = MakeKeyAuthz(20);
  ASSERT_TRUE(stack
                  .Dns("/set-txt",
                       absl::StrCat("{\"host\":\"_acme-challenge.two.example."
                                    "com\",\"value\":\"",
                                    k.txt, "\"}"))
                  .ok());
  for (int i = 0; i < 20; ++i) {
    ::va::ValidationResult r;
    ASSERT_TRUE(stack.DoDCV("two.example.com", k.key_authorization, &r).ok());
    EXPECT_FALSE(r.has_problem()) << i << ": " << r.problem().detail();
  }
  ::close(dead_fd);
}

}  // namespace
}  // namespace acmeva::testing_harness
