// va: the validation authority's gRPC server (va.VA/DoDCV and va.CAA/DoCAA).
// A thin main: flags, wiring, signals. The logic lives in va/.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/cli.h"
#include "common/grpc_callback_queue.h"
#include "common/grpc_listener.h"
#include "common/grpc_tls.h"
#include "common/http_server.h"
#include "common/json_log.h"
#include "common/metrics.h"
#include "va/dns/cares_resolver.h"
#include "va/dns_metrics.h"
#include "va/remote_perspectives.h"
#include "va/remote_va_config.h"
#include "va/service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9092", "gRPC listen address");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics address (empty: off)");
ABSL_FLAG(std::vector<std::string>, dns_resolvers, {},
          "Recursive resolvers, ip:port or [ipv6]:port, comma-separated");
ABSL_FLAG(absl::Duration, dns_timeout, absl::Seconds(1),
          "Maximum timeout of one DNS try");
ABSL_FLAG(absl::Duration, dns_min_timeout, absl::Milliseconds(100),
          "Floor of the adaptive per-try timeout, and the least time between "
          "the starts of two tries to one resolver (a refused try is not "
          "re-sent at once)");
ABSL_FLAG(bool, dns_adaptive_timeout, true,
          "Tune each try's timeout from the resolver's observed response "
          "times (between --dns-min-timeout and --dns-timeout)");
ABSL_FLAG(int, dns_tries, 10,
          "Maximum DNS tries per lookup, the first included. Higher than "
          "Boulder's 3 because adaptive timeouts make a try on a healthy "
          "resolver cost ~100 ms, and the retry budget, not this cap, bounds "
          "the load retries add: with 1 query in 3 lost, 10 tries keep "
          "99.99% of dns-01+CAA validations valid where 3 keep 86%");
ABSL_FLAG(absl::Duration, dns_backoff_base, absl::Milliseconds(50),
          "Backoff before the first retry (full jitter, doubling)");
ABSL_FLAG(absl::Duration, dns_backoff_cap, absl::Seconds(1),
          "Longest backoff between tries");
ABSL_FLAG(bool, dns_retry_servfail, false,
          "Also retry SERVFAIL answers (off: a validating recursor's SERVFAIL "
          "is usually a verdict, and retrying it loads a failing zone)");
ABSL_FLAG(double, dns_retry_budget_ratio, 1.0,
          "Retries allowed per first try within the last 10 s, VA-wide (0 "
          "disables the budget). 1.0 bounds the DNS load retries add to 2x "
          "the first tries (an outage costs at most one retry per lookup), "
          "and carries loss up to 50% (1 query in 3 lost needs 0.5)");
ABSL_FLAG(double, dns_retry_budget_floor, 20,
          "Retries per second always allowed by the budget: a reserve of 10x "
          "this per 10 s window, so a quiet VA's few lookups can each retry "
          "through a resolver restart");
ABSL_FLAG(int, dns_loop_threads, 1, "DNS event-loop threads");
ABSL_FLAG(std::string, issuer_domain, "",
          "This CA's CAA issuer domain, e.g. letsencrypt.org");
ABSL_FLAG(std::vector<std::string>, account_uri_prefixes, {},
          "Account URI prefixes for CAA accounturi (URI = prefix + ID)");
ABSL_FLAG(std::string, perspective, "Primary", "This VA's perspective name");
ABSL_FLAG(std::string, rir, "", "This VA's RIR (ARIN, RIPE, APNIC, ...)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain");
ABSL_FLAG(std::string, tls_key, "", "PEM private key");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA that verifies clients (mTLS)");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "How often --tls-cert, --tls-key and --tls-ca are read again: "
          "rotate certificates by replacing the files (whole seconds, >= 1s)");
ABSL_FLAG(std::vector<std::string>, tls_client_names, {},
          "Client certificate SAN DNS names allowed to call (empty: any "
          "certificate from --tls-ca)");
ABSL_FLAG(bool, plaintext, false,
          "Serve without TLS (local use only; must be asked for explicitly)");
ABSL_FLAG(int, min_remote_perspectives, va::kDefaultMinRemotePerspectives,
          "With --remote-va: fewer remotes than this fail every validation "
          "(CA/B Forum BR 3.2.2.9: 3 since 2026-03-15, 5 from 2026-12-15)");
ABSL_FLAG(absl::Duration, remote_timeout, absl::Seconds(15),
          "Timeout of a call to a remote VA (always inside the caller's "
          "deadline)");
ABSL_FLAG(std::string, remote_server_name, "",
          "Name expected in remote VAs' certificates (default: the host of "
          "each --remote-va address)");
ABSL_FLAG(absl::Duration, default_timeout, absl::Seconds(30),
          "Validation budget when the caller sets no deadline");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(15),
          "On SIGTERM, how long in-flight validations may finish");

namespace {

absl::Notification g_stop;

void OnSignal(int) {
  // Only async-signal-safe work here; the main thread does the rest.
  if (!g_stop.HasBeenNotified()) g_stop.Notify();
}

int Fail(const std::string& msg) {
  common::Log("error", msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's absl is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would run deadlock detection: about 9% of the VA's CPU.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "ACME validation authority: dns-01 and CAA over gRPC");
  // --remote-va repeats, which absl flags can't express: take those first.
  common::NormalizedArgs args(argc, argv);
  absl::StatusOr<std::vector<std::string>> extracted =
      args.ExtractRepeated("remote-va", "host:port,PERSPECTIVE,RIR");
  if (!extracted.ok()) return Fail(std::string(extracted.status().message()));
  std::vector<std::string> remote_va_args = *std::move(extracted);
  absl::ParseCommandLine(args.argc(), args.argv());

  common::MetricsRegistry metrics;
  va::DnsMetrics dns_metrics(&metrics);

  va::dns::CaresResolverOptions dns_options;
  dns_options.servers = absl::GetFlag(FLAGS_dns_resolvers);
  dns_options.retry.max_tries = absl::GetFlag(FLAGS_dns_tries);
  dns_options.retry.per_try_timeout = absl::GetFlag(FLAGS_dns_timeout);
  dns_options.retry.min_try_timeout = absl::GetFlag(FLAGS_dns_min_timeout);
  dns_options.retry.backoff_base = absl::GetFlag(FLAGS_dns_backoff_base);
  dns_options.retry.backoff_cap = absl::GetFlag(FLAGS_dns_backoff_cap);
  dns_options.retry.retry_servfail = absl::GetFlag(FLAGS_dns_retry_servfail);
  dns_options.rtt.enabled = absl::GetFlag(FLAGS_dns_adaptive_timeout);
  dns_options.budget.enabled = absl::GetFlag(FLAGS_dns_retry_budget_ratio) > 0;
  dns_options.budget.ratio = absl::GetFlag(FLAGS_dns_retry_budget_ratio);
  dns_options.budget.floor_per_second =
      absl::GetFlag(FLAGS_dns_retry_budget_floor);
  dns_options.loop_threads = absl::GetFlag(FLAGS_dns_loop_threads);
  dns_options.observer = &dns_metrics;
  if (dns_options.servers.empty()) {
    return Fail("--dns-resolvers: at least one resolver is required");
  }
  auto resolver = va::dns::CaresResolver::Create(dns_options);
  if (!resolver.ok()) {
    return Fail(absl::StrCat("--dns-resolvers: ", resolver.status().message()));
  }

  va::ServiceConfig config;
  config.perspective = absl::GetFlag(FLAGS_perspective);
  config.rir = absl::GetFlag(FLAGS_rir);
  config.caa.issuer_domain = absl::GetFlag(FLAGS_issuer_domain);
  config.caa.account_uri_prefixes = absl::GetFlag(FLAGS_account_uri_prefixes);
  config.deadline.default_timeout = absl::GetFlag(FLAGS_default_timeout);
  if (config.caa.issuer_domain.empty()) {
    return Fail("--issuer-domain is required (this CA's CAA identity)");
  }

  common::TlsFiles tls;
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.plaintext = absl::GetFlag(FLAGS_plaintext);
  tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  tls.metrics = &metrics;
  tls.allowed_client_names = absl::GetFlag(FLAGS_tls_client_names);
  auto server_creds = common::MakeServerCredentials(tls);
  if (!server_creds.ok())
    return Fail(std::string(server_creds.status().message()));

  // Remote perspectives (primary only): the same binary, asked after a local
  // success.
  // Declared before the services so it is destroyed after the server stops.
  std::unique_ptr<va::RemotePerspectives> remotes;
  if (!remote_va_args.empty()) {
    auto parsed = va::ParseRemoteVas(remote_va_args);
    if (!parsed.ok()) return Fail(std::string(parsed.status().message()));
    va::RemotePerspectivesConfig rc;
    rc.remotes = *std::move(parsed);
    rc.min_remote_perspectives = absl::GetFlag(FLAGS_min_remote_perspectives);
    rc.remote_timeout = absl::GetFlag(FLAGS_remote_timeout);
    rc.tls = tls;
    rc.tls.server_name_override = absl::GetFlag(FLAGS_remote_server_name);
    auto created = va::RemotePerspectives::Create(rc, &metrics);
    if (!created.ok()) {
      return Fail(absl::StrCat("--remote-va: ", created.status().message()));
    }
    remotes = *std::move(created);
  }

  va::ServiceDeps deps;
  deps.resolver = resolver->get();
  deps.corroborator = remotes.get();
  deps.metrics = &metrics;
  deps.config = config;
  va::VaService va_service(deps);
  va::CaaService caa_service(deps);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Not GRPC_ARG_MINIMAL_STACK: it would save ~8% CPU per call, but in
  // gRPC 1.51 it also drops the filter that enforces the message size limit.
  builder.RegisterService(&va_service);
  builder.RegisterService(&caa_service);
  common::KeepGrpcCallbackQueue();
  // Our own accept loop and the shared limits (common/grpc_listener.h).
  auto listener = common::GrpcListener::Start(
      builder, {absl::GetFlag(FLAGS_listen), *server_creds, {}, &metrics});
  if (!listener.ok()) {
    return Fail(absl::StrCat("--listen: cannot serve on ",
                             absl::GetFlag(FLAGS_listen), ": ",
                             listener.status().message()));
  }
  const int bound_port = (*listener)->port();

  std::unique_ptr<common::HttpServer> metrics_server;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    auto started = common::HttpServer::Start(
        absl::GetFlag(FLAGS_metrics_listen),
        [&metrics](const common::HttpRequest& req) {
          common::HttpResponse resp;
          if (req.path != "/metrics") {
            resp.status = 404;
            resp.body = "not found\n";
            return resp;
          }
          resp.content_type = "text/plain; version=0.0.4";
          resp.body = metrics.Render();
          return resp;
        });
    if (!started.ok()) {
      return Fail(
          absl::StrCat("--metrics-listen: ", started.status().message()));
    }
    metrics_server = *std::move(started);
  }

  common::Log("info", "va serving",
              common::JsonFields()
                  .Str("listen", absl::GetFlag(FLAGS_listen))
                  .Int("port", bound_port)
                  .Str("perspective", config.perspective)
                  .Str("rir", config.rir)
                  .Strs("resolvers", dns_options.servers)
                  .Int("dnsTries", dns_options.retry.max_tries)
                  .Int("remotes", static_cast<int64_t>(remote_va_args.size()))
                  .Bool("tls", !tls.plaintext));

  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  g_stop.WaitForNotification();

  // Drain: stop accepting, let in-flight validations finish (their DNS work
  // is bounded by their deadlines), then tear down the resolver.
  common::Log("info", "va draining");
  (*listener)->Shutdown(absl::Now() + absl::GetFlag(FLAGS_drain_timeout));
  if (metrics_server) metrics_server->Shutdown();
  resolver->reset();
  common::Log("info", "va stopped");
  return 0;
}
