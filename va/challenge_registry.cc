#include "va/challenge_registry.h"

#include "va/dns01.h"
#include "va/dns_account01.h"
#include "va/dns_persist01.h"

namespace acmeva::va {

const std::vector<const ChallengeValidator*>& AllChallenges() {
  // Register a new challenge type here (and nowhere else).
  static const std::vector<const ChallengeValidator*> kAll = {
      &Dns01Validator(),
      &DnsAccount01Validator(),
      &DnsPersist01Validator(),
  };
  return kAll;
}

const ChallengeValidator* FindChallenge(std::string_view type) {
  for (const ChallengeValidator* v : AllChallenges()) {
    if (v->Type() == type) return v;
  }
  return nullptr;
}

}  // namespace acmeva::va
