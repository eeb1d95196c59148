// A run's figures and their two renderings: a human summary and one JSON
// object that bench/run.sh turns into the results table.
#ifndef BENCH_LIB_REPORT_H_
#define BENCH_LIB_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bench/lib/latency_stats.h"
#include "bench/lib/proc_stats.h"

namespace acmeva::bench {

// Counters scraped from the VA's /metrics, as deltas over the run.
struct VaDnsCounters {
  double queries = 0;    // DNS tries sent (dns_query_time_count)
  double lookups = 0;    // lookups finished (dns_total_lookup_time_count)
  double timeouts = 0;   // tries that timed out (dns_timeout)
  double coalesced = 0;  // lookups that joined one in flight
  double retries_granted = 0;
  double retries_denied = 0;
};

struct RunReport {
  std::string label;
  std::string mode;
  int64_t requested = 0;
  int concurrency = 0;
  double rate_limit = 0;  // validations/s; 0 = as fast as possible
  double elapsed_seconds = 0;
  int64_t completed = 0;  // validations answered (valid or not)
  int64_t valid = 0;
  int64_t rpcs = 0;  // a "both" validation is two RPCs
  int64_t max_in_flight = 0;
  bool stopped_early = false;  // --max-duration hit before --n
  LatencySummary latency;      // per validation (DCV + CAA in "both")
  LatencySummary dcv_latency;  // per RPC
  LatencySummary caa_latency;
  std::map<std::string, int64_t> outcomes;
  std::optional<ProcSample> va_before;
  std::optional<ProcSample> va_after;
  std::optional<VaDnsCounters> dns;
  // vabench's own CPU over the run: it shares the machine with the VA.
  double client_cpu_seconds = 0;
};

// Derived figures, nullopt when their inputs were not measured.
double ValidationsPerSecond(const RunReport& r);
std::optional<double> VaCpuSeconds(const RunReport& r);
std::optional<double> CpuMicrosPerValidation(const RunReport& r);
std::optional<double> CpuMicrosPerDnsQuery(const RunReport& r);
std::optional<double> DnsQueriesPerSecond(const RunReport& r);

std::string FormatText(const RunReport& r);
std::string FormatJson(const RunReport& r);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_REPORT_H_
