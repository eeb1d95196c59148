// Runs validation attempts: claims due authorizations from the store (lease
// per attempt), calls the VA, and records the outcome with a
// compare-and-set: valid, invalid, or a retry scheduled with backoff and
// jitter (RFC 8555 §8.2). On start it resumes whatever a crashed
// predecessor left processing, so nothing is lost and, because every write
// is conditional on the lease and attempt counter, nothing is finalized
// twice.
#ifndef RA_VALIDATION_RUNNER_H_
#define RA_VALIDATION_RUNNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "ra/revalidation_policy.h"
#include "ra/scheduler.h"
#include "ra/store.h"
#include "ra/va_client.h"

namespace acmeva::ra {

struct RunnerOptions {
  // Stable name of this RA instance; leases are owned by
  // "<instance_id>#<random per start>", so a restarted instance takes its
  // predecessor's attempts back at once. Give each concurrently running
  // instance sharing one database its own ID.
  std::string instance_id = "ra";
  // Lifetime of a valid authorization. 7 h, like Let's Encrypt's modern
  // profile: this stub does not recheck CAA at issuance, and the Baseline
  // Requirements only let a CA rely on a CAA check for 8 h, so reuse must
  // end before that. (Boulder's legacy 30 days is only safe with its CAA
  // recheck at finalize.)
  absl::Duration valid_authz_lifetime = absl::Hours(7);
  // Deadline of one attempt (DoDCV + DoCAA together).
  absl::Duration va_timeout = absl::Seconds(20);
  // How long a claimed attempt is ours; 0 = 2 * va_timeout + 10 s, longer
  // than any attempt can take, so a live owner never loses its lease.
  absl::Duration lease = absl::ZeroDuration();
  // How often the store is scanned for due attempts (resumed, expired
  // leases of other instances, lost timers). Timers handle the usual case.
  absl::Duration sweep_interval = absl::Seconds(2);
  int sweep_batch = 100;
  // Attempts in flight at once; further due ones wait for the next sweep.
  int max_in_flight = 1000;
  RevalidationPolicy policy;
};

class ValidationRunner {
 public:
  // `on_final(id)` is called (on a scheduler thread) after an authorization
  // was finalized by this runner. Store, VA client and scheduler must
  // outlive the runner.
  ValidationRunner(Store* store, VaClient* va, Scheduler* scheduler,
                   RunnerOptions options,
                   std::function<void(int64_t)> on_final);
  // Abandon()s whatever is still running.
  ~ValidationRunner();
  ValidationRunner(const ValidationRunner&) = delete;
  ValidationRunner& operator=(const ValidationRunner&) = delete;

  // Frees leases of earlier incarnations and starts sweeping (the first
  // sweep runs at once and resumes interrupted validations).
  absl::Status Start();

  // Claims and runs the attempt for `id` at `when` (no-op if someone else
  // has it or it is not due).
  void ScheduleAttempt(int64_t id, absl::Time when);

  // Graceful stop (SIGTERM): claims nothing new, waits up to `timeout` for
  // attempts in flight to be recorded, then abandons the rest.
  void Drain(absl::Duration timeout);
  // Crash-like stop: cancels VA calls in flight and records nothing more;
  // their leases stay, and the next start re-runs those attempts.
  void Abandon();

  const std::string& owner() const;
  int in_flight() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace acmeva::ra

#endif  // RA_VALIDATION_RUNNER_H_
