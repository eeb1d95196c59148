// The va binary's compliance flags and start-up checks (BR §3.2.2.9 MPIC
// minimums; the DNSSEC canary), kept out of main.cc: main calls these in a
// few lines.
#ifndef CMD_VA_COMPLIANCE_H_
#define CMD_VA_COMPLIANCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"
#include "va/dns/dnssec_canary.h"
#include "va/remote_va_config.h"

namespace grpc {
class HealthCheckServiceInterface;
}

namespace acmeva::vacmd {

// The --min-remote-perspectives value RemotePerspectives must enforce for
// `remotes`, from the BR table and today's UTC date (or --compliance-date).
// An error (FailedPrecondition, citing the BR section and date) means the
// VA must not start. Logs a noncompliant start or a raised floor.
absl::StatusOr<int> MpicMinimumAtStartup(
    const std::vector<va::RemoteVaConfig>& remotes, int min_remote_flag);

// The DNSSEC canary for `resolvers` from the --dnssec-canary* flags, after
// its first check (so the VA starts with the right rotation); null with
// --dnssec-canary=off.
absl::StatusOr<std::unique_ptr<va::dns::DnssecCanary>> StartDnssecCanary(
    const std::vector<std::string>& resolvers,
    common::MetricsRegistry* metrics);

// Keeps the gRPC health status in step with the canary (NOT_SERVING while no
// resolver validates) and starts its periodic checks. `canary` may be null.
void ReportDnssecHealth(va::dns::DnssecCanary* canary,
                        grpc::HealthCheckServiceInterface* health);

}  // namespace acmeva::vacmd

#endif  // CMD_VA_COMPLIANCE_H_
