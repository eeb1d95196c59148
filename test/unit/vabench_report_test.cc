#include "bench/lib/report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acmeva::bench {
namespace {

using ::testing::HasSubstr;

RunReport Sample() {
  RunReport r;
  r.label = "dnstestsrv";
  r.mode = "both";
  r.requested = 1000;
  r.concurrency = 64;
  r.elapsed_seconds = 2.0;
  r.completed = 1000;
  r.valid = 990;
  r.rpcs = 1990;
  r.latency.count = 1000;
  r.latency.p99_us = 12345;
  r.outcomes = {{"valid", 990}, {"dns/transient", 10}};
  r.va_before = ProcSample{1.0, 30000, 20000, 9};
  r.va_after = ProcSample{1.5, 40960, 30000, 9};
  r.dns = VaDnsCounters{4000, 3900, 5, 100, 3, 2};
  r.client_cpu_seconds = 0.25;
  return r;
}

TEST(ReportTest, DerivedFigures) {
  const RunReport r = Sample();
  EXPECT_DOUBLE_EQ(ValidationsPerSecond(r), 500);
  EXPECT_DOUBLE_EQ(VaCpuSeconds(r).value(), 0.5);
  EXPECT_DOUBLE_EQ(CpuMicrosPerValidation(r).value(), 500);
  EXPECT_DOUBLE_EQ(CpuMicrosPerDnsQuery(r).value(), 125);
  EXPECT_DOUBLE_EQ(DnsQueriesPerSecond(r).value(), 2000);
}

TEST(ReportTest, UnmeasuredFiguresAreAbsent) {
  RunReport r = Sample();
  r.va_after.reset();
  r.dns.reset();
  r.completed = 0;
  r.elapsed_seconds = 0;
  EXPECT_EQ(ValidationsPerSecond(r), 0);
  EXPECT_FALSE(VaCpuSeconds(r).has_value());
  EXPECT_FALSE(CpuMicrosPerValidation(r).has_value());
  EXPECT_FALSE(CpuMicrosPerDnsQuery(r).has_value());
  EXPECT_FALSE(DnsQueriesPerSecond(r).has_value());
  const std::string json = FormatJson(r);
  EXPECT_THAT(json, HasSubstr("\"va_cpu_us_per_validation\":null"));
  EXPECT_THAT(json, HasSubstr("\"dns\":null"));
}

TEST(ReportTest, JsonCarriesTheTableColumns) {
  const std::string json = FormatJson(Sample());
  for (const char* want :
       {"\"label\":\"dnstestsrv\"", "\"mode\":\"both\"",
        "\"validations_per_second\":500", "\"p99_us\":12345",
        "\"outcomes\":{\"dns/transient\":10,\"valid\":990}",
        "\"va_cpu_us_per_validation\":500", "\"va_cpu_us_per_dns_query\":125",
        "\"va_peak_rss_kib\":40960", "\"dns_queries_per_second\":2000",
        "\"queries\":4000"}) {
    EXPECT_THAT(json, HasSubstr(want));
  }
  EXPECT_EQ(json.back(), '\n');
}

TEST(ReportTest, TextNamesTheHeadlineFigures) {
  const std::string text = FormatText(Sample());
  EXPECT_THAT(text, HasSubstr("1000 of 1000 in 2.000 s = 500.0/s"));
  EXPECT_THAT(text, HasSubstr("p99 12.35 ms"));
  EXPECT_THAT(text, HasSubstr("dns/transient=10"));
  EXPECT_THAT(text, HasSubstr("500.0 us per validation"));
  EXPECT_THAT(text, HasSubstr("peak RSS 40.0 MiB"));
  EXPECT_THAT(text, HasSubstr("4000 queries (2000/s"));
  EXPECT_THAT(text, HasSubstr("vabench CPU: 0.250 s"));
}

}  // namespace
}  // namespace acmeva::bench
