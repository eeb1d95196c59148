// ra: the registration-authority stub. Creates dns-01 authorizations and
// validates them through the VA, retrying transient failures (RFC 8555
// §8.2). State lives in one SQLite file; SIGTERM drains.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/grpc_callback_queue.h"
#include "common/grpc_listener.h"
#include "common/grpc_tls.h"
#include "common/json_log.h"
#include "ra/authz_waiters.h"
#include "ra/scheduler.h"
#include "ra/service.h"
#include "ra/sqlite_store.h"
#include "ra/va_client.h"
#include "ra/validation_runner.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9094", "host:port to serve on");
ABSL_FLAG(std::vector<std::string>, va, {},
          "VA addresses host:port[,host:port...]; each serves va.VA and "
          "va.CAA");
ABSL_FLAG(std::string, db, "ra.sqlite", "SQLite database file");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain (server and VA client)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key");
ABSL_FLAG(std::string, tls_ca, "", "PEM roots that verify peers");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "How often --tls-cert, --tls-key and --tls-ca are read again: "
          "rotate certificates by replacing the files (whole seconds, >= 1s)");
ABSL_FLAG(bool, plaintext, false,
          "no TLS on either side (local use only; must be explicit)");
ABSL_FLAG(std::string, va_server_name, "",
          "name expected in the VAs' certificates (default: the host part)");
ABSL_FLAG(std::vector<std::string>, tls_client_names, {},
          "SAN DNS names a client certificate must carry (one of); empty = "
          "any certificate signed by --tls-ca");
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

int Fail(const std::string& message) {
  common::Log("error", message);
  std::fprintf(stderr, "ra: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's absl is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would run deadlock detection: about 9% of the VA's CPU.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "ra --listen host:port --va host:port[,host:port...] --db PATH "
      "(--tls-cert F --tls-key F --tls-ca F | --plaintext)");
  // --dashed-names as documented; --va may also be repeated.
  common::NormalizedArgs args(argc, argv);
  absl::StatusOr<std::vector<std::string>> extracted =
      args.ExtractRepeated("va", "host:port[,host:port...]");
  if (!extracted.ok()) return Fail(std::string(extracted.status().message()));
  std::vector<std::string> repeated_vas;
  for (const std::string& value : *extracted) {
    for (absl::string_view va : absl::StrSplit(value, ',', absl::SkipEmpty())) {
      repeated_vas.emplace_back(va);
    }
  }
  absl::ParseCommandLine(args.argc(), args.argv());

  // Block the stop signals before any thread starts, so only sigwait()
  // below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::vector<std::string> vas =
      repeated_vas.empty() ? absl::GetFlag(FLAGS_va) : repeated_vas;
  if (vas.empty()) return Fail("--va is required");

  common::TlsFiles tls;
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.plaintext = absl::GetFlag(FLAGS_plaintext);
  tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  tls.allowed_client_names = absl::GetFlag(FLAGS_tls_client_names);
  auto server_credentials = common::MakeServerCredentials(tls);
  if (!server_credentials.ok()) {
    return Fail(server_credentials.status().ToString());
  }
  common::TlsFiles va_tls = tls;
  va_tls.allowed_client_names.clear();
  va_tls.server_name_override = absl::GetFlag(FLAGS_va_server_name);
  auto channel_credentials = common::MakeChannelCredentials(va_tls);
  if (!channel_credentials.ok()) {
    return Fail(channel_credentials.status().ToString());
  }

  ra::SqliteStore::Options store_options;
  store_options.path = absl::GetFlag(FLAGS_db);
  auto store = ra::SqliteStore::Open(store_options);
  if (!store.ok()) return Fail(store.status().ToString());

  ra::GrpcVaClientOptions va_options;
  va_options.addresses = vas;
  va_options.credentials = *channel_credentials;
  auto va_client = ra::NewGrpcVaClient(va_options);
  if (!va_client.ok()) return Fail(va_client.status().ToString());

  ra::RunnerOptions runner_options;
  runner_options.instance_id = absl::GetFlag(FLAGS_instance_id);
  runner_options.valid_authz_lifetime =
      absl::GetFlag(FLAGS_valid_authz_lifetime);
  runner_options.va_timeout = absl::GetFlag(FLAGS_va_timeout);
  runner_options.policy.max_attempts =
      absl::GetFlag(FLAGS_revalidation)
          ? absl::GetFlag(FLAGS_revalidation_max_attempts)
          : 1;
  runner_options.policy.window = absl::GetFlag(FLAGS_revalidation_window);
  runner_options.policy.initial_backoff =
      absl::GetFlag(FLAGS_revalidation_initial_backoff);
  if (runner_options.policy.max_attempts < 1) {
    return Fail("--revalidation-max-attempts must be at least 1");
  }

  ra::Scheduler scheduler(absl::GetFlag(FLAGS_workers));
  ra::AuthzWaiters waiters;
  auto runner = std::make_unique<ra::ValidationRunner>(
      store->get(), va_client->get(), &scheduler, runner_options,
      [&waiters](int64_t id) { waiters.Notify(id); });
  ra::ServiceOptions service_options;
  service_options.pending_authz_lifetime =
      absl::GetFlag(FLAGS_pending_authz_lifetime);
  ra::RaService service(store->get(), runner.get(), &scheduler, &waiters,
                        service_options);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  common::KeepGrpcCallbackQueue();
  // Our own accept loop and the shared limits (common/grpc_listener.h).
  auto listener = common::GrpcListener::Start(
      builder, {absl::GetFlag(FLAGS_listen), *server_credentials, {}, nullptr});
  if (!listener.ok()) {
    return Fail(absl::StrCat("cannot listen on ", absl::GetFlag(FLAGS_listen),
                             ": ", listener.status().message()));
  }
  const int port = (*listener)->port();
  if (absl::Status s = runner->Start(); !s.ok()) return Fail(s.ToString());
  common::Log(
      "info", "ra serving",
      common::JsonFields()
          .Str("listen", absl::GetFlag(FLAGS_listen))
          .Int("port", port)
          .Strs("va", vas)
          .Str("db", store_options.path)
          .Str("owner", runner->owner())
          .Int("revalidationMaxAttempts", runner_options.policy.max_attempts)
          .Str("revalidationWindow",
               absl::FormatDuration(runner_options.policy.window))
          .Str("validAuthzLifetime",
               absl::FormatDuration(runner_options.valid_authz_lifetime)));

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const absl::Duration drain = absl::GetFlag(FLAGS_drain_timeout);
  common::Log("info", "ra draining",
              common::JsonFields().Int("signal", signal_number));
  // Long polls answer now; RPCs in flight finish; no new ones are taken.
  service.StartShutdown();
  (*listener)->Shutdown(absl::Now() + drain);
  // Attempts in flight are recorded; whatever is left resumes on restart.
  runner->Drain(drain);
  runner.reset();
  va_client->reset();
  scheduler.Stop();
  common::Log("info", "ra stopped");
  return 0;
}
