#include "va/dns/rtt_estimator.h"

#include <algorithm>

namespace acmeva::va::dns {

RttEstimator::RttEstimator(RttEstimatorOptions options) : options_(options) {}

void RttEstimator::OnAnswer(absl::Duration rtt) {
  rtt = std::max(rtt, absl::ZeroDuration());
  if (!has_samples_) {
    // RFC 6298 §2.2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_samples_ = true;
  } else {
    // RFC 6298 §2.3 with alpha = 1/8, beta = 1/4.
    absl::Duration error = absl::AbsDuration(srtt_ - rtt);
    rttvar_ = (rttvar_ * 3 + error) / 4;
    srtt_ = (srtt_ * 7 + rtt) / 8;
  }
  backoff_factor_ = 1;
}

void RttEstimator::OnTimeout() {
  backoff_factor_ = std::min(backoff_factor_ * 2, kMaxBackoffFactor);
}

absl::Duration RttEstimator::Timeout(absl::Duration min,
                                     absl::Duration max) const {
  if (!options_.enabled || !has_samples_) return max;
  absl::Duration timeout =
      (srtt_ + 4 * rttvar_ + options_.margin) * backoff_factor_;
  return std::clamp(timeout, min, max);
}

RttTable::RttTable(int resolvers, RttEstimatorOptions options)
    : estimators_(static_cast<size_t>(resolvers) * kTypes,
                  RttEstimator(options)) {}

size_t RttTable::TypeIndex(RRType type) {
  switch (type) {
    case RRType::kA:
      return 0;
    case RRType::kCNAME:
      return 1;
    case RRType::kTXT:
      return 2;
    case RRType::kAAAA:
      return 3;
    case RRType::kCAA:
    default:  // the VA asks for no other type
      return 4;
  }
}

}  // namespace acmeva::va::dns
