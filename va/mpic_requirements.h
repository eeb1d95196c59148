// The CA/Browser Forum Baseline Requirements' dated MPIC minimums (ballot
// SC-067, BR §3.2.2.9) as one table, and the start-up decision built on it:
// the VA refuses to run as a primary below the minimum in force on the day
// it starts, instead of trusting an operator to raise a flag on time.
// Pure; no I/O.
#ifndef VA_MPIC_REQUIREMENTS_H_
#define VA_MPIC_REQUIREMENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"

namespace acmeva::va {

// One row: from `effective` (UTC day) on, until the next row.
struct MpicRequirement {
  absl::CivilDay effective;
  int min_remote_perspectives = 0;  // 0: MPIC not yet required
  int min_distinct_rirs = 0;        // of the corroborating remotes
  // The quorum table (BR §3.2.2.9): non-corroborations allowed with 2 to 5
  // remotes, and with 6 or more. va/quorum.h implements it.
  int allowed_failures_2_to_5 = 0;
  int allowed_failures_6_plus = 0;
};

// The rows, oldest first.
absl::Span<const MpicRequirement> MpicRequirementsTable();

// The row in force on `day`; a day before the first row gets a row with
// every minimum 0 and `effective` = that day.
MpicRequirement MpicRequirementOn(absl::CivilDay day);

// "2026-12-15".
std::string FormatDay(absl::CivilDay day);

struct MpicStartupInput {
  absl::CivilDay today;
  // The primary's remotes and their RIRs (one entry per remote). None: this
  // VA is a remote perspective (or a single-box demo) and nothing applies.
  std::vector<std::string> remote_rirs;
  int min_remote_flag = 0;          // --min-remote-perspectives; 0 = not given
  bool allow_noncompliant = false;  // --allow-noncompliant-mpic
};

struct MpicStartupDecision {
  // What RemotePerspectives enforces per validation.
  int min_remote_perspectives = 1;
  MpicRequirement requirement;
  // Non-empty when the configuration is below the BR and
  // --allow-noncompliant-mpic let it start anyway (log it as an error).
  std::string noncompliance;
  // Non-empty when --min-remote-perspectives was below the floor and the
  // floor was used instead (log it as a warning).
  std::string floor_raised;
};

// FailedPrecondition citing BR §3.2.2.9 and the row's date when a primary
// has fewer remotes or RIRs than `today` requires and noncompliance is not
// allowed. --min-remote-perspectives may only raise the floor: a lower value
// is replaced by the floor (unless noncompliance is allowed, where it is
// taken as given: tests and demos run fewer remotes on purpose).
absl::StatusOr<MpicStartupDecision> DecideMpicStartup(
    const MpicStartupInput& input);

}  // namespace acmeva::va

#endif  // VA_MPIC_REQUIREMENTS_H_
