// Crash safety: an RA that dies with validations in flight (or with retries
// scheduled) leaves them in the database; the next RA on the same file
// resumes and finalizes every one of them exactly once.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ra/testing/fake_va.h"
#include "ra/testing/ra_harness.h"

namespace acmeva::ra {
namespace {

using ::acmeva::ra::testing::FakeVa;
using ::acmeva::ra::testing::FakeVaCall;
using ::acmeva::ra::testing::FakeVaReply;
using ::acmeva::ra::testing::RaHarness;
using ::acmeva::ra::testing::RaHarnessOptions;

const std::string kThumbprint(43, 'Q');

class RaRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/ra_restart_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    va_ = FakeVa::Start();
    ASSERT_NE(va_, nullptr);
  }
  void TearDown() override {
    va_.reset();
    std::filesystem::remove_all(dir_);
  }

  RaHarnessOptions Options(const std::string& instance) {
    RaHarnessOptions o;
    o.db_path = dir_ + "/ra.sqlite";
    o.va_addresses = {va_->address()};
    o.runner.instance_id = instance;
    o.runner.va_timeout = absl::Seconds(30);  // stalled calls stay open
    return o;
  }
  std::unique_ptr<RaHarness> Start(RaHarnessOptions options) {
    auto ra = RaHarness::Start(std::move(options));
    EXPECT_TRUE(ra.ok()) << ra.status();
    return ra.ok() ? *std::move(ra) : nullptr;
  }

  // Creates `n` authorizations and starts validating each.
  std::vector<int64_t> StartValidations(RaHarness* ra, int n) {
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      grpc::ClientContext ctx;
      ::ra::NewAuthorizationRequest req;
      req.set_registrationid(9);
      req.mutable_identifier()->set_type("dns");
      req.mutable_identifier()->set_value("n" + std::to_string(i) +
                                          ".example.com");
      ::ra::AuthorizationResponse a;
      EXPECT_TRUE(ra->stub()->NewAuthorization(&ctx, req, &a).ok());
      grpc::ClientContext vctx;
      ::ra::PerformValidationRequest v;
      v.set_id(a.authz().id());
      v.set_jwkthumbprint(kThumbprint);
      ::ra::AuthorizationResponse started;
      EXPECT_TRUE(ra->stub()->PerformValidation(&vctx, v, &started).ok());
      ids.push_back(a.authz().id());
    }
    return ids;
  }

  static bool WaitFor(const std::function<bool()>& done,
                      absl::Duration timeout = absl::Seconds(15)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return done();
  }

  // Every authorization final with `status`, and exactly one final event.
  void ExpectFinalizedOnce(SqliteStore* store, const std::vector<int64_t>& ids,
                           AuthzStatus status, int attempts) {
    for (int64_t id : ids) {
      auto r = store->GetAuthz(id);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->state.authz, status) << id;
      EXPECT_EQ(r->attempts, attempts) << id;
      EXPECT_TRUE(r->lease_owner.empty()) << id;
      auto events = store->ListEvents(id);
      ASSERT_TRUE(events.ok());
      int finals = 0;
      for (const auto& e : *events) {
        if (e.event == "valid" || e.event == "invalid") ++finals;
      }
      EXPECT_EQ(finals, 1) << id;
    }
  }

  std::string dir_;
  std::unique_ptr<FakeVa> va_;
};

TEST_F(RaRestartTest, InFlightValidationsResumeAfterACrash) {
  constexpr int kAuthzs = 40;
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};
  });
  auto first = Start(Options("ra-a"));
  ASSERT_NE(first, nullptr);
  const std::vector<int64_t> ids = StartValidations(first.get(), kAuthzs);
  ASSERT_TRUE(WaitFor([&] { return va_->stalled() == kAuthzs; }))
      << va_->stalled();
  const std::string first_owner = first->runner()->owner();
  // Crash: nothing more is recorded; the leases stay in the file.
  first.reset();
  {
    SqliteStore::Options o;
    o.path = dir_ + "/ra.sqlite";
    auto store = SqliteStore::Open(o);
    ASSERT_TRUE(store.ok());
    for (int64_t id : ids) {
      auto r = (*store)->GetAuthz(id);
      EXPECT_EQ(r->state.challenge, ChallengeStatus::kProcessing);
      EXPECT_EQ(r->attempts, 0);
      EXPECT_EQ(r->lease_owner, first_owner);
    }
  }

  // The VA recovers; a new RA (same instance name) starts on the file.
  va_->SetDcv(nullptr);
  auto second = Start(Options("ra-a"));
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(WaitFor([&] {
    for (int64_t id : ids) {
      auto r = second->store()->GetAuthz(id);
      if (!r.ok() || r->state.authz == AuthzStatus::kPending) return false;
    }
    return true;
  }));
  // The interrupted attempt was re-run, not counted twice.
  ExpectFinalizedOnce(second->store(), ids, AuthzStatus::kValid, 1);
  for (int64_t id : ids) {
    EXPECT_EQ(va_->CallCount("DoDCV", id), 2) << id;  // stalled + re-run
    EXPECT_EQ(va_->CallCount("DoCAA", id), 1) << id;
  }
  // Long after, nothing changes any more.
  absl::SleepFor(absl::Milliseconds(300));
  ExpectFinalizedOnce(second->store(), ids, AuthzStatus::kValid, 1);
}

TEST_F(RaRestartTest, ScheduledRetriesSurviveARestartWithTheirCounter) {
  constexpr int kAuthzs = 10;
  // Attempt 1 fails transiently; later attempts stall in the first RA.
  va_->SetDcv([](const FakeVaCall& call) {
    if (call.nth == 1) {
      return FakeVaReply{FakeVa::Problem("dns", "DNS problem: timeout", true)};
    }
    return FakeVaReply{
        FakeVa::Problem("dns", "DNS problem: timeout again", true)};
  });
  RaHarnessOptions options = Options("ra-b");
  options.runner.policy.initial_backoff = absl::Seconds(30);  // not in RA 1
  options.runner.policy.max_backoff = absl::Seconds(30);
  options.runner.policy.window = absl::Minutes(5);
  auto first = Start(options);
  ASSERT_NE(first, nullptr);
  const std::vector<int64_t> ids = StartValidations(first.get(), kAuthzs);
  ASSERT_TRUE(WaitFor([&] {
    for (int64_t id : ids) {
      if (first->store()->GetAuthz(id)->attempts != 1) return false;
    }
    return true;
  }));
  first.reset();

  // The next RA retries soon; attempt 2 and 3 fail too: the bound (3
  // attempts) comes from the persisted counter, so it is invalid after
  // exactly 3 attempts in total, with the last problem.
  options.runner.policy.initial_backoff = absl::Milliseconds(50);
  options.runner.policy.max_backoff = absl::Milliseconds(50);
  // Pull the scheduled retries forward as a client retry request would.
  auto second = Start(options);
  ASSERT_NE(second, nullptr);
  for (int64_t id : ids) {
    ASSERT_TRUE(second->store()->ExpediteAttempt(id, absl::Now()).ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    for (int64_t id : ids) {
      if (second->store()->GetAuthz(id)->state.authz == AuthzStatus::kPending) {
        return false;
      }
    }
    return true;
  }));
  ExpectFinalizedOnce(second->store(), ids, AuthzStatus::kInvalid, 3);
  for (int64_t id : ids) {
    EXPECT_EQ(second->store()->GetAuthz(id)->problem->detail(),
              "DNS problem: timeout again");
    EXPECT_EQ(va_->CallCount("DoDCV", id), 3) << id;
  }
}

TEST_F(RaRestartTest, AnotherInstanceTakesOverAfterTheLeaseExpires) {
  constexpr int kAuthzs = 8;
  va_->SetDcv([](const FakeVaCall&) {
    return FakeVaReply{{}, grpc::Status::OK, true};
  });
  RaHarnessOptions options = Options("ra-c");
  options.runner.lease = absl::Milliseconds(800);
  auto first = Start(options);
  ASSERT_NE(first, nullptr);
  const std::vector<int64_t> ids = StartValidations(first.get(), kAuthzs);
  ASSERT_TRUE(WaitFor([&] { return va_->stalled() == kAuthzs; }));
  first.reset();

  va_->SetDcv(nullptr);
  // A different instance: it must not steal live leases, only expired ones.
  RaHarnessOptions other = Options("ra-d");
  auto second = Start(other);
  ASSERT_NE(second, nullptr);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(WaitFor([&] {
    for (int64_t id : ids) {
      if (second->store()->GetAuthz(id)->state.authz == AuthzStatus::kPending) {
        return false;
      }
    }
    return true;
  }));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  ExpectFinalizedOnce(second->store(), ids, AuthzStatus::kValid, 1);
}

TEST_F(RaRestartTest, TwoInstancesOnOneDatabaseFinalizeEachOnce) {
  constexpr int kAuthzs = 30;
  auto a = Start(Options("ra-e"));
  auto b = Start(Options("ra-f"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<int64_t> ids = StartValidations(a.get(), kAuthzs / 2);
  const std::vector<int64_t> more = StartValidations(b.get(), kAuthzs / 2);
  ids.insert(ids.end(), more.begin(), more.end());
  ASSERT_TRUE(WaitFor([&] {
    for (int64_t id : ids) {
      if (a->store()->GetAuthz(id)->state.authz == AuthzStatus::kPending) {
        return false;
      }
    }
    return true;
  }));
  ExpectFinalizedOnce(a->store(), ids, AuthzStatus::kValid, 1);
  for (int64_t id : ids) EXPECT_EQ(va_->CallCount("DoDCV", id), 1) << id;
}

}  // namespace
}  // namespace acmeva::ra
