// Syntax of DNS identifiers accepted by the VA (and RA): checked before any
// lookup so a bad name never reaches the DNS.
#ifndef VA_IDENTIFIER_H_
#define VA_IDENTIFIER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace acmeva::va {

// OK when `name` is a valid, lower-case, fully-qualified DNS name without a
// trailing dot: at most 253 octets, labels of 1-63 letters, digits and
// hyphens, no leading or trailing hyphen, at least two labels, A-labels only
// (no raw UTF-8), and an "xn--" label only if it passes Boulder's check
// (Punycode that decodes to Unicode NFC; see identifier.cc). With
// `allow_wildcard`, "*." may be the whole first label.
// The error is INVALID_ARGUMENT and names `field`.
absl::Status ValidateDnsName(std::string_view name, bool allow_wildcard,
                             std::string_view field);

}  // namespace acmeva::va

#endif  // VA_IDENTIFIER_H_
