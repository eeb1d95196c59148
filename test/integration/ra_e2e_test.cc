// End to end through real processes on loopback: dnstestsrv answers, one or
// two va check dns-01 and CAA, ra owns the authorizations in SQLite, and
// vactl (a subprocess) is the client whose JSON output is checked. Includes
// kill -9 of the RA and of a VA while validations are in flight.
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "test/integration/ra_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::google::protobuf::Struct;
using ::testing::AnyOf;
using ::testing::HasSubstr;

// Fast DNS failure for the small tests: two tries of at most 300 ms.
const std::vector<std::string> kQuickVa = {"--dns-tries=2",
                                           "--dns-timeout=300ms"};
// Slow-but-answering DNS for the load tests: a fixed per-try timeout well
// above the injected delay, so delayed answers are answers, not timeouts.
const std::vector<std::string> kPatientVa = {
    "--dns-tries=2", "--dns-timeout=10s", "--dns-adaptive-timeout=false"};
// Every test name lives under this zone, whose CAA allows the VA's CA.
constexpr char kZone[] = "e2e.test";
constexpr char kUnauthorized[] = "urn:ietf:params:acme:error:unauthorized";
constexpr char kDnsProblem[] = "urn:ietf:params:acme:error:dns";
constexpr char kCaaProblem[] = "urn:ietf:params:acme:error:caa";

struct Authz {
  int64_t id = 0;
  std::string id_text;
  std::string name;
  std::string token;
  std::string key_authorization;
};

absl::Time ParseRfc3339(const std::string& text) {
  absl::Time t = absl::InfinitePast();
  std::string err;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", text, absl::UTCTimeZone(), &t,
                       &err)) {
    ADD_FAILURE() << "bad timestamp \"" << text << "\": " << err;
  }
  return t;
}

::testing::AssertionResult IsOk(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status;
}

double NumMember(const Struct& object, const std::string& key) {
  const google::protobuf::Value* v = Member(object, key);
  return v != nullptr && v->has_number_value() ? v->number_value() : -1;
}

bool BoolMember(const Struct& object, const std::string& key) {
  const google::protobuf::Value* v = Member(object, key);
  return v != nullptr && v->has_bool_value() && v->bool_value();
}

Struct ErrorOf(const Struct& authz) {
  Struct challenge = Challenge(authz);
  const google::protobuf::Value* error = Member(challenge, "error");
  return error != nullptr && error->has_struct_value() ? error->struct_value()
                                                       : Struct();
}

// (Designated initializers would trip -Wmissing-field-initializers.)
RaStackOptions Options(std::vector<std::string> va_flags,
                       std::vector<std::string> ra_flags = {},
                       int va_count = 1) {
  RaStackOptions options;
  options.va_count = va_count;
  options.va_flags = std::move(va_flags);
  options.ra_flags = std::move(ra_flags);
  return options;
}

class RaE2eTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // The processes stop with the stack; their logs explain a failure.
    if (HasFailure()) {
      std::cerr << stack_.Logs();
    } else if (std::getenv("RA_E2E_KEEP_LOGS") == nullptr) {
      stack_.DiscardDirOnStop();
    }
  }

  void StartStack(RaStackOptions options) {
    ASSERT_TRUE(IsOk(stack_.Start(options))) << stack_.Logs();
    ASSERT_TRUE(IsOk(stack_.AddCaa(kZone, "issue", "letsencrypt.org")));
  }

  // `vactl new-authz NAME` and the key authorization an ACME client would
  // compute for its token.
  absl::StatusOr<Authz> NewAuthz(const std::string& name) {
    absl::StatusOr<Struct> json =
        stack_.VactlJson({"new-authz", name, "--account=1"});
    if (!json.ok()) return json.status();
    Authz a;
    a.name = name;
    a.id = static_cast<int64_t>(NumMember(*json, "id"));
    a.id_text = absl::StrCat(a.id);
    a.token = StrMember(Challenge(*json), "token");
    a.key_authorization = KeyAuthorization(a.token);
    if (a.id <= 0 || a.token.size() != 43 ||
        StrMember(*json, "status") != "pending" ||
        StrMember(Challenge(*json), "type") != "dns-01" ||
        StrMember(Challenge(*json), "status") != "pending") {
      return absl::InternalError("unexpected new-authz output");
    }
    return a;
  }

  absl::Status PublishTxt(const Authz& a) {
    return stack_.SetTxt("_acme-challenge." + a.name,
                         TxtFor(a.key_authorization));
  }

  absl::StatusOr<Struct> Validate(const Authz& a) {
    return stack_.VactlJson(
        {"validate", a.id_text, "--key-authorization", a.key_authorization});
  }

  absl::StatusOr<Struct> Wait(const Authz& a,
                              absl::Duration timeout = absl::Seconds(45)) {
    return stack_.VactlJson(
        {"wait", a.id_text,
         absl::StrCat("--timeout=", absl::ToInt64Seconds(timeout), "s")},
        timeout + absl::Seconds(10));
  }

  // The audit trail of one authorization, oldest first.
  std::vector<std::string> Events(int64_t id) {
    auto rows = SqliteQuery(
        stack_.db_path(),
        absl::StrCat("SELECT event FROM authz_event WHERE authz_id = ", id,
                     " ORDER BY id"));
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const auto& row : *rows) out.push_back(row[0]);
    }
    return out;
  }

  // Final-transition events per authorization ID.
  std::map<int64_t, int> FinalEventsPerAuthz() {
    auto rows =
        SqliteQuery(stack_.db_path(),
                    "SELECT authz_id, COUNT(*) FROM authz_event "
                    "WHERE event IN ('valid', 'invalid') GROUP BY authz_id");
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::map<int64_t, int> out;
    if (rows.ok()) {
      for (const auto& row : *rows) {
        int64_t id = 0;
        int n = 0;
        EXPECT_TRUE(absl::SimpleAtoi(row[0], &id) &&
                    absl::SimpleAtoi(row[1], &n));
        out[id] = n;
      }
    }
    return out;
  }

  // Creates `n` authorizations under `label`.kZone over gRPC (n vactl
  // processes would take longer than the test), publishes their TXT records
  // and makes their TXT answers arrive after `delay_ms`.
  void CreateSlowAuthzs(int n, const std::string& label, int delay_ms,
                        std::vector<Authz>* out) {
    for (int i = 0; i < n; ++i) {
      ::ra::NewAuthorizationRequest request;
      request.set_registrationid(1);
      request.mutable_identifier()->set_type("dns");
      request.mutable_identifier()->set_value(
          absl::StrCat("n", i, ".", label, ".", kZone));
      ::ra::AuthorizationResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      grpc::Status s =
          stack_.ra_stub().NewAuthorization(&context, request, &response);
      ASSERT_TRUE(s.ok()) << s.error_message();
      // dns-01 first, then dns-account-01 and dns-persist-01.
      ASSERT_EQ(response.authz().challenges_size(), 3);
      ASSERT_EQ(response.authz().challenges(0).type(), "dns-01");
      Authz a;
      a.id = response.authz().id();
      a.id_text = absl::StrCat(a.id);
      a.name = request.identifier().value();
      a.token = response.authz().challenges(0).token();
      a.key_authorization = KeyAuthorization(a.token);
      ASSERT_TRUE(IsOk(PublishTxt(a)));
      ASSERT_TRUE(IsOk(stack_.SetFault("_acme-challenge." + a.name, "TXT",
                                       "delay", 0, delay_ms)));
      out->push_back(std::move(a));
    }
  }

  // PerformValidation for each; every answer must say "processing" (the
  // TXT answers are delayed, so nothing can be final yet).
  void StartValidations(const std::vector<Authz>& authzs) {
    for (const Authz& a : authzs) {
      ::ra::PerformValidationRequest request;
      request.set_id(a.id);
      request.set_keyauthorization(a.key_authorization);
      ::ra::AuthorizationResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      grpc::Status s =
          stack_.ra_stub().PerformValidation(&context, request, &response);
      ASSERT_TRUE(s.ok()) << a.id << ": " << s.error_message();
      ASSERT_EQ(response.authz().challenges(0).status(), "processing");
    }
  }

  // Long-polls every authorization until final (or `deadline`); returns the
  // final status of each by ID.
  std::map<int64_t, std::string> WaitAll(const std::vector<Authz>& authzs,
                                         absl::Time deadline) {
    std::map<int64_t, std::string> statuses;
    for (const Authz& a : authzs) {
      std::string status;
      // A wait may end early (the RA answers shortly before the deadline);
      // ask again until final or out of time.
      while (absl::Now() < deadline) {
        ::ra::WaitAuthorizationRequest request;
        request.set_id(a.id);
        ::ra::AuthorizationResponse response;
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(deadline));
        grpc::Status s =
            stack_.ra_stub().WaitAuthorization(&context, request, &response);
        if (!s.ok()) {
          status = absl::StrCat("rpc error: ", s.error_message());
          absl::SleepFor(absl::Milliseconds(100));
          continue;
        }
        status = response.authz().status();
        if (status != "pending") break;
      }
      statuses[a.id] = status;
    }
    return statuses;
  }

  RaStack stack_;
};

// ---- 1. valid ----

TEST_F(RaE2eTest, ValidWithTxtAndCaa) {
  StartStack(Options(kQuickVa));
  absl::StatusOr<Authz> a = NewAuthz("valid.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(IsOk(PublishTxt(*a)));

  const absl::Time before = absl::Now();
  absl::StatusOr<Struct> started = Validate(*a);
  ASSERT_TRUE(started.ok()) << started.status();
  // Returns at once (RFC 8555 §7.1.6): processing, unless the loopback
  // attempt already finished.
  EXPECT_THAT(StrMember(Challenge(*started), "status"),
              AnyOf("processing", "valid"));

  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(NumMember(*done, "id"), a->id);
  EXPECT_EQ(StrMember(*done, "status"), "valid");
  const Struct challenge = Challenge(*done);
  EXPECT_EQ(StrMember(challenge, "status"), "valid");
  EXPECT_EQ(StrMember(challenge, "token"), a->token);
  EXPECT_EQ(Member(challenge, "error"), nullptr);
  EXPECT_EQ(NumMember(*done, "validationAttempts"), 1);
  // The valid authorization lives 7 h from the validation (the default).
  const absl::Time validated = ParseRfc3339(StrMember(challenge, "validated"));
  const absl::Time expires = ParseRfc3339(StrMember(*done, "expires"));
  EXPECT_GE(validated, before - absl::Seconds(1));
  EXPECT_LE(validated, absl::Now() + absl::Seconds(1));
  EXPECT_EQ(expires - validated, absl::Hours(7));

  // The VA really asked DNS: the TXT record, then CAA for the name.
  EXPECT_EQ(stack_.QueryCount("_acme-challenge.valid.e2e.test", "TXT"), 1);
  EXPECT_GE(stack_.QueryCount("valid.e2e.test", "CAA"), 1);
  EXPECT_THAT(Events(a->id),
              ::testing::ElementsAre("created", "processing", "valid"));

  // get agrees with wait.
  absl::StatusOr<Struct> got = stack_.VactlJson({"get", a->id_text});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(StrMember(*got, "status"), "valid");
  EXPECT_EQ(StrMember(Challenge(*got), "validated"),
            StrMember(challenge, "validated"));
}

// ---- 2. invalid ----

TEST_F(RaE2eTest, WrongTxtIsInvalidUnauthorized) {
  StartStack(Options(kQuickVa));
  absl::StatusOr<Authz> a = NewAuthz("wrong.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(
      IsOk(stack_.SetTxt("_acme-challenge.wrong.e2e.test", "not-the-digest")));
  ASSERT_TRUE(IsOk(Validate(*a).status()));

  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StrMember(*done, "status"), "invalid");
  EXPECT_EQ(StrMember(Challenge(*done), "status"), "invalid");
  const Struct error = ErrorOf(*done);
  EXPECT_EQ(StrMember(error, "type"), kUnauthorized);
  EXPECT_EQ(StrMember(error, "detail"),
            "Incorrect TXT record \"not-the-digest\" found at "
            "_acme-challenge.wrong.e2e.test");
  EXPECT_EQ(NumMember(error, "status"), 403);
  EXPECT_FALSE(BoolMember(error, "transient"));
  EXPECT_EQ(Member(error, "retryAfter"), nullptr);
  // A definite answer is final at once: one attempt, one TXT query, no CAA.
  EXPECT_EQ(NumMember(*done, "validationAttempts"), 1);
  EXPECT_EQ(stack_.QueryCount("_acme-challenge.wrong.e2e.test", "TXT"), 1);
  EXPECT_EQ(stack_.QueryCount("wrong.e2e.test", "CAA"), 0);
  EXPECT_THAT(Events(a->id),
              ::testing::ElementsAre("created", "processing", "invalid"));
}

TEST_F(RaE2eTest, CaaDenyIsInvalidCaa) {
  StartStack(Options(kQuickVa));
  ASSERT_TRUE(
      IsOk(stack_.AddCaa("deny.e2e.test", "issue", "other-ca.example")));
  absl::StatusOr<Authz> a = NewAuthz("deny.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(IsOk(PublishTxt(*a)));  // DCV passes; CAA must stop it
  ASSERT_TRUE(IsOk(Validate(*a).status()));

  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StrMember(*done, "status"), "invalid");
  const Struct error = ErrorOf(*done);
  EXPECT_EQ(StrMember(error, "type"), kCaaProblem);
  EXPECT_THAT(StrMember(error, "detail"),
              HasSubstr("CAA record for deny.e2e.test prevents issuance"));
  EXPECT_EQ(NumMember(error, "status"), 403);
  EXPECT_FALSE(BoolMember(error, "transient"));
  EXPECT_EQ(NumMember(*done, "validationAttempts"), 1);
  EXPECT_EQ(stack_.QueryCount("_acme-challenge.deny.e2e.test", "TXT"), 1);
}

// ---- 3. transient, then valid on re-validation ----

TEST_F(RaE2eTest, TransientFailureIsRetriedToValid) {
  // The retry comes 1.5-3 s after the first attempt: long enough to watch
  // the processing state, short enough for a quick test.
  StartStack(Options(kQuickVa, {"--revalidation-initial-backoff=3s"}));
  absl::StatusOr<Authz> a = NewAuthz("flaky.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(IsOk(PublishTxt(*a)));
  // Exactly the VA's --dns-tries queries vanish: the first RA attempt uses
  // up the VA's own bounded retries and fails transiently; the next works.
  ASSERT_TRUE(
      IsOk(stack_.SetFault("_acme-challenge.flaky.e2e.test", "TXT", "drop",
                           /*count=*/2)));
  ASSERT_TRUE(IsOk(Validate(*a).status()));
  Struct processing;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    absl::StatusOr<Struct> got = stack_.VactlJson({"get", a->id_text});
    ASSERT_TRUE(got.ok()) << got.status();
    if (Member(Challenge(*got), "error") != nullptr ||
        StrMember(*got, "status") != "pending") {
      processing = *got;
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(StrMember(processing, "status"), "pending")
      << "never saw the retry wait";
  EXPECT_EQ(StrMember(Challenge(processing), "status"), "processing");
  EXPECT_EQ(NumMember(processing, "validationAttempts"), 1);
  EXPECT_GT(NumMember(processing, "retryAfter"), 0);
  EXPECT_NE(Member(processing, "nextAttemptAt"), nullptr);
  const Struct error = ErrorOf(processing);
  EXPECT_EQ(StrMember(error, "type"), kDnsProblem);
  EXPECT_TRUE(BoolMember(error, "transient"));
  EXPECT_EQ(StrMember(error, "dnsOutcome"), "timeout");
  EXPECT_EQ(StrMember(error, "queryName"), "_acme-challenge.flaky.e2e.test");
  EXPECT_EQ(StrMember(error, "queryType"), "TXT");
  EXPECT_EQ(NumMember(error, "attempts"), 2);  // the VA's own tries
  EXPECT_GT(NumMember(error, "retryAfter"), 0);
  EXPECT_LE(NumMember(error, "retryAfter"), 4);  // backoff ≤ 3 s, + 1

  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StrMember(*done, "status"), "valid");
  EXPECT_EQ(StrMember(Challenge(*done), "status"), "valid");
  EXPECT_EQ(Member(Challenge(*done), "error"), nullptr);
  EXPECT_EQ(Member(*done, "retryAfter"), nullptr);
  EXPECT_EQ(NumMember(*done, "validationAttempts"), 2);
  // Two dropped queries, then the answered one.
  EXPECT_EQ(stack_.QueryCount("_acme-challenge.flaky.e2e.test", "TXT"), 3);
  EXPECT_THAT(Events(a->id), ::testing::ElementsAre("created", "processing",
                                                    "retry", "valid"));
}

// ---- 4. transient until the bound: invalid with the last problem ----

TEST_F(RaE2eTest, TransientUntilTheBoundIsInvalid) {
  StartStack(Options(kQuickVa, {"--revalidation-max-attempts=3",
                                "--revalidation-initial-backoff=1s"}));
  absl::StatusOr<Authz> a = NewAuthz("dead.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(IsOk(PublishTxt(*a)));
  ASSERT_TRUE(
      IsOk(stack_.SetFault("_acme-challenge.dead.e2e.test", "TXT", "drop")));
  ASSERT_TRUE(IsOk(Validate(*a).status()));

  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StrMember(*done, "status"), "invalid");
  EXPECT_EQ(StrMember(Challenge(*done), "status"), "invalid");
  EXPECT_EQ(NumMember(*done, "validationAttempts"), 3);
  EXPECT_EQ(Member(*done, "retryAfter"), nullptr);
  EXPECT_EQ(Member(*done, "nextAttemptAt"), nullptr);
  // The last problem, final although it says what it was: transient.
  const Struct error = ErrorOf(*done);
  EXPECT_EQ(StrMember(error, "type"), kDnsProblem);
  EXPECT_EQ(StrMember(error, "detail"),
            "DNS problem: query timed out looking up TXT for "
            "_acme-challenge.dead.e2e.test");
  EXPECT_TRUE(BoolMember(error, "transient"));
  EXPECT_EQ(StrMember(error, "dnsOutcome"), "timeout");
  EXPECT_EQ(StrMember(error, "queryName"), "_acme-challenge.dead.e2e.test");
  EXPECT_EQ(StrMember(error, "resolver"), stack_.dns_addr());
  EXPECT_EQ(Member(error, "retryAfter"), nullptr);
  // 3 RA attempts × 2 VA tries, nothing more.
  EXPECT_EQ(stack_.QueryCount("_acme-challenge.dead.e2e.test", "TXT"), 6);
  EXPECT_THAT(Events(a->id),
              ::testing::ElementsAre("created", "processing", "retry", "retry",
                                     "invalid"));
}

// ---- 5. kill -9 of the RA with 200 validations in flight ----

TEST_F(RaE2eTest, RaKill9With200InFlightFinalizesEachExactlyOnce) {
  constexpr int kAuthzs = 200;
  StartStack(Options(kPatientVa));
  std::vector<Authz> authzs;
  // Every TXT answer takes 2.5 s: the validations are still waiting on DNS
  // when the RA dies.
  ASSERT_NO_FATAL_FAILURE(CreateSlowAuthzs(kAuthzs, "crash", 2500, &authzs));
  ASSERT_NO_FATAL_FAILURE(StartValidations(authzs));
  stack_.ra().Kill9();

  // What the crash left: validations that hold a lease of the dead RA.
  auto in_flight = SqliteQuery(
      stack_.db_path(),
      "SELECT COUNT(*) FROM authz WHERE status = 'pending' AND "
      "challenge_status = 'processing' AND lease_owner IS NOT NULL");
  ASSERT_TRUE(in_flight.ok()) << in_flight.status();
  int leased = 0;
  ASSERT_TRUE(absl::SimpleAtoi((*in_flight)[0][0], &leased));
  EXPECT_GE(leased, kAuthzs / 2) << "too few validations in flight at kill";
  RecordProperty("leased_at_kill", leased);

  ASSERT_TRUE(IsOk(stack_.StartRa())) << stack_.Logs();
  std::map<int64_t, std::string> statuses =
      WaitAll(authzs, absl::Now() + absl::Seconds(60));
  int valid = 0;
  for (const Authz& a : authzs) {
    EXPECT_EQ(statuses[a.id], "valid") << "authz " << a.id;
    valid += statuses[a.id] == "valid";
  }
  EXPECT_EQ(valid, kAuthzs);

  // Exactly one final transition per authorization in the audit trail.
  std::map<int64_t, int> finals = FinalEventsPerAuthz();
  EXPECT_EQ(finals.size(), static_cast<size_t>(kAuthzs));
  for (const Authz& a : authzs) {
    EXPECT_EQ(finals[a.id], 1) << "authz " << a.id;
  }
  auto unfinished =
      SqliteQuery(stack_.db_path(),
                  "SELECT COUNT(*) FROM authz WHERE status != 'valid' OR "
                  "challenge_status != 'valid' OR lease_owner IS NOT NULL");
  ASSERT_TRUE(unfinished.ok()) << unfinished.status();
  EXPECT_EQ((*unfinished)[0][0], "0");

  // The client's view after the restart, through vactl.
  for (const Authz* a : {&authzs.front(), &authzs.back()}) {
    absl::StatusOr<Struct> got = stack_.VactlJson({"get", a->id_text});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(StrMember(*got, "status"), "valid");
    EXPECT_EQ(StrMember(Challenge(*got), "status"), "valid");
  }
  EXPECT_EQ(CountInFile(stack_.dir() + "/ra.log", "ra serving"), 2);
}

// ---- 6. a VA killed under load: nothing is lost ----

TEST_F(RaE2eTest, VaKill9UnderLoadLosesNothing) {
  constexpr int kAuthzs = 60;
  StartStack(Options(kPatientVa, {}, /*va_count=*/2));
  std::vector<Authz> authzs;
  ASSERT_NO_FATAL_FAILURE(CreateSlowAuthzs(kAuthzs, "vakill", 2000, &authzs));
  ASSERT_NO_FATAL_FAILURE(StartValidations(authzs));
  // Half the DoDCV calls are on VA 0, waiting for their 2 s TXT answers.
  stack_.va(0).Kill9();

  std::map<int64_t, std::string> statuses =
      WaitAll(authzs, absl::Now() + absl::Seconds(60));
  for (const Authz& a : authzs) {
    EXPECT_EQ(statuses[a.id], "valid") << "authz " << a.id;
  }
  std::map<int64_t, int> finals = FinalEventsPerAuthz();
  for (const Authz& a : authzs) {
    EXPECT_EQ(finals[a.id], 1) << "authz " << a.id;
  }
  // The kill hit the DoDCV calls in flight on VA 0 (about half of them),
  // and the RA moved each to the other VA.
  const std::string ra_log = stack_.dir() + "/ra.log";
  const int moved = CountInFile(
      ra_log, "\"msg\":\"VA call failed; trying the next VA\",\"authzID\"");
  const int moved_dcv = CountInFile(ra_log, "\"rpc\":\"DoDCV\",\"try\":1,");
  RecordProperty("dcv_moved", moved_dcv);
  EXPECT_GT(moved, 0);
  EXPECT_GE(moved_dcv, kAuthzs / 4);
  EXPECT_TRUE(stack_.va(1).Running());
}

// With no VA left to fail over to, the attempt is the issue's "transient
// serverInternal", re-validated once a VA is back.
TEST_F(RaE2eTest, NoVaAnsweringIsTransientServerInternalThenRetried) {
  // The only VA dies mid-call: the attempt ends "Could not communicate
  // with VA" (transient), and the retry 2-4 s later finds it back.
  StartStack(Options(kPatientVa, {"--revalidation-initial-backoff=4s"}));
  absl::StatusOr<Authz> a = NewAuthz("vadown.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(IsOk(PublishTxt(*a)));
  ASSERT_TRUE(
      IsOk(stack_.SetFault("_acme-challenge.vadown.e2e.test", "TXT", "delay",
                           /*count=*/1, /*delay_ms=*/2000)));
  ASSERT_TRUE(IsOk(Validate(*a).status()));
  // Kill only once the VA is waiting for the delayed answer.
  const absl::Time asked_by = absl::Now() + absl::Seconds(10);
  while (stack_.QueryCount("_acme-challenge.vadown.e2e.test", "TXT") < 1 &&
         absl::Now() < asked_by) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  stack_.va(0).Kill9();

  Struct processing;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    absl::StatusOr<Struct> got = stack_.VactlJson({"get", a->id_text});
    ASSERT_TRUE(got.ok()) << got.status();
    if (Member(Challenge(*got), "error") != nullptr ||
        StrMember(*got, "status") != "pending") {
      processing = *got;
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(IsOk(stack_.RestartVa(0)));
  ASSERT_EQ(StrMember(processing, "status"), "pending")
      << "never saw the retry wait";
  EXPECT_EQ(StrMember(Challenge(processing), "status"), "processing");
  const Struct error = ErrorOf(processing);
  EXPECT_EQ(StrMember(error, "type"),
            "urn:ietf:params:acme:error:serverInternal");
  EXPECT_EQ(StrMember(error, "detail"), "Could not communicate with VA");
  EXPECT_EQ(NumMember(error, "status"), 500);
  EXPECT_TRUE(BoolMember(error, "transient"));
  EXPECT_GT(NumMember(processing, "retryAfter"), 0);

  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StrMember(*done, "status"), "valid");
  EXPECT_EQ(NumMember(*done, "validationAttempts"), 2);
  EXPECT_THAT(Events(a->id), ::testing::ElementsAre("created", "processing",
                                                    "retry", "valid"));
}

// ---- 7. bad input through vactl ----

TEST_F(RaE2eTest, VactlBadInputFailsClearly) {
  StartStack(Options(kQuickVa));

  // Unknown IDs: non-zero exit, the RA's NOT_FOUND on stderr, no JSON.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"get", "987654"},
           {"wait", "987654", "--timeout=5s"},
           {"validate", "987654", "--thumbprint", kThumbprint}}) {
    CommandResult r = stack_.Vactl(args);
    EXPECT_NE(r.exit_code, 0) << absl::StrJoin(args, " ");
    EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));
    EXPECT_THAT(r.err, HasSubstr("no authorization with id 987654"));
    EXPECT_EQ(r.out, "");
  }
  // Not an ID at all: usage error before any RPC.
  CommandResult r = stack_.Vactl({"get", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("ID must be a positive number"));

  absl::StatusOr<Authz> a = NewAuthz("twice.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  // A key authorization for another token is refused, and changes nothing.
  r = stack_.Vactl({"validate", a->id_text, "--key-authorization",
                    KeyAuthorization(std::string(43, 'x'))});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("keyAuthorization"));
  absl::StatusOr<Struct> still = stack_.VactlJson({"get", a->id_text});
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(StrMember(Challenge(*still), "status"), "pending");

  // Validating an authorization that is no longer pending.
  ASSERT_TRUE(IsOk(PublishTxt(*a)));
  ASSERT_TRUE(IsOk(Validate(*a).status()));
  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(StrMember(*done, "status"), "valid");
  r = stack_.Vactl(
      {"validate", a->id_text, "--key-authorization", a->key_authorization});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(r.err, HasSubstr("authorization must be pending; it is valid"));
  EXPECT_EQ(r.out, "");
  // ... and an invalid one.
  absl::StatusOr<Authz> b = NewAuthz("nope.e2e.test");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(IsOk(Validate(*b).status()));
  done = Wait(*b);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(StrMember(*done, "status"), "invalid");
  r = stack_.Vactl({"validate", b->id_text, "--thumbprint", kThumbprint});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("authorization must be pending; it is invalid"));
  // Neither refusal touched the stored result.
  EXPECT_THAT(Events(a->id),
              ::testing::ElementsAre("created", "processing", "valid"));
  EXPECT_THAT(Events(b->id),
              ::testing::ElementsAre("created", "processing", "invalid"));
}

// Base64url values start with '-' one time in 64 (tokens, thumbprints, key
// authorizations); vactl must pass them on unchanged in the documented
// "--flag VALUE" form, not take them for flags to normalize.
TEST_F(RaE2eTest, VactlKeepsValuesThatStartWithADash) {
  StartStack(Options(kQuickVa));
  const std::string thumbprint = "-dash-leading-thumbprint-AAAAAAAAAAAAAAAAAA";
  ASSERT_EQ(thumbprint.size(), 43u);
  absl::StatusOr<Authz> a = NewAuthz("dash.e2e.test");
  ASSERT_TRUE(a.ok()) << a.status();
  const std::string ka = absl::StrCat(a->token, ".", thumbprint);
  ASSERT_TRUE(IsOk(stack_.SetTxt("_acme-challenge.dash.e2e.test", TxtFor(ka))));
  absl::StatusOr<Struct> started =
      stack_.VactlJson({"validate", a->id_text, "--thumbprint", thumbprint});
  ASSERT_TRUE(started.ok()) << started.status();
  absl::StatusOr<Struct> done = Wait(*a);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StrMember(*done, "status"), "valid")
      << StrMember(ErrorOf(*done), "detail");
  auto stored = SqliteQuery(
      stack_.db_path(),
      absl::StrCat("SELECT key_authorization FROM authz WHERE id = ", a->id));
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0][0], ka);
}

}  // namespace
}  // namespace acmeva::testing_harness
