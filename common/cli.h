// Command-line helpers shared by the thin mains. absl flags names use
// underscores; operators (and the documented CLI) write dashes, as
// Boulder and most Unix tools do, so both spellings are accepted.
#ifndef COMMON_CLI_H_
#define COMMON_CLI_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace acmeva::common {

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

  // What absl::ParseCommandLine would refuse (an unknown flag, a flag with
  // no value, a value that does not parse), as an InvalidArgument error
  // naming the flag, so a server can report it as a JSON line and exit 2
  // instead of absl's plain "ERROR: ..." lines and exit 1. Parsing a value
  // also sets the flag; ParseCommandLine sets it again to the same value.
  absl::Status CheckFlags();

 private:
  void Rebuild();
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

// Sets the --help text, and makes --help list every flag this program
// defines (absl's default lists only flags defined in a file named after the
// program, which none of ours is, so --help printed "No flags matched").
// absl's own flags (--flagfile, --fromenv, ...) are left to --helpfull.
void SetUsage(absl::string_view usage);

// "--dns-tries": a flag's name as the documentation and operators write it.
std::string DashedName(const absl::CommandLineFlag& flag);

// Range checks of flag values after parsing, so nonsense (--default-timeout
// 0s, --drain-timeout -1s, --dns-tries 0) is refused at start-up with a
// message naming the flag it came from: the name is taken from the flag
// itself, so a message cannot name the wrong one. Durations must also be
// finite.
class FlagChecks {
 public:
  template <class T>
  FlagChecks& AtLeast(const absl::Flag<T>& flag, T min) {
    const T value = absl::GetFlag(flag);
    if (!(value >= min) || !Finite(value)) {
      Fail(flag, absl::StrCat("must be at least ", Show(min)), Show(value));
    }
    return *this;
  }
  template <class T>
  FlagChecks& InRange(const absl::Flag<T>& flag, T min, T max) {
    const T value = absl::GetFlag(flag);
    if (!(value >= min && value <= max) || !Finite(value)) {
      Fail(flag, absl::StrCat("must be from ", Show(min), " to ", Show(max)),
           Show(value));
    }
    return *this;
  }
  // More than zero (and finite).
  template <class T>
  FlagChecks& Positive(const absl::Flag<T>& flag) {
    const T value = absl::GetFlag(flag);
    if (!(value > T()) || !Finite(value)) {
      Fail(flag, absl::StrCat("must be more than ", Show(T())), Show(value));
    }
    return *this;
  }
  // A rule of the caller's: when `ok` is false, "--name: <rule>".
  template <class T>
  FlagChecks& Require(const absl::Flag<T>& flag, bool ok,
                      absl::string_view rule) {
    if (!ok) Fail(flag, rule, Show(absl::GetFlag(flag)));
    return *this;
  }

  // OK, or InvalidArgument listing every failed check:
  // "--default-timeout: must be more than 0s (got 0)".
  absl::Status status() const;

 private:
  static bool Finite(absl::Duration d) {
    return d != absl::InfiniteDuration() && d != -absl::InfiniteDuration();
  }
  template <class T>
  static bool Finite(T) {
    return true;
  }
  static std::string Show(absl::Duration d) { return absl::FormatDuration(d); }
  static std::string Show(const std::string& s) { return s; }
  static std::string Show(const std::vector<std::string>& v);
  template <class T>
  static std::string Show(T value) {
    return absl::StrCat(value);
  }
  template <class T>
  void Fail(const absl::Flag<T>& flag, absl::string_view rule,
            absl::string_view got) {
    Add(absl::GetFlagReflectionHandle(flag), rule, got);
  }
  void Add(const absl::CommandLineFlag& flag, absl::string_view rule,
           absl::string_view got);
  std::vector<std::string> errors_;
};

}  // namespace acmeva::common

#endif  // COMMON_CLI_H_
