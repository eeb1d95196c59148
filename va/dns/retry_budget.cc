#include "va/dns/retry_budget.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace va::dns {

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
  if (!(options.max_tokens >= 0) || !std::isfinite(options.max_tokens)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retry budget max_tokens must be >= 0, got ", options.max_tokens));
  }
  return absl::OkStatus();
}

RetryBudget::RetryBudget(RetryBudgetOptions options, absl::Time now)
    : options_(options), tokens_(options.max_tokens), last_refill_(now) {}

void RetryBudget::RefillLocked(absl::Time now) {
  if (now > last_refill_) {
    tokens_ +=
        options_.floor_per_second * absl::ToDoubleSeconds(now - last_refill_);
    tokens_ = std::min(tokens_, options_.max_tokens);
    last_refill_ = now;
  }
}

void RetryBudget::OnFirstTry(absl::Time now) {
  if (!options_.enabled) return;
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  tokens_ = std::min(tokens_ + options_.ratio, options_.max_tokens);
}

bool RetryBudget::TrySpendRetry(absl::Time now) {
  if (!options_.enabled) return true;
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

double RetryBudget::Tokens(absl::Time now) {
  absl::MutexLock lock(&mu_);
  RefillLocked(now);
  return tokens_;
}

}  // namespace va::dns
