#include "va/deadline.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace va {
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

}  // namespace
}  // namespace va
