// The dns-persist-01 TXT record (draft-ietf-acme-dns-persist §4): an RFC 8659
// issue-value, "issuer-domain-name; accounturi=...; policy=wildcard;
// persistUntil=<unix seconds>". Parsing and the authorization decision are
// pure, so they are table-tested and fuzzed without DNS. The rules and texts
// follow Boulder's va/dns_persist.go.
#ifndef VA_PERSIST_RECORD_H_
#define VA_PERSIST_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace acmeva::va {

struct PersistParams {
  std::string account_uri;               // never empty once parsed
  std::string policy;                    // as written; "" when absent
  std::optional<int64_t> persist_until;  // Unix seconds
};

struct PersistRecord {
  // The normalized issuer-domain-name; empty when it is itself malformed
  // (such a record can be nobody's, so it is skipped silently).
  std::string issuer;
  // Empty: `params` is the parse. Otherwise why the record is malformed.
  std::string error;
  PersistParams params;

  bool ok() const { return error.empty(); }
};

// Lower-case, no trailing dot, at most 253 octets, LDH labels (the
// draft's §9.2 normalization for ASCII names; a non-ASCII name is refused:
// it can never equal our ASCII --issuer-domain).
absl::StatusOr<std::string> NormalizeIssuerDomainName(std::string_view name);

// Parses one record (the TXT strings already joined). Unknown tags are
// ignored; duplicate known tags (case-insensitive), an empty or missing
// accounturi, a persistUntil that is not a decimal int64, an empty parameter
// or a value with whitespace, control or non-ASCII characters are errors.
PersistRecord ParsePersistRecord(std::string_view record);

// Empty when `params` authorizes `account_uri` (exact comparison) for a
// wildcard or not, at `now`; otherwise Boulder's mismatch text.
std::optional<std::string> PersistMismatch(const PersistParams& params,
                                           std::string_view account_uri,
                                           bool wildcard, absl::Time now);

// Go's %q for the ASCII texts these details quote.
std::string GoQuote(std::string_view s);

}  // namespace acmeva::va

#endif  // VA_PERSIST_RECORD_H_
