// Checks every field of an incoming VA request before any work is done. A bad
// request is the caller's bug: it gets INVALID_ARGUMENT naming the field,
// never an in-band problem and never a crash.
#ifndef VA_REQUEST_VALIDATION_H_
#define VA_REQUEST_VALIDATION_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "proto/va.pb.h"

namespace acmeva::va {

// Methods DoCAA accepts for the RFC 8657 validationmethods match.
bool IsKnownValidationMethod(std::string_view method);

// The authorization ID from the current field, or from the decimal string
// older Boulder RAs send (legacyID / legacyAuthzID); 0 when neither is valid.
int64_t AuthzIdOf(const ::va::PerformValidationRequest& req);
int64_t AuthzIdOf(const ::va::IsCAAValidRequest& req);

absl::Status ValidateDcvRequest(const ::va::PerformValidationRequest& req);
absl::Status ValidateCaaRequest(const ::va::IsCAAValidRequest& req);

}  // namespace acmeva::va

#endif  // VA_REQUEST_VALIDATION_H_
