#include "ra/service.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_decoded_request.h"
#include "common/grpc_status.h"
#include "ra/authz_view.h"
#include "ra/token.h"
#include "va/challenge_registry.h"
#include "va/identifier.h"

namespace acmeva::ra {
namespace {

bool IsFinalStatus(const ::ra::AuthorizationResponse& response) {
  return response.authz().status() != "pending";
}

}  // namespace

// One WaitAuthorization call: re-checks on wake-ups and on a timer until
// the authorization is final or it is time to answer.
struct RaService::LongPoll : std::enable_shared_from_this<LongPoll> {
  RaService* service = nullptr;
  grpc::CallbackServerContext* context = nullptr;
  grpc::ServerUnaryReactor* reactor = nullptr;
  ::ra::AuthorizationResponse* response = nullptr;
  int64_t id = 0;
  absl::Time answer_by;
  uint64_t handle = 0;

  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  bool tick_scheduled ABSL_GUARDED_BY(mu) = false;

  void Check(bool from_tick) {
    absl::MutexLock lock(&mu);
    if (from_tick) tick_scheduled = false;
    if (done) return;
    absl::StatusOr<AuthzRecord> record = service->store_->GetAuthz(id);
    if (!record.ok()) {
      FinishLocked(record.status());
      return;
    }
    const absl::Time now = absl::Now();
    ::ra::AuthorizationResponse view = RenderAuthorization(*record, now);
    if (IsFinalStatus(view) || now >= answer_by ||
        service->shutting_down_.load() || context->IsCancelled()) {
      *response = std::move(view);
      FinishLocked(context->IsCancelled()
                       ? absl::CancelledError("the caller went away")
                       : absl::OkStatus());
      return;
    }
    if (!tick_scheduled) {
      tick_scheduled = true;
      const absl::Time next =
          std::min(now + service->options_.wait_poll_interval, answer_by);
      service->scheduler_->PostAt(
          next, [self = shared_from_this()] { self->Check(true); });
    }
  }

  void FinishLocked(const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    done = true;
    service->waiters_->Remove(id, handle);
    reactor->Finish(common::ToGrpc(status));
  }
};

RaService::RaService(Store* store, ValidationRunner* runner,
                     Scheduler* scheduler, AuthzWaiters* waiters,
                     ServiceOptions options)
    : store_(store),
      runner_(runner),
      scheduler_(scheduler),
      waiters_(waiters),
      options_(std::move(options)) {
  // Requests that do not decode get INVALID_ARGUMENT, not gRPC's bare
  // UNIMPLEMENTED (common/grpc_decoded_request.h). Indices: the methods'
  // order in proto/ra.proto.
  MarkMethodCallback(
      0, common::DecodingUnaryHandler(this, &RaService::NewAuthorization));
  MarkMethodCallback(
      1, common::DecodingUnaryHandler(this, &RaService::PerformValidation));
  MarkMethodCallback(
      2, common::DecodingUnaryHandler(this, &RaService::GetAuthorization));
  MarkMethodCallback(
      3, common::DecodingUnaryHandler(this, &RaService::WaitAuthorization));
}

void RaService::StartShutdown() {
  shutting_down_ = true;
  waiters_->NotifyAll();
}

grpc::ServerUnaryReactor* RaService::Defer(grpc::CallbackServerContext* context,
                                           std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool posted = scheduler_->Post([reactor, work = std::move(work)] {
    reactor->Finish(common::ToGrpc(work()));
  });
  if (!posted) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "the RA is shutting down"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* RaService::NewAuthorization(
    grpc::CallbackServerContext* context,
    const ::ra::NewAuthorizationRequest* request,
    ::ra::AuthorizationResponse* response) {
  return Defer(context, [this, request, response] {
    return DoNewAuthorization(*request, response);
  });
}

grpc::ServerUnaryReactor* RaService::PerformValidation(
    grpc::CallbackServerContext* context,
    const ::ra::PerformValidationRequest* request,
    ::ra::AuthorizationResponse* response) {
  return Defer(context, [this, request, response] {
    return DoPerformValidation(*request, response);
  });
}

grpc::ServerUnaryReactor* RaService::GetAuthorization(
    grpc::CallbackServerContext* context, const ::ra::AuthorizationID* request,
    ::ra::AuthorizationResponse* response) {
  return Defer(context, [this, request, response] {
    return DoGetAuthorization(request->id(), response);
  });
}

grpc::ServerUnaryReactor* RaService::WaitAuthorization(
    grpc::CallbackServerContext* context,
    const ::ra::WaitAuthorizationRequest* request,
    ::ra::AuthorizationResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->id() <= 0) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "id: must be a positive authorization ID"));
    return reactor;
  }
  const absl::Time now = absl::Now();
  // Answer a little before the caller's deadline so the answer arrives:
  // a tenth of the wait, between 200 ms and 1 s.
  absl::Time answer_by;
  const absl::Time deadline = absl::FromChrono(context->deadline());
  if (deadline - now > absl::Hours(24 * 365)) {  // no deadline
    const absl::Duration max_wait =
        request->maxwaitseconds() > 0 ? absl::Seconds(request->maxwaitseconds())
                                      : options_.default_max_wait;
    answer_by = now + max_wait;
  } else {
    const absl::Duration margin = std::clamp(
        (deadline - now) / 10, absl::Milliseconds(200), absl::Seconds(1));
    answer_by = deadline - margin;
    if (request->maxwaitseconds() > 0) {
      answer_by =
          std::min(answer_by, now + absl::Seconds(request->maxwaitseconds()));
    }
  }
  auto poll = std::make_shared<LongPoll>();
  poll->service = this;
  poll->context = context;
  poll->reactor = reactor;
  poll->response = response;
  poll->id = request->id();
  poll->answer_by = answer_by;
  std::weak_ptr<LongPoll> weak = poll;
  Scheduler* scheduler = scheduler_;
  // Registered before the first check, so a result recorded in between
  // still wakes it.
  poll->handle = waiters_->Add(request->id(), [weak, scheduler] {
    if (std::shared_ptr<LongPoll> p = weak.lock()) {
      scheduler->Post([p] { p->Check(false); });
    }
  });
  if (!scheduler_->Post([poll] { poll->Check(false); })) {
    waiters_->Remove(request->id(), poll->handle);
    reactor->Finish(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "the RA is shutting down"));
  }
  return reactor;
}

absl::Status RaService::DoNewAuthorization(
    const ::ra::NewAuthorizationRequest& request,
    ::ra::AuthorizationResponse* response) {
  if (request.registrationid() <= 0) {
    return absl::InvalidArgumentError(
        "registrationID: must be a positive account ID");
  }
  if (!request.has_identifier()) {
    return absl::InvalidArgumentError("identifier: required");
  }
  if (request.identifier().type() != "dns") {
    return absl::InvalidArgumentError(
        absl::StrCat("identifier.type: must be \"dns\", not \"",
                     absl::CEscape(request.identifier().type()), "\""));
  }
  // DNS names are case-insensitive; store and validate the canonical
  // lower-case form, as Boulder's WFE does.
  std::string name = absl::AsciiStrToLower(request.identifier().value());
  bool wildcard = request.wildcard();
  if (absl::StartsWith(name, "*.")) {
    // Boulder's own spelling of a wildcard authorization is accepted too.
    wildcard = true;
    name = name.substr(2);
  }
  if (absl::Status s = va::ValidateDnsName(name, /*allow_wildcard=*/false,
                                           "identifier.value");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> token = NewChallengeToken();
  if (!token.ok()) return token.status();
  const absl::Time now = absl::Now();
  NewAuthz authz;
  authz.account_id = request.registrationid();
  authz.identifier = wildcard ? absl::StrCat("*.", name) : name;
  authz.token = *token;
  authz.created = now;
  authz.expires = now + options_.pending_authz_lifetime;
  absl::StatusOr<AuthzRecord> record = store_->CreateAuthz(authz);
  if (!record.ok()) return record.status();
  *response = RenderAuthorization(*record, now);
  return absl::OkStatus();
}

absl::Status RaService::DoGetAuthorization(
    int64_t id, ::ra::AuthorizationResponse* response) {
  if (id <= 0) {
    return absl::InvalidArgumentError(
        "id: must be a positive authorization ID");
  }
  absl::StatusOr<AuthzRecord> record = store_->GetAuthz(id);
  if (!record.ok()) return record.status();
  *response = RenderAuthorization(*record, absl::Now());
  return absl::OkStatus();
}

absl::Status RaService::ExpediteRetry(const AuthzRecord& record,
                                      absl::Time now) {
  const absl::Time not_before = std::max(
      now, record.last_attempt_at == absl::InfinitePast()
               ? now
               : record.last_attempt_at + options_.min_client_retry_interval);
  if (record.next_attempt_at <= not_before) return absl::OkStatus();
  if (absl::Status s = store_->ExpediteAttempt(record.id, not_before);
      !s.ok()) {
    return s;
  }
  runner_->ScheduleAttempt(record.id, not_before);
  return absl::OkStatus();
}

absl::Status RaService::DoPerformValidation(
    const ::ra::PerformValidationRequest& request,
    ::ra::AuthorizationResponse* response) {
  if (request.id() <= 0) {
    return absl::InvalidArgumentError(
        "id: must be a positive authorization ID");
  }
  if (request.proof_case() == ::ra::PerformValidationRequest::PROOF_NOT_SET) {
    return absl::InvalidArgumentError(
        "keyAuthorization or jwkThumbprint: one is required");
  }
  const std::string challenge_type =
      request.challengetype().empty() ? "dns-01" : request.challengetype();
  const va::ChallengeValidator* challenge = va::FindChallenge(challenge_type);
  if (challenge == nullptr) {
    std::string offered;
    for (const va::ChallengeValidator* v : va::AllChallenges()) {
      absl::StrAppend(&offered, offered.empty() ? "" : ", ",
                      std::string(v->Type()));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("challengeType: \"", absl::CEscape(challenge_type),
                     "\" is not offered (offered: ", offered, ")"));
  }
  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<AuthzRecord> record = store_->GetAuthz(request.id());
    if (!record.ok()) return record.status();
    const absl::Time now = absl::Now();
    if (absl::Status s =
            CheckCanBeginValidation(record->state, record->expires, now);
        !s.ok()) {
      return s;
    }
    // A type without a token gets "." thumbprint, as Boulder's RA sends.
    const std::string token = challenge->UsesToken() ? record->token : "";
    std::string key_authorization;
    if (request.proof_case() ==
        ::ra::PerformValidationRequest::kJwkThumbprint) {
      absl::StatusOr<std::string> ka = KeyAuthorizationFromThumbprint(
          token, request.jwkthumbprint(), "jwkThumbprint");
      if (!ka.ok()) return ka.status();
      key_authorization = *std::move(ka);
    } else {
      if (absl::Status s = CheckKeyAuthorization(
              token, request.keyauthorization(), "keyAuthorization");
          !s.ok()) {
        return s;
      }
      key_authorization = request.keyauthorization();
    }

    absl::Status status;
    if (record->state.challenge == ChallengeStatus::kProcessing) {
      if (record->challenge_type != challenge_type) {
        return absl::FailedPreconditionError(
            absl::StrCat("authorization is already being validated with ",
                         record->challenge_type, ", not ", challenge_type));
      }
      if (record->key_authorization != key_authorization) {
        return absl::FailedPreconditionError(
            "authorization is already being validated with a different key "
            "authorization");
      }
      // Same answer again while processing: RFC 8555 §8.2 client retry.
      status = ExpediteRetry(*record, now);
    } else {
      status = store_->BeginProcessing(record->id, challenge_type,
                                       key_authorization, now);
      if (status.ok()) runner_->ScheduleAttempt(record->id, now);
    }
    // ABORTED: a concurrent request changed the state; judge it again.
    if (absl::IsAborted(status) && round == 0) continue;
    if (!status.ok()) return status;
    return DoGetAuthorization(record->id, response);
  }
  return absl::AbortedError("authorization changed concurrently; try again");
}

}  // namespace acmeva::ra
