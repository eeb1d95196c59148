#include "va/dns/retry_budget.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace acmeva::va::dns {

absl::Status ValidateRetryBudgetOptions(const RetryBudgetOptions& options) {
  if (!(options.ratio >= 0) || !std::isfinite(options.ratio)) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry budget ratio must be >= 0, got ", options.ratio));
  }
  if (!(options.floor_per_second >= 0) ||
      !std::isfinite(options.floor_per_second)) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry budget floor_per_second must be >= 0, got ",
                     options.floor_per_second));
  }
  if (options.window <= absl::ZeroDuration() ||
      options.window == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry budget window must be positive and finite, got ",
                     absl::FormatDuration(options.window)));
  }
  return absl::OkStatus();
}

RetryBudget::RetryBudget(RetryBudgetOptions options, absl::Time now)
    : options_(options),
      epoch_(now),
      // Invalid options are rejected before a budget is made; these guards
      // only keep the arithmetic finite.
      slice_(options.window > absl::ZeroDuration() &&
                     options.window != absl::InfiniteDuration()
                 ? options.window / kSlices
                 : absl::Seconds(1)),
      reserve_(options.floor_per_second *
               absl::ToDoubleSeconds(slice_ * kSlices)) {}

void RetryBudget::AdvanceLocked(absl::Time now) {
  if (now <= epoch_) return;
  absl::Duration rem;  // absl writes the remainder; it must not be null
  const int64_t index = absl::IDivDuration(now - epoch_, slice_, &rem);
  if (index <= current_) return;  // same slice (or the clock went back)
  current_ = index;
  deposits_ = 0;
  withdrawals_ = 0;
  for (Slice& slice : slices_) {
    if (slice.index <= index - kSlices) {
      slice = Slice{};  // expired
      continue;
    }
    deposits_ += slice.deposits;
    withdrawals_ += slice.withdrawals;
  }
}

RetryBudget::Slice& RetryBudget::CurrentSliceLocked() {
  Slice& slice = slices_[current_ % kSlices];
  if (slice.index != current_) slice = Slice{current_, 0, 0};  // reused
  return slice;
}

double RetryBudget::AvailableLocked() const {
  return deposits_ - withdrawals_ + reserve_;
}

void RetryBudget::OnFirstTry(absl::Time now) {
  if (!options_.enabled) return;
  absl::MutexLock lock(&mu_);
  AdvanceLocked(now);
  CurrentSliceLocked().deposits += options_.ratio;
  deposits_ += options_.ratio;
}

bool RetryBudget::TrySpendRetry(absl::Time now) {
  if (!options_.enabled) return true;
  absl::MutexLock lock(&mu_);
  AdvanceLocked(now);
  if (AvailableLocked() < 1) return false;
  CurrentSliceLocked().withdrawals += 1;
  withdrawals_ += 1;
  return true;
}

double RetryBudget::Available(absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdvanceLocked(now);
  return AvailableLocked();
}

}  // namespace acmeva::va::dns
