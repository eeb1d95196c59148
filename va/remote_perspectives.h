// Multi-perspective issuance corroboration over gRPC (CA/B Forum BR §3.2.2.9,
// Boulder's doRemoteOperation): after the primary's local success, the
// identical DoDCV or DoCAA request goes to every remote VA in parallel and the
// quorum (va/quorum.h) decides.
//
// Nothing blocks: the RPCs use the callback API, and `done` runs on a gRPC
// thread (or inline, when no RPC is needed) exactly once, as soon as the
// outcome is determined. Remotes still running then get a short grace period
// (so the audit summary can include them) before they are cancelled.
#ifndef VA_REMOTE_PERSPECTIVES_H_
#define VA_REMOTE_PERSPECTIVES_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_tls.h"
#include "common/metrics.h"
#include "va/corroborator.h"
#include "va/remote_va_config.h"

namespace acmeva::va {

struct RemotePerspectivesConfig {
  std::vector<RemoteVaConfig> remotes;
  // Fewer remotes than this fails every request with serverInternal
  // "Insufficient remote perspectives: need at least N" (not transient: it
  // is a configuration error that no retry fixes). See remote_va_config.h
  // for the BR schedule.
  int min_remote_perspectives = kDefaultMinRemotePerspectives;
  // RPC timeout of a remote without its own; always cut to the caller's
  // deadline.
  absl::Duration remote_timeout = absl::Seconds(15);
  // How long remotes still running may finish after the outcome is decided;
  // zero cancels them at once.
  absl::Duration straggler_grace = absl::Milliseconds(100);
  // Client credentials for every remote (mutual TLS, or plaintext for local
  // use). tls.server_name_override, when set, is the name expected in every
  // remote's certificate instead of the host of its address.
  common::TlsFiles tls;
};

struct RemoteEndpoint;  // one remote's channel and stubs (private)
class FanoutTracker;    // the requests in flight (private)

class RemotePerspectives final : public Corroborator {
 public:
  // Fails on unusable settings (no credentials, duplicate perspective, bad
  // durations). Too few remotes is not an error here: it is reported on
  // every request, like Boulder does. `metrics` may be null; it must outlive
  // this object.
  static absl::StatusOr<std::unique_ptr<RemotePerspectives>> Create(
      RemotePerspectivesConfig config,
      common::MetricsRegistry* metrics = nullptr);

  // Cancels every remote RPC still running and waits for their callbacks
  // (pending `done`s are called, with a failure). Must not run on a gRPC
  // callback thread.
  ~RemotePerspectives() override;

  RemotePerspectives(const RemotePerspectives&) = delete;
  RemotePerspectives& operator=(const RemotePerspectives&) = delete;

  void CorroborateDcv(const ::va::PerformValidationRequest& request,
                      absl::Time deadline, CorroborationDone done,
                      RemoteDcvCheck check = nullptr) override;
  void CorroborateCaa(const ::va::IsCAAValidRequest& request,
                      absl::Time deadline, CorroborationDone done) override;

  struct Metrics;

 private:
  RemotePerspectives(RemotePerspectivesConfig config,
                     std::vector<std::shared_ptr<const RemoteEndpoint>> remotes,
                     common::MetricsRegistry* metrics);

  // Checks the configured count; on a shortfall calls `done` and returns
  // false.
  bool EnoughRemotes(const char* kind, const std::string& identifier,
                     CorroborationDone& done);

  const RemotePerspectivesConfig config_;
  const std::vector<std::shared_ptr<const RemoteEndpoint>> remotes_;
  std::shared_ptr<const Metrics> metrics_;
  std::shared_ptr<FanoutTracker> tracker_;
};

}  // namespace acmeva::va

#endif  // VA_REMOTE_PERSPECTIVES_H_
