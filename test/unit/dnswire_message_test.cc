// The DNS wire codec: parsing untrusted queries (including hostile
// compression pointers and truncation), building responses that parse back
// to what was put in, names and record types.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dnswire/message.h"

namespace acmeva::dnswire {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Bytes = std::vector<uint8_t>;

// A 12-byte query header with the given counts.
Bytes HeaderBytes(uint16_t qd, uint16_t an = 0, uint16_t ns = 0,
                  uint16_t ar = 0, uint8_t flags1 = 0x01) {
  return {0x12,
          0x34,
          flags1,
          0x00,
          static_cast<uint8_t>(qd >> 8),
          static_cast<uint8_t>(qd),
          static_cast<uint8_t>(an >> 8),
          static_cast<uint8_t>(an),
          static_cast<uint8_t>(ns >> 8),
          static_cast<uint8_t>(ns),
          static_cast<uint8_t>(ar >> 8),
          static_cast<uint8_t>(ar)};
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kExampleCom = {7,   'e', 'x', 'a', 'm', 'p', 'l',
                           'e', 3,   'c', 'o', 'm', 0};
const Bytes kTypeTxtIn = {0x00, 0x10, 0x00, 0x01};
const Bytes kOpt4096 = {0x00, 0x00, 0x29, 0x10, 0x00, 0x00,
                        0x00, 0x80, 0x00, 0x00, 0x00};

struct BadQueryCase {
  std::string label;
  Bytes bytes;
  std::string error;
};

class DnsWireBadQuery : public ::testing::TestWithParam<BadQueryCase> {};

TEST_P(DnsWireBadQuery, IsRejectedWithReason) {
  const BadQueryCase& c = GetParam();
  absl::StatusOr<Query> q = ParseQuery(c.bytes.data(), c.bytes.size());
  ASSERT_FALSE(q.ok()) << c.label;
  EXPECT_TRUE(absl::IsInvalidArgument(q.status()));
  EXPECT_THAT(std::string(q.status().message()), HasSubstr(c.error)) << c.label;
}

Bytes LabelsOf63(int count) {
  Bytes out;
  for (int i = 0; i < count; ++i) {
    out.push_back(63);
    out.insert(out.end(), 63, 'a');
  }
  out.push_back(0);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Wire, DnsWireBadQuery,
    ::testing::Values(
        BadQueryCase{"empty", {}, "shorter than a header"},
        BadQueryCase{"11 bytes", Bytes(11, 0), "shorter than a header"},
        BadQueryCase{
            "response",
            Cat({HeaderBytes(1, 0, 0, 0, 0x81), kExampleCom, kTypeTxtIn}),
            "QR set"},
        BadQueryCase{"no question", HeaderBytes(0), "qdcount is not 1"},
        BadQueryCase{"two questions",
                     Cat({HeaderBytes(2), kExampleCom, kTypeTxtIn, kExampleCom,
                          kTypeTxtIn}),
                     "qdcount is not 1"},
        BadQueryCase{"header only", HeaderBytes(1), "name runs past the end"},
        BadQueryCase{"label past end", Cat({HeaderBytes(1), {5, 'a', 'b'}}),
                     "label runs past the end"},
        BadQueryCase{"name without end", Cat({HeaderBytes(1), {1, 'a'}}),
                     "name runs past the end"},
        BadQueryCase{"no qtype", Cat({HeaderBytes(1), kExampleCom}),
                     "truncated question"},
        BadQueryCase{"half qclass",
                     Cat({HeaderBytes(1), kExampleCom, {0, 16, 0}}),
                     "truncated question"},
        BadQueryCase{"pointer to itself",
                     Cat({HeaderBytes(1), {0xC0, 0x0C}, kTypeTxtIn}),
                     "does not point backwards"},
        BadQueryCase{
            "forward pointer",
            Cat({HeaderBytes(1), {0xC0, 0x10}, kTypeTxtIn, kExampleCom}),
            "does not point backwards"},
        BadQueryCase{"loop through own label",
                     Cat({HeaderBytes(1), {1, 'a', 0xC0, 0x0C}, kTypeTxtIn}),
                     "does not point backwards"},
        BadQueryCase{"pointer out of bounds",
                     Cat({HeaderBytes(1), {0xFF, 0xFF}, kTypeTxtIn}),
                     "does not point backwards"},
        BadQueryCase{"truncated pointer", Cat({HeaderBytes(1), {1, 'a', 0xC0}}),
                     "truncated compression pointer"},
        BadQueryCase{"reserved label type 01",
                     Cat({HeaderBytes(1), {0x41, 'a', 0}, kTypeTxtIn}),
                     "reserved label type"},
        BadQueryCase{"reserved label type 10",
                     Cat({HeaderBytes(1), {0x81, 'a', 0}, kTypeTxtIn}),
                     "reserved label type"},
        BadQueryCase{"name over 255 octets",
                     Cat({HeaderBytes(1), LabelsOf63(5), kTypeTxtIn}),
                     "longer than 255"},
        BadQueryCase{"missing additional record",
                     Cat({HeaderBytes(1, 0, 0, 1), kExampleCom, kTypeTxtIn}),
                     "name runs past the end"},
        BadQueryCase{"truncated OPT",
                     Cat({HeaderBytes(1, 0, 0, 1),
                          kExampleCom,
                          kTypeTxtIn,
                          {0, 0, 41, 0x10, 0}}),
                     "truncated record"},
        BadQueryCase{"RDATA overrun",
                     Cat({HeaderBytes(1, 0, 0, 1),
                          kExampleCom,
                          kTypeTxtIn,
                          {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 9, 1, 2}}),
                     "truncated RDATA"},
        BadQueryCase{"two OPTs",
                     Cat({HeaderBytes(1, 0, 0, 2), kExampleCom, kTypeTxtIn,
                          kOpt4096, kOpt4096}),
                     "more than one OPT"},
        BadQueryCase{
            "OPT in answer section",
            Cat({HeaderBytes(1, 1, 0, 0), kExampleCom, kTypeTxtIn, kOpt4096}),
            "misplaced OPT"},
        BadQueryCase{"OPT with a name",
                     Cat({HeaderBytes(1, 0, 0, 1),
                          kExampleCom,
                          kTypeTxtIn,
                          {1, 'x', 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0}}),
                     "misplaced OPT"}),
    [](const auto& info) {
      std::string name;
      for (char c : info.param.label) name.push_back(isalnum(c) ? c : '_');
      return name;
    });

TEST(DnsWireParseQuery, ReadsHeaderQuestionAndFlags) {
  Bytes q = Cat({HeaderBytes(1, 0, 0, 0, 0x01), kExampleCom, kTypeTxtIn});
  q[3] = 0x10;  // CD
  absl::StatusOr<Query> parsed = ParseQuery(q.data(), q.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->header.id, 0x1234);
  EXPECT_TRUE(parsed->header.rd);
  EXPECT_TRUE(parsed->header.cd);
  EXPECT_EQ(parsed->header.opcode, 0);
  EXPECT_EQ(parsed->qname, "example.com");
  EXPECT_EQ(parsed->qtype, RRType::kTXT);
  EXPECT_EQ(parsed->qclass, kClassIN);
  EXPECT_FALSE(parsed->has_edns);
}

TEST(DnsWireParseQuery, ReadsEdnsOpt) {
  struct Case {
    Bytes opt;
    uint16_t want_size;
    bool want_do;
    uint8_t want_version;
  };
  const Case cases[] = {
      {kOpt4096, 4096, true, 0},
      {{0, 0, 41, 0x00, 0x80, 0, 0, 0, 0, 0, 0}, 512, false, 0},  // 128 -> 512
      {{0, 0, 41, 0x04, 0xD0, 0, 1, 0, 0, 0, 0}, 1232, false, 1},
  };
  for (const Case& c : cases) {
    Bytes q = Cat({HeaderBytes(1, 0, 0, 1), kExampleCom, kTypeTxtIn, c.opt});
    absl::StatusOr<Query> parsed = ParseQuery(q.data(), q.size());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->has_edns);
    EXPECT_EQ(parsed->udp_payload_size, c.want_size);
    EXPECT_EQ(parsed->dnssec_ok, c.want_do);
    EXPECT_EQ(parsed->edns_version, c.want_version);
  }
}

TEST(DnsWireParseQuery, SkipsOtherRecordsAndTrailingBytes) {
  // An answer record (as in a NOTIFY-like query) before the OPT, then junk.
  Bytes answer = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
  Bytes q = Cat({HeaderBytes(1, 1, 0, 1),
                 kExampleCom,
                 kTypeTxtIn,
                 answer,
                 kOpt4096,
                 {0xde, 0xad}});
  absl::StatusOr<Query> parsed = ParseQuery(q.data(), q.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->has_edns);
}

TEST(DnsWireReadName, FollowsBackwardPointersAndEscapes) {
  // offset 12: example.com; offset 25: "www" + pointer to 12;
  // offset 31: label "a.b\x00" + pointer to 25.
  Bytes m = Cat({HeaderBytes(1),
                 kExampleCom,
                 {3, 'w', 'w', 'w', 0xC0, 12},
                 {4, 'a', '.', '\\', 0, 0xC0, 25},
                 {0xC0, 31}});
  size_t end = 0;
  absl::StatusOr<std::string> n = ReadName(m.data(), m.size(), 25, &end);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, "www.example.com");
  EXPECT_EQ(end, 31u);
  n = ReadName(m.data(), m.size(), 31, &end);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, "a\\.\\\\\\000.www.example.com");
  EXPECT_EQ(end, 38u);
  n = ReadName(m.data(), m.size(), 38, &end);  // pointer to a pointer chain
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, "a\\.\\\\\\000.www.example.com");
  EXPECT_EQ(end, 40u);
}

TEST(DnsWireReadName, RejectsMutualPointerLoop) {
  // offset 12: pointer to 14; offset 14: pointer to 12 (a two-step loop).
  Bytes m = Cat({HeaderBytes(1), {0xC0, 14, 0xC0, 12}});
  size_t end;
  EXPECT_FALSE(ReadName(m.data(), m.size(), 12, &end).ok());
  EXPECT_FALSE(ReadName(m.data(), m.size(), 14, &end).ok());
}

TEST(DnsWireReadName, RejectsLongNameBuiltFromPointers) {
  // Four 63-octet labels at 12, then a name that adds a fifth via pointer.
  Bytes m = Cat({HeaderBytes(1), LabelsOf63(4)});
  size_t second = m.size();
  Bytes more = {63};
  more.insert(more.end(), 63, 'b');
  more.push_back(0xC0);
  more.push_back(12);
  m = Cat({m, more});
  size_t end;
  absl::StatusOr<std::string> n = ReadName(m.data(), m.size(), second, &end);
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("longer than 255"));
}

TEST(DnsWireParseQuery, SurvivesRandomGarbageAndMutations) {
  std::mt19937 rng(12345);
  Bytes valid = BuildQuery(7, "_acme-challenge.www.example.com", RRType::kTXT,
                           {.rd = true, .edns_udp_size = 1232});
  int parsed_ok = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b;
    if (i % 2 == 0) {
      b.resize(rng() % 80);
      for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    } else {
      b = valid;
      for (int flips = 1 + rng() % 4; flips > 0; --flips) {
        b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      }
      b.resize(rng() % (b.size() + 1));
    }
    absl::StatusOr<Query> q = ParseQuery(b.data(), b.size());
    if (q.ok()) {
      ++parsed_ok;
      // Whatever parsed must be answerable without trouble.
      Response r;
      r.answers.push_back({q->qname, 0, TxtRecord{{"x"}}});
      Bytes out = BuildResponse(*q, r, 512);
      EXPECT_TRUE(ParseMessage(out.data(), out.size()).ok());
    }
  }
  EXPECT_GT(parsed_ok, 0);  // mutations of a valid query sometimes survive
}

TEST(DnsWireBuildQuery, RoundTripsNames) {
  const std::string names[] = {"example.com",
                               "Example.COM",
                               "a.b.c.d.e.f.g",
                               "_acme-challenge.x.test",
                               "a\\.b.test",
                               "\\000\\255.test",
                               "",
                               std::string(63, 'x') + ".test"};
  for (const std::string& name : names) {
    for (std::string spelled : {name, name + "."}) {
      if (name.empty()) spelled = ".";
      Bytes q = BuildQuery(99, spelled, RRType::kCAA, {.rd = false});
      absl::StatusOr<Query> parsed = ParseQuery(q.data(), q.size());
      ASSERT_TRUE(parsed.ok()) << spelled << ": " << parsed.status();
      EXPECT_EQ(parsed->qname, name);
      EXPECT_EQ(parsed->qtype, RRType::kCAA);
      EXPECT_FALSE(parsed->header.rd);
      EXPECT_EQ(parsed->header.id, 99);
    }
  }
}

Query ParsedQuery(absl::string_view name, RRType type,
                  std::optional<uint16_t> edns = std::nullopt) {
  Bytes q = BuildQuery(0xBEEF, name, type, {.rd = true, .edns_udp_size = edns});
  absl::StatusOr<Query> parsed = ParseQuery(q.data(), q.size());
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

TEST(DnsWireBuildResponse, RecordsRoundTrip) {
  Query q = ParsedQuery("Host.Example.com", RRType::kANY);
  Response r;
  r.ad = true;
  r.answers = {
      {q.qname, 60, ARecord{{192, 0, 2, 1}}},
      {q.qname, 60,
       AaaaRecord{
           {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}},
      {q.qname, 60, CnameRecord{"target.example.net"}},
      {q.qname, 60, TxtRecord{{"hello world"}}},
      {q.qname, 60, CaaRecord{128, "issue", "ca.example; accounturi=x"}},
  };
  r.authority = {
      {"example.com", 0,
       SoaRecord{"ns.example.com", "root.example.com", 7, 1, 2, 3, 4}}};
  Bytes out = BuildResponse(q, r, 4096);
  absl::StatusOr<ParsedMessage> m = ParseMessage(out.data(), out.size());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.aa);
  EXPECT_TRUE(m->header.ad);
  EXPECT_TRUE(m->header.rd);  // copied
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->header.id, 0xBEEF);
  EXPECT_EQ(m->qname, "Host.Example.com");
  ASSERT_EQ(m->answers.size(), 5u);
  for (const ParsedRecord& rr : m->answers) {
    EXPECT_EQ(rr.name, "Host.Example.com");
    EXPECT_EQ(rr.ttl, 60u);
    EXPECT_EQ(rr.rclass, kClassIN);
    ASSERT_TRUE(rr.data.has_value());
  }
  EXPECT_EQ(std::get<ARecord>(*m->answers[0].data).address,
            (std::array<uint8_t, 4>{192, 0, 2, 1}));
  EXPECT_EQ(std::get<AaaaRecord>(*m->answers[1].data).address[15], 1);
  EXPECT_EQ(std::get<CnameRecord>(*m->answers[2].data).target,
            "target.example.net");
  EXPECT_THAT(std::get<TxtRecord>(*m->answers[3].data).strings,
              ElementsAre("hello world"));
  const CaaRecord& caa = std::get<CaaRecord>(*m->answers[4].data);
  EXPECT_EQ(caa.flags, 128);
  EXPECT_EQ(caa.tag, "issue");
  EXPECT_EQ(caa.value, "ca.example; accounturi=x");
  ASSERT_EQ(m->authority.size(), 1u);
  const SoaRecord& soa = std::get<SoaRecord>(*m->authority[0].data);
  EXPECT_EQ(m->authority[0].name, "example.com");
  EXPECT_EQ(soa.mname, "ns.example.com");
  EXPECT_EQ(soa.rname, "root.example.com");
  EXPECT_EQ(soa.serial, 7u);
  EXPECT_EQ(soa.minimum, 4u);
}

TEST(DnsWireBuildResponse, CompressesOwnerNamesToTheQuestion) {
  Query q = ParsedQuery("www.example.com", RRType::kA);
  Response r;
  r.answers = {{q.qname, 0, ARecord{{1, 2, 3, 4}}}};
  r.authority = {
      {"example.com", 0, SoaRecord{"ns.example.com", "h.example.com"}}};
  Bytes out = BuildResponse(q, r, 512);
  // Header, question (17-octet name + 4), then the answer owner is a
  // pointer to offset 12.
  const size_t answer_at = 12 + 17 + 4;
  ASSERT_GT(out.size(), answer_at + 2);
  EXPECT_EQ(out[answer_at], 0xC0);
  EXPECT_EQ(out[answer_at + 1], 12);
  // The SOA owner "example.com" points into the question name (offset 16).
  const size_t soa_at = answer_at + 2 + 10 + 4;
  EXPECT_EQ(out[soa_at], 0xC0);
  EXPECT_EQ(out[soa_at + 1], 16);
  absl::StatusOr<ParsedMessage> m = ParseMessage(out.data(), out.size());
  ASSERT_TRUE(m.ok()) << m.status();
  const SoaRecord& soa = std::get<SoaRecord>(*m->authority[0].data);
  EXPECT_EQ(soa.mname, "ns.example.com");
  EXPECT_EQ(soa.rname, "h.example.com");
}

struct TxtCase {
  std::vector<std::string> strings;
  std::vector<size_t> want_lengths;
};

TEST(DnsWireBuildResponse, SplitsLongTxtIntoCharacterStrings) {
  const TxtCase cases[] = {
      {{std::string(255, 'a')}, {255}},
      {{std::string(256, 'a')}, {255, 1}},
      {{std::string(300, 'a')}, {255, 45}},
      {{std::string(600, 'a')}, {255, 255, 90}},
      {{""}, {0}},
      {{}, {0}},
      {{"one", "two", std::string(256, 'z')}, {3, 3, 255, 1}},
  };
  for (const TxtCase& c : cases) {
    Query q = ParsedQuery("t.example", RRType::kTXT);
    Response r;
    r.answers = {{q.qname, 0, TxtRecord{c.strings}}};
    Bytes out = BuildResponse(q, r, 65535);
    absl::StatusOr<ParsedMessage> m = ParseMessage(out.data(), out.size());
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_EQ(m->answers.size(), 1u);
    std::vector<size_t> lengths;
    std::string joined;
    for (const std::string& s :
         std::get<TxtRecord>(*m->answers[0].data).strings) {
      lengths.push_back(s.size());
      joined += s;
    }
    EXPECT_EQ(lengths, c.want_lengths);
    std::string want_joined;
    for (const std::string& s : c.strings) want_joined += s;
    EXPECT_EQ(joined, want_joined);
  }
}

TEST(DnsWireBuildResponse, TruncatesWhenTooBigAndKeepsOpt) {
  struct Case {
    std::optional<uint16_t> edns;
    size_t max;
    bool want_tc;
  };
  const Case cases[] = {
      {std::nullopt, 512, true},
      {1232, 1232, true},
      {4096, 4096, false},
      {std::nullopt, 65535, false},
  };
  for (const Case& c : cases) {
    Query q = ParsedQuery("big.example", RRType::kTXT, c.edns);
    Response r;
    for (int i = 0; i < 8; ++i) {
      r.answers.push_back({q.qname, 0, TxtRecord{{std::string(200, 'a' + i)}}});
    }
    Bytes out = BuildResponse(q, r, c.max);
    EXPECT_LE(out.size(), c.max);
    absl::StatusOr<ParsedMessage> m = ParseMessage(out.data(), out.size());
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->header.tc, c.want_tc);
    EXPECT_EQ(m->answers.size(), c.want_tc ? 0u : 8u);
    EXPECT_EQ(m->qname, "big.example");
    ASSERT_EQ(m->additional.size(), c.edns ? 1u : 0u);
    if (c.edns) {
      EXPECT_EQ(m->additional[0].type, RRType::kOPT);
    }
  }
}

TEST(DnsWireBuildResponse, CarriesExtendedRcodeInOpt) {
  Query q = ParsedQuery("x.example", RRType::kA, 1232);
  Response r;
  r.rcode = 16;  // BADVERS
  Bytes out = BuildResponse(q, r, 512);
  absl::StatusOr<ParsedMessage> m = ParseMessage(out.data(), out.size());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header.rcode, 0);
  ASSERT_EQ(m->additional.size(), 1u);
  EXPECT_EQ(m->additional[0].ttl >> 24, 1u);  // 16 >> 4
}

TEST(DnsWireBuildErrorResponse, EchoesIdOpcodeAndRd) {
  Header h;
  h.id = 4242;
  h.opcode = 2;
  h.rd = true;
  Bytes out = BuildErrorResponse(h, kFormErr);
  std::optional<Header> back = ParseHeader(out.data(), out.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, 4242);
  EXPECT_EQ(back->opcode, 2);
  EXPECT_TRUE(back->rd);
  EXPECT_TRUE(back->qr);
  EXPECT_EQ(back->rcode, kFormErr);
  EXPECT_EQ(back->qdcount, 0);
}

TEST(DnsWireNames, CanonicalAndValidate) {
  struct Case {
    std::string in;
    std::string canonical;
    bool valid;
  };
  const Case cases[] = {
      {"Example.COM.", "example.com", true},
      {"example.com", "example.com", true},
      {"_ACME-challenge.X.test", "_acme-challenge.x.test", true},
      {"\\065.test", "a.test", true},  // \065 is 'A'
      {"a\\.b.test.", "a\\.b.test", true},
      {".", "", true},
      {"", "", true},
      {"a..b", "a..b", false},
      {".a", ".a", false},
      {std::string(64, 'x') + ".test", std::string(64, 'x') + ".test", false},
      {"bad\\", "bad\\", false},
      {"bad\\25", "bad\\25", false},
      {"bad\\999", "bad\\999", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CanonicalName(c.in), c.canonical) << c.in;
    EXPECT_EQ(ValidateName(c.in).ok(), c.valid) << c.in;
  }
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  EXPECT_FALSE(ValidateName(long_name).ok());  // 4*64+1 = 257 octets
}

TEST(DnsWireNames, NormalizeNameStripsOneTrailingDot) {
  EXPECT_EQ(NormalizeName("example.com."), "example.com");
  EXPECT_EQ(NormalizeName("example.com"), "example.com");
  EXPECT_EQ(NormalizeName("."), "");
}

// The VA's names: octets between dots, no escapes, no trailing dot.
TEST(DnsWireNames, OctetSyntax) {
  struct Case {
    std::string in;
    bool valid;
  };
  const Case cases[] = {
      {"", true},
      {"example.com", true},
      {"a\\065.test", true},  // a backslash is just an octet
      {std::string(63, 'x') + ".test", true},
      {".", false},
      {"example.com.", false},
      {"a..b", false},
      {".a", false},
      {std::string(64, 'x') + ".test", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ValidateName(c.in, NameSyntax::kOctets).ok(), c.valid) << c.in;
  }
  // Three 63-octet labels and one of 61: 3*64 + 62 + 1 = 255 octets.
  std::string longest;
  for (int i = 0; i < 3; ++i) longest += std::string(63, 'a') + ".";
  longest += std::string(61, 'a');
  EXPECT_TRUE(ValidateName(longest, NameSyntax::kOctets).ok());
  EXPECT_FALSE(ValidateName(longest + "a", NameSyntax::kOctets).ok());
  // Written as they are: the escape is not decoded.
  Bytes q =
      BuildQuery(1, "a\\b", RRType::kTXT, {.syntax = NameSyntax::kOctets});
  EXPECT_EQ(q[12], 3);
  EXPECT_EQ(q[14], '\\');
}

TEST(DnsWireSkipName, StopsAtRootOrBackwardPointer) {
  Bytes m = Cat({HeaderBytes(1),
                 kExampleCom,
                 {3, 'w', 'w', 'w', 0xC0, 12},
                 {0xC0, 40},
                 {5, 'a'}});
  size_t offset = 12;
  EXPECT_TRUE(SkipName(m.data(), m.size(), &offset));
  EXPECT_EQ(offset, 25u);
  EXPECT_TRUE(SkipName(m.data(), m.size(), &offset));
  EXPECT_EQ(offset, 31u);
  EXPECT_FALSE(SkipName(m.data(), m.size(), &offset));  // forward pointer
  offset = 33;
  EXPECT_FALSE(SkipName(m.data(), m.size(), &offset));  // label past the end
}

TEST(DnsWireEdnsOptions, WalksUntilToldOrOverrun) {
  const Bytes rdata = {0, 10, 0,   2, 7,  7, 0, 15, 0, 3,
                       0, 6,  'x', 0, 15, 0, 9, 0};  // the last one overruns
  std::vector<uint16_t> codes;
  std::vector<size_t> sizes;
  ForEachEdnsOption(rdata, [&](uint16_t code, absl::Span<const uint8_t> d) {
    codes.push_back(code);
    sizes.push_back(d.size());
    return true;
  });
  EXPECT_THAT(sizes, ElementsAre(2, 3));
  EXPECT_THAT(codes, ElementsAre(10, 15));
  codes.clear();
  ForEachEdnsOption(rdata, [&](uint16_t code, absl::Span<const uint8_t>) {
    codes.push_back(code);
    return false;
  });
  EXPECT_THAT(codes, ElementsAre(10));
}

TEST(DnsWireRRTypes, NamesRoundTrip) {
  EXPECT_EQ(RRTypeToString(RRType::kCAA), "CAA");
  EXPECT_EQ(RRTypeToString(static_cast<RRType>(65)), "TYPE65");
  EXPECT_EQ(RRTypeFromString("txt"), RRType::kTXT);
  EXPECT_EQ(RRTypeFromString("Caa"), RRType::kCAA);
  EXPECT_EQ(RRTypeFromString("TYPE65"), static_cast<RRType>(65));
  EXPECT_EQ(RRTypeFromString("28"), RRType::kAAAA);
  EXPECT_EQ(RRTypeFromString("BOGUS"), std::nullopt);
  EXPECT_EQ(RRTypeFromString("TYPE70000"), std::nullopt);
  EXPECT_EQ(RRTypeFromString(""), std::nullopt);
}

}  // namespace
}  // namespace acmeva::dnswire
