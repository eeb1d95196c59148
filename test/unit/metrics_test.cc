// common/metrics: the Prometheus text the VA serves at /metrics, and the
// series handles its hot paths use (same series as a label lookup). Also run
// under ThreadSanitizer (label concurrency).
#include "common/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace acmeva::common {
namespace {

TEST(MetricsTest, RendersPrometheusTextSortedAndEscaped) {
  MetricsRegistry registry;
  MetricFamily* counter =
      registry.Counter("b_total", "A counter", {"kind", "result"});
  counter->Add({"dcv", "valid"}, 2);
  counter->Add({"caa", "inv\"al\\id\n"}, 1);
  MetricFamily* gauge = registry.Gauge("a_in_flight", "A gauge");
  gauge->Add({}, 3);
  gauge->Add({}, -1);
  MetricFamily* hist =
      registry.Histogram("c_seconds", "A histogram", {"qtype"}, {0.01, 0.1});
  hist->Observe({"TXT"}, 0.005);
  hist->Observe({"TXT"}, 0.05);
  hist->Observe({"TXT"}, 5);
  EXPECT_EQ(registry.Render(),
            "# HELP a_in_flight A gauge\n"
            "# TYPE a_in_flight gauge\n"
            "a_in_flight 2\n"
            "# HELP b_total A counter\n"
            "# TYPE b_total counter\n"
            "b_total{kind=\"caa\",result=\"inv\\\"al\\\\id\\n\"} 1\n"
            "b_total{kind=\"dcv\",result=\"valid\"} 2\n"
            "# HELP c_seconds A histogram\n"
            "# TYPE c_seconds histogram\n"
            "c_seconds_bucket{qtype=\"TXT\",le=\"0.01\"} 1\n"
            "c_seconds_bucket{qtype=\"TXT\",le=\"0.1\"} 2\n"
            "c_seconds_bucket{qtype=\"TXT\",le=\"+Inf\"} 3\n"
            "c_seconds_sum{qtype=\"TXT\"} 5.055\n"
            "c_seconds_count{qtype=\"TXT\"} 3\n");
}

TEST(MetricsTest, HandlesAndLabelLookupsShareTheSeries) {
  MetricsRegistry registry;
  MetricFamily* counter = registry.Counter("x_total", "", {"a"});
  MetricFamily::Series* s = counter->Get({"one"});
  EXPECT_EQ(counter->Get({"one"}), s) << "one series per label set";
  counter->Add(s, 2);
  counter->Add({"one"}, 1);
  EXPECT_EQ(counter->Value({"one"}), 3);
  // Many other series later, the handle is still the same series.
  for (int i = 0; i < 1000; ++i) counter->Add({std::to_string(i)}, 1);
  counter->Add(s, 1);
  EXPECT_EQ(counter->Value({"one"}), 4);

  MetricFamily* hist = registry.Histogram("y_seconds", "", {"q"}, {1});
  SeriesCache<4> cache(hist);
  hist->Observe(cache.At(2, {"CAA"}), 0.5);
  hist->Observe(cache.At(2, {"ignored after the first use"}), 2);
  hist->Observe({"CAA"}, 0.5);
  EXPECT_EQ(hist->Value({"CAA"}), 3);
  EXPECT_EQ(hist->Value({"ignored after the first use"}), 0);
}

TEST(MetricsTest, ConcurrentObservationsAreAllCounted) {
  MetricsRegistry registry;
  MetricFamily* counter = registry.Counter("z_total", "", {"t"});
  MetricFamily* hist = registry.Histogram("z_seconds", "", {"t"}, {0.5});
  SeriesCache<1> shared(hist);
  constexpr int kThreads = 6;
  constexpr int kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        counter->Add({t % 2 ? "odd" : "even"}, 1);
        hist->Observe(shared.At(0, {"all"}), 1);
        if (i % 500 == 0) registry.Render();  // scrapes while observing
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter->Value({"odd"}) + counter->Value({"even"}),
            kThreads * kEach);
  EXPECT_EQ(hist->Value({"all"}), kThreads * kEach);
}

}  // namespace
}  // namespace acmeva::common
