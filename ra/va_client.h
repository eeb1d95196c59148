// Calls the VA for one validation attempt: va.VA/DoDCV, then (only if DCV
// passed) va.CAA/DoCAA, asynchronously, failing over between the configured
// VAs, and maps transport failures to Boulder's serverInternal problem.
#ifndef RA_VA_CLIENT_H_
#define RA_VA_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/core.pb.h"

namespace grpc {
class ChannelCredentials;
}

namespace acmeva::ra {

struct VaRequest {
  int64_t authz_id = 0;
  int64_t account_id = 0;
  std::string identifier;                 // "*.example.com" for a wildcard
  std::string challenge_type = "dns-01";  // also CAA's validationMethod
  std::string token;                      // empty for dns-persist-01
  std::string key_authorization;
  absl::Time deadline;  // for DCV and CAA together
};

struct VaOutcome {
  // Empty: DCV and CAA passed.
  std::optional<core::ProblemDetails> problem;
  // DCV's records, kept even when CAA then failed (as Boulder does).
  std::vector<core::ValidationRecord> records;
  // CancelAll() stopped the attempt: no verdict, record nothing.
  bool cancelled = false;
};

class VaClient {
 public:
  virtual ~VaClient() = default;
  // Calls `done` exactly once, from a gRPC thread: it must not block.
  virtual void Validate(const VaRequest& request,
                        absl::AnyInvocable<void(VaOutcome) &&> done) = 0;
  // Cancels the calls in flight (their outcome is `cancelled`) and refuses
  // new ones. For shutdown.
  virtual void CancelAll() = 0;
};

// Boulder's problem for a VA that could not be reached or answered with a
// gRPC error: serverInternal "Could not communicate with VA".
core::ProblemDetails CouldNotCommunicateProblem(bool transient);

struct GrpcVaClientOptions {
  // host:port of each VA; every one serves both va.VA and va.CAA.
  std::vector<std::string> addresses;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Tries per call phase over all VAs (rules: ra/failover_policy.h): one
  // fail-fast round, then a patient round with a per-try deadline of
  // `reconnect_wait`, so a VA that is restarting gets a moment to come
  // back. 0 = 2 * addresses.
  int max_tries = 0;
  absl::Duration reconnect_wait = absl::Seconds(2);
  // Passed to the channel: reconnect quickly once a VA is back, instead of
  // gRPC's default backoff of up to two minutes.
  absl::Duration max_reconnect_backoff = absl::Seconds(5);
};

// One channel per VA with our own rotation (instead of one round_robin
// channel) so that failover is explicit: a VA that refuses or fails the
// call is skipped for that call within the same deadline.
absl::StatusOr<std::unique_ptr<VaClient>> NewGrpcVaClient(
    GrpcVaClientOptions options);

}  // namespace acmeva::ra

#endif  // RA_VA_CLIENT_H_
