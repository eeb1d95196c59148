// Reads sample values out of a Prometheus text exposition (the VA's
// /metrics), so a run can count the DNS queries the VA sent.
#ifndef BENCH_LIB_PROMETHEUS_TEXT_H_
#define BENCH_LIB_PROMETHEUS_TEXT_H_

#include "absl/strings/string_view.h"

namespace acmeva::bench {

// Sum over every series of `metric` (exact sample name, e.g.
// "dns_query_time_count"), whatever its labels. 0 when absent.
double SumSamples(absl::string_view text, absl::string_view metric);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_PROMETHEUS_TEXT_H_
