#include "common/program.h"

#include <string>

#include "absl/synchronization/mutex.h"
#include "common/cli.h"
#include "common/json_log.h"
#include "common/library_logs.h"

namespace acmeva::common {

void StartProgram(absl::string_view usage) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  SetUsage(usage);
  RouteLibraryLogsToJson();
}

int StartFailed(std::string_view message) {
  Log("error", message);
  return kExitStartFailed;
}

int StartFailed(const absl::Status& status) {
  return StartFailed(std::string(status.message()));
}

}  // namespace acmeva::common
