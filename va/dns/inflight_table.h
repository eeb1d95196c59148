// Coalescing of identical lookups: one flight per (name, type) in flight on
// an event loop, with every caller waiting on it as a waiter. A flight lives
// from the first lookup until its answer is delivered (or its last waiter
// gave up); nothing is kept afterwards, so this is not a cache. Not
// thread-safe; owned by one event loop.
#ifndef VA_DNS_INFLIGHT_TABLE_H_
#define VA_DNS_INFLIGHT_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "va/dns/resolver.h"
#include "va/dns/retry_policy.h"
#include "va/dns/timer_queue.h"

namespace acmeva::va::dns {

// One caller of Lookup.
struct Waiter {
  uint64_t id = 0;
  std::string name;  // as the caller spelled it, without a trailing dot
  absl::Time start;
  absl::Time deadline;
  LookupCallback done;
  // The flight's tries that had ended when this waiter joined (tries
  // still open count as its own). Its own tries are the flight's tries
  // since: a waiter that joins a flight late gets its full share of
  // tries, so one unlucky shared lookup (the TLD's CAA, say) does not fail
  // every validation that happened to join it.
  int tries_base = 0;
};

// One query being resolved (with retries) on behalf of its waiters.
struct Flight {
  uint64_t id = 0;
  std::string qname;  // the name sent: the first waiter's spelling
  std::string key;    // qname in lower case: the table's key
  RRType type = RRType::kTXT;
  std::vector<uint8_t> query;  // wire query; each try gets a fresh ID
  // The latest deadline of its waiters: the flight keeps trying until then.
  absl::Time deadline = absl::InfinitePast();
  std::vector<Waiter> waiters;
  // One timer per flight for its waiters' own deadlines, due at the
  // earliest of them (or earlier, after a waiter left).
  absl::Time next_waiter_deadline = absl::InfiniteFuture();
  TimerQueue::Id waiter_timer = 0;

  // Retry state (driven by the event loop).
  RetryPolicy::ResolverList resolver_order;
  int tries = 0;  // tries sent, hedged ones included
  // The resolver of the last try sent, or of the try that answered.
  int last_resolver = -1;
  Outcome last_outcome = Outcome::kDeadline;
  // Tries still waiting for their answer, oldest first (hedged tries: a
  // try stays open for its full timeout after the next one is sent).
  absl::InlinedVector<uint64_t, 2> open_tries;
  // When the newest open try is due to be hedged, and which try that is.
  TimerQueue::Id hedge_timer = 0;
  uint64_t hedge_try = 0;
  TimerQueue::Id backoff_timer = 0;
  // Waiting for a free slot on its resolver's channel (the loop caps the
  // queries in flight per channel).
  bool queued = false;

  // Removes and returns the waiters `pred` selects (a deadline came, their
  // tries are used up); the order of the others is not kept.
  std::vector<Waiter> TakeWaitersIf(
      absl::FunctionRef<bool(const Waiter&)> pred);
};

class InFlightTable {
 public:
  struct JoinResult {
    Flight* flight;
    bool created;  // false: the waiter was coalesced into an existing flight
  };

  // Adds `waiter` to the flight for (waiter.name, type), creating the
  // flight when none is in flight. Names compare case-insensitively.
  // Extends the flight's deadline to the waiter's. The waiter's tries_base
  // is set from the flight's tries so far.
  JoinResult Join(RRType type, Waiter waiter);

  Flight* Find(uint64_t flight_id);
  Flight* Find(absl::string_view name, RRType type);

  // Removes the flight (its answer is in, or nobody waits any more); the
  // caller delivers to the waiters it still holds.
  std::unique_ptr<Flight> Remove(uint64_t flight_id);

  std::vector<std::unique_ptr<Flight>> RemoveAll();

  size_t size() const { return by_id_.size(); }

 private:
  // The lower-cased name (pointing into Flight::key, or into a caller's
  // stack buffer for lookups) and the type: no allocation per lookup.
  struct KeyRef {
    absl::string_view name;
    RRType type;
    template <typename H>
    friend H AbslHashValue(H h, const KeyRef& k) {
      return H::combine(std::move(h), k.name, k.type);
    }
    friend bool operator==(const KeyRef& a, const KeyRef& b) {
      return a.type == b.type && a.name == b.name;
    }
  };
  // Longest name ValidateQueryName accepts is 253 octets; longer ones
  // (never sent) are lowered on the heap.
  static constexpr size_t kMaxLoweredOnStack = 256;

  Flight* FindLowered(KeyRef key);

  absl::flat_hash_map<KeyRef, Flight*> by_key_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Flight>> by_id_;
  uint64_t next_id_ = 1;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_INFLIGHT_TABLE_H_
