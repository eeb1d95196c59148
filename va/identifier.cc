#include "va/identifier.h"

#include <idn2.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/string_view_bridge.h"

namespace acmeva::va {
namespace {

std::vector<std::string_view> SplitLabels(std::string_view name) {
  std::vector<std::string_view> labels;
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) {
      labels.push_back(name.substr(start));
      return labels;
    }
    labels.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
}

constexpr size_t kMaxNameOctets = 253;
constexpr size_t kMaxLabelOctets = 63;

// An "xn--" label must pass what Boulder's policy authority checks
// (policy/pa.go, validDomain), so the VA refuses no name a Boulder RA
// accepted: its tail decodes as Punycode (RFC 3492), and the decoded label
// is in Unicode NFC. Boulder decodes with golang.org/x/net/idna.ToUnicode,
// the raw Punycode profile, which applies none of IDNA2008's code point
// rules: symbols and emoji (xn--n3h, U+2603) pass there, and so here.
// libidn2 does both steps: idn2_to_unicode_8z4z only decodes, and
// idn2_lookup_u8 without TR46 decodes again and runs its NFC test before
// any IDNA2008 rule, so IDN2_NOT_NFC from it means "not NFC" and nothing
// else (its other verdicts are IDNA2008's, which Boulder does not apply).
bool CheckALabel(std::string_view label, std::string* reason) {
  const std::string nul_terminated(label);
  uint32_t* decoded = nullptr;
  int rc = idn2_to_unicode_8z4z(nul_terminated.c_str(), &decoded, 0);
  idn2_free(decoded);
  if (rc != IDN2_OK) {
    *reason = absl::StrFormat("label \"%s\" is not a valid A-label (%s)", label,
                              idn2_strerror(rc));
    return false;
  }
  rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(nul_terminated.c_str()),
                      nullptr, IDN2_NO_TR46);
  if (rc == IDN2_NOT_NFC) {
    *reason = absl::StrFormat(
        "label \"%s\" is not a valid A-label (it decodes to a string not in "
        "Unicode NFC)",
        label);
    return false;
  }
  return true;
}

// Checks one label that is not the wildcard; `reason` explains a failure.
bool CheckLabel(std::string_view label, std::string* reason) {
  if (label.empty()) {
    *reason = "empty label";
    return false;
  }
  if (label.size() > kMaxLabelOctets) {
    *reason = absl::StrFormat("label \"%s\" is longer than %d octets", label,
                              kMaxLabelOctets);
    return false;
  }
  for (char c : label) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      *reason = absl::StrFormat(
          "label contains non-ASCII byte 0x%02x (IDNs must be A-labels, "
          "\"xn--...\")",
          u);
      return false;
    }
    if (absl::ascii_isupper(u)) {
      *reason = absl::StrFormat(
          "label \"%s\" contains upper-case '%c' (names must be lower-case)",
          label, c);
      return false;
    }
    if (!absl::ascii_islower(u) && !absl::ascii_isdigit(u) && c != '-') {
      *reason = absl::ascii_isprint(u)
                    ? absl::StrFormat("label \"%s\" contains '%c'", label, c)
                    : absl::StrFormat("label contains control byte 0x%02x", u);
      return false;
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    *reason = absl::StrFormat("label \"%s\" starts or ends with '-'", label);
    return false;
  }
  // "ab--" (any two characters, then "--") is reserved for IDNA (RFC 5890
  // §2.3.1); only "xn--" is in use.
  if (label.size() >= 4 && label.substr(2, 2) == "--") {
    if (!label.starts_with("xn--")) {
      *reason = absl::StrFormat(
          "label \"%s\" has the reserved form \"\?\?--\" but is not an "
          "A-label",
          label);
      return false;
    }
    if (!CheckALabel(label, reason)) return false;
  }
  return true;
}

absl::Status Invalid(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(Av(field), ": ", Av(reason)));
}

}  // namespace

absl::Status ValidateDnsName(std::string_view name, bool allow_wildcard,
                             std::string_view field) {
  if (name.empty()) return Invalid(field, "empty name");
  if (name.size() > kMaxNameOctets) {
    return Invalid(field, absl::StrFormat("name is %d octets, more than %d",
                                          name.size(), kMaxNameOctets));
  }
  if (name.back() == '.') {
    return Invalid(field, "name ends with '.' (give it without the root)");
  }
  std::string_view rest = name;
  if (rest.starts_with("*.")) {
    if (!allow_wildcard) return Invalid(field, "wildcard not allowed here");
    rest.remove_prefix(2);
  }
  const std::vector<std::string_view> labels = SplitLabels(rest);
  for (std::string_view label : labels) {
    if (label.find('*') != std::string_view::npos) {
      return Invalid(field, allow_wildcard
                                ? "'*' is only allowed as the whole first label"
                                : "wildcard not allowed here");
    }
    std::string reason;
    if (!CheckLabel(label, &reason)) return Invalid(field, reason);
  }
  if (labels.size() < 2) {
    return Invalid(field,
                   absl::StrFormat("\"%s\" has fewer than two labels", rest));
  }
  // An all-numeric last label means this is (part of) an IP address; no TLD
  // is numeric.
  const std::string_view tld = labels.back();
  bool numeric = true;
  for (char c : tld) numeric = numeric && absl::ascii_isdigit(c);
  if (numeric) {
    return Invalid(field,
                   absl::StrFormat("top-level label \"%s\" is all digits (an "
                                   "IP address is not a DNS name)",
                                   tld));
  }
  return absl::OkStatus();
}

}  // namespace acmeva::va
