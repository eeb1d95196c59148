// Drives DoDCV, DoCAA, or both in sequence (DCV, then CAA only after a valid
// DCV, as an RA does) with many calls in flight from one launching thread,
// using gRPC's callback client API; or, for a side-by-side run, Boulder's
// 2023 PerformValidation (one call: DCV and CAA).
#ifndef CMD_VABENCH_LOAD_GENERATOR_H_
#define CMD_VABENCH_LOAD_GENERATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/lib/name_generator.h"
#include "bench/lib/record_writer.h"

namespace grpc {
class Channel;
}

namespace acmeva::vabench {

// Which VA API the load speaks.
enum class Api {
  kThisVa,       // va.VA/DoDCV and va.CAA/DoCAA, as --mode says
  kBoulder2023,  // Boulder release-2023-02-13a: one /va.VA/PerformValidation
};

struct LoadOptions {
  Api api = Api::kThisVa;
  bench::Mode mode = bench::Mode::kBoth;  // kThisVa only
  int64_t total = 1000;                   // validations to launch
  int concurrency = 64;                   // validations in flight at most
  double rate = 0;  // validations launched per second; 0 = no pacing
  absl::Duration deadline = absl::Seconds(10);  // per RPC
  // Stop launching after this long; calls in flight still finish (each is
  // bounded by its deadline).
  absl::Duration max_duration = absl::Minutes(5);
};

struct LoadResult {
  absl::Duration elapsed;  // first launch to last answer
  int64_t launched = 0;
  int64_t completed = 0;
  int64_t rpcs = 0;
  int64_t max_in_flight = 0;
  bool stopped_early = false;
  std::vector<int64_t> latency_us;  // per validation
  std::vector<int64_t> dcv_latency_us;
  std::vector<int64_t> caa_latency_us;
  std::map<std::string, int64_t> outcomes;
};

// `name_at(i)` gives validation i's name and key authorization; calls are
// spread round-robin over `channels`.
LoadResult RunLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                   const std::function<bench::BenchName(int64_t)>& name_at,
                   const LoadOptions& options);

}  // namespace acmeva::vabench

#endif  // CMD_VABENCH_LOAD_GENERATOR_H_
