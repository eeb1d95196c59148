#include "va/quorum.h"

#include <algorithm>

namespace acmeva::va {

int MaxAllowedRemoteFailures(int remotes) {
  if (remotes < 2) return 0;
  if (remotes <= 5) return 1;
  return 2;
}

int RequiredRemotePasses(int remotes) {
  return remotes - MaxAllowedRemoteFailures(remotes);
}

std::vector<std::string> DistinctRirs(const std::vector<std::string>& rirs) {
  std::vector<std::string> out;
  for (const std::string& rir : rirs) {
    if (std::find(out.begin(), out.end(), rir) == out.end()) {
      out.push_back(rir);
    }
  }
  return out;
}

QuorumState EvaluateQuorum(const QuorumTally& tally) {
  const int passed = static_cast<int>(tally.passed_rirs.size());
  if (tally.failed > MaxAllowedRemoteFailures(tally.remotes)) {
    return QuorumState::kFailed;
  }
  if (passed < RequiredRemotePasses(tally.remotes)) {
    return QuorumState::kPending;
  }
  const int distinct = static_cast<int>(DistinctRirs(tally.passed_rirs).size());
  if (distinct >= kRequiredDistinctRirs) return QuorumState::kPassed;
  // Could the remotes still running add the missing RIRs?
  std::vector<std::string> reachable = tally.passed_rirs;
  reachable.insert(reachable.end(), tally.pending_rirs.begin(),
                   tally.pending_rirs.end());
  if (static_cast<int>(DistinctRirs(reachable).size()) <
      kRequiredDistinctRirs) {
    return QuorumState::kFailedRirs;
  }
  return QuorumState::kPending;
}

}  // namespace acmeva::va
