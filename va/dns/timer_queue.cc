#include "va/dns/timer_queue.h"

#include <algorithm>
#include <utility>

namespace acmeva::va::dns {

TimerQueue::Id TimerQueue::Schedule(absl::Time when,
                                    absl::AnyInvocable<void()> fn) {
  const Id id = next_id_++;
  fns_.emplace(id, std::move(fn));
  heap_.push_back(Entry{when, id});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return id;
}

bool TimerQueue::Cancel(Id id) {
  auto it = fns_.find(id);
  if (it == fns_.end()) return false;
  fns_.erase(it);
  PopDeadTops();
  CompactIfMostlyDead();
  return true;
}

std::optional<absl::Time> TimerQueue::NextDeadline() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

int TimerQueue::RunDue(absl::Time now) {
  int ran = 0;
  while (!heap_.empty() && heap_.front().when <= now) {
    const Id id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    auto it = fns_.find(id);
    if (it == fns_.end()) continue;  // cancelled
    absl::AnyInvocable<void()> fn = std::move(it->second);
    fns_.erase(it);
    // The callback may schedule or cancel timers; the heap is consistent.
    PopDeadTops();
    std::move(fn)();
    ++ran;
    PopDeadTops();
  }
  CompactIfMostlyDead();
  return ran;
}

void TimerQueue::PopDeadTops() {
  while (!heap_.empty() && !fns_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

void TimerQueue::CompactIfMostlyDead() {
  // Cancelled deadlines (most lookups end long before theirs) would
  // otherwise stay in the heap until they come up.
  if (heap_.size() < 1024 || heap_.size() < 2 * fns_.size()) return;
  heap_.erase(
      std::remove_if(heap_.begin(), heap_.end(),
                     [&](const Entry& e) { return !fns_.contains(e.id); }),
      heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

}  // namespace acmeva::va::dns
