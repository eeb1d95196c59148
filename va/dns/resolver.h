// The VA's view of DNS: one asynchronous lookup call. The dns-01 and CAA
// checks depend only on this interface, so they are tested with a fake, and
// the retry policy lives in exactly one implementation (CaresResolver).
#ifndef VA_DNS_RESOLVER_H_
#define VA_DNS_RESOLVER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "dnswire/records.h"
#include "dnswire/rr_type.h"

namespace acmeva::va::dns {

// The project's one record type enum; the VA looks up A, CNAME, TXT, AAAA
// and CAA. dnswire::RRTypeName prints them as Boulder does.
using RRType = ::acmeva::dnswire::RRType;

// How a lookup ended. kNoError covers NOERROR with and without records
// (NODATA): a definite answer. Everything after kNxDomain is a failure.
enum class Outcome {
  kNoError,
  kNxDomain,    // definite: the name does not exist
  kServFail,    // rcode 2
  kRefused,     // rcode 5
  kFormErr,     // rcode 1
  kNotImp,      // rcode 4
  kOtherRcode,  // any other non-zero rcode
  kTimeout,     // no answer within the try's timeout
  kNetwork,     // socket error, ICMP unreachable, connection refused
  kTruncated,   // still truncated after TCP fallback (fatal for CAA)
  kMalformed,   // an answer we could not parse
  kDeadline,    // the caller's deadline left no time for (another) try
  kBudget,      // retry wanted but the VA-wide retry budget was spent
  kCanceled,    // the resolver was shut down
  // Last, so the values above keep their numbers (fuzz seeds use them).
  kBadName,  // not a valid query name (over 253 octets, an empty label):
             // definite, never sent, never retried
};

// "timeout", "servfail", "nxdomain", ... (stable, for metrics and problems).
std::string_view OutcomeName(Outcome outcome);

// True when a later retry may succeed: nothing definite was learned.
bool IsTransient(Outcome outcome);

// flags (the raw octet: 128 = issuer critical), tag (as received; compare
// case-insensitively), value.
using CaaRecord = ::acmeva::dnswire::CaaRecord;

// RFC 8914 Extended DNS Error (EDNS option 15) from the deciding answer:
// why a validating resolver failed (6 "DNSSEC Bogus", 7 "Signature
// Expired", ...). code < 0: the answer carried none.
struct ExtendedDnsError {
  int code = -1;     // INFO-CODE
  std::string text;  // EXTRA-TEXT as received (capped; may be any octets)

  bool present() const { return code >= 0; }
};

struct LookupResult {
  std::string name;  // the queried name, without a trailing dot
  RRType type = RRType::kTXT;
  Outcome outcome = Outcome::kNoError;
  // Answer records of the queried type (CNAMEs are followed by the resolver
  // and not reported here).
  std::vector<std::string> txt;  // one entry per TXT RR, strings joined
  std::vector<CaaRecord> caa;
  bool authenticated_data = false;  // AD bit of the deciding answer
  ExtendedDnsError ede;             // of the deciding answer
  int attempts = 0;                 // tries actually sent
  std::string resolver;             // host:port of the last resolver asked
  absl::Duration elapsed;           // from Lookup() to the callback

  bool ok() const { return outcome == Outcome::kNoError; }
};

using LookupCallback = absl::AnyInvocable<void(LookupResult) &&>;

class Resolver {
 public:
  virtual ~Resolver() = default;

  // Looks up `name` (no trailing dot needed) and calls `done` exactly once,
  // no later than `deadline` plus a few milliseconds. Never blocks. `done`
  // may run on a resolver thread or (in fakes) inside Lookup itself, so
  // callers must not hold a lock they also take in `done`.
  virtual void Lookup(std::string name, RRType type, absl::Time deadline,
                      LookupCallback done) = 0;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_RESOLVER_H_
