// The VA's DNS client: va::dns::Resolver on c-ares 1.18, event-driven.
//
// A small fixed pool of event-loop threads each own one c-ares channel per
// configured resolver. Lookup() hands the request to a loop (chosen by
// hash(name, type), so identical lookups meet on the same loop and share one
// query) and returns at once; the loop sends each try to the resolver the
// retry policy picks, times tries out itself (adaptive per-resolver
// timeouts), sleeps with jittered backoff between tries, respects each
// caller's deadline, and runs the callback on the loop thread.
#ifndef VA_DNS_CARES_RESOLVER_H_
#define VA_DNS_CARES_RESOLVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "va/dns/dns_observer.h"
#include "va/dns/resolver.h"
#include "va/dns/resolver_health.h"
#include "va/dns/retry_budget.h"
#include "va/dns/retry_policy.h"
#include "va/dns/rtt_estimator.h"

namespace acmeva::va::dns {

class ResolverLoop;

struct CaresResolverOptions {
  // Recursive resolvers, each "ip:port" or "[ipv6]:port" (IP literals only).
  std::vector<std::string> servers;
  // Event-loop threads.
  int loop_threads = 1;
  // Tries, timeouts, backoff, SERVFAIL handling (see retry_policy.h).
  RetryPolicyOptions retry;
  // Adaptive per-try timeouts from observed answer times.
  RttEstimatorOptions rtt;
  // The VA-wide limit on retries (see retry_budget.h).
  RetryBudgetOptions budget;
  // The EDNS0 UDP payload size we advertise (1232: DNS flag day 2020).
  uint16_t edns_udp_size = 1232;
  // Kernel receive and send buffer asked for each c-ares socket (0: the
  // system default, 208 KiB on Linux, which a few hundred answers fill).
  // 4 MiB holds a few thousand answers (see CaresChannel).
  int socket_buffer_bytes = 4 << 20;
  // The most tries in flight on one loop's channel to one resolver; more
  // wait in FIFO order. Lowered further to what the socket's receive buffer
  // holds, so a burst of answers is never dropped by the kernel.
  int max_queries_in_flight_per_resolver = 4096;
  // One stderr line per failed try.
  bool log_failed_tries = true;
  // Not owned; must outlive the resolver. Called on loop threads.
  DnsObserver* observer = nullptr;
  // Not owned; null: every resolver always in the rotation. Set by the
  // DNSSEC canary (resolver_health.h).
  const ResolverHealth* health = nullptr;
};

class CaresResolver : public Resolver {
 public:
  // Validates the options (every server must be an IP literal with a port;
  // errors name the bad entry), creates the channels and starts the loops.
  static absl::StatusOr<std::unique_ptr<CaresResolver>> Create(
      CaresResolverOptions options);

  // Shutdown().
  ~CaresResolver() override;

  // Thread-safe and non-blocking. Lookups after Shutdown() complete at once,
  // inside this call, with kCanceled. Invalid names (empty labels, labels
  // over 63 octets) complete with kMalformed and no try.
  void Lookup(std::string name, RRType type, absl::Time deadline,
              LookupCallback done) override;

  // Completes every pending lookup with kCanceled and joins the loop
  // threads. Idempotent. Must not be called from a lookup callback.
  void Shutdown();

  const CaresResolverOptions& options() const { return options_; }

 private:
  struct Shared;
  explicit CaresResolver(CaresResolverOptions options);

  const CaresResolverOptions options_;
  std::unique_ptr<Shared> shared_;
  std::unique_ptr<RetryBudget> budget_;
  std::vector<std::unique_ptr<ResolverLoop>> loops_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_CARES_RESOLVER_H_
