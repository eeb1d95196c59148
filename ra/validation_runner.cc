#include "ra/validation_runner.h"

#include <cmath>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/json_log.h"
#include "va/challenge_registry.h"

namespace acmeva::ra {

struct ValidationRunner::Core : std::enable_shared_from_this<Core> {
  Core(Store* store, VaClient* va, Scheduler* scheduler, RunnerOptions options,
       std::function<void(int64_t)> on_final)
      : store(store),
        va(va),
        scheduler(scheduler),
        options(std::move(options)),
        on_final(std::move(on_final)) {
    absl::BitGen gen;
    owner = absl::StrFormat("%s#%016x", this->options.instance_id,
                            absl::Uniform<uint64_t>(gen));
    if (this->options.lease <= absl::ZeroDuration()) {
      this->options.lease = 2 * this->options.va_timeout + absl::Seconds(10);
    }
    if (this->options.lease <= this->options.va_timeout) {
      // Another claimer could then start a second attempt while ours is
      // still running (the compare-and-set still keeps one result).
      common::Log("warning", "lease is not longer than the VA timeout",
                  common::JsonFields()
                      .Str("lease", absl::FormatDuration(this->options.lease))
                      .Str("vaTimeout",
                           absl::FormatDuration(this->options.va_timeout)));
    }
  }

  // Wraps work so that it runs only while the runner records results, and
  // so that Abandon() can wait for work already running.
  template <typename F>
  Scheduler::Task Guarded(F f) {
    return [weak = weak_from_this(), f = std::move(f)]() mutable {
      std::shared_ptr<Core> core = weak.lock();
      if (core == nullptr || !core->Enter()) return;
      f(*core);
      core->Exit();
    };
  }

  bool Enter() {
    absl::MutexLock lock(&mu);
    if (!recording) return false;
    ++active_tasks;
    return true;
  }
  void Exit() {
    absl::MutexLock lock(&mu);
    --active_tasks;
  }
  bool Claiming() {
    absl::MutexLock lock(&mu);
    return claiming;
  }
  absl::Time LeaseUntil(absl::Time now) const { return now + options.lease; }

  void Sweep() {
    if (!Claiming()) return;
    int room;
    {
      absl::MutexLock lock(&mu);
      room = std::min(options.sweep_batch, options.max_in_flight - in_flight);
    }
    if (room > 0) {
      const absl::Time now = absl::Now();
      absl::StatusOr<std::vector<AuthzRecord>> due =
          store->ClaimDue(owner, now, LeaseUntil(now), room);
      if (!due.ok()) {
        common::Log("error", "claiming due validations failed",
                    common::JsonFields().Str("error", due.status().ToString()));
      } else {
        for (AuthzRecord& record : *due) RunAttempt(std::move(record));
      }
    }
    scheduler->PostAt(absl::Now() + options.sweep_interval,
                      Guarded([](Core& core) { core.Sweep(); }));
  }

  void ClaimAndRun(int64_t id) {
    if (!Claiming()) return;
    const absl::Time now = absl::Now();
    absl::StatusOr<AuthzRecord> record =
        store->Claim(id, owner, now, LeaseUntil(now));
    // ABORTED: not due, finished, or another claimer has it; all fine.
    if (!record.ok()) return;
    RunAttempt(*std::move(record));
  }

  void RunAttempt(AuthzRecord record) {
    {
      absl::MutexLock lock(&mu);
      ++in_flight;
    }
    VaRequest request;
    request.authz_id = record.id;
    request.account_id = record.account_id;
    request.identifier = record.identifier;
    request.challenge_type = record.challenge_type;
    // dns-persist-01 has no token (Boulder's RA sends none either).
    const va::ChallengeValidator* challenge =
        va::FindChallenge(record.challenge_type);
    if (challenge != nullptr && challenge->UsesToken()) {
      request.token = record.token;
    }
    request.key_authorization = record.key_authorization;
    request.deadline = absl::Now() + options.va_timeout;
    common::Log("info", "validation attempt",
                common::JsonFields()
                    .Int("authzID", record.id)
                    .Str("identifier", record.identifier)
                    .Int("attempt", record.attempts + 1));
    va->Validate(request, [weak = weak_from_this(), record = std::move(record)](
                              VaOutcome outcome) mutable {
      std::shared_ptr<Core> core = weak.lock();
      if (core == nullptr) return;
      // Off the gRPC thread: recording the outcome writes to the store.
      core->scheduler->Post(
          core->Guarded([record = std::move(record),
                         outcome = std::move(outcome)](Core& c) mutable {
            c.OnOutcome(record, std::move(outcome));
            absl::MutexLock lock(&c.mu);
            --c.in_flight;
          }));
    });
  }

  void OnOutcome(const AuthzRecord& record, VaOutcome outcome) {
    // Cancelled by our own shutdown: no verdict. The lease stays, and the
    // next start (or another instance, after it expires) re-runs it.
    if (outcome.cancelled) return;
    const absl::Time now = absl::Now();
    const int attempt = record.attempts + 1;
    if (!outcome.problem) {
      Finalization result;
      result.valid = true;
      result.finished_at = now;
      result.expires = now + options.valid_authz_lifetime;
      result.records = std::move(outcome.records);
      Record(record.id, attempt, "valid",
             store->Finalize(record.id, owner, record.attempts, result), true);
      return;
    }
    core::ProblemDetails problem = *std::move(outcome.problem);
    AttemptOutcome facts;
    facts.attempts_made = attempt;
    facts.first_attempt_at = record.first_attempt_at == absl::InfinitePast()
                                 ? now
                                 : record.first_attempt_at;
    facts.now = now;
    facts.transient = problem.transient();
    double draw;
    {
      absl::MutexLock lock(&mu);
      draw = absl::Uniform<double>(rng, 0.0, 1.0);
    }
    const RevalidationDecision decision =
        DecideRevalidation(options.policy, facts, draw);
    if (decision.retry) {
      problem.set_retryafterseconds(static_cast<int32_t>(
          std::ceil(absl::ToDoubleSeconds(decision.next_attempt_at - now))));
      const absl::Status status =
          store->RecordRetry(record.id, owner, record.attempts, problem, now,
                             decision.next_attempt_at);
      Record(record.id, attempt, "retry", status, false, &problem);
      if (status.ok()) {
        const int64_t id = record.id;
        scheduler->PostAt(decision.next_attempt_at,
                          Guarded([id](Core& c) { c.ClaimAndRun(id); }));
      }
      return;
    }
    problem.set_retryafterseconds(0);  // final: nothing to wait for
    Finalization result;
    result.valid = false;
    result.finished_at = now;
    result.problem = problem;
    result.records = std::move(outcome.records);
    Record(record.id, attempt, "invalid",
           store->Finalize(record.id, owner, record.attempts, result), true,
           &problem, decision.reason);
  }

  void Record(int64_t id, int attempt, const char* what,
              const absl::Status& status, bool final,
              const core::ProblemDetails* problem = nullptr,
              const std::string& reason = "") {
    common::JsonFields fields;
    fields.Int("authzID", id).Int("attempt", attempt).Str("result", what);
    if (problem != nullptr) {
      fields.Str("problemType", problem->problemtype())
          .Str("detail", problem->detail())
          .Bool("transient", problem->transient());
    }
    if (!reason.empty()) fields.Str("finalBecause", reason);
    if (!status.ok()) {
      // ABORTED: the lease was lost or someone else recorded first; the
      // compare-and-set kept the stored result intact.
      fields.Str("error", status.ToString());
      common::Log("warning", "Failed to record validation", fields);
      return;
    }
    common::Log("info", "validation recorded", fields);
    if (final && on_final) on_final(id);
  }

  Store* const store;
  VaClient* const va;
  Scheduler* const scheduler;
  RunnerOptions options;
  const std::function<void(int64_t)> on_final;
  std::string owner;

  absl::Mutex mu;
  absl::CondVar cv;
  bool claiming ABSL_GUARDED_BY(mu) = true;
  bool recording ABSL_GUARDED_BY(mu) = true;
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  int active_tasks ABSL_GUARDED_BY(mu) = 0;
  absl::BitGen rng ABSL_GUARDED_BY(mu);
};

ValidationRunner::ValidationRunner(Store* store, VaClient* va,
                                   Scheduler* scheduler, RunnerOptions options,
                                   std::function<void(int64_t)> on_final)
    : core_(std::make_shared<Core>(store, va, scheduler, std::move(options),
                                   std::move(on_final))) {}

ValidationRunner::~ValidationRunner() { Abandon(); }

absl::Status ValidationRunner::Start() {
  if (absl::Status s = core_->store->ReleaseStaleLeases(
          core_->options.instance_id, core_->owner);
      !s.ok()) {
    return s;
  }
  core_->scheduler->Post(core_->Guarded([](Core& c) { c.Sweep(); }));
  return absl::OkStatus();
}

void ValidationRunner::ScheduleAttempt(int64_t id, absl::Time when) {
  core_->scheduler->PostAt(
      when, core_->Guarded([id](Core& c) { c.ClaimAndRun(id); }));
}

void ValidationRunner::Drain(absl::Duration timeout) {
  {
    absl::MutexLock lock(&core_->mu);
    core_->claiming = false;
    const absl::Time deadline = absl::Now() + timeout;
    Core* core = core_.get();
    core_->mu.AwaitWithDeadline(
        absl::Condition(
            +[](Core* c)
                 ABSL_NO_THREAD_SAFETY_ANALYSIS { return c->in_flight == 0; },
            core),
        deadline);
  }
  Abandon();
}

void ValidationRunner::Abandon() {
  {
    absl::MutexLock lock(&core_->mu);
    core_->claiming = false;
    core_->recording = false;
  }
  core_->va->CancelAll();
  absl::MutexLock lock(&core_->mu);
  Core* core = core_.get();
  core_->mu.Await(absl::Condition(
      +[](Core* c)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return c->active_tasks == 0; },
      core));
}

const std::string& ValidationRunner::owner() const { return core_->owner; }

int ValidationRunner::in_flight() const {
  absl::MutexLock lock(&core_->mu);
  return core_->in_flight;
}

}  // namespace acmeva::ra
