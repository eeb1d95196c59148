#include "va/remote_perspectives.h"

#include <grpcpp/alarm.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_callback_queue.h"
#include "common/json_log.h"
#include "common/string_view_bridge.h"
#include "proto/va.grpc.pb.h"
#include "va/quorum.h"

namespace acmeva::va {

struct RemoteEndpoint {
  RemoteVaConfig config;
  absl::Duration timeout;  // this remote's own, or the global one
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<::va::VA::Stub> va;
  std::unique_ptr<::va::CAA::Stub> caa;
};

struct RemotePerspectives::Metrics {
  common::MetricFamily* remote_results = nullptr;  // {perspective, result}
  common::MetricFamily* quorum = nullptr;          // {kind, result}

  void Remote(const std::string& perspective, std::string_view result) const {
    if (remote_results) remote_results->Add({perspective, result}, 1);
  }
  void Quorum(const std::string& kind, std::string_view result) const {
    if (quorum) quorum->Add({kind, result}, 1);
  }
};

namespace {

using Metrics = RemotePerspectives::Metrics;

constexpr std::string_view kPrefix = "During secondary validation: ";

enum class RemoteOutcome {
  kPass,
  kProblem,        // the remote answered with a problem
  kRpcError,       // the RPC failed (down, timeout, TLS, ...)
  kCanceled,       // the RPC was cancelled
  kMisconfigured,  // the reply names another perspective or RIR
};

std::string_view OutcomeLabel(RemoteOutcome outcome) {
  switch (outcome) {
    case RemoteOutcome::kPass:
      return "pass";
    case RemoteOutcome::kProblem:
      return "problem";
    case RemoteOutcome::kRpcError:
      return "rpc_error";
    case RemoteOutcome::kCanceled:
      return "canceled";
    case RemoteOutcome::kMisconfigured:
      return "misconfigured";
  }
  return "rpc_error";
}

struct RemoteResult {
  RemoteOutcome outcome = RemoteOutcome::kPass;
  std::optional<Problem> problem;  // set unless kPass
  std::string error;               // for the logs: RPC status or reply names
  absl::Duration latency;
};

template <typename Response>
RemoteResult Classify(const RemoteEndpoint& remote, const grpc::Status& status,
                      const Response& response) {
  RemoteResult r;
  if (!status.ok()) {
    const bool canceled = status.error_code() == grpc::StatusCode::CANCELLED;
    r.outcome = canceled ? RemoteOutcome::kCanceled : RemoteOutcome::kRpcError;
    // Transient: the remote may well answer the next attempt.
    r.problem =
        ServerInternalProblem(canceled ? "Secondary validation RPC canceled"
                                       : "Secondary validation RPC failed",
                              /*transient=*/true);
    r.error = absl::StrCat("code ", static_cast<int>(status.error_code()), ": ",
                           status.error_message());
    return r;
  }
  const RemoteVaConfig& want = remote.config;
  if (response.perspective() != want.perspective ||
      response.rir() != want.rir) {
    r.outcome = RemoteOutcome::kMisconfigured;
    r.error = absl::StrCat("reply from \"", response.perspective(), "\" (\"",
                           response.rir(), "\")");
    r.problem = ServerInternalProblem(
        absl::StrCat("Expected perspective \"", want.perspective, "\" (\"",
                     want.rir, "\") but got reply from \"",
                     response.perspective(), "\" (\"", response.rir(),
                     "\") - misconfiguration likely"),
        /*transient=*/false);
    return r;
  }
  if (response.has_problem()) {
    r.outcome = RemoteOutcome::kProblem;
    r.problem = FromProto(response.problem());
    return r;
  }
  return r;
}

// The part of a remote call the fan-out handles without knowing its types.
struct CallBase {
  virtual ~CallBase() = default;
  grpc::ClientContext ctx;
  bool finished = false;  // guarded by RemoteFanout::mu_
};

template <typename Request, typename Response>
struct Call : CallBase {
  Request request;  // a copy per call: serializing writes cached sizes
  Response response;
};

}  // namespace

class RemoteFanout;

// Every fan-out still alive, so that the destructor can cancel and await them.
class FanoutTracker {
 public:
  void Add(RemoteFanout* key, std::weak_ptr<RemoteFanout> fanout) {
    absl::MutexLock lock(&mu_);
    live_[key] = std::move(fanout);
  }
  void Remove(RemoteFanout* key) {
    absl::MutexLock lock(&mu_);
    live_.erase(key);
  }
  void CancelAllAndWait();

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<RemoteFanout*, std::weak_ptr<RemoteFanout>> live_
      ABSL_GUARDED_BY(mu_);
};

// One request's fan-out. Owned jointly by the RPC callbacks (each holds a
// shared_ptr), so it outlives every one of them; whoever reports last
// destroys it and, with it, the ClientContexts.
class RemoteFanout : public std::enable_shared_from_this<RemoteFanout> {
 public:
  RemoteFanout(std::string kind, std::string identifier,
               std::vector<std::shared_ptr<const RemoteEndpoint>> remotes,
               absl::Duration grace, std::shared_ptr<const Metrics> metrics,
               std::shared_ptr<FanoutTracker> tracker, CorroborationDone done)
      : registration_(std::move(tracker), this),
        kind_(std::move(kind)),
        identifier_(std::move(identifier)),
        remotes_(std::move(remotes)),
        grace_(grace),
        metrics_(std::move(metrics)),
        start_(absl::Now()),
        done_(std::move(done)),
        results_(remotes_.size()) {}

  // Sends the request to every remote; each RPC ends at
  // min(now + its timeout, deadline). `start` issues one RPC.
  // `agree`, when set, may turn a passing reply into a failed one.
  template <typename Request, typename Response, typename StartFn>
  void Run(
      const Request& request, absl::Time deadline, StartFn start,
      std::function<std::optional<Problem>(const Response&)> agree = nullptr) {
    std::vector<Call<Request, Response>*> calls;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& remote : remotes_) {
        auto call = std::make_unique<Call<Request, Response>>();
        call->request = request;
        call->ctx.set_deadline(
            absl::ToChronoTime(std::min(start_ + remote->timeout, deadline)));
        calls.push_back(call.get());
        calls_.push_back(std::move(call));
      }
    }
    registration_.tracker->Add(this, weak_from_this());
    // No lock held: gRPC may run a callback before the call returns.
    for (size_t i = 0; i < calls.size(); ++i) {
      Call<Request, Response>* call = calls[i];
      start(*remotes_[i], &call->ctx, &call->request, &call->response,
            [self = shared_from_this(), i, call, agree](grpc::Status status) {
              RemoteResult result =
                  Classify(*self->remotes_[i], status, call->response);
              if (result.outcome == RemoteOutcome::kPass && agree) {
                if (std::optional<Problem> p = agree(call->response)) {
                  result.outcome = RemoteOutcome::kProblem;
                  result.error = p->detail;
                  result.problem = std::move(p);
                }
              }
              self->OnResult(i, std::move(result));
            });
    }
  }

  // Cancels the RPCs still running (stragglers, or everything at shutdown).
  void CancelUnfinished() {
    std::vector<grpc::ClientContext*> running;
    {
      absl::MutexLock lock(&mu_);
      cancel_requested_ = true;
      for (const auto& call : calls_) {
        if (!call->finished) running.push_back(&call->ctx);
      }
    }
    for (grpc::ClientContext* ctx : running) ctx->TryCancel();
  }

 private:
  void OnResult(size_t index, RemoteResult result) {
    const RemoteEndpoint& remote = *remotes_[index];
    result.latency = absl::Now() - start_;
    CorroborationDone done;
    std::optional<Problem> problem;
    QuorumState state = QuorumState::kPending;
    bool decided_now = false, arm = false, all_reported = false,
         canceled_by_us = false;
    const RemoteOutcome outcome = result.outcome;
    const std::string error = result.error;
    {
      absl::MutexLock lock(&mu_);
      calls_[index]->finished = true;
      canceled_by_us = cancel_requested_;
      if (outcome != RemoteOutcome::kPass && !first_failure_) {
        first_failure_ = index;
      }
      results_[index] = std::move(result);
      ++reported_;
      all_reported = reported_ == remotes_.size();
      if (!decision_) {
        state = EvaluateQuorum(Tally());
        if (state != QuorumState::kPending) {
          decision_ = state;
          decided_at_ = absl::Now();
          problem = DecisionProblem(state);
          decided_problem_ = problem;
          done = std::move(done_);
          decided_now = true;
          arm = !all_reported;
        }
      }
    }
    metrics_->Remote(remote.config.perspective, OutcomeLabel(outcome));
    LogRemoteTrouble(remote, outcome, error, canceled_by_us);
    if (decided_now) {
      metrics_->Quorum(kind_, QuorumLabel(state));
      if (arm) ArmStragglerCancel();
      std::move(done)(std::move(problem));
    }
    if (all_reported) LogSummary();
  }

  QuorumTally Tally() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    QuorumTally tally;
    tally.remotes = static_cast<int>(remotes_.size());
    for (size_t i = 0; i < remotes_.size(); ++i) {
      const std::string& rir = remotes_[i]->config.rir;
      if (!results_[i]) {
        tally.pending_rirs.push_back(rir);
      } else if (results_[i]->outcome == RemoteOutcome::kPass) {
        tally.passed_rirs.push_back(rir);
      } else {
        ++tally.failed;
      }
    }
    return tally;
  }

  std::vector<std::string> Perspectives(bool passed) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> names;
    for (size_t i = 0; i < remotes_.size(); ++i) {
      if (results_[i] &&
          (results_[i]->outcome == RemoteOutcome::kPass) == passed) {
        names.push_back(remotes_[i]->config.perspective);
      }
    }
    return names;
  }

  std::optional<Problem> DecisionProblem(QuorumState state) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (state == QuorumState::kPassed) return std::nullopt;
    Problem problem;
    if (state == QuorumState::kFailedRirs) {
      std::vector<std::string> rirs;
      for (size_t i = 0; i < remotes_.size(); ++i) {
        if (results_[i] && results_[i]->outcome == RemoteOutcome::kPass) {
          rirs.push_back(remotes_[i]->config.rir);
        }
      }
      rirs = DistinctRirs(rirs);
      // A configuration problem (remotes too concentrated): not transient.
      problem = ServerInternalProblem(
          absl::StrCat(Av(kPrefix), "the passing remote perspectives span ",
                       rirs.size(), rirs.size() == 1 ? " RIR" : " RIRs", " (",
                       absl::StrJoin(rirs, ", "), "), at least ",
                       kRequiredDistinctRirs, " distinct RIRs are required"),
          /*transient=*/false);
    } else if (first_failure_ && results_[*first_failure_]->problem) {
      problem = WithDetailPrefix(*results_[*first_failure_]->problem, kPrefix);
    } else {
      problem = ServerInternalProblem(
          absl::StrCat(Av(kPrefix),
                       "validation failed but the problem is unavailable"),
          /*transient=*/false);
    }
    problem.failed_perspectives = Perspectives(/*passed=*/false);
    return problem;
  }

  static std::string_view QuorumLabel(QuorumState state) {
    switch (state) {
      case QuorumState::kPassed:
        return "pass";
      case QuorumState::kFailedRirs:
        return "fail_rir";
      default:
        return "fail";
    }
  }

  // After the grace period the stragglers are cancelled; the alarm holds
  // only a weak reference, so a fan-out that finished first just goes away.
  void ArmStragglerCancel() {
    if (grace_ <= absl::ZeroDuration()) {
      CancelUnfinished();
      return;
    }
    auto alarm = std::make_unique<grpc::Alarm>();
    grpc::Alarm* raw = alarm.get();
    {
      absl::MutexLock lock(&mu_);
      straggler_alarm_ = std::move(alarm);
    }
    std::weak_ptr<RemoteFanout> weak = weak_from_this();
    raw->Set(absl::ToChronoTime(absl::Now() + grace_), [weak](bool fired) {
      if (!fired) return;
      if (std::shared_ptr<RemoteFanout> self = weak.lock())
        self->CancelUnfinished();
    });
  }

  void LogRemoteTrouble(const RemoteEndpoint& remote, RemoteOutcome outcome,
                        const std::string& error, bool canceled_by_us) const {
    if (outcome == RemoteOutcome::kPass || outcome == RemoteOutcome::kProblem) {
      return;
    }
    if (outcome == RemoteOutcome::kCanceled && canceled_by_us) return;
    common::JsonFields f;
    f.Str("kind", kind_)
        .Str("identifier", identifier_)
        .Str("perspective", remote.config.perspective)
        .Str("rir", remote.config.rir)
        .Str("address", remote.config.address)
        .Str("error", error);
    if (outcome == RemoteOutcome::kMisconfigured) {
      common::Log("error", "Remote perspective misconfigured", f);
    } else {
      common::Log("warning", "Secondary validation RPC failed", f);
    }
  }

  // One audit line per request once every remote has reported (BR §5.4.1:
  // each perspective's result and the quorum).
  void LogSummary() const {
    common::JsonFields f;
    absl::MutexLock lock(&mu_);
    std::vector<std::string> passed = Perspectives(/*passed=*/true);
    std::vector<std::string> passed_rirs;
    std::string remotes_json;
    for (size_t i = 0; i < remotes_.size(); ++i) {
      const RemoteResult& r = *results_[i];
      if (r.outcome == RemoteOutcome::kPass) {
        passed_rirs.push_back(remotes_[i]->config.rir);
      }
      common::JsonFields one;
      one.Str("perspective", remotes_[i]->config.perspective)
          .Str("rir", remotes_[i]->config.rir)
          .Str("result", OutcomeLabel(r.outcome))
          .Num("latencyMs", absl::ToDoubleMilliseconds(r.latency));
      if (r.problem) {
        one.Str("problemType", ProblemTypeName(r.problem->type))
            .Str("detail", r.problem->detail);
      }
      absl::StrAppend(&remotes_json, remotes_json.empty() ? "" : ",", "{",
                      one.body(), "}");
    }
    f.Str("kind", kind_)
        .Str("identifier", identifier_)
        .Str("result", decision_ == QuorumState::kPassed ? "pass" : "fail")
        .Str("quorumResult", absl::StrCat(passed.size(), "/", remotes_.size()))
        .Strs("passedPerspectives", passed)
        .Strs("failedPerspectives", Perspectives(/*passed=*/false))
        .Strs("passedRIRs", DistinctRirs(passed_rirs))
        .Num("decidedAfterMs", absl::ToDoubleMilliseconds(decided_at_ - start_))
        .Num("latencyMs", absl::ToDoubleMilliseconds(absl::Now() - start_));
    if (decided_problem_) {
      f.Str("problemType", ProblemTypeName(decided_problem_->type))
          .Str("problemDetail", decided_problem_->detail);
    }
    f.Raw("remotes", absl::StrCat("[", remotes_json, "]"));
    common::Log("audit", "Quorum result", f);
  }

  // Leaves the tracker when the fan-out is destroyed, after every other
  // member (so it is declared first). The corroborator's destructor waits for
  // that, so it is the one to drop the last channel reference, on its own
  // thread: a grpc::Channel destroyed on a gRPC callback thread can be the
  // last user of the callback completion queue, whose threads cannot join
  // themselves (grpc/grpc#32584) and the process crashes.
  struct Registration {
    Registration(std::shared_ptr<FanoutTracker> t, RemoteFanout* k)
        : tracker(std::move(t)), key(k) {}
    ~Registration() { tracker->Remove(key); }
    const std::shared_ptr<FanoutTracker> tracker;
    RemoteFanout* const key;
  };
  Registration registration_;

  const std::string kind_;
  const std::string identifier_;
  const std::vector<std::shared_ptr<const RemoteEndpoint>> remotes_;
  const absl::Duration grace_;
  const std::shared_ptr<const Metrics> metrics_;
  const absl::Time start_;

  mutable absl::Mutex mu_;
  CorroborationDone done_ ABSL_GUARDED_BY(mu_);
  // Filled before any RPC starts; only `finished` changes afterwards.
  std::vector<std::unique_ptr<CallBase>> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::optional<RemoteResult>> results_ ABSL_GUARDED_BY(mu_);
  size_t reported_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<size_t> first_failure_ ABSL_GUARDED_BY(mu_);
  std::optional<QuorumState> decision_ ABSL_GUARDED_BY(mu_);
  std::optional<Problem> decided_problem_ ABSL_GUARDED_BY(mu_);
  absl::Time decided_at_ ABSL_GUARDED_BY(mu_);
  bool cancel_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Alarm> straggler_alarm_ ABSL_GUARDED_BY(mu_);
};

void FanoutTracker::CancelAllAndWait() {
  std::vector<std::shared_ptr<RemoteFanout>> live;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [key, weak] : live_) {
      if (std::shared_ptr<RemoteFanout> f = weak.lock())
        live.push_back(std::move(f));
    }
  }
  for (const auto& f : live) f->CancelUnfinished();
  live.clear();  // our references must not keep them alive while we wait
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](absl::flat_hash_map<RemoteFanout*, std::weak_ptr<RemoteFanout>>* m) {
        return m->empty();
      },
      &live_));
}

absl::StatusOr<std::unique_ptr<RemotePerspectives>> RemotePerspectives::Create(
    RemotePerspectivesConfig config, common::MetricsRegistry* metrics) {
  if (config.min_remote_perspectives < 1) {
    return absl::InvalidArgumentError(
        "--min-remote-perspectives must be at least 1 (without remote "
        "perspectives, configure no corroborator at all)");
  }
  if (config.remote_timeout <= absl::ZeroDuration() ||
      config.remote_timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("remote timeout must be positive and finite, got ",
                     absl::FormatDuration(config.remote_timeout)));
  }
  if (config.straggler_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("straggler grace must not be negative");
  }
  for (size_t i = 0; i < config.remotes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (config.remotes[i].perspective == config.remotes[j].perspective) {
        return absl::InvalidArgumentError(
            absl::StrCat("remote perspective \"", config.remotes[i].perspective,
                         "\" is configured twice"));
      }
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      common::MakeChannelCredentials(config.tls);
  if (!creds.ok()) return creds.status();

  std::vector<std::shared_ptr<const RemoteEndpoint>> remotes;
  std::vector<std::string> rirs;
  for (const RemoteVaConfig& remote : config.remotes) {
    grpc::ChannelArguments args;
    if (!config.tls.server_name_override.empty()) {
      args.SetSslTargetNameOverride(config.tls.server_name_override);
    }
    // A remote that was down is retried within seconds, not gRPC's default
    // two minutes: its RPCs fail fast meanwhile and count against the quorum.
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
    // Own connections per channel: gRPC otherwise shares subchannels
    // process-wide, and a new channel to a remote that is down would wait
    // out another channel's reconnect backoff instead of failing fast.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto endpoint = std::make_shared<RemoteEndpoint>();
    endpoint->config = remote;
    endpoint->timeout = remote.timeout > absl::ZeroDuration()
                            ? remote.timeout
                            : config.remote_timeout;
    common::KeepGrpcCallbackQueue();
    endpoint->channel = grpc::CreateCustomChannel(remote.address, *creds, args);
    endpoint->va = ::va::VA::NewStub(endpoint->channel);
    endpoint->caa = ::va::CAA::NewStub(endpoint->channel);
    rirs.push_back(remote.rir);
    remotes.push_back(std::move(endpoint));
  }
  if (static_cast<int>(remotes.size()) < config.min_remote_perspectives) {
    common::JsonFields f;
    f.Int("configured", static_cast<int64_t>(remotes.size()))
        .Int("minimum", config.min_remote_perspectives);
    common::Log("error",
                "Fewer remote perspectives than --min-remote-perspectives: "
                "every validation will fail",
                f);
  }
  if (static_cast<int>(DistinctRirs(rirs).size()) < kRequiredDistinctRirs) {
    common::JsonFields f;
    f.Strs("rirs", DistinctRirs(rirs));
    common::Log("error",
                "Remote perspectives span fewer than 2 RIRs: the quorum can "
                "never pass",
                f);
  }
  return std::unique_ptr<RemotePerspectives>(
      new RemotePerspectives(std::move(config), std::move(remotes), metrics));
}

RemotePerspectives::RemotePerspectives(
    RemotePerspectivesConfig config,
    std::vector<std::shared_ptr<const RemoteEndpoint>> remotes,
    common::MetricsRegistry* metrics)
    : config_(std::move(config)),
      remotes_(std::move(remotes)),
      tracker_(std::make_shared<FanoutTracker>()) {
  auto m = std::make_shared<Metrics>();
  if (metrics != nullptr) {
    m->remote_results =
        metrics->Counter("mpic_remote_results_total",
                         "Remote perspective results by perspective and result",
                         {"perspective", "result"});
    m->quorum = metrics->Counter("mpic_quorum_total",
                                 "Quorum decisions by kind and result",
                                 {"kind", "result"});
  }
  metrics_ = std::move(m);
}

RemotePerspectives::~RemotePerspectives() { tracker_->CancelAllAndWait(); }

bool RemotePerspectives::EnoughRemotes(const char* kind,
                                       const std::string& identifier,
                                       CorroborationDone& done) {
  if (static_cast<int>(remotes_.size()) >= config_.min_remote_perspectives) {
    return true;
  }
  metrics_->Quorum(kind, "insufficient");
  common::JsonFields f;
  f.Str("kind", kind)
      .Str("identifier", identifier)
      .Int("configured", static_cast<int64_t>(remotes_.size()))
      .Int("minimum", config_.min_remote_perspectives);
  common::Log("error", "Insufficient remote perspectives", f);
  // A configuration error: retrying cannot help, so not transient.
  std::move(done)(ServerInternalProblem(
      absl::StrCat("Insufficient remote perspectives: need at least ",
                   config_.min_remote_perspectives),
      /*transient=*/false));
  return false;
}

void RemotePerspectives::CorroborateDcv(
    const ::va::PerformValidationRequest& request, absl::Time deadline,
    CorroborationDone done, RemoteDcvCheck check) {
  const std::string& identifier = request.identifier().value();
  if (!EnoughRemotes("dcv", identifier, done)) return;
  auto fanout = std::make_shared<RemoteFanout>(
      "dcv", identifier, remotes_, config_.straggler_grace, metrics_, tracker_,
      std::move(done));
  fanout->Run<::va::PerformValidationRequest, ::va::ValidationResult>(
      request, deadline,
      [](const RemoteEndpoint& remote, grpc::ClientContext* ctx,
         const ::va::PerformValidationRequest* req,
         ::va::ValidationResult* resp,
         std::function<void(grpc::Status)> callback) {
        remote.va->async()->DoDCV(ctx, req, resp, std::move(callback));
      },
      std::move(check));
}

void RemotePerspectives::CorroborateCaa(const ::va::IsCAAValidRequest& request,
                                        absl::Time deadline,
                                        CorroborationDone done) {
  const std::string& identifier = request.identifier().value();
  if (!EnoughRemotes("caa", identifier, done)) return;
  auto fanout = std::make_shared<RemoteFanout>(
      "caa", identifier, remotes_, config_.straggler_grace, metrics_, tracker_,
      std::move(done));
  fanout->Run<::va::IsCAAValidRequest, ::va::IsCAAValidResponse>(
      request, deadline,
      [](const RemoteEndpoint& remote, grpc::ClientContext* ctx,
         const ::va::IsCAAValidRequest* req, ::va::IsCAAValidResponse* resp,
         std::function<void(grpc::Status)> callback) {
        remote.caa->async()->DoCAA(ctx, req, resp, std::move(callback));
      });
}

}  // namespace acmeva::va
