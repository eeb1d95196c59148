#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "va/dns/inflight_table.h"
#include "va/dns/timer_queue.h"

namespace acmeva::va::dns {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000000);

Waiter MakeWaiter(uint64_t id, absl::Time deadline) {
  Waiter w;
  w.id = id;
  w.deadline = deadline;
  return w;
}

// The table joins a waiter under its own spelling of the name.
InFlightTable::JoinResult Join(InFlightTable& table, std::string name,
                               RRType type, Waiter waiter) {
  waiter.name = std::move(name);
  return table.Join(type, std::move(waiter));
}

// The waiter with `id`, taken out of its flight, if it is there.
std::optional<Waiter> Leave(InFlightTable& table, uint64_t flight_id,
                            uint64_t id) {
  std::vector<Waiter> taken = table.Find(flight_id)->TakeWaitersIf(
      [id](const Waiter& w) { return w.id == id; });
  if (taken.empty()) return std::nullopt;
  return std::move(taken.front());
}

TEST(InFlightTableTest, IdenticalLookupsShareAFlight) {
  InFlightTable table;
  auto first = Join(table, "Me.example", RRType::kCAA,
                    MakeWaiter(1, kT0 + absl::Seconds(1)));
  EXPECT_TRUE(first.created);
  auto second = Join(table, "me.EXAMPLE", RRType::kCAA,
                     MakeWaiter(2, kT0 + absl::Seconds(5)));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(first.flight, second.flight);
  EXPECT_EQ(first.flight->waiters.size(), 2u);
  EXPECT_EQ(first.flight->qname, "Me.example") << "first spelling is sent";
  EXPECT_EQ(first.flight->deadline, kT0 + absl::Seconds(5))
      << "the flight runs under its latest waiter's deadline";
  auto third = Join(table, "me.example", RRType::kCAA,
                    MakeWaiter(3, kT0 + absl::Seconds(2)));
  EXPECT_EQ(third.flight->deadline, kT0 + absl::Seconds(5));
  EXPECT_EQ(table.size(), 1u);
}

TEST(InFlightTableTest, DifferentNamesOrTypesAreNotCoalesced) {
  InFlightTable table;
  auto a = Join(table, "a.example", RRType::kCAA, MakeWaiter(1, kT0));
  auto b = Join(table, "b.example", RRType::kCAA, MakeWaiter(2, kT0));
  auto c = Join(table, "a.example", RRType::kTXT, MakeWaiter(3, kT0));
  EXPECT_TRUE(a.created && b.created && c.created);
  EXPECT_NE(a.flight, b.flight);
  EXPECT_NE(a.flight, c.flight);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Find("A.example", RRType::kTXT), c.flight);
}

TEST(InFlightTableTest, LeaveAndRemove) {
  InFlightTable table;
  auto a = Join(table, "a.example", RRType::kCAA, MakeWaiter(1, kT0));
  Join(table, "a.example", RRType::kCAA, MakeWaiter(2, kT0));
  const uint64_t id = a.flight->id;
  std::optional<Waiter> left = Leave(table, id, 1);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->id, 1u);
  EXPECT_FALSE(Leave(table, id, 1).has_value());
  EXPECT_EQ(table.Find(id)->waiters.size(), 1u);

  std::unique_ptr<Flight> removed = table.Remove(id);
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->waiters.size(), 1u);
  EXPECT_EQ(table.Find(id), nullptr);
  EXPECT_EQ(table.Find("a.example", RRType::kCAA), nullptr);
  // Nothing is kept: the next lookup starts a new flight.
  EXPECT_TRUE(
      Join(table, "a.example", RRType::kCAA, MakeWaiter(3, kT0)).created);
  EXPECT_EQ(table.RemoveAll().size(), 1u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(TimerQueueTest, RunsDueTimersInOrderAndHonoursCancel) {
  TimerQueue timers;
  std::vector<int> ran;
  timers.Schedule(kT0 + absl::Milliseconds(20), [&] { ran.push_back(2); });
  TimerQueue::Id cancelled =
      timers.Schedule(kT0 + absl::Milliseconds(10), [&] { ran.push_back(9); });
  timers.Schedule(kT0 + absl::Milliseconds(10), [&] { ran.push_back(1); });
  timers.Schedule(kT0 + absl::Milliseconds(30), [&] { ran.push_back(3); });
  EXPECT_TRUE(timers.Cancel(cancelled));
  EXPECT_FALSE(timers.Cancel(cancelled));
  EXPECT_EQ(timers.NextDeadline(), kT0 + absl::Milliseconds(10));

  EXPECT_EQ(timers.RunDue(kT0 + absl::Milliseconds(25)), 2);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers.RunDue(kT0 + absl::Milliseconds(30)), 1);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(timers.NextDeadline().has_value());
}

TEST(TimerQueueTest, TimersScheduledWhileRunningRunIfDue) {
  TimerQueue timers;
  int ran = 0;
  timers.Schedule(kT0, [&] {
    ++ran;
    timers.Schedule(kT0, [&] { ++ran; });                          // due
    timers.Schedule(kT0 + absl::Seconds(1), [&] { ran += 100; });  // not
  });
  EXPECT_EQ(timers.RunDue(kT0), 2);
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(timers.size(), 1u);
}

}  // namespace
}  // namespace acmeva::va::dns
