// A process's CPU time and memory from /proc, sampled before and after a run
// to charge the VA's cost per validation.
#ifndef BENCH_LIB_PROC_STATS_H_
#define BENCH_LIB_PROC_STATS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acmeva::bench {

struct ProcSample {
  double cpu_seconds = 0;  // user + system
  int64_t vm_hwm_kib = 0;  // peak resident set
  int64_t vm_rss_kib = 0;  // current resident set
  int64_t threads = 0;
};

// utime + stime from a /proc/PID/stat line. The command name (field 2) may
// hold spaces and parentheses, so fields are counted after the last ')'.
absl::StatusOr<double> CpuSecondsFromStat(absl::string_view stat,
                                          int64_t ticks_per_second);

// A "Key:   123 kB" (or a plain number, e.g. Threads) line of
// /proc/PID/status.
absl::StatusOr<int64_t> StatusField(absl::string_view status,
                                    absl::string_view key);

absl::StatusOr<ProcSample> ReadProcSample(int pid);

// Resets VmHWM to the current RSS (writes 5 to /proc/PID/clear_refs), so a
// run's peak is its own. Needs to be the process's owner or root.
absl::Status ResetPeakRss(int pid);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_PROC_STATS_H_
