#include "ra/acme_json.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/json_log.h"

namespace acmeva::ra {
namespace {

std::string Rfc3339(const google::protobuf::Timestamp& ts) {
  const absl::Time t =
      absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string Object(const common::JsonFields& fields) {
  return absl::StrCat("{", fields.body(), "}");
}

}  // namespace

std::string AcmeErrorType(const std::string& problem_type) {
  if (absl::StartsWith(problem_type, "urn:")) return problem_type;
  return absl::StrCat("urn:ietf:params:acme:error:", problem_type);
}

std::string ProblemJson(const core::ProblemDetails& p) {
  common::JsonFields f;
  f.Str("type", AcmeErrorType(p.problemtype()));
  f.Str("detail", p.detail());
  f.Int("status", p.httpstatus());
  f.Bool("transient", p.transient());
  if (p.attempts() != 0) f.Int("attempts", p.attempts());
  if (!p.queryname().empty()) f.Str("queryName", p.queryname());
  if (!p.querytype().empty()) f.Str("queryType", p.querytype());
  if (!p.dnsoutcome().empty()) f.Str("dnsOutcome", p.dnsoutcome());
  if (!p.resolver().empty()) f.Str("resolver", p.resolver());
  if (p.retryafterseconds() != 0) f.Int("retryAfter", p.retryafterseconds());
  if (p.failedperspectives_size() > 0) {
    f.Strs("failedPerspectives",
           {p.failedperspectives().begin(), p.failedperspectives().end()});
  }
  return Object(f);
}

std::string AuthorizationJson(const ::ra::AuthorizationResponse& response) {
  const core::Authorization& authz = response.authz();
  std::string value = authz.identifier().value();
  // ACME shows a wildcard authorization as the base name + "wildcard".
  if (absl::StartsWith(value, "*.")) value = value.substr(2);
  common::JsonFields identifier;
  identifier.Str("type", authz.identifier().type()).Str("value", value);

  std::string challenges = "[";
  for (int i = 0; i < authz.challenges_size(); ++i) {
    const core::Challenge& c = authz.challenges(i);
    common::JsonFields f;
    f.Str("type", c.type());
    if (!c.url().empty()) f.Str("url", c.url());
    f.Str("token", c.token());
    f.Str("status", c.status());
    if (c.has_validated()) f.Str("validated", Rfc3339(c.validated()));
    if (c.has_error()) f.Raw("error", ProblemJson(c.error()));
    absl::StrAppend(&challenges, i > 0 ? "," : "", Object(f));
  }
  absl::StrAppend(&challenges, "]");

  common::JsonFields f;
  f.Int("id", authz.id());
  f.Raw("identifier", Object(identifier));
  f.Str("status", authz.status());
  if (authz.has_expires()) f.Str("expires", Rfc3339(authz.expires()));
  f.Bool("wildcard", response.wildcard());
  f.Raw("challenges", challenges);
  if (response.retryafterseconds() > 0) {
    f.Int("retryAfter", response.retryafterseconds());
  }
  if (response.has_nextattemptat()) {
    f.Str("nextAttemptAt", Rfc3339(response.nextattemptat()));
  }
  f.Int("validationAttempts", response.validationattempts());
  return Object(f);
}

}  // namespace acmeva::ra
