// Issue 17 item 5: what prometheus-cpp (Debian 12: 1.0.1) would cost against
// common/metrics, on the numbers that matter to the VA:
//   - ns per counter increment and per histogram observation, by label
//     values (how most call sites record) and through a kept handle (the DNS
//     hot path, va/dns_metrics.h), with 1 and 2 threads on one series;
//   - the time to render the VA's own metric set as Prometheus text, read
//     from a /metrics scrape of a VA after a load run, and whether the text
//     is byte-identical to ours.
//
//   metrics_costs SCRAPE_FILE [OPS]
//
// bench/library_costs.sh captures the scrape and runs this.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/metrics.h"

namespace acmeva::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Wall-clock ns per call of `op` as one of `threads` threads sees it, each
// thread calling it `ops_per_thread` times.
template <typename Op>
double NsPerOp(int threads, int64_t ops_per_thread, Op op) {
  std::vector<std::thread> workers;
  const Clock::time_point start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int64_t i = 0; i < ops_per_thread; ++i) op(i);
    });
  }
  for (std::thread& w : workers) w.join();
  const double ns =
      std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  return ns / static_cast<double>(ops_per_thread);
}

// The labels of dns_query_time, the VA's busiest histogram.
const std::vector<std::string> kLabelNames = {"qtype", "result", "resolver"};

void HotPath(int64_t ops) {
  const std::vector<double> buckets = common::MetricsRegistry::LatencyBuckets();
  common::MetricsRegistry ours;
  common::MetricFamily* our_counter =
      ours.Counter("c_total", "counter", kLabelNames);
  common::MetricFamily* our_hist =
      ours.Histogram("h_seconds", "histogram", kLabelNames, buckets);
  common::MetricFamily::Series* our_counter_handle =
      our_counter->Get({"TXT", "NOERROR", "127.0.0.1:53"});
  common::MetricFamily::Series* our_hist_handle =
      our_hist->Get({"TXT", "NOERROR", "127.0.0.1:53"});

  prometheus::Registry theirs;
  auto& their_counter =
      prometheus::BuildCounter().Name("c_total").Help("counter").Register(
          theirs);
  auto& their_hist = prometheus::BuildHistogram()
                         .Name("h_seconds")
                         .Help("histogram")
                         .Register(theirs);
  prometheus::Counter& their_counter_handle = their_counter.Add(
      {{"qtype", "TXT"}, {"result", "NOERROR"}, {"resolver", "127.0.0.1:53"}});
  prometheus::Histogram& their_hist_handle = their_hist.Add(
      {{"qtype", "TXT"}, {"result", "NOERROR"}, {"resolver", "127.0.0.1:53"}},
      buckets);

  // Latencies spread over the buckets, as DNS answers are.
  const auto value = [](int64_t i) {
    return 0.0003 * static_cast<double>(i % 97);
  };
  struct Row {
    const char* what;
    std::function<void(int64_t)> ours, theirs;
  };
  const std::vector<Row> rows = {
      {"counter +1, by label values",
       [&](int64_t) {
         our_counter->Add({"TXT", "NOERROR", "127.0.0.1:53"}, 1);
       },
       [&](int64_t) {
         their_counter
             .Add({{"qtype", "TXT"},
                   {"result", "NOERROR"},
                   {"resolver", "127.0.0.1:53"}})
             .Increment();
       }},
      {"counter +1, kept handle",
       [&](int64_t) { our_counter->Add(our_counter_handle, 1); },
       [&](int64_t) { their_counter_handle.Increment(); }},
      {"histogram observe, by label values",
       [&](int64_t i) {
         our_hist->Observe({"TXT", "NOERROR", "127.0.0.1:53"}, value(i));
       },
       [&](int64_t i) {
         their_hist
             .Add({{"qtype", "TXT"},
                   {"result", "NOERROR"},
                   {"resolver", "127.0.0.1:53"}},
                  buckets)
             .Observe(value(i));
       }},
      {"histogram observe, kept handle",
       [&](int64_t i) { our_hist->Observe(our_hist_handle, value(i)); },
       [&](int64_t i) { their_hist_handle.Observe(value(i)); }},
  };
  std::printf("%-36s %8s %14s %14s\n", "hot path (ns/op per thread)", "threads",
              "common/metrics", "prometheus-cpp");
  for (const Row& row : rows) {
    for (int threads : {1, 2}) {
      const int64_t per_thread = ops / threads;
      const double a = NsPerOp(threads, per_thread, row.ours);
      const double b = NsPerOp(threads, per_thread, row.theirs);
      std::printf("%-36s %8d %14.1f %14.1f\n", row.what, threads, a, b);
    }
  }
}

// One family of a scrape: its kind, label names, bucket bounds and series.
struct Family {
  std::string help;
  std::string type;
  std::vector<std::string> label_names;
  std::vector<double> bounds;
  // Label values -> value (counter, gauge) or _count (histogram).
  std::map<std::vector<std::string>, double> series;
};

// Parses `{a="x",b="y"}` into names and values (escapes undone).
void ParseLabels(absl::string_view text, std::vector<std::string>* names,
                 std::vector<std::string>* values) {
  size_t i = 1;  // past '{'
  while (i < text.size() && text[i] != '}') {
    const size_t eq = text.find('=', i);
    names->emplace_back(text.substr(i, eq - i));
    std::string value;
    for (i = eq + 2; text[i] != '"'; ++i) {
      if (text[i] == '\\') {
        ++i;
        value += text[i] == 'n' ? '\n' : text[i];
      } else {
        value += text[i];
      }
    }
    values->push_back(std::move(value));
    i += text[i + 1] == ',' ? 2 : 1;
  }
}

std::map<std::string, Family> ParseScrape(const std::string& text) {
  std::map<std::string, Family> families;
  std::string current;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    if (absl::StartsWith(line, "# HELP ")) {
      std::vector<std::string> parts =
          absl::StrSplit(line, absl::MaxSplits(' ', 3));
      current = parts[2];
      families[current].help = parts.size() > 3 ? parts[3] : "";
      continue;
    }
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      families[parts[2]].type = parts[3];
      continue;
    }
    const size_t space = line.rfind(' ');
    absl::string_view sample = line.substr(0, space);
    double value = 0;
    if (!absl::SimpleAtod(line.substr(space + 1), &value)) continue;
    const size_t brace = sample.find('{');
    const absl::string_view name = sample.substr(0, brace);
    std::vector<std::string> names, values;
    if (brace != absl::string_view::npos) {
      ParseLabels(sample.substr(brace), &names, &values);
    }
    Family& f = families[current];
    if (f.type != "histogram") {
      f.label_names = names;
      f.series[values] = value;
    } else if (absl::EndsWith(name, "_bucket")) {
      // The last label is le; bounds from the first series only.
      if (f.series.empty() && values.back() != "+Inf") {
        double bound = 0;
        if (absl::SimpleAtod(values.back(), &bound)) f.bounds.push_back(bound);
      }
    } else if (absl::EndsWith(name, "_count")) {
      f.label_names = names;
      f.series[values] = value;
    }
  }
  return families;
}

prometheus::Labels ToMap(const std::vector<std::string>& names,
                         const std::vector<std::string>& values) {
  prometheus::Labels labels;
  for (size_t i = 0; i < names.size(); ++i) labels[names[i]] = values[i];
  return labels;
}

// Calls f with `values` as a LabelValues list (families have at most 4).
template <typename F>
void WithLabels(const std::vector<std::string>& v, F f) {
  switch (v.size()) {
    case 0:
      return f({});
    case 1:
      return f({v[0]});
    case 2:
      return f({v[0], v[1]});
    case 3:
      return f({v[0], v[1], v[2]});
    default:
      return f({v[0], v[1], v[2], v[3]});
  }
}

void Exposition(const std::string& scrape, int renders) {
  const std::map<std::string, Family> families = ParseScrape(scrape);
  common::MetricsRegistry ours;
  prometheus::Registry theirs;
  size_t series = 0;
  for (const auto& [name, f] : families) {
    series += f.series.size();
    if (f.type == "counter") {
      common::MetricFamily* a = ours.Counter(name, f.help, f.label_names);
      auto& b =
          prometheus::BuildCounter().Name(name).Help(f.help).Register(theirs);
      for (const auto& [values, v] : f.series) {
        WithLabels(values,
                   [&](common::MetricFamily::LabelValues l) { a->Add(l, v); });
        b.Add(ToMap(f.label_names, values)).Increment(v);
      }
    } else if (f.type == "gauge") {
      common::MetricFamily* a = ours.Gauge(name, f.help, f.label_names);
      auto& b =
          prometheus::BuildGauge().Name(name).Help(f.help).Register(theirs);
      for (const auto& [values, v] : f.series) {
        WithLabels(values,
                   [&](common::MetricFamily::LabelValues l) { a->Set(l, v); });
        b.Add(ToMap(f.label_names, values)).Set(v);
      }
    } else if (f.type == "histogram") {
      common::MetricFamily* a =
          ours.Histogram(name, f.help, f.label_names, f.bounds);
      auto& b =
          prometheus::BuildHistogram().Name(name).Help(f.help).Register(theirs);
      for (const auto& [values, v] : f.series) {
        // One observation per series: rendering cost does not depend on
        // the counts.
        WithLabels(values, [&](common::MetricFamily::LabelValues l) {
          a->Observe(l, 0.001);
        });
        b.Add(ToMap(f.label_names, values), f.bounds).Observe(0.001);
      }
    }
  }
  std::string our_text, their_text;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < renders; ++i) our_text = ours.Render();
  const Clock::time_point t1 = Clock::now();
  const prometheus::TextSerializer serializer;
  for (int i = 0; i < renders; ++i) {
    their_text = serializer.Serialize(theirs.Collect());
  }
  const Clock::time_point t2 = Clock::now();
  const auto us = [&](Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count() / renders;
  };
  std::printf(
      "\nexposition of the VA's metric set (%zu families, %zu series)\n"
      "%-36s %14s %14s\n%-36s %14.1f %14.1f\n%-36s %14zu %14zu\n",
      families.size(), series, "", "common/metrics", "prometheus-cpp",
      "us per render", us(t1 - t0), us(t2 - t1), "bytes", our_text.size(),
      their_text.size());
  // Where the two texts first differ (names, label order, family order,
  // number formats): what a byte-identical /metrics would have to undo.
  std::vector<std::string> a = absl::StrSplit(our_text, '\n');
  std::vector<std::string> b = absl::StrSplit(their_text, '\n');
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) {
    std::printf("byte-identical: yes\n");
  } else {
    std::printf(
        "byte-identical: no; first difference at line %zu:\n"
        "  ours:   %s\n  theirs: %s\n",
        i + 1, i < a.size() ? a[i].c_str() : "(end)",
        i < b.size() ? b[i].c_str() : "(end)");
  }
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: metrics_costs SCRAPE_FILE [OPS]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream scrape;
  scrape << in.rdbuf();
  const int64_t ops = argc > 2 ? std::atoll(argv[2]) : 2'000'000;
  HotPath(ops);
  Exposition(scrape.str(), 200);
  return 0;
}

}  // namespace
}  // namespace acmeva::bench

int main(int argc, char** argv) { return acmeva::bench::Main(argc, argv); }
