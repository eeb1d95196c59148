#include "va/dns/dns_message.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace acmeva::va::dns {
namespace {

// Builds answers byte by byte, so the parser is tested against the wire
// format, not against a second copy of its own logic.
class AnswerBuilder {
 public:
  AnswerBuilder(const std::string& qname, uint16_t qtype) {
    U16(0x1234);
    U16(0x8180);  // QR, RD, RA
    U16(1);
    U16(0);
    U16(0);
    U16(0);
    Name(qname);
    U16(qtype);
    U16(1);
  }
  AnswerBuilder& Flags(uint16_t flags) {
    bytes_[2] = flags >> 8;
    bytes_[3] = flags & 0xff;
    return *this;
  }
  AnswerBuilder& Answer(uint16_t type, const std::vector<uint8_t>& rdata,
                        uint16_t rr_class = 1) {
    return RR(6, type, rdata, rr_class);
  }
  AnswerBuilder& Additional(uint16_t type, uint32_t ttl,
                            const std::vector<uint8_t>& rdata) {
    bytes_.push_back(0);  // root owner
    U16(type);
    U16(1232);
    U16(ttl >> 16);
    U16(ttl & 0xffff);
    U16(rdata.size());
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    Bump(10);
    return *this;
  }
  std::vector<uint8_t> bytes() const { return bytes_; }
  AnswerBuilder& Raw(std::vector<uint8_t> extra) {
    bytes_.insert(bytes_.end(), extra.begin(), extra.end());
    return *this;
  }
  AnswerBuilder& SetCount(int offset, uint16_t value) {
    bytes_[offset] = value >> 8;
    bytes_[offset + 1] = value & 0xff;
    return *this;
  }

 private:
  AnswerBuilder& RR(int count_offset, uint16_t type,
                    const std::vector<uint8_t>& rdata, uint16_t rr_class) {
    U16(0xc00c);  // pointer to the question name
    U16(type);
    U16(rr_class);
    U16(0);
    U16(300);
    U16(rdata.size());
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    Bump(count_offset);
    return *this;
  }
  void Bump(int offset) {
    uint16_t v = bytes_[offset] << 8 | bytes_[offset + 1];
    SetCount(offset, v + 1);
  }
  void U16(uint16_t v) {
    bytes_.push_back(v >> 8);
    bytes_.push_back(v & 0xff);
  }
  void Name(const std::string& name) {
    size_t start = 0;
    while (start < name.size()) {
      size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      bytes_.push_back(dot - start);
      bytes_.insert(bytes_.end(), name.begin() + start, name.begin() + dot);
      start = dot + 1;
    }
    bytes_.push_back(0);
  }

  std::vector<uint8_t> bytes_;
};

std::vector<uint8_t> TxtRdata(const std::vector<std::string>& strings) {
  std::vector<uint8_t> out;
  for (const std::string& s : strings) {
    out.push_back(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

std::vector<uint8_t> CaaRdata(uint8_t flags, const std::string& tag,
                              const std::string& value) {
  // Assembled as a string: inserting into the two-byte vector makes GCC 12
  // at -O3 report a false -Warray-bounds inside vector growth.
  std::string out = {static_cast<char>(flags), static_cast<char>(tag.size())};
  out += tag;
  out += value;
  return std::vector<uint8_t>(out.begin(), out.end());
}

TEST(DnsMessageTest, QueryHasRdAdAndEdns) {
  absl::StatusOr<std::vector<uint8_t>> q =
      BuildQuery("Example.com", RRType::kCAA, 1232);
  ASSERT_TRUE(q.ok()) << q.status();
  const std::vector<uint8_t> want = {
      0x00, 0x00, 0x01, 0x20,                          // ID 0; RD=1, AD=1
      0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // QD=1, AR=1
      7,    'E',  'x',  'a',  'm',  'p',  'l',  'e',  3,
      'c',  'o',  'm',  0,    0x01, 0x01, 0x00, 0x01,  // CAA IN
      0x00, 0x00, 0x29, 0x04, 0xd0,                    // OPT, UDP size 1232
      0x00, 0x00, 0x00, 0x00,  // ext rcode, version, DO=0
      0x00, 0x00};             // no options
  EXPECT_EQ(*q, want);
}

TEST(DnsMessageTest, RootQuery) {
  absl::StatusOr<std::vector<uint8_t>> q = BuildQuery("", RRType::kTXT, 1232);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)[12], 0);
  EXPECT_EQ(q->size(), 12u + 1 + 4 + 11);
}

TEST(DnsMessageTest, InvalidNamesAreRejected) {
  const std::string long_label(64, 'a');
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'b') + ".";
  long_name += "com";
  for (const std::string& name : {std::string("a..b"), std::string(".a"),
                                  long_label + ".com", long_name}) {
    EXPECT_FALSE(BuildQuery(name, RRType::kTXT, 1232).ok()) << name;
    EXPECT_FALSE(ValidateQueryName(name).ok()) << name;
  }
  EXPECT_TRUE(ValidateQueryName(std::string(63, 'a') + ".com").ok());
}

TEST(DnsMessageTest, TxtStringsOfOneRecordAreJoined) {
  AnswerBuilder b("_acme-challenge.example.com", 16);
  b.Answer(5, {3, 'f', 'o', 'o', 0})  // a CNAME the resolver followed
      .Answer(16, TxtRdata({"first-string-", "second-string"}))
      .Answer(16, TxtRdata({"single"}));
  absl::StatusOr<ParsedAnswer> a = ParseAnswer(b.bytes(), RRType::kTXT);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->rcode, 0);
  EXPECT_FALSE(a->truncated);
  EXPECT_EQ(a->txt,
            (std::vector<std::string>{"first-string-second-string", "single"}));
  EXPECT_TRUE(a->caa.empty());
}

TEST(DnsMessageTest, CaaKeepsTheRawFlagsOctetAndEmptyValues) {
  AnswerBuilder b("example.com", 257);
  b.Answer(257, CaaRdata(0, "issue", "letsencrypt.org"))
      .Answer(257, CaaRdata(1, "issue", "ca.example"))
      .Answer(257, CaaRdata(128, "tbs", "x"))
      .Answer(257, CaaRdata(126, "issuewild", ";"))
      .Answer(257, CaaRdata(0, "issue", ""))
      .Answer(257, CaaRdata(0, "issue", "other-class"), /*rr_class=*/3)
      .Answer(16, TxtRdata({"not caa"}));
  absl::StatusOr<ParsedAnswer> a = ParseAnswer(b.bytes(), RRType::kCAA);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->caa.size(), 5u);
  const struct {
    uint8_t flags;
    const char* tag;
    const char* value;
  } want[] = {{0, "issue", "letsencrypt.org"},
              {1, "issue", "ca.example"},
              {128, "tbs", "x"},
              {126, "issuewild", ";"},
              {0, "issue", ""}};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a->caa[i].flags, want[i].flags) << i;
    EXPECT_EQ(a->caa[i].tag, want[i].tag) << i;
    EXPECT_EQ(a->caa[i].value, want[i].value) << i;
  }
}

TEST(DnsMessageTest, HeaderBits) {
  AnswerBuilder b("example.com", 257);
  b.Flags(0x8000 | 0x0200 | 0x0020 | 3);  // QR, TC, AD, NXDOMAIN
  absl::StatusOr<ParsedAnswer> a = ParseAnswer(b.bytes(), RRType::kCAA);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->truncated);
  EXPECT_TRUE(a->authenticated_data);
  EXPECT_EQ(a->rcode, 3);
  EXPECT_EQ(OutcomeForRcode(a->rcode), Outcome::kNxDomain);
}

TEST(DnsMessageTest, ExtendedRcodeFromOpt) {
  AnswerBuilder b("example.com", 16);
  b.Additional(41, 1u << 24, {});  // BADVERS = 16
  absl::StatusOr<ParsedAnswer> a = ParseAnswer(b.bytes(), RRType::kTXT);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->rcode, 16);
  EXPECT_EQ(OutcomeForRcode(a->rcode), Outcome::kOtherRcode);
}

TEST(DnsMessageTest, RcodeOutcomes) {
  EXPECT_EQ(OutcomeForRcode(0), Outcome::kNoError);
  EXPECT_EQ(OutcomeForRcode(1), Outcome::kFormErr);
  EXPECT_EQ(OutcomeForRcode(2), Outcome::kServFail);
  EXPECT_EQ(OutcomeForRcode(3), Outcome::kNxDomain);
  EXPECT_EQ(OutcomeForRcode(4), Outcome::kNotImp);
  EXPECT_EQ(OutcomeForRcode(5), Outcome::kRefused);
  EXPECT_EQ(OutcomeForRcode(9), Outcome::kOtherRcode);
}

TEST(DnsMessageTest, MalformedAnswers) {
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    RRType type;
  };
  std::vector<Case> cases;
  cases.push_back({"short header", {0x12, 0x34, 0x81}, RRType::kTXT});
  cases.push_back({"QR clear", AnswerBuilder("a.com", 16).Flags(0x0100).bytes(),
                   RRType::kTXT});
  cases.push_back({"RR cut short",
                   AnswerBuilder("a.com", 16)
                       .SetCount(6, 1)
                       .Raw({0xc0, 0x0c, 0x00, 0x10})
                       .bytes(),
                   RRType::kTXT});
  cases.push_back({"CAA tag length 0",
                   AnswerBuilder("a.com", 257).Answer(257, {0, 0, 'x'}).bytes(),
                   RRType::kCAA});
  cases.push_back(
      {"CAA tag longer than RDATA",
       AnswerBuilder("a.com", 257).Answer(257, {0, 9, 'i', 's'}).bytes(),
       RRType::kCAA});
  cases.push_back({"TXT string overruns",
                   AnswerBuilder("a.com", 16).Answer(16, {5, 'a'}).bytes(),
                   RRType::kTXT});
  cases.push_back({"empty TXT RDATA",
                   AnswerBuilder("a.com", 16).Answer(16, {}).bytes(),
                   RRType::kTXT});
  cases.push_back({"forward compression pointer",
                   AnswerBuilder("a.com", 16)
                       .SetCount(6, 1)
                       .Raw({0xc0, 0x40, 0, 16, 0, 1, 0, 0, 0, 0, 0, 0})
                       .bytes(),
                   RRType::kTXT});
  // Refused as when c-ares's TXT parser read them: a TXT record of class
  // CHAOS, and an owner name that only a full decoding finds broken (a
  // pointer to the header's flags octet, an obsolete label type).
  cases.push_back({"TXT of class CHAOS",
                   AnswerBuilder("a.com", 16)
                       .Answer(16, TxtRdata({"in"}))
                       .Answer(16, TxtRdata({"chaos"}), /*rr_class=*/3)
                       .bytes(),
                   RRType::kTXT});
  cases.push_back({"TXT owner points at garbage",
                   AnswerBuilder("a.com", 16)
                       .SetCount(6, 1)
                       .Raw({0xc0, 0x02, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'x'})
                       .bytes(),
                   RRType::kTXT});
  cases.push_back({"QDCOUNT 2",
                   AnswerBuilder("a.com", 16).SetCount(4, 2).bytes(),
                   RRType::kTXT});
  for (const Case& c : cases) {
    absl::StatusOr<ParsedAnswer> a = ParseAnswer(c.bytes, c.type);
    EXPECT_FALSE(a.ok()) << c.what;
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument)
          << c.what;
    }
  }
}

}  // namespace
}  // namespace acmeva::va::dns

namespace acmeva::va::dns {
namespace {

// Assembled as strings, as CaaRdata above: inserting into a short vector
// makes GCC 12 at -O3 report a false -Warray-bounds inside vector growth.
std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<uint8_t> Option(uint16_t code, const std::vector<uint8_t>& data) {
  std::string out = {static_cast<char>(code >> 8),
                     static_cast<char>(code & 0xff),
                     static_cast<char>(data.size() >> 8),
                     static_cast<char>(data.size() & 0xff)};
  out.append(data.begin(), data.end());
  return Bytes(out);
}

std::vector<uint8_t> Ede(uint16_t info_code, const std::string& text) {
  std::string data = {static_cast<char>(info_code >> 8),
                      static_cast<char>(info_code & 0xff)};
  data += text;
  return Option(15, Bytes(data));
}

std::vector<uint8_t> Concat(const std::vector<uint8_t>& a,
                            const std::vector<uint8_t>& b) {
  std::string out(a.begin(), a.end());
  out.append(b.begin(), b.end());
  return Bytes(out);
}

// RFC 8914 option 15 in the OPT RR, as Unbound sends it with `ede: yes`.
TEST(DnsMessageEdeTest, Table) {
  struct Case {
    std::string name;
    std::vector<uint8_t> opt_rdata;
    int want_code;
    std::string want_text;
  };
  const std::vector<Case> cases = {
      {"none", {}, -1, ""},
      {"bogus", Ede(6, "validation failure <x.test. A IN>"), 6,
       "validation failure <x.test. A IN>"},
      {"no text", Ede(7, ""), 7, ""},
      {"code 0 is a code", Ede(0, "other"), 0, "other"},
      {"NUL-terminated text", Ede(9, std::string("why\0", 4)), 9, "why"},
      {"after a cookie option",
       Concat(Option(10, {1, 2, 3, 4, 5, 6, 7, 8}), Ede(22, "no auth")), 22,
       "no auth"},
      {"first of two", Concat(Ede(6, "a"), Ede(7, "b")), 6, "a"},
      {"too short to hold a code", Option(15, {0x00}), -1, ""},
      {"option overruns the RDATA",
       {0x00, 0x0f, 0x00, 0x09, 0x00, 0x06},
       -1,
       ""},
      {"long text is capped", Ede(6, std::string(1000, 'x')), 6,
       std::string(kMaxEdeTextSize, 'x')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<uint8_t> msg = AnswerBuilder("x.test", 1)
                                   .Flags(0x8182)  // SERVFAIL
                                   .Additional(41, 0, c.opt_rdata)
                                   .bytes();
    absl::StatusOr<ParsedAnswer> a = ParseAnswer(msg, RRType::kA);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->rcode, 2);
    EXPECT_EQ(a->ede.code, c.want_code);
    EXPECT_EQ(a->ede.text, c.want_text);
  }
}

TEST(DnsMessageEdeTest, AdBitAndEdeTogether) {
  std::vector<uint8_t> msg = AnswerBuilder("x.test", 16)
                                 .Flags(0x81a0)  // QR RD RA AD
                                 .Answer(16, {3, 'a', 'b', 'c'})
                                 .Additional(41, 0, Ede(3, "stale"))
                                 .bytes();
  absl::StatusOr<ParsedAnswer> a = ParseAnswer(msg, RRType::kTXT);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->authenticated_data);
  EXPECT_EQ(a->ede.code, 3);
  ASSERT_EQ(a->txt.size(), 1u);
  EXPECT_EQ(a->txt[0], "abc");
}

}  // namespace
}  // namespace acmeva::va::dns
