// Timers for one event loop: per-try timeouts, backoff sleeps and caller
// deadlines. Not thread-safe; used only on its loop's thread.
//
// A binary min-heap of (when, id) with lazy cancellation: Cancel only
// forgets the callback, and the heap entry is dropped when it comes up (or
// when dead entries outnumber live ones). Two timers per lookup at tens of
// thousands of lookups a second made the node allocations of an ordered
// map show up in profiles; the heap allocates nothing per timer once warm
// (callbacks of up to 16 bytes are stored inline by AnyInvocable).
#ifndef VA_DNS_TIMER_QUEUE_H_
#define VA_DNS_TIMER_QUEUE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace acmeva::va::dns {

class TimerQueue {
 public:
  // 0 is never a valid id, so it can mean "no timer".
  using Id = uint64_t;

  // Runs `fn` from RunDue once `when` has come.
  Id Schedule(absl::Time when, absl::AnyInvocable<void()> fn);
  // Returns false if the timer already ran or was cancelled.
  bool Cancel(Id id);

  // The earliest pending timer, if any.
  std::optional<absl::Time> NextDeadline() const;

  // Runs every timer due at `now` in time order (timers scheduled at the
  // same time run in scheduling order), including ones that running timers
  // schedule for no later than `now`. Returns how many ran.
  int RunDue(absl::Time now);

  // Pending (not yet run, not cancelled) timers.
  size_t size() const { return fns_.size(); }

 private:
  struct Entry {
    absl::Time when;
    Id id;
  };
  // std::push_heap builds a max-heap; "greater" puts the earliest on top.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.when != b.when ? a.when > b.when : a.id > b.id;
    }
  };

  void PopDeadTops();
  void CompactIfMostlyDead();

  std::vector<Entry> heap_;  // the top is always a live timer
  absl::flat_hash_map<Id, absl::AnyInvocable<void()>> fns_;
  Id next_id_ = 1;
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_TIMER_QUEUE_H_
