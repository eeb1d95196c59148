// Percentiles, /proc parsing, /metrics parsing and the loopback HTTP GET.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <thread>

#include "bench/lib/http_get.h"
#include "bench/lib/latency_stats.h"
#include "bench/lib/outcome.h"
#include "bench/lib/proc_stats.h"
#include "bench/lib/prometheus_text.h"
#include "gtest/gtest.h"

namespace acmeva::bench {
namespace {

TEST(PercentileTest, NearestRank) {
  std::vector<int64_t> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  struct Case {
    double p;
    int64_t expected;
  };
  for (const Case& c :
       {Case{0, 1}, Case{10, 1}, Case{11, 2}, Case{50, 5}, Case{90, 9},
        Case{91, 10}, Case{99, 10}, Case{100, 10}}) {
    EXPECT_EQ(PercentileOfSorted(ten, c.p), c.expected) << c.p;
  }
  EXPECT_EQ(PercentileOfSorted({}, 50), 0);
  EXPECT_EQ(PercentileOfSorted({42}, 99), 42);
}

TEST(PercentileTest, SummarizeSortsAndFindsTheTail) {
  std::vector<int64_t> samples;
  for (int i = 1000; i >= 1; --i) samples.push_back(i);  // descending
  const LatencySummary s = Summarize(samples);
  EXPECT_EQ(s.count, 1000);
  EXPECT_EQ(s.p50_us, 500);
  EXPECT_EQ(s.p90_us, 900);
  EXPECT_EQ(s.p99_us, 990);
  EXPECT_EQ(s.max_us, 1000);
  EXPECT_DOUBLE_EQ(s.mean_us, 500.5);
  std::vector<int64_t> none;
  EXPECT_EQ(Summarize(none).count, 0);
}

TEST(ProcStatsTest, CpuSecondsFromStatSurvivesOddCommandNames) {
  // Fields after the name: state ppid pgrp session tty tpgid flags minflt
  // cminflt majflt cmajflt utime stime ...
  const std::string stat =
      "1234 (va (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 "
      "9 0 12345 1000000 500";
  auto cpu = CpuSecondsFromStat(stat, 100);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_DOUBLE_EQ(*cpu, 3.0);
  EXPECT_FALSE(CpuSecondsFromStat("garbage", 100).ok());
  EXPECT_FALSE(CpuSecondsFromStat("1 (x) S 1 2", 100).ok());
}

TEST(ProcStatsTest, StatusFields) {
  const std::string status =
      "Name:\tva\nVmPeak:\t  200000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 "
      "kB\nThreads:\t9\n";
  EXPECT_EQ(StatusField(status, "VmHWM").value(), 51200);
  EXPECT_EQ(StatusField(status, "VmRSS").value(), 40960);
  EXPECT_EQ(StatusField(status, "Threads").value(), 9);
  EXPECT_FALSE(StatusField(status, "VmSwap").ok());
  EXPECT_FALSE(StatusField(status, "Name").ok());  // not a number
}

TEST(ProcStatsTest, ReadsThisProcess) {
  auto sample = ReadProcSample(getpid());
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_GT(sample->vm_hwm_kib, 0);
  EXPECT_GE(sample->vm_hwm_kib, sample->vm_rss_kib);
  EXPECT_GE(sample->cpu_seconds, 0);
  EXPECT_GE(sample->threads, 1);
  EXPECT_TRUE(ResetPeakRss(getpid()).ok());
  EXPECT_FALSE(ReadProcSample(-1).ok());
}

TEST(PrometheusTextTest, SumsEverySeriesOfExactlyThatName) {
  const std::string text =
      "# HELP dns_query_time_count x\n"
      "# TYPE dns_query_time histogram\n"
      "dns_query_time_bucket{qtype=\"TXT\",le=\"0.01\"} 99\n"
      "dns_query_time_count{qtype=\"TXT\",result=\"ok\",resolver=\"1:53\"} 10\n"
      "dns_query_time_count{qtype=\"CAA\",result=\"a}b\",resolver=\"1:53\"} "
      "2.5e1\n"
      "dns_query_time_count_extra 1000\n"
      "dns_query_time_count 5 1700000000\n"
      "dns_timeout{qtype=\"CAA\"} 3\n";
  EXPECT_DOUBLE_EQ(SumSamples(text, "dns_query_time_count"), 40);
  EXPECT_DOUBLE_EQ(SumSamples(text, "dns_timeout"), 3);
  EXPECT_DOUBLE_EQ(SumSamples(text, "absent"), 0);
}

TEST(OutcomeTest, Keys) {
  EXPECT_EQ(OutcomeKey("", "", false), "valid");
  EXPECT_TRUE(IsValid(OutcomeKey("", "", false)));
  EXPECT_EQ(OutcomeKey("", "dns", true), "dns/transient");
  EXPECT_EQ(OutcomeKey("", "unauthorized", false), "unauthorized");
  EXPECT_EQ(OutcomeKey("DEADLINE_EXCEEDED", "", false),
            "grpc/DEADLINE_EXCEEDED");
  EXPECT_FALSE(IsValid("dns"));
}

// A one-shot HTTP server on a loopback port picked at run time.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 1);
    thread_ = std::thread([this, response] {
      int c = accept(fd_, nullptr, nullptr);
      char buf[1024];
      ssize_t n = recv(c, buf, sizeof(buf), 0);
      request_.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
      send(c, response.data(), response.size(), MSG_NOSIGNAL);
      close(c);
    });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Waits for the server thread, then returns what it received.
  std::string TakeRequest() {
    thread_.join();
    return request_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(HttpGetTest, ReturnsTheBodyOf200) {
  std::string request;
  {
    OneShotServer server(
        "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\ndns_timeout 3\n");
    auto body = HttpGet(server.address(), "/metrics", absl::Seconds(5));
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(*body, "dns_timeout 3\n");
    request = server.TakeRequest();
  }
  EXPECT_EQ(request.rfind("GET /metrics HTTP/1.1\r\n", 0), 0u) << request;
}

TEST(HttpGetTest, FailsOnNon200) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\n\r\nno\n");
  auto body = HttpGet(server.address(), "/x", absl::Seconds(5));
  EXPECT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("404"), std::string::npos);
}

TEST(HttpGetTest, RejectsNonNumericHostsAndClosedPorts) {
  EXPECT_FALSE(HttpGet("localhost:80", "/", absl::Seconds(1)).ok());
  EXPECT_FALSE(HttpGet("nocolon", "/", absl::Seconds(1)).ok());
  // Port 1 on loopback: nothing listens there.
  EXPECT_FALSE(HttpGet("127.0.0.1:1", "/", absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace acmeva::bench
