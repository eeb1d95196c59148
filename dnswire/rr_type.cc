#include "dnswire/rr_type.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace acmeva::dnswire {

std::string_view RRTypeName(RRType type) {
  switch (type) {
    case RRType::kA:
      return "A";
    case RRType::kNS:
      return "NS";
    case RRType::kCNAME:
      return "CNAME";
    case RRType::kSOA:
      return "SOA";
    case RRType::kMX:
      return "MX";
    case RRType::kTXT:
      return "TXT";
    case RRType::kAAAA:
      return "AAAA";
    case RRType::kOPT:
      return "OPT";
    case RRType::kANY:
      return "ANY";
    case RRType::kCAA:
      return "CAA";
  }
  return "UNKNOWN";
}

std::string RRTypeToString(RRType type) {
  const std::string_view name = RRTypeName(type);
  if (name != "UNKNOWN") return std::string(name);
  return absl::StrCat("TYPE", static_cast<uint16_t>(type));
}

std::optional<RRType> RRTypeFromString(absl::string_view text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  static constexpr RRType kKnown[] = {
      RRType::kA,   RRType::kNS,   RRType::kCNAME, RRType::kSOA, RRType::kMX,
      RRType::kTXT, RRType::kAAAA, RRType::kOPT,   RRType::kANY, RRType::kCAA};
  for (RRType t : kKnown) {
    if (RRTypeName(t) == upper) return t;
  }
  absl::string_view digits = upper;
  if (absl::StartsWith(digits, "TYPE")) digits.remove_prefix(4);
  uint32_t n;
  if (!digits.empty() &&
      std::all_of(digits.begin(), digits.end(),
                  [](char c) {
                    return absl::ascii_isdigit(static_cast<unsigned char>(c));
                  }) &&
      absl::SimpleAtoi(digits, &n) && n <= 0xFFFF) {
    return static_cast<RRType>(n);
  }
  return std::nullopt;
}

}  // namespace acmeva::dnswire
