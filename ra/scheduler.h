// A small worker pool with timers. Everything that may block (SQLite, the
// revalidation bookkeeping) runs here instead of on gRPC's callback threads,
// which must never block (toolchain.md §6).
#ifndef RA_SCHEDULER_H_
#define RA_SCHEDULER_H_

#include <cstdint>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace acmeva::ra {

class Scheduler {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  explicit Scheduler(int threads);
  // Stop(), then joins the workers.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `task` as soon as a worker is free. false (task dropped) after
  // Stop().
  bool Post(Task task);
  // Runs `task` at or after `when`, in due-time order.
  bool PostAt(absl::Time when, Task task);

  // Drops tasks not started yet and lets running ones finish; later Posts
  // are refused. Idempotent.
  void Stop();

 private:
  struct Entry {
    absl::Time when;
    uint64_t seq;  // FIFO among tasks due at the same time
    mutable Task task;
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : seq > other.seq;
    }
  };

  void Work();

  absl::Mutex mu_;
  absl::CondVar changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace acmeva::ra

#endif  // RA_SCHEDULER_H_
