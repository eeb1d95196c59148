#include "va/dns/retry_policy.h"

#include <algorithm>
#include <numeric>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "va/dns/retry_budget.h"

namespace acmeva::va::dns {

absl::Status ValidateRetryPolicyOptions(const RetryPolicyOptions& options) {
  if (options.max_tries < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_tries must be >= 1, got ", options.max_tries));
  }
  if (options.max_malformed_tries < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_malformed_tries must be >= 1, got ", options.max_malformed_tries));
  }
  if (options.min_try_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("min_try_timeout must be positive");
  }
  if (options.per_try_timeout < options.min_try_timeout) {
    return absl::InvalidArgumentError(absl::StrCat(
        "per_try_timeout (", absl::FormatDuration(options.per_try_timeout),
        ") must be >= min_try_timeout (",
        absl::FormatDuration(options.min_try_timeout), ")"));
  }
  if (options.per_try_timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("per_try_timeout must be finite");
  }
  if (options.backoff_base < absl::ZeroDuration() ||
      options.backoff_cap < absl::ZeroDuration() ||
      options.backoff_cap == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "backoff_base and backoff_cap must be finite and >= 0");
  }
  return absl::OkStatus();
}

RetryPolicy::RetryPolicy(RetryPolicyOptions options) : options_(options) {}

bool RetryPolicy::IsRetryable(Outcome outcome) const {
  switch (outcome) {
    case Outcome::kTimeout:
    case Outcome::kNetwork:
    case Outcome::kMalformed:  // why: see RetryPolicyOptions
      return true;
    case Outcome::kServFail:
      return options_.retry_servfail;
    default:
      return false;
  }
}

absl::Duration RetryPolicy::TryTimeout(absl::Duration estimate,
                                       absl::Duration time_left) const {
  absl::Duration timeout =
      std::clamp(estimate, options_.min_try_timeout, options_.per_try_timeout);
  return std::max(absl::ZeroDuration(), std::min(timeout, time_left));
}

absl::Duration RetryPolicy::MaxBackoff(int retry) const {
  if (retry < 1) return absl::ZeroDuration();
  absl::Duration backoff = options_.backoff_base;
  // Doubling stops at the cap, so this loop runs at most ~40 times.
  for (int i = 1; i < retry && backoff < options_.backoff_cap; ++i) {
    backoff *= 2;
  }
  return std::min(backoff, options_.backoff_cap);
}

absl::Duration RetryPolicy::Backoff(int retry, double unit) const {
  unit = std::clamp(unit, 0.0, 1.0);
  return MaxBackoff(retry) * unit;
}

RetryPolicy::ResolverList RetryPolicy::ResolverOrder(int n,
                                                     absl::BitGenRef gen) {
  ResolverList order(std::max(n, 0));
  std::iota(order.begin(), order.end(), 0);
  // Fisher-Yates with absl's unbiased uniform draws.
  for (int i = n - 1; i > 0; --i) {
    std::swap(order[i], order[absl::Uniform(gen, 0, i + 1)]);
  }
  return order;
}

int RetryPolicy::ResolverForTry(absl::Span<const int> order, int try_index) {
  if (order.empty()) return -1;
  return order[static_cast<size_t>(try_index) % order.size()];
}

RetryPolicy::Decision RetryPolicy::AfterTry(Outcome outcome, int tries_made,
                                            absl::Duration time_left,
                                            double unit, RetryBudget* budget,
                                            absl::Duration try_took) const {
  Decision stop;
  stop.outcome = outcome;
  if (!IsRetryable(outcome) || tries_made >= options_.max_tries) return stop;
  if (outcome == Outcome::kMalformed &&
      tries_made >= options_.max_malformed_tries) {
    return stop;
  }
  // The deadline: there must be room for a whole minimal try after the
  // sleep; the sleep is shortened to make room rather than skipping a retry
  // that fits.
  if (!CanStartTry(time_left)) return stop;
  absl::Duration backoff = Backoff(tries_made, unit);
  if (try_took < options_.min_try_timeout) {
    backoff = std::max(backoff, options_.min_try_timeout - try_took);
  }
  backoff = std::min(backoff, time_left - options_.min_try_timeout);
  Decision retry;
  retry.budget_asked = true;
  if (budget != nullptr && !budget->TrySpendRetry()) {
    retry.outcome = Outcome::kBudget;
    return retry;
  }
  retry.retry = true;
  retry.outcome = outcome;
  retry.backoff = backoff;
  return retry;
}

}  // namespace acmeva::va::dns
