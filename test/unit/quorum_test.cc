#include "va/quorum.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace acmeva::va {
namespace {

// The BR §3.2.2.9 "Quorum Requirements" table, written out.
const std::map<int, int> kAllowedFailures = {{1, 0}, {2, 1}, {3, 1}, {4, 1},
                                             {5, 1}, {6, 2}, {7, 2}};

TEST(QuorumTest, MaxAllowedFailuresFollowsTheBrTable) {
  for (const auto& [remotes, allowed] : kAllowedFailures) {
    EXPECT_EQ(MaxAllowedRemoteFailures(remotes), allowed) << remotes;
    EXPECT_EQ(RequiredRemotePasses(remotes), remotes - allowed) << remotes;
  }
  EXPECT_EQ(MaxAllowedRemoteFailures(0), 0);
  EXPECT_EQ(MaxAllowedRemoteFailures(20), 2);
}

// Every remote has answered; passes alternate between two RIRs so that two
// or more passes always span two RIRs.
TEST(QuorumTest, EveryFailureCountForOneToSevenRemotes) {
  const std::vector<std::string> rirs = {"ARIN", "RIPE"};
  for (const auto& [remotes, allowed] : kAllowedFailures) {
    for (int failed = 0; failed <= remotes; ++failed) {
      QuorumTally tally;
      tally.remotes = remotes;
      tally.failed = failed;
      for (int i = 0; i < remotes - failed; ++i) {
        tally.passed_rirs.push_back(rirs[i % 2]);
      }
      QuorumState want;
      if (failed > allowed) {
        want = QuorumState::kFailed;
      } else if (remotes - failed < 2) {
        want = QuorumState::kFailedRirs;  // one pass is one RIR
      } else {
        want = QuorumState::kPassed;
      }
      EXPECT_EQ(EvaluateQuorum(tally), want)
          << remotes << " remotes, " << failed << " failed";
    }
  }
}

TEST(QuorumTest, PassesInOneRirFailTheRirRule) {
  for (int remotes = 2; remotes <= 7; ++remotes) {
    QuorumTally tally;
    tally.remotes = remotes;
    tally.passed_rirs.assign(remotes, "ARIN");
    EXPECT_EQ(EvaluateQuorum(tally), QuorumState::kFailedRirs) << remotes;
    // One pass elsewhere is enough.
    tally.passed_rirs.back() = "APNIC";
    EXPECT_EQ(EvaluateQuorum(tally), QuorumState::kPassed) << remotes;
  }
}

struct EarlyCase {
  const char* name;
  int remotes;
  std::vector<std::string> passed;
  int failed;
  std::vector<std::string> pending;
  QuorumState want;
};

TEST(QuorumTest, DecidesAsSoonAsTheOutcomeIsKnown) {
  const std::vector<EarlyCase> cases = {
      {"nothing yet",
       3,
       {},
       0,
       {"ARIN", "RIPE", "APNIC"},
       QuorumState::kPending},
      {"one pass", 3, {"ARIN"}, 0, {"RIPE", "APNIC"}, QuorumState::kPending},
      {"two passes, two RIRs",
       3,
       {"ARIN", "RIPE"},
       0,
       {"APNIC"},
       QuorumState::kPassed},
      {"one failure is allowed",
       3,
       {},
       1,
       {"RIPE", "APNIC"},
       QuorumState::kPending},
      {"two failures of three", 3, {}, 2, {"APNIC"}, QuorumState::kFailed},
      {"count met in one RIR, other RIR pending",
       3,
       {"ARIN", "ARIN"},
       0,
       {"RIPE"},
       QuorumState::kPending},
      {"count met in one RIR, only that RIR pending",
       3,
       {"ARIN", "ARIN"},
       0,
       {"ARIN"},
       QuorumState::kFailedRirs},
      {"count not met: RIR rule waits",
       3,
       {"ARIN"},
       0,
       {"ARIN", "ARIN"},
       QuorumState::kPending},
      {"six: two failures allowed",
       6,
       {"ARIN", "RIPE", "APNIC"},
       2,
       {"LACNIC"},
       QuorumState::kPending},
      {"six: four passes",
       6,
       {"ARIN", "RIPE", "APNIC", "RIPE"},
       2,
       {},
       QuorumState::kPassed},
      {"six: three failures",
       6,
       {"ARIN"},
       3,
       {"RIPE", "APNIC"},
       QuorumState::kFailed},
      {"failure count wins over RIR", 3, {"ARIN"}, 2, {}, QuorumState::kFailed},
      {"no remotes at all", 0, {}, 0, {}, QuorumState::kFailedRirs},
  };
  for (const EarlyCase& c : cases) {
    QuorumTally tally{c.remotes, c.passed, c.failed, c.pending};
    EXPECT_EQ(EvaluateQuorum(tally), c.want) << c.name;
  }
}

TEST(QuorumTest, DistinctRirsKeepsFirstSeenOrder) {
  EXPECT_EQ(DistinctRirs({"RIPE", "ARIN", "RIPE", "APNIC", "ARIN"}),
            (std::vector<std::string>{"RIPE", "ARIN", "APNIC"}));
  EXPECT_TRUE(DistinctRirs({}).empty());
}

}  // namespace
}  // namespace acmeva::va
