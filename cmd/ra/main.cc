// ra: the registration-authority stub. Creates dns-01 authorizations and
// validates them through the VA, retrying transient failures (RFC 8555
// §8.2). State lives in one SQLite file; SIGTERM drains. A thin main: the
// RA's own flags (TLS flags: common/tls_flags.cc) and its wiring.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/json_log.h"
#include "common/program.h"
#include "common/serve_grpc.h"
#include "common/stop_signals.h"
#include "common/tls_flags.h"
#include "ra/authz_waiters.h"
#include "ra/scheduler.h"
#include "ra/service.h"
#include "ra/sqlite_store.h"
#include "ra/va_client.h"
#include "ra/validation_runner.h"

namespace common = acmeva::common;

ABSL_FLAG(std::string, listen, "127.0.0.1:9094", "host:port to serve on");
ABSL_FLAG(std::vector<std::string>, va, {},
          "VA addresses host:port[,host:port...]; each serves va.VA and "
          "va.CAA");
ABSL_FLAG(std::string, db, "ra.sqlite", "SQLite database file");
ABSL_FLAG(std::string, va_server_name, "",
          "name expected in the VAs' certificates (default: the host part)");
ABSL_FLAG(absl::Duration, valid_authz_lifetime, absl::Hours(7),
          "lifetime of a valid authorization (7h: within the 8h the Baseline "
          "Requirements allow relying on a CAA check, since this RA does not "
          "recheck CAA at issuance)");
ABSL_FLAG(absl::Duration, pending_authz_lifetime, absl::Hours(7 * 24),
          "lifetime of a pending authorization");
ABSL_FLAG(bool, revalidation, true,
          "retry transiently failed validations (RFC 8555 §8.2); false = one "
          "attempt, like Boulder");
ABSL_FLAG(int, revalidation_max_attempts, 3,
          "validation attempts in total, the first included");
ABSL_FLAG(absl::Duration, revalidation_window, absl::Minutes(2),
          "no retry starts later than this after the first attempt");
ABSL_FLAG(absl::Duration, revalidation_initial_backoff, absl::Seconds(10),
          "delay before the first retry (doubles per retry, jittered down by "
          "up to half)");
ABSL_FLAG(absl::Duration, va_timeout, absl::Seconds(20),
          "deadline of one attempt: DoDCV and DoCAA together, failover "
          "included");
ABSL_FLAG(std::string, instance_id, "ra",
          "name of this RA instance; instances sharing one database need "
          "distinct names");
ABSL_FLAG(int, workers, 4, "worker threads for storage and scheduling");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(30),
          "on SIGTERM: time for RPCs and validations in flight to finish");

namespace {

constexpr char kUsage[] =
    "ra --listen host:port --va host:port[,host:port...] --db PATH "
    "(--tls-cert F --tls-key F --tls-ca F | --plaintext)";

// Values that cannot work are refused before anything starts, each error
// naming its flag.
absl::Status CheckFlags() {
  common::FlagChecks checks;
  checks.Positive(FLAGS_valid_authz_lifetime)
      .Positive(FLAGS_pending_authz_lifetime)
      .AtLeast(FLAGS_revalidation_max_attempts, 1)
      .AtLeast(FLAGS_revalidation_window, absl::ZeroDuration())
      .AtLeast(FLAGS_revalidation_initial_backoff, absl::ZeroDuration())
      .Positive(FLAGS_va_timeout)
      .InRange(FLAGS_workers, 1, 256)
      .Require(FLAGS_db, !absl::GetFlag(FLAGS_db).empty(), "required")
      .AtLeast(FLAGS_drain_timeout, absl::ZeroDuration());
  return checks.status();
}

// The VAs from --va, repeated or comma-separated.
absl::StatusOr<std::vector<std::string>> VaAddresses(
    common::NormalizedArgs* args) {
  auto repeated = args->ExtractRepeated("va", "host:port[,host:port...]");
  if (!repeated.ok()) return repeated.status();
  std::vector<std::string> vas;
  for (const std::string& value : *repeated) {
    for (absl::string_view va : absl::StrSplit(value, ',', absl::SkipEmpty())) {
      vas.emplace_back(va);
    }
  }
  return vas;
}

absl::StatusOr<std::unique_ptr<acmeva::ra::VaClient>> ConnectVas(
    const std::vector<std::string>& vas, const common::TlsFiles& tls) {
  common::TlsFiles va_tls = tls;
  va_tls.allowed_client_names.clear();
  va_tls.server_name_override = absl::GetFlag(FLAGS_va_server_name);
  auto credentials = common::MakeChannelCredentials(va_tls);
  if (!credentials.ok()) return credentials.status();
  acmeva::ra::GrpcVaClientOptions options;
  options.addresses = vas;
  options.credentials = *credentials;
  return acmeva::ra::NewGrpcVaClient(options);
}

acmeva::ra::RunnerOptions RunnerOptionsFromFlags() {
  acmeva::ra::RunnerOptions options;
  options.instance_id = absl::GetFlag(FLAGS_instance_id);
  options.valid_authz_lifetime = absl::GetFlag(FLAGS_valid_authz_lifetime);
  options.va_timeout = absl::GetFlag(FLAGS_va_timeout);
  options.policy.max_attempts =
      absl::GetFlag(FLAGS_revalidation)
          ? absl::GetFlag(FLAGS_revalidation_max_attempts)
          : 1;
  options.policy.window = absl::GetFlag(FLAGS_revalidation_window);
  options.policy.initial_backoff =
      absl::GetFlag(FLAGS_revalidation_initial_backoff);
  return options;
}

void LogServing(int port, const std::vector<std::string>& vas,
                const std::string& owner,
                const acmeva::ra::RunnerOptions& runner) {
  common::Log(
      "info", "ra serving",
      common::JsonFields()
          .Str("listen", absl::GetFlag(FLAGS_listen))
          .Int("port", port)
          .Strs("va", vas)
          .Str("db", absl::GetFlag(FLAGS_db))
          .Str("owner", owner)
          .Int("revalidationMaxAttempts", runner.policy.max_attempts)
          .Str("revalidationWindow", absl::FormatDuration(runner.policy.window))
          .Str("validAuthzLifetime",
               absl::FormatDuration(runner.valid_authz_lifetime)));
}

// Long polls answer now; RPCs in flight finish; no new ones are taken;
// validation attempts in flight are recorded. Attempts still waiting for a
// VA when `timeout` is up keep their leases and resume on the next start;
// they are counted, and the exit status says the drain expired.
int Drain(acmeva::ra::RaService* service, common::GrpcListener* listener,
          acmeva::ra::ValidationRunner* runner, absl::Duration timeout) {
  service->StartShutdown();
  listener->Shutdown(absl::Now() + timeout);  // stops accepting, waits
  runner->Drain(timeout);
  const int abandoned = runner->in_flight();
  if (abandoned == 0) return 0;
  common::Log("error", "ra drain expired",
              common::JsonFields()
                  .Int("abandoned", abandoned)
                  .Str("drainTimeout", absl::FormatDuration(timeout))
                  .Str("note",
                       "their leases stay; the next start re-runs those "
                       "validation attempts"));
  return common::kExitDrainExpired;
}

}  // namespace

int main(int argc, char** argv) {
  common::StopSignals stop_signals("ra");  // first: before any thread starts
  common::StartProgram(kUsage);
  // --dashed-names as documented; --va may also be repeated.
  common::NormalizedArgs args(argc, argv);
  auto repeated_vas = VaAddresses(&args);
  if (!repeated_vas.ok()) return common::StartFailed(repeated_vas.status());
  if (absl::Status s = args.CheckFlags(); !s.ok()) {
    return common::StartFailed(s);
  }
  absl::ParseCommandLine(args.argc(), args.argv());
  if (absl::Status s = CheckFlags(); !s.ok()) return common::StartFailed(s);
  const std::vector<std::string> vas =
      repeated_vas->empty() ? absl::GetFlag(FLAGS_va) : *repeated_vas;
  if (vas.empty()) return common::StartFailed("--va is required");

  auto tls = common::ServerTlsFilesFromFlags();
  if (!tls.ok()) return common::StartFailed(tls.status());
  acmeva::ra::SqliteStore::Options store_options;
  store_options.path = absl::GetFlag(FLAGS_db);
  auto store = acmeva::ra::SqliteStore::Open(store_options);
  if (!store.ok()) return common::StartFailed(store.status().ToString());
  auto va_client = ConnectVas(vas, *tls);
  if (!va_client.ok()) return common::StartFailed(va_client.status());

  const acmeva::ra::RunnerOptions runner_options = RunnerOptionsFromFlags();
  acmeva::ra::Scheduler scheduler(absl::GetFlag(FLAGS_workers));
  acmeva::ra::AuthzWaiters waiters;
  auto runner = std::make_unique<acmeva::ra::ValidationRunner>(
      store->get(), va_client->get(), &scheduler, runner_options,
      [&waiters](int64_t id) { waiters.Notify(id); });
  acmeva::ra::ServiceOptions service_options;
  service_options.pending_authz_lifetime =
      absl::GetFlag(FLAGS_pending_authz_lifetime);
  acmeva::ra::RaService service(store->get(), runner.get(), &scheduler,
                                &waiters, service_options);
  common::GrpcServerOptions server_options;
  server_options.listen = absl::GetFlag(FLAGS_listen);
  server_options.tls = *tls;
  server_options.services = {&service};
  server_options.health_and_reflection = true;
  auto server = common::ServeGrpc(server_options);
  if (!server.ok()) return common::StartFailed(server.status());
  if (absl::Status s = runner->Start(); !s.ok()) return common::StartFailed(s);
  LogServing(server->port, vas, runner->owner(), runner_options);

  const int signal_number = stop_signals.Wait();
  common::Log("info", "ra draining",
              common::JsonFields().Int("signal", signal_number));
  const int status = Drain(&service, server->listener.get(), runner.get(),
                           absl::GetFlag(FLAGS_drain_timeout));
  runner.reset();
  va_client->reset();
  scheduler.Stop();
  common::Log("info", "ra stopped", common::JsonFields().Int("exit", status));
  return status;
}
