// The authorization/challenge state machine (RFC 8555 §7.1.6 with §8.2
// retries): which transitions are allowed. Pure: no storage, no clock.
#ifndef RA_AUTHZ_STATE_H_
#define RA_AUTHZ_STATE_H_

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace acmeva::ra {

// Stored authorization status. "expired" is never stored: it is derived from
// the expiry when the authorization is shown (see DisplayedStatus).
enum class AuthzStatus { kPending, kValid, kInvalid, kExpired };
enum class ChallengeStatus { kPending, kProcessing, kValid, kInvalid };

// The client answers one of the offered challenges (its type is stored with
// the authorization); the others stay pending. So the pair below, for the
// chosen challenge, is the whole state. Reachable pairs: (pending, pending),
// (pending, processing), (valid, valid), (invalid, invalid).
struct AuthzState {
  AuthzStatus authz = AuthzStatus::kPending;
  ChallengeStatus challenge = ChallengeStatus::kPending;
  friend bool operator==(const AuthzState&, const AuthzState&) = default;
};

enum class AuthzEvent {
  kBeginValidation,  // the client answered the challenge
  kRetryScheduled,   // an attempt failed transiently; another will follow
  kValidated,        // DCV and CAA passed
  kFailed,           // a final problem
};

// The state after `event`, or FAILED_PRECONDITION when `event` is not
// allowed in `from`. A final state accepts no event at all.
absl::StatusOr<AuthzState> NextState(AuthzState from, AuthzEvent event);

// valid and invalid never change again.
bool IsFinal(AuthzState state);

// What a client sees: a pending authorization whose challenge was never
// answered is "expired" after `expires`. One that is processing keeps
// "pending" until validation finalizes it, so a result never flips from
// expired to valid; valid and invalid are shown as stored.
AuthzStatus DisplayedStatus(AuthzState state, absl::Time expires,
                            absl::Time now);

// OK when the client may start validation now; FAILED_PRECONDITION naming
// the reason (not pending, expired) otherwise. A processing challenge is
// not an error here: the service treats it as a retry request.
absl::Status CheckCanBeginValidation(AuthzState state, absl::Time expires,
                                     absl::Time now);

std::string_view Name(AuthzStatus status);
std::string_view Name(ChallengeStatus status);
std::optional<AuthzStatus> ParseAuthzStatus(std::string_view name);
std::optional<ChallengeStatus> ParseChallengeStatus(std::string_view name);

}  // namespace acmeva::ra

#endif  // RA_AUTHZ_STATE_H_
