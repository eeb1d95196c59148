// The va binary's compliance flags and start-up checks (BR §3.2.2.9 MPIC
// minimums; the DNSSEC canary), kept out of main.cc: main calls these in a
// few lines.
#ifndef CMD_VA_COMPLIANCE_H_
#define CMD_VA_COMPLIANCE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "va/remote_va_config.h"

namespace vacmd {

// The --min-remote-perspectives value RemotePerspectives must enforce for
// `remotes`, from the BR table and today's UTC date (or --compliance-date).
// An error (FailedPrecondition, citing the BR section and date) means the
// VA must not start. Logs a noncompliant start or a raised floor.
absl::StatusOr<int> MpicMinimumAtStartup(
    const std::vector<va::RemoteVaConfig>& remotes, int min_remote_flag);

}  // namespace vacmd

#endif  // CMD_VA_COMPLIANCE_H_
