// ra::Scheduler: the RA's worker pool with timers. Run under ThreadSanitizer
// too (label concurrency): many threads post while workers run tasks.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ra/scheduler.h"

namespace acmeva::ra {
namespace {

TEST(SchedulerTest, RunsEveryTaskPostedFromManyThreads) {
  Scheduler scheduler(3);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  absl::Mutex mu;
  int ran = 0;  // guarded by mu; TSan checks the workers' accesses
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(scheduler.Post([&] {
          absl::MutexLock lock(&mu);
          ++ran;
        }));
      }
    });
  }
  for (std::thread& t : posters) t.join();
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(mu.AwaitWithTimeout(
      absl::Condition(
          +[](int* n) { return *n == kThreads * kPerThread; }, &ran),
      absl::Seconds(30)));
}

TEST(SchedulerTest, TimedTasksRunInDueOrderAndNotBefore) {
  Scheduler scheduler(1);  // one worker: the order is the scheduler's alone
  const absl::Time start = absl::Now();
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<absl::Duration> ran_after;
  // Posted out of order; 2 and 3 share a due time (FIFO between them).
  const struct {
    int id;
    absl::Duration at;
  } plan[] = {{4, absl::Milliseconds(300)},
              {2, absl::Milliseconds(150)},
              {3, absl::Milliseconds(150)},
              {1, absl::Milliseconds(50)}};
  for (const auto& p : plan) {
    ASSERT_TRUE(scheduler.PostAt(start + p.at, [&, p] {
      absl::MutexLock lock(&mu);
      order.push_back(p.id);
      ran_after.push_back(absl::Now() - start);
    }));
  }
  absl::MutexLock lock(&mu);
  ASSERT_TRUE(mu.AwaitWithTimeout(
      absl::Condition(
          +[](std::vector<int>* v) { return v->size() == 4; }, &order),
      absl::Seconds(10)));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  const absl::Duration due[] = {absl::Milliseconds(50), absl::Milliseconds(150),
                                absl::Milliseconds(150),
                                absl::Milliseconds(300)};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_GE(ran_after[i], due[i]) << "task " << order[i] << " ran early";
  }
}

TEST(SchedulerTest, AnEarlierTaskWakesAWorkerWaitingForALaterOne) {
  Scheduler scheduler(1);
  absl::Notification late_ran, early_ran;
  ASSERT_TRUE(scheduler.PostAt(absl::Now() + absl::Seconds(30),
                               [&] { late_ran.Notify(); }));
  absl::SleepFor(absl::Milliseconds(50));  // the worker now waits 30 s
  ASSERT_TRUE(scheduler.Post([&] { early_ran.Notify(); }));
  EXPECT_TRUE(early_ran.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_FALSE(late_ran.HasBeenNotified());
}

TEST(SchedulerTest, StopDropsPendingTasksAndRefusesNewOnes) {
  auto ran = std::make_shared<std::atomic<int>>(0);
  {
    Scheduler scheduler(2);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(
          scheduler.PostAt(absl::Now() + absl::Seconds(60), [ran] { ++*ran; }));
    }
    scheduler.Stop();
    scheduler.Stop();  // idempotent
    EXPECT_FALSE(scheduler.Post([ran] { ++*ran; }));
    EXPECT_FALSE(scheduler.PostAt(absl::Now(), [ran] { ++*ran; }));
  }  // joins the workers; the dropped tasks' captures are released
  EXPECT_EQ(ran->load(), 0);
  EXPECT_EQ(ran.use_count(), 1) << "a dropped task was never destroyed";
}

TEST(SchedulerTest, DestructorLetsTheRunningTaskFinish) {
  absl::Notification started, release;
  std::atomic<bool> finished{false};
  std::thread releaser;
  {
    Scheduler scheduler(1);
    ASSERT_TRUE(scheduler.Post([&] {
      started.Notify();
      release.WaitForNotification();
      finished = true;
    }));
    ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(5)));
    releaser = std::thread([&] {
      absl::SleepFor(absl::Milliseconds(100));
      release.Notify();
    });
  }  // blocks until the task returns
  EXPECT_TRUE(finished.load());
  releaser.join();
}

}  // namespace
}  // namespace acmeva::ra
