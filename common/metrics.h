// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format for /metrics. Thread-safe; an
// observation is one short critical section per family.
#ifndef COMMON_METRICS_H_
#define COMMON_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace acmeva::common {

class MetricFamily {
 public:
  enum class Kind { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Kind kind,
               std::vector<std::string> label_names,
               std::vector<double> buckets);

  // Label values in the order of the family's label names, e.g.
  // family->Add({"TXT", "ok"}, 1). Views: nothing is copied unless the
  // series is new, so an observation on a hot path allocates nothing.
  using LabelValues = std::initializer_list<std::string_view>;

  // `label_values` must match the family's label names in count.
  void Add(LabelValues label_values, double delta);
  void Set(LabelValues label_values, double value);
  void Observe(LabelValues label_values, double value);

  // The current value of one series (counters and gauges), or the
  // observation count (histograms); 0 when the series does not exist.
  double Value(LabelValues label_values) const;

  void Render(std::string* out) const;

  // One series, for callers on a hot path that look it up once (Get) and
  // then skip building and hashing its label key (see SeriesCache). Its
  // fields are the family's business. Valid as long as the family: series
  // are never removed.
  struct Series {
    double value = 0;               // counter/gauge, or histogram sum
    uint64_t count = 0;             // histogram observations
    std::vector<uint64_t> buckets;  // histogram, non-cumulative
  };
  Series* Get(LabelValues label_values);
  void Add(Series* series, double delta);
  void Observe(Series* series, double value);

 private:
  struct Entry {
    std::vector<std::string> label_values;
    Series series;
  };
  // The series for these label values, created if new.
  Series& Find(LabelValues label_values) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ObserveLocked(Series& s, double value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const std::string help_;
  const Kind kind_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  // Keyed by the label values joined with \x1f; sorted only when rendered.
  // Entries on the heap, so Series pointers stay valid as the map grows.
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> series_
      ABSL_GUARDED_BY(mu_);
};

// Series of one family for a fixed set of label combinations that the
// caller numbers itself (e.g. by enum value): each is looked up the first
// time its index is used, then found by index. Thread-safe; two threads
// racing on a first use both get the same series.
template <size_t N>
class SeriesCache {
 public:
  explicit SeriesCache(MetricFamily* family) : family_(family) {}

  // `label_values` are read only on the first use of `index` (< N).
  MetricFamily::Series* At(size_t index, MetricFamily::LabelValues labels) {
    MetricFamily::Series* s = series_[index].load(std::memory_order_acquire);
    if (s == nullptr) {
      s = family_->Get(labels);
      series_[index].store(s, std::memory_order_release);
    }
    return s;
  }
  MetricFamily* family() const { return family_; }

 private:
  MetricFamily* const family_;
  std::array<std::atomic<MetricFamily::Series*>, N> series_{};
};

class MetricsRegistry {
 public:
  MetricFamily* Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> labels = {});
  MetricFamily* Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> labels = {});
  // Buckets are upper bounds in the metric's unit (seconds for latencies).
  MetricFamily* Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> labels,
                          std::vector<double> buckets);

  // The whole registry in Prometheus text format (version 0.0.4).
  std::string Render() const;

  // Latency buckets in seconds, 0.5 ms to 30 s.
  static std::vector<double> LatencyBuckets();

 private:
  MetricFamily* Register(std::unique_ptr<MetricFamily> family,
                         const std::string& name);
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::common

#endif  // COMMON_METRICS_H_
