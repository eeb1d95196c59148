#include "va/identifier.h"

#include <gtest/gtest.h>

#include <string>

namespace acmeva::va {
namespace {

struct Case {
  std::string name;
  bool allow_wildcard;
  bool want_ok;
  std::string want_in_error;  // substring of the message when !want_ok
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "\"" << c.name << "\" wildcard=" << c.allow_wildcard;
}

std::string Label(size_t n) { return std::string(n, 'a'); }

// 4 labels of 63 plus 3 dots = 255; trim to the exact sizes needed.
std::string NameOfLength(size_t n) {
  std::string name;
  while (name.size() < n) {
    if (!name.empty()) name += '.';
    name += Label(std::min<size_t>(63, n - name.size()));
  }
  return name;
}

class ValidateDnsNameTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateDnsNameTest, Table) {
  const Case& c = GetParam();
  const absl::Status status =
      ValidateDnsName(c.name, c.allow_wildcard, "identifier.value");
  if (c.want_ok) {
    EXPECT_TRUE(status.ok()) << c.name << ": " << status;
    return;
  }
  ASSERT_FALSE(status.ok()) << c.name;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  EXPECT_EQ(message.rfind("identifier.value: ", 0), 0u) << message;
  EXPECT_NE(message.find(c.want_in_error), std::string::npos)
      << "message: " << message << "\nwant substring: " << c.want_in_error;
}

INSTANTIATE_TEST_SUITE_P(
    Names, ValidateDnsNameTest,
    ::testing::Values(
        // Accepted.
        Case{"example.com", false, true, ""}, Case{"a.b", false, true, ""},
        Case{"www.example.com", false, true, ""},
        Case{"a-b.example.com", false, true, ""},
        Case{"a--b.example.com", false, true, ""},  // "--" not at 3-4
        Case{"0.example.com", false, true, ""},
        Case{"123.example.com", false, true, ""},
        Case{"example.c0m", false, true, ""},
        Case{"xn--bcher-kva.example", false, true, ""},  // bücher
        Case{"*.example.com", true, true, ""},
        Case{"*.a.b.c.example.com", true, true, ""},
        Case{Label(63) + ".com", false, true, ""},
        Case{NameOfLength(253), false, true, ""},
        Case{"_acme-challenge.example.com", false, false, "contains '_'"},
        // Rejected: shape.
        Case{"", false, false, "empty name"},
        Case{"com", false, false, "fewer than two labels"},
        Case{"localhost", false, false, "fewer than two labels"},
        Case{"example.com.", false, false, "ends with '.'"},
        Case{".example.com", false, false, "empty label"},
        Case{"example..com", false, false, "empty label"},
        Case{".", false, false, "ends with '.'"},
        Case{NameOfLength(254), false, false, "more than 253"},
        Case{Label(64) + ".com", false, false, "longer than 63"},
        // Rejected: characters.
        Case{"foo_bar.example.com", false, false,
             "label \"foo_bar\" contains '_'"},
        Case{"Example.com", false, false, "upper-case 'E'"},
        Case{"example.COM", false, false, "upper-case 'C'"},
        Case{"ex ample.com", false, false, "contains ' '"},
        Case{"ex@mple.com", false, false, "contains '@'"},
        Case{"exa\tmple.com", false, false, "control byte 0x09"},
        Case{std::string("ex\0ample.com", 12), false, false,
             "control byte 0x00"},
        Case{"b\xC3\xBC"
             "cher.example",
             false, false, "non-ASCII byte 0xc3"},
        Case{"example.com/path", false, false, "contains '/'"},
        Case{"example.com:443", false, false, "contains ':'"},
        // Rejected: hyphens and reserved forms.
        Case{"-example.com", false, false, "starts or ends with '-'"},
        Case{"example-.com", false, false, "starts or ends with '-'"},
        Case{"example.-com", false, false, "starts or ends with '-'"},
        Case{"ab--cd.example.com", false, false, "reserved form"},
        Case{"xn--.example.com", false, false, "starts or ends with '-'"},
        Case{"xn--abc-.example.com", false, false, "starts or ends with '-'"},
        Case{"xn--example-.com", false, false, "starts or ends with '-'"},
        // IDNA: "xn--" labels as Boulder's policy checks them (Punycode that
        // decodes, to Unicode NFC), through libidn2.
        Case{"www.xn--mnich-kva.com", false, true, ""},         // münich
        Case{"xn--example--3bhk5a.xn--p1ai", false, true, ""},  // IDN TLD
        Case{"xn--rhqv96g.example", false, true, ""},           // 世界
        Case{"xn--nxasmq6b.example", false, true, ""},          // βόλοσ
        Case{"xn--fa-hia.example", false, true, ""},  // faß (deviation)
        Case{"*.xn--bcher-kva.example", true, true, ""},
        // Code points IDNA2008 disallows (symbols, emoji, a C1 control),
        // accepted as Boulder accepts them: it decodes with the raw Punycode
        // profile (golang.org/x/net/idna.ToUnicode), no code point rules.
        Case{"xn--n3h.com", false, true, ""},          // ☃ U+2603
        Case{"xn--ls8h.example", false, true, ""},     // 💩 U+1F4A9
        Case{"xn--a.example.com", false, true, ""},    // U+0080
        Case{"xn--abc.example.com", false, true, ""},  // U+0082 U+0081 U+0080
        // Not Punycode.
        Case{"www.xn--m.com", false, false,
             "\"xn--m\" is not a valid A-label (string contains invalid "
             "punycode data)"},
        Case{"xn--a9.example.com", false, false, "not a valid A-label"},
        Case{"xn--ab-cd-ef99999.com", false, false, "not a valid A-label"},
        Case{"xn--zzzzzzzzzzzzzzzzzzzzz.com", false, false,
             "not a valid A-label"},
        // Decodes, but not to NFC (Boulder's own test name).
        Case{"xn--109-3veba6djs1bfxlfmx6c9g.xn--f1awi.xn--p1ai", false, false,
             "\"xn--109-3veba6djs1bfxlfmx6c9g\" is not a valid A-label (it "
             "decodes to a string not in Unicode NFC)"},
        // Mixed case: names must be lower-case, A-labels included.
        Case{"XN--bcher-kva.example", false, false, "upper-case 'X'"},
        Case{"xn--Bcher-kva.example", false, false, "upper-case 'B'"},
        Case{"xn--bcher-KVA.example", false, false, "upper-case 'K'"},
        // Rejected: looks like an IP address.
        Case{"127.0.0.1", false, false, "all digits"},
        Case{"example.123", false, false, "all digits"},
        Case{"1.2", false, false, "all digits"},
        // Wildcards.
        Case{"*.example.com", false, false, "wildcard not allowed"},
        Case{"*.com", true, false, "fewer than two labels"},
        Case{"*", true, false, "only allowed as the whole first"},
        Case{"*example.com", true, false, "only allowed as the whole first"},
        Case{"a.*.example.com", true, false, "only allowed as the whole first"},
        Case{"*.*.example.com", true, false, "only allowed as the whole first"},
        Case{"foo*.example.com", true, false,
             "only allowed as the whole first"},
        Case{"www.*", true, false, "only allowed as the whole first"},
        Case{"*.", true, false, "ends with '.'"}));

TEST(ValidateDnsNameTest, ErrorNamesTheField) {
  const absl::Status status = ValidateDnsName("Foo.com", false, "domain");
  EXPECT_EQ(status.message().substr(0, 8), "domain: ");
}

}  // namespace
}  // namespace acmeva::va
