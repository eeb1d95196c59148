#include "va/dns/timer_queue.h"

namespace va::dns {

TimerQueue::Id TimerQueue::Schedule(absl::Time when,
                                    absl::AnyInvocable<void()> fn) {
  Id id = next_id_++;
  by_time_.emplace(Key{when, id}, std::move(fn));
  when_.emplace(id, when);
  return id;
}

bool TimerQueue::Cancel(Id id) {
  auto it = when_.find(id);
  if (it == when_.end()) return false;
  by_time_.erase(Key{it->second, id});
  when_.erase(it);
  return true;
}

std::optional<absl::Time> TimerQueue::NextDeadline() const {
  if (by_time_.empty()) return std::nullopt;
  return by_time_.begin()->first.first;
}

int TimerQueue::RunDue(absl::Time now) {
  int ran = 0;
  while (!by_time_.empty() && by_time_.begin()->first.first <= now) {
    auto node = by_time_.extract(by_time_.begin());
    when_.erase(node.key().second);
    std::move(node.mapped())();
    ++ran;
  }
  return ran;
}

}  // namespace va::dns
