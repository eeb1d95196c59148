// Helpers for integration tests that run the real programs (va, ra,
// dnstestsrv, vactl, unbound) as processes on loopback ports picked at run
// time. Every process started is killed when its handle goes away, also when
// a test fails.
#ifndef TEST_INTEGRATION_HARNESS_H_
#define TEST_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace acmeva::testing_harness {

// A loopback port that was free a moment ago (bound to port 0, then closed).
// `udp_too` also checks the same UDP port is free, for DNS servers.
int FreePort(bool udp_too = false);

// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to 127.0.0.1:port
// (0 = any free port), or -1. The caller owns (and closes) it.
int BindLoopback(int type, int port, bool reuse_addr = false);
// The local port a socket is bound to, or -1.
int LocalPort(int fd);

// A fresh temporary directory. It is left in place so that the logs of the
// processes started in it can be read after a failure.
std::string TempDir(const std::string& prefix);

class Process {
 public:
  Process() = default;
  // Starts `argv[0]` with its output appended to `log_path`.
  static absl::StatusOr<Process> Start(std::vector<std::string> argv,
                                       std::string log_path);
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM, then SIGKILL after `grace`; returns the exit status as
  // waitpid reports it (or -1).
  int Stop(absl::Duration grace = absl::Seconds(5));
  void Kill9();
  // Waits for the process to exit on its own.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;

 private:
  // Waits up to `timeout` for the process to exit; true (and `*status`) if
  // it did.
  bool ReapWithin(absl::Duration timeout, int* status);
  pid_t pid_ = -1;
  std::string log_path_;
};

// Waits until a TCP connect to 127.0.0.1:port succeeds.
absl::Status WaitForTcpPort(int port, absl::Duration timeout);

// Lines of the file at `path` that contain `needle` (0 if it cannot be read).
int CountInFile(const std::string& path, const std::string& needle);

// A server's command line on ports picked just now, and the line it logs
// once it listens on them (its own line: a connect could reach whoever took
// the port instead).
struct Launch {
  std::vector<std::string> argv;
  std::string ready;
};
// Starts the server `launch` describes and waits up to `timeout` for its
// `ready` line. A port picked by FreePort() can be taken by another process
// (another test's server, any connection's local port) before the server
// binds it; the server then exits, and is started again from a fresh
// `launch()` (3 tries, one log). Fails if it runs but is not ready in time.
absl::StatusOr<Process> StartListening(
    absl::FunctionRef<Launch()> launch, const std::string& log_path,
    absl::Duration timeout = absl::Seconds(10));

// Runs a command to completion, capturing stdout; stderr goes to the log.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         absl::Duration timeout = absl::Seconds(60));

// POSTs a JSON body to http://127.0.0.1:port/path; returns the status code
// and body.
struct HttpReply {
  int status = 0;
  std::string body;
};
absl::StatusOr<HttpReply> HttpPost(int port, const std::string& path,
                                   const std::string& json_body);
absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path);

// Absolute path of a built program (from the build-time definitions).
std::string ProgramPath(const std::string& name);

// A zone Unbound forwards (as a stub zone) to a DNS server on 127.0.0.1.
struct UnboundStubZone {
  std::string name;
  int port = 0;
};

// Starts Debian's Unbound on 127.0.0.1:`port` with its files in `dir`: the
// loopback settings every test needs (toolchain.md §5: do-not-query-localhost
// off, or a 127.0.0.1 stub is silently unused), then the test's own
// `server_lines` ("  key: value\n" each: modules, local zones, caches, trust
// anchors), then `stubs`. Returns once it listens on TCP (its UDP listener
// comes up with it); an error carries Unbound's log.
absl::StatusOr<Process> StartLoopbackUnbound(
    const std::string& dir, int port, const std::string& server_lines,
    const std::vector<UnboundStubZone>& stubs);

}  // namespace acmeva::testing_harness

#endif  // TEST_INTEGRATION_HARNESS_H_
