// Fuzzes va::ValidateDnsName, the gate every identifier passes before any
// DNS query is made. The first byte picks allow_wildcard.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "test/fuzz/fuzz_check.h"
#include "va/identifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool allow_wildcard = data[0] & 1;
  const std::string name(reinterpret_cast<const char*>(data + 1), size - 1);
  const absl::Status s =
      acmeva::va::ValidateDnsName(name, allow_wildcard, "fld");
  if (!s.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(s), "wrong error code");
    FUZZ_CHECK(absl::StartsWith(s.message(), "fld: "),
               "error does not name the field: %s",
               std::string(s.message()).c_str());
    return 0;
  }

  FUZZ_CHECK(name.size() <= 253, "accepted %zu octets", name.size());
  FUZZ_CHECK(name.back() != '.', "accepted a trailing dot");
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") {
    FUZZ_CHECK(allow_wildcard, "wildcard accepted where not allowed");
    rest.remove_prefix(2);
  }
  const std::vector<absl::string_view> labels =
      absl::StrSplit(absl::string_view(rest.data(), rest.size()), '.');
  FUZZ_CHECK(labels.size() >= 2, "accepted a single label");
  for (absl::string_view label : labels) {
    FUZZ_CHECK(!label.empty() && label.size() <= 63, "label of %zu octets",
               label.size());
    FUZZ_CHECK(label.front() != '-' && label.back() != '-',
               "label with an edge hyphen");
    for (char c : label) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-',
                 "accepted byte 0x%02x (not lower-case LDH)",
                 static_cast<unsigned char>(c));
    }
  }
  bool numeric_tld = true;
  for (char c : labels.back())
    numeric_tld = numeric_tld && c >= '0' && c <= '9';
  FUZZ_CHECK(!numeric_tld, "accepted an all-numeric TLD");
  // Accepted without a wildcard means accepted with wildcards allowed too.
  if (!allow_wildcard) {
    FUZZ_CHECK(acmeva::va::ValidateDnsName(name, true, "fld").ok(),
               "allowing wildcards rejected a plain name");
  }
  return 0;
}
