// The one dispatch point from challenge.type to its validator. The service,
// request validation, MPIC, CAA's validationMethod check, the RA and vactl
// all ask here, so a type registered here is offered and validated
// everywhere.
#ifndef VA_CHALLENGE_REGISTRY_H_
#define VA_CHALLENGE_REGISTRY_H_

#include <string_view>
#include <vector>

#include "va/challenge.h"

namespace acmeva::va {

// Null for an unknown type.
const ChallengeValidator* FindChallenge(std::string_view type);

// Every registered validator, in the order an authorization offers them.
const std::vector<const ChallengeValidator*>& AllChallenges();

}  // namespace acmeva::va

#endif  // VA_CHALLENGE_REGISTRY_H_
