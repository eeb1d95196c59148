#include "ra/authz_view.h"

#include <cmath>

#include "absl/strings/match.h"

namespace ra {
namespace {

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

}  // namespace

AuthorizationResponse RenderAuthorization(const AuthzRecord& record,
                                          absl::Time now) {
  AuthorizationResponse response;
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

  core::Challenge* challenge = authz->add_challenges();
  challenge->set_id(record.id);  // one challenge per authorization
  challenge->set_type("dns-01");
  challenge->set_status(std::string(Name(record.state.challenge)));
  challenge->set_token(record.token);
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

}  // namespace ra
