#include "bench/lib/outcome.h"

#include "absl/strings/str_cat.h"

namespace acmeva::bench {

std::string OutcomeKey(absl::string_view grpc_code_name,
                       absl::string_view problem_type, bool transient) {
  if (!grpc_code_name.empty()) return absl::StrCat("grpc/", grpc_code_name);
  if (problem_type.empty()) return "valid";
  return transient ? absl::StrCat(problem_type, "/transient")
                   : std::string(problem_type);
}

}  // namespace acmeva::bench
