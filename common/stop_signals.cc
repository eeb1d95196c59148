#include "common/stop_signals.h"

#include <pthread.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json_log.h"

namespace acmeva::common {

StopSignals::StopSignals(std::string program) : program_(std::move(program)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int StopSignals::Wait() {
  for (;;) {
    int signal_number = 0;
    if (sigwait(&signals_, &signal_number) != 0) continue;
    if (signal_number != SIGHUP) return signal_number;
    Log("info", absl::StrCat(program_, " ignores SIGHUP"),
        JsonFields().Str(
            "reason",
            "nothing to reload: TLS files are read again every "
            "--tls-reload-interval; other settings need a restart"));
  }
}

}  // namespace acmeva::common
