#include "ra/va_client.h"

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_callback_queue.h"
#include "common/json_log.h"
#include "proto/va.grpc.pb.h"
#include "ra/failover_policy.h"

namespace acmeva::ra {
namespace {

// grpc::StatusCode and absl::StatusCode share their values.
absl::StatusCode ToAbslCode(const grpc::Status& status) {
  return static_cast<absl::StatusCode>(status.error_code());
}

// A VA's problem counts only when it says something: Boulder's "problem
// empty => OK". Half-filled problems fail closed as serverInternal.
std::optional<core::ProblemDetails> MeaningfulProblem(
    bool has_problem, const core::ProblemDetails& problem) {
  if (!has_problem) return std::nullopt;
  if (problem.problemtype().empty() && problem.detail().empty()) {
    return std::nullopt;
  }
  core::ProblemDetails out = problem;
  if (out.problemtype().empty()) out.set_problemtype("serverInternal");
  if (out.httpstatus() == 0) {
    out.set_httpstatus(out.problemtype() == "serverInternal" ? 500 : 400);
  }
  return out;
}

class GrpcVaClient : public VaClient {
 public:
  explicit GrpcVaClient(GrpcVaClientOptions options)
      : options_(std::move(options)) {
    policy_.max_tries =
        options_.max_tries > 0
            ? options_.max_tries
            : DefaultMaxTries(static_cast<int>(options_.addresses.size()));
    policy_.reconnect_wait = options_.reconnect_wait;
    for (const std::string& address : options_.addresses) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                  static_cast<int>(absl::ToInt64Milliseconds(
                      options_.max_reconnect_backoff)));
      args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 250);
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
      Backend backend;
      backend.address = address;
      backend.channel =
          grpc::CreateCustomChannel(address, options_.credentials, args);
      backend.dcv = ::va::VA::NewStub(backend.channel);
      backend.caa = ::va::CAA::NewStub(backend.channel);
      backends_.push_back(std::move(backend));
    }
  }

  ~GrpcVaClient() override {
    CancelAll();
    // Callbacks still reference this object: wait for the last one.
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &outstanding_));
  }

  void Validate(const VaRequest& request,
                absl::AnyInvocable<void(VaOutcome) &&> done) override {
    auto op = std::make_shared<Operation>();
    op->request = request;
    op->done = std::move(done);
    op->start = next_backend_.fetch_add(1);
    StartTry(std::move(op));
  }

  void CancelAll() override {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (grpc::ClientContext* ctx : live_) ctx->TryCancel();
  }

 private:
  struct Backend {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<::va::VA::Stub> dcv;
    std::unique_ptr<::va::CAA::Stub> caa;
  };

  // One validation attempt; one RPC of it is in flight at a time.
  struct Operation {
    VaRequest request;
    absl::AnyInvocable<void(VaOutcome) &&> done;
    bool caa_phase = false;
    uint64_t start = 0;  // rotation offset of the current phase
    int tries = 0;       // tries made in the current phase
    // The backend and end of the reconnect window of the last patient try,
    // and how often it was repeated (see FailoverPolicy).
    int patient_backend = -1;
    absl::Time patient_until;
    int patient_repeats = 0;
    std::unique_ptr<grpc::Alarm> alarm;  // the sleep before a repeat
    std::vector<core::ValidationRecord> records;
    ::va::PerformValidationRequest dcv_request;
    ::va::ValidationResult dcv_response;
    ::va::IsCAAValidRequest caa_request;
    ::va::IsCAAValidResponse caa_response;
    std::unique_ptr<grpc::ClientContext> context;
  };

  // The log fields of a failed call; `count_key` names the try count.
  static common::JsonFields CallFields(const Operation& op,
                                       const grpc::Status& status,
                                       std::string_view count_key) {
    return common::JsonFields()
        .Int("authzID", op.request.authz_id)
        .Str("rpc", op.caa_phase ? "DoCAA" : "DoDCV")
        .Int(count_key, op.tries)
        .Int("grpcCode", status.error_code())
        .Str("grpcMessage", status.error_message());
  }

  void Finish(const std::shared_ptr<Operation>& op, VaOutcome outcome) {
    outcome.records = op->records;
    std::move(op->done)(std::move(outcome));
  }

  void FinishCommunicationError(const std::shared_ptr<Operation>& op,
                                const grpc::Status& status, bool transient) {
    common::Log("warning", "Failed to communicate with VA",
                CallFields(*op, status, "tries"));
    VaOutcome outcome;
    outcome.problem = CouldNotCommunicateProblem(transient);
    Finish(op, std::move(outcome));
  }

  // Starts the next try of the current phase, or (`repeat`) the last
  // patient try again on the same VA inside its reconnect window.
  void StartTry(std::shared_ptr<Operation> op, bool repeat = false) {
    int index;
    bool patient;
    absl::Time try_deadline;
    if (repeat) {
      index = op->patient_backend;
      patient = true;
      try_deadline = op->patient_until;
    } else {
      const TryPlan plan =
          PlanTry(policy_, static_cast<int>(backends_.size()), op->start,
                  op->tries++, absl::Now(), op->request.deadline);
      index = plan.va;
      patient = plan.patient;
      try_deadline = plan.deadline;
      if (patient) {
        op->patient_backend = index;
        op->patient_until = try_deadline;
      }
    }
    Backend& backend = backends_[index];
    op->context = std::make_unique<grpc::ClientContext>();
    op->context->set_deadline(absl::ToChronoTime(try_deadline));
    op->context->set_wait_for_ready(patient);
    grpc::ClientContext* ctx = op->context.get();
    bool refused = false;
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) {
        refused = true;
      } else {
        live_.insert(ctx);
        ++outstanding_;
      }
    }
    if (refused) {
      VaOutcome outcome;
      outcome.cancelled = true;
      Finish(op, std::move(outcome));
      return;
    }
    auto callback = [this, op, ctx, try_deadline,
                     patient](grpc::Status status) {
      bool cancelled_by_us;
      {
        absl::MutexLock lock(&mu_);
        live_.erase(ctx);
        cancelled_by_us = shutting_down_;
      }
      OnTryDone(op, status, try_deadline, patient, cancelled_by_us);
      absl::MutexLock lock(&mu_);
      --outstanding_;
    };
    if (!op->caa_phase) {
      op->dcv_request.Clear();
      *op->dcv_request.mutable_identifier() = DnsIdentifier(op->request);
      core::Challenge* challenge = op->dcv_request.mutable_challenge();
      challenge->set_id(op->request.authz_id);
      challenge->set_type(op->request.challenge_type);
      challenge->set_status("pending");
      challenge->set_token(op->request.token);
      op->dcv_request.mutable_authz()->set_regid(op->request.account_id);
      op->dcv_request.mutable_authz()->set_id(op->request.authz_id);
      op->dcv_request.set_expectedkeyauthorization(
          op->request.key_authorization);
      op->dcv_response.Clear();
      backend.dcv->async()->DoDCV(ctx, &op->dcv_request, &op->dcv_response,
                                  std::move(callback));
    } else {
      op->caa_request.Clear();
      *op->caa_request.mutable_identifier() = DnsIdentifier(op->request);
      op->caa_request.set_validationmethod(op->request.challenge_type);
      op->caa_request.set_accounturiid(op->request.account_id);
      op->caa_request.set_authzid(op->request.authz_id);
      op->caa_response.Clear();
      backend.caa->async()->DoCAA(ctx, &op->caa_request, &op->caa_response,
                                  std::move(callback));
    }
  }

  static core::Identifier DnsIdentifier(const VaRequest& request) {
    core::Identifier id;
    id.set_type("dns");
    id.set_value(request.identifier);
    return id;
  }

  void OnTryDone(const std::shared_ptr<Operation>& op,
                 const grpc::Status& status, absl::Time try_deadline,
                 bool patient, bool cancelled_by_us) {
    if (status.ok()) {
      if (!op->caa_phase) {
        op->records.assign(op->dcv_response.records().begin(),
                           op->dcv_response.records().end());
        if (auto problem = MeaningfulProblem(op->dcv_response.has_problem(),
                                             op->dcv_response.problem())) {
          VaOutcome outcome;
          outcome.problem = std::move(problem);
          Finish(op, std::move(outcome));
          return;
        }
        // DCV passed: CAA next, on a freshly rotated VA.
        op->caa_phase = true;
        op->tries = 0;
        op->patient_backend = -1;
        op->patient_repeats = 0;
        op->start = next_backend_.fetch_add(1);
        StartTry(op);
        return;
      }
      VaOutcome outcome;
      outcome.problem = MeaningfulProblem(op->caa_response.has_problem(),
                                          op->caa_response.problem());
      Finish(op, std::move(outcome));
      return;
    }
    if (cancelled_by_us) {
      VaOutcome outcome;
      outcome.cancelled = true;
      Finish(op, std::move(outcome));
      return;
    }
    const absl::Time now = absl::Now();
    if (std::optional<absl::Time> wake =
            PatientRepeatAt(policy_, ToAbslCode(status), patient,
                            op->patient_repeats, op->patient_until, now);
        wake.has_value() && RepeatPatientTry(op, status, *wake)) {
      return;
    }
    switch (DecideAfterFailedTry(
        policy_, FailedTry{.code = ToAbslCode(status),
                           .try_deadline = try_deadline,
                           .request_deadline = op->request.deadline,
                           .now = now,
                           .tries_made = op->tries})) {
      case AfterFailedTry::kGiveUpFinal:
        FinishCommunicationError(op, status, /*transient=*/false);
        return;
      case AfterFailedTry::kGiveUpTransient:
        FinishCommunicationError(op, status, /*transient=*/true);
        return;
      case AfterFailedTry::kNextTry:
        break;
    }
    common::Log("info", "VA call failed; trying the next VA",
                CallFields(*op, status, "try"));
    StartTry(op);
  }

  // Sleeps until `wake`, then repeats the last patient try on the same VA.
  // False when shutting down; the caller then goes on as for any failed
  // try.
  bool RepeatPatientTry(const std::shared_ptr<Operation>& op,
                        const grpc::Status& status, absl::Time wake) {
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) return false;
      ++outstanding_;
    }
    ++op->patient_repeats;
    common::Log("info", "Patient VA call failed at once; trying that VA again",
                common::JsonFields()
                    .Int("authzID", op->request.authz_id)
                    .Str("rpc", op->caa_phase ? "DoCAA" : "DoDCV")
                    .Str("va", backends_[op->patient_backend].address)
                    .Int("repeat", op->patient_repeats)
                    .Int("grpcCode", status.error_code())
                    .Str("grpcMessage", status.error_message()));
    // The alarm is not cancelled by CancelAll (that would race with its
    // own destruction here); a sleep is at most a few hundred ms, and
    // StartTry refuses to start a call once we are shutting down.
    op->alarm = std::make_unique<grpc::Alarm>();
    op->alarm->Set(absl::ToChronoTime(wake), [this, op](bool) {
      // Freed here, not by the operation: its callback holds the operation
      // (gRPC frees the callback only after it returns).
      std::unique_ptr<grpc::Alarm> self = std::move(op->alarm);
      StartTry(op, /*repeat=*/true);
      absl::MutexLock lock(&mu_);
      --outstanding_;
    });
    return true;
  }

  GrpcVaClientOptions options_;
  FailoverPolicy policy_;
  std::vector<Backend> backends_;
  std::atomic<uint64_t> next_backend_{0};

  absl::Mutex mu_;
  absl::flat_hash_set<grpc::ClientContext*> live_ ABSL_GUARDED_BY(mu_);
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

core::ProblemDetails CouldNotCommunicateProblem(bool transient) {
  core::ProblemDetails problem;
  problem.set_problemtype("serverInternal");
  problem.set_detail("Could not communicate with VA");
  problem.set_httpstatus(500);
  problem.set_transient(transient);
  return problem;
}

absl::StatusOr<std::unique_ptr<VaClient>> NewGrpcVaClient(
    GrpcVaClientOptions options) {
  if (options.addresses.empty()) {
    return absl::InvalidArgumentError("at least one VA address is required");
  }
  if (options.credentials == nullptr) {
    return absl::InvalidArgumentError("VA channel credentials are required");
  }
  common::KeepGrpcCallbackQueue();
  return std::unique_ptr<VaClient>(new GrpcVaClient(std::move(options)));
}

}  // namespace acmeva::ra
