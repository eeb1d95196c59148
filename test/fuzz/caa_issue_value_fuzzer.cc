// Fuzzes the CAA issue/issuewild value parser (RFC 8659 §4.2, RFC 8657) and
// the parameter matchers on what it returns. A CAA value comes straight from
// a domain owner's zone, so it is fully attacker-controlled.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "test/fuzz/fuzz_check.h"
#include "va/caa_params.h"

namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

bool IsValueChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x3A) || (u >= 0x3C && u <= 0x7E);
}

// issuer-domain-name = label *("." label), label = alnum *(*"-" alnum).
bool IsIssuerDomainName(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  char prev = '.';
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (prev == '.' || prev == '-') return false;
    } else if (c == '-') {
      if (prev == '.') return false;
    } else if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return prev != '-';
}

// The canonical text of a parsed value; parsing it must give the same value.
std::string Serialize(const acmeva::va::CaaIssueValue& v) {
  std::string out = v.issuer_domain;
  for (size_t i = 0; i < v.params.size(); ++i) {
    absl::StrAppend(&out, "; ", v.params[i].first, "=", v.params[i].second);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = acmeva::va::ParseCaaIssueValue(input);
  if (!parsed.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()), "wrong error code");
    // Whatever was wrong, a record like this authorizes nobody; nothing else
    // to check.
    return 0;
  }
  const acmeva::va::CaaIssueValue& v = *parsed;

  // Accepted text has only WSP, ';', '=' and value characters.
  for (char c : input) {
    FUZZ_CHECK(IsWsp(c) || IsValueChar(c) || c == ';' || c == '=',
               "accepted byte 0x%02x", static_cast<unsigned char>(c));
  }
  FUZZ_CHECK(v.issuer_domain.empty() || IsIssuerDomainName(v.issuer_domain),
             "issuer domain \"%s\" is not an issuer-domain-name",
             v.issuer_domain.c_str());
  for (const auto& [tag, value] : v.params) {
    FUZZ_CHECK(!tag.empty(), "empty tag");
    for (char c : tag) {
      FUZZ_CHECK(absl::ascii_isalnum(static_cast<unsigned char>(c)),
                 "tag \"%s\" has a non-alphanumeric character", tag.c_str());
    }
    for (char c : value) {
      FUZZ_CHECK(IsValueChar(c), "value \"%s\" has byte 0x%02x", value.c_str(),
                 static_cast<unsigned char>(c));
    }
  }
  // Parameters only follow a ';', so an input without one has none.
  if (input.find(';') == std::string_view::npos) {
    FUZZ_CHECK(v.params.empty(), "parameters without ';'");
  }

  // Round trip through the canonical form.
  const std::string canonical = Serialize(v);
  auto again = acmeva::va::ParseCaaIssueValue(canonical);
  FUZZ_CHECK(again.ok(), "canonical form \"%s\" does not parse: %s",
             canonical.c_str(), std::string(again.status().message()).c_str());
  FUZZ_CHECK(
      again->issuer_domain == v.issuer_domain && again->params == v.params,
      "canonical form \"%s\" parses differently", canonical.c_str());

  // RFC 8657 matchers: total functions; the unsatisfiable cases fail closed.
  int account_uris = 0, method_lists = 0;
  for (const auto& [tag, value] : v.params) {
    const std::string lower = absl::AsciiStrToLower(tag);
    account_uris += lower == "accounturi";
    method_lists += lower == "validationmethods";
  }
  const std::vector<std::string> prefixes = {"https://acme.example/acct/"};
  const bool account_ok = acmeva::va::CaaAccountUriMatches(v, prefixes, 42);
  if (account_uris == 0) FUZZ_CHECK(account_ok, "no accounturi must match");
  if (account_uris > 1) FUZZ_CHECK(!account_ok, "two accounturis matched");
  if (account_ok && account_uris == 1) {
    bool exact = false;
    for (const auto& [tag, value] : v.params) {
      exact = exact || (absl::AsciiStrToLower(tag) == "accounturi" &&
                        value == "https://acme.example/acct/42");
    }
    FUZZ_CHECK(exact, "accounturi matched without the exact URI");
  }
  for (const char* method : {"dns-01", "http-01", "tls-alpn-01", ""}) {
    const bool method_ok = acmeva::va::CaaValidationMethodMatches(v, method);
    if (method_lists == 0) FUZZ_CHECK(method_ok, "no list must match");
    if (method_lists > 1) FUZZ_CHECK(!method_ok, "two lists matched");
    if (std::string_view(method).empty() && method_lists > 0) {
      FUZZ_CHECK(!method_ok, "the empty method matched a list");
    }
  }
  return 0;
}
