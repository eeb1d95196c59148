// The quorum rule of multi-perspective issuance corroboration (CA/B Forum BR
// §3.2.2.9, Boulder's doRemoteOperation): how many remote perspectives may
// fail, and when the outcome of a fan-out is decided. Pure; no I/O.
#ifndef VA_QUORUM_H_
#define VA_QUORUM_H_

#include <string>
#include <vector>

namespace acmeva::va {

// Passing perspectives must span at least this many distinct RIRs.
inline constexpr int kRequiredDistinctRirs = 2;

// The BR "Quorum Requirements" table: 0 non-corroborations allowed below 2
// remotes, 1 for 2 to 5, 2 for 6 and more.
int MaxAllowedRemoteFailures(int remotes);

// Passes needed out of `remotes`: remotes - MaxAllowedRemoteFailures.
int RequiredRemotePasses(int remotes);

enum class QuorumState {
  kPending,     // not determined yet: wait for more replies
  kPassed,      // enough passes, spanning enough RIRs
  kFailed,      // too many failures for the count to be reached
  kFailedRirs,  // the count is reached but the RIR rule cannot be
};

// What is known about one fan-out so far. RIRs are listed once per remote,
// so repeats are expected.
struct QuorumTally {
  int remotes = 0;                        // configured and asked
  std::vector<std::string> passed_rirs;   // RIR of each passing remote
  int failed = 0;                         // remotes that did not corroborate
  std::vector<std::string> pending_rirs;  // RIR of each remote not yet heard
};

// Decides as early as possible. The RIR rule only fails the quorum once the
// count is met: while the count can still fail, waiting lets the caller
// report the (more useful) first remote problem instead.
QuorumState EvaluateQuorum(const QuorumTally& tally);

// Distinct values, in first-seen order.
std::vector<std::string> DistinctRirs(const std::vector<std::string>& rirs);

}  // namespace acmeva::va

#endif  // VA_QUORUM_H_
