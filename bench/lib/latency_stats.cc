#include "bench/lib/latency_stats.h"

#include <algorithm>
#include <cmath>

namespace acmeva::bench {

int64_t PercentileOfSorted(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Rank in 1..n; a tiny epsilon keeps 90% of 10 at rank 9, not 10, despite
  // floating-point error in p/100*n.
  const double exact = p / 100.0 * static_cast<double>(sorted.size());
  int64_t rank = static_cast<int64_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[static_cast<size_t>(rank - 1)];
}

LatencySummary Summarize(std::vector<int64_t>& samples_us) {
  LatencySummary s;
  std::sort(samples_us.begin(), samples_us.end());
  s.count = static_cast<int64_t>(samples_us.size());
  if (samples_us.empty()) return s;
  double total = 0;
  for (int64_t v : samples_us) total += static_cast<double>(v);
  s.mean_us = total / static_cast<double>(s.count);
  s.p50_us = PercentileOfSorted(samples_us, 50);
  s.p90_us = PercentileOfSorted(samples_us, 90);
  s.p99_us = PercentileOfSorted(samples_us, 99);
  s.max_us = samples_us.back();
  return s;
}

}  // namespace acmeva::bench
