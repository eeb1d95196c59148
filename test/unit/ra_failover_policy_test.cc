#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "ra/failover_policy.h"

namespace acmeva::ra {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

FailoverPolicy ThreeVas() {
  FailoverPolicy policy;
  policy.max_tries = DefaultMaxTries(3);
  return policy;
}

TEST(RaFailoverPolicyTest, DefaultIsOneFailFastAndOnePatientRound) {
  EXPECT_EQ(DefaultMaxTries(1), 2);
  EXPECT_EQ(DefaultMaxTries(3), 6);
}

TEST(RaFailoverPolicyTest, FailoverCodes) {
  struct Case {
    absl::StatusCode code;
    bool failover;
  };
  const std::vector<Case> cases = {
      {absl::StatusCode::kUnavailable, true},
      {absl::StatusCode::kDeadlineExceeded, true},
      {absl::StatusCode::kResourceExhausted, true},
      {absl::StatusCode::kUnknown, true},
      {absl::StatusCode::kInternal, true},
      {absl::StatusCode::kAborted, true},
      {absl::StatusCode::kCancelled, true},
      {absl::StatusCode::kUnimplemented, true},
      {absl::StatusCode::kInvalidArgument, false},
      {absl::StatusCode::kPermissionDenied, false},
      {absl::StatusCode::kUnauthenticated, false},
      {absl::StatusCode::kNotFound, false},
      {absl::StatusCode::kFailedPrecondition, false},
      {absl::StatusCode::kOutOfRange, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsFailoverCode(c.code), c.failover)
        << absl::StatusCodeToString(c.code);
  }
}

TEST(RaFailoverPolicyTest, TryPlanTable) {
  struct Case {
    const char* name;
    int num_vas;
    uint64_t start;
    int try_index;
    absl::Duration time_left;  // request deadline - now
    int va;
    bool patient;
    absl::Duration deadline;  // try deadline - now
  };
  const std::vector<Case> cases = {
      {"first try at the rotation start", 3, 1, 0, absl::Seconds(20), 1, false,
       absl::Seconds(20)},
      {"fail-fast round wraps around", 3, 1, 2, absl::Seconds(20), 0, false,
       absl::Seconds(20)},
      {"patient round starts at the same VA", 3, 1, 3, absl::Seconds(20), 1,
       true, absl::Seconds(2)},
      {"patient try capped by the request", 3, 1, 4, absl::Seconds(1), 2, true,
       absl::Seconds(1)},
      {"one VA: second try is patient", 1, 7, 1, absl::Seconds(20), 0, true,
       absl::Seconds(2)},
      {"large rotation counter", 2, ~uint64_t{0}, 0, absl::Seconds(20), 1,
       false, absl::Seconds(20)},
  };
  const FailoverPolicy policy = ThreeVas();
  for (const Case& c : cases) {
    const TryPlan plan = PlanTry(policy, c.num_vas, c.start, c.try_index, kNow,
                                 kNow + c.time_left);
    EXPECT_EQ(plan.va, c.va) << c.name;
    EXPECT_EQ(plan.patient, c.patient) << c.name;
    EXPECT_EQ(plan.deadline, kNow + c.deadline) << c.name;
  }
}

TEST(RaFailoverPolicyTest, PatientRepeatTable) {
  struct Case {
    const char* name;
    absl::StatusCode code;
    bool patient;
    int repeats_made;
    absl::Duration window_left;          // patient_until - now
    std::optional<absl::Duration> wake;  // wake - now
  };
  const std::vector<Case> cases = {
      {"first repeat after 100 ms", absl::StatusCode::kUnavailable, true, 0,
       absl::Seconds(2), absl::Milliseconds(100)},
      {"second after 200 ms", absl::StatusCode::kUnavailable, true, 1,
       absl::Seconds(2), absl::Milliseconds(200)},
      {"third after 400 ms", absl::StatusCode::kUnavailable, true, 2,
       absl::Seconds(2), absl::Milliseconds(400)},
      {"at most three repeats", absl::StatusCode::kUnavailable, true, 3,
       absl::Seconds(2), std::nullopt},
      {"fail-fast tries are not repeated", absl::StatusCode::kUnavailable,
       false, 0, absl::Seconds(2), std::nullopt},
      {"only UNAVAILABLE is repeated", absl::StatusCode::kInternal, true, 0,
       absl::Seconds(2), std::nullopt},
      {"just enough window left", absl::StatusCode::kUnavailable, true, 0,
       absl::Milliseconds(150), absl::Milliseconds(100)},
      {"too little window left", absl::StatusCode::kUnavailable, true, 0,
       absl::Milliseconds(149), std::nullopt},
  };
  const FailoverPolicy policy = ThreeVas();
  for (const Case& c : cases) {
    const std::optional<absl::Time> wake = PatientRepeatAt(
        policy, c.code, c.patient, c.repeats_made, kNow + c.window_left, kNow);
    ASSERT_EQ(wake.has_value(), c.wake.has_value()) << c.name;
    if (wake.has_value()) {
      EXPECT_EQ(*wake, kNow + *c.wake) << c.name;
    }
  }
}

TEST(RaFailoverPolicyTest, AfterFailedTryTable) {
  struct Case {
    const char* name;
    absl::StatusCode code;
    absl::Duration try_deadline;      // - now
    absl::Duration request_deadline;  // - now
    int tries_made;
    AfterFailedTry expected;
  };
  const absl::Duration s20 = absl::Seconds(20);
  const std::vector<Case> cases = {
      {"unavailable: next VA", absl::StatusCode::kUnavailable, s20, s20, 1,
       AfterFailedTry::kNextTry},
      {"per-try deadline: next VA", absl::StatusCode::kDeadlineExceeded,
       absl::Seconds(0), absl::Seconds(5), 4, AfterFailedTry::kNextTry},
      {"request rejected: final", absl::StatusCode::kInvalidArgument, s20, s20,
       1, AfterFailedTry::kGiveUpFinal},
      {"rejected even on the last try: final",
       absl::StatusCode::kPermissionDenied, s20, s20, 6,
       AfterFailedTry::kGiveUpFinal},
      {"whole deadline used up: transient", absl::StatusCode::kDeadlineExceeded,
       absl::Seconds(0), absl::Seconds(0), 1, AfterFailedTry::kGiveUpTransient},
      {"request deadline passed: transient", absl::StatusCode::kUnavailable,
       absl::Seconds(-1), absl::Seconds(-1), 1,
       AfterFailedTry::kGiveUpTransient},
      {"tries used up: transient", absl::StatusCode::kUnavailable, s20, s20, 6,
       AfterFailedTry::kGiveUpTransient},
      {"one try left: next VA", absl::StatusCode::kInternal, s20, s20, 5,
       AfterFailedTry::kNextTry},
  };
  const FailoverPolicy policy = ThreeVas();
  for (const Case& c : cases) {
    const FailedTry failed{.code = c.code,
                           .try_deadline = kNow + c.try_deadline,
                           .request_deadline = kNow + c.request_deadline,
                           .now = kNow,
                           .tries_made = c.tries_made};
    EXPECT_EQ(DecideAfterFailedTry(policy, failed), c.expected) << c.name;
  }
}

}  // namespace
}  // namespace acmeva::ra
