// Per-resolver answer-time estimate for adaptive try timeouts (RFC 6298
// style): SRTT and RTTVAR over observed answer times, timeout = SRTT +
// 4 * RTTVAR + margin, doubled after each timeout until the next answer
// (RFC 6298 §5.5), clamped by the retry policy. A resolver that usually
// answers in 5 ms is then abandoned after ~100 ms instead of a full second,
// while one that is slow but working keeps a long enough timeout.
// Not thread-safe: each event loop keeps its own estimator per resolver.
#ifndef VA_DNS_RTT_ESTIMATOR_H_
#define VA_DNS_RTT_ESTIMATOR_H_

#include "absl/time/time.h"

namespace va::dns {

struct RttEstimatorOptions {
  // Off: every try uses the policy's per_try_timeout.
  bool enabled = true;
  // Added to SRTT + 4 * RTTVAR to absorb scheduling jitter (RFC 6298's
  // clock granularity G).
  absl::Duration margin = absl::Milliseconds(10);
};

class RttEstimator {
 public:
  explicit RttEstimator(RttEstimatorOptions options = {});

  // An answer (any rcode) arrived `rtt` after the query was sent.
  void OnAnswer(absl::Duration rtt);
  // A try got no answer within its timeout.
  void OnTimeout();

  // The suggested timeout, clamped to [min, max]; `max` before any sample or
  // when disabled.
  absl::Duration Timeout(absl::Duration min, absl::Duration max) const;

  bool has_samples() const { return has_samples_; }
  absl::Duration srtt() const { return srtt_; }
  absl::Duration rttvar() const { return rttvar_; }
  int backoff_factor() const { return backoff_factor_; }

 private:
  static constexpr int kMaxBackoffFactor = 64;

  RttEstimatorOptions options_;
  bool has_samples_ = false;
  absl::Duration srtt_;
  absl::Duration rttvar_;
  int backoff_factor_ = 1;
};

}  // namespace va::dns

#endif  // VA_DNS_RTT_ESTIMATOR_H_
