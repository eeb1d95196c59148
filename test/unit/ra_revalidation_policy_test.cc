#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "ra/revalidation_policy.h"

namespace acmeva::ra {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

RevalidationPolicy Defaults() { return RevalidationPolicy(); }

TEST(RaRevalidationPolicyTest, DecisionTable) {
  struct Case {
    const char* name;
    RevalidationPolicy policy;
    int attempts_made;
    absl::Duration since_first;  // now - first attempt
    bool transient;
    double draw;
    bool retry;
    absl::Duration delay;  // next - now, when retry
  };
  RevalidationPolicy off = Defaults();
  off.max_attempts = 1;
  RevalidationPolicy narrow = Defaults();
  narrow.window = absl::Seconds(15);
  const std::vector<Case> cases = {
      {"not transient: final at once",
       Defaults(),
       1,
       absl::Seconds(1),
       false,
       0.0,
       false,
       {}},
      {"first failure, no jitter draw", Defaults(), 1, absl::Seconds(1), true,
       0.0, true, absl::Seconds(10)},
      {"first failure, full jitter draw", Defaults(), 1, absl::Seconds(1), true,
       1.0, true, absl::Seconds(5)},
      {"second failure doubles", Defaults(), 2, absl::Seconds(12), true, 0.0,
       true, absl::Seconds(20)},
      {"third failure hits the bound",
       Defaults(),
       3,
       absl::Seconds(40),
       true,
       0.0,
       false,
       {}},
      {"retries turned off", off, 1, absl::Seconds(1), true, 0.0, false, {}},
      {"next attempt would leave the window",
       narrow,
       1,
       absl::Seconds(6),
       true,
       0.0,
       false,
       {}},
      {"next attempt just inside the window", narrow, 1, absl::Seconds(5), true,
       0.0, true, absl::Seconds(10)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    AttemptOutcome outcome;
    outcome.attempts_made = c.attempts_made;
    outcome.first_attempt_at = kStart;
    outcome.now = kStart + c.since_first;
    outcome.transient = c.transient;
    const RevalidationDecision d =
        DecideRevalidation(c.policy, outcome, c.draw);
    EXPECT_EQ(d.retry, c.retry) << d.reason;
    if (c.retry) {
      EXPECT_EQ(d.next_attempt_at - outcome.now, c.delay);
    } else {
      EXPECT_FALSE(d.reason.empty());
    }
  }
}

TEST(RaRevalidationPolicyTest, BackoffGrowsAndIsCapped) {
  RevalidationPolicy p = Defaults();
  p.initial_backoff = absl::Seconds(10);
  p.multiplier = 3;
  p.max_backoff = absl::Seconds(60);
  const std::vector<std::pair<int, absl::Duration>> table = {
      {1, absl::Seconds(10)},
      {2, absl::Seconds(30)},
      {3, absl::Seconds(60)},
      {4, absl::Seconds(60)},
      {1000, absl::Seconds(60)}};
  for (const auto& [n, want] : table) {
    EXPECT_EQ(BaseBackoff(p, n), want) << "retry " << n;
  }
}

TEST(RaRevalidationPolicyTest, JitterSpreadsRetriesOfSimultaneousFailures) {
  // Many authorizations failing at the same instant (one broken zone) must
  // not be retried in lock step.
  AttemptOutcome outcome;
  outcome.attempts_made = 1;
  outcome.first_attempt_at = kStart;
  outcome.now = kStart;
  outcome.transient = true;
  std::set<absl::Time> times;
  for (int i = 0; i < 100; ++i) {
    const RevalidationDecision d =
        DecideRevalidation(Defaults(), outcome, i / 100.0);
    ASSERT_TRUE(d.retry);
    // Never earlier than half the base delay (§8.2: not more often than
    // every 5-10 s), never later than the base.
    EXPECT_GE(d.next_attempt_at - kStart, absl::Seconds(5));
    EXPECT_LE(d.next_attempt_at - kStart, absl::Seconds(10));
    times.insert(d.next_attempt_at);
  }
  EXPECT_EQ(times.size(), 100u);
}

TEST(RaRevalidationPolicyTest, OutOfRangeDrawsAreClamped) {
  AttemptOutcome outcome{1, kStart, kStart, true};
  EXPECT_EQ(DecideRevalidation(Defaults(), outcome, -5).next_attempt_at,
            kStart + absl::Seconds(10));
  EXPECT_EQ(DecideRevalidation(Defaults(), outcome, 7).next_attempt_at,
            kStart + absl::Seconds(5));
}

}  // namespace
}  // namespace acmeva::ra
