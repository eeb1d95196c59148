#include "va/mpic_requirements.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "va/quorum.h"

namespace acmeva::va {
namespace {

// BR §3.2.2.9 as amended by ballot SC-067. The quorum columns are the same
// in every phase; the RIR rule ("corroborating remotes in at least two
// distinct RIR service regions") applies once MPIC is required.
constexpr MpicRequirement kTable[] = {
    {absl::CivilDay(2025, 3, 15), 0, 0, 1, 2},  // SHOULD implement MPIC
    {absl::CivilDay(2025, 9, 15), 2, 2, 1, 2},
    {absl::CivilDay(2026, 3, 15), 3, 2, 1, 2},
    {absl::CivilDay(2026, 6, 15), 4, 2, 1, 2},
    {absl::CivilDay(2026, 12, 15), 5, 2, 1, 2},
};

}  // namespace

absl::Span<const MpicRequirement> MpicRequirementsTable() { return kTable; }

MpicRequirement MpicRequirementOn(absl::CivilDay day) {
  MpicRequirement in_force{day, 0, 0, 0, 0};
  for (const MpicRequirement& row : kTable) {
    if (row.effective <= day) in_force = row;
  }
  return in_force;
}

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::StatusOr<MpicStartupDecision> DecideMpicStartup(
    const MpicStartupInput& input) {
  MpicStartupDecision out;
  out.requirement = MpicRequirementOn(input.today);
  const MpicRequirement& req = out.requirement;
  const int remotes = static_cast<int>(input.remote_rirs.size());
  if (input.min_remote_flag < 0) {
    return absl::InvalidArgumentError(
        "--min-remote-perspectives must not be negative");
  }
  if (remotes == 0) {
    out.min_remote_perspectives = std::max(1, input.min_remote_flag);
    return out;
  }
  const int rirs = static_cast<int>(DistinctRirs(input.remote_rirs).size());
  std::string shortfall;
  if (remotes < req.min_remote_perspectives) {
    shortfall =
        absl::StrCat(remotes, " remote perspectives configured, at least ",
                     req.min_remote_perspectives, " required");
  } else if (rirs < req.min_distinct_rirs) {
    shortfall =
        absl::StrCat("remote perspectives span ", rirs, " RIRs, at least ",
                     req.min_distinct_rirs, " required");
  }
  if (!shortfall.empty()) {
    std::string message = absl::StrCat(
        "CA/B Forum Baseline Requirements §3.2.2.9 (in force since ",
        FormatDay(req.effective), "): ", shortfall,
        " (--allow-noncompliant-mpic overrides this for tests and demos)");
    if (!input.allow_noncompliant) {
      return absl::FailedPreconditionError(message);
    }
    out.noncompliance = std::move(message);
    out.min_remote_perspectives =
        std::max(1, input.min_remote_flag > 0
                        ? input.min_remote_flag
                        : std::min(remotes, req.min_remote_perspectives));
    return out;
  }
  const int floor = std::max(1, req.min_remote_perspectives);
  if (input.min_remote_flag > 0 && input.min_remote_flag < floor) {
    out.floor_raised =
        absl::StrCat("--min-remote-perspectives=", input.min_remote_flag,
                     " is below the BR §3.2.2.9 minimum in force since ",
                     FormatDay(req.effective), "; using ", floor);
  }
  out.min_remote_perspectives = std::max(floor, input.min_remote_flag);
  return out;
}

}  // namespace acmeva::va
