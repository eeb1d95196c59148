#include "ra/authz_view.h"

#include <cmath>

#include "absl/strings/match.h"
#include "va/challenge_registry.h"

namespace acmeva::ra {
namespace {

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

}  // namespace

::ra::AuthorizationResponse RenderAuthorization(const AuthzRecord& record,
                                                absl::Time now) {
  ::ra::AuthorizationResponse response;
  core::Authorization* authz = response.mutable_authz();
  authz->set_id(record.id);
  authz->set_registrationid(record.account_id);
  authz->mutable_identifier()->set_type("dns");
  authz->mutable_identifier()->set_value(record.identifier);
  authz->set_status(
      std::string(Name(DisplayedStatus(record.state, record.expires, now))));
  SetTimestamp(record.expires, authz->mutable_expires());
  response.set_wildcard(absl::StartsWith(record.identifier, "*."));
  response.set_validationattempts(record.attempts);

  // Every registered type is offered (RFC 8555 §7.1.4); once the client
  // answered one, that one carries the state and the others stay pending.
  const bool answered = record.state.challenge != ChallengeStatus::kPending;
  core::Challenge* challenge = nullptr;
  for (const va::ChallengeValidator* type : va::AllChallenges()) {
    core::Challenge* offered = authz->add_challenges();
    offered->set_id(record.id);
    offered->set_type(std::string(type->Type()));
    // One token per authorization, shared by the types that use one (as
    // Boulder does); dns-persist-01 has none.
    if (type->UsesToken()) offered->set_token(record.token);
    offered->set_status(std::string(Name(ChallengeStatus::kPending)));
    if (answered && type->Type() == record.challenge_type) challenge = offered;
  }
  if (challenge == nullptr) return response;  // nothing answered yet
  challenge->set_status(std::string(Name(record.state.challenge)));
  if (record.state.challenge == ChallengeStatus::kValid) {
    SetTimestamp(record.validated, challenge->mutable_validated());
  }
  for (const core::ValidationRecord& r : record.records) {
    *challenge->add_validationrecords() = r;
  }
  if (record.problem) *challenge->mutable_error() = *record.problem;

  if (record.state.challenge == ChallengeStatus::kProcessing) {
    int retry_after = kInFlightRetryAfterSeconds;
    if (record.next_attempt_at > now) {
      SetTimestamp(record.next_attempt_at, response.mutable_nextattemptat());
      // One second past the next attempt's start: polling earlier would
      // only show the same state.
      retry_after = static_cast<int>(std::ceil(
                        absl::ToDoubleSeconds(record.next_attempt_at - now))) +
                    1;
    }
    response.set_retryafterseconds(retry_after);
    if (challenge->has_error()) {
      challenge->mutable_error()->set_retryafterseconds(retry_after);
    }
  }
  return response;
}

}  // namespace acmeva::ra
