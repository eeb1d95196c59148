// What every server's main does first, and how it reports a start-up error.
#ifndef COMMON_PROGRAM_H_
#define COMMON_PROGRAM_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace acmeva::common {

// Turns off absl's mutex deadlock detection (Debian's absl is built without
// NDEBUG, so every absl::Mutex, gRPC's included, would run it: about 9% of
// the VA's CPU), sets the --help text so that --help lists the program's
// flags (cli.h SetUsage), and routes gRPC's and protobuf's own log lines
// through the JSON logger (library_logs.h). Call before flags are parsed.
void StartProgram(absl::string_view usage);

// Logs a start-up error as one JSON line and returns the exit status for it.
int StartFailed(std::string_view message);
int StartFailed(const absl::Status& status);

// Exit status of a start-up error (bad flags, unusable files or addresses).
inline constexpr int kExitStartFailed = 2;
// Exit status when the drain ran out of time and calls were abandoned.
inline constexpr int kExitDrainExpired = 3;

}  // namespace acmeva::common

#endif  // COMMON_PROGRAM_H_
