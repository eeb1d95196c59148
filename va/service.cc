#include "va/service.h"

#include <grpc/support/time.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_decoded_request.h"
#include "common/grpc_status.h"
#include "common/json_log.h"
#include "va/challenge_registry.h"
#include "va/dnssec_fail_closed.h"
#include "va/request_validation.h"

namespace acmeva::va {

namespace {

// The two calls the VA serves; metrics are labelled by them.
enum class CallKind { kDcv = 0, kCaa = 1 };
constexpr size_t kCallKinds = 2;
constexpr size_t kProblemTypes =
    static_cast<size_t>(ProblemType::kConnection) + 1;

std::string_view KindName(CallKind kind) {
  return kind == CallKind::kDcv ? "dcv" : "caa";
}
std::string_view MethodName(CallKind kind) {
  return kind == CallKind::kDcv ? "DoDCV" : "DoCAA";
}

}  // namespace

// Per-validation metrics, shared by both services. The series a validation
// touches are looked up once, here: every label combination is known in
// advance (they show as 0 until used, as Prometheus advises).
class ValidationMetrics {
 public:
  explicit ValidationMetrics(common::MetricsRegistry* registry) {
    if (registry == nullptr) return;
    validations_ = registry->Counter(
        "validations_total", "Validations by kind, result and problem type",
        {"kind", "result", "problem"});
    latency_ = registry->Histogram(
        "validation_latency", "Validation latency in seconds",
        {"kind", "result"}, common::MetricsRegistry::LatencyBuckets());
    in_flight_ =
        registry->Gauge("validations_in_flight",
                        "Validations started and not yet answered", {"kind"});
    rejected_ =
        registry->Counter("validation_requests_rejected_total",
                          "Requests refused before any work", {"kind", "code"});
    grpc_latency_ = registry->Histogram(
        "grpc_server_handling_seconds",
        "Time from a call's arrival to its answer, by method and status",
        {"grpc_method", "grpc_code"},
        common::MetricsRegistry::LatencyBuckets());
    for (size_t k = 0; k < kCallKinds; ++k) {
      const std::string_view kind = KindName(static_cast<CallKind>(k));
      in_flight_series_[k] = in_flight_->Get({kind});
      answered_ok_[k] =
          grpc_latency_->Get({MethodName(static_cast<CallKind>(k)), "OK"});
      latency_series_[k][0] = latency_->Get({kind, "valid"});
      latency_series_[k][1] = latency_->Get({kind, "invalid"});
      valid_[k] = validations_->Get({kind, "valid", ""});
      for (size_t t = 0; t < kProblemTypes; ++t) {
        invalid_[k][t] = validations_->Get(
            {kind, "invalid", ProblemTypeName(static_cast<ProblemType>(t))});
      }
    }
  }

  // Every answered call, rejected ones included.
  void Answered(CallKind kind, std::string_view code, absl::Duration took) {
    if (!grpc_latency_) return;
    const double seconds = absl::ToDoubleSeconds(took);
    if (code == "OK") {
      grpc_latency_->Observe(answered_ok_[Index(kind)], seconds);
    } else {
      grpc_latency_->Observe({MethodName(kind), code}, seconds);
    }
  }

  void Started(CallKind kind) {
    if (in_flight_) in_flight_->Add(in_flight_series_[Index(kind)], 1);
  }

  void Rejected(CallKind kind, std::string_view code) {
    if (rejected_) rejected_->Add({KindName(kind), code}, 1);
  }

  void Finished(CallKind kind, const std::optional<Problem>& problem,
                absl::Duration latency) {
    if (!validations_) return;
    const size_t k = Index(kind);
    validations_->Add(
        problem ? invalid_[k][static_cast<size_t>(problem->type)] : valid_[k],
        1);
    latency_->Observe(latency_series_[k][problem ? 1 : 0],
                      absl::ToDoubleSeconds(latency));
    in_flight_->Add(in_flight_series_[k], -1);
  }

 private:
  static size_t Index(CallKind kind) { return static_cast<size_t>(kind); }

  using Series = common::MetricFamily::Series;
  common::MetricFamily* validations_ = nullptr;
  common::MetricFamily* latency_ = nullptr;
  common::MetricFamily* in_flight_ = nullptr;
  common::MetricFamily* rejected_ = nullptr;
  common::MetricFamily* grpc_latency_ = nullptr;
  Series* in_flight_series_[kCallKinds] = {};
  Series* answered_ok_[kCallKinds] = {};
  Series* latency_series_[kCallKinds][2] = {};  // valid, invalid
  Series* valid_[kCallKinds] = {};
  Series* invalid_[kCallKinds][kProblemTypes] = {};
};

namespace {

// The caller's deadline less what answering needs (va/deadline.h). From
// raw_deadline(), not deadline(): see CallerDeadline.
absl::Time EffectiveDeadline(const grpc::CallbackServerContext& ctx,
                             const ServiceConfig& config) {
  const gpr_timespec raw =
      gpr_convert_clock_type(ctx.raw_deadline(), GPR_CLOCK_REALTIME);
  return ValidationDeadline(
      absl::Now(), CallerDeadline(raw.tv_sec, raw.tv_nsec), config.deadline);
}

// Refuses a call with a malformed request (INVALID_ARGUMENT) or too little
// time left (DEADLINE_EXCEEDED, Boulder's text) and answers it; otherwise
// counts it as started and returns the deadline the work runs to.
std::optional<absl::Time> Admit(const absl::Status& request_check,
                                CallKind kind,
                                const grpc::CallbackServerContext& ctx,
                                absl::Time start, const ServiceConfig& config,
                                ValidationMetrics& metrics,
                                grpc::ServerUnaryReactor* reactor) {
  if (!request_check.ok()) {
    metrics.Rejected(kind, "invalid_argument");
    metrics.Answered(kind, "InvalidArgument", absl::Now() - start);
    reactor->Finish(common::ToGrpc(request_check));
    return std::nullopt;
  }
  const absl::Time deadline = EffectiveDeadline(ctx, config);
  if (deadline - start < config.min_work_time) {
    metrics.Rejected(kind, "deadline_exceeded");
    metrics.Answered(kind, "DeadlineExceeded", absl::Now() - start);
    reactor->Finish(
        grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                     absl::StrCat("not enough time left on clock: ",
                                  absl::FormatDuration(deadline - start))));
    return std::nullopt;
  }
  metrics.Started(kind);
  return deadline;
}

void AuditLog(std::string_view msg, std::string_view kind,
              const ServiceConfig& config, const std::string& identifier,
              std::string_view method, int64_t authz_id, int64_t account_id,
              const std::optional<Problem>& problem, int attempts,
              const std::vector<std::string>& resolvers, bool authenticated,
              absl::Duration latency) {
  common::JsonFields f;
  f.Str("kind", kind)
      .Str("identifier", identifier)
      .Str("method", method)
      .Int("authzID", authz_id)
      .Int("accountID", account_id)
      .Str("perspective", config.perspective)
      .Str("rir", config.rir)
      .Str("result", problem ? "invalid" : "valid")
      .Int("attempts", attempts)
      .Strs("resolvers", resolvers)
      .Bool("authenticatedData", authenticated);
  // Why a validating resolver failed (RFC 8914), beside the AD bit.
  if (problem && problem->ede.present()) {
    f.Int("extendedDnsErrorCode", problem->ede.code)
        .Str("extendedDnsErrorText", problem->ede.text);
  }
  f.Num("latencyMs", absl::ToDoubleMilliseconds(latency));
  if (problem) {
    common::JsonFields p;
    p.Str("type", ProblemTypeName(problem->type))
        .Str("detail", problem->detail)
        .Bool("transient", problem->transient)
        .Int("attempts", problem->attempts);
    if (!problem->dns_outcome.empty()) {
      p.Str("dnsOutcome", problem->dns_outcome)
          .Str("queryName", problem->query_name)
          .Str("queryType", problem->query_type)
          .Str("resolver", problem->resolver);
    }
    if (!problem->failed_perspectives.empty()) {
      p.Strs("failedPerspectives", problem->failed_perspectives);
    }
    f.Raw("problem", absl::StrCat("{", p.body(), "}"));
  }
  common::Log("audit", msg, f);
}

// Registers a validation as in flight; 0 when nothing tracks them.
uint64_t Track(InFlightValidations* in_flight, std::string_view kind,
               const std::string& identifier, const std::string& method,
               int64_t authz_id, int64_t account_id, absl::Time start) {
  if (in_flight == nullptr) return 0;
  return in_flight->Add(
      {std::string(kind), identifier, method, authz_id, account_id, start});
}

}  // namespace

VaService::VaService(ServiceDeps deps)
    : deps_(std::move(deps)),
      metrics_(std::make_unique<ValidationMetrics>(deps_.metrics)) {
  // DoDCV is method 0 of va.VA; a request that does not decode gets
  // INVALID_ARGUMENT, not gRPC's bare UNIMPLEMENTED (see the header).
  MarkMethodCallback(0, common::DecodingUnaryHandler(this, &VaService::DoDCV));
}
VaService::~VaService() = default;

grpc::ServerUnaryReactor* VaService::DoDCV(
    grpc::CallbackServerContext* ctx, const ::va::PerformValidationRequest* req,
    ::va::ValidationResult* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Time start = absl::Now();
  const std::optional<absl::Time> admitted =
      Admit(ValidateDcvRequest(*req), CallKind::kDcv, *ctx, start, deps_.config,
            *metrics_, reactor);
  if (!admitted) return reactor;
  const absl::Time deadline = *admitted;
  const uint64_t in_flight = Track(
      deps_.in_flight, "dcv", req->identifier().value(),
      req->challenge().type(), AuthzIdOf(*req), req->authz().regid(), start);
  resp->set_perspective(deps_.config.perspective);
  resp->set_rir(deps_.config.rir);

  // Runs on a resolver (or remote-call) thread once the outcome is known.
  auto finish = [this, reactor, req, resp, start, in_flight](
                    std::optional<Problem> problem, const DcvResult& local) {
    if (problem) {
      ToProto(*problem, resp->mutable_problem());
      resp->clear_records();
    }
    const absl::Duration latency = absl::Now() - start;
    metrics_->Finished(CallKind::kDcv, problem, latency);
    metrics_->Answered(CallKind::kDcv, "OK", latency);
    AuditLog("Validation result", "dcv", deps_.config,
             req->identifier().value(), req->challenge().type(),
             AuthzIdOf(*req), req->authz().regid(), problem, local.attempts,
             local.resolver.empty() ? std::vector<std::string>{}
                                    : std::vector<std::string>{local.resolver},
             local.authenticated_data, latency);
    if (deps_.in_flight) deps_.in_flight->Remove(in_flight);
    reactor->Finish(grpc::Status::OK);
  };

  if (auto closed = DnssecFailClosed(deps_.dnssec_health)) {
    finish(std::move(closed), DcvResult{});
    return reactor;
  }
  // The one dispatch point: ValidateDcvRequest accepted only known types.
  const ChallengeValidator* challenge = FindChallenge(req->challenge().type());
  DcvInput input;
  input.identifier = req->identifier().value();
  input.token = req->challenge().token();
  input.key_authorization = req->expectedkeyauthorization();
  input.account_id = req->authz().regid();
  input.now = absl::Now();
  const ChallengeConfig config{deps_.config.caa.issuer_domain,
                               deps_.config.caa.account_uri_prefixes};
  challenge->Check(
      *deps_.resolver, config, std::move(input), deadline,
      [this, challenge, req, resp, deadline, finish](DcvResult local) mutable {
        if (local.problem) {
          finish(std::move(local.problem), local);
          return;
        }
        core::ValidationRecord* record = resp->add_records();
        record->set_hostname(local.hostname);
        if (!local.resolver.empty()) record->add_resolveraddrs(local.resolver);
        record->set_authenticateddata(local.authenticated_data);
        record->set_attempts(local.attempts);
        record->set_accounturi(local.account_uri);
        if (deps_.corroborator == nullptr) {
          finish(std::nullopt, local);
          return;
        }
        // Each remote's passing record must agree with ours (same type).
        RemoteDcvCheck check = [challenge,
                                local](const ::va::ValidationResult& remote) {
          const std::string& uri = remote.records_size() > 0
                                       ? remote.records(0).accounturi()
                                       : std::string();
          return challenge->RemoteDisagreement(local, uri);
        };
        deps_.corroborator->CorroborateDcv(
            *req, deadline,
            [finish, local](std::optional<Problem> remote) mutable {
              finish(std::move(remote), local);
            },
            std::move(check));
      });
  return reactor;
}

CaaService::CaaService(ServiceDeps deps)
    : deps_(std::move(deps)),
      metrics_(std::make_unique<ValidationMetrics>(deps_.metrics)) {
  // DoCAA is method 0 of va.CAA.
  MarkMethodCallback(0, common::DecodingUnaryHandler(this, &CaaService::DoCAA));
}
CaaService::~CaaService() = default;

grpc::ServerUnaryReactor* CaaService::DoCAA(grpc::CallbackServerContext* ctx,
                                            const ::va::IsCAAValidRequest* req,
                                            ::va::IsCAAValidResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Time start = absl::Now();
  const std::optional<absl::Time> admitted =
      Admit(ValidateCaaRequest(*req), CallKind::kCaa, *ctx, start, deps_.config,
            *metrics_, reactor);
  if (!admitted) return reactor;
  const absl::Time deadline = *admitted;
  const uint64_t in_flight = Track(
      deps_.in_flight, "caa", req->identifier().value(),
      req->validationmethod(), AuthzIdOf(*req), req->accounturiid(), start);
  resp->set_perspective(deps_.config.perspective);
  resp->set_rir(deps_.config.rir);

  auto finish = [this, reactor, req, resp, start, in_flight](
                    std::optional<Problem> problem, const CaaResult& local) {
    if (problem) ToProto(*problem, resp->mutable_problem());
    const absl::Duration latency = absl::Now() - start;
    metrics_->Finished(CallKind::kCaa, problem, latency);
    metrics_->Answered(CallKind::kCaa, "OK", latency);
    AuditLog("CAA check result", "caa", deps_.config, req->identifier().value(),
             req->validationmethod(), AuthzIdOf(*req), req->accounturiid(),
             problem, local.attempts, local.resolvers, local.authenticated_data,
             latency);
    if (deps_.in_flight) deps_.in_flight->Remove(in_flight);
    reactor->Finish(grpc::Status::OK);
  };

  if (auto closed = DnssecFailClosed(deps_.dnssec_health)) {
    finish(std::move(closed), CaaResult{});
    return reactor;
  }
  CaaRequest caa_request{req->identifier().value(), req->validationmethod(),
                         req->accounturiid()};
  CheckCaa(*deps_.resolver, deps_.config.caa, std::move(caa_request), deadline,
           [this, req, deadline, finish](CaaResult local) mutable {
             if (local.problem || deps_.corroborator == nullptr) {
               finish(std::move(local.problem), local);
               return;
             }
             deps_.corroborator->CorroborateCaa(
                 *req, deadline,
                 [finish, local](std::optional<Problem> remote) mutable {
                   finish(std::move(remote), local);
                 });
           });
  return reactor;
}

}  // namespace acmeva::va
