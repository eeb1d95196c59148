// A VA-wide retry budget: a thread-safe token bucket shared by every event
// loop. Retries are what turns a struggling resolver or zone into an
// overloaded one, so they are limited to a fraction of real traffic plus a
// small steady floor; first tries are never limited.
#ifndef VA_DNS_RETRY_BUDGET_H_
#define VA_DNS_RETRY_BUDGET_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace va::dns {

struct RetryBudgetOptions {
  bool enabled = true;
  // Tokens deposited by each first try: retries may add this fraction of the
  // query load.
  double ratio = 0.2;
  // Tokens added per second regardless of traffic, so a quiet VA can still
  // retry the odd lost packet.
  double floor_per_second = 10;
  // The bucket's capacity and initial balance.
  double max_tokens = 100;
};

absl::Status ValidateRetryBudgetOptions(const RetryBudgetOptions& options);

class RetryBudget {
 public:
  explicit RetryBudget(RetryBudgetOptions options,
                       absl::Time now = absl::Now());

  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  // A lookup sent its first try: deposit `ratio` tokens.
  void OnFirstTry(absl::Time now = absl::Now());

  // A lookup wants to retry: spends one token and returns true, or returns
  // false when none is left. Always true when the budget is disabled.
  bool TrySpendRetry(absl::Time now = absl::Now());

  // The balance at `now` (after refilling), for tests and metrics.
  double Tokens(absl::Time now = absl::Now());

 private:
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RetryBudgetOptions options_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_refill_ ABSL_GUARDED_BY(mu_);
};

}  // namespace va::dns

#endif  // VA_DNS_RETRY_BUDGET_H_
