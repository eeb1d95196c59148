#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "va/dns/retry_budget.h"

namespace va::dns {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000000);

RetryBudgetOptions Options(double ratio, double floor, double max) {
  RetryBudgetOptions o;
  o.ratio = ratio;
  o.floor_per_second = floor;
  o.max_tokens = max;
  return o;
}

TEST(RetryBudgetTest, StartsFullAndDeniesWhenSpent) {
  RetryBudget budget(Options(0, 0, 3), kStart);
  EXPECT_TRUE(budget.TrySpendRetry(kStart));
  EXPECT_TRUE(budget.TrySpendRetry(kStart));
  EXPECT_TRUE(budget.TrySpendRetry(kStart));
  EXPECT_FALSE(budget.TrySpendRetry(kStart));
  EXPECT_DOUBLE_EQ(budget.Tokens(kStart), 0);
}

TEST(RetryBudgetTest, FirstTriesDepositRatio) {
  RetryBudget budget(Options(0.2, 0, 10), kStart);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(budget.TrySpendRetry(kStart));
  ASSERT_FALSE(budget.TrySpendRetry(kStart));
  for (int i = 0; i < 4; ++i) budget.OnFirstTry(kStart);
  EXPECT_FALSE(budget.TrySpendRetry(kStart)) << "0.8 tokens are not enough";
  budget.OnFirstTry(kStart);
  EXPECT_TRUE(budget.TrySpendRetry(kStart)) << "5 first tries buy 1 retry";
  EXPECT_FALSE(budget.TrySpendRetry(kStart));
}

TEST(RetryBudgetTest, FloorRefillsOverTimeUpToTheCap) {
  RetryBudget budget(Options(0, 10, 5), kStart);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(budget.TrySpendRetry(kStart));
  ASSERT_FALSE(budget.TrySpendRetry(kStart));
  absl::Time t = kStart + absl::Milliseconds(50);
  EXPECT_FALSE(budget.TrySpendRetry(t)) << "half a token after 50ms";
  t = kStart + absl::Milliseconds(100);
  EXPECT_TRUE(budget.TrySpendRetry(t)) << "one token after 100ms";
  EXPECT_FALSE(budget.TrySpendRetry(t));
  t += absl::Seconds(60);
  EXPECT_DOUBLE_EQ(budget.Tokens(t), 5) << "capped";
}

TEST(RetryBudgetTest, DepositsAreCapped) {
  RetryBudget budget(Options(1, 0, 2), kStart);
  for (int i = 0; i < 100; ++i) budget.OnFirstTry(kStart);
  EXPECT_DOUBLE_EQ(budget.Tokens(kStart), 2);
}

TEST(RetryBudgetTest, DisabledAlwaysGrants) {
  RetryBudgetOptions o = Options(0, 0, 0);
  o.enabled = false;
  RetryBudget budget(o, kStart);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(budget.TrySpendRetry(kStart));
}

TEST(RetryBudgetTest, ConcurrentSpendersNeverOverspend) {
  RetryBudget budget(Options(0, 0, 500), kStart);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        if (budget.TrySpendRetry(kStart)) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 500);
}

TEST(RetryBudgetTest, ValidateRejectsNegatives) {
  EXPECT_TRUE(ValidateRetryBudgetOptions(Options(0.2, 10, 100)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(-1, 10, 100)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(0.2, -1, 100)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(0.2, 10, -1)).ok());
}

}  // namespace
}  // namespace va::dns
