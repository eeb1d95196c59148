// Kept instead of prometheus-cpp (Debian 12: 1.0.1), by the figures of
// `bench/library_costs.sh build` (bench/metrics_costs.cc; bench/RESULTS.md,
// 2026-12-06, three runs on a loaded 2-core machine):
//   - recording by label values, as most call sites and the per-try
//     dns_query_time do: 88-142 ns per call here, 257-476 ns there (it
//     builds a std::map of the labels, and a histogram's Add constructs a
//     Histogram every call);
//   - rendering the VA's /metrics: 66-88 us here, 129-227 us there, and its
//     text is not ours byte for byte (label names sorted, families grouped
//     by kind, no HELP/TYPE for a family without series yet).
// Its kept-handle path is faster (a counter increment 9-12 ns, against
// 47-74 ns here: a lock-free atomic, where we take the family's mutex): a
// reason to make our handles atomic, not to switch.
#include "common/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace acmeva::common {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrCat(v);
}

std::string LabelSet(const std::vector<std::string>& names,
                     const std::vector<std::string>& values,
                     const std::string& extra = "") {
  std::vector<std::string> parts;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    parts.push_back(
        absl::StrCat(names[i], "=\"", EscapeLabel(values[i]), "\""));
  }
  if (!extra.empty()) parts.push_back(extra);
  if (parts.empty()) return "";
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Kind kind,
                           std::vector<std::string> label_names,
                           std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      kind_(kind),
      label_names_(std::move(label_names)),
      bounds_(std::move(buckets)) {}

namespace {

// The map key of a series: its label values joined by \x1f (a byte that
// cannot appear in sane label values), built in a per-thread buffer so a
// lookup of an existing series allocates nothing.
const std::string& SeriesKey(MetricFamily::LabelValues label_values) {
  thread_local std::string key;
  key.clear();
  bool first = true;
  for (std::string_view v : label_values) {
    if (!first) key += '\x1f';
    key.append(v.data(), v.size());
    first = false;
  }
  return key;
}

}  // namespace

MetricFamily::Series& MetricFamily::Find(LabelValues label_values) {
  const std::string& key = SeriesKey(label_values);
  auto it = series_.find(key);
  if (it != series_.end()) return it->second->series;
  auto entry = std::make_unique<Entry>();
  entry->label_values.assign(label_values.begin(), label_values.end());
  Series& series = entry->series;
  series_.emplace(key, std::move(entry));
  return series;
}

void MetricFamily::ObserveLocked(Series& s, double value) {
  if (s.buckets.empty()) s.buckets.assign(bounds_.size() + 1, 0);
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++s.buckets[i];
  ++s.count;
  s.value += value;
}

void MetricFamily::Add(LabelValues label_values, double delta) {
  absl::MutexLock lock(&mu_);
  Find(label_values).value += delta;
}

void MetricFamily::Set(LabelValues label_values, double value) {
  absl::MutexLock lock(&mu_);
  Find(label_values).value = value;
}

void MetricFamily::Observe(LabelValues label_values, double value) {
  absl::MutexLock lock(&mu_);
  ObserveLocked(Find(label_values), value);
}

MetricFamily::Series* MetricFamily::Get(LabelValues label_values) {
  absl::MutexLock lock(&mu_);
  return &Find(label_values);
}

void MetricFamily::Add(Series* series, double delta) {
  absl::MutexLock lock(&mu_);
  series->value += delta;
}

void MetricFamily::Observe(Series* series, double value) {
  absl::MutexLock lock(&mu_);
  ObserveLocked(*series, value);
}

double MetricFamily::Value(LabelValues label_values) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(SeriesKey(label_values));
  if (it == series_.end()) return 0;
  if (kind_ == Kind::kHistogram)
    return static_cast<double>(it->second->series.count);
  return it->second->series.value;
}

void MetricFamily::Render(std::string* out) const {
  const char* type = kind_ == Kind::kCounter ? "counter"
                     : kind_ == Kind::kGauge ? "gauge"
                                             : "histogram";
  absl::StrAppend(out, "# HELP ", name_, " ", help_, "\n# TYPE ", name_, " ",
                  type, "\n");
  absl::MutexLock lock(&mu_);
  // Sorted by key, so the output is stable from one scrape to the next.
  std::vector<const std::pair<const std::string, std::unique_ptr<Entry>>*>
      sorted;
  sorted.reserve(series_.size());
  for (const auto& kv : series_) sorted.push_back(&kv);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* kv : sorted) {
    const std::vector<std::string>& values = kv->second->label_values;
    const Series& s = kv->second->series;
    if (kind_ != Kind::kHistogram) {
      absl::StrAppend(out, name_, LabelSet(label_names_, values), " ",
                      FormatValue(s.value), "\n");
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += i < s.buckets.size() ? s.buckets[i] : 0;
      std::string le = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
      absl::StrAppend(
          out, name_, "_bucket",
          LabelSet(label_names_, values, absl::StrCat("le=\"", le, "\"")), " ",
          cumulative, "\n");
    }
    absl::StrAppend(out, name_, "_sum", LabelSet(label_names_, values), " ",
                    FormatValue(s.value), "\n", name_, "_count",
                    LabelSet(label_names_, values), " ", s.count, "\n");
  }
}

MetricFamily* MetricsRegistry::Register(std::unique_ptr<MetricFamily> family,
                                        const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = families_.emplace(name, std::move(family));
  return it->second.get();  // an existing family of that name is reused
}

MetricFamily* MetricsRegistry::Counter(const std::string& name,
                                       const std::string& help,
                                       std::vector<std::string> labels) {
  return Register(
      std::make_unique<MetricFamily>(name, help, MetricFamily::Kind::kCounter,
                                     std::move(labels), std::vector<double>{}),
      name);
}

MetricFamily* MetricsRegistry::Gauge(const std::string& name,
                                     const std::string& help,
                                     std::vector<std::string> labels) {
  return Register(
      std::make_unique<MetricFamily>(name, help, MetricFamily::Kind::kGauge,
                                     std::move(labels), std::vector<double>{}),
      name);
}

MetricFamily* MetricsRegistry::Histogram(const std::string& name,
                                         const std::string& help,
                                         std::vector<std::string> labels,
                                         std::vector<double> buckets) {
  return Register(
      std::make_unique<MetricFamily>(name, help, MetricFamily::Kind::kHistogram,
                                     std::move(labels), std::move(buckets)),
      name);
}

std::string MetricsRegistry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

std::vector<double> MetricsRegistry::LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
          0.25,   0.5,   1,      2.5,   5,    10,    30};
}

}  // namespace acmeva::common
