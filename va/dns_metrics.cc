#include "va/dns_metrics.h"

#include <string>

namespace acmeva::va {
namespace {

// 0..4 for the record types the VA asks for (DnsMetrics::kTypes).
size_t TypeIndex(dns::RRType type) {
  switch (type) {
    case dns::RRType::kA:
      return 0;
    case dns::RRType::kCNAME:
      return 1;
    case dns::RRType::kTXT:
      return 2;
    case dns::RRType::kAAAA:
      return 3;
    case dns::RRType::kCAA:
    default:  // the VA asks for no other type
      return 4;
  }
}

}  // namespace

DnsMetrics::DnsMetrics(common::MetricsRegistry* registry)
    : query_time_(registry->Histogram(
          "dns_query_time", "Time of one DNS try in seconds",
          {"qtype", "result", "resolver"},
          common::MetricsRegistry::LatencyBuckets())),
      timeouts_(registry->Counter("dns_timeout", "DNS tries that timed out",
                                  {"qtype", "resolver", "isTLD"})),
      lookup_time_(registry->Histogram(
          "dns_total_lookup_time",
          "Time of a whole lookup (all tries) in seconds", {"qtype", "result"},
          common::MetricsRegistry::LatencyBuckets())),
      attempts_(registry->Histogram("dns_lookup_attempts",
                                    "Tries made per lookup", {"qtype"},
                                    {1, 2, 3, 4, 5, 8})),
      authenticated_(registry->Counter(
          "dns_answers_total",
          "Lookups answered, by whether the resolver set the AD (DNSSEC "
          "authenticated) bit",
          {"qtype", "authenticated"})),
      retries_(registry->Counter("dns_retries_total",
                                 "Retries wanted, by budget decision",
                                 {"decision"})),
      hedged_(registry->Counter(
          "dns_hedged_tries_total",
          "Tries sent while an earlier try of the same lookup was still open "
          "(its answer-time estimate had passed)")),
      late_answers_(registry->Counter(
          "dns_late_answers_total",
          "Answers that came after the next try was due or after their "
          "lookup ended, by whether the lookup used them",
          {"used"})),
      coalesced_(registry->Counter(
          "dns_coalesced_lookups_total",
          "Lookups that joined an identical lookup already in flight")),
      extended_errors_(registry->Counter(
          "dns_extended_errors_total",
          "Lookups whose deciding answer carried an RFC 8914 Extended DNS "
          "Error, by INFO-CODE (6 = DNSSEC Bogus, ...; codes above 49 are "
          "counted as \"other\")",
          {"qtype", "code"})),
      in_flight_(registry->Gauge("dns_queries_in_flight",
                                 "Distinct DNS lookups in flight")) {
  retries_granted_ = retries_->Get({"granted"});
  retries_denied_ = retries_->Get({"denied"});
  coalesced_series_ = coalesced_->Get({});
  hedged_series_ = hedged_->Get({});
  late_used_ = late_answers_->Get({"true"});
  late_unused_ = late_answers_->Get({"false"});
  in_flight_series_ = in_flight_->Get({});
}

void DnsMetrics::OnTry(std::string_view, dns::RRType type,
                       std::string_view resolver, dns::Outcome outcome,
                       absl::Duration rtt, bool is_tld) {
  // Boulder labels resolvers by IP only; host:port here, since loopback
  // test stacks run several resolvers on one IP.
  const std::string_view qtype = dnswire::RRTypeName(type);
  query_time_->Observe({qtype, dns::OutcomeName(outcome), resolver},
                       absl::ToDoubleSeconds(rtt));
  if (outcome == dns::Outcome::kTimeout) {
    timeouts_->Add({qtype, resolver, is_tld ? "true" : "false"}, 1);
  }
}

void DnsMetrics::OnLookupDone(const dns::LookupResult& result) {
  const std::string_view qtype = dnswire::RRTypeName(result.type);
  const size_t type = TypeIndex(result.type);
  const size_t outcome = static_cast<size_t>(result.outcome);
  lookup_time_.family()->Observe(
      lookup_time_.At(type * kOutcomes + outcome,
                      {qtype, dns::OutcomeName(result.outcome)}),
      absl::ToDoubleSeconds(result.elapsed));
  attempts_.family()->Observe(attempts_.At(type, {qtype}), result.attempts);
  if (result.outcome == dns::Outcome::kNoError ||
      result.outcome == dns::Outcome::kNxDomain) {
    const bool ad = result.authenticated_data;
    authenticated_.family()->Add(
        authenticated_.At(type * 2 + (ad ? 1 : 0),
                          {qtype, ad ? "true" : "false"}),
        1);
  }
  if (result.ede.present()) {
    // Bounded label values: the IANA registry uses 0..29 today.
    const std::string code = result.ede.code < 50
                                 ? std::to_string(result.ede.code)
                                 : std::string("other");
    extended_errors_->Add({qtype, code}, 1);
  }
}

void DnsMetrics::OnRetry(bool granted) {
  retries_->Add(granted ? retries_granted_ : retries_denied_, 1);
}

void DnsMetrics::OnHedgedTry() { hedged_->Add(hedged_series_, 1); }

void DnsMetrics::OnLateAnswer(bool used) {
  late_answers_->Add(used ? late_used_ : late_unused_, 1);
}

void DnsMetrics::OnCoalesced() { coalesced_->Add(coalesced_series_, 1); }

void DnsMetrics::OnInFlightChange(int delta) {
  in_flight_->Add(in_flight_series_, delta);
}

}  // namespace acmeva::va
