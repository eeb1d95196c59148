// Writes the generated namespace in the forms the benchmark's servers and
// tools read: dnstestsrv's --records JSON, an NSD zone file, and a dnsperf
// query file with the query mix the VA sends.
#ifndef BENCH_LIB_RECORD_WRITER_H_
#define BENCH_LIB_RECORD_WRITER_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bench/lib/name_generator.h"

namespace acmeva::bench {

enum class Mode { kDcv, kCaa, kBoth };
std::optional<Mode> ModeFromString(absl::string_view text);
absl::string_view ModeName(Mode mode);

// A dnstestsrv fault applied to every name the VA would query.
struct FaultOptions {
  std::string mode;  // drop|delay|servfail|refused|nxdomain|truncate
  std::string type;  // "TXT", "CAA", or "" for every type
  double probability = 1.0;
  int delay_ms = 0;
};

// {"txt":[{"host","value"}], "caa":[{"host","policies"}], "faults":[...]}.
void WriteDnstestsrvRecords(const std::vector<BenchName>& names,
                            const std::optional<FaultOptions>& fault,
                            std::ostream& out);

// A zone for `origin` (the TLD) holding every TXT and CAA record. Fails if a
// name lies outside `origin`.
absl::Status WriteNsdZone(const std::vector<BenchName>& names,
                          absl::string_view origin, std::ostream& out);

// "name TYPE" lines: per name, the TXT query (dcv, both) and a CAA query for
// each suffix (caa, both), the TLD's included: what the VA sends before
// coalescing.
void WriteDnsperfQueries(const std::vector<BenchName>& names, Mode mode,
                         std::ostream& out);

// Distinct names the VA may query for these validations.
std::vector<std::string> DistinctQueryNames(const std::vector<BenchName>& names,
                                            Mode mode);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_RECORD_WRITER_H_
