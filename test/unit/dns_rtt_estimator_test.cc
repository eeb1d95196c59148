#include "gtest/gtest.h"
#include "va/dns/rtt_estimator.h"

namespace acmeva::va::dns {
namespace {

using absl::Milliseconds;

const absl::Duration kMin = Milliseconds(10);
const absl::Duration kMax = absl::Seconds(1);

TEST(RttEstimatorTest, NoSamplesMeansTheMaximum) {
  RttEstimator rtt;
  EXPECT_FALSE(rtt.has_samples());
  EXPECT_EQ(rtt.Timeout(kMin, kMax), kMax);
}

TEST(RttEstimatorTest, FirstSampleFollowsRfc6298) {
  RttEstimator rtt;  // margin 10ms
  rtt.OnAnswer(Milliseconds(20));
  EXPECT_EQ(rtt.srtt(), Milliseconds(20));
  EXPECT_EQ(rtt.rttvar(), Milliseconds(10));
  // 20 + 4 * 10 + 10
  EXPECT_EQ(rtt.Timeout(kMin, kMax), Milliseconds(70));
  EXPECT_EQ(rtt.Timeout(Milliseconds(100), kMax), Milliseconds(100));
}

TEST(RttEstimatorTest, UpdatesWithAlphaAndBeta) {
  RttEstimator rtt;
  rtt.OnAnswer(Milliseconds(40));  // srtt 40, rttvar 20
  rtt.OnAnswer(
      Milliseconds(80));  // rttvar = 3/4*20 + 1/4*40, srtt = 7/8*40 + 1/8*80
  EXPECT_EQ(rtt.rttvar(), Milliseconds(25));
  EXPECT_EQ(rtt.srtt(), Milliseconds(45));
}

TEST(RttEstimatorTest, SteadyAnswersConverge) {
  RttEstimator rtt;
  for (int i = 0; i < 200; ++i) rtt.OnAnswer(Milliseconds(50));
  EXPECT_EQ(rtt.srtt(), Milliseconds(50));
  EXPECT_LT(rtt.rttvar(), Milliseconds(1));
  EXPECT_GE(rtt.Timeout(kMin, kMax), Milliseconds(60));
  EXPECT_LT(rtt.Timeout(kMin, kMax), Milliseconds(65));
}

TEST(RttEstimatorTest, TimeoutsBackOffUntilTheNextAnswer) {
  RttEstimator rtt;
  rtt.OnAnswer(Milliseconds(20));  // 70ms
  rtt.OnTimeout();
  EXPECT_EQ(rtt.Timeout(kMin, kMax), Milliseconds(140));
  rtt.OnTimeout();
  EXPECT_EQ(rtt.Timeout(kMin, kMax), Milliseconds(280));
  for (int i = 0; i < 20; ++i) rtt.OnTimeout();
  EXPECT_EQ(rtt.Timeout(kMin, kMax), kMax);
  EXPECT_EQ(rtt.backoff_factor(), 64);
  rtt.OnAnswer(Milliseconds(20));
  EXPECT_EQ(rtt.backoff_factor(), 1);
  EXPECT_LT(rtt.Timeout(kMin, kMax), Milliseconds(100));
}

TEST(RttEstimatorTest, DisabledAlwaysUsesTheMaximum) {
  RttEstimatorOptions options;
  options.enabled = false;
  RttEstimator rtt(options);
  rtt.OnAnswer(Milliseconds(1));
  EXPECT_EQ(rtt.Timeout(kMin, kMax), kMax);
}

TEST(RttTableTest, KeepsResolversAndTypesApart) {
  RttTable table(2, RttEstimatorOptions{});
  table.For(0, RRType::kTXT).OnAnswer(Milliseconds(500));
  table.For(0, RRType::kCAA).OnAnswer(Milliseconds(1));
  EXPECT_EQ(table.For(0, RRType::kTXT).srtt(), Milliseconds(500));
  EXPECT_EQ(table.For(0, RRType::kCAA).srtt(), Milliseconds(1));
  EXPECT_FALSE(table.For(1, RRType::kTXT).has_samples());
  EXPECT_FALSE(table.For(0, RRType::kA).has_samples());
}

// The figures quoted in rtt_estimator.h: one resolver answers 50 cached CAA
// lookups a second in 1 ms, and an uncached TXT lookup every second after
// 500 ms. Where does the next TXT lookup put its hedge point, and how many
// tries does it send before its answer (a try per hedge point, no backoff)?
TEST(RttTableTest, IssueScenarioPerTypeVersusPerResolver) {
  const absl::Duration kFloor = Milliseconds(100);
  const absl::Duration kTxtAnswer = Milliseconds(500);
  RttEstimator per_resolver;
  RttTable per_type(1, RttEstimatorOptions{});
  for (int second = 0; second < 5; ++second) {
    per_resolver.OnAnswer(kTxtAnswer);
    per_type.For(0, RRType::kTXT).OnAnswer(kTxtAnswer);
    for (int i = 0; i < 50; ++i) {
      per_resolver.OnAnswer(Milliseconds(1));
      per_type.For(0, RRType::kCAA).OnAnswer(Milliseconds(1));
    }
  }
  // Tries sent before the answer at 500 ms; fast CAA answers (one every
  // 20 ms) reset a per-resolver estimator's doubling between hedges.
  auto tries_before_answer = [&](RttEstimator& rtt, bool reset_by_load) {
    int tries = 1;
    absl::Duration sent = absl::ZeroDuration();
    while (true) {
      sent += rtt.Timeout(kFloor, kMax);
      if (sent >= kTxtAnswer || sent >= kMax) return tries;
      ++tries;
      rtt.OnTimeout();
      if (reset_by_load) rtt.OnAnswer(Milliseconds(1));
    }
  };
  EXPECT_EQ(per_resolver.Timeout(kFloor, kMax), kFloor);
  // 500 + 4 * 79.1 + 10 ms after five such lookups (rttvar shrinks by 3/4
  // per sample): still past the answer.
  const absl::Duration txt =
      per_type.For(0, RRType::kTXT).Timeout(kFloor, kMax);
  EXPECT_GE(txt, Milliseconds(826));
  EXPECT_LT(txt, Milliseconds(827));
  EXPECT_EQ(tries_before_answer(per_resolver, true), 5);
  EXPECT_EQ(tries_before_answer(per_type.For(0, RRType::kTXT), false), 1);
}

}  // namespace
}  // namespace acmeva::va::dns
