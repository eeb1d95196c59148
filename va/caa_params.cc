#include "va/caa_params.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/string_view_bridge.h"

namespace acmeva::va {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

bool IsValueChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x3A) || (u >= 0x3C && u <= 0x7E);
}

// issuer-domain-name = label *("." label)
// label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT))
bool IsIssuerDomainName(std::string_view name) {
  for (absl::string_view label : absl::StrSplit(Av(name), '.')) {
    if (label.empty()) return false;
    if (!absl::ascii_isalnum(label.front()) ||
        !absl::ascii_isalnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

// A cursor over the value; every Take* stops at WSP or ';'.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void Advance() { ++pos_; }
  void SkipWsp() {
    while (!AtEnd() && IsWsp(Peek())) ++pos_;
  }
  // The run of characters up to WSP, ';' or (if `stop_at_equals`) '='.
  std::string_view TakeToken(bool stop_at_equals) {
    const size_t start = pos_;
    while (!AtEnd() && !IsWsp(Peek()) && Peek() != ';' &&
           !(stop_at_equals && Peek() == '=')) {
      ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

absl::Status Malformed(std::string_view what, std::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrFormat("malformed CAA issue value: %s: \"%s\"", what,
                      absl::CHexEscape(Av(text))));
}

// The values of every parameter named `tag`. Parameter tags are compared
// case-insensitively: matching "AccountURI" exactly would let it be ignored
// as unknown and authorize any account (fail open).
std::vector<std::string_view> ParamValues(const CaaIssueValue& value,
                                          std::string_view tag) {
  std::vector<std::string_view> out;
  for (const auto& [t, v] : value.params) {
    if (absl::EqualsIgnoreCase(t, Av(tag))) out.push_back(v);
  }
  return out;
}

}  // namespace

absl::StatusOr<CaaIssueValue> ParseCaaIssueValue(std::string_view value) {
  CaaIssueValue out;
  Scanner scan(value);
  scan.SkipWsp();
  const std::string_view domain = scan.TakeToken(/*stop_at_equals=*/false);
  if (!domain.empty() && !IsIssuerDomainName(domain)) {
    return Malformed("invalid issuer domain name", domain);
  }
  out.issuer_domain = std::string(domain);
  scan.SkipWsp();
  if (scan.AtEnd()) return out;
  if (scan.Peek() != ';') {
    return Malformed("expected ';' after the issuer domain name", value);
  }
  scan.Advance();
  scan.SkipWsp();
  if (scan.AtEnd()) return out;  // "ca.example;" has no parameters

  while (true) {
    const std::string_view tag = scan.TakeToken(/*stop_at_equals=*/true);
    if (tag.empty()) return Malformed("parameter without a tag", value);
    for (char c : tag) {
      if (!absl::ascii_isalnum(c)) {
        return Malformed("tag contains disallowed character", tag);
      }
    }
    scan.SkipWsp();
    if (scan.AtEnd() || scan.Peek() != '=') {
      return Malformed("parameter not formatted as tag=value", value);
    }
    scan.Advance();
    scan.SkipWsp();
    // '=' is a legal value character, so the value runs to WSP or ';'.
    const std::string_view param_value =
        scan.TakeToken(/*stop_at_equals=*/false);
    for (char c : param_value) {
      if (!IsValueChar(c)) {
        return Malformed("value contains disallowed character", param_value);
      }
    }
    out.params.emplace_back(std::string(tag), std::string(param_value));
    scan.SkipWsp();
    if (scan.AtEnd()) return out;
    if (scan.Peek() != ';') {
      return Malformed("expected ';' between parameters", value);
    }
    scan.Advance();
    scan.SkipWsp();
    // The grammar has no trailing ';' after a parameter.
    if (scan.AtEnd()) return Malformed("';' after the last parameter", value);
  }
}

bool CaaAccountUriMatches(const CaaIssueValue& value,
                          const std::vector<std::string>& account_uri_prefixes,
                          int64_t account_id) {
  const std::vector<std::string_view> uris = ParamValues(value, "accounturi");
  if (uris.empty()) return true;
  if (uris.size() > 1) return false;
  for (const std::string& prefix : account_uri_prefixes) {
    if (uris.front() == absl::StrCat(prefix, account_id)) return true;
  }
  return false;
}

bool CaaValidationMethodMatches(const CaaIssueValue& value,
                                std::string_view method) {
  const std::vector<std::string_view> lists =
      ParamValues(value, "validationmethods");
  if (lists.empty()) return true;
  if (lists.size() > 1) return false;
  bool found = false;
  for (absl::string_view item : absl::StrSplit(Av(lists.front()), ',')) {
    if (item.empty()) return false;
    for (char c : item) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
    if (item == Av(method)) found = true;
  }
  return found;
}

}  // namespace acmeva::va
