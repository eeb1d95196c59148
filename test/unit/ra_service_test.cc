// The RA end to end: a real gRPC client -> RA service on loopback -> the
// runner -> a fake VA gRPC server on loopback, with a real SQLite file.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ra/testing/fake_va.h"
#include "ra/testing/ra_harness.h"
#include "ra/va_client.h"

namespace acmeva::ra {
namespace {

using ::acmeva::ra::testing::FakeVa;
using ::acmeva::ra::testing::FakeVaCall;
using ::acmeva::ra::testing::FakeVaReply;
using ::acmeva::ra::testing::RaHarness;
using ::acmeva::ra::testing::RaHarnessOptions;

const std::string kThumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

class RaServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/ra_service_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    va_ = FakeVa::Start();
    ASSERT_NE(va_, nullptr);
  }
  void TearDown() override {
    ra_.reset();
    va_.reset();
    std::filesystem::remove_all(dir_);
  }

  RaHarnessOptions Options() {
    RaHarnessOptions o;
    o.db_path = dir_ + "/ra.sqlite";
    o.va_addresses = {va_->address()};
    return o;
  }
  void StartRa(RaHarnessOptions options) {
    auto ra = RaHarness::Start(std::move(options));
    ASSERT_TRUE(ra.ok()) << ra.status();
    ra_ = *std::move(ra);
  }
  void StartRa() { StartRa(Options()); }

  grpc::Status NewAuthz(const std::string& name,
                        ::ra::AuthorizationResponse* out, int64_t account = 1,
                        bool wildcard = false,
                        const std::string& type = "dns") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    ::ra::NewAuthorizationRequest req;
    req.set_registrationid(account);
    req.mutable_identifier()->set_type(type);
    req.mutable_identifier()->set_value(name);
    req.set_wildcard(wildcard);
    return ra_->stub()->NewAuthorization(&ctx, req, out);
  }
  ::ra::AuthorizationResponse MustNewAuthz(const std::string& name,
                                           bool wildcard = false) {
    ::ra::AuthorizationResponse out;
    const grpc::Status s = NewAuthz(name, &out, 1, wildcard);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  static std::string Ka(const ::ra::AuthorizationResponse& authz) {
    return authz.authz().challenges(0).token() + "." + kThumbprint;
  }
  grpc::Status Validate(int64_t id, const std::string& ka,
                        ::ra::AuthorizationResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    ::ra::PerformValidationRequest req;
    req.set_id(id);
    req.set_keyauthorization(ka);
    return ra_->stub()->PerformValidation(&ctx, req, out);
  }
  grpc::Status ValidateWithThumbprint(int64_t id, const std::string& thumbprint,
                                      ::ra::AuthorizationResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    ::ra::PerformValidationRequest req;
    req.set_id(id);
    req.set_jwkthumbprint(thumbprint);
    return ra_->stub()->PerformValidation(&ctx, req, out);
  }
  grpc::Status Get(int64_t id, ::ra::AuthorizationResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    ::ra::AuthorizationID req;
    req.set_id(id);
    return ra_->stub()->GetAuthorization(&ctx, req, out);
  }
  grpc::Status Wait(int64_t id, absl::Duration timeout,
                    ::ra::AuthorizationResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    ::ra::WaitAuthorizationRequest req;
    req.set_id(id);
    return ra_->stub()->WaitAuthorization(&ctx, req, out);
  }
  // Starts validation and waits for the final state.
  ::ra::AuthorizationResponse ValidateAndWait(
      const ::ra::AuthorizationResponse& authz,
      absl::Duration timeout = absl::Seconds(10)) {
    ::ra::AuthorizationResponse started;
    grpc::Status s = Validate(authz.authz().id(), Ka(authz), &started);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ::ra::AuthorizationResponse done;
    s = Wait(authz.authz().id(), timeout, &done);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return done;
  }

  std::string dir_;
  std::unique_ptr<FakeVa> va_;
  std::unique_ptr<RaHarness> ra_;
};

TEST_F(RaServiceTest, NewAuthorizationIsPendingOfferingTheDnsFamily) {
  StartRa();
  ::ra::AuthorizationResponse a;
  ASSERT_TRUE(NewAuthz("Example.COM", &a, 42).ok());
  EXPECT_GT(a.authz().id(), 0);
  EXPECT_EQ(a.authz().registrationid(), 42);
  EXPECT_EQ(a.authz().identifier().type(), "dns");
  EXPECT_EQ(a.authz().identifier().value(), "example.com");
  EXPECT_EQ(a.authz().status(), "pending");
  EXPECT_FALSE(a.wildcard());
  const absl::Time expires =
      absl::FromUnixSeconds(a.authz().expires().seconds());
  EXPECT_NEAR(absl::ToDoubleHours(expires - absl::Now()), 7 * 24, 0.1);
  // Every registered type is offered, dns-01 first; one token shared by the
  // types that use one, none for dns-persist-01.
  ASSERT_EQ(a.authz().challenges_size(), 3);
  const core::Challenge& c = a.authz().challenges(0);
  EXPECT_EQ(c.type(), "dns-01");
  EXPECT_EQ(a.authz().challenges(1).type(), "dns-account-01");
  EXPECT_EQ(a.authz().challenges(1).token(), c.token());
  EXPECT_EQ(a.authz().challenges(1).status(), "pending");
  EXPECT_EQ(a.authz().challenges(2).type(), "dns-persist-01");
  EXPECT_EQ(a.authz().challenges(2).token(), "");
  EXPECT_EQ(a.authz().challenges(2).status(), "pending");
  EXPECT_EQ(c.status(), "pending");
  EXPECT_EQ(c.token().size(), 43u);
  EXPECT_EQ(
      c.token().find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(a.retryafterseconds(), 0);

  ::ra::AuthorizationResponse w;
  ASSERT_TRUE(NewAuthz("example.com", &w, 42, /*wildcard=*/true).ok());
  EXPECT_TRUE(w.wildcard());
  EXPECT_EQ(w.authz().identifier().value(), "*.example.com");
  EXPECT_NE(w.authz().challenges(0).token(), c.token());
}

// The client answers one offered challenge: the VA gets that type (token and
// key authorization in its shape), CAA gets it as validationMethod, the
// column records it, and only that challenge changes.
TEST_F(RaServiceTest, ChosenChallengeIsValidatedAndShown) {
  StartRa();
  for (const std::string type : {"dns-account-01", "dns-persist-01"}) {
    const ::ra::AuthorizationResponse a = MustNewAuthz(type + ".example.com");
    const std::string token = a.authz().challenges(0).token();
    const bool uses_token = type != "dns-persist-01";
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    ::ra::PerformValidationRequest req;
    req.set_id(a.authz().id());
    req.set_jwkthumbprint(kThumbprint);
    req.set_challengetype(type);
    ::ra::AuthorizationResponse started;
    ASSERT_TRUE(ra_->stub()->PerformValidation(&ctx, req, &started).ok());
    ::ra::AuthorizationResponse done;
    ASSERT_TRUE(Wait(a.authz().id(), absl::Seconds(10), &done).ok());
    EXPECT_EQ(done.authz().status(), "valid");
    for (const core::Challenge& c : done.authz().challenges()) {
      EXPECT_EQ(c.status(), c.type() == type ? "valid" : "pending") << c.type();
      EXPECT_EQ(c.validationrecords_size(), c.type() == type ? 1 : 0);
    }
    const std::vector<FakeVaCall> calls = va_->calls();
    ASSERT_GE(calls.size(), 2u);
    const FakeVaCall& dcv = calls[calls.size() - 2];
    EXPECT_EQ(dcv.rpc, "DoDCV");
    EXPECT_EQ(dcv.challenge_type, type);
    EXPECT_EQ(dcv.token, uses_token ? token : "");
    EXPECT_EQ(dcv.key_authorization,
              (uses_token ? token : std::string()) + "." + kThumbprint);
    EXPECT_EQ(calls.back().rpc, "DoCAA");
    EXPECT_EQ(calls.back().validation_method, type);
  }
}

TEST_F(RaServiceTest, UnknownOrSwitchedChallengeTypeIsRefused) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};  // hold: stay processing
  });
  StartRa();
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::PerformValidationRequest req;
  req.set_id(a.authz().id());
  req.set_jwkthumbprint(kThumbprint);
  ::ra::AuthorizationResponse out;
  {
    grpc::ClientContext ctx;
    req.set_challengetype("http-01");
    const grpc::Status s = ra_->stub()->PerformValidation(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message().rfind("challengeType: ", 0), 0u)
        << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    req.set_challengetype("dns-01");
    ASSERT_TRUE(ra_->stub()->PerformValidation(&ctx, req, &out).ok());
  }
  {
    grpc::ClientContext ctx;
    req.set_challengetype("dns-persist-01");
    const grpc::Status s = ra_->stub()->PerformValidation(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(s.error_message().find("already being validated with dns-01"),
              std::string::npos)
        << s.error_message();
  }
  va_->SetDcv(nullptr);
  va_->ReleaseStalled();
}

TEST_F(RaServiceTest, ValidReturnsAtOnceThenFinalizes) {
  // Hold DCV until the test has seen the immediate answer.
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};
  });
  StartRa();
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::AuthorizationResponse started;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &started).ok());
  // RFC 8555 §7.1.6: challenge processing, authorization still pending.
  EXPECT_EQ(started.authz().status(), "pending");
  EXPECT_EQ(started.authz().challenges(0).status(), "processing");
  EXPECT_GE(started.retryafterseconds(), 1);

  for (int i = 0; i < 200 && va_->stalled() == 0; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(va_->stalled(), 1);
  va_->SetDcv(nullptr);
  va_->ReleaseStalled();

  ::ra::AuthorizationResponse done;
  ASSERT_TRUE(Wait(a.authz().id(), absl::Seconds(10), &done).ok());
  EXPECT_EQ(done.authz().status(), "valid");
  const core::Challenge& c = done.authz().challenges(0);
  EXPECT_EQ(c.status(), "valid");
  EXPECT_TRUE(c.has_validated());
  EXPECT_FALSE(c.has_error());
  ASSERT_EQ(c.validationrecords_size(), 1);
  EXPECT_EQ(c.validationrecords(0).hostname(), "example.com");
  EXPECT_EQ(done.retryafterseconds(), 0);
  EXPECT_EQ(done.validationattempts(), 1);
  // Default valid lifetime: 7 h.
  const absl::Time expires =
      absl::FromUnixSeconds(done.authz().expires().seconds());
  EXPECT_NEAR(absl::ToDoubleHours(expires - absl::Now()), 7, 0.05);

  // The VA saw DoDCV then DoCAA with Boulder's fields.
  const std::vector<FakeVaCall> calls = va_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].rpc, "DoDCV");
  EXPECT_EQ(calls[0].identifier_type, "dns");
  EXPECT_EQ(calls[0].identifier, "example.com");
  EXPECT_EQ(calls[0].authz_id, a.authz().id());
  EXPECT_EQ(calls[0].account_id, 1);
  EXPECT_EQ(calls[0].challenge_type, "dns-01");
  EXPECT_EQ(calls[0].token, a.authz().challenges(0).token());
  EXPECT_EQ(calls[0].key_authorization, Ka(a));
  EXPECT_EQ(calls[1].rpc, "DoCAA");
  EXPECT_EQ(calls[1].identifier, "example.com");
  EXPECT_EQ(calls[1].validation_method, "dns-01");
  EXPECT_EQ(calls[1].account_id, 1);
  EXPECT_EQ(calls[1].authz_id, a.authz().id());

  // Final: validating again is refused and nothing changes.
  ::ra::AuthorizationResponse again;
  EXPECT_EQ(Validate(a.authz().id(), Ka(a), &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ::ra::AuthorizationResponse later;
  ASSERT_TRUE(Get(a.authz().id(), &later).ok());
  EXPECT_EQ(later.authz().status(), "valid");
  EXPECT_EQ(va_->calls().size(), 2u);
}

TEST_F(RaServiceTest, WildcardGoesToTheVaWithItsPrefixAndThumbprintWorks) {
  StartRa();
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.org", true);
  ::ra::AuthorizationResponse started;
  ASSERT_TRUE(
      ValidateWithThumbprint(a.authz().id(), kThumbprint, &started).ok());
  ::ra::AuthorizationResponse done;
  ASSERT_TRUE(Wait(a.authz().id(), absl::Seconds(10), &done).ok());
  EXPECT_EQ(done.authz().status(), "valid");
  const auto calls = va_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].identifier, "*.example.org");
  EXPECT_EQ(calls[0].key_authorization, Ka(a));
  EXPECT_EQ(calls[1].identifier, "*.example.org");
}

TEST_F(RaServiceTest, WrongTxtIsInvalidAtOnceWithoutCaa) {
  va_->SetDcv([](const FakeVaCall& call) {
    return FakeVaReply{FakeVa::Problem("unauthorized",
                                       "Incorrect TXT record \"nope\" found at "
                                       "_acme-challenge." +
                                           call.identifier,
                                       false)};
  });
  StartRa();
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  const ::ra::AuthorizationResponse done = ValidateAndWait(a);
  EXPECT_EQ(done.authz().status(), "invalid");
  const core::Challenge& c = done.authz().challenges(0);
  EXPECT_EQ(c.status(), "invalid");
  ASSERT_TRUE(c.has_error());
  EXPECT_EQ(c.error().problemtype(), "unauthorized");
  EXPECT_EQ(c.error().httpstatus(), 403);
  EXPECT_FALSE(c.error().transient());
  EXPECT_NE(c.error().detail().find("Incorrect TXT record"), std::string::npos);
  EXPECT_EQ(done.validationattempts(), 1);
  EXPECT_EQ(va_->CallCount("DoDCV"), 1);
  EXPECT_EQ(va_->CallCount("DoCAA"), 0);
  // The pending expiry is kept (Boulder does the same).
  EXPECT_EQ(done.authz().expires().seconds(), a.authz().expires().seconds());
}

TEST_F(RaServiceTest, CaaFailureIsInvalidAndKeepsDcvRecords) {
  va_->SetCaa([](const FakeVaCall& call) {
    return FakeVaReply{FakeVa::Problem(
        "caa",
        "While processing CAA for " + call.identifier + ": CAA record for " +
            call.identifier + " prevents issuance",
        false)};
  });
  StartRa();
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  EXPECT_EQ(done.authz().challenges(0).error().problemtype(), "caa");
  EXPECT_EQ(done.authz().challenges(0).validationrecords_size(), 1);
}

TEST_F(RaServiceTest, TransientThenValidOnRevalidation) {
  va_->SetDcv([](const FakeVaCall& call) {
    if (call.nth == 1) {
      auto p = FakeVa::Problem(
          "dns",
          "DNS problem: query timed out looking up TXT for _acme-challenge." +
              call.identifier,
          true);
      p.set_dnsoutcome("timeout");
      p.set_querytype("TXT");
      p.set_queryname("_acme-challenge." + call.identifier);
      p.set_attempts(3);
      p.set_resolver("127.0.0.1:5353");
      return FakeVaReply{p};
    }
    return FakeVaReply{};
  });
  RaHarnessOptions options = Options();
  // Long enough to look at the intermediate state.
  options.runner.policy.initial_backoff = absl::Seconds(2);
  options.runner.policy.max_backoff = absl::Seconds(2);
  StartRa(options);
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::AuthorizationResponse started;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &started).ok());

  // After the first (failed) attempt: still processing, error recorded on
  // the challenge (erratum 5732), Retry-After pointing after the next try.
  ::ra::AuthorizationResponse mid;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(Get(a.authz().id(), &mid).ok());
    if (mid.validationattempts() >= 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(mid.validationattempts(), 1);
  EXPECT_EQ(mid.authz().status(), "pending");
  const core::Challenge& c = mid.authz().challenges(0);
  EXPECT_EQ(c.status(), "processing");
  ASSERT_TRUE(c.has_error());
  EXPECT_EQ(c.error().problemtype(), "dns");
  EXPECT_TRUE(c.error().transient());
  EXPECT_EQ(c.error().dnsoutcome(), "timeout");
  EXPECT_EQ(c.error().querytype(), "TXT");
  EXPECT_EQ(c.error().attempts(), 3);
  EXPECT_EQ(c.error().resolver(), "127.0.0.1:5353");
  ASSERT_TRUE(mid.has_nextattemptat());
  EXPECT_GE(mid.retryafterseconds(), 2);
  EXPECT_LE(mid.retryafterseconds(), 3);
  EXPECT_EQ(c.error().retryafterseconds(), mid.retryafterseconds());
  const absl::Time next = absl::FromUnixSeconds(mid.nextattemptat().seconds());
  EXPECT_GT(next, absl::Now());
  EXPECT_LT(next, absl::Now() + absl::Seconds(3));

  ::ra::AuthorizationResponse done;
  ASSERT_TRUE(Wait(a.authz().id(), absl::Seconds(10), &done).ok());
  EXPECT_EQ(done.authz().status(), "valid");
  EXPECT_EQ(done.authz().challenges(0).status(), "valid");
  EXPECT_FALSE(done.authz().challenges(0).has_error());
  EXPECT_EQ(done.validationattempts(), 2);
  EXPECT_EQ(va_->CallCount("DoDCV"), 2);
  EXPECT_EQ(va_->CallCount("DoCAA"), 1);
}

TEST_F(RaServiceTest, TransientUntilTheBoundIsInvalidWithTheLastProblem) {
  va_->SetDcv([](const FakeVaCall& call) {
    return FakeVaReply{
        FakeVa::Problem("dns",
                        "DNS problem: SERVFAIL looking up TXT (try " +
                            std::to_string(call.nth) + ")",
                        true)};
  });
  StartRa();
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  const core::Challenge& c = done.authz().challenges(0);
  EXPECT_EQ(c.status(), "invalid");
  EXPECT_EQ(c.error().detail(), "DNS problem: SERVFAIL looking up TXT (try 3)");
  EXPECT_TRUE(c.error().transient());
  EXPECT_EQ(c.error().retryafterseconds(), 0);
  EXPECT_EQ(done.validationattempts(), 3);
  EXPECT_EQ(done.retryafterseconds(), 0);
  EXPECT_EQ(va_->CallCount("DoDCV"), 3);
  EXPECT_EQ(va_->CallCount("DoCAA"), 0);
}

TEST_F(RaServiceTest, RetryWindowBoundsTheAttempts) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{FakeVa::Problem("dns", "DNS problem: timeout", true)};
  });
  RaHarnessOptions options = Options();
  options.runner.policy.max_attempts = 100;
  options.runner.policy.initial_backoff = absl::Milliseconds(200);
  options.runner.policy.multiplier = 1;
  options.runner.policy.jitter = 0;
  options.runner.policy.window = absl::Milliseconds(700);
  StartRa(options);
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  // Attempts at 0, 200, 400, 600 ms; 800 ms would leave the window.
  EXPECT_EQ(done.validationattempts(), 4);
}

TEST_F(RaServiceTest, RevalidationOffMeansOneAttempt) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{FakeVa::Problem("dns", "DNS problem: timeout", true)};
  });
  RaHarnessOptions options = Options();
  options.runner.policy.max_attempts = 1;
  StartRa(options);
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  EXPECT_EQ(done.validationattempts(), 1);
  EXPECT_EQ(va_->CallCount("DoDCV"), 1);
}

TEST_F(RaServiceTest, VaDownIsServerInternalTransient) {
  RaHarnessOptions options = Options();
  options.va_addresses = {testing::UnusedLoopbackAddress(),
                          testing::UnusedLoopbackAddress()};
  options.runner.policy.max_attempts = 1;
  StartRa(options);
  const absl::Time start = absl::Now();
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  const core::ProblemDetails& p = done.authz().challenges(0).error();
  EXPECT_EQ(p.problemtype(), "serverInternal");
  EXPECT_EQ(p.detail(), "Could not communicate with VA");
  EXPECT_EQ(p.httpstatus(), 500);
  EXPECT_TRUE(p.transient());
  // Bounded by the reconnect tries, well within the 2 s VA deadline.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(RaServiceTest, VaDownIsRetriedAndSucceedsWhenAVaComesBack) {
  const std::string address = testing::UnusedLoopbackAddress();
  RaHarnessOptions options = Options();
  options.va_addresses = {address};
  options.runner.policy.initial_backoff = absl::Seconds(1);
  StartRa(options);
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::AuthorizationResponse started;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &started).ok());
  ::ra::AuthorizationResponse mid;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(Get(a.authz().id(), &mid).ok());
    if (mid.validationattempts() >= 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(mid.validationattempts(), 1);
  EXPECT_EQ(mid.authz().challenges(0).status(), "processing");
  EXPECT_EQ(mid.authz().challenges(0).error().detail(),
            "Could not communicate with VA");
  // The VA comes up on that address.
  auto revived = FakeVa::Start(address);
  ASSERT_NE(revived, nullptr);
  ::ra::AuthorizationResponse done;
  ASSERT_TRUE(Wait(a.authz().id(), absl::Seconds(10), &done).ok());
  EXPECT_EQ(done.authz().status(), "valid");
  EXPECT_EQ(done.validationattempts(), 2);
  ra_.reset();
}

TEST_F(RaServiceTest, FailsOverToAnotherVa) {
  auto second = FakeVa::Start();
  ASSERT_NE(second, nullptr);
  RaHarnessOptions options = Options();
  options.va_addresses = {testing::UnusedLoopbackAddress(), va_->address(),
                          second->address()};
  options.runner.policy.max_attempts = 1;  // failover, not revalidation
  StartRa(options);
  for (int i = 0; i < 6; ++i) {
    const ::ra::AuthorizationResponse done =
        ValidateAndWait(MustNewAuthz("n" + std::to_string(i) + ".example.com"));
    EXPECT_EQ(done.authz().status(), "valid") << i;
  }
  // Both live VAs took part (rotation), the dead one was skipped.
  EXPECT_GT(va_->calls().size(), 0u);
  EXPECT_GT(second->calls().size(), 0u);
  EXPECT_EQ(va_->calls().size() + second->calls().size(), 12u);
  ra_.reset();
}

TEST_F(RaServiceTest, VaGrpcErrorIsNotTransient) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{
        {}, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad request")};
  });
  StartRa();
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  EXPECT_EQ(done.authz().challenges(0).error().detail(),
            "Could not communicate with VA");
  EXPECT_FALSE(done.authz().challenges(0).error().transient());
  EXPECT_EQ(va_->CallCount("DoDCV"), 1);
}

TEST_F(RaServiceTest, SlowVaHitsTheDeadlineAsTransient) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};
  });
  RaHarnessOptions options = Options();
  options.runner.va_timeout = absl::Milliseconds(300);
  options.runner.policy.max_attempts = 2;
  StartRa(options);
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  EXPECT_EQ(done.authz().status(), "invalid");
  EXPECT_EQ(done.authz().challenges(0).error().detail(),
            "Could not communicate with VA");
  EXPECT_TRUE(done.authz().challenges(0).error().transient());
  EXPECT_EQ(done.validationattempts(), 2);
}

TEST_F(RaServiceTest, SimultaneousTransientFailuresAreSpreadOut) {
  va_->SetDcv([](const FakeVaCall& call) {
    if (call.nth == 1) {
      return FakeVaReply{FakeVa::Problem("dns", "DNS problem: timeout", true)};
    }
    return FakeVaReply{{}, grpc::Status::OK, true};  // hold the retries
  });
  RaHarnessOptions options = Options();
  options.runner.policy.initial_backoff = absl::Seconds(5);
  options.runner.policy.max_backoff = absl::Seconds(5);
  StartRa(options);
  std::vector<int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    const ::ra::AuthorizationResponse a =
        MustNewAuthz("n" + std::to_string(i) + ".example.com");
    ::ra::AuthorizationResponse started;
    ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &started).ok());
    ids.push_back(a.authz().id());
  }
  std::set<int64_t> next_attempts;
  for (int64_t id : ids) {
    ::ra::AuthorizationResponse r;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(Get(id, &r).ok());
      if (r.validationattempts() >= 1) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(r.has_nextattemptat()) << id;
    next_attempts.insert(r.nextattemptat().seconds() * 1000000000LL +
                         r.nextattemptat().nanos());
  }
  const int64_t spread_ns = *next_attempts.rbegin() - *next_attempts.begin();
  EXPECT_EQ(next_attempts.size(), ids.size());
  EXPECT_GT(spread_ns, 500'000'000);  // jitter range is 2.5 s wide
  ra_.reset();
}

TEST_F(RaServiceTest, ClientRetryRequestRunsTheNextAttemptEarly) {
  va_->SetDcv([](const FakeVaCall& call) {
    if (call.nth == 1) {
      return FakeVaReply{FakeVa::Problem("dns", "DNS problem: NXDOMAIN", true)};
    }
    return FakeVaReply{};
  });
  RaHarnessOptions options = Options();
  options.runner.policy.initial_backoff = absl::Seconds(60);
  options.runner.policy.max_backoff = absl::Seconds(60);
  options.runner.policy.window = absl::Minutes(5);
  options.service.min_client_retry_interval = absl::Milliseconds(100);
  StartRa(options);
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::AuthorizationResponse r;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &r).ok());
  for (int i = 0; i < 300 && r.validationattempts() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    ASSERT_TRUE(Get(a.authz().id(), &r).ok());
  }
  ASSERT_EQ(r.validationattempts(), 1);
  EXPECT_GE(r.retryafterseconds(), 30);
  // A different key authorization is refused while processing.
  ::ra::AuthorizationResponse other;
  EXPECT_EQ(
      Validate(a.authz().id(),
               a.authz().challenges(0).token() + "." + std::string(43, 'Z'),
               &other)
          .error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  // The same one again is the client's §8.2 retry request.
  ::ra::AuthorizationResponse again;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &again).ok());
  EXPECT_EQ(again.authz().challenges(0).status(), "processing");
  ::ra::AuthorizationResponse done;
  ASSERT_TRUE(Wait(a.authz().id(), absl::Seconds(5), &done).ok());
  EXPECT_EQ(done.authz().status(), "valid");
  EXPECT_EQ(done.validationattempts(), 2);
}

TEST_F(RaServiceTest, WaitAnswersBeforeTheDeadlineWhileStillProcessing) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};
  });
  RaHarnessOptions options = Options();
  options.runner.va_timeout = absl::Seconds(30);
  StartRa(options);
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::AuthorizationResponse started;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &started).ok());
  const absl::Time start = absl::Now();
  ::ra::AuthorizationResponse r;
  const grpc::Status s = Wait(a.authz().id(), absl::Milliseconds(1500), &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.authz().status(), "pending");
  EXPECT_EQ(r.authz().challenges(0).status(), "processing");
  EXPECT_GE(r.retryafterseconds(), 1);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1000));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
  ra_.reset();
}

TEST_F(RaServiceTest, WaitOnAFinalAuthorizationAnswersAtOnce) {
  StartRa();
  const ::ra::AuthorizationResponse done =
      ValidateAndWait(MustNewAuthz("example.com"));
  ASSERT_EQ(done.authz().status(), "valid");
  const absl::Time start = absl::Now();
  ::ra::AuthorizationResponse r;
  ASSERT_TRUE(Wait(done.authz().id(), absl::Seconds(10), &r).ok());
  EXPECT_EQ(r.authz().status(), "valid");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST_F(RaServiceTest, BadInputsGetClearErrors) {
  StartRa();
  ::ra::AuthorizationResponse r;
  struct NewCase {
    std::string name;
    int64_t account;
    std::string type;
    std::string field;
  };
  const std::vector<NewCase> new_cases = {
      {"exa mple.com", 1, "dns", "identifier.value"},
      {"-bad.example.com", 1, "dns", "identifier.value"},
      {"com", 1, "dns", "identifier.value"},
      {"", 1, "dns", "identifier.value"},
      {"*.*.example.com", 1, "dns", "identifier.value"},
      {"192.0.2.1", 1, "ip", "identifier.type"},
      {"example.com", 0, "dns", "registrationID"},
      {"example.com", -3, "dns", "registrationID"},
  };
  for (const NewCase& c : new_cases) {
    const grpc::Status s = NewAuthz(c.name, &r, c.account, false, c.type);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_NE(s.error_message().find(c.field), std::string::npos)
        << c.name << ": " << s.error_message();
  }

  EXPECT_EQ(Get(987654, &r).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(0, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Validate(987654, "x." + kThumbprint, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Wait(987654, absl::Seconds(2), &r).error_code(),
            grpc::StatusCode::NOT_FOUND);

  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  const int64_t id = a.authz().id();
  grpc::Status s = Validate(id, "wrongtoken." + kThumbprint, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("keyAuthorization"), std::string::npos);
  s = ValidateWithThumbprint(id, "short", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("jwkThumbprint"), std::string::npos);
  {
    grpc::ClientContext ctx;
    ::ra::PerformValidationRequest req;
    req.set_id(id);  // no proof at all
    s = ra_->stub()->PerformValidation(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  // None of that started a validation.
  ASSERT_TRUE(Get(id, &r).ok());
  EXPECT_EQ(r.authz().challenges(0).status(), "pending");
  EXPECT_EQ(va_->calls().size(), 0u);
}

TEST_F(RaServiceTest, ExpiredPendingAuthorizationCannotBeValidated) {
  RaHarnessOptions options = Options();
  options.service.pending_authz_lifetime = absl::Milliseconds(200);
  StartRa(options);
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  absl::SleepFor(absl::Milliseconds(300));
  ::ra::AuthorizationResponse r;
  ASSERT_TRUE(Get(a.authz().id(), &r).ok());
  EXPECT_EQ(r.authz().status(), "expired");
  const grpc::Status s = Validate(a.authz().id(), Ka(a), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("expired"), std::string::npos);
  EXPECT_EQ(va_->calls().size(), 0u);
}

TEST_F(RaServiceTest, DrainFinishesAttemptsInFlight) {
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};
  });
  StartRa();
  const ::ra::AuthorizationResponse a = MustNewAuthz("example.com");
  ::ra::AuthorizationResponse started;
  ASSERT_TRUE(Validate(a.authz().id(), Ka(a), &started).ok());
  for (int i = 0; i < 200 && va_->stalled() == 0; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(va_->stalled(), 1);
  // Answer the stalled call shortly after the drain began.
  std::thread release([this] {
    absl::SleepFor(absl::Milliseconds(200));
    va_->SetDcv(nullptr);
    va_->ReleaseStalled();
  });
  ra_->Drain(absl::Seconds(5));
  release.join();
  auto stored = ra_->store()->GetAuthz(a.authz().id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state.authz, AuthzStatus::kValid);
}

}  // namespace
}  // namespace acmeva::ra
