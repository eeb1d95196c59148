#include "cmd/va/compliance.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/json_log.h"
#include "va/mpic_requirements.h"

ABSL_FLAG(bool, allow_noncompliant_mpic, false,
          "Start a primary even with fewer remote perspectives (or RIRs) "
          "than CA/B Forum BR §3.2.2.9 requires today. For tests and "
          "single-box demos only: such a VA must not serve a public CA");
ABSL_FLAG(std::string, compliance_date, "",
          "Apply the BR's dated rules as of this UTC day (YYYY-MM-DD) "
          "instead of today: to check a configuration before a deadline");

namespace vacmd {
namespace {

absl::StatusOr<absl::CivilDay> ComplianceDay() {
  const std::string text = absl::GetFlag(FLAGS_compliance_date);
  if (text.empty()) return absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--compliance-date: not a YYYY-MM-DD day: \"", text, "\""));
  }
  return day;
}

}  // namespace

absl::StatusOr<int> MpicMinimumAtStartup(
    const std::vector<va::RemoteVaConfig>& remotes, int min_remote_flag) {
  absl::StatusOr<absl::CivilDay> today = ComplianceDay();
  if (!today.ok()) return today.status();
  va::MpicStartupInput in;
  in.today = *today;
  for (const va::RemoteVaConfig& r : remotes) in.remote_rirs.push_back(r.rir);
  in.min_remote_flag = min_remote_flag;
  in.allow_noncompliant = absl::GetFlag(FLAGS_allow_noncompliant_mpic);
  absl::StatusOr<va::MpicStartupDecision> d = va::DecideMpicStartup(in);
  if (!d.ok()) return d.status();
  common::JsonFields f;
  f.Str("date", va::FormatDay(in.today))
      .Str("inForceSince", va::FormatDay(d->requirement.effective))
      .Int("remotes", static_cast<int64_t>(remotes.size()))
      .Int("brMinimum", d->requirement.min_remote_perspectives)
      .Int("minRemotePerspectives", d->min_remote_perspectives);
  if (!d->noncompliance.empty()) {
    common::Log("error",
                absl::StrCat("NOT COMPLIANT, started with "
                             "--allow-noncompliant-mpic: ",
                             d->noncompliance),
                f);
  } else if (!d->floor_raised.empty()) {
    common::Log("warning", d->floor_raised, f);
  }
  return d->min_remote_perspectives;
}

}  // namespace vacmd
