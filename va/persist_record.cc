#include "va/persist_record.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/string_view_bridge.h"

namespace acmeva::va {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimWsp(std::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 8659 value characters: %x21-3A / %x3C-7E (no WSP, no ';', no CTL).
bool IsValueChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x3A) || (u >= 0x3C && u <= 0x7E);
}

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, no overflow.
std::optional<int64_t> ParseInt64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate negatively so that INT64_MIN parses too.
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const int d = c - '0';
    if (v < (INT64_MIN + d) / 10) return std::nullopt;
    v = v * 10 - d;
  }
  if (!negative) {
    if (v == INT64_MIN) return std::nullopt;
    v = -v;
  }
  return v;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

PersistRecord Fail(PersistRecord r, std::string error) {
  r.error = std::move(error);
  r.params = {};
  return r;
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u >= 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

absl::StatusOr<std::string> NormalizeIssuerDomainName(std::string_view name) {
  std::string out = absl::AsciiStrToLower(Av(name));
  if (out.ends_with('.')) out.pop_back();
  if (out.empty()) return absl::InvalidArgumentError("empty name");
  if (out.size() > 253) {
    return absl::InvalidArgumentError(
        absl::StrCat("exceeds 253 octets (", out.size(), ")"));
  }
  for (absl::string_view label : absl::StrSplit(out, '.')) {
    if (label.empty() || label.size() > 63) {
      return absl::InvalidArgumentError("empty or over-long label");
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return absl::InvalidArgumentError(
            "only letters, digits and hyphens are allowed");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return absl::InvalidArgumentError("label starts or ends with '-'");
    }
    // IDNA's hyphen rule: "??--" only as the A-label prefix "xn--".
    if (label.size() >= 4 && label.substr(2, 2) == "--" &&
        label.substr(0, 2) != "xn") {
      return absl::InvalidArgumentError("'--' in the third position");
    }
  }
  return out;
}

PersistRecord ParsePersistRecord(std::string_view record) {
  PersistRecord r;
  std::vector<absl::string_view> parts = absl::StrSplit(Av(record), ';');
  const std::string_view raw_issuer = TrimWsp(Sv(parts.front()));
  if (raw_issuer.empty()) return Fail(r, "empty issuer-domain-name");
  absl::StatusOr<std::string> issuer = NormalizeIssuerDomainName(raw_issuer);
  if (!issuer.ok()) {
    return Fail(
        r, absl::StrCat("malformed issuer-domain-name ", GoQuote(raw_issuer),
                        ": ", issuer.status().message()));
  }
  r.issuer = *std::move(issuer);

  bool seen_account = false, seen_policy = false, seen_until = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string_view param = TrimWsp(Sv(parts[i]));
    if (param.empty()) {
      return Fail(r, "empty parameter or trailing semicolon provided");
    }
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      return Fail(r, absl::StrCat("malformed parameter ", GoQuote(param),
                                  " should be tag=value pair"));
    }
    const std::string_view tag = TrimWsp(param.substr(0, eq));
    const std::string_view value = TrimWsp(param.substr(eq + 1));
    if (tag.empty()) {
      return Fail(r, absl::StrCat("malformed parameter ", GoQuote(param),
                                  ", empty tag"));
    }
    for (char c : value) {
      if (!IsValueChar(c)) {
        return Fail(r, absl::StrCat("malformed value ", GoQuote(value),
                                    " for tag ", GoQuote(tag)));
      }
    }
    // RFC 8659: tags match case-insensitively.
    const std::string canonical = absl::AsciiStrToLower(Av(tag));
    bool* seen = nullptr;
    if (canonical == "accounturi") {
      seen = &seen_account;
    } else if (canonical == "policy") {
      seen = &seen_policy;
    } else if (canonical == "persistuntil") {
      seen = &seen_until;
    } else {
      continue;  // the draft: unrecognized tags MUST be ignored
    }
    if (*seen) {
      return Fail(r, absl::StrCat("duplicate parameter ", GoQuote(tag)));
    }
    *seen = true;
    if (canonical == "accounturi") {
      if (value.empty()) {
        return Fail(r, "empty value provided for mandatory accounturi");
      }
      r.params.account_uri = std::string(value);
    } else if (canonical == "policy") {
      r.params.policy = std::string(value);
    } else {
      std::optional<int64_t> until = ParseInt64(value);
      if (!until) {
        return Fail(r, absl::StrCat("malformed persistUntil timestamp ",
                                    GoQuote(value)));
      }
      r.params.persist_until = *until;
    }
  }
  if (r.params.account_uri.empty()) {
    return Fail(r, "missing mandatory accounturi parameter");
  }
  return r;
}

std::optional<std::string> PersistMismatch(const PersistParams& params,
                                           std::string_view account_uri,
                                           bool wildcard, absl::Time now) {
  // The draft §4.1: simple string comparison (RFC 3986 §6.2.1), no case
  // folding or other normalization.
  if (params.account_uri != account_uri) {
    return absl::StrCat("accounturi mismatch: expected ", GoQuote(account_uri),
                        ", got ", GoQuote(params.account_uri));
  }
  // Defined policy values are case-insensitive; any other value is as if
  // the parameter were absent.
  if (wildcard && absl::AsciiStrToLower(params.policy) != "wildcard") {
    return absl::StrCat("policy mismatch: expected \"wildcard\", got ",
                        GoQuote(params.policy));
  }
  if (params.persist_until) {
    const absl::Time until = absl::FromUnixSeconds(*params.persist_until);
    if (now > until) {
      return absl::StrCat("validation time ", Rfc3339(now),
                          " is after persistUntil ", Rfc3339(until));
    }
  }
  return std::nullopt;
}

}  // namespace acmeva::va
