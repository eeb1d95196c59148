#include "va/problem.h"

#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/string_view_bridge.h"
#include "dnswire/rr_type.h"
#include "proto/core.pb.h"

namespace acmeva::va {
namespace {

// Boulder's wording for each way a lookup can fail (bdns/problem.go). The
// deadline case says "timed out" because that is what the user sees when the
// RPC deadline cuts a slow query short.
std::string_view OutcomeDetail(dns::Outcome outcome) {
  switch (outcome) {
    case dns::Outcome::kTimeout:
    case dns::Outcome::kDeadline:
      return "query timed out";
    case dns::Outcome::kCanceled:
      return "query timed out (and was canceled)";
    case dns::Outcome::kBadName:
      return "name is not a valid DNS query name";
    case dns::Outcome::kNetwork:
      return "networking error";
    case dns::Outcome::kServFail:
      return "SERVFAIL";
    case dns::Outcome::kNxDomain:
      return "NXDOMAIN";
    case dns::Outcome::kRefused:
      return "REFUSED";
    case dns::Outcome::kFormErr:
      return "FORMERR";
    case dns::Outcome::kNotImp:
      return "NOTIMP";
    case dns::Outcome::kTruncated:
      return "response was truncated";
    case dns::Outcome::kBudget:
      return "query timed out (retry budget exhausted)";
    case dns::Outcome::kMalformed:
    case dns::Outcome::kOtherRcode:
    case dns::Outcome::kNoError:
      break;
  }
  return "server failure at resolver";
}

// Only these two carry Boulder's hint to the user.
std::string_view OutcomeHint(dns::Outcome outcome) {
  switch (outcome) {
    case dns::Outcome::kServFail:
      return " - the domain's nameservers may be malfunctioning";
    case dns::Outcome::kNxDomain:
      return " - check that a DNS record exists for this domain";
    default:
      return "";
  }
}

// A suggested wait for a client that wants to retry. Local trouble (timeouts,
// our own budget) clears quickly; an authoritative server answering SERVFAIL
// or REFUSED usually needs someone to fix it, so wait longer.
int RetryAfterSeconds(dns::Outcome outcome) {
  if (!dns::IsTransient(outcome)) return 0;
  switch (outcome) {
    case dns::Outcome::kServFail:
    case dns::Outcome::kRefused:
    case dns::Outcome::kTruncated:
    case dns::Outcome::kMalformed:
      return 30;
    default:
      return 5;
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t ValidUtf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

// proto3 strings must be UTF-8, and details can quote DNS data verbatim.
// Like Boulder's replaceInvalidUTF8, each invalid byte becomes U+FFFD.
std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t len = ValidUtf8SequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace

std::string_view ProblemTypeName(ProblemType type) {
  switch (type) {
    case ProblemType::kDns:
      return "dns";
    case ProblemType::kCaa:
      return "caa";
    case ProblemType::kUnauthorized:
      return "unauthorized";
    case ProblemType::kMalformed:
      return "malformed";
    case ProblemType::kServerInternal:
      return "serverInternal";
    case ProblemType::kConnection:
      return "connection";
  }
  return "serverInternal";
}

int HttpStatus(ProblemType type) {
  switch (type) {
    case ProblemType::kDns:
    case ProblemType::kMalformed:
    case ProblemType::kConnection:
      return 400;
    case ProblemType::kCaa:
    case ProblemType::kUnauthorized:
      return 403;
    case ProblemType::kServerInternal:
      return 500;
  }
  return 500;
}

std::string EdeSummary(int code) {
  // RFC 8914 §4 and the IANA registry; DNSSEC ones say so first (Boulder's
  // wording, so a Boulder client's matching carries over).
  static constexpr std::string_view kNames[] = {
      "Other",
      "DNSSEC: Unsupported DNSKEY Algorithm",
      "DNSSEC: Unsupported DS Digest Type",
      "Stale Answer",
      "Forged Answer",
      "DNSSEC: Indeterminate",
      "DNSSEC: Bogus",
      "DNSSEC: Signature Expired",
      "DNSSEC: Signature Not Yet Valid",
      "DNSSEC: DNSKEY Missing",
      "DNSSEC: RRSIGs Missing",
      "DNSSEC: No Zone Key Bit Set",
      "DNSSEC: NSEC Missing",
      "Cached Error",
      "Not Ready",
      "Blocked",
      "Censored",
      "Filtered",
      "Prohibited",
      "Stale NXDOMAIN Answer",
      "Not Authoritative",
      "Not Supported",
      "No Reachable Authority",
      "Network Error between Resolver and Authority",
      "Invalid Data",
  };
  if (code >= 0 && static_cast<size_t>(code) < std::size(kNames)) {
    return std::string(kNames[code]);
  }
  return absl::StrCat("Unknown Extended DNS Error code ", code);
}

std::string DnsErrorText(const dns::LookupResult& result) {
  // Boulder explains with the EDE only when the rcode failed (a timeout has
  // no answer, and NOERROR decides nothing here).
  const bool rcode_failure = result.outcome == dns::Outcome::kServFail ||
                             result.outcome == dns::Outcome::kNxDomain ||
                             result.outcome == dns::Outcome::kRefused ||
                             result.outcome == dns::Outcome::kFormErr ||
                             result.outcome == dns::Outcome::kNotImp ||
                             result.outcome == dns::Outcome::kOtherRcode;
  if (rcode_failure && result.ede.present()) {
    std::string out = absl::StrCat(
        "DNS problem: looking up ", Av(dnswire::RRTypeName(result.type)),
        " for ", result.name, ": ", EdeSummary(result.ede.code));
    if (!result.ede.text.empty()) absl::StrAppend(&out, ": ", result.ede.text);
    return out;
  }
  return absl::StrCat("DNS problem: ", Av(OutcomeDetail(result.outcome)),
                      " looking up ", Av(dnswire::RRTypeName(result.type)),
                      " for ", result.name, Av(OutcomeHint(result.outcome)));
}

Problem DnsProblem(const dns::LookupResult& result) {
  Problem p;
  p.type = ProblemType::kDns;
  p.detail = DnsErrorText(result);
  p.transient = dns::IsTransient(result.outcome);
  p.attempts = result.attempts;
  p.query_name = result.name;
  p.query_type = std::string(dnswire::RRTypeName(result.type));
  p.dns_outcome = std::string(dns::OutcomeName(result.outcome));
  p.resolver = result.resolver;
  p.retry_after_seconds = RetryAfterSeconds(result.outcome);
  p.ede = result.ede;
  return p;
}

Problem UnauthorizedProblem(std::string detail) {
  Problem p;
  p.type = ProblemType::kUnauthorized;
  p.detail = std::move(detail);
  return p;
}

Problem CaaProblem(std::string detail) {
  Problem p;
  p.type = ProblemType::kCaa;
  p.detail = std::move(detail);
  return p;
}

Problem ServerInternalProblem(std::string detail, bool transient) {
  Problem p;
  p.type = ProblemType::kServerInternal;
  p.detail = std::move(detail);
  p.transient = transient;
  return p;
}

Problem WithDetailPrefix(Problem problem, std::string_view prefix) {
  problem.detail = absl::StrCat(Av(prefix), problem.detail);
  return problem;
}

void ToProto(const Problem& problem, core::ProblemDetails* out) {
  out->Clear();
  out->set_problemtype(std::string(ProblemTypeName(problem.type)));
  out->set_detail(ToValidUtf8(problem.detail));
  out->set_httpstatus(HttpStatus(problem.type));
  out->set_transient(problem.transient);
  out->set_attempts(problem.attempts);
  out->set_queryname(ToValidUtf8(problem.query_name));
  out->set_querytype(ToValidUtf8(problem.query_type));
  out->set_dnsoutcome(ToValidUtf8(problem.dns_outcome));
  out->set_resolver(ToValidUtf8(problem.resolver));
  out->set_retryafterseconds(problem.retry_after_seconds);
  for (const std::string& perspective : problem.failed_perspectives) {
    out->add_failedperspectives(ToValidUtf8(perspective));
  }
  if (problem.ede.present()) {
    out->set_extendeddnserrorcode(problem.ede.code);
    out->set_extendeddnserrortext(ToValidUtf8(problem.ede.text));
  }
}

Problem FromProto(const core::ProblemDetails& in) {
  Problem p;
  // An unknown type (e.g. from a newer peer) is reported as an internal
  // error rather than guessed at.
  p.type = ProblemType::kServerInternal;
  for (ProblemType t :
       {ProblemType::kDns, ProblemType::kCaa, ProblemType::kUnauthorized,
        ProblemType::kMalformed, ProblemType::kServerInternal,
        ProblemType::kConnection}) {
    if (in.problemtype() == ProblemTypeName(t)) p.type = t;
  }
  p.detail = in.detail();
  p.transient = in.transient();
  p.attempts = in.attempts();
  p.query_name = in.queryname();
  p.query_type = in.querytype();
  p.dns_outcome = in.dnsoutcome();
  p.resolver = in.resolver();
  p.retry_after_seconds = in.retryafterseconds();
  p.failed_perspectives.assign(in.failedperspectives().begin(),
                               in.failedperspectives().end());
  if (in.has_extendeddnserrorcode()) {
    p.ede.code = in.extendeddnserrorcode();
    p.ede.text = in.extendeddnserrortext();
  }
  return p;
}

}  // namespace acmeva::va
