// DNS resource record types (RFC 1035 §3.2.2 and later), one enum for the
// VA, dnstestsrv and the tests. A type is any 16-bit value: the enumerators
// name the ones the project handles, others are kept as their number.
#ifndef DNSWIRE_RR_TYPE_H_
#define DNSWIRE_RR_TYPE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace acmeva::dnswire {

enum class RRType : uint16_t {
  kA = 1,
  kNS = 2,
  kCNAME = 5,
  kSOA = 6,
  kMX = 15,
  kTXT = 16,
  kAAAA = 28,
  kOPT = 41,
  kANY = 255,
  kCAA = 257,
};

// "TXT", "CAA", ... (as Boulder prints them in error texts); "UNKNOWN" for
// a type without an enumerator.
std::string_view RRTypeName(RRType type);

// The mnemonic, or "TYPE<n>" (RFC 3597) for a type without one.
std::string RRTypeToString(RRType type);

// Inverse of RRTypeToString, case-insensitive; accepts "TYPE<n>" and plain
// numbers. nullopt for unknown mnemonics and numbers over 65535.
std::optional<RRType> RRTypeFromString(absl::string_view text);

}  // namespace acmeva::dnswire

#endif  // DNSWIRE_RR_TYPE_H_
