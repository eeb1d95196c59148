#include "va/problem.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/core.pb.h"

namespace acmeva::va {
namespace {

using dns::Outcome;
using dns::RRType;

dns::LookupResult Failed(std::string name, RRType type, Outcome outcome,
                         int attempts = 1) {
  dns::LookupResult r;
  r.name = std::move(name);
  r.type = type;
  r.outcome = outcome;
  r.attempts = attempts;
  r.resolver = "127.0.0.1:5353";
  return r;
}

struct TextCase {
  Outcome outcome;
  RRType type;
  std::string name;
  std::string want_detail;
  bool want_transient;
  int want_retry_after;
};

class DnsProblemTextTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(DnsProblemTextTest, MatchesBoulder) {
  const TextCase& c = GetParam();
  const dns::LookupResult r = Failed(c.name, c.type, c.outcome, 3);
  EXPECT_EQ(DnsErrorText(r), c.want_detail);
  const Problem p = DnsProblem(r);
  EXPECT_EQ(p.type, ProblemType::kDns);
  EXPECT_EQ(p.detail, c.want_detail);
  EXPECT_EQ(p.transient, c.want_transient);
  EXPECT_EQ(p.retry_after_seconds, c.want_retry_after);
  EXPECT_EQ(p.attempts, 3);
  EXPECT_EQ(p.query_name, c.name);
  EXPECT_EQ(p.query_type, dnswire::RRTypeName(c.type));
  EXPECT_EQ(p.dns_outcome, dns::OutcomeName(c.outcome));
  EXPECT_EQ(p.resolver, "127.0.0.1:5353");
}

INSTANTIATE_TEST_SUITE_P(
    AllOutcomes, DnsProblemTextTest,
    ::testing::Values(
        TextCase{Outcome::kTimeout, RRType::kCAA, "me",
                 "DNS problem: query timed out looking up CAA for me", true, 5},
        TextCase{Outcome::kDeadline, RRType::kTXT, "example.com",
                 "DNS problem: query timed out looking up TXT for example.com",
                 true, 5},
        TextCase{Outcome::kCanceled, RRType::kTXT, "example.com",
                 "DNS problem: query timed out (and was canceled) looking up "
                 "TXT for example.com",
                 true, 5},
        TextCase{Outcome::kNetwork, RRType::kA, "hostname",
                 "DNS problem: networking error looking up A for hostname",
                 true, 5},
        TextCase{Outcome::kServFail, RRType::kTXT,
                 "_acme-challenge.example.com",
                 "DNS problem: SERVFAIL looking up TXT for "
                 "_acme-challenge.example.com - the domain's nameservers may "
                 "be malfunctioning",
                 true, 30},
        TextCase{Outcome::kServFail, RRType::kCAA, "hostname",
                 "DNS problem: SERVFAIL looking up CAA for hostname - the "
                 "domain's nameservers may be malfunctioning",
                 true, 30},
        TextCase{Outcome::kNxDomain, RRType::kTXT, "hostname",
                 "DNS problem: NXDOMAIN looking up TXT for hostname - check "
                 "that a DNS record exists for this domain",
                 false, 0},
        TextCase{Outcome::kRefused, RRType::kCAA, "example.com",
                 "DNS problem: REFUSED looking up CAA for example.com", true,
                 30},
        TextCase{Outcome::kFormErr, RRType::kA, "hostname",
                 "DNS problem: FORMERR looking up A for hostname", false, 0},
        TextCase{Outcome::kNotImp, RRType::kAAAA, "hostname",
                 "DNS problem: NOTIMP looking up AAAA for hostname", false, 0},
        TextCase{Outcome::kTruncated, RRType::kCAA, "hostname",
                 "DNS problem: response was truncated looking up CAA for "
                 "hostname",
                 true, 30},
        TextCase{Outcome::kMalformed, RRType::kCAA, "hostname",
                 "DNS problem: server failure at resolver looking up CAA for "
                 "hostname",
                 true, 30},
        TextCase{Outcome::kBadName, RRType::kTXT,
                 "_acme-challenge.long.example",
                 "DNS problem: name is not a valid DNS query name looking up "
                 "TXT for _acme-challenge.long.example",
                 false, 0},
        TextCase{Outcome::kBudget, RRType::kCAA, "com",
                 "DNS problem: query timed out (retry budget exhausted) "
                 "looking up CAA for com",
                 true, 5},
        TextCase{Outcome::kOtherRcode, RRType::kTXT, "hostname",
                 "DNS problem: server failure at resolver looking up TXT for "
                 "hostname",
                 false, 0}));

TEST(ProblemTypeTest, NamesAndStatuses) {
  struct Case {
    ProblemType type;
    std::string name;
    int status;
  };
  for (const Case& c :
       {Case{ProblemType::kDns, "dns", 400},
        Case{ProblemType::kCaa, "caa", 403},
        Case{ProblemType::kUnauthorized, "unauthorized", 403},
        Case{ProblemType::kMalformed, "malformed", 400},
        Case{ProblemType::kServerInternal, "serverInternal", 500},
        Case{ProblemType::kConnection, "connection", 400}}) {
    EXPECT_EQ(ProblemTypeName(c.type), c.name);
    EXPECT_EQ(HttpStatus(c.type), c.status) << c.name;
  }
}

TEST(ProblemTest, Constructors) {
  const Problem u = UnauthorizedProblem("No TXT record found at x");
  EXPECT_EQ(u.type, ProblemType::kUnauthorized);
  EXPECT_EQ(u.detail, "No TXT record found at x");
  EXPECT_FALSE(u.transient);
  const Problem c = CaaProblem("CAA record for x prevents issuance");
  EXPECT_EQ(c.type, ProblemType::kCaa);
  EXPECT_FALSE(c.transient);
  const Problem s = ServerInternalProblem("boom", true);
  EXPECT_EQ(s.type, ProblemType::kServerInternal);
  EXPECT_TRUE(s.transient);
}

TEST(ProblemTest, WithDetailPrefixKeepsStructuredFields) {
  const Problem p = WithDetailPrefix(
      DnsProblem(Failed("com", RRType::kCAA, Outcome::kTimeout, 3)),
      "While processing CAA for www.example.com: ");
  EXPECT_EQ(p.detail,
            "While processing CAA for www.example.com: DNS problem: query "
            "timed out looking up CAA for com");
  EXPECT_EQ(p.type, ProblemType::kDns);
  EXPECT_TRUE(p.transient);
  EXPECT_EQ(p.attempts, 3);
  EXPECT_EQ(p.query_name, "com");
}

TEST(ProblemProtoTest, RoundTripsEveryField) {
  Problem p = DnsProblem(Failed("me", RRType::kCAA, Outcome::kTimeout, 2));
  p.failed_perspectives = {"us-east", "eu-west"};
  core::ProblemDetails pb;
  ToProto(p, &pb);
  EXPECT_EQ(pb.problemtype(), "dns");
  EXPECT_EQ(pb.detail(), "DNS problem: query timed out looking up CAA for me");
  EXPECT_EQ(pb.httpstatus(), 400);
  EXPECT_TRUE(pb.transient());
  EXPECT_EQ(pb.attempts(), 2);
  EXPECT_EQ(pb.queryname(), "me");
  EXPECT_EQ(pb.querytype(), "CAA");
  EXPECT_EQ(pb.dnsoutcome(), "timeout");
  EXPECT_EQ(pb.resolver(), "127.0.0.1:5353");
  EXPECT_EQ(pb.retryafterseconds(), 5);
  ASSERT_EQ(pb.failedperspectives_size(), 2);

  // Through the wire and back.
  std::string wire;
  ASSERT_TRUE(pb.SerializeToString(&wire));
  core::ProblemDetails parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  const Problem back = FromProto(parsed);
  EXPECT_EQ(back.type, p.type);
  EXPECT_EQ(back.detail, p.detail);
  EXPECT_EQ(back.transient, p.transient);
  EXPECT_EQ(back.attempts, p.attempts);
  EXPECT_EQ(back.query_name, p.query_name);
  EXPECT_EQ(back.query_type, p.query_type);
  EXPECT_EQ(back.dns_outcome, p.dns_outcome);
  EXPECT_EQ(back.resolver, p.resolver);
  EXPECT_EQ(back.retry_after_seconds, p.retry_after_seconds);
  EXPECT_EQ(back.failed_perspectives, p.failed_perspectives);
}

TEST(ProblemProtoTest, EveryTypeRoundTrips) {
  for (ProblemType t :
       {ProblemType::kDns, ProblemType::kCaa, ProblemType::kUnauthorized,
        ProblemType::kMalformed, ProblemType::kServerInternal,
        ProblemType::kConnection}) {
    Problem p;
    p.type = t;
    core::ProblemDetails pb;
    ToProto(p, &pb);
    EXPECT_EQ(FromProto(pb).type, t) << ProblemTypeName(t);
  }
}

TEST(ProblemProtoTest, UnknownTypeBecomesServerInternal) {
  core::ProblemDetails pb;
  pb.set_problemtype("somethingNew");
  EXPECT_EQ(FromProto(pb).type, ProblemType::kServerInternal);
}

TEST(ProblemProtoTest, InvalidUtf8IsReplacedPerByte) {
  struct Case {
    std::string in;
    std::string want;
  };
  const std::string kFffd = "\xEF\xBF\xBD";
  for (const Case& c : {
           Case{"plain ascii", "plain ascii"},
           Case{"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92",  // é € 🔒 valid
                "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x92"},
           Case{"a\xFF"
                "b",
                "a" + kFffd + "b"},
           Case{"\xC3", kFffd},                          // truncated sequence
           Case{"\xC0\xAF", kFffd + kFffd},              // overlong '/'
           Case{"\xED\xA0\x80", kFffd + kFffd + kFffd},  // surrogate
           Case{"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // >10FFFF
           Case{"x\x80\x80y", "x" + kFffd + kFffd + "y"},
       }) {
    Problem p = UnauthorizedProblem("Incorrect TXT record \"" + c.in + "\"");
    core::ProblemDetails pb;
    ToProto(p, &pb);
    EXPECT_EQ(pb.detail(), "Incorrect TXT record \"" + c.want + "\"");
    std::string wire;
    EXPECT_TRUE(pb.SerializeToString(&wire));
    core::ProblemDetails parsed;
    EXPECT_TRUE(parsed.ParseFromString(wire));  // fails on invalid UTF-8
  }
}

}  // namespace
}  // namespace acmeva::va

namespace acmeva::va {
namespace {

// RFC 8914 EDE in Boulder's wording (bdns.Error with `extended` set): the
// summary replaces the rcode text, EXTRA-TEXT follows it.
TEST(EdeProblemTest, BoulderText) {
  struct Case {
    dns::Outcome outcome;
    int code;
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {dns::Outcome::kServFail, 6, "validation failure",
       "DNS problem: looking up CAA for x.test: DNSSEC: Bogus: validation "
       "failure"},
      {dns::Outcome::kServFail, 7, "",
       "DNS problem: looking up CAA for x.test: DNSSEC: Signature Expired"},
      {dns::Outcome::kServFail, 1, "oh no",
       "DNS problem: looking up CAA for x.test: DNSSEC: Unsupported DNSKEY "
       "Algorithm: oh no"},
      {dns::Outcome::kNxDomain, 22, "",
       "DNS problem: looking up CAA for x.test: No Reachable Authority"},
      {dns::Outcome::kServFail, 999, "",
       "DNS problem: looking up CAA for x.test: Unknown Extended DNS Error "
       "code 999"},
      // No answer, no EDE text: a timeout stays Boulder's timeout.
      {dns::Outcome::kTimeout, 6, "x",
       "DNS problem: query timed out looking up CAA for x.test"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    dns::LookupResult r;
    r.name = "x.test";
    r.type = dns::RRType::kCAA;
    r.outcome = c.outcome;
    r.ede.code = c.code;
    r.ede.text = c.text;
    EXPECT_EQ(DnsErrorText(r), c.want);
    EXPECT_EQ(DnsProblem(r).ede.code, c.code);
  }
}

TEST(EdeProblemTest, RoundTripsAndStaysAbsentWhenAbsent) {
  dns::LookupResult r;
  r.name = "x.test";
  r.type = dns::RRType::kTXT;
  r.outcome = dns::Outcome::kServFail;
  core::ProblemDetails pb;
  ToProto(DnsProblem(r), &pb);
  EXPECT_FALSE(pb.has_extendeddnserrorcode());
  EXPECT_FALSE(FromProto(pb).ede.present());

  r.ede.code = 0;  // "Other" is a code, not absence
  r.ede.text = "bad\xff";
  ToProto(DnsProblem(r), &pb);
  ASSERT_TRUE(pb.has_extendeddnserrorcode());
  EXPECT_EQ(pb.extendeddnserrorcode(), 0);
  EXPECT_EQ(pb.extendeddnserrortext(), "bad\xEF\xBF\xBD");
  std::string wire;
  ASSERT_TRUE(pb.SerializeToString(&wire));
  core::ProblemDetails parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  const Problem back = FromProto(parsed);
  EXPECT_EQ(back.ede.code, 0);
  EXPECT_EQ(back.ede.text, "bad\xEF\xBF\xBD");
}

}  // namespace
}  // namespace acmeva::va
