// The DNS client's retry policy, in one place: which outcomes are retried,
// how many tries, how long each try may take, how long to sleep between
// tries, which resolver each try goes to, and how the caller's deadline cuts
// all of it short. Pure (no clock, no I/O, randomness passed in), so it is
// unit-tested directly; CaresResolver only executes its decisions.
#ifndef VA_DNS_RETRY_POLICY_H_
#define VA_DNS_RETRY_POLICY_H_

#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "va/dns/resolver.h"

namespace acmeva::va::dns {

class RetryBudget;

struct RetryPolicyOptions {
  // Tries per lookup (per caller: a lookup that joins an identical one in
  // flight gets this many of its own), the first included.
  //
  // 10, not Boulder's 3: with adaptive try timeouts a try on a healthy
  // resolver costs ~100 ms, not 1 s, so tries are cheap in time, and the
  // VA-wide retry budget (retry_budget.h), not this cap, bounds the load
  // retries add. On a path that loses one query in three, a lookup fails
  // after n tries with probability (1/3)^n: 3.7% for n = 3, 0.0017% for
  // n = 10; a dns-01 + CAA validation of a 3-label name makes 4 lookups, so
  // n = 10 keeps 99.99% of them valid where n = 3 keeps 86%. Ten tries with
  // their backoff sleeps (at most 5.6 s in all) fit a 10 s deadline.
  int max_tries = 10;
  // Upper bound of one try's timeout (and its value before the resolver's
  // answer times are known).
  absl::Duration per_try_timeout = absl::Seconds(1);
  // Lower bound of one try's timeout: no try is started with less time than
  // this before the deadline. Also the least time between the starts of two
  // tries to the same resolver (see AfterTry).
  absl::Duration min_try_timeout = absl::Milliseconds(100);
  // Exponential backoff with full jitter: before retry n (n = 1, 2, ...) sleep
  // uniform(0, min(backoff_cap, backoff_base * 2^(n-1))).
  absl::Duration backoff_base = absl::Milliseconds(50);
  absl::Duration backoff_cap = absl::Seconds(1);
  // SERVFAIL from a validating recursor is usually a verdict (DNSSEC-bogus,
  // lame or broken zone) that a retry a few milliseconds later will not
  // change, and retrying it multiplies the load on a zone that is already
  // failing. So it is final unless this is set.
  bool retry_servfail = false;
  // A reply we could not parse (kMalformed) is not an answer: nothing about
  // the name was learned, and RFC 1034 §5.3.3 (step 4d) says to drop a
  // server whose response has "bizarre contents" and ask the next one. It
  // is most often the resolver or the path (a UDP reply garbled or cut
  // short, a middlebox rewriting DNS), which the next resolver in the order
  // does not share, so it is retried like a timeout, under the same backoff
  // and retry budget. Boulder does not retry it (only timeouts), but with
  // several resolvers one broken one should not fail a validation. Unlike a
  // timeout it can also be deterministic (a zone serving broken RDATA that
  // every recursor relays), so a lookup whose last try was malformed stops
  // after this many tries: a broken zone costs 3 fast queries, not
  // max_tries. Still transient (IsTransient): the RA re-validates later.
  int max_malformed_tries = 3;
};

absl::Status ValidateRetryPolicyOptions(const RetryPolicyOptions& options);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryPolicyOptions options);

  const RetryPolicyOptions& options() const { return options_; }

  // True only for failures a later try may fix: kTimeout, kNetwork and
  // kMalformed (a reply that is not an answer; see max_malformed_tries),
  // plus kServFail when retry_servfail is set. A received answer (NOERROR,
  // NODATA, NXDOMAIN, REFUSED, FORMERR, ...) is never retried; neither is
  // kTruncated (c-ares already fell back to TCP).
  bool IsRetryable(Outcome outcome) const;

  // Whether a try may start with `time_left` before the deadline.
  bool CanStartTry(absl::Duration time_left) const {
    return time_left >= options_.min_try_timeout;
  }

  // The next try's timeout: the resolver's adaptive `estimate` clamped to
  // [min_try_timeout, per_try_timeout], then cut to `time_left`.
  absl::Duration TryTimeout(absl::Duration estimate,
                            absl::Duration time_left) const;

  // The largest sleep before retry number `retry` (1 = the first retry).
  absl::Duration MaxBackoff(int retry) const;
  // Full jitter: `unit` is uniform in [0, 1).
  absl::Duration Backoff(int retry, double unit) const;

  // A random order of the resolvers 0..n-1. Try i goes to
  // order[i % n], so the first resolver is random and each retry goes to a
  // different resolver until all have been asked.
  // Inline for up to 4 resolvers: a lookup's order allocates nothing.
  using ResolverList = absl::InlinedVector<int, 4>;
  static ResolverList ResolverOrder(int n, absl::BitGenRef gen);
  static int ResolverForTry(absl::Span<const int> order, int try_index);

  struct Decision {
    bool retry = false;
    // When !retry: what the lookup reports (the try's own outcome, or
    // kBudget when the retry budget refused).
    Outcome outcome = Outcome::kNoError;
    // When retry: how long to sleep before the next try.
    absl::Duration backoff;
    // Whether the retry budget was consulted (a retry was otherwise due).
    bool budget_asked = false;
  };

  // Decides what follows a try that ended with `outcome`, after `tries_made`
  // tries, with `time_left` before the deadline. When a retry is otherwise
  // due and `budget` is non-null, spends a token from it. The backoff is cut
  // so that at least min_try_timeout is left for the next try; when even
  // that cannot fit, the lookup stops with the try's outcome.
  //
  // `try_took` is how long the try took when the retry goes to the same
  // resolver (infinite otherwise): tries to one resolver start at least
  // min_try_timeout apart. A try refused at once (ICMP port unreachable
  // while a resolver restarts) would otherwise be re-sent after a jittered
  // sleep that can be near zero, and a lookup could spend all its tries in
  // the first few hundred milliseconds of a restart.
  Decision AfterTry(Outcome outcome, int tries_made, absl::Duration time_left,
                    double unit, RetryBudget* budget,
                    absl::Duration try_took = absl::InfiniteDuration()) const;

 private:
  RetryPolicyOptions options_;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_RETRY_POLICY_H_
