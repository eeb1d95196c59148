// The VA's use of the DNS wire codec (dnswire/): its queries (the header
// bits and EDNS it sends) and the parts of an answer it decides on.
#ifndef VA_DNS_DNS_MESSAGE_H_
#define VA_DNS_DNS_MESSAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "va/dns/resolver.h"

namespace acmeva::va::dns {

// `name` without its trailing dot (as from dnswire::NormalizeName); "" is
// the root. The VA's names are octets between dots (dnswire's kOctets: no
// escapes). Rejects empty labels, labels over 63 octets and names over 255
// octets.
absl::Status ValidateQueryName(absl::string_view name);

// A query for `name`/`type` class IN with ID 0 (the sender sets the ID):
// RD=1 and AD=1 (RFC 6840 §5.7: ask the resolver to say whether the answer
// is DNSSEC-authenticated), plus an EDNS0 OPT RR advertising
// `edns_udp_size` with the DO bit clear. The OPT RR is the last 11 octets,
// which c-ares relies on if it ever strips EDNS after a FORMERR.
absl::StatusOr<std::vector<uint8_t>> BuildQuery(absl::string_view name,
                                                RRType type,
                                                uint16_t edns_udp_size);

struct ParsedAnswer {
  int rcode = 0;  // including the EDNS extended rcode bits
  bool truncated = false;
  bool authenticated_data = false;
  // The first EDE option of the OPT RR (RFC 8914); a malformed option is
  // ignored (it is advisory, and the rcode still decides).
  ExtendedDnsError ede;
  // Answer RRs of the queried type, class IN, in order. RRs of other types
  // (the CNAME chain the resolver followed) are skipped.
  std::vector<std::string> txt;  // one entry per TXT RR, strings joined
  std::vector<CaaRecord> caa;    // flags octet as received
};

// Parses an answer to a query of `type`. Errors (InvalidArgument) mean the
// message is malformed: short header or section, bad name, QR clear, an
// RR's data that does not fit its type.
absl::StatusOr<ParsedAnswer> ParseAnswer(absl::Span<const uint8_t> message,
                                         RRType type);

// Most EXTRA-TEXT octets kept: enough for any resolver's explanation, small
// enough for a log line and a problem detail.
inline constexpr size_t kMaxEdeTextSize = 256;

// The Outcome for a received answer's rcode (kNoError, kNxDomain, ...).
Outcome OutcomeForRcode(int rcode);

}  // namespace acmeva::va::dns

#endif  // VA_DNS_DNS_MESSAGE_H_
