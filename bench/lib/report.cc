#include "bench/lib/report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_log.h"

namespace acmeva::bench {
namespace {

std::string Ms(int64_t us) {
  return absl::StrFormat("%.2f ms", static_cast<double>(us) / 1000.0);
}

std::string LatencyLine(const LatencySummary& l) {
  return absl::StrCat("p50 ", Ms(l.p50_us), "  p90 ", Ms(l.p90_us), "  p99 ",
                      Ms(l.p99_us), "  max ", Ms(l.max_us), "  (n=", l.count,
                      ")");
}

// JSON number; non-finite values are not JSON, so they become null.
std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  return absl::StrFormat("%.6g", v);
}

std::string Opt(const std::optional<double>& v) {
  return v.has_value() ? Num(*v) : "null";
}

std::string LatencyJson(const LatencySummary& l) {
  return absl::StrCat("{\"count\":", l.count, ",\"mean_us\":", Num(l.mean_us),
                      ",\"p50_us\":", l.p50_us, ",\"p90_us\":", l.p90_us,
                      ",\"p99_us\":", l.p99_us, ",\"max_us\":", l.max_us, "}");
}

std::string SampleJson(const std::optional<ProcSample>& s) {
  if (!s.has_value()) return "null";
  return absl::StrCat("{\"cpu_seconds\":", Num(s->cpu_seconds),
                      ",\"vm_hwm_kib\":", s->vm_hwm_kib,
                      ",\"vm_rss_kib\":", s->vm_rss_kib,
                      ",\"threads\":", s->threads, "}");
}

}  // namespace

double ValidationsPerSecond(const RunReport& r) {
  return r.elapsed_seconds > 0
             ? static_cast<double>(r.completed) / r.elapsed_seconds
             : 0;
}

std::optional<double> VaCpuSeconds(const RunReport& r) {
  if (!r.va_before.has_value() || !r.va_after.has_value()) return std::nullopt;
  return r.va_after->cpu_seconds - r.va_before->cpu_seconds;
}

std::optional<double> CpuMicrosPerValidation(const RunReport& r) {
  auto cpu = VaCpuSeconds(r);
  if (!cpu.has_value() || r.completed == 0) return std::nullopt;
  return *cpu * 1e6 / static_cast<double>(r.completed);
}

std::optional<double> CpuMicrosPerDnsQuery(const RunReport& r) {
  auto cpu = VaCpuSeconds(r);
  if (!cpu.has_value() || !r.dns.has_value() || r.dns->queries <= 0) {
    return std::nullopt;
  }
  return *cpu * 1e6 / r.dns->queries;
}

std::optional<double> DnsQueriesPerSecond(const RunReport& r) {
  if (!r.dns.has_value() || r.elapsed_seconds <= 0) return std::nullopt;
  return r.dns->queries / r.elapsed_seconds;
}

std::string FormatText(const RunReport& r) {
  std::string out;
  absl::StrAppend(&out, "vabench ", r.label.empty() ? "" : r.label + " ",
                  "mode=", r.mode, " concurrency=", r.concurrency,
                  r.rate_limit > 0 ? absl::StrCat(" rate=", r.rate_limit) : "",
                  "\n");
  absl::StrAppend(
      &out,
      absl::StrFormat(
          "  validations: %d of %d in %.3f s = %.1f/s (%d RPCs)%s\n",
          r.completed, r.requested, r.elapsed_seconds, ValidationsPerSecond(r),
          r.rpcs, r.stopped_early ? "  [stopped at --max-duration]" : ""));
  absl::StrAppend(&out, "  max in flight: ", r.max_in_flight, "\n");
  absl::StrAppend(&out, "  latency: ", LatencyLine(r.latency), "\n");
  if (r.dcv_latency.count > 0 && r.caa_latency.count > 0) {
    absl::StrAppend(&out, "    DoDCV: ", LatencyLine(r.dcv_latency), "\n");
    absl::StrAppend(&out, "    DoCAA: ", LatencyLine(r.caa_latency), "\n");
  }
  absl::StrAppend(&out, "  outcomes:");
  for (const auto& [key, count] : r.outcomes) {
    absl::StrAppend(&out, " ", key, "=", count);
  }
  absl::StrAppend(&out, "\n");
  if (auto cpu = VaCpuSeconds(r); cpu.has_value()) {
    absl::StrAppend(
        &out, absl::StrFormat("  VA CPU: %.3f s, %.1f us per validation", *cpu,
                              CpuMicrosPerValidation(r).value_or(0)));
    if (auto per_query = CpuMicrosPerDnsQuery(r); per_query.has_value()) {
      absl::StrAppend(&out,
                      absl::StrFormat(", %.1f us per DNS query", *per_query));
    }
    absl::StrAppend(&out, "\n");
    absl::StrAppend(
        &out,
        absl::StrFormat("  VA memory: peak RSS %.1f MiB (RSS now %.1f MiB), "
                        "%d threads\n",
                        static_cast<double>(r.va_after->vm_hwm_kib) / 1024.0,
                        static_cast<double>(r.va_after->vm_rss_kib) / 1024.0,
                        r.va_after->threads));
  }
  if (r.dns.has_value()) {
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "  VA DNS: %.0f queries (%.0f/s, %.2f per validation), %.0f "
            "lookups, %.0f timeouts, %.0f coalesced, retries %.0f granted / "
            "%.0f denied\n",
            r.dns->queries, DnsQueriesPerSecond(r).value_or(0),
            r.completed > 0 ? r.dns->queries / static_cast<double>(r.completed)
                            : 0,
            r.dns->lookups, r.dns->timeouts, r.dns->coalesced,
            r.dns->retries_granted, r.dns->retries_denied));
  }
  absl::StrAppend(
      &out, absl::StrFormat("  vabench CPU: %.3f s\n", r.client_cpu_seconds));
  return out;
}

std::string FormatJson(const RunReport& r) {
  std::string outcomes = "{";
  for (const auto& [key, count] : r.outcomes) {
    if (outcomes.size() > 1) outcomes += ",";
    absl::StrAppend(&outcomes, common::JsonQuote(key), ":", count);
  }
  outcomes += "}";
  std::string dns = "null";
  if (r.dns.has_value()) {
    dns = absl::StrCat("{\"queries\":", Num(r.dns->queries),
                       ",\"lookups\":", Num(r.dns->lookups),
                       ",\"timeouts\":", Num(r.dns->timeouts),
                       ",\"coalesced\":", Num(r.dns->coalesced),
                       ",\"retries_granted\":", Num(r.dns->retries_granted),
                       ",\"retries_denied\":", Num(r.dns->retries_denied), "}");
  }
  return absl::StrCat(
      "{\"label\":", common::JsonQuote(r.label),
      ",\"mode\":", common::JsonQuote(r.mode), ",\"requested\":", r.requested,
      ",\"concurrency\":", r.concurrency, ",\"rate_limit\":", Num(r.rate_limit),
      ",\"elapsed_seconds\":", Num(r.elapsed_seconds),
      ",\"completed\":", r.completed, ",\"valid\":", r.valid,
      ",\"rpcs\":", r.rpcs, ",\"max_in_flight\":", r.max_in_flight,
      ",\"stopped_early\":", r.stopped_early ? "true" : "false",
      ",\"validations_per_second\":", Num(ValidationsPerSecond(r)),
      ",\"latency\":", LatencyJson(r.latency),
      ",\"dcv_latency\":", LatencyJson(r.dcv_latency),
      ",\"caa_latency\":", LatencyJson(r.caa_latency),
      ",\"outcomes\":", outcomes, ",\"va_before\":", SampleJson(r.va_before),
      ",\"va_after\":", SampleJson(r.va_after),
      ",\"va_cpu_seconds\":", Opt(VaCpuSeconds(r)),
      ",\"va_cpu_us_per_validation\":", Opt(CpuMicrosPerValidation(r)),
      ",\"va_cpu_us_per_dns_query\":", Opt(CpuMicrosPerDnsQuery(r)),
      ",\"va_peak_rss_kib\":",
      r.va_after.has_value() ? absl::StrCat(r.va_after->vm_hwm_kib) : "null",
      ",\"dns\":", dns,
      ",\"dns_queries_per_second\":", Opt(DnsQueriesPerSecond(r)),
      ",\"client_cpu_seconds\":", Num(r.client_cpu_seconds), "}\n");
}

}  // namespace acmeva::bench
