// va: the validation authority's gRPC server (va.VA/DoDCV and va.CAA/DoCAA).
// A thin main: the VA's own flags (TLS flags: common/tls_flags.cc), wiring
// in small functions below, the gRPC server set-up in common/serve_grpc.cc.
// The logic lives in va/.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cmd/va/compliance.h"
#include "common/cli.h"
#include "common/http_server.h"
#include "common/json_log.h"
#include "common/metrics.h"
#include "common/program.h"
#include "common/serve_grpc.h"
#include "common/stop_signals.h"
#include "common/tls_flags.h"
#include "va/dns/cares_resolver.h"
#include "va/dns_metrics.h"
#include "va/in_flight_validations.h"
#include "va/remote_perspectives.h"
#include "va/remote_va_config.h"
#include "va/service.h"

namespace common = acmeva::common;
namespace vacmd = acmeva::vacmd;

ABSL_FLAG(std::string, listen, "127.0.0.1:9092", "gRPC listen address");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics address (empty: off)");
ABSL_FLAG(std::vector<std::string>, dns_resolvers, {},
          "Recursive resolvers, ip:port or [ipv6]:port, comma-separated");
ABSL_FLAG(absl::Duration, dns_timeout, absl::Seconds(1),
          "How long every DNS try waits for its answer (hedged tries "
          "included); a lookup times out only when all its tries had this");
ABSL_FLAG(absl::Duration, dns_min_timeout, absl::Milliseconds(100),
          "Earliest point to hedge a try, and the least time between "
          "the starts of two tries to one resolver (a refused try is not "
          "re-sent at once)");
ABSL_FLAG(bool, dns_adaptive_timeout, true,
          "Send the next (hedged) try once the resolver's observed answer "
          "times say the open one is late (between --dns-min-timeout and "
          "--dns-timeout); off: only after it timed out, as Boulder does");
ABSL_FLAG(int, dns_tries, 10,
          "Maximum DNS tries per lookup, the first included. Higher than "
          "Boulder's 3 because a hedged try on a healthy resolver is sent "
          "after ~100 ms, and the retry budget, not this cap, bounds "
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
ABSL_FLAG(int, min_remote_perspectives, 0,
          "With --remote-va: fewer remotes than this fail every validation. "
          "0: the CA/B Forum BR 3.2.2.9 minimum in force today (4 since "
          "2026-06-15, 5 from 2026-12-15); a value may only raise it");
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

constexpr char kUsage[] =
    "ACME validation authority: dns-01 and CAA over gRPC\n"
    "  va --dns-resolvers ip:port --issuer-domain D (--tls-cert F --tls-key F "
    "--tls-ca F | --plaintext) [--remote-va host:port,PERSPECTIVE,RIR ...]";

// Values that cannot work are refused before anything starts, each error
// naming its flag.
absl::Status CheckFlags() {
  common::FlagChecks checks;
  checks.InRange(FLAGS_dns_tries, 1, 100)
      .InRange(FLAGS_dns_loop_threads, 1, 64)
      .Positive(FLAGS_dns_timeout)
      .Positive(FLAGS_dns_min_timeout)
      .Require(FLAGS_dns_min_timeout,
               absl::GetFlag(FLAGS_dns_min_timeout) <=
                   absl::GetFlag(FLAGS_dns_timeout),
               "must not exceed --dns-timeout")
      .AtLeast(FLAGS_dns_backoff_base, absl::ZeroDuration())
      .AtLeast(FLAGS_dns_backoff_cap, absl::GetFlag(FLAGS_dns_backoff_base))
      .AtLeast(FLAGS_dns_retry_budget_ratio, 0.0)
      .AtLeast(FLAGS_dns_retry_budget_floor, 0.0)
      .Require(FLAGS_dns_resolvers, !absl::GetFlag(FLAGS_dns_resolvers).empty(),
               "at least one resolver is required")
      .Require(FLAGS_issuer_domain, !absl::GetFlag(FLAGS_issuer_domain).empty(),
               "required (this CA's CAA identity)")
      .AtLeast(FLAGS_min_remote_perspectives, 0)
      .Positive(FLAGS_remote_timeout)
      .Positive(FLAGS_default_timeout)
      .AtLeast(FLAGS_drain_timeout, absl::ZeroDuration());
  return checks.status();
}

absl::StatusOr<std::unique_ptr<acmeva::va::dns::CaresResolver>> StartResolver(
    acmeva::va::DnsMetrics* observer,
    const acmeva::va::dns::ResolverHealth* health) {
  acmeva::va::dns::CaresResolverOptions options;
  options.servers = absl::GetFlag(FLAGS_dns_resolvers);
  options.retry.max_tries = absl::GetFlag(FLAGS_dns_tries);
  options.retry.per_try_timeout = absl::GetFlag(FLAGS_dns_timeout);
  options.retry.min_try_timeout = absl::GetFlag(FLAGS_dns_min_timeout);
  options.retry.backoff_base = absl::GetFlag(FLAGS_dns_backoff_base);
  options.retry.backoff_cap = absl::GetFlag(FLAGS_dns_backoff_cap);
  options.retry.retry_servfail = absl::GetFlag(FLAGS_dns_retry_servfail);
  options.rtt.enabled = absl::GetFlag(FLAGS_dns_adaptive_timeout);
  options.budget.enabled = absl::GetFlag(FLAGS_dns_retry_budget_ratio) > 0;
  options.budget.ratio = absl::GetFlag(FLAGS_dns_retry_budget_ratio);
  options.budget.floor_per_second = absl::GetFlag(FLAGS_dns_retry_budget_floor);
  options.loop_threads = absl::GetFlag(FLAGS_dns_loop_threads);
  options.observer = observer;
  options.health = health;
  auto resolver = acmeva::va::dns::CaresResolver::Create(options);
  // The other DNS flags were checked above: what is left is an address.
  if (!resolver.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dns-resolvers: ", resolver.status().message()));
  }
  return resolver;
}

acmeva::va::ServiceConfig ServiceConfigFromFlags() {
  acmeva::va::ServiceConfig config;
  config.perspective = absl::GetFlag(FLAGS_perspective);
  config.rir = absl::GetFlag(FLAGS_rir);
  config.caa.issuer_domain = absl::GetFlag(FLAGS_issuer_domain);
  config.caa.account_uri_prefixes = absl::GetFlag(FLAGS_account_uri_prefixes);
  config.deadline.default_timeout = absl::GetFlag(FLAGS_default_timeout);
  return config;
}

// Remote perspectives (primary only): the same binary, asked after a local
// success. Null without --remote-va.
absl::StatusOr<std::unique_ptr<acmeva::va::RemotePerspectives>> StartRemotes(
    const std::vector<std::string>& remote_va_args, const common::TlsFiles& tls,
    common::MetricsRegistry* metrics) {
  if (remote_va_args.empty()) return nullptr;
  auto parsed = acmeva::va::ParseRemoteVas(remote_va_args);
  if (!parsed.ok()) return parsed.status();
  acmeva::va::RemotePerspectivesConfig config;
  config.remotes = *std::move(parsed);
  auto minimum = vacmd::MpicMinimumAtStartup(
      config.remotes, absl::GetFlag(FLAGS_min_remote_perspectives));
  if (!minimum.ok()) return minimum.status();
  config.min_remote_perspectives = *minimum;
  config.remote_timeout = absl::GetFlag(FLAGS_remote_timeout);
  config.tls = tls;
  config.tls.server_name_override = absl::GetFlag(FLAGS_remote_server_name);
  auto created = acmeva::va::RemotePerspectives::Create(config, metrics);
  if (!created.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--remote-va: ", created.status().message()));
  }
  return created;
}

// va.VA and va.CAA on --listen, with health checking and reflection.
absl::StatusOr<common::GrpcServer> StartGrpcServer(
    const common::TlsFiles& tls, std::vector<grpc::Service*> services,
    common::MetricsRegistry* metrics) {
  common::GrpcServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls = tls;
  options.services = std::move(services);
  // A real request is well under 1 KiB; gRPC's default (4 MiB) would let
  // any caller make the VA buffer megabytes per call.
  options.max_receive_message_bytes = 64 * 1024;
  options.health_and_reflection = true;
  options.metrics = metrics;      // the listener's flood metrics
  options.tls.metrics = metrics;  // TLS reload failures
  return common::ServeGrpc(options);
}

// Prometheus /metrics on --metrics-listen; null when that is empty.
absl::StatusOr<std::unique_ptr<common::HttpServer>> StartMetricsServer(
    common::MetricsRegistry* metrics) {
  const std::string address = absl::GetFlag(FLAGS_metrics_listen);
  if (address.empty()) return nullptr;
  auto started = common::HttpServer::Start(
      address, [metrics](const common::HttpRequest& req) {
        common::HttpResponse resp;
        if (req.path != "/metrics") {
          resp.status = 404;
          resp.body = "not found\n";
          return resp;
        }
        resp.content_type = "text/plain; version=0.0.4";
        resp.body = metrics->Render();
        return resp;
      });
  if (!started.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen: ", started.status().message()));
  }
  return started;
}

void LogServing(int port, const acmeva::va::ServiceConfig& config, bool tls,
                size_t remotes) {
  common::Log("info", "va serving",
              common::JsonFields()
                  .Str("listen", absl::GetFlag(FLAGS_listen))
                  .Int("port", port)
                  .Str("perspective", config.perspective)
                  .Str("rir", config.rir)
                  .Strs("resolvers", absl::GetFlag(FLAGS_dns_resolvers))
                  .Int("dnsTries", absl::GetFlag(FLAGS_dns_tries))
                  .Int("remotes", static_cast<int64_t>(remotes))
                  .Bool("tls", tls));
}

// Stops taking calls and gives those in flight until `timeout` to be
// answered. gRPC cancels any still unanswered then: their callers get
// CANCELLED, so each is audited as abandoned and the exit status says the
// drain expired. (One that was answering just as time ran out may be
// reported too: the record errs towards saying more.)
int DrainAndStop(common::GrpcListener* listener,
                 const acmeva::va::InFlightValidations& in_flight,
                 absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Notification stopped;
  std::atomic<bool> expired{false};
  std::thread watchdog([&] {
    if (stopped.WaitForNotificationWithDeadline(deadline)) return;
    const std::vector<acmeva::va::InFlightValidations::Validation> abandoned =
        in_flight.Snapshot();
    if (abandoned.empty()) return;
    expired = true;
    for (const auto& v : abandoned) {
      common::Log(
          "audit", "Validation abandoned at drain",
          common::JsonFields()
              .Str("kind", v.kind)
              .Str("identifier", v.identifier)
              .Str("method", v.method)
              .Int("authzID", v.authz_id)
              .Int("accountID", v.account_id)
              .Num("ageMs", absl::ToDoubleMilliseconds(absl::Now() - v.start)));
    }
    common::Log("error", "va drain expired",
                common::JsonFields()
                    .Int("abandoned", static_cast<int64_t>(abandoned.size()))
                    .Str("drainTimeout", absl::FormatDuration(timeout)));
  });
  listener->Shutdown(deadline);  // stops accepting, then drains and waits
  stopped.Notify();
  watchdog.join();
  return expired ? common::kExitDrainExpired : 0;
}

}  // namespace

int main(int argc, char** argv) {
  common::StopSignals stop_signals("va");  // first: before any thread starts
  common::StartProgram(kUsage);
  // --remote-va repeats, which absl flags can't express: take those first.
  common::NormalizedArgs args(argc, argv);
  auto remote_va_args =
      args.ExtractRepeated("remote-va", "host:port,PERSPECTIVE,RIR");
  if (!remote_va_args.ok()) return common::StartFailed(remote_va_args.status());
  if (absl::Status s = args.CheckFlags(); !s.ok()) {
    return common::StartFailed(s);
  }
  absl::ParseCommandLine(args.argc(), args.argv());
  if (absl::Status s = CheckFlags(); !s.ok()) return common::StartFailed(s);

  auto tls = common::ServerTlsFilesFromFlags();
  if (!tls.ok()) return common::StartFailed(tls.status());
  common::MetricsRegistry metrics;
  acmeva::va::DnsMetrics dns_metrics(&metrics);
  auto canary =
      vacmd::StartDnssecCanary(absl::GetFlag(FLAGS_dns_resolvers), &metrics);
  if (!canary.ok()) return common::StartFailed(canary.status());
  const acmeva::va::dns::ResolverHealth* dnssec_health =
      *canary ? (*canary)->health() : nullptr;
  auto resolver = StartResolver(&dns_metrics, dnssec_health);
  if (!resolver.ok()) return common::StartFailed(resolver.status());
  // Declared before the services so it is destroyed after the server stops.
  auto remotes = StartRemotes(*remote_va_args, *tls, &metrics);
  if (!remotes.ok()) return common::StartFailed(remotes.status());

  acmeva::va::ServiceDeps deps;
  deps.resolver = resolver->get();
  deps.corroborator = remotes->get();
  deps.metrics = &metrics;
  deps.dnssec_health = dnssec_health;
  acmeva::va::InFlightValidations in_flight;
  deps.in_flight = &in_flight;
  deps.config = ServiceConfigFromFlags();
  acmeva::va::VaService va_service(deps);
  acmeva::va::CaaService caa_service(deps);
  auto server = StartGrpcServer(*tls, {&va_service, &caa_service}, &metrics);
  if (!server.ok()) return common::StartFailed(server.status());
  vacmd::ReportDnssecHealth(canary->get(),
                            server->server()->GetHealthCheckService());
  auto metrics_server = StartMetricsServer(&metrics);
  if (!metrics_server.ok()) return common::StartFailed(metrics_server.status());
  LogServing(server->port, deps.config, !tls->plaintext,
             remote_va_args->size());

  const int signal_number = stop_signals.Wait();
  common::Log("info", "va draining",
              common::JsonFields().Int("signal", signal_number));
  // Validations' DNS work is bounded by their deadlines, so the server stops
  // before the resolver goes.
  const int status = DrainAndStop(server->listener.get(), in_flight,
                                  absl::GetFlag(FLAGS_drain_timeout));
  if (*metrics_server) (*metrics_server)->Shutdown();
  if (*canary) (*canary)->Stop();
  resolver->reset();
  common::Log("info", "va stopped", common::JsonFields().Int("exit", status));
  return status;
}
