#include "ra/authz_state.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace acmeva::ra {
namespace {

constexpr AuthzState kCreated{AuthzStatus::kPending, ChallengeStatus::kPending};
constexpr AuthzState kProcessing{AuthzStatus::kPending,
                                 ChallengeStatus::kProcessing};
constexpr AuthzState kValid{AuthzStatus::kValid, ChallengeStatus::kValid};
constexpr AuthzState kInvalid{AuthzStatus::kInvalid, ChallengeStatus::kInvalid};

std::string_view EventName(AuthzEvent event) {
  switch (event) {
    case AuthzEvent::kBeginValidation:
      return "begin validation";
    case AuthzEvent::kRetryScheduled:
      return "schedule a retry";
    case AuthzEvent::kValidated:
      return "finalize as valid";
    case AuthzEvent::kFailed:
      return "finalize as invalid";
  }
  return "?";
}

}  // namespace

absl::StatusOr<AuthzState> NextState(AuthzState from, AuthzEvent event) {
  if (from == kCreated && event == AuthzEvent::kBeginValidation) {
    return kProcessing;
  }
  if (from == kProcessing) {
    switch (event) {
      case AuthzEvent::kRetryScheduled:
        return kProcessing;  // §8.2: stays processing while retrying
      case AuthzEvent::kValidated:
        return kValid;
      case AuthzEvent::kFailed:
        return kInvalid;
      case AuthzEvent::kBeginValidation:
        break;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", std::string(EventName(event)),
                   ": authorization is ", std::string(Name(from.authz)),
                   " with challenge ", std::string(Name(from.challenge))));
}

bool IsFinal(AuthzState state) {
  return state.authz == AuthzStatus::kValid ||
         state.authz == AuthzStatus::kInvalid;
}

AuthzStatus DisplayedStatus(AuthzState state, absl::Time expires,
                            absl::Time now) {
  if (state == kCreated && now >= expires) return AuthzStatus::kExpired;
  return state.authz;
}

absl::Status CheckCanBeginValidation(AuthzState state, absl::Time expires,
                                     absl::Time now) {
  if (state.authz != AuthzStatus::kPending) {
    return absl::FailedPreconditionError(
        absl::StrCat("authorization must be pending; it is ",
                     std::string(Name(state.authz))));
  }
  if (state.challenge == ChallengeStatus::kPending && now >= expires) {
    return absl::FailedPreconditionError("expired authorization");
  }
  return absl::OkStatus();
}

std::string_view Name(AuthzStatus status) {
  switch (status) {
    case AuthzStatus::kPending:
      return "pending";
    case AuthzStatus::kValid:
      return "valid";
    case AuthzStatus::kInvalid:
      return "invalid";
    case AuthzStatus::kExpired:
      return "expired";
  }
  return "?";
}

std::string_view Name(ChallengeStatus status) {
  switch (status) {
    case ChallengeStatus::kPending:
      return "pending";
    case ChallengeStatus::kProcessing:
      return "processing";
    case ChallengeStatus::kValid:
      return "valid";
    case ChallengeStatus::kInvalid:
      return "invalid";
  }
  return "?";
}

std::optional<AuthzStatus> ParseAuthzStatus(std::string_view name) {
  for (AuthzStatus s : {AuthzStatus::kPending, AuthzStatus::kValid,
                        AuthzStatus::kInvalid, AuthzStatus::kExpired}) {
    if (Name(s) == name) return s;
  }
  return std::nullopt;
}

std::optional<ChallengeStatus> ParseChallengeStatus(std::string_view name) {
  for (ChallengeStatus s :
       {ChallengeStatus::kPending, ChallengeStatus::kProcessing,
        ChallengeStatus::kValid, ChallengeStatus::kInvalid}) {
    if (Name(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace acmeva::ra
