// The DNSSEC canary: proof, per configured resolver, that it validates.
// The BR (§3.2.2.4, §3.2.2.8.1, ballot SC-085) require DNSSEC validation to
// the IANA root on every DCV and CAA lookup; a VA cannot validate itself
// through c-ares, so it checks that each resolver does. Every check asks one
// resolver for a name that must validate (the answer must carry AD=1) and
// one that must fail validation (the answer must be SERVFAIL). A resolver
// that fails is taken out of the rotation (ResolverHealth) until a later
// check passes; each verdict is a gauge, dns_resolver_dnssec_validating
// {resolver}, and a failure is a JSON log line with what it answered.
#ifndef VA_DNS_DNSSEC_CANARY_H_
#define VA_DNS_DNSSEC_CANARY_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "va/dns/resolver.h"
#include "va/dns/resolver_health.h"

namespace acmeva::va::dns {

// Production defaults: a name signed for years (the IETF's) and one that is
// deliberately bogus (Comcast's long-standing DNSSEC test name).
inline constexpr char kDefaultCanarySigned[] = "ietf.org";
inline constexpr char kDefaultCanaryBogus[] = "dnssec-failed.org";

struct DnssecCanaryOptions {
  std::vector<std::string> servers;  // --dns-resolvers, ip:port
  std::string signed_name = kDefaultCanarySigned;
  std::string bogus_name = kDefaultCanaryBogus;
  RRType type = RRType::kA;
  absl::Duration interval = absl::Minutes(5);
  // Time for one probe (two tries on one resolver).
  absl::Duration timeout = absl::Seconds(5);
};

// What one resolver answered to both names.
struct CanaryVerdict {
  bool validating = false;
  LookupResult signed_answer;
  LookupResult bogus_answer;
  std::string reason;  // why not validating; "" when validating
};

// The rule, pure: signed must be NOERROR with AD=1, bogus must be SERVFAIL
// (a resolver that does not validate answers the bogus name normally).
CanaryVerdict JudgeCanary(LookupResult signed_answer,
                          LookupResult bogus_answer);

class DnssecCanary {
 public:
  // Validates the options; starts nothing. `metrics` may be null.
  static absl::StatusOr<std::unique_ptr<DnssecCanary>> Create(
      DnssecCanaryOptions options, common::MetricsRegistry* metrics);
  ~DnssecCanary();  // Stop()

  // The rotation the VA's resolver must follow (CaresResolverOptions).
  const ResolverHealth* health() const { return &health_; }

  // Probes every resolver now (in parallel) and waits for the verdicts.
  // Returns how many validate.
  size_t CheckNow();

  // Called after every check with the number of validating resolvers
  // (e.g. to set the gRPC health status). Set before Start().
  void OnChecked(absl::AnyInvocable<void(size_t validating)> callback);

  // Checks every `interval` on a thread of its own until Stop().
  void Start();
  void Stop();

 private:
  DnssecCanary(DnssecCanaryOptions options, common::MetricsRegistry* metrics);
  CanaryVerdict Probe(size_t index);

  const DnssecCanaryOptions options_;
  ResolverHealth health_;
  common::MetricFamily* gauge_ = nullptr;
  std::vector<std::unique_ptr<Resolver>> probes_;  // one per server
  absl::AnyInvocable<void(size_t)> on_checked_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_DNSSEC_CANARY_H_
