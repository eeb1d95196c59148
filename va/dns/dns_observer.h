// Observability hook for the DNS client. The resolver calls these on its
// event-loop threads, so implementations must be thread-safe and cheap (no
// blocking, no DNS). Every method defaults to a no-op so an observer only
// overrides what it measures (e.g. Prometheus counters and histograms).
#ifndef VA_DNS_DNS_OBSERVER_H_
#define VA_DNS_DNS_OBSERVER_H_

#include <string_view>

#include "absl/time/time.h"
#include "va/dns/resolver.h"

namespace acmeva::va::dns {

class DnsObserver {
 public:
  virtual ~DnsObserver() = default;

  // One try ended. `rtt` is the time from sending to the answer or to the
  // try's timeout; `is_tld` is true for names without a dot (Boulder's
  // isTLD label, where timeouts are expected and not alarming). `name` is
  // empty when the try's lookup had already ended (another try answered).
  virtual void OnTry(std::string_view /*name*/, RRType /*type*/,
                     std::string_view /*resolver*/, Outcome /*outcome*/,
                     absl::Duration /*rtt*/, bool /*is_tld*/) {}

  // A lookup's callback is about to run with `result`.
  virtual void OnLookupDone(const LookupResult& /*result*/) {}

  // A retry was wanted and the retry budget said yes (`granted`) or no.
  virtual void OnRetry(bool /*granted*/) {}

  // A try was sent while an earlier try of the same lookup was still open
  // (the answer-time estimate said the earlier one was overdue).
  virtual void OnHedgedTry() {}

  // An answer came after its try's hedge point or after its lookup ended:
  // `used` when the lookup was still open and took it.
  virtual void OnLateAnswer(bool /*used*/) {}

  // A lookup joined an identical one already in flight.
  virtual void OnCoalesced() {}

  // The number of distinct queries in flight changed by `delta` (+1/-1).
  virtual void OnInFlightChange(int /*delta*/) {}
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_DNS_OBSERVER_H_
