// Answer-time estimate that decides when a lookup sends its next (hedged)
// try (RFC 6298 style): SRTT and RTTVAR over observed answer times, delay =
// SRTT + 4 * RTTVAR + margin, doubled after each expiry until the next
// answer (RFC 6298 §5.5), clamped by the retry policy. It never ends a try:
// every try stays open for the full --dns-timeout (resolver_loop.h), so a
// low estimate costs an extra query, never a lost answer.
//
// Keyed per (resolver, record type), fed with every answer's true RTT,
// including answers that arrive after the next try was sent and answers
// to lookups that already ended. Why not one estimate per resolver: the
// VA's lookups are two populations. _acme-challenge TXT names are unique
// per validation, so a recursor never has them cached (hundreds of ms:
// recursion to the authoritative servers), while CAA and A/AAAA for common
// parents are mostly cached (~1 ms). With 50 cached CAA answers a second
// (1 ms) and one uncached TXT lookup a second answered after 500 ms, a
// per-resolver estimate is back at the 100 ms floor before the next TXT
// lookup (the 500 ms sample shrinks by (7/8)^50 in srtt and (3/4)^50 in
// rttvar), and every fast answer resets the doubling, so each TXT lookup
// sends a try every ~100 ms: 5 tries before its first answer. Keyed by
// type, the TXT estimate stays past the answer (826 ms after five such
// lookups) and the lookup sends 1 try
// (RttTableTest.IssueScenarioPerTypeVersusPerResolver replays this).
// A high percentile over a per-resolver window (p99 of the last 256) fails
// both ways: at 2 % TXT share p99 is the slow population, so a lost CAA
// query waits 500 ms instead of 100 ms; at < 1 % it is the fast one again.
// Within one type (a cold TLD CAA lookup among cached ones) the estimate
// still hedges early: that costs 2-3 queries, and the first try's answer
// is used when it comes.
//
// Not thread-safe: each event loop keeps its own table.
#ifndef VA_DNS_RTT_ESTIMATOR_H_
#define VA_DNS_RTT_ESTIMATOR_H_

#include <vector>

#include "absl/time/time.h"
#include "va/dns/resolver.h"

namespace acmeva::va::dns {

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
  // A try got no answer within the suggested delay.
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

// One estimator per (resolver, record type): see the top of this file.
class RttTable {
 public:
  RttTable(int resolvers, RttEstimatorOptions options);

  RttEstimator& For(int resolver, RRType type) {
    return estimators_[static_cast<size_t>(resolver) * kTypes +
                       TypeIndex(type)];
  }

 private:
  // The record types the VA asks for: A, CNAME, TXT, AAAA, CAA.
  static constexpr size_t kTypes = 5;
  static size_t TypeIndex(RRType type);

  std::vector<RttEstimator> estimators_;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_RTT_ESTIMATOR_H_
