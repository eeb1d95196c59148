// Which configured resolvers are in the rotation. The DNSSEC canary
// (dnssec_canary.h) takes a resolver that does not validate out, and puts
// it back once it does: a lookup is never sent to a resolver that would
// accept a forged answer while a validating one is available. Thread-safe:
// read by every lookup (one atomic load per resolver), written by the
// canary.
#ifndef VA_DNS_RESOLVER_HEALTH_H_
#define VA_DNS_RESOLVER_HEALTH_H_

#include <atomic>
#include <cstddef>
#include <memory>

#include "va/dns/retry_policy.h"

namespace acmeva::va::dns {

class ResolverHealth {
 public:
  // `resolvers` in --dns-resolvers order, all in the rotation at first.
  explicit ResolverHealth(size_t resolvers);

  size_t size() const { return size_; }
  void SetUsable(size_t index, bool usable);
  bool Usable(size_t index) const;
  size_t UsableCount() const;

  // Removes the resolvers out of the rotation from a lookup's order. When
  // none is usable the order is left whole: the service fails closed before
  // any lookup (dnssec_fail_closed.h), and a lookup that runs anyway (the
  // canary's own) must still have somewhere to go.
  void KeepUsable(RetryPolicy::ResolverList& order) const;

 private:
  const size_t size_;
  std::unique_ptr<std::atomic<bool>[]> usable_;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_RESOLVER_HEALTH_H_
