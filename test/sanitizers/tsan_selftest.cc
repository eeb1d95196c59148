// Checks that the ThreadSanitizer build is neither blind nor noisy:
//   tsan_selftest sync  hands plain data between threads only through
//                       absl::Mutex (Lock, Await, CondVar), Notification and
//                       BlockingCounter, the primitives that
//                       tsan_absl_sync_annotations.cc makes visible; TSan
//                       must report nothing.
//   tsan_selftest race  writes one int from two threads without a lock;
//                       TSan must report a data race.
// test/sanitizers/CMakeLists.txt runs both under ctest.
#include <cstring>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 2000;

// Plain (non-atomic) data: only the absl primitives order the accesses.
struct Shared {
  absl::Mutex mu;
  absl::CondVar cv;
  long counter = 0;                // guarded by mu
  int turn = 0;                    // guarded by mu
  bool go = false;                 // guarded by mu
  long handed_over = 0;            // written before Notify()
  long per_thread[kThreads] = {};  // written before DecrementCount()
  int order[kThreads] = {};        // written in turn (Await)
};

struct Turn {
  Shared* s;
  int t;
  bool Mine() const { return s->turn == t; }
};

bool TurnIsMine(Turn* turn) { return turn->Mine(); }

void Worker(Shared& s, absl::Notification& ready, absl::BlockingCounter& done,
            int t) {
  // Notification: the slow path (blocking) for some threads, the inline
  // HasBeenNotified() acquire for others.
  if (t % 2 == 0) {
    ready.WaitForNotification();
  } else {
    while (!ready.HasBeenNotified()) std::this_thread::yield();
  }
  const long step = s.handed_over;
  for (int i = 0; i < kRounds; ++i) {
    absl::MutexLock lock(&s.mu);
    s.counter += step;
  }
  {
    absl::MutexLock lock(&s.mu);
    while (!s.go) s.cv.Wait(&s.mu);
  }
  Turn turn{&s, t};
  s.mu.LockWhen(absl::Condition(&TurnIsMine, &turn));
  s.mu.Unlock();
  s.order[t] = t + 1;  // others wait for turn > t before reading it
  s.mu.Lock();
  ++s.turn;
  s.mu.Unlock();
  {
    absl::MutexLock lock(&s.mu);
    Turn last{&s, kThreads};
    s.mu.Await(absl::Condition(&TurnIsMine, &last));
  }
  s.per_thread[t] = s.order[(t + 1) % kThreads];
  done.DecrementCount();
}

int Sync() {
  Shared s;
  absl::Notification ready;
  absl::BlockingCounter done(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&s, &ready, &done, t] { Worker(s, ready, done, t); });
  }
  s.handed_over = 1;
  ready.Notify();
  {
    absl::MutexLock lock(&s.mu);
    s.go = true;
    s.cv.SignalAll();
  }
  done.Wait();
  long sum = 0;
  for (long v : s.per_thread) sum += v;
  for (auto& th : threads) th.join();
  const bool ok = s.counter == long{kThreads} * kRounds &&
                  sum == kThreads * (kThreads + 1) / 2;
  return ok ? 0 : 1;
}

int racy = 0;

__attribute__((noinline)) void Bump() {
  for (int i = 0; i < kRounds; ++i) racy = racy + 1;
}

int Race() {
  std::thread a(Bump);
  std::thread b(Bump);
  a.join();
  b.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "sync") == 0) return Sync();
  if (argc == 2 && std::strcmp(argv[1], "race") == 0) return Race();
  return 2;
}
