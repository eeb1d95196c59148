// Latency percentiles (nearest-rank) over every completed validation: the
// benchmark keeps all samples, so p99 and max are exact, not bucketed.
#ifndef BENCH_LIB_LATENCY_STATS_H_
#define BENCH_LIB_LATENCY_STATS_H_

#include <cstdint>
#include <vector>

namespace acmeva::bench {

struct LatencySummary {
  int64_t count = 0;
  double mean_us = 0;
  int64_t p50_us = 0;
  int64_t p90_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;
};

// Nearest-rank percentile (the smallest sample with at least p% of samples
// at or below it) of an ascending vector. 0 for an empty vector.
int64_t PercentileOfSorted(const std::vector<int64_t>& sorted, double p);

// Sorts `samples_us` in place.
LatencySummary Summarize(std::vector<int64_t>& samples_us);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_LATENCY_STATS_H_
