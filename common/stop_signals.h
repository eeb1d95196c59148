// Shutdown by sigwait(): the stop signals are blocked in every thread and
// taken by one ordinary thread, so what a program does on SIGTERM (drain,
// log, stop servers) runs outside a signal handler and may take locks. A
// handler may only do async-signal-safe work; absl::Notification::Notify()
// takes a mutex and is not.
#ifndef COMMON_STOP_SIGNALS_H_
#define COMMON_STOP_SIGNALS_H_

#include <signal.h>

#include <string>

namespace acmeva::common {

class StopSignals {
 public:
  // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in every
  // thread it starts later: construct it first thing in main(), before any
  // library starts a thread. Also ignores SIGPIPE (a peer that hangs up on a
  // socket must not kill the process).
  explicit StopSignals(std::string program);

  // Blocks until SIGTERM or SIGINT arrives and returns it. SIGHUP is logged
  // and ignored: a terminal hanging up (or an operator's `kill -HUP` out of
  // habit) must not kill a server with validations in flight, and nothing
  // waits for a reload signal here (the TLS files are reloaded on their own
  // every --tls-reload-interval; other settings need a restart).
  int Wait();

 private:
  std::string program_;
  sigset_t signals_;
};

}  // namespace acmeva::common

#endif  // COMMON_STOP_SIGNALS_H_
