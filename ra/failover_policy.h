// How the RA spreads one VA call (DoDCV or DoCAA) over the configured VAs:
// which VA each try goes to, how long it may wait, and what a failed try
// leads to. Pure: the caller passes the clock and the gRPC status code;
// GrpcVaClient (ra/va_client.cc) does the calls.
//
// Per call phase: first one fail-fast try on each VA in turn, starting at a
// rotating offset; then the same again with wait_for_ready and a per-try
// deadline of `reconnect_wait`, so a VA that is restarting gets a moment to
// come back. A patient try that fails at once with UNAVAILABLE (written
// onto a connection that had just died) is repeated on the same VA after a
// short sleep, inside that try's window.
#ifndef RA_FAILOVER_POLICY_H_
#define RA_FAILOVER_POLICY_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace acmeva::ra {

struct FailoverPolicy {
  // Tries per call phase, over all VAs; see DefaultMaxTries.
  int max_tries = 2;
  // Per-try deadline of a patient (wait_for_ready) try.
  absl::Duration reconnect_wait = absl::Seconds(2);
  // Right after a VA dies, its channel may still hand a call to the dead
  // connection ("Broken pipe", "Connection reset"): wait_for_ready covers
  // calls that start while the channel is connecting, not a call written
  // onto a connection that then breaks. The channel knows better after that
  // failure, so the patient try is repeated on the same VA, at most this
  // often per phase, after patient_repeat_backoff * 2^(repeats made so far).
  int max_patient_repeats = 3;
  absl::Duration patient_repeat_backoff = absl::Milliseconds(100);
  // Not worth starting a repeat with less of the window left than this.
  absl::Duration min_patient_repeat_time = absl::Milliseconds(50);
};

// Two rounds over the VAs: one fail-fast, one patient.
int DefaultMaxTries(int num_vas);

// Codes after which another VA (or the same one, reconnected) may succeed.
// Anything else (INVALID_ARGUMENT, PERMISSION_DENIED, ...) is an answer
// about the request itself and would repeat everywhere. gRPC's and absl's
// status codes have the same values.
bool IsFailoverCode(absl::StatusCode code);

struct TryPlan {
  int va = 0;            // index into the configured VAs
  bool patient = false;  // wait_for_ready
  absl::Time deadline;   // of this try
};

// Try number `try_index` (0-based) of a phase whose rotation starts at
// `start`.
TryPlan PlanTry(const FailoverPolicy& policy, int num_vas, uint64_t start,
                int try_index, absl::Time now, absl::Time request_deadline);

// When to repeat a failed patient try on the same VA, or nothing when it
// is not to be repeated. `patient_until` is that try's deadline (never past
// the request's).
std::optional<absl::Time> PatientRepeatAt(const FailoverPolicy& policy,
                                          absl::StatusCode code, bool patient,
                                          int repeats_made,
                                          absl::Time patient_until,
                                          absl::Time now);

struct FailedTry {
  absl::StatusCode code = absl::StatusCode::kOk;
  absl::Time try_deadline;
  absl::Time request_deadline;
  absl::Time now;      // when the try failed
  int tries_made = 0;  // in this phase, the failed one included
};

enum class AfterFailedTry {
  kNextTry,          // go on with PlanTry(..., tries_made, ...)
  kGiveUpTransient,  // "Could not communicate with VA", worth retrying later
  kGiveUpFinal,      // the same, but the VA rejected the request itself
};

// What follows a failed try that is not repeated (see PatientRepeatAt).
AfterFailedTry DecideAfterFailedTry(const FailoverPolicy& policy,
                                    const FailedTry& failed);

}  // namespace acmeva::ra

#endif  // RA_FAILOVER_POLICY_H_
