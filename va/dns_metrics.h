// Prometheus metrics for the DNS client, behind the resolver's DnsObserver
// hook. Names follow Boulder's where they mean the same (dns_query_time,
// dns_timeout), so existing dashboards and alerts carry over.
#ifndef VA_DNS_METRICS_H_
#define VA_DNS_METRICS_H_

#include "common/metrics.h"
#include "va/dns/dns_observer.h"

namespace acmeva::va {

class DnsMetrics final : public dns::DnsObserver {
 public:
  explicit DnsMetrics(common::MetricsRegistry* registry);

  void OnTry(std::string_view name, dns::RRType type, std::string_view resolver,
             dns::Outcome outcome, absl::Duration rtt, bool is_tld) override;
  void OnLookupDone(const dns::LookupResult& result) override;
  void OnRetry(bool granted) override;
  void OnHedgedTry() override;
  void OnLateAnswer(bool used) override;
  void OnCoalesced() override;
  void OnInFlightChange(int delta) override;

 private:
  // Every lookup records three series: kept by (type, outcome) index so the
  // hot path skips the label lookup (dns_metrics.cc numbers them).
  static constexpr size_t kTypes = 5;
  static constexpr size_t kOutcomes =
      static_cast<size_t>(dns::Outcome::kBadName) + 1;

  common::MetricFamily* query_time_;
  common::MetricFamily* timeouts_;
  common::SeriesCache<kTypes * kOutcomes> lookup_time_;
  common::SeriesCache<kTypes> attempts_;
  common::SeriesCache<kTypes * 2> authenticated_;
  common::MetricFamily::Series* retries_granted_;
  common::MetricFamily::Series* retries_denied_;
  common::MetricFamily* retries_;
  common::MetricFamily* hedged_;
  common::MetricFamily::Series* hedged_series_;
  common::MetricFamily* late_answers_;
  common::MetricFamily::Series* late_used_;
  common::MetricFamily::Series* late_unused_;
  common::MetricFamily* coalesced_;
  common::MetricFamily::Series* coalesced_series_;
  common::MetricFamily* extended_errors_;
  common::MetricFamily* in_flight_;
  common::MetricFamily::Series* in_flight_series_;
};

}  // namespace acmeva::va

#endif  // VA_DNS_METRICS_H_
