#include "va/dns_metrics.h"

#include <string>

namespace va {
DnsMetrics::DnsMetrics(common::MetricsRegistry* registry) {
  query_time_ =
      registry->Histogram("dns_query_time", "Time of one DNS try in seconds",
                          {"qtype", "result", "resolver"},
                          common::MetricsRegistry::LatencyBuckets());
  timeouts_ = registry->Counter("dns_timeout", "DNS tries that timed out",
                                {"qtype", "resolver", "isTLD"});
  lookup_time_ = registry->Histogram(
      "dns_total_lookup_time", "Time of a whole lookup (all tries) in seconds",
      {"qtype", "result"}, common::MetricsRegistry::LatencyBuckets());
  attempts_ =
      registry->Histogram("dns_lookup_attempts", "Tries made per lookup",
                          {"qtype"}, {1, 2, 3, 4, 5, 8});
  retries_ = registry->Counter(
      "dns_retries_total", "Retries wanted, by budget decision", {"decision"});
  coalesced_ = registry->Counter(
      "dns_coalesced_lookups_total",
      "Lookups that joined an identical lookup already in flight");
  in_flight_ = registry->Gauge("dns_queries_in_flight",
                               "Distinct DNS lookups in flight");
  authenticated_ = registry->Counter(
      "dns_answers_total",
      "Lookups answered, by whether the resolver set the AD (DNSSEC "
      "authenticated) bit",
      {"qtype", "authenticated"});
}

void DnsMetrics::OnTry(std::string_view, dns::RRType type,
                       std::string_view resolver, dns::Outcome outcome,
                       absl::Duration rtt, bool is_tld) {
  // Boulder labels resolvers by IP only; host:port here, since loopback
  // test stacks run several resolvers on one IP.
  const std::string_view qtype = dns::RRTypeName(type);
  query_time_->Observe({qtype, dns::OutcomeName(outcome), resolver},
                       absl::ToDoubleSeconds(rtt));
  if (outcome == dns::Outcome::kTimeout) {
    timeouts_->Add({qtype, resolver, is_tld ? "true" : "false"}, 1);
  }
}

void DnsMetrics::OnLookupDone(const dns::LookupResult& result) {
  const std::string_view qtype = dns::RRTypeName(result.type);
  lookup_time_->Observe({qtype, dns::OutcomeName(result.outcome)},
                        absl::ToDoubleSeconds(result.elapsed));
  attempts_->Observe({qtype}, result.attempts);
  if (result.outcome == dns::Outcome::kNoError ||
      result.outcome == dns::Outcome::kNxDomain) {
    authenticated_->Add({qtype, result.authenticated_data ? "true" : "false"},
                        1);
  }
}

void DnsMetrics::OnRetry(bool granted) {
  retries_->Add({granted ? "granted" : "denied"}, 1);
}

void DnsMetrics::OnCoalesced() { coalesced_->Add({}, 1); }

void DnsMetrics::OnInFlightChange(int delta) { in_flight_->Add({}, delta); }

}  // namespace va
