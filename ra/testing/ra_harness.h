// A whole RA (store, VA client, scheduler, runner, gRPC service) on a
// loopback port, for tests. Destroying it is a crash as far as the database
// can tell: nothing is recorded after, leases stay.
#ifndef RA_TESTING_RA_HARNESS_H_
#define RA_TESTING_RA_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/ra.grpc.pb.h"
#include "ra/authz_waiters.h"
#include "ra/scheduler.h"
#include "ra/service.h"
#include "ra/sqlite_store.h"
#include "ra/va_client.h"
#include "ra/validation_runner.h"

namespace acmeva::ra::testing {

struct RaHarnessOptions {
  std::string db_path;
  std::vector<std::string> va_addresses;
  RunnerOptions runner = FastRunnerOptions();
  ServiceOptions service;
  int workers = 4;

  // Short timers so that retries and sweeps happen within a test.
  static RunnerOptions FastRunnerOptions();
};

class RaHarness {
 public:
  static absl::StatusOr<std::unique_ptr<RaHarness>> Start(
      RaHarnessOptions options);
  // Crash-like stop (see above).
  ~RaHarness();

  // Graceful stop, as on SIGTERM.
  void Drain(absl::Duration timeout);

  ::ra::RA::Stub* stub() { return stub_.get(); }
  SqliteStore* store() { return store_.get(); }
  ValidationRunner* runner() { return runner_.get(); }
  const std::string& address() const { return address_; }

 private:
  RaHarness() = default;

  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<VaClient> va_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<AuthzWaiters> waiters_;
  std::unique_ptr<ValidationRunner> runner_;
  std::unique_ptr<RaService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<::ra::RA::Stub> stub_;
  bool stopped_ = false;
};

}  // namespace acmeva::ra::testing

#endif  // RA_TESTING_RA_HARNESS_H_
