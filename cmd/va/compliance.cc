#include "cmd/va/compliance.h"

#include <grpcpp/health_check_service_interface.h>

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_log.h"
#include "va/mpic_requirements.h"

ABSL_FLAG(bool, allow_noncompliant_mpic, false,
          "Start a primary even with fewer remote perspectives (or RIRs) "
          "than CA/B Forum BR §3.2.2.9 requires today. For tests and "
          "single-box demos only: such a VA must not serve a public CA");
ABSL_FLAG(std::string, compliance_date, "",
          "Apply the BR's dated rules as of this UTC day (YYYY-MM-DD) "
          "instead of today: to check a configuration before a deadline");

ABSL_FLAG(std::string, dnssec_canary, "on",
          "on: check at start-up and every --dnssec-canary-interval that "
          "each resolver validates DNSSEC; a failing resolver leaves the "
          "rotation, and with none left validations fail closed and gRPC "
          "health is NOT_SERVING. off: trust the resolvers (tests and demos "
          "against a non-validating DNS server only; gives up the BR's "
          "DNSSEC requirement)");
ABSL_FLAG(absl::Duration, dnssec_canary_interval, absl::Minutes(5),
          "Time between DNSSEC canary checks");
ABSL_FLAG(std::string, dnssec_canary_signed,
          acmeva::va::dns::kDefaultCanarySigned,
          "A DNSSEC-signed name with an A record: a validating resolver "
          "answers it with AD=1");
ABSL_FLAG(std::string, dnssec_canary_bogus,
          acmeva::va::dns::kDefaultCanaryBogus,
          "A name with a deliberately broken DNSSEC signature: a validating "
          "resolver answers SERVFAIL");

namespace acmeva::vacmd {
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

absl::StatusOr<std::unique_ptr<va::dns::DnssecCanary>> StartDnssecCanary(
    const std::vector<std::string>& resolvers,
    common::MetricsRegistry* metrics) {
  const std::string mode = absl::GetFlag(FLAGS_dnssec_canary);
  if (mode == "off") {
    common::Log("warning",
                "--dnssec-canary=off: resolvers are trusted to validate "
                "DNSSEC unchecked (not for a public CA)");
    return std::unique_ptr<va::dns::DnssecCanary>();
  }
  if (mode != "on") {
    return absl::InvalidArgumentError(
        absl::StrCat("--dnssec-canary: \"on\" or \"off\", got \"", mode, "\""));
  }
  va::dns::DnssecCanaryOptions o;
  o.servers = resolvers;
  o.signed_name = absl::GetFlag(FLAGS_dnssec_canary_signed);
  o.bogus_name = absl::GetFlag(FLAGS_dnssec_canary_bogus);
  o.interval = absl::GetFlag(FLAGS_dnssec_canary_interval);
  auto canary = va::dns::DnssecCanary::Create(std::move(o), metrics);
  if (!canary.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dnssec-canary: ", canary.status().message()));
  }
  (*canary)->CheckNow();
  return canary;
}

void ReportDnssecHealth(va::dns::DnssecCanary* canary,
                        grpc::HealthCheckServiceInterface* health) {
  if (canary == nullptr || health == nullptr) return;
  health->SetServingStatus(canary->health()->UsableCount() > 0);
  canary->OnChecked([health](size_t validating) {
    health->SetServingStatus(validating > 0);
  });
  canary->Start();
}

}  // namespace acmeva::vacmd
