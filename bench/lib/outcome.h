// The outcome classes a run counts: "valid", each ACME problem type (split by
// the transient flag, since a transient failure is one a client retries), and
// each gRPC error code.
#ifndef BENCH_LIB_OUTCOME_H_
#define BENCH_LIB_OUTCOME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace acmeva::bench {

// `grpc_code_name` is empty for an RPC that returned OK; `problem_type` is
// empty for a result without a problem.
//   OK, no problem          -> "valid"
//   OK, problem "dns"       -> "dns" or "dns/transient"
//   not OK                  -> "grpc/DEADLINE_EXCEEDED"
std::string OutcomeKey(absl::string_view grpc_code_name,
                       absl::string_view problem_type, bool transient);

// Whether OutcomeKey() named a success.
inline bool IsValid(absl::string_view key) { return key == "valid"; }

}  // namespace acmeva::bench

#endif  // BENCH_LIB_OUTCOME_H_
