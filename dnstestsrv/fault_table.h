// Fault injection: per name, optionally per query type, make the server
// misbehave (drop, delay, SERVFAIL, REFUSED, NXDOMAIN, truncate) for all,
// the first N, or a random share of matching queries. This is what the
// Pebble/Boulder challenge servers lack, and what retry logic needs.
#ifndef DNSTESTSRV_FAULT_TABLE_H_
#define DNSTESTSRV_FAULT_TABLE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dnswire/rr_type.h"

namespace acmeva::dnstestsrv {

enum class Transport { kUdp, kTcp };
absl::string_view TransportName(Transport transport);

enum class FaultMode {
  kDrop,      // never answer
  kDelay,     // answer normally after `delay`
  kServfail,  // rcode SERVFAIL, no records
  kRefused,   // rcode REFUSED, no records
  kNxdomain,  // rcode NXDOMAIN + SOA
  kTruncate,  // UDP only: TC=1 and no records, so the client uses TCP
};
absl::string_view FaultModeName(FaultMode mode);
// "drop", "delay", ... case-insensitive.
std::optional<FaultMode> FaultModeFromString(absl::string_view text);

struct FaultSpec {
  std::string host;                     // canonicalized by Set()
  std::optional<dnswire::RRType> type;  // nullopt: every query type
  FaultMode mode = FaultMode::kServfail;
  // Only the first `count` matching queries are considered; then the fault
  // is removed. nullopt: unlimited.
  std::optional<uint64_t> count;
  double probability = 1.0;  // chance that a considered query is hit
  // Added before answering (any mode but drop; the whole point of kDelay).
  absl::Duration delay = absl::ZeroDuration();
};

struct FaultHit {
  FaultMode mode;
  absl::Duration delay;
};

class FaultTable {
 public:
  // `seed` makes random faults reproducible in tests.
  explicit FaultTable(uint64_t seed = std::random_device{}());

  // Adds a fault, replacing one with the same host and type.
  void Set(FaultSpec spec);
  // Removes the faults of one name; returns how many.
  size_t Clear(absl::string_view host);
  void ClearAll();

  // The fault to apply to a query, if any. A type-specific fault is tried
  // before an all-types one; kTruncate is ignored (and not consumed) over
  // TCP so the client's retry gets the full answer.
  std::optional<FaultHit> Match(const std::string& canonical_name,
                                dnswire::RRType qtype, Transport transport);

  std::vector<FaultSpec> List() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<FaultSpec>> faults_
      ABSL_GUARDED_BY(mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  // Lets the hot path skip the lock while no fault is set.
  std::atomic<size_t> size_{0};
};

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_FAULT_TABLE_H_
