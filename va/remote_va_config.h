// Configuration of the remote perspectives a primary VA corroborates with:
// the repeatable --remote-va flag and the quorum minimum.
//
//   --remote-va host:port,PERSPECTIVE,RIR[,TIMEOUT]
//       One remote VA. PERSPECTIVE is the name the remote reports in its
//       replies (its own --perspective), RIR its region (ARIN, RIPE, APNIC,
//       LACNIC or AFRINIC, any case), TIMEOUT an optional per-remote RPC
//       timeout in absl duration syntax ("10s", "1500ms"). Repeat the flag
//       for each remote.
//   --min-remote-perspectives N (default 0: the BR minimum of the day)
//       Fewer configured remotes than this fails every validation with
//       serverInternal. It may only raise the BR §3.2.2.9 minimum, which
//       va/mpic_requirements.h keeps by date (a primary below it refuses to
//       start unless --allow-noncompliant-mpic).
//
// absl flags cannot repeat, so --remote-va is taken out of argv by
// common::NormalizedArgs::ExtractRepeated before absl::ParseCommandLine sees
// the rest.
#ifndef VA_REMOTE_VA_CONFIG_H_
#define VA_REMOTE_VA_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace acmeva::va {

inline constexpr int kDefaultMinRemotePerspectives = 3;

struct RemoteVaConfig {
  std::string address;      // host:port, as given
  std::string perspective;  // expected in every reply
  std::string rir;          // canonical upper case, expected in every reply
  // Per-remote RPC timeout; zero = the global remote timeout.
  absl::Duration timeout = absl::ZeroDuration();
};

// The five regional internet registries, canonical spelling.
const std::vector<std::string>& KnownRirs();

// Parses one --remote-va value. Errors name the flag and the bad part.
absl::StatusOr<RemoteVaConfig> ParseRemoteVa(std::string_view value);

// Parses every value, and rejects two remotes with the same perspective
// name (replies are matched to the configuration by that name).
absl::StatusOr<std::vector<RemoteVaConfig>> ParseRemoteVas(
    const std::vector<std::string>& values);

}  // namespace acmeva::va

#endif  // VA_REMOTE_VA_CONFIG_H_
