// Multi-perspective corroboration (CA/B Forum BR §3.2.2.9) as the service
// sees it: after a local success, ask the remote perspectives and apply the
// quorum. The gRPC implementation is RemotePerspectives
// (remote_perspectives.h).
#ifndef VA_CORROBORATOR_H_
#define VA_CORROBORATOR_H_

#include <functional>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "proto/va.pb.h"
#include "va/problem.h"

namespace acmeva::va {

// Empty problem: the quorum corroborated the local result.
using CorroborationDone = absl::AnyInvocable<void(std::optional<Problem>) &&>;

// Applied to every remote DCV reply that passed: a problem makes that
// perspective count as failed (dns-persist-01: it matched another account).
// The challenge type supplies it (ChallengeValidator::RemoteDisagreement).
using RemoteDcvCheck =
    std::function<std::optional<Problem>(const ::va::ValidationResult&)>;

class Corroborator {
 public:
  virtual ~Corroborator() = default;
  // Remotes run the identical request, hence the same challenge type.
  virtual void CorroborateDcv(const ::va::PerformValidationRequest& request,
                              absl::Time deadline, CorroborationDone done,
                              RemoteDcvCheck check = nullptr) = 0;
  virtual void CorroborateCaa(const ::va::IsCAAValidRequest& request,
                              absl::Time deadline, CorroborationDone done) = 0;
};

}  // namespace acmeva::va

#endif  // VA_CORROBORATOR_H_
