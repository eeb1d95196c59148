#include "va/identifier.h"

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

// RFC 3492 §6.2 decoding, used only to tell whether an "xn--" label is a
// plausible A-label: it must decode, to at least one non-ASCII code point
// (otherwise it is a fake A-label that would never round-trip) and to no C1
// control. Full IDNA2008 checks (NFC, code point classes, contextual rules)
// are out of scope.
bool IsPlausiblePunycode(std::string_view encoded) {
  constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700,
                     kInitialBias = 72, kInitialN = 128,
                     kMaxCodePoint = 0x10FFFF;
  if (encoded.empty()) return false;
  std::vector<uint32_t> output;
  const size_t last_delim = encoded.rfind('-');
  size_t pos = 0;
  if (last_delim != std::string_view::npos) {
    for (char c : encoded.substr(0, last_delim)) {
      output.push_back(static_cast<unsigned char>(c));
    }
    pos = last_delim + 1;
  }
  // A label that is only basic code points plus a delimiter encodes nothing.
  if (pos >= encoded.size()) return false;

  const auto adapt = [&](uint32_t delta, uint32_t num_points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / num_points;
    uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
  };

  uint64_t n = kInitialN, i = 0;
  uint32_t bias = kInitialBias;
  bool first = true;
  while (pos < encoded.size()) {
    const uint64_t old_i = i;
    uint64_t w = 1;
    for (uint32_t k = kBase;; k += kBase) {
      if (pos >= encoded.size()) return false;
      const char c = encoded[pos++];
      uint32_t digit;
      if (c >= 'a' && c <= 'z') {
        digit = c - 'a';
      } else if (c >= '0' && c <= '9') {
        digit = c - '0' + 26;
      } else {
        return false;
      }
      i += digit * w;
      if (i > UINT32_MAX) return false;
      const uint32_t t =
          k <= bias ? kTMin : (k >= bias + kTMax ? kTMax : k - bias);
      if (digit < t) break;
      w *= kBase - t;
      if (w > UINT32_MAX) return false;
    }
    const uint32_t num_points = static_cast<uint32_t>(output.size()) + 1;
    bias = adapt(static_cast<uint32_t>(i - old_i), num_points, first);
    first = false;
    n += i / num_points;
    i %= num_points;
    if (n > kMaxCodePoint || (n >= 0xD800 && n <= 0xDFFF)) return false;
    output.insert(output.begin() + static_cast<ptrdiff_t>(i),
                  static_cast<uint32_t>(n));
    ++i;
  }
  bool any_non_ascii = false;
  for (uint32_t cp : output) {
    // C1 controls are never valid in an IDN (and are what garbage like
    // "xn--a" decodes to).
    if (cp >= 0x80 && cp <= 0x9F) return false;
    any_non_ascii = any_non_ascii || cp >= 0x80;
  }
  return any_non_ascii;
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
    if (!IsPlausiblePunycode(label.substr(4))) {
      *reason = absl::StrFormat("label \"%s\" is not a valid A-label", label);
      return false;
    }
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
