#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "va/dns/retry_budget.h"

namespace acmeva::va::dns {
namespace {

using absl::Milliseconds;
using absl::Seconds;

const absl::Time kStart = absl::FromUnixSeconds(1000000);

RetryBudgetOptions Options(double ratio, double floor,
                           absl::Duration window = Seconds(10)) {
  RetryBudgetOptions o;
  o.ratio = ratio;
  o.floor_per_second = floor;
  o.window = window;
  return o;
}

int SpendAll(RetryBudget& budget, absl::Time now, int at_most = 1000000) {
  int spent = 0;
  while (spent < at_most && budget.TrySpendRetry(now)) ++spent;
  return spent;
}

TEST(RetryBudgetTest, DefaultsAreTheDocumentedOnes) {
  RetryBudgetOptions o;
  EXPECT_TRUE(o.enabled);
  EXPECT_DOUBLE_EQ(o.ratio, 1.0);
  EXPECT_DOUBLE_EQ(o.floor_per_second, 20);
  EXPECT_EQ(o.window, Seconds(10));
  EXPECT_TRUE(ValidateRetryBudgetOptions(o).ok());
}

TEST(RetryBudgetTest, FloorAloneIsFloorTimesWindow) {
  RetryBudget budget(Options(0, 10), kStart);
  EXPECT_DOUBLE_EQ(budget.Available(kStart), 100);
  EXPECT_EQ(SpendAll(budget, kStart), 100);
  EXPECT_FALSE(budget.TrySpendRetry(kStart + Seconds(5)))
      << "withdrawals count for the whole window";
}

TEST(RetryBudgetTest, FirstTriesDepositRatio) {
  RetryBudget budget(Options(0.2, 0), kStart);
  EXPECT_FALSE(budget.TrySpendRetry(kStart)) << "nothing deposited yet";
  for (int i = 0; i < 4; ++i) budget.OnFirstTry(kStart);
  EXPECT_FALSE(budget.TrySpendRetry(kStart)) << "0.8 is not enough";
  budget.OnFirstTry(kStart);
  EXPECT_TRUE(budget.TrySpendRetry(kStart)) << "5 first tries buy 1 retry";
  EXPECT_FALSE(budget.TrySpendRetry(kStart));
}

// The case the old token bucket (capacity 100) got wrong: a burst's retries
// come a try timeout after its first tries, and must find the deposits.
TEST(RetryBudgetTest, ABurstKeepsItsDepositsUntilItsRetriesComeDue) {
  RetryBudget budget(Options(0.5, 0), kStart);
  for (int i = 0; i < 10000; ++i) budget.OnFirstTry(kStart);
  EXPECT_EQ(SpendAll(budget, kStart + Seconds(1)), 5000);
}

TEST(RetryBudgetTest, DepositsExpireAfterTheWindow) {
  RetryBudget budget(Options(1, 0), kStart);
  for (int i = 0; i < 10; ++i) budget.OnFirstTry(kStart);
  EXPECT_DOUBLE_EQ(budget.Available(kStart + Seconds(9)), 10);
  EXPECT_DOUBLE_EQ(budget.Available(kStart + Seconds(10)), 0);
  EXPECT_FALSE(budget.TrySpendRetry(kStart + Seconds(11)));
}

TEST(RetryBudgetTest, WithdrawalsExpireToo) {
  RetryBudget budget(Options(0, 1), kStart);  // a reserve of 10
  EXPECT_EQ(SpendAll(budget, kStart), 10);
  EXPECT_FALSE(budget.TrySpendRetry(kStart + Seconds(5)));
  EXPECT_FALSE(budget.TrySpendRetry(kStart + Milliseconds(9400)));
  EXPECT_EQ(SpendAll(budget, kStart + Seconds(10)), 10);
}

TEST(RetryBudgetTest, ClockGoingBackIsHarmless) {
  RetryBudget budget(Options(1, 0), kStart + Seconds(30));
  budget.OnFirstTry(kStart + Seconds(35));
  budget.OnFirstTry(kStart + Seconds(31));  // older than the newest slice
  budget.OnFirstTry(kStart);                // before the budget existed
  EXPECT_DOUBLE_EQ(budget.Available(kStart + Seconds(35)), 3);
  EXPECT_EQ(SpendAll(budget, kStart + Seconds(36)), 3);
}

struct SteadyLoadCase {
  double ratio;
  double floor;
  double loss;  // share of tries that fail and want a retry
};

// A steady load where every failed try wants a retry, as long as the budget
// lets it: in every window, retries stay within ratio x first tries plus
// the floor's reserve, and the budget does not starve retries it could pay.
// (Deposits and withdrawals expire in slices of window/20, so the bound is
// checked as: retries in the last 9.5 s <= ratio x first tries in the last
// 10 s + reserve.)
TEST(RetryBudgetTest, RetriesStayWithinRatioOfFirstTriesInEveryWindow) {
  const SteadyLoadCase cases[] = {
      {0.2, 0, 1.0},  {0.5, 0, 1.0},     {1.0, 0, 1.0},
      {1.0, 10, 1.0}, {1.0, 0, 1.0 / 3}, {0.2, 10, 0.5},
  };
  for (const SteadyLoadCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "ratio " << c.ratio << " floor "
                                      << c.floor << " loss " << c.loss);
    RetryBudget budget(Options(c.ratio, c.floor), kStart);
    // Per 100 ms step: 50 first tries; failures of the previous step retry.
    const absl::Duration step = Milliseconds(100);
    std::deque<std::pair<int, int>> history;  // (first tries, retries)
    double carry = 0;
    int wanting = 0;
    int64_t total_first = 0, total_retries = 0, total_wanted = 0;
    for (int i = 0; i < 600; ++i) {
      const absl::Time now = kStart + step * i;
      int first = 50, retries = 0;
      for (int k = 0; k < first; ++k) budget.OnFirstTry(now);
      for (int k = 0; k < wanting; ++k) {
        if (budget.TrySpendRetry(now)) ++retries;
      }
      total_wanted += wanting;
      carry += (first + retries) * c.loss;
      wanting = static_cast<int>(carry);
      carry -= wanting;
      total_first += first;
      total_retries += retries;
      history.emplace_back(first, retries);
      // The window is 10 s = 100 steps.
      if (history.size() > 100) history.pop_front();
      int window_first = 0, window_retries = 0;
      for (size_t h = 0; h < history.size(); ++h) {
        window_first += history[h].first;
        if (h + 95 >= history.size()) window_retries += history[h].second;
      }
      ASSERT_LE(window_retries, c.ratio * window_first + c.floor * 10 + 1e-9)
          << "at step " << i;
    }
    // What the budget granted: everything wanted when the loss needs less
    // than the ratio, else close to the ratio of first tries.
    const double needed = c.loss / (1 - std::min(c.loss, 0.999));
    if (needed < c.ratio * 0.9) {
      EXPECT_EQ(total_retries, total_wanted);
    } else {
      EXPECT_GE(total_retries, 0.9 * c.ratio * total_first);
    }
  }
}

TEST(RetryBudgetTest, DisabledAlwaysGrants) {
  RetryBudgetOptions o = Options(0, 0);
  o.enabled = false;
  RetryBudget budget(o, kStart);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(budget.TrySpendRetry(kStart));
}

TEST(RetryBudgetTest, ConcurrentSpendersNeverOverspend) {
  RetryBudget budget(Options(0, 50), kStart);  // a reserve of 500
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        if (budget.TrySpendRetry(kStart + Milliseconds(i))) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 500);
}

TEST(RetryBudgetTest, ValidateRejectsNonsense) {
  EXPECT_TRUE(ValidateRetryBudgetOptions(Options(0.2, 10)).ok());
  EXPECT_TRUE(ValidateRetryBudgetOptions(Options(0, 0)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(-1, 10)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(0.2, -1)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(NAN, 10)).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions(Options(0.2, INFINITY)).ok());
  EXPECT_FALSE(
      ValidateRetryBudgetOptions(Options(0.2, 10, absl::ZeroDuration())).ok());
  EXPECT_FALSE(
      ValidateRetryBudgetOptions(Options(0.2, 10, absl::InfiniteDuration()))
          .ok());
}

}  // namespace
}  // namespace acmeva::va::dns
