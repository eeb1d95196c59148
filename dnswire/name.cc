#include "dnswire/name.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace acmeva::dnswire {
namespace {

// Decodes the escape at name[i] ('\' there) into `label`; returns the
// length of the escape, or 0 if it is malformed (`*error` says why).
size_t DecodeEscape(absl::string_view name, size_t i, std::string& label,
                    const char** error) {
  if (i + 1 >= name.size()) {
    *error = "dangling escape in name";
    return 0;
  }
  if (!absl::ascii_isdigit(static_cast<unsigned char>(name[i + 1]))) {
    label.push_back(name[i + 1]);
    return 2;
  }
  if (i + 3 >= name.size()) {
    *error = "short \\DDD escape in name";
    return 0;
  }
  int value = 0;
  for (size_t k = 1; k <= 3; ++k) {
    const unsigned char d = static_cast<unsigned char>(name[i + k]);
    if (!absl::ascii_isdigit(d)) {
      *error = "bad \\DDD escape in name";
      return 0;
    }
    value = value * 10 + (d - '0');
  }
  if (value > 255) {
    *error = "\\DDD escape over 255 in name";
    return 0;
  }
  label.push_back(static_cast<char>(value));
  return 4;
}

}  // namespace

absl::Status ForEachLabel(absl::string_view name, NameSyntax syntax,
                          absl::FunctionRef<void(absl::string_view)> label) {
  const bool presentation = syntax == NameSyntax::kPresentation;
  if (name.empty() || (presentation && name == ".")) return absl::OkStatus();
  size_t wire_length = 1;  // the root label
  auto finish = [&](absl::string_view text) -> absl::Status {
    if (text.empty()) return absl::InvalidArgumentError("empty label in name");
    if (text.size() > kMaxLabelLength) {
      return absl::InvalidArgumentError("label longer than 63 octets in name");
    }
    wire_length += text.size() + 1;
    label(text);
    return absl::OkStatus();
  };
  // The length is checked last, so a bad label is what a bad name reports.
  auto check_length = [&]() -> absl::Status {
    if (wire_length > kMaxNameLength) {
      return absl::InvalidArgumentError("name longer than 255 octets");
    }
    return absl::OkStatus();
  };
  if (!presentation) {
    // No escapes: the labels are what lies between the dots.
    for (size_t start = 0;;) {
      const size_t dot = std::min(name.find('.', start), name.size());
      if (absl::Status s = finish(name.substr(start, dot - start)); !s.ok()) {
        return s;
      }
      if (dot == name.size()) return check_length();
      start = dot + 1;
    }
  }
  std::string decoded;  // the current label, escapes decoded
  size_t i = 0;
  while (i < name.size()) {
    const char c = name[i];
    if (c == '.') {
      if (absl::Status s = finish(decoded); !s.ok()) return s;
      decoded.clear();
      if (++i == name.size()) return check_length();  // one trailing dot
      continue;
    }
    if (c == '\\') {
      const char* error = "";
      const size_t n = DecodeEscape(name, i, decoded, &error);
      if (n == 0) return absl::InvalidArgumentError(error);
      i += n;
      continue;
    }
    decoded.push_back(c);
    ++i;
  }
  if (absl::Status s = finish(decoded); !s.ok()) return s;
  return check_length();
}

absl::Status ValidateName(absl::string_view name, NameSyntax syntax) {
  return ForEachLabel(name, syntax, [](absl::string_view) {});
}

absl::Status NameToLabels(absl::string_view name,
                          std::vector<std::string>* labels) {
  labels->clear();
  return ForEachLabel(
      name, NameSyntax::kPresentation,
      [labels](absl::string_view l) { labels->emplace_back(l); });
}

void AppendLabelText(absl::string_view label, std::string* out) {
  for (unsigned char c : label) {
    if (c == '.' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x21 || c > 0x7e) {
      const char buf[4] = {'\\', static_cast<char>('0' + c / 100),
                           static_cast<char>('0' + c / 10 % 10),
                           static_cast<char>('0' + c % 10)};
      out->append(buf, 4);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

std::string CanonicalName(absl::string_view name) {
  std::string out;
  const absl::Status s = ForEachLabel(
      name, NameSyntax::kPresentation, [&out](absl::string_view label) {
        if (!out.empty()) out.push_back('.');
        AppendLabelText(absl::AsciiStrToLower(label), &out);
      });
  if (!s.ok()) {
    // Not a valid name, so it matches nothing stored; keep it recognizable.
    return absl::AsciiStrToLower(NormalizeName(name));
  }
  return out;
}

absl::string_view NormalizeName(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

}  // namespace acmeva::dnswire
