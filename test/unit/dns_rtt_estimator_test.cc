#include "gtest/gtest.h"
#include "va/dns/rtt_estimator.h"

namespace va::dns {
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

}  // namespace
}  // namespace va::dns
