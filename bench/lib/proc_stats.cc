#include "bench/lib/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace acmeva::bench {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<double> CpuSecondsFromStat(absl::string_view stat,
                                          int64_t ticks_per_second) {
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos || ticks_per_second <= 0) {
    return absl::InvalidArgumentError("not a /proc/PID/stat line");
  }
  // After ") " come field 3 (state) onwards; utime is field 14, stime 15.
  std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3;
  int64_t utime = 0, stime = 0;
  if (fields.size() <= kStime || !absl::SimpleAtoi(fields[kUtime], &utime) ||
      !absl::SimpleAtoi(fields[kStime], &stime)) {
    return absl::InvalidArgumentError("no utime/stime in /proc/PID/stat");
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(ticks_per_second);
}

absl::StatusOr<int64_t> StatusField(absl::string_view status,
                                    absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, ":")) {
      continue;
    }
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    int64_t value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": not a number"));
    }
    return value;
  }
  return absl::NotFoundError(absl::StrCat(key, " not in /proc/PID/status"));
}

absl::StatusOr<ProcSample> ReadProcSample(int pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/");
  auto stat = ReadWholeFile(dir + "stat");
  if (!stat.ok()) return stat.status();
  auto status = ReadWholeFile(dir + "status");
  if (!status.ok()) return status.status();
  ProcSample sample;
  auto cpu = CpuSecondsFromStat(*stat, sysconf(_SC_CLK_TCK));
  if (!cpu.ok()) return cpu.status();
  sample.cpu_seconds = *cpu;
  auto hwm = StatusField(*status, "VmHWM");
  if (!hwm.ok()) return hwm.status();
  sample.vm_hwm_kib = *hwm;
  auto rss = StatusField(*status, "VmRSS");
  if (!rss.ok()) return rss.status();
  sample.vm_rss_kib = *rss;
  auto threads = StatusField(*status, "Threads");
  if (threads.ok()) sample.threads = *threads;
  return sample;
}

absl::Status ResetPeakRss(int pid) {
  std::ofstream out(absl::StrCat("/proc/", pid, "/clear_refs"));
  if (!out) return absl::PermissionDeniedError("cannot open clear_refs");
  out << "5";
  out.flush();
  if (!out) return absl::PermissionDeniedError("cannot write clear_refs");
  return absl::OkStatus();
}

}  // namespace acmeva::bench
