// How a stored authorization is shown to clients: Boulder's
// core.Authorization plus Retry-After while the challenge is processing.
#ifndef RA_AUTHZ_VIEW_H_
#define RA_AUTHZ_VIEW_H_

#include "absl/time/time.h"
#include "proto/ra.pb.h"
#include "ra/store.h"

namespace acmeva::ra {

// Retry-After while an attempt is running right now (none is scheduled).
inline constexpr int kInFlightRetryAfterSeconds = 1;

// Status "expired" for a never-answered pending authorization past its
// expiry; Retry-After (and nextAttemptAt while a retry is scheduled) only
// while processing, pointing just after the next attempt (§8.2); the
// challenge's error is the latest problem, also while processing (erratum
// 5732).
::ra::AuthorizationResponse RenderAuthorization(const AuthzRecord& record,
                                                absl::Time now);

}  // namespace acmeva::ra

#endif  // RA_AUTHZ_VIEW_H_
