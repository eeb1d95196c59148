// va/in_flight_validations: what an expired drain audits.
#include "va/in_flight_validations.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace acmeva::va {
namespace {

TEST(InFlightValidationsTest, SnapshotIsWhatIsLeftOldestFirst) {
  InFlightValidations calls;
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const uint64_t a = calls.Add({"dcv", "a.example", "dns-01", 1, 10, t0});
  const uint64_t b = calls.Add({"caa", "b.example", "dns-01", 2, 20, t0});
  const uint64_t c = calls.Add({"dcv", "c.example", "dns-01", 3, 30, t0});
  EXPECT_NE(a, b);
  calls.Remove(b);
  const auto left = calls.Snapshot();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].identifier, "a.example");
  EXPECT_EQ(left[0].account_id, 10);
  EXPECT_EQ(left[1].identifier, "c.example");
  EXPECT_EQ(left[1].kind, "dcv");
  calls.Remove(a);
  calls.Remove(c);
  calls.Remove(c);  // twice: harmless
  EXPECT_TRUE(calls.Snapshot().empty());
}

TEST(InFlightValidationsTest, ConcurrentAddAndRemoveLeaveNothing) {
  InFlightValidations calls;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&calls] {
      for (int i = 0; i < 2000; ++i) {
        calls.Remove(calls.Add({"caa", "x.example", "dns-01", i, i, {}}));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(calls.Snapshot().empty());
}

}  // namespace
}  // namespace acmeva::va
