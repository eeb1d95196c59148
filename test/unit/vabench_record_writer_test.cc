#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "bench/lib/record_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acmeva::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<BenchName> TwoNames() {
  BenchName a;
  a.name = "n0.z0.bench";
  a.txt_value = "TXTA";
  BenchName b;
  b.name = "n0.z1.bench";
  b.txt_value = "TXTB";
  b.caa_issue = "letsencrypt.org; accounturi=https://acme.example/acct/7";
  return {a, b};
}

TEST(ModeTest, RoundTrips) {
  for (Mode m : {Mode::kDcv, Mode::kCaa, Mode::kBoth}) {
    EXPECT_EQ(ModeFromString(ModeName(m)), m);
  }
  EXPECT_FALSE(ModeFromString("all").has_value());
}

TEST(RecordWriterTest, DnstestsrvRecordsHoldTxtAndCaa) {
  std::ostringstream out;
  WriteDnstestsrvRecords(TwoNames(), std::nullopt, out);
  const std::string json = out.str();
  EXPECT_THAT(
      json,
      HasSubstr(R"({"host":"_acme-challenge.n0.z0.bench","value":"TXTA"})"));
  EXPECT_THAT(
      json,
      HasSubstr(
          R"({"host":"n0.z1.bench","policies":[{"tag":"issue","value":"letsencrypt.org; accounturi=https://acme.example/acct/7","flag":0}]})"));
  EXPECT_THAT(json, Not(HasSubstr("\"n0.z0.bench\",\"policies\"")));
  EXPECT_THAT(json, Not(HasSubstr("faults")));
  EXPECT_TRUE(absl::StartsWith(json, "{\"txt\":["));
  EXPECT_TRUE(absl::EndsWith(json, "]}\n"));
}

TEST(RecordWriterTest, FaultsCoverEveryQueriedNameOnce) {
  std::ostringstream out;
  WriteDnstestsrvRecords(TwoNames(), FaultOptions{"drop", "CAA", 0.33, 0}, out);
  const std::string json = out.str();
  // Two TXT names, two full names, two zones, one TLD.
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(json, "\"mode\":\"drop\""))
                    .size() -
                1,
            7u);
  EXPECT_THAT(
      json,
      HasSubstr(
          R"({"host":"bench","mode":"drop","type":"CAA","probability":0.33})"));
}

TEST(RecordWriterTest, DistinctQueryNamesPerMode) {
  EXPECT_THAT(DistinctQueryNames(TwoNames(), Mode::kDcv),
              ElementsAre("_acme-challenge.n0.z0.bench",
                          "_acme-challenge.n0.z1.bench"));
  EXPECT_THAT(DistinctQueryNames(TwoNames(), Mode::kCaa),
              ElementsAre("n0.z0.bench", "z0.bench", "bench", "n0.z1.bench",
                          "z1.bench"));
  EXPECT_EQ(DistinctQueryNames(TwoNames(), Mode::kBoth).size(), 7u);
}

TEST(RecordWriterTest, NsdZoneHasSoaNsAndRelativeRecords) {
  std::ostringstream out;
  ASSERT_TRUE(WriteNsdZone(TwoNames(), "bench", out).ok());
  const std::string zone = out.str();
  EXPECT_THAT(zone, HasSubstr("$ORIGIN bench.\n"));
  EXPECT_THAT(zone, HasSubstr("@ IN SOA ns.bench. hostmaster.bench. "));
  EXPECT_THAT(zone, HasSubstr("@ IN NS ns.bench.\n"));
  EXPECT_THAT(zone, HasSubstr("_acme-challenge.n0.z0 IN TXT \"TXTA\"\n"));
  EXPECT_THAT(zone, HasSubstr("n0.z1 IN CAA 0 issue \"letsencrypt.org; "
                              "accounturi=https://acme.example/acct/7\"\n"));
}

TEST(RecordWriterTest, NsdZoneRejectsNamesOutsideTheOrigin) {
  std::ostringstream out;
  EXPECT_FALSE(WriteNsdZone(TwoNames(), "other", out).ok());
  // "xbench" must not pass as inside "bench".
  std::vector<BenchName> names = TwoNames();
  names[0].name = "n0.xbench";
  EXPECT_FALSE(WriteNsdZone(names, "bench", out).ok());
}

TEST(RecordWriterTest, DnsperfQueriesFollowTheMode) {
  std::vector<BenchName> one = {TwoNames()[0]};
  struct Case {
    Mode mode;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {Mode::kDcv, "_acme-challenge.n0.z0.bench TXT\n"},
           {Mode::kCaa, "n0.z0.bench CAA\nz0.bench CAA\nbench CAA\n"},
           {Mode::kBoth,
            "_acme-challenge.n0.z0.bench TXT\nn0.z0.bench CAA\nz0.bench "
            "CAA\nbench CAA\n"},
       }) {
    std::ostringstream out;
    WriteDnsperfQueries(one, c.mode, out);
    EXPECT_EQ(out.str(), c.expected) << ModeName(c.mode);
  }
}

}  // namespace
}  // namespace acmeva::bench
