// dnstestsrv: a programmable authoritative DNS server for tests, demos and
// benchmarks. DNS on --dns01 (UDP and TCP), management API on --management.
#include <algorithm>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/cli.h"
#include "common/http_server.h"
#include "common/json_log.h"
#include "common/stop_signals.h"
#include "dnstestsrv/dns_server.h"
#include "dnstestsrv/fault_table.h"
#include "dnstestsrv/management_api.h"
#include "dnstestsrv/record_store.h"
#include "dnstestsrv/request_history.h"
#include "dnstestsrv/responder.h"

namespace common = acmeva::common;

ABSL_FLAG(std::string, dns01, "127.0.0.1:8053",
          "DNS listen address, UDP and TCP (host:port or [ipv6]:port)");
ABSL_FLAG(std::string, management, "127.0.0.1:8055",
          "management HTTP API listen address");
ABSL_FLAG(std::string, records, "",
          "JSON file of records and faults to load at start-up");
ABSL_FLAG(bool, history, true,
          "keep a request history (turn off for benchmarks)");
ABSL_FLAG(int, history_size, 100000, "events kept in the request history");
ABSL_FLAG(int, udp_threads, 1, "threads serving the UDP socket");
ABSL_FLAG(int, ttl, 0, "TTL of every record served");

namespace {

int Fail(absl::string_view message) {
  common::Log("error", absl::StrCat("dnstestsrv: ", message));
  return 2;
}

absl::Status CheckFlags() {
  common::FlagChecks checks;
  checks.AtLeast(FLAGS_history_size, 0)
      .InRange(FLAGS_udp_threads, 1, 64)
      .AtLeast(FLAGS_ttl, 0);
  return checks.status();
}

}  // namespace

int main(int argc, char** argv) {
  common::StopSignals stop_signals("dnstestsrv");  // before any thread starts
  // Debian's absl is built without NDEBUG, so every absl::Mutex would run
  // deadlock detection.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  common::SetUsage(
      "dnstestsrv --dns01 host:port --management host:port [--records FILE] "
      "[--history=true|false]");
  common::NormalizedArgs args(argc, argv);
  if (absl::Status s = args.CheckFlags(); !s.ok()) return Fail(s.message());
  absl::ParseCommandLine(args.argc(), args.argv());
  if (absl::Status s = CheckFlags(); !s.ok()) return Fail(s.message());

  acmeva::dnstestsrv::RecordStore store;
  acmeva::dnstestsrv::FaultTable faults;
  std::unique_ptr<acmeva::dnstestsrv::RequestHistory> history;
  if (absl::GetFlag(FLAGS_history)) {
    history = std::make_unique<acmeva::dnstestsrv::RequestHistory>(
        static_cast<size_t>(absl::GetFlag(FLAGS_history_size)));
  }
  acmeva::dnstestsrv::ManagementApi api(&store, &faults, history.get());
  if (const std::string path = absl::GetFlag(FLAGS_records); !path.empty()) {
    if (absl::Status s = api.LoadRecordsFile(path); !s.ok()) {
      return Fail(s.message());
    }
  }
  acmeva::dnstestsrv::ResponderOptions responder_options;
  responder_options.ttl = static_cast<uint32_t>(absl::GetFlag(FLAGS_ttl));
  acmeva::dnstestsrv::Responder responder(&store, &faults, history.get(),
                                          responder_options);

  acmeva::dnstestsrv::DnsServerOptions dns_options;
  dns_options.address = absl::GetFlag(FLAGS_dns01);
  dns_options.udp_threads = absl::GetFlag(FLAGS_udp_threads);
  auto dns = acmeva::dnstestsrv::DnsServer::Start(dns_options, &responder);
  if (!dns.ok()) {
    return Fail(absl::StrCat("--dns01: DNS server: ", dns.status().message()));
  }
  auto http = common::HttpServer::Start(
      absl::GetFlag(FLAGS_management),
      [&api](const common::HttpRequest& r) { return api.Handle(r); });
  if (!http.ok()) {
    return Fail(absl::StrCat("--management: management server: ",
                             http.status().message()));
  }
  // Tests wait for "management on <address>," in this line.
  common::Log(
      "info",
      absl::StrCat("dnstestsrv: DNS on ", (*dns)->address().ToString(),
                   " (udp+tcp), management on ", (*http)->address().ToString(),
                   ", history ", history ? "on" : "off"));

  const int signal_number = stop_signals.Wait();
  common::Log("info", "dnstestsrv: shutting down",
              common::JsonFields().Int("signal", signal_number));
  (*http)->Shutdown();
  (*dns)->Shutdown();
  return 0;
}
