// The request and outcome of Boulder's VA API of release-2023-02-13a
// (/va.VA/PerformValidation: dns-01 and CAA in one call), for vabench
// --api=boulder-2023 (bench/boulder-side-by-side.sh).
#ifndef BENCH_LIB_BOULDER_2023_REQUEST_H_
#define BENCH_LIB_BOULDER_2023_REQUEST_H_

#include <string>

#include "bench/lib/name_generator.h"
#include "bench/proto/boulder_2023_va.pb.h"

namespace acmeva::bench {

// The method path Boulder's VA serves (its proto package is `va`).
inline constexpr char kBoulder2023PerformValidation[] =
    "/va.VA/PerformValidation";

// A pending dns-01 challenge for `name`, as Boulder's RA of that release
// sent it: the key authorization travels in the challenge.
boulder_2023::PerformValidationRequest Boulder2023Request(
    const BenchName& name);

// OutcomeKey() of an answer that arrived: "valid", or the problem's type
// (Boulder's problems carry no transient flag).
std::string Boulder2023Outcome(const boulder_2023::ValidationResult& result);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_BOULDER_2023_REQUEST_H_
