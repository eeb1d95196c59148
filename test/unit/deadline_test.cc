#include "va/deadline.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace acmeva::va {
namespace {

struct Case {
  std::string name;
  std::optional<absl::Duration> caller;  // from now; nullopt: no deadline
  absl::Duration want;                   // from now
};

TEST(ValidationDeadlineTest, Table) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  DeadlineConfig config;  // defaults: 30 s, 20 ms + 10% capped at 2 s
  const std::vector<Case> cases = {
      {"no caller deadline: the default", std::nullopt, absl::Seconds(30)},
      {"2 s: 20 ms + 200 ms kept back", absl::Seconds(2),
       absl::Milliseconds(1780)},
      {"10 s: 20 ms + 1 s", absl::Seconds(10), absl::Milliseconds(8980)},
      {"25 s: the share is capped at 2 s", absl::Seconds(25),
       absl::Milliseconds(22980)},
      {"60 s: never past the default", absl::Seconds(60), absl::Seconds(30)},
      {"100 ms: 20 ms + 10 ms", absl::Milliseconds(100),
       absl::Milliseconds(70)},
      {"already past: stays in the past", absl::Seconds(-1),
       absl::Milliseconds(-1020)},
  };
  for (const Case& c : cases) {
    std::optional<absl::Time> caller;
    if (c.caller) caller = now + *c.caller;
    EXPECT_EQ(ValidationDeadline(now, caller, config) - now, c.want) << c.name;
  }
}

TEST(ValidationDeadlineTest, ZeroShareKeepsOnlyTheFixedOverhead) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  DeadlineConfig config;
  config.return_share = 0;
  EXPECT_EQ(ValidationDeadline(now, now + absl::Seconds(5), config) - now,
            absl::Milliseconds(4980));
}

// gRPC's raw deadline (seconds and nanoseconds) as an absl::Time: deadlines
// past the year 2262, which std::chrono's nanosecond clock cannot hold, stay
// in the future and are clamped to the default timeout, not wrapped into the
// past.
TEST(CallerDeadlineTest, FarFutureDeadlinesAreClampedNotOverflowed) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const int64_t now_s = absl::ToUnixSeconds(now);
  DeadlineConfig config;
  struct FarCase {
    std::string name;
    int64_t seconds;
  };
  const std::vector<FarCase> cases = {
      {"grpc-timeout 2100000H", now_s + int64_t{2'100'000} * 3600},
      {"grpc-timeout 99999999H", now_s + int64_t{99'999'999} * 3600},
      {"the year 2262 plus one second", int64_t{9'223'372'037}},
      {"one second before gRPC's infinity",
       std::numeric_limits<int64_t>::max() - 1},
  };
  for (const FarCase& c : cases) {
    const std::optional<absl::Time> caller = CallerDeadline(c.seconds, 0);
    ASSERT_TRUE(caller.has_value()) << c.name;
    EXPECT_GT(*caller, now + absl::Hours(24 * 365)) << c.name;
    EXPECT_EQ(ValidationDeadline(now, caller, config) - now, absl::Seconds(30))
        << c.name;
  }
}

TEST(CallerDeadlineTest, InfiniteIsNoDeadlineAndNanosecondsCount) {
  EXPECT_EQ(CallerDeadline(std::numeric_limits<int64_t>::max(), 0),
            std::nullopt);
  EXPECT_EQ(CallerDeadline(1'800'000'000, 250'000'000),
            absl::FromUnixSeconds(1'800'000'000) + absl::Milliseconds(250));
}

}  // namespace
}  // namespace acmeva::va
