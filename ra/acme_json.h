// RFC 8555 JSON for what the RA returns, as an ACME server would show it:
// authorization objects (§7.1.4) and problem documents (§6.7) with the
// full "urn:ietf:params:acme:error:" type plus our extension members.
#ifndef RA_ACME_JSON_H_
#define RA_ACME_JSON_H_

#include <string>

#include "proto/core.pb.h"
#include "proto/ra.pb.h"

namespace acmeva::ra {

// One compact JSON object: id, identifier {type, value} (without "*."),
// status, expires, wildcard, challenges [{type, url?, token, status,
// validated?, error?}], and while processing retryAfter / nextAttemptAt.
std::string AuthorizationJson(const ::ra::AuthorizationResponse& response);

// {type, detail, status, transient, attempts?, queryName?, queryType?,
// dnsOutcome?, resolver?, retryAfter?, failedPerspectives?}
std::string ProblemJson(const core::ProblemDetails& problem);

// "urn:ietf:params:acme:error:<type>" for a bare type; unchanged if
// already a URN.
std::string AcmeErrorType(const std::string& problem_type);

}  // namespace acmeva::ra

#endif  // RA_ACME_JSON_H_
