#include "ra/failover_policy.h"

#include <algorithm>

namespace acmeva::ra {

int DefaultMaxTries(int num_vas) { return 2 * num_vas; }

bool IsFailoverCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:  // per-try deadline only
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:      // by the VA (the caller checks
                                            // its own cancellation first)
    case absl::StatusCode::kUnimplemented:  // e.g. a VA mid-upgrade
      return true;
    default:
      return false;
  }
}

TryPlan PlanTry(const FailoverPolicy& policy, int num_vas, uint64_t start,
                int try_index, absl::Time now, absl::Time request_deadline) {
  TryPlan plan;
  plan.va = static_cast<int>((start + try_index) % num_vas);
  // After one fail-fast round, give a reconnecting VA a short moment.
  plan.patient = try_index >= num_vas;
  plan.deadline = request_deadline;
  if (plan.patient) {
    plan.deadline = std::min(request_deadline, now + policy.reconnect_wait);
  }
  return plan;
}

std::optional<absl::Time> PatientRepeatAt(const FailoverPolicy& policy,
                                          absl::StatusCode code, bool patient,
                                          int repeats_made,
                                          absl::Time patient_until,
                                          absl::Time now) {
  if (!patient || code != absl::StatusCode::kUnavailable) return std::nullopt;
  if (repeats_made >= policy.max_patient_repeats) return std::nullopt;
  const absl::Time wake =
      now + policy.patient_repeat_backoff * (1 << repeats_made);
  if (wake + policy.min_patient_repeat_time > patient_until) {
    return std::nullopt;
  }
  return wake;
}

AfterFailedTry DecideAfterFailedTry(const FailoverPolicy& policy,
                                    const FailedTry& failed) {
  if (!IsFailoverCode(failed.code)) return AfterFailedTry::kGiveUpFinal;
  // The whole attempt's time is used up; a VA that is slow now may be fine
  // later, so this is transient.
  if (failed.code == absl::StatusCode::kDeadlineExceeded &&
      failed.try_deadline >= failed.request_deadline) {
    return AfterFailedTry::kGiveUpTransient;
  }
  if (failed.now >= failed.request_deadline ||
      failed.tries_made >= policy.max_tries) {
    return AfterFailedTry::kGiveUpTransient;
  }
  return AfterFailedTry::kNextTry;
}

}  // namespace acmeva::ra
