#include "va/mpic_requirements.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "va/quorum.h"

namespace acmeva::va {
namespace {

using ::testing::HasSubstr;

// One row per phase of BR §3.2.2.9 (ballot SC-067): the day it starts, the
// day before, and what is required on each.
struct Row {
  absl::CivilDay day;
  int min_remotes;
  int min_rirs;
  absl::CivilDay effective;
};

const Row kRows[] = {
    {absl::CivilDay(2025, 3, 14), 0, 0, absl::CivilDay(2025, 3, 14)},
    {absl::CivilDay(2025, 3, 15), 0, 0, absl::CivilDay(2025, 3, 15)},
    {absl::CivilDay(2025, 9, 14), 0, 0, absl::CivilDay(2025, 3, 15)},
    {absl::CivilDay(2025, 9, 15), 2, 2, absl::CivilDay(2025, 9, 15)},
    {absl::CivilDay(2026, 3, 14), 2, 2, absl::CivilDay(2025, 9, 15)},
    {absl::CivilDay(2026, 3, 15), 3, 2, absl::CivilDay(2026, 3, 15)},
    {absl::CivilDay(2026, 6, 14), 3, 2, absl::CivilDay(2026, 3, 15)},
    {absl::CivilDay(2026, 6, 15), 4, 2, absl::CivilDay(2026, 6, 15)},
    {absl::CivilDay(2026, 12, 14), 4, 2, absl::CivilDay(2026, 6, 15)},
    {absl::CivilDay(2026, 12, 15), 5, 2, absl::CivilDay(2026, 12, 15)},
    {absl::CivilDay(2031, 1, 1), 5, 2, absl::CivilDay(2026, 12, 15)},
};

TEST(MpicRequirementsTest, EachPhaseStartsOnItsDay) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(FormatDay(row.day));
    MpicRequirement req = MpicRequirementOn(row.day);
    EXPECT_EQ(req.min_remote_perspectives, row.min_remotes);
    EXPECT_EQ(req.min_distinct_rirs, row.min_rirs);
    EXPECT_EQ(req.effective, row.effective);
  }
}

// The table's quorum columns are what va/quorum.h enforces.
TEST(MpicRequirementsTest, QuorumColumnsMatchTheQuorumRule) {
  for (const MpicRequirement& req : MpicRequirementsTable()) {
    SCOPED_TRACE(FormatDay(req.effective));
    for (int remotes = 2; remotes <= 5; ++remotes) {
      EXPECT_EQ(MaxAllowedRemoteFailures(remotes), req.allowed_failures_2_to_5);
    }
    for (int remotes = 6; remotes <= 9; ++remotes) {
      EXPECT_EQ(MaxAllowedRemoteFailures(remotes), req.allowed_failures_6_plus);
    }
    EXPECT_EQ(req.min_distinct_rirs, req.min_remote_perspectives > 0 ? 2 : 0);
    if (req.min_distinct_rirs > 0) {
      EXPECT_EQ(req.min_distinct_rirs, kRequiredDistinctRirs);
    }
  }
}

TEST(MpicRequirementsTest, TableIsOrderedAndNeverLowersTheMinimum) {
  auto table = MpicRequirementsTable();
  ASSERT_FALSE(table.empty());
  for (size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i - 1].effective, table[i].effective);
    EXPECT_LE(table[i - 1].min_remote_perspectives,
              table[i].min_remote_perspectives);
  }
}

const std::vector<std::string> kFiveRemotes = {"ARIN", "RIPE", "APNIC", "ARIN",
                                               "RIPE"};

TEST(MpicStartupTest, FourRemotesRefusedFromDecember15) {
  MpicStartupInput in;
  in.remote_rirs = {"ARIN", "RIPE", "APNIC", "ARIN"};
  in.today = absl::CivilDay(2026, 12, 14);
  ASSERT_TRUE(DecideMpicStartup(in).ok());
  EXPECT_EQ(DecideMpicStartup(in)->min_remote_perspectives, 4);
  in.today = absl::CivilDay(2026, 12, 15);
  absl::StatusOr<MpicStartupDecision> d = DecideMpicStartup(in);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("§3.2.2.9"));
  EXPECT_THAT(d.status().message(), HasSubstr("2026-12-15"));
  EXPECT_THAT(d.status().message(), HasSubstr("4 remote perspectives"));
}

TEST(MpicStartupTest, OneRirRefused) {
  MpicStartupInput in;
  in.today = absl::CivilDay(2026, 12, 15);
  in.remote_rirs = {"ARIN", "ARIN", "ARIN", "ARIN", "ARIN"};
  absl::StatusOr<MpicStartupDecision> d = DecideMpicStartup(in);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("span 1 RIRs"));
}

TEST(MpicStartupTest, FlagOnlyRaisesTheFloor) {
  MpicStartupInput in;
  in.today = absl::CivilDay(2026, 12, 15);
  in.remote_rirs = kFiveRemotes;
  in.min_remote_flag = 3;  // below the floor: the floor wins
  absl::StatusOr<MpicStartupDecision> d = DecideMpicStartup(in);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->min_remote_perspectives, 5);
  EXPECT_THAT(d->floor_raised, HasSubstr("using 5"));
  in.min_remote_flag = 0;  // not given: the floor
  EXPECT_EQ(DecideMpicStartup(in)->min_remote_perspectives, 5);
  EXPECT_TRUE(DecideMpicStartup(in)->floor_raised.empty());
  in.remote_rirs.push_back("APNIC");
  in.min_remote_flag = 6;  // above: taken
  EXPECT_EQ(DecideMpicStartup(in)->min_remote_perspectives, 6);
  in.min_remote_flag = -1;
  EXPECT_EQ(DecideMpicStartup(in).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MpicStartupTest, AllowNoncompliantStartsAndSaysWhy) {
  MpicStartupInput in;
  in.today = absl::CivilDay(2026, 12, 15);
  in.remote_rirs = {"ARIN", "RIPE"};
  in.allow_noncompliant = true;
  absl::StatusOr<MpicStartupDecision> d = DecideMpicStartup(in);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->noncompliance, HasSubstr("2026-12-15"));
  EXPECT_EQ(d->min_remote_perspectives, 2);
  in.min_remote_flag = 3;  // taken as given (tests of the shortfall)
  EXPECT_EQ(DecideMpicStartup(in)->min_remote_perspectives, 3);
}

TEST(MpicStartupTest, NoRemotesIsARemotePerspective) {
  MpicStartupInput in;
  in.today = absl::CivilDay(2026, 12, 15);
  absl::StatusOr<MpicStartupDecision> d = DecideMpicStartup(in);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->noncompliance.empty());
}

}  // namespace
}  // namespace acmeva::va
