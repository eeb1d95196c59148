// vabench: a load generator for the VA (va.VA/DoDCV, va.CAA/DoCAA) or, with
// --api=boulder-2023, for Boulder's VA of 2023 (bench/boulder-side-by-side.sh),
// and the generator of the matching DNS data (dnstestsrv records, NSD zone,
// dnsperf queries) from the same seed. bench/run.sh drives it; see
// bench/RESULTS.md.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/lib/http_get.h"
#include "bench/lib/latency_stats.h"
#include "bench/lib/name_generator.h"
#include "bench/lib/proc_stats.h"
#include "bench/lib/prometheus_text.h"
#include "bench/lib/record_writer.h"
#include "bench/lib/report.h"
#include "cmd/vabench/load_generator.h"
#include "common/cli.h"
#include "common/grpc_callback_queue.h"
#include "common/grpc_tls.h"
#include "common/tls_flags.h"

namespace common = acmeva::common;
namespace bench = acmeva::bench;
namespace vabench = acmeva::vabench;

// Target and transport.
ABSL_FLAG(std::string, va, "127.0.0.1:9092", "VA gRPC address host:port");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name expected in the VA's certificate (default: host of --va)");
ABSL_FLAG(int, channels, 1,
          "gRPC channels (separate HTTP/2 connections) to spread calls over");

// Load shape.
ABSL_FLAG(std::string, api, "this-va",
          "this-va (DoDCV/DoCAA as --mode says) or boulder-2023 (Boulder "
          "release-2023-02-13a's PerformValidation: dns-01 and CAA in one "
          "call; --mode both only)");
ABSL_FLAG(std::string, mode, "both",
          "dcv (DoDCV), caa (DoCAA), or both (DoDCV then DoCAA, as an RA)");
ABSL_FLAG(int64_t, n, 1000, "Validations to run");
ABSL_FLAG(int, concurrency, 64, "Validations in flight at most");
ABSL_FLAG(double, rate, 0, "Validations started per second (0: unpaced)");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10), "Deadline of each RPC");
ABSL_FLAG(absl::Duration, max_duration, absl::Minutes(5),
          "Stop starting validations after this long");
ABSL_FLAG(std::string, label, "", "Free text carried into the report");
ABSL_FLAG(bool, json, false, "Print the report as one JSON object");

// The namespace (must match the records the DNS server was given).
ABSL_FLAG(uint64_t, seed, 1, "Generator seed");
ABSL_FLAG(int64_t, zones, 100, "Zones (z0..) under the TLD");
ABSL_FLAG(int64_t, names_per_zone, 100, "Names per zone");
ABSL_FLAG(int, label_depth, 1, "Labels below the zone apex (>= 1)");
ABSL_FLAG(double, caa_share, 0.1, "Share of names with a CAA set");
ABSL_FLAG(std::string, tld, "bench", "Top-level label of every name");
ABSL_FLAG(int64_t, accounts, 1000, "Distinct ACME accounts (regIDs)");
ABSL_FLAG(std::string, issuer_domain, "letsencrypt.org",
          "CAA issuer domain the generated CAA sets name (the VA's)");
ABSL_FLAG(std::string, account_uri_prefix, "https://acme.example/acct/",
          "Account URI prefix the generated CAA accounturi uses (the VA's)");
ABSL_FLAG(std::string, names_file, "",
          "Validate these names (one per line) instead of generated ones; "
          "tokens still derive from --seed");

// Measuring the VA.
ABSL_FLAG(int, va_pid, 0,
          "VA process id: report its CPU seconds and peak RSS over the run");
ABSL_FLAG(bool, reset_peak_rss, true,
          "With --va-pid, reset the VA's VmHWM before the run");
ABSL_FLAG(std::string, va_metrics, "",
          "VA /metrics address host:port: report DNS queries sent");

// Generating the DNS data instead of running.
ABSL_FLAG(std::string, generate_records, "",
          "Write dnstestsrv --records JSON for the namespace and exit");
ABSL_FLAG(std::string, generate_zone, "",
          "Write an NSD zone file (origin --tld) and exit");
ABSL_FLAG(std::string, generate_queries, "",
          "Write a dnsperf query file with --mode's query mix and exit");
ABSL_FLAG(std::string, generate_names, "", "Write the names, one per line");
ABSL_FLAG(std::string, fault_mode, "",
          "With --generate-records: a dnstestsrv fault (drop, delay, "
          "servfail, ...) on every name the VA queries");
ABSL_FLAG(std::string, fault_type, "", "Fault query type (empty: all)");
ABSL_FLAG(double, fault_probability, 1.0, "Fault probability");
ABSL_FLAG(int, fault_delay_ms, 0, "Delay for --fault-mode=delay");

namespace {

int Fail(absl::string_view msg) {
  std::cerr << "vabench: " << msg << "\n";
  return 2;
}

absl::Status WriteFile(const std::string& path,
                       const std::function<absl::Status(std::ostream&)>& fill) {
  std::ofstream out(path);
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  if (auto s = fill(out); !s.ok()) return s;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("error writing ", path));
  return absl::OkStatus();
}

std::optional<bench::VaDnsCounters> ScrapeDns(const std::string& address) {
  auto body = bench::HttpGet(address, "/metrics", absl::Seconds(5));
  if (!body.ok()) {
    std::cerr << "vabench: --va-metrics: " << body.status() << "\n";
    return std::nullopt;
  }
  bench::VaDnsCounters c;
  c.queries = bench::SumSamples(*body, "dns_query_time_count");
  c.lookups = bench::SumSamples(*body, "dns_total_lookup_time_count");
  c.timeouts = bench::SumSamples(*body, "dns_timeout");
  c.coalesced = bench::SumSamples(*body, "dns_coalesced_lookups_total");
  // Both decisions share one family; split them by label.
  c.retries_granted = 0;
  c.retries_denied = 0;
  for (absl::string_view line : absl::StrSplit(*body, '\n')) {
    if (absl::StartsWith(line, "dns_retries_total{")) {
      const double v = bench::SumSamples(line, "dns_retries_total");
      if (absl::StrContains(line, "\"granted\"")) c.retries_granted += v;
      if (absl::StrContains(line, "\"denied\"")) c.retries_denied += v;
    }
  }
  return c;
}

std::optional<bench::ProcSample> Sample(int pid) {
  auto sample = bench::ReadProcSample(pid);
  if (!sample.ok()) {
    std::cerr << "vabench: --va-pid: " << sample.status() << "\n";
    return std::nullopt;
  }
  return *sample;
}

double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  common::SetUsage(
      "Load generator for the VA's DoDCV/DoCAA, and generator of the "
      "matching DNS records (--generate-*)");
  // Dashed flag names (--names-per-zone) as well as absl's underscores.
  common::NormalizedArgs args(argc, argv);
  absl::ParseCommandLine(args.argc(), args.argv());

  const auto mode = bench::ModeFromString(absl::GetFlag(FLAGS_mode));
  if (!mode.has_value()) return Fail("--mode must be dcv, caa or both");
  vabench::Api api = vabench::Api::kThisVa;
  if (absl::GetFlag(FLAGS_api) == "boulder-2023") {
    api = vabench::Api::kBoulder2023;
    if (*mode != bench::Mode::kBoth) {
      return Fail(
          "--api=boulder-2023 checks DCV and CAA in one call: --mode both");
    }
  } else if (absl::GetFlag(FLAGS_api) != "this-va") {
    return Fail("--api must be this-va or boulder-2023");
  }

  bench::GeneratorOptions gen;
  gen.seed = absl::GetFlag(FLAGS_seed);
  gen.zones = absl::GetFlag(FLAGS_zones);
  gen.names_per_zone = absl::GetFlag(FLAGS_names_per_zone);
  gen.label_depth = absl::GetFlag(FLAGS_label_depth);
  gen.caa_share = absl::GetFlag(FLAGS_caa_share);
  gen.tld = absl::GetFlag(FLAGS_tld);
  gen.accounts = absl::GetFlag(FLAGS_accounts);
  gen.issuer_domain = absl::GetFlag(FLAGS_issuer_domain);
  gen.account_uri_prefix = absl::GetFlag(FLAGS_account_uri_prefix);
  auto generator = bench::NameGenerator::Create(gen);
  if (!generator.ok()) return Fail(generator.status().message());

  std::vector<std::string> file_names;
  if (!absl::GetFlag(FLAGS_names_file).empty()) {
    auto names = bench::ReadNamesFile(absl::GetFlag(FLAGS_names_file));
    if (!names.ok()) return Fail(names.status().message());
    file_names = *std::move(names);
  }
  const int64_t namespace_size = file_names.empty()
                                     ? generator->size()
                                     : static_cast<int64_t>(file_names.size());
  // Validation i uses name i mod the namespace size.
  auto name_at = [&](int64_t i) {
    const int64_t index = i % namespace_size;
    return file_names.empty()
               ? generator->At(index)
               : generator->ForName(file_names[static_cast<size_t>(index)],
                                    index);
  };

  const bool generating = !absl::GetFlag(FLAGS_generate_records).empty() ||
                          !absl::GetFlag(FLAGS_generate_zone).empty() ||
                          !absl::GetFlag(FLAGS_generate_queries).empty() ||
                          !absl::GetFlag(FLAGS_generate_names).empty();
  if (generating) {
    std::vector<bench::BenchName> names;
    names.reserve(static_cast<size_t>(namespace_size));
    for (int64_t i = 0; i < namespace_size; ++i) names.push_back(name_at(i));
    std::optional<bench::FaultOptions> fault;
    if (!absl::GetFlag(FLAGS_fault_mode).empty()) {
      fault = bench::FaultOptions{absl::GetFlag(FLAGS_fault_mode),
                                  absl::GetFlag(FLAGS_fault_type),
                                  absl::GetFlag(FLAGS_fault_probability),
                                  absl::GetFlag(FLAGS_fault_delay_ms)};
    }
    std::vector<
        std::pair<std::string, std::function<absl::Status(std::ostream&)>>>
        outputs = {
            {absl::GetFlag(FLAGS_generate_records),
             [&](std::ostream& out) {
               bench::WriteDnstestsrvRecords(names, fault, out);
               return absl::OkStatus();
             }},
            {absl::GetFlag(FLAGS_generate_zone),
             [&](std::ostream& out) {
               return bench::WriteNsdZone(names, gen.tld, out);
             }},
            {absl::GetFlag(FLAGS_generate_queries),
             [&](std::ostream& out) {
               bench::WriteDnsperfQueries(names, *mode, out);
               return absl::OkStatus();
             }},
            {absl::GetFlag(FLAGS_generate_names),
             [&](std::ostream& out) {
               for (const auto& n : names) out << n.name << "\n";
               return absl::OkStatus();
             }},
        };
    for (const auto& [path, fill] : outputs) {
      if (path.empty()) continue;
      if (auto s = WriteFile(path, fill); !s.ok()) return Fail(s.message());
    }
    std::cerr << "vabench: wrote " << names.size() << " names\n";
    return 0;
  }

  if (absl::GetFlag(FLAGS_n) < 1) return Fail("--n must be >= 1");
  if (absl::GetFlag(FLAGS_concurrency) < 1) {
    return Fail("--concurrency must be >= 1");
  }
  common::TlsFiles tls = common::TlsFilesFromFlags();
  tls.server_name_override = absl::GetFlag(FLAGS_tls_server_name);
  auto creds = common::MakeChannelCredentials(tls);
  if (!creds.ok()) return Fail(creds.status().message());

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  const absl::Time connect_by = absl::Now() + absl::Seconds(10);
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
    grpc::ChannelArguments args;
    // A distinct argument per channel keeps gRPC from sharing one
    // connection between them.
    args.SetInt("vabench.channel", i);
    args.SetMaxReceiveMessageSize(4 << 20);
    common::KeepGrpcCallbackQueue();
    auto channel =
        grpc::CreateCustomChannel(absl::GetFlag(FLAGS_va), *creds, args);
    if (!channel->WaitForConnected(absl::ToChronoTime(connect_by))) {
      return Fail(absl::StrCat("cannot connect to ", absl::GetFlag(FLAGS_va)));
    }
    channels.push_back(std::move(channel));
  }

  const int pid = absl::GetFlag(FLAGS_va_pid);
  const std::string metrics = absl::GetFlag(FLAGS_va_metrics);
  bench::RunReport report;
  if (pid > 0) {
    if (absl::GetFlag(FLAGS_reset_peak_rss)) {
      if (auto s = bench::ResetPeakRss(pid); !s.ok()) {
        std::cerr << "vabench: peak RSS not reset (" << s.message()
                  << "); VmHWM is the peak since the VA started\n";
      }
    }
    report.va_before = Sample(pid);
  }
  std::optional<bench::VaDnsCounters> dns_before;
  if (!metrics.empty()) dns_before = ScrapeDns(metrics);

  vabench::LoadOptions load;
  load.api = api;
  load.mode = *mode;
  load.total = absl::GetFlag(FLAGS_n);
  load.concurrency = absl::GetFlag(FLAGS_concurrency);
  load.rate = absl::GetFlag(FLAGS_rate);
  load.deadline = absl::GetFlag(FLAGS_deadline);
  load.max_duration = absl::GetFlag(FLAGS_max_duration);
  const double client_cpu_before = OwnCpuSeconds();
  vabench::LoadResult result = vabench::RunLoad(channels, name_at, load);
  report.client_cpu_seconds = OwnCpuSeconds() - client_cpu_before;

  if (pid > 0) report.va_after = Sample(pid);
  if (!report.va_before.has_value() || !report.va_after.has_value()) {
    report.va_before.reset();
    report.va_after.reset();
  }
  if (dns_before.has_value()) {
    if (auto after = ScrapeDns(metrics); after.has_value()) {
      bench::VaDnsCounters d;
      d.queries = after->queries - dns_before->queries;
      d.lookups = after->lookups - dns_before->lookups;
      d.timeouts = after->timeouts - dns_before->timeouts;
      d.coalesced = after->coalesced - dns_before->coalesced;
      d.retries_granted = after->retries_granted - dns_before->retries_granted;
      d.retries_denied = after->retries_denied - dns_before->retries_denied;
      report.dns = d;
    }
  }

  report.label = absl::GetFlag(FLAGS_label);
  report.mode = std::string(bench::ModeName(*mode));
  report.requested = load.total;
  report.concurrency = load.concurrency;
  report.rate_limit = load.rate;
  report.elapsed_seconds = absl::ToDoubleSeconds(result.elapsed);
  report.completed = result.completed;
  report.valid = result.outcomes.count("valid") ? result.outcomes["valid"] : 0;
  report.rpcs = result.rpcs;
  report.max_in_flight = result.max_in_flight;
  report.stopped_early = result.stopped_early;
  report.latency = bench::Summarize(result.latency_us);
  report.dcv_latency = bench::Summarize(result.dcv_latency_us);
  report.caa_latency = bench::Summarize(result.caa_latency_us);
  report.outcomes = result.outcomes;

  std::cout << (absl::GetFlag(FLAGS_json) ? bench::FormatJson(report)
                                          : bench::FormatText(report));
  return 0;
}
