#include <set>
#include <vector>

#include "absl/random/random.h"
#include "gtest/gtest.h"
#include "va/dns/retry_budget.h"
#include "va/dns/retry_policy.h"

namespace acmeva::va::dns {
namespace {

using absl::Milliseconds;
using absl::Seconds;

RetryPolicyOptions Defaults() { return RetryPolicyOptions{}; }

TEST(RetryPolicyTest, DefaultsAreTheDocumentedOnes) {
  RetryPolicyOptions o;
  EXPECT_EQ(o.max_tries, 10);
  EXPECT_EQ(o.per_try_timeout, Seconds(1));
  EXPECT_EQ(o.min_try_timeout, Milliseconds(100));
  EXPECT_EQ(o.backoff_base, Milliseconds(50));
  EXPECT_EQ(o.backoff_cap, Seconds(1));
  EXPECT_FALSE(o.retry_servfail);
  EXPECT_EQ(o.max_malformed_tries, 3);
}

struct RetryableCase {
  Outcome outcome;
  bool retryable;
  bool retryable_with_servfail;
};

// Transport failures and replies that are not answers (malformed).
TEST(RetryPolicyTest, OnlyTransportFailuresAreRetried) {
  const RetryableCase cases[] = {
      {Outcome::kNoError, false, false},    {Outcome::kNxDomain, false, false},
      {Outcome::kServFail, false, true},    {Outcome::kRefused, false, false},
      {Outcome::kFormErr, false, false},    {Outcome::kNotImp, false, false},
      {Outcome::kOtherRcode, false, false}, {Outcome::kTimeout, true, true},
      {Outcome::kNetwork, true, true},      {Outcome::kTruncated, false, false},
      {Outcome::kMalformed, true, true},    {Outcome::kDeadline, false, false},
      {Outcome::kBudget, false, false},     {Outcome::kCanceled, false, false},
  };
  RetryPolicyOptions servfail = Defaults();
  servfail.retry_servfail = true;
  RetryPolicy plain(Defaults()), with_servfail(servfail);
  for (const RetryableCase& c : cases) {
    EXPECT_EQ(plain.IsRetryable(c.outcome), c.retryable)
        << OutcomeName(c.outcome);
    EXPECT_EQ(with_servfail.IsRetryable(c.outcome), c.retryable_with_servfail)
        << OutcomeName(c.outcome);
  }
}

struct AfterTryCase {
  const char* what;
  Outcome outcome;
  int tries_made;
  absl::Duration time_left;
  double unit;
  bool retry_servfail;
  bool want_retry;
  Outcome want_outcome;
  absl::Duration want_backoff;
};

TEST(RetryPolicyTest, AfterTry) {
  const AfterTryCase cases[] = {
      {"timeout retried, half jitter of 50ms", Outcome::kTimeout, 1,
       Seconds(10), 0.5, false, true, Outcome::kTimeout, Milliseconds(25)},
      {"second retry doubles the ceiling", Outcome::kTimeout, 2, Seconds(10),
       0.5, false, true, Outcome::kTimeout, Milliseconds(50)},
      {"network error retried", Outcome::kNetwork, 1, Seconds(10), 0.0, false,
       true, Outcome::kNetwork, absl::ZeroDuration()},
      {"tries cap (10 by default)", Outcome::kTimeout, 10, Seconds(10), 0.5,
       false, false, Outcome::kTimeout, absl::ZeroDuration()},
      {"ninth retry sleeps up to the 1s cap", Outcome::kTimeout, 9, Seconds(10),
       0.5, false, true, Outcome::kTimeout, Milliseconds(500)},
      {"servfail final by default", Outcome::kServFail, 1, Seconds(10), 0.5,
       false, false, Outcome::kServFail, absl::ZeroDuration()},
      {"servfail retried when configured", Outcome::kServFail, 1, Seconds(10),
       0.5, true, true, Outcome::kServFail, Milliseconds(25)},
      {"noerror final", Outcome::kNoError, 1, Seconds(10), 0.5, true, false,
       Outcome::kNoError, absl::ZeroDuration()},
      {"nxdomain final", Outcome::kNxDomain, 1, Seconds(10), 0.5, true, false,
       Outcome::kNxDomain, absl::ZeroDuration()},
      {"refused final", Outcome::kRefused, 1, Seconds(10), 0.5, true, false,
       Outcome::kRefused, absl::ZeroDuration()},
      {"formerr final", Outcome::kFormErr, 1, Seconds(10), 0.5, true, false,
       Outcome::kFormErr, absl::ZeroDuration()},
      {"truncated final", Outcome::kTruncated, 1, Seconds(10), 0.5, true, false,
       Outcome::kTruncated, absl::ZeroDuration()},
      {"malformed retried like a timeout", Outcome::kMalformed, 1, Seconds(10),
       0.5, false, true, Outcome::kMalformed, Milliseconds(25)},
      {"malformed stops at max_malformed_tries (3)", Outcome::kMalformed, 3,
       Seconds(10), 0.5, false, false, Outcome::kMalformed,
       absl::ZeroDuration()},
      {"malformed after other failures counts them", Outcome::kMalformed, 4,
       Seconds(10), 0.5, false, false, Outcome::kMalformed,
       absl::ZeroDuration()},
      {"timeout after malformed tries is not capped", Outcome::kTimeout, 3,
       Seconds(10), 0.5, false, true, Outcome::kTimeout, Milliseconds(100)},
      {"malformed with no room for a try", Outcome::kMalformed, 1,
       Milliseconds(99), 0.0, false, false, Outcome::kMalformed,
       absl::ZeroDuration()},
      {"no room for a minimal try", Outcome::kTimeout, 1, Milliseconds(99), 0.0,
       false, false, Outcome::kTimeout, absl::ZeroDuration()},
      {"deadline already passed", Outcome::kNetwork, 1, Milliseconds(-5), 0.0,
       false, false, Outcome::kNetwork, absl::ZeroDuration()},
      {"backoff cut to leave a minimal try", Outcome::kTimeout, 1,
       Milliseconds(120), 0.9, false, true, Outcome::kTimeout,
       Milliseconds(20)},
      {"exactly a minimal try left", Outcome::kTimeout, 2, Milliseconds(100),
       0.9, false, true, Outcome::kTimeout, absl::ZeroDuration()},
  };
  for (const AfterTryCase& c : cases) {
    RetryPolicyOptions options = Defaults();
    options.retry_servfail = c.retry_servfail;
    RetryPolicy policy(options);
    RetryPolicy::Decision d =
        policy.AfterTry(c.outcome, c.tries_made, c.time_left, c.unit, nullptr);
    EXPECT_EQ(d.retry, c.want_retry) << c.what;
    EXPECT_EQ(d.outcome, c.want_outcome) << c.what;
    if (c.want_retry) {
      EXPECT_EQ(d.backoff, c.want_backoff) << c.what;
      EXPECT_TRUE(d.budget_asked) << c.what;
    } else {
      EXPECT_FALSE(d.budget_asked) << c.what;
    }
  }
}

TEST(RetryPolicyTest, MaxTriesOneNeverRetries) {
  RetryPolicyOptions options = Defaults();
  options.max_tries = 1;
  RetryPolicy policy(options);
  EXPECT_FALSE(
      policy.AfterTry(Outcome::kTimeout, 1, Seconds(10), 0.5, nullptr).retry);
}

TEST(RetryPolicyTest, BudgetRefusalEndsWithBudget) {
  RetryBudgetOptions budget_options;
  budget_options.floor_per_second = 0.1;  // one retry per 10 s window
  budget_options.ratio = 0;
  RetryBudget budget(budget_options);
  RetryPolicy policy(Defaults());
  RetryPolicy::Decision first =
      policy.AfterTry(Outcome::kTimeout, 1, Seconds(10), 0.5, &budget);
  EXPECT_TRUE(first.retry);
  RetryPolicy::Decision second =
      policy.AfterTry(Outcome::kTimeout, 1, Seconds(10), 0.5, &budget);
  EXPECT_FALSE(second.retry);
  EXPECT_TRUE(second.budget_asked);
  EXPECT_EQ(second.outcome, Outcome::kBudget);
  // No token is spent on what would not be retried anyway.
  RetryPolicy::Decision final_answer =
      policy.AfterTry(Outcome::kNxDomain, 1, Seconds(10), 0.5, &budget);
  EXPECT_FALSE(final_answer.budget_asked);
  EXPECT_EQ(final_answer.outcome, Outcome::kNxDomain);
}

struct SpacingCase {
  const char* what;
  absl::Duration try_took;
  double unit;
  absl::Duration time_left;
  absl::Duration want_backoff;
};

// Tries to one resolver start at least min_try_timeout (100 ms) apart.
TEST(RetryPolicyTest, TriesToOneResolverAreSpacedByTheMinimalTry) {
  const SpacingCase cases[] = {
      {"refused at once: wait out a minimal try", absl::ZeroDuration(), 0.0,
       Seconds(10), Milliseconds(100)},
      {"refused after 30ms", Milliseconds(30), 0.0, Seconds(10),
       Milliseconds(70)},
      {"jitter above the spacing wins", Milliseconds(80), 0.5, Seconds(10),
       Milliseconds(50)},
      {"a timed-out try is spaced already", Milliseconds(100), 0.2, Seconds(10),
       Milliseconds(20)},
      {"other resolver: no spacing", absl::InfiniteDuration(), 0.0, Seconds(10),
       absl::ZeroDuration()},
      {"the deadline cuts the spacing", absl::ZeroDuration(), 0.0,
       Milliseconds(150), Milliseconds(50)},
  };
  RetryPolicy policy(Defaults());
  for (const SpacingCase& c : cases) {
    RetryPolicy::Decision d = policy.AfterTry(Outcome::kNetwork, 2, c.time_left,
                                              c.unit, nullptr, c.try_took);
    EXPECT_TRUE(d.retry) << c.what;
    EXPECT_EQ(d.backoff, c.want_backoff) << c.what;
  }
}

TEST(RetryPolicyTest, MaxBackoffDoublesUpToTheCap) {
  RetryPolicy policy(Defaults());
  EXPECT_EQ(policy.MaxBackoff(0), absl::ZeroDuration());
  EXPECT_EQ(policy.MaxBackoff(1), Milliseconds(50));
  EXPECT_EQ(policy.MaxBackoff(2), Milliseconds(100));
  EXPECT_EQ(policy.MaxBackoff(3), Milliseconds(200));
  EXPECT_EQ(policy.MaxBackoff(5), Milliseconds(800));
  EXPECT_EQ(policy.MaxBackoff(6), Seconds(1));
  EXPECT_EQ(policy.MaxBackoff(1000), Seconds(1));
}

TEST(RetryPolicyTest, FullJitterStaysWithinBounds) {
  RetryPolicy policy(Defaults());
  absl::BitGen gen;
  absl::Duration lowest = absl::InfiniteDuration(), highest;
  for (int i = 0; i < 2000; ++i) {
    absl::Duration b = policy.Backoff(3, absl::Uniform(gen, 0.0, 1.0));
    EXPECT_GE(b, absl::ZeroDuration());
    EXPECT_LT(b, Milliseconds(200));
    lowest = std::min(lowest, b);
    highest = std::max(highest, b);
  }
  // Full jitter spreads over the whole range, not just near the top.
  EXPECT_LT(lowest, Milliseconds(20));
  EXPECT_GT(highest, Milliseconds(180));
  EXPECT_EQ(policy.Backoff(1, 1.5), Milliseconds(50));  // clamped unit
}

TEST(RetryPolicyTest, TryTimeoutClampsAndCutsToDeadline) {
  RetryPolicy policy(Defaults());
  EXPECT_EQ(policy.TryTimeout(Milliseconds(5), Seconds(10)), Milliseconds(100));
  EXPECT_EQ(policy.TryTimeout(Milliseconds(300), Seconds(10)),
            Milliseconds(300));
  EXPECT_EQ(policy.TryTimeout(Seconds(5), Seconds(10)), Seconds(1));
  EXPECT_EQ(policy.TryTimeout(Seconds(1), Milliseconds(140)),
            Milliseconds(140));
  EXPECT_EQ(policy.TryTimeout(Seconds(1), Milliseconds(-1)),
            absl::ZeroDuration());
  EXPECT_TRUE(policy.CanStartTry(Milliseconds(100)));
  EXPECT_FALSE(policy.CanStartTry(Milliseconds(99)));
}

TEST(RetryPolicyTest, ResolverOrderIsARandomPermutation) {
  absl::BitGen gen;
  std::set<int> firsts;
  for (int i = 0; i < 300; ++i) {
    RetryPolicy::ResolverList order = RetryPolicy::ResolverOrder(4, gen);
    ASSERT_EQ(order.size(), 4u);
    EXPECT_EQ(std::set<int>(order.begin(), order.end()),
              (std::set<int>{0, 1, 2, 3}));
    firsts.insert(order[0]);
  }
  EXPECT_EQ(firsts.size(), 4u) << "the first resolver must be random";
}

TEST(RetryPolicyTest, EachRetryGoesToADifferentResolver) {
  const std::vector<int> order = {2, 0, 1};
  EXPECT_EQ(RetryPolicy::ResolverForTry(order, 0), 2);
  EXPECT_EQ(RetryPolicy::ResolverForTry(order, 1), 0);
  EXPECT_EQ(RetryPolicy::ResolverForTry(order, 2), 1);
  EXPECT_EQ(RetryPolicy::ResolverForTry(order, 3), 2);  // wraps around
  EXPECT_EQ(RetryPolicy::ResolverForTry({}, 0), -1);
}

TEST(RetryPolicyTest, ValidateRejectsNonsense) {
  RetryPolicyOptions o = Defaults();
  EXPECT_TRUE(ValidateRetryPolicyOptions(o).ok());
  o.max_tries = 0;
  EXPECT_FALSE(ValidateRetryPolicyOptions(o).ok());
  o = Defaults();
  o.per_try_timeout = Milliseconds(50);
  EXPECT_FALSE(ValidateRetryPolicyOptions(o).ok());
  o = Defaults();
  o.min_try_timeout = absl::ZeroDuration();
  EXPECT_FALSE(ValidateRetryPolicyOptions(o).ok());
  o = Defaults();
  o.backoff_base = Milliseconds(-1);
  EXPECT_FALSE(ValidateRetryPolicyOptions(o).ok());
  o = Defaults();
  o.max_malformed_tries = 0;
  EXPECT_FALSE(ValidateRetryPolicyOptions(o).ok());
}

// A malformed reply spends the retry budget like any other retry.
TEST(RetryPolicyTest, MalformedRetrySpendsTheBudget) {
  RetryBudgetOptions budget_options;
  budget_options.floor_per_second = 0.1;  // one retry per 10 s window
  budget_options.ratio = 0;
  RetryBudget budget(budget_options);
  RetryPolicy policy(Defaults());
  RetryPolicy::Decision first =
      policy.AfterTry(Outcome::kMalformed, 1, Seconds(10), 0.5, &budget);
  EXPECT_TRUE(first.retry);
  EXPECT_TRUE(first.budget_asked);
  RetryPolicy::Decision second =
      policy.AfterTry(Outcome::kMalformed, 1, Seconds(10), 0.5, &budget);
  EXPECT_FALSE(second.retry);
  EXPECT_EQ(second.outcome, Outcome::kBudget);
}

// max_malformed_tries never lets a lookup go past max_tries.
TEST(RetryPolicyTest, MalformedCapNeverExceedsMaxTries) {
  RetryPolicyOptions options = Defaults();
  options.max_tries = 2;
  options.max_malformed_tries = 5;
  RetryPolicy policy(options);
  EXPECT_TRUE(
      policy.AfterTry(Outcome::kMalformed, 1, Seconds(10), 0.5, nullptr).retry);
  EXPECT_FALSE(
      policy.AfterTry(Outcome::kMalformed, 2, Seconds(10), 0.5, nullptr).retry);
}

}  // namespace
}  // namespace acmeva::va::dns
