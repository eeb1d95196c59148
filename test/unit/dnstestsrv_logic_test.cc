// The test DNS server's logic without sockets: the record store, fault
// table, bounded history, the answer logic (CNAME chains, negative answers,
// AD, faults), and the management API's request handling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dnstestsrv/fault_table.h"
#include "dnstestsrv/management_api.h"
#include "dnstestsrv/record_store.h"
#include "dnstestsrv/request_history.h"
#include "dnstestsrv/responder.h"
#include "dnswire/message.h"

namespace acmeva::dnstestsrv {
namespace {

using ::acmeva::dnswire::AaaaRecord;
using ::acmeva::dnswire::ARecord;
using ::acmeva::dnswire::BuildQuery;
using ::acmeva::dnswire::CaaRecord;
using ::acmeva::dnswire::CanonicalName;
using ::acmeva::dnswire::CnameRecord;
using ::acmeva::dnswire::Header;
using ::acmeva::dnswire::kFormErr;
using ::acmeva::dnswire::kNoError;
using ::acmeva::dnswire::kNotImp;
using ::acmeva::dnswire::kNxDomain;
using ::acmeva::dnswire::kRefused;
using ::acmeva::dnswire::kServFail;
using ::acmeva::dnswire::ParsedMessage;
using ::acmeva::dnswire::ParsedRecord;
using ::acmeva::dnswire::ParseHeader;
using ::acmeva::dnswire::ParseMessage;
using ::acmeva::dnswire::RRType;
using ::acmeva::dnswire::RRTypeToString;
using ::acmeva::dnswire::SoaRecord;
using ::acmeva::dnswire::TxtRecord;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------- store

TEST(DnsRecordStore, NamesAreCaseAndDotInsensitive) {
  RecordStore store;
  store.AddTxt("_ACME-challenge.Example.COM.", TxtRecord{{"v1"}});
  store.AddTxt("_acme-challenge.example.com", TxtRecord{{"v2"}});
  auto entry = store.Find("_acme-challenge.EXAMPLE.com.");
  ASSERT_NE(entry, nullptr);
  ASSERT_EQ(entry->txt.size(), 2u);
  EXPECT_THAT(entry->txt[1].strings, ElementsAre("v2"));
  EXPECT_EQ(store.size(), 1u);
}

TEST(DnsRecordStore, SnapshotsAreImmutableAndEmptyNamesVanish) {
  RecordStore store;
  store.AddCaa("example.com", CaaRecord{0, "issue", "ca.example"});
  auto before = store.Find("example.com");
  store.AddCaa("example.com", CaaRecord{0, "issuewild", ";"});
  store.SetCname("example.com", "Target.Example.NET.");
  EXPECT_EQ(before->caa.size(), 1u);  // a reader's snapshot never changes
  auto after = store.Find("example.com");
  EXPECT_EQ(after->caa.size(), 2u);
  EXPECT_EQ(after->cname, "target.example.net");
  store.ClearCaa("example.com");
  store.ClearCname("example.com");
  EXPECT_EQ(store.Find("example.com"), nullptr);
  EXPECT_EQ(store.size(), 0u);
  store.SetAuthenticated("example.com", true);
  EXPECT_EQ(store.size(), 1u);
  store.SetAuthenticated("example.com", false);
  EXPECT_EQ(store.size(), 0u);
}

// ---------------------------------------------------------------- faults

FaultSpec Fault(std::string host, FaultMode mode,
                std::optional<RRType> type = std::nullopt,
                std::optional<uint64_t> count = std::nullopt,
                double probability = 1.0) {
  FaultSpec f;
  f.host = std::move(host);
  f.mode = mode;
  f.type = type;
  f.count = count;
  f.probability = probability;
  return f;
}

TEST(DnsFaultTable, NoFaultsNoMatch) {
  FaultTable faults(1);
  EXPECT_FALSE(faults.Match("example.com", RRType::kTXT, Transport::kUdp));
}

TEST(DnsFaultTable, CountLimitsToFirstNQueries) {
  FaultTable faults(1);
  faults.Set(Fault("Example.com.", FaultMode::kServfail, std::nullopt, 2));
  EXPECT_TRUE(faults.Match("example.com", RRType::kTXT, Transport::kUdp));
  EXPECT_TRUE(faults.Match("example.com", RRType::kCAA, Transport::kTcp));
  EXPECT_FALSE(faults.Match("example.com", RRType::kTXT, Transport::kUdp));
  EXPECT_THAT(faults.List(), IsEmpty());  // used up faults are removed
}

TEST(DnsFaultTable, ProbabilityZeroAndOne) {
  FaultTable faults(1);
  faults.Set(
      Fault("never.test", FaultMode::kDrop, std::nullopt, std::nullopt, 0.0));
  faults.Set(
      Fault("always.test", FaultMode::kDrop, std::nullopt, std::nullopt, 1.0));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(faults.Match("never.test", RRType::kA, Transport::kUdp));
    EXPECT_TRUE(faults.Match("always.test", RRType::kA, Transport::kUdp));
  }
}

TEST(DnsFaultTable, ProbabilityHalfHitsAboutHalf) {
  FaultTable faults(42);
  faults.Set(Fault("flaky.test", FaultMode::kServfail, std::nullopt,
                   std::nullopt, 0.5));
  int hits = 0;
  for (int i = 0; i < 4000; ++i) {
    if (faults.Match("flaky.test", RRType::kCAA, Transport::kUdp)) ++hits;
  }
  EXPECT_GT(hits, 1700);
  EXPECT_LT(hits, 2300);
}

TEST(DnsFaultTable, CountConsumedByConsideredQueriesEvenOnMiss) {
  FaultTable faults(1);
  faults.Set(Fault("x.test", FaultMode::kDrop, std::nullopt, 3, 0.0));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(faults.Match("x.test", RRType::kA, Transport::kUdp));
  EXPECT_THAT(faults.List(), IsEmpty());
}

TEST(DnsFaultTable, PerTypeBeforeAllTypes) {
  FaultTable faults(1);
  faults.Set(Fault("x.test", FaultMode::kRefused));
  faults.Set(Fault("x.test", FaultMode::kServfail, RRType::kCAA, 1));
  auto hit = faults.Match("x.test", RRType::kCAA, Transport::kUdp);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->mode, FaultMode::kServfail);
  hit = faults.Match("x.test", RRType::kCAA, Transport::kUdp);  // count used up
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->mode, FaultMode::kRefused);
  hit = faults.Match("x.test", RRType::kTXT, Transport::kUdp);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->mode, FaultMode::kRefused);
  EXPECT_FALSE(faults.Match("other.test", RRType::kTXT, Transport::kUdp));
}

TEST(DnsFaultTable, TypeSpecificOnlyMatchesItsType) {
  FaultTable faults(1);
  faults.Set(Fault("x.test", FaultMode::kNxdomain, RRType::kTXT));
  EXPECT_TRUE(faults.Match("x.test", RRType::kTXT, Transport::kUdp));
  EXPECT_FALSE(faults.Match("x.test", RRType::kCAA, Transport::kUdp));
}

TEST(DnsFaultTable, TruncateIsUdpOnlyAndNotConsumedByTcp) {
  FaultTable faults(1);
  faults.Set(Fault("x.test", FaultMode::kTruncate, std::nullopt, 1));
  EXPECT_FALSE(faults.Match("x.test", RRType::kTXT, Transport::kTcp));
  EXPECT_TRUE(faults.Match("x.test", RRType::kTXT, Transport::kUdp));
  EXPECT_FALSE(faults.Match("x.test", RRType::kTXT, Transport::kUdp));
}

TEST(DnsFaultTable, SetReplacesSameHostAndTypeAndClearRemoves) {
  FaultTable faults(1);
  faults.Set(Fault("x.test", FaultMode::kDrop));
  faults.Set(Fault("X.TEST.", FaultMode::kRefused));
  faults.Set(Fault("y.test", FaultMode::kDrop));
  EXPECT_EQ(faults.List().size(), 2u);
  EXPECT_EQ(faults.Match("x.test", RRType::kA, Transport::kUdp)->mode,
            FaultMode::kRefused);
  EXPECT_EQ(faults.Clear("x.test."), 1u);
  EXPECT_FALSE(faults.Match("x.test", RRType::kA, Transport::kUdp));
  EXPECT_TRUE(faults.Match("y.test", RRType::kA, Transport::kUdp));
  faults.ClearAll();
  EXPECT_FALSE(faults.Match("y.test", RRType::kA, Transport::kUdp));
}

TEST(DnsFaultTable, ModeNames) {
  for (absl::string_view name :
       {"drop", "delay", "servfail", "refused", "nxdomain", "truncate"}) {
    auto mode = FaultModeFromString(name);
    ASSERT_TRUE(mode) << name;
    EXPECT_EQ(FaultModeName(*mode), name);
  }
  EXPECT_EQ(FaultModeFromString("SERVFAIL"), FaultMode::kServfail);
  EXPECT_EQ(FaultModeFromString("explode"), std::nullopt);
}

// ---------------------------------------------------------------- history

TEST(DnsRequestHistory, IsBoundedAndFiltersByName) {
  RequestHistory history(3);
  for (int i = 0; i < 5; ++i) {
    RequestEvent e;
    e.name = i % 2 ? "A.test" : "b.test";
    e.canonical = CanonicalName(e.name);
    e.qtype = static_cast<RRType>(i);
    history.Record(e);
  }
  std::vector<RequestEvent> all = history.Get("");
  ASSERT_EQ(all.size(), 3u);  // the oldest two are gone
  EXPECT_EQ(all[0].qtype, RRType::kNS);
  EXPECT_EQ(all[2].qtype, static_cast<RRType>(4));
  EXPECT_EQ(history.Get("a.TEST.").size(), 1u);
  history.Clear("b.test");
  EXPECT_EQ(history.Get("").size(), 1u);
  history.Clear("");
  EXPECT_THAT(history.Get(""), IsEmpty());
}

// ---------------------------------------------------------------- responder

struct Answer {
  uint8_t rcode = 0;
  bool aa = false;
  bool ad = false;
  bool tc = false;
  std::vector<std::string> answers;  // "name TYPE data"
  std::vector<std::string> authority;
  bool dropped = false;
  absl::Duration delay;
};

std::string Describe(const ParsedRecord& rr) {
  std::string data;
  if (rr.data.has_value()) {
    std::visit(
        [&data](const auto& d) {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, ARecord>) {
            data = absl::StrCat(d.address[0], ".", d.address[1], ".",
                                d.address[2], ".", d.address[3]);
          } else if constexpr (std::is_same_v<T, AaaaRecord>) {
            data = absl::StrCat("aaaa-last-", d.address[15]);
          } else if constexpr (std::is_same_v<T, CnameRecord>) {
            data = d.target;
          } else if constexpr (std::is_same_v<T, TxtRecord>) {
            data = absl::StrJoin(d.strings, "|");
          } else if constexpr (std::is_same_v<T, CaaRecord>) {
            data = absl::StrCat(d.flags, " ", d.tag, " ", d.value);
          } else if constexpr (std::is_same_v<T, SoaRecord>) {
            data = d.mname;
          }
        },
        *rr.data);
  }
  return absl::StrCat(rr.name, " ", RRTypeToString(rr.type), " ", data);
}

Answer Ask(const Responder& responder, absl::string_view name, RRType type,
           Transport transport = Transport::kUdp,
           std::optional<uint16_t> edns = std::nullopt) {
  std::vector<uint8_t> q =
      BuildQuery(77, name, type, {.rd = true, .edns_udp_size = edns});
  Reply reply = responder.Handle(q.data(), q.size(), transport, "127.0.0.1:1");
  Answer a;
  a.dropped = reply.drop;
  a.delay = reply.delay;
  if (reply.drop) return a;
  absl::StatusOr<ParsedMessage> m =
      ParseMessage(reply.bytes.data(), reply.bytes.size());
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return a;
  EXPECT_EQ(m->header.id, 77);
  a.rcode = m->header.rcode;
  a.aa = m->header.aa;
  a.ad = m->header.ad;
  a.tc = m->header.tc;
  for (const ParsedRecord& rr : m->answers) a.answers.push_back(Describe(rr));
  for (const ParsedRecord& rr : m->authority)
    a.authority.push_back(Describe(rr));
  return a;
}

class DnsResponderTest : public ::testing::Test {
 protected:
  DnsResponderTest()
      : faults_(7), history_(1000), responder_(&store_, &faults_, &history_) {
    store_.AddTxt("_acme-challenge.example.com", TxtRecord{{"token"}});
    store_.AddCaa("example.com", CaaRecord{0, "issue", "ca.example"});
    store_.AddCaa("example.com", CaaRecord{128, "tbs", "x"});
    store_.AddA("example.com", ARecord{{192, 0, 2, 1}});
    store_.AddAaaa("example.com", AaaaRecord{{0x20, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0, 0, 0, 0, 0, 9}});
    store_.SetCname("alias.example.com", "example.com");
    store_.SetCname("alias2.example.com", "alias.example.com");
    store_.SetCname("dangling.example.com", "nowhere.example.com");
    store_.SetCname("loop1.example.com", "loop2.example.com");
    store_.SetCname("loop2.example.com", "loop1.example.com");
    store_.SetCname("to-gone.example.com", "gone.example.com");
    store_.SetNxdomain("gone.example.com", true);
    store_.SetServfail("broken.example.com", true);
    store_.SetCname("to-broken.example.com", "broken.example.com");
    store_.AddCaa("signed.example.com", CaaRecord{0, "issue", "ca.example"});
    store_.SetAuthenticated("signed.example.com", true);
    store_.SetCname("signed-alias.example.com", "signed.example.com");
    store_.SetAuthenticated("signed-alias.example.com", true);
    store_.SetCname("unsigned-alias.example.com", "signed.example.com");
    // A chain of 9 CNAMEs (one more than followed), and one of exactly 8.
    for (int i = 0; i < 9; ++i) {
      store_.SetCname(absl::StrCat("c", i, ".long.test"),
                      absl::StrCat("c", i + 1, ".long.test"));
    }
    store_.AddTxt("c9.long.test", TxtRecord{{"end"}});
  }

  RecordStore store_;
  FaultTable faults_;
  RequestHistory history_;
  Responder responder_;
};

struct ResolveCase {
  std::string label;
  std::string name;
  RRType type;
  uint8_t rcode;
  std::vector<std::string> answers;
  std::vector<std::string> authority;
  bool ad = false;
};

TEST_F(DnsResponderTest, AnswersFromRecords) {
  const std::string soa = "example.com SOA ns.dnstestsrv.invalid";
  const ResolveCase cases[] = {
      {"txt",
       "_acme-challenge.example.com",
       RRType::kTXT,
       kNoError,
       {"_acme-challenge.example.com TXT token"},
       {}},
      {"case and dot",
       "_ACME-Challenge.Example.COM.",
       RRType::kTXT,
       kNoError,
       {"_ACME-Challenge.Example.COM TXT token"},
       {}},
      {"caa with flags",
       "example.com",
       RRType::kCAA,
       kNoError,
       {"example.com CAA 0 issue ca.example", "example.com CAA 128 tbs x"},
       {}},
      {"a",
       "example.com",
       RRType::kA,
       kNoError,
       {"example.com A 192.0.2.1"},
       {}},
      {"aaaa",
       "example.com",
       RRType::kAAAA,
       kNoError,
       {"example.com AAAA aaaa-last-9"},
       {}},
      {"nodata", "example.com", RRType::kMX, kNoError, {}, {soa}},
      {"nodata txt", "example.com", RRType::kTXT, kNoError, {}, {soa}},
      {"unknown name",
       "nothing.example.com",
       RRType::kCAA,
       kNoError,
       {},
       {soa}},
      {"unknown deep name",
       "a.b.c.example.com",
       RRType::kTXT,
       kNoError,
       {},
       {soa}},
      {"cname",
       "alias.example.com",
       RRType::kCAA,
       kNoError,
       {"alias.example.com CNAME example.com",
        "example.com CAA 0 issue ca.example", "example.com CAA 128 tbs x"},
       {}},
      {"cname chain",
       "alias2.example.com",
       RRType::kA,
       kNoError,
       {"alias2.example.com CNAME alias.example.com",
        "alias.example.com CNAME example.com", "example.com A 192.0.2.1"},
       {}},
      {"cname query",
       "alias2.example.com",
       RRType::kCNAME,
       kNoError,
       {"alias2.example.com CNAME alias.example.com"},
       {}},
      {"cname to nodata",
       "alias.example.com",
       RRType::kTXT,
       kNoError,
       {"alias.example.com CNAME example.com"},
       {soa}},
      {"dangling cname",
       "dangling.example.com",
       RRType::kTXT,
       kNoError,
       {"dangling.example.com CNAME nowhere.example.com"},
       {soa}},
      {"cname loop", "loop1.example.com", RRType::kTXT, kServFail, {}, {}},
      {"cname to nxdomain",
       "to-gone.example.com",
       RRType::kCAA,
       kNxDomain,
       {"to-gone.example.com CNAME gone.example.com"},
       {soa}},
      {"cname to servfail",
       "to-broken.example.com",
       RRType::kCAA,
       kServFail,
       {},
       {}},
      {"nxdomain", "gone.example.com", RRType::kTXT, kNxDomain, {}, {soa}},
      {"servfail", "broken.example.com", RRType::kA, kServFail, {}, {}},
      {"chain too long", "c0.long.test", RRType::kTXT, kServFail, {}, {}},
      {"chain of 8", "c1.long.test", RRType::kTXT, kNoError, {}, {}},
      {"ad",
       "signed.example.com",
       RRType::kCAA,
       kNoError,
       {"signed.example.com CAA 0 issue ca.example"},
       {},
       true},
      {"ad nodata",
       "signed.example.com",
       RRType::kTXT,
       kNoError,
       {},
       {soa},
       true},
      {"ad through signed alias",
       "signed-alias.example.com",
       RRType::kCAA,
       kNoError,
       {"signed-alias.example.com CNAME signed.example.com",
        "signed.example.com CAA 0 issue ca.example"},
       {},
       true},
      {"no ad through unsigned alias",
       "unsigned-alias.example.com",
       RRType::kCAA,
       kNoError,
       {"unsigned-alias.example.com CNAME signed.example.com",
        "signed.example.com CAA 0 issue ca.example"},
       {},
       false},
  };
  for (const ResolveCase& c : cases) {
    SCOPED_TRACE(c.label);
    Answer a = Ask(responder_, c.name, c.type);
    EXPECT_EQ(a.rcode, c.rcode);
    EXPECT_TRUE(a.aa);
    EXPECT_FALSE(a.tc);
    EXPECT_EQ(a.ad, c.ad);
    if (c.label == "chain of 8") {
      ASSERT_EQ(a.answers.size(), 9u);  // 8 CNAMEs and the TXT
      EXPECT_EQ(a.answers.back(), "c9.long.test TXT end");
      continue;
    }
    EXPECT_EQ(a.answers, c.answers);
    EXPECT_EQ(a.authority, c.authority);
  }
}

TEST_F(DnsResponderTest, AnyReturnsEveryType) {
  Answer a = Ask(responder_, "example.com", RRType::kANY);
  EXPECT_EQ(a.answers.size(), 4u);  // A, AAAA, 2 CAA
}

TEST_F(DnsResponderTest, SoaOwnerIsTheLastTwoLabels) {
  EXPECT_EQ(SoaOwner("_acme-challenge.www.example.com"), "example.com");
  EXPECT_EQ(SoaOwner("example.com"), "example.com");
  EXPECT_EQ(SoaOwner("com"), "com");
  EXPECT_EQ(SoaOwner(""), "");
  EXPECT_EQ(SoaOwner("a.b\\.c.d"), "b\\.c.d");
}

TEST_F(DnsResponderTest, FaultsOverrideRecords) {
  struct Case {
    FaultMode mode;
    uint8_t rcode;
    bool aa;
    bool tc;
    size_t answers;
    size_t authority;
  };
  const Case cases[] = {
      {FaultMode::kServfail, kServFail, true, false, 0, 0},
      {FaultMode::kRefused, kRefused, false, false, 0, 0},
      {FaultMode::kNxdomain, kNxDomain, true, false, 0, 1},
      {FaultMode::kTruncate, kNoError, true, true, 0, 0},
      {FaultMode::kDelay, kNoError, true, false, 1, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(FaultModeName(c.mode));
    FaultSpec f = Fault("_acme-challenge.example.com", c.mode, RRType::kTXT, 1);
    f.delay = absl::Milliseconds(250);
    faults_.Set(f);
    Answer a = Ask(responder_, "_acme-challenge.example.com", RRType::kTXT);
    EXPECT_FALSE(a.dropped);
    EXPECT_EQ(a.rcode, c.rcode);
    EXPECT_EQ(a.aa, c.aa);
    EXPECT_EQ(a.tc, c.tc);
    EXPECT_EQ(a.answers.size(), c.answers);
    EXPECT_EQ(a.authority.size(), c.authority);
    EXPECT_EQ(a.delay, absl::Milliseconds(250));
    // count 1: the next query is answered normally, at once.
    Answer next = Ask(responder_, "_acme-challenge.example.com", RRType::kTXT);
    EXPECT_EQ(next.rcode, kNoError);
    EXPECT_EQ(next.answers.size(), 1u);
    EXPECT_EQ(next.delay, absl::ZeroDuration());
  }
}

TEST_F(DnsResponderTest, DropSendsNothingAndHistoryNotesFaults) {
  faults_.Set(Fault("example.com", FaultMode::kDrop, RRType::kCAA));
  EXPECT_TRUE(Ask(responder_, "example.com", RRType::kCAA).dropped);
  EXPECT_FALSE(Ask(responder_, "example.com", RRType::kA).dropped);
  std::vector<RequestEvent> events = history_.Get("EXAMPLE.com.");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].fault, "drop");
  EXPECT_EQ(events[0].qtype, RRType::kCAA);
  EXPECT_EQ(events[1].fault, "");
  EXPECT_EQ(events[1].client, "127.0.0.1:1");
  EXPECT_EQ(events[1].transport, Transport::kUdp);
}

TEST_F(DnsResponderTest, TruncatedUdpThenFullTcp) {
  faults_.Set(Fault("example.com", FaultMode::kTruncate));
  Answer udp = Ask(responder_, "example.com", RRType::kCAA, Transport::kUdp);
  EXPECT_TRUE(udp.tc);
  EXPECT_THAT(udp.answers, IsEmpty());
  Answer tcp = Ask(responder_, "example.com", RRType::kCAA, Transport::kTcp);
  EXPECT_FALSE(tcp.tc);
  EXPECT_EQ(tcp.answers.size(), 2u);
}

TEST_F(DnsResponderTest, LargeAnswersTruncateOverUdpOnly) {
  for (int i = 0; i < 10; ++i)
    store_.AddTxt("big.test", TxtRecord{{std::string(200, 'x')}});
  EXPECT_TRUE(Ask(responder_, "big.test", RRType::kTXT, Transport::kUdp).tc);
  // EDNS 4096 is capped at 1232, so still truncated.
  EXPECT_TRUE(
      Ask(responder_, "big.test", RRType::kTXT, Transport::kUdp, 4096).tc);
  Answer tcp = Ask(responder_, "big.test", RRType::kTXT, Transport::kTcp);
  EXPECT_FALSE(tcp.tc);
  EXPECT_EQ(tcp.answers.size(), 10u);
}

std::vector<uint8_t> Raw(std::initializer_list<uint8_t> b) { return b; }

TEST_F(DnsResponderTest, MalformedAndUnsupportedQueries) {
  // Header readable, question broken: FORMERR with the same id.
  std::vector<uint8_t> bad =
      Raw({0xAB, 0xCD, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'x'});
  Reply r = responder_.Handle(bad.data(), bad.size(), Transport::kUdp);
  ASSERT_FALSE(r.drop);
  auto h = ParseHeader(r.bytes.data(), r.bytes.size());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id, 0xABCD);
  EXPECT_EQ(h->rcode, kFormErr);
  EXPECT_TRUE(h->rd);
  // Shorter than a header, or a response: silence.
  std::vector<uint8_t> tiny = Raw({1, 2, 3});
  EXPECT_TRUE(
      responder_.Handle(tiny.data(), tiny.size(), Transport::kUdp).drop);
  std::vector<uint8_t> response = BuildQuery(1, "example.com", RRType::kA);
  response[2] |= 0x80;
  EXPECT_TRUE(
      responder_.Handle(response.data(), response.size(), Transport::kUdp)
          .drop);
  // Opcode other than QUERY: NOTIMP.
  std::vector<uint8_t> notify = BuildQuery(2, "example.com", RRType::kA);
  notify[2] |= 4 << 3;
  r = responder_.Handle(notify.data(), notify.size(), Transport::kUdp);
  EXPECT_EQ(ParseHeader(r.bytes.data(), r.bytes.size())->rcode, kNotImp);
  // Class CH: REFUSED.
  std::vector<uint8_t> chaos = BuildQuery(3, "version.bind", RRType::kTXT);
  chaos[chaos.size() - 1] = 3;
  r = responder_.Handle(chaos.data(), chaos.size(), Transport::kUdp);
  EXPECT_EQ(ParseHeader(r.bytes.data(), r.bytes.size())->rcode, kRefused);
  // EDNS version 1: BADVERS (extended rcode 16 in the OPT).
  std::vector<uint8_t> v1 =
      BuildQuery(4, "example.com", RRType::kA, {.edns_udp_size = 1232});
  v1[v1.size() - 5] = 1;  // OPT TTL octet 2 = version
  r = responder_.Handle(v1.data(), v1.size(), Transport::kUdp);
  auto m = ParseMessage(r.bytes.data(), r.bytes.size());
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->additional.size(), 1u);
  EXPECT_EQ(m->additional[0].ttl >> 24, 1u);
}

// ---------------------------------------------------------------- API

class DnsApiTest : public ::testing::Test {
 protected:
  DnsApiTest()
      : faults_(3), history_(100), api_(&store_, &faults_, &history_, false) {}

  common::HttpResponse Post(absl::string_view path, absl::string_view body) {
    common::HttpRequest r;
    r.method = "POST";
    r.path = std::string(path);
    r.body = std::string(body);
    return api_.Handle(r);
  }

  RecordStore store_;
  FaultTable faults_;
  RequestHistory history_;
  ManagementApi api_;
};

struct ApiCase {
  std::string path;
  std::string body;
  int status;
  std::string error;  // substring of the 400 body
};

TEST_F(DnsApiTest, ValidatesInputAndNamesTheField) {
  const ApiCase cases[] = {
      {"/set-txt", R"({"host":"x.test","value":"v"})", 200, ""},
      {"/set-txt", R"({"Host":"x.test","Value":"v"})", 200, ""},
      {"/set-txt", R"({"host":"x.test","strings":["a","b"]})", 200, ""},
      {"/set-txt", R"({"host":"x.test"})", 400, "\"value\""},
      {"/set-txt", R"({"value":"v"})", 400, "\"host\""},
      {"/set-txt", R"({"host":"a..b","value":"v"})", 400, "\"host\""},
      {"/set-txt", R"({"host":"x.test","value":"v","strings":["a"]})", 400,
       "\"strings\""},
      {"/set-txt",
       R"({"host":"x.test","strings":["a",")" + std::string(256, 'b') +
           R"("]})",
       400, "strings[1]"},
      {"/set-txt", R"({"host":"x.test","value":"v","bogus":1})", 400, "bogus"},
      {"/set-txt", R"({"host": 12})", 400, "invalid JSON"},
      {"/set-txt", "{not json", 400, "invalid JSON"},
      {"/set-txt", "[]", 400, "invalid JSON"},
      {"/set-txt", "", 400, "\"host\""},
      {"/add-caa",
       R"({"host":"x.test","policies":[{"tag":"issue","value":"ca"}]})", 200,
       ""},
      {"/add-caa",
       R"({"host":"x.test","policies":[{"tag":"tbs","value":"v","flag":128}]})",
       200, ""},
      {"/add-caa", R"({"host":"x.test","policies":[{"tag":"tbs","flag":256}]})",
       400, "policies[0].flag"},
      {"/add-caa", R"({"host":"x.test","policies":[{"value":"ca"}]})", 400,
       "policies[0].tag"},
      {"/add-caa", R"({"host":"x.test"})", 400, "\"policies\""},
      {"/add-a", R"({"host":"x.test","addresses":["192.0.2.1","10.0.0.1"]})",
       200, ""},
      {"/add-a", R"({"host":"x.test","addresses":["192.0.2.1","::1"]})", 400,
       "addresses[1]"},
      {"/add-a", R"({"host":"x.test","addresses":[]})", 400, "\"addresses\""},
      {"/add-aaaa", R"({"host":"x.test","addresses":["2001:db8::1"]})", 200,
       ""},
      {"/add-aaaa", R"({"host":"x.test","addresses":["1.2.3.4"]})", 400,
       "addresses[0]"},
      {"/set-cname", R"({"host":"alias.test","target":"x.test."})", 200, ""},
      {"/set-cname", R"({"host":"alias.test"})", 400, "\"target\""},
      {"/set-servfail", R"({"host":"sf.test"})", 200, ""},
      {"/set-nxdomain", R"({"host":"nx.test"})", 200, ""},
      {"/set-nxdomain", R"({})", 400, "\"host\""},
      {"/set-ad", R"({"host":"x.test","ad":true})", 200, ""},
      {"/set-fault",
       R"({"host":"f.test","mode":"servfail","type":"caa","count":2})", 200,
       ""},
      {"/set-fault", R"({"host":"f.test","mode":"delay","delay_ms":50})", 200,
       ""},
      {"/set-fault", R"({"host":"f.test","mode":"delay"})", 400,
       "\"delay_ms\""},
      {"/set-fault", R"({"host":"f.test","mode":"explode"})", 400, "\"mode\""},
      {"/set-fault", R"({"host":"f.test"})", 400, "\"mode\""},
      {"/set-fault", R"({"host":"f.test","mode":"drop","type":"NOPE"})", 400,
       "\"type\""},
      {"/set-fault", R"({"host":"f.test","mode":"drop","count":0})", 400,
       "\"count\""},
      {"/set-fault", R"({"host":"f.test","mode":"drop","probability":1.5})",
       400, "\"probability\""},
      {"/set-fault", R"({"host":"f.test","mode":"drop","probability":-0.1})",
       400, "\"probability\""},
      {"/dns-request-history", R"({"host":"x.test"})", 200, ""},
      {"/clear-request-history", R"({"host":"x.test","type":"dns"})", 200, ""},
      {"/clear-faults", "", 200, ""},
      {"/no-such-thing", "{}", 404, "unknown endpoint"},
  };
  for (const ApiCase& c : cases) {
    SCOPED_TRACE(c.path + " " + c.body);
    common::HttpResponse r = Post(c.path, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    if (!c.error.empty()) {
      EXPECT_THAT(r.body, HasSubstr(c.error));
    }
  }
}

TEST_F(DnsApiTest, ChangesTheStoreAndFailedRequestsChangeNothing) {
  EXPECT_EQ(
      Post("/set-txt", R"({"host":"_acme-challenge.X.test.","value":"v1"})")
          .status,
      200);
  EXPECT_EQ(Post("/set-txt",
                 R"({"host":"_acme-challenge.x.test","value":"v2","ad":true})")
                .status,
            200);
  auto entry = store_.Find("_acme-challenge.x.test");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->txt.size(), 2u);  // set-txt appends, like Pebble
  EXPECT_TRUE(entry->authenticated);
  EXPECT_EQ(Post("/clear-txt", R"({"host":"_acme-challenge.x.test"})").status,
            200);
  EXPECT_TRUE(store_.Find("_acme-challenge.x.test")->txt.empty());

  // The second address is bad: the first must not be added either.
  EXPECT_EQ(
      Post("/add-a", R"({"host":"a.test","addresses":["192.0.2.1","nope"]})")
          .status,
      400);
  EXPECT_EQ(store_.Find("a.test"), nullptr);

  EXPECT_EQ(Post("/add-caa",
                 R"({"host":"c.test","policies":[{"tag":"issue","value":"ca"},)"
                 R"({"tag":"tbs","value":"x","flag":128}]})")
                .status,
            200);
  ASSERT_EQ(store_.Find("c.test")->caa.size(), 2u);
  EXPECT_EQ(store_.Find("c.test")->caa[1].flags, 128);
  EXPECT_EQ(Post("/clear-caa", R"({"host":"c.test"})").status, 200);
  EXPECT_EQ(store_.Find("c.test"), nullptr);

  EXPECT_EQ(Post("/set-servfail", R"({"host":"s.test"})").status, 200);
  EXPECT_TRUE(store_.Find("s.test")->servfail);
  EXPECT_EQ(Post("/clear-servfail", R"({"host":"s.test."})").status, 200);
  EXPECT_EQ(store_.Find("s.test"), nullptr);

  EXPECT_EQ(Post("/set-fault",
                 R"({"host":"f.test","mode":"truncate","type":"TXT","count":3,)"
                 R"("probability":0.25,"delay_ms":10})")
                .status,
            200);
  std::vector<FaultSpec> list = faults_.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].mode, FaultMode::kTruncate);
  EXPECT_EQ(list[0].type, RRType::kTXT);
  EXPECT_EQ(list[0].count, 3u);
  EXPECT_DOUBLE_EQ(list[0].probability, 0.25);
  EXPECT_EQ(list[0].delay, absl::Milliseconds(10));
  common::HttpResponse listed = Post("/list-faults", "");
  EXPECT_THAT(listed.body, HasSubstr("\"mode\":\"truncate\""));
  EXPECT_EQ(Post("/clear-faults", R"({"host":"F.test"})").status, 200);
  EXPECT_THAT(faults_.List(), IsEmpty());
}

TEST_F(DnsApiTest, HistoryJsonHasPebbleShape) {
  Responder responder(&store_, &faults_, &history_);
  std::vector<uint8_t> q = BuildQuery(1, "Hist.test", RRType::kCAA);
  responder.Handle(q.data(), q.size(), Transport::kTcp, "127.0.0.1:5");
  common::HttpResponse r =
      Post("/dns-request-history", R"({"host":"hist.test."})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_THAT(
      r.body,
      HasSubstr(R"("Question":{"Name":"Hist.test.","Qtype":257,"Qclass":1})"));
  EXPECT_THAT(r.body, HasSubstr(R"("qtype":"CAA")"));
  EXPECT_THAT(r.body, HasSubstr(R"("transport":"tcp")"));
  EXPECT_EQ(r.body.front(), '[');
  EXPECT_EQ(Post("/clear-request-history", R"({"host":"hist.test"})").status,
            200);
  EXPECT_EQ(Post("/dns-request-history", R"({"host":"hist.test"})").body, "[]");
}

TEST(DnsApiWithoutHistory, SaysHistoryIsOff) {
  RecordStore store;
  FaultTable faults;
  ManagementApi api(&store, &faults, nullptr, false);
  common::HttpRequest r;
  r.method = "POST";
  r.path = "/dns-request-history";
  r.body = R"({"host":"x.test"})";
  common::HttpResponse response = api.Handle(r);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("--history=false"));
  r.method = "GET";
  EXPECT_EQ(api.Handle(r).status, 405);
}

TEST(DnsRecordsFile, DemoFileLoadsAndServes) {
  RecordStore store;
  FaultTable faults(1);
  ManagementApi api(&store, &faults, nullptr, false);
  ASSERT_TRUE(api.LoadRecordsFile(DNSTESTSRV_SOURCE_DIR
                                  "/deploy/dnstestsrv/demo-records.json")
                  .ok());
  Responder responder(&store, &faults, nullptr);
  Answer a = Ask(responder, "_acme-challenge.alias.example.test", RRType::kTXT);
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_THAT(a.answers[0], HasSubstr("CNAME _acme-challenge.example.test"));
  EXPECT_EQ(
      Ask(responder, "critical.example.test", RRType::kCAA).answers,
      std::vector<std::string>{"critical.example.test CAA 128 tbs unknown"});
  EXPECT_TRUE(Ask(responder, "signed.example.test", RRType::kCAA).ad);
  EXPECT_EQ(Ask(responder, "gone.example.test", RRType::kTXT).rcode, kNxDomain);
  EXPECT_EQ(Ask(responder, "broken.example.test", RRType::kTXT).rcode,
            kServFail);
  EXPECT_TRUE(Ask(responder, "_acme-challenge.retry.example.test", RRType::kTXT)
                  .dropped);
  EXPECT_FALSE(
      Ask(responder, "_acme-challenge.retry.example.test", RRType::kTXT)
          .dropped);
  EXPECT_EQ(Ask(responder, "slow.example.test", RRType::kA).delay,
            absl::Seconds(2));
  EXPECT_EQ(Ask(responder, "_acme-challenge.multi.example.test", RRType::kTXT)
                .answers,
            std::vector<std::string>{
                "_acme-challenge.multi.example.test TXT first|second"});
}

TEST(DnsRecordsFile, ErrorsNameSectionAndIndex) {
  RecordStore store;
  FaultTable faults;
  ManagementApi api(&store, &faults, nullptr, false);
  absl::Status s = api.LoadRecords(
      R"({"txt":[{"host":"a.test","value":"v"},{"value":"x"}]})");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("txt[1]: missing field \"host\""));
  s = api.LoadRecords(R"({"faults":[{"host":"a.test","mode":"nope"}]})");
  EXPECT_THAT(std::string(s.message()), HasSubstr("faults[0]"));
  EXPECT_FALSE(api.LoadRecords(R"({"zones":[]})").ok());
  EXPECT_FALSE(api.LoadRecordsFile("/nonexistent/records.json").ok());
}

}  // namespace
}  // namespace acmeva::dnstestsrv
