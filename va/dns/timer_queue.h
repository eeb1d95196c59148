// Timers for one event loop: per-try timeouts, backoff sleeps and caller
// deadlines. Not thread-safe; used only on its loop's thread.
#ifndef VA_DNS_TIMER_QUEUE_H_
#define VA_DNS_TIMER_QUEUE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace va::dns {

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

  size_t size() const { return by_time_.size(); }

 private:
  using Key = std::pair<absl::Time, Id>;
  std::map<Key, absl::AnyInvocable<void()>> by_time_;
  absl::flat_hash_map<Id, absl::Time> when_;
  Id next_id_ = 1;
};

}  // namespace va::dns

#endif  // VA_DNS_TIMER_QUEUE_H_
