// A VA-wide retry budget, shared by every event loop: retries are what turns
// a struggling resolver or zone into an overloaded one, so they are limited
// to a share of real traffic. First tries are never limited.
//
// It is a windowed budget, like Finagle's RetryBudget: every first try
// deposits `ratio` retries that expire `window` later, every retry
// withdraws one that also expires `window` later, and a steady reserve of
// `floor_per_second` x `window` retries is always there. So within any
// window, retries <= ratio x first tries + floor x window.
//
// Why not a token bucket with a small cap (the earlier design): a burst of
// N first tries deposits ratio x N at once, but their retries come one try
// timeout later; a cap of 100 had thrown most of those deposits away by
// then, so under loss a busy VA could retry far less than `ratio` allowed.
// Deposits here stay valid for the whole window, whatever the burst size.
//
// Defaults (ratio 1.0, floor 20/s, window 10 s), from the VA's targets:
// - Loss: with one query in three lost, a lookup needs 1/(1-1/3) = 1.5
//   tries on average, i.e. 0.5 retries per first try. Ratio 1.0 carries
//   that with room to spare (up to 50% loss before the budget binds), and
//   bounds the VA's query load to twice the loss-free load.
// - Outage: when everything times out the budget binds: about one retry per
//   first try, then every lookup ends with the transient kBudget. Queries
//   stay <= 2 x first tries + floor x window, whatever --dns-tries is (so
//   within 3 x the distinct lookups even at --dns-tries=3).
// - The floor is for a quiet VA, where ratio x first tries is tiny: a
//   reserve of 200 retries per window lets ~40 lookups in flight each use 5
//   retries to ride out a resolver restart (ICMP-refused tries fail at
//   once, so a lookup burns ~4 retries in the ~300 ms a restart takes). At
//   thousands of lookups a second the ratio term dwarfs it.
#ifndef VA_DNS_RETRY_BUDGET_H_
#define VA_DNS_RETRY_BUDGET_H_

#include <array>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace acmeva::va::dns {

struct RetryBudgetOptions {
  bool enabled = true;
  // Retries each first try pays for (within the window).
  double ratio = 1.0;
  // Retries per second always allowed, whatever the traffic: a reserve of
  // floor_per_second x window retries per window.
  double floor_per_second = 20;
  // How long a deposit (and a withdrawal) counts.
  absl::Duration window = absl::Seconds(10);
};

absl::Status ValidateRetryBudgetOptions(const RetryBudgetOptions& options);

class RetryBudget {
 public:
  explicit RetryBudget(RetryBudgetOptions options,
                       absl::Time now = absl::Now());

  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  // A lookup sent its first try: deposit `ratio` retries.
  void OnFirstTry(absl::Time now = absl::Now());

  // A lookup wants to retry: withdraws one retry and returns true, or
  // returns false when the window has none left. Always true when the
  // budget is disabled.
  bool TrySpendRetry(absl::Time now = absl::Now());

  // Retries that could be spent at `now` (may be fractional), for tests
  // and metrics.
  double Available(absl::Time now = absl::Now());

 private:
  // The window is kept as kSlices slices of window/kSlices each, so a
  // deposit expires between window - window/kSlices and window after it
  // was made.
  static constexpr int kSlices = 20;
  struct Slice {
    int64_t index = 0;  // which slice of time this is; stale when old
    double deposits = 0;
    double withdrawals = 0;
  };

  void AdvanceLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double AvailableLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The slice for current_ (after AdvanceLocked), cleared if it last held
  // an older slice's counts.
  Slice& CurrentSliceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RetryBudgetOptions options_;
  const absl::Time epoch_;
  const absl::Duration slice_;
  const double reserve_;
  absl::Mutex mu_;
  std::array<Slice, kSlices> slices_ ABSL_GUARDED_BY(mu_);
  int64_t current_ ABSL_GUARDED_BY(mu_) = 0;  // the newest slice index
  // Sums over the live slices, kept so a call is O(1) when time has not
  // moved to a new slice.
  double deposits_ ABSL_GUARDED_BY(mu_) = 0;
  double withdrawals_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_RETRY_BUDGET_H_
