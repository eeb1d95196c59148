// ACME problems as the VA returns them: RFC 8555 type, Boulder's detail text,
// and the structured fields that let a client decide without parsing text.
#ifndef VA_PROBLEM_H_
#define VA_PROBLEM_H_

#include <string>
#include <string_view>
#include <vector>

#include "va/dns/resolver.h"

namespace core {
class ProblemDetails;
}

namespace acmeva::va {

enum class ProblemType {
  kDns,             // 400
  kCaa,             // 403
  kUnauthorized,    // 403
  kMalformed,       // 400
  kServerInternal,  // 500
  kConnection,      // 400
};

// The bare ACME type token: "dns", "caa", "unauthorized", ...
std::string_view ProblemTypeName(ProblemType type);
int HttpStatus(ProblemType type);

struct Problem {
  ProblemType type = ProblemType::kServerInternal;
  std::string detail;
  bool transient = false;
  int attempts = 0;
  std::string query_name;
  std::string query_type;
  std::string dns_outcome;
  std::string resolver;
  int retry_after_seconds = 0;
  std::vector<std::string> failed_perspectives;
  dns::ExtendedDnsError ede;  // RFC 8914, of the failing answer
};

// A `dns` problem for a failed lookup, with Boulder's exact detail text, e.g.
// "DNS problem: query timed out looking up CAA for me", and every structured
// field filled from the result. Requires !result.ok().
Problem DnsProblem(const dns::LookupResult& result);

// Boulder's text for a failed lookup (the detail of DnsProblem). With an
// RFC 8914 EDE on a failing rcode it says why, as Boulder does:
// "DNS problem: looking up CAA for x: DNSSEC: Bogus: <EXTRA-TEXT>".
std::string DnsErrorText(const dns::LookupResult& result);

// Boulder's summary of an EDE INFO-CODE ("DNSSEC: Bogus", ...; unknown:
// "Unknown Extended DNS Error code N").
std::string EdeSummary(int code);

Problem UnauthorizedProblem(std::string detail);
Problem CaaProblem(std::string detail);
Problem ServerInternalProblem(std::string detail, bool transient);

// Prefixes the detail, keeping type and structured fields ("While processing
// CAA for x: ", "During secondary validation: ").
Problem WithDetailPrefix(Problem problem, std::string_view prefix);

void ToProto(const Problem& problem, core::ProblemDetails* out);
Problem FromProto(const core::ProblemDetails& in);

}  // namespace acmeva::va

#endif  // VA_PROBLEM_H_
