#include "bench/lib/boulder_2023_request.h"

#include "absl/strings/str_cat.h"
#include "bench/lib/outcome.h"

namespace acmeva::bench {

boulder_2023::PerformValidationRequest Boulder2023Request(
    const BenchName& name) {
  boulder_2023::PerformValidationRequest req;
  req.set_domain(name.name);
  boulder_2023::Challenge* chall = req.mutable_challenge();
  chall->set_id(name.authz_id);
  chall->set_type("dns-01");
  // Boulder refuses a challenge that is not pending, has no token, or whose
  // key authorization is not token "." thumbprint.
  chall->set_status("pending");
  chall->set_token(name.token);
  chall->set_keyauthorization(name.key_authorization);
  chall->set_uri(absl::StrCat("https://acme.example/chall/", name.authz_id));
  req.mutable_authz()->set_id(absl::StrCat(name.authz_id));
  req.mutable_authz()->set_regid(name.reg_id);
  return req;
}

std::string Boulder2023Outcome(const boulder_2023::ValidationResult& result) {
  return OutcomeKey("", result.problems().problemtype(), false);
}

}  // namespace acmeva::bench
