// dnstestsrv: a programmable authoritative DNS server for tests, demos and
// benchmarks. DNS on --dns01 (UDP and TCP), management API on --management.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/http_server.h"
#include "dnstestsrv/dns_server.h"
#include "dnstestsrv/fault_table.h"
#include "dnstestsrv/management_api.h"
#include "dnstestsrv/record_store.h"
#include "dnstestsrv/request_history.h"
#include "dnstestsrv/responder.h"

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

int main(int argc, char** argv) {
  // Debian's absl is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would run deadlock detection: about 9% of the VA's CPU.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "dnstestsrv --dns01 host:port --management host:port [--records FILE] "
      "[--history=true|false]");
  absl::ParseCommandLine(argc, argv);

  // Block the stop signals before any thread starts, so that only the
  // sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  dnstestsrv::RecordStore store;
  dnstestsrv::FaultTable faults;
  std::unique_ptr<dnstestsrv::RequestHistory> history;
  if (absl::GetFlag(FLAGS_history)) {
    history = std::make_unique<dnstestsrv::RequestHistory>(
        static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_history_size))));
  }
  dnstestsrv::ManagementApi api(&store, &faults, history.get());
  if (const std::string path = absl::GetFlag(FLAGS_records); !path.empty()) {
    if (absl::Status s = api.LoadRecordsFile(path); !s.ok()) {
      absl::FPrintF(stderr, "dnstestsrv: %s\n", s.message());
      return 2;
    }
  }
  dnstestsrv::ResponderOptions responder_options;
  responder_options.ttl =
      static_cast<uint32_t>(std::max(0, absl::GetFlag(FLAGS_ttl)));
  dnstestsrv::Responder responder(&store, &faults, history.get(),
                                  responder_options);

  dnstestsrv::DnsServerOptions dns_options;
  dns_options.address = absl::GetFlag(FLAGS_dns01);
  dns_options.udp_threads = absl::GetFlag(FLAGS_udp_threads);
  auto dns = dnstestsrv::DnsServer::Start(dns_options, &responder);
  if (!dns.ok()) {
    absl::FPrintF(stderr, "dnstestsrv: DNS server: %s\n",
                  dns.status().message());
    return 1;
  }
  auto http = common::HttpServer::Start(
      absl::GetFlag(FLAGS_management),
      [&api](const common::HttpRequest& r) { return api.Handle(r); });
  if (!http.ok()) {
    absl::FPrintF(stderr, "dnstestsrv: management server: %s\n",
                  http.status().message());
    return 1;
  }
  absl::FPrintF(stderr,
                "dnstestsrv: DNS on %s (udp+tcp), management on %s, history "
                "%s\n",
                (*dns)->address().ToString(), (*http)->address().ToString(),
                history ? "on" : "off");

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  absl::FPrintF(stderr, "dnstestsrv: signal %d, shutting down\n",
                signal_number);
  (*http)->Shutdown();
  (*dns)->Shutdown();
  return 0;
}
