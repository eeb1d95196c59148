// Prometheus metrics for the DNS client, behind the resolver's DnsObserver
// hook. Names follow Boulder's where they mean the same (dns_query_time,
// dns_timeout), so existing dashboards and alerts carry over.
#ifndef VA_DNS_METRICS_H_
#define VA_DNS_METRICS_H_

#include "common/metrics.h"
#include "va/dns/dns_observer.h"

namespace va {

class DnsMetrics final : public dns::DnsObserver {
 public:
  explicit DnsMetrics(common::MetricsRegistry* registry);

  void OnTry(std::string_view name, dns::RRType type, std::string_view resolver,
             dns::Outcome outcome, absl::Duration rtt, bool is_tld) override;
  void OnLookupDone(const dns::LookupResult& result) override;
  void OnRetry(bool granted) override;
  void OnCoalesced() override;
  void OnInFlightChange(int delta) override;

 private:
  common::MetricFamily* query_time_;
  common::MetricFamily* timeouts_;
  common::MetricFamily* lookup_time_;
  common::MetricFamily* attempts_;
  common::MetricFamily* retries_;
  common::MetricFamily* coalesced_;
  common::MetricFamily* in_flight_;
  common::MetricFamily* authenticated_;
};

}  // namespace va

#endif  // VA_DNS_METRICS_H_
