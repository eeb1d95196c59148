// The value of a CAA issue/issuewild property (RFC 8659 §4.2) and the RFC
// 8657 parameters on it. Pure functions over strings, so they can be fuzzed.
#ifndef VA_CAA_PARAMS_H_
#define VA_CAA_PARAMS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace acmeva::va {

struct CaaIssueValue {
  std::string issuer_domain;  // empty: "no CA may issue" (e.g. value ";")
  // In record order; a tag may repeat (which RFC 8657 makes unsatisfiable).
  std::vector<std::pair<std::string, std::string>> params;
};

// Parses
//   issue-value = *WSP [issuer-domain-name *WSP]
//                 [";" *WSP [parameters *WSP]]
//   parameters  = (parameter *WSP ";" *WSP parameters) / parameter
//   parameter   = tag *WSP "=" *WSP value
//   value       = *(%x21-3A / %x3C-7E)
// with tags of ASCII letters and digits only (as Boulder does). A value that
// does not match is an error; the caller must treat such a record as unable
// to authorize anything (RFC 8659: same as an empty issuer-domain-name).
absl::StatusOr<CaaIssueValue> ParseCaaIssueValue(std::string_view value);

// RFC 8657 §3. No accounturi parameter matches any account; more than one is
// unsatisfiable; otherwise it must equal prefix + decimal(account_id) for one
// of `account_uri_prefixes`.
bool CaaAccountUriMatches(const CaaIssueValue& value,
                          const std::vector<std::string>& account_uri_prefixes,
                          int64_t account_id);

// RFC 8657 §4. No validationmethods parameter matches any method; more than
// one is unsatisfiable; a list item that is not 1*(ALPHA / DIGIT / "-")
// makes it unsatisfiable; otherwise `method` must be one of the items.
bool CaaValidationMethodMatches(const CaaIssueValue& value,
                                std::string_view method);

}  // namespace acmeva::va

#endif  // VA_CAA_PARAMS_H_
