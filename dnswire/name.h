// DNS names as text, in one place: splitting into wire labels, the limits
// of RFC 1035 §2.3.4 (labels of 1-63 octets, at most 255 octets on the
// wire), escapes, and the canonical (lower-case) form.
#ifndef DNSWIRE_NAME_H_
#define DNSWIRE_NAME_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace acmeva::dnswire {

constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxNameLength = 255;  // wire octets, RFC 1035 §2.3.4

// How a name's text maps to labels.
enum class NameSyntax {
  // Presentation form (RFC 1035 §5.1): "\DDD" and "\X" escapes, one
  // optional trailing dot; "" and "." are the root. dnstestsrv's names.
  kPresentation,
  // The octets between dots, no escapes, no trailing dot; "" is the root.
  // The VA's names: identifiers already restricted to letters, digits and
  // hyphens, written to the wire as they are.
  kOctets,
};

// Calls `label` for each wire label of `name`, left to right, and fails
// (InvalidArgument) on an empty label, a label over 63 octets, a bad escape
// or a name over 255 octets on the wire. On failure some labels may have
// been reported already.
absl::Status ForEachLabel(absl::string_view name, NameSyntax syntax,
                          absl::FunctionRef<void(absl::string_view)> label);

// ForEachLabel that only checks.
absl::Status ValidateName(absl::string_view name,
                          NameSyntax syntax = NameSyntax::kPresentation);

// The wire labels of a presentation-form name.
absl::Status NameToLabels(absl::string_view name,
                          std::vector<std::string>* labels);

// Appends one label in presentation form: '.' and '\' escaped as "\." and
// "\\", other octets outside '!'..'~' as "\DDD".
void AppendLabelText(absl::string_view label, std::string* out);

// dnstestsrv's key form of a presentation-form name: lower-case, no
// trailing dot, escapes as AppendLabelText writes them.
std::string CanonicalName(absl::string_view name);

// Strips one trailing dot: "example.com." -> "example.com".
absl::string_view NormalizeName(absl::string_view name);

}  // namespace acmeva::dnswire

#endif  // DNSWIRE_NAME_H_
