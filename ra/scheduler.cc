#include "ra/scheduler.h"

#include <utility>

namespace acmeva::ra {

Scheduler::Scheduler(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

Scheduler::~Scheduler() {
  Stop();
  for (std::thread& t : workers_) t.join();
}

bool Scheduler::Post(Task task) {
  return PostAt(absl::InfinitePast(), std::move(task));
}

bool Scheduler::PostAt(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return false;
  queue_.push(Entry{when, next_seq_++, std::move(task)});
  // Wake everyone: the new task may be due earlier than the one a sleeping
  // worker waits for.
  changed_.SignalAll();
  return true;
}

void Scheduler::Stop() {
  decltype(queue_) dropped;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    std::swap(dropped, queue_);
    changed_.SignalAll();
  }
  // `dropped` is destroyed here, outside the lock: a task's captures may
  // post again (and be refused) from their destructors.
}

void Scheduler::Work() {
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stopped_) return;
        if (!queue_.empty()) {
          const absl::Time now = absl::Now();
          if (queue_.top().when <= now) break;
          changed_.WaitWithDeadline(&mu_, queue_.top().when);
        } else {
          changed_.Wait(&mu_);
        }
      }
      task = std::move(queue_.top().task);
      queue_.pop();
    }
    std::move(task)();
  }
}

}  // namespace acmeva::ra
