// Command-line helpers shared by the thin mains. absl flags names use
// underscores; operators (and the documented CLI) write dashes, as
// Boulder and most Unix tools do, so both spellings are accepted.
#ifndef COMMON_CLI_H_
#define COMMON_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace common {

// argv with "--dns-resolvers=x" rewritten to "--dns_resolvers=x" (the flag
// name only; values are untouched). Arguments after "--" are left alone.
// The strings live in the returned object, which must outlive the use of
// argv().
class NormalizedArgs {
 public:
  NormalizedArgs(int argc, char** argv);
  int argc() const { return static_cast<int>(ptrs_.size()) - 1; }
  char** argv() { return ptrs_.data(); }

  // Removes every "--name X" / "--name=X" / "-name X" (dashes or
  // underscores) before a "--", and returns the values in order: for flags
  // that may repeat, which absl flags can't express. A "--name" with no
  // value after it (the last argument, or followed by "--") is an
  // InvalidArgument error naming the flag, "--name needs a value
  // (<value_syntax>)", rather than something absl would call an unknown
  // flag; nothing is removed then.
  absl::StatusOr<std::vector<std::string>> ExtractRepeated(
      const std::string& name, const std::string& value_syntax);

 private:
  void Rebuild();
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

}  // namespace common

#endif  // COMMON_CLI_H_
