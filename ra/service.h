// The gRPC RA service (proto/ra.proto). Handlers never block gRPC's
// callback threads: each one hands its work (SQLite) to the scheduler and
// finishes the reactor from there (toolchain.md §6).
#ifndef RA_SERVICE_H_
#define RA_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "proto/ra.grpc.pb.h"
#include "ra/authz_waiters.h"
#include "ra/scheduler.h"
#include "ra/store.h"
#include "ra/validation_runner.h"

namespace acmeva::ra {

struct ServiceOptions {
  // A pending authorization nobody answers expires after this (Boulder's
  // pending lifetime is at most 29 days; a week is plenty for a client to
  // provision one TXT record).
  absl::Duration pending_authz_lifetime = absl::Hours(7 * 24);
  // §8.2: a client may ask for an immediate retry by repeating
  // PerformValidation; rate-limited to one attempt per this interval.
  absl::Duration min_client_retry_interval = absl::Seconds(5);
  // Long polls re-read the store this often (results of other instances).
  absl::Duration wait_poll_interval = absl::Seconds(1);
  // Wait bound for a WaitAuthorization call without a deadline.
  absl::Duration default_max_wait = absl::Seconds(60);
};

class RaService final : public ::ra::RA::CallbackService {
 public:
  // `waiters` must be the registry the runner notifies on finalization.
  RaService(Store* store, ValidationRunner* runner, Scheduler* scheduler,
            AuthzWaiters* waiters, ServiceOptions options);

  // Answers every long poll now (with the current state) and makes new
  // ones answer at once: the first step of a graceful shutdown.
  void StartShutdown();

  grpc::ServerUnaryReactor* NewAuthorization(
      grpc::CallbackServerContext* context,
      const ::ra::NewAuthorizationRequest* request,
      ::ra::AuthorizationResponse* response) override;
  grpc::ServerUnaryReactor* PerformValidation(
      grpc::CallbackServerContext* context,
      const ::ra::PerformValidationRequest* request,
      ::ra::AuthorizationResponse* response) override;
  grpc::ServerUnaryReactor* GetAuthorization(
      grpc::CallbackServerContext* context,
      const ::ra::AuthorizationID* request,
      ::ra::AuthorizationResponse* response) override;
  grpc::ServerUnaryReactor* WaitAuthorization(
      grpc::CallbackServerContext* context,
      const ::ra::WaitAuthorizationRequest* request,
      ::ra::AuthorizationResponse* response) override;

  // The synchronous logic behind the handlers (also used by tests).
  absl::Status DoNewAuthorization(const ::ra::NewAuthorizationRequest& request,
                                  ::ra::AuthorizationResponse* response);
  absl::Status DoPerformValidation(
      const ::ra::PerformValidationRequest& request,
      ::ra::AuthorizationResponse* response);
  absl::Status DoGetAuthorization(int64_t id,
                                  ::ra::AuthorizationResponse* response);

 private:
  struct LongPoll;

  // Runs `work` on the scheduler and finishes the reactor with its status.
  grpc::ServerUnaryReactor* Defer(grpc::CallbackServerContext* context,
                                  std::function<absl::Status()> work);
  // §8.2 client-requested retry of a processing challenge.
  absl::Status ExpediteRetry(const AuthzRecord& record, absl::Time now);

  Store* const store_;
  ValidationRunner* const runner_;
  Scheduler* const scheduler_;
  AuthzWaiters* const waiters_;
  const ServiceOptions options_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace acmeva::ra

#endif  // RA_SERVICE_H_
