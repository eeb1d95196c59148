// The real VA or RA as a process under a lowered descriptor limit, for the
// hardening tests (descriptor, stream and call floods; TLS files broken at
// reload): started with `prlimit --nofile=100:200` (the program raises its
// soft limit to the hard one, 200), plaintext or with mutual TLS from a PKI
// the test makes with the openssl CLI, and a client that makes one call the
// service's handler answers, asks the health service, reads /metrics and
// the process's RSS.
#ifndef TEST_INTEGRATION_HARDENED_SERVER_H_
#define TEST_INTEGRATION_HARDENED_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "test/integration/harness.h"

namespace acmeva::testing_harness {

// A directory with ca.pem, server.pem/.key (localhost, 127.0.0.1) and
// client.pem/.key (ra.example), made once per process. Also raises this
// process's soft descriptor limit: the tests hold hundreds of sockets.
const std::string& TestPkiDir();
std::string PkiPath(const std::string& file);  // TestPkiDir() + "/" + file

// Runs `cmd` in a shell, output discarded; true on exit status 0.
bool Sh(const std::string& cmd);

// A blocking loopback TCP connection to `port`, or -1.
int ConnectTcp(int port);

struct Target {
  std::string name;     // also the log file's name
  std::string program;  // "va" or "ra"
  bool tls;
};

class HardenedServer {
 public:
  // `tls_dir` holds server.pem, server.key and ca.pem (default: the PKI's).
  absl::Status Start(const Target& target,
                     const std::vector<std::string>& extra_flags = {},
                     std::string tls_dir = "");
  // A new channel (its own connection).
  std::shared_ptr<grpc::Channel> NewChannel();
  // One call that the service's handler answers: the VA refuses an empty
  // request (INVALID_ARGUMENT), the RA knows no authorization 424242
  // (NOT_FOUND). A wedged listener gives DEADLINE_EXCEEDED instead.
  grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel,
                    absl::Duration timeout = absl::Seconds(5));
  static bool Answered(const grpc::Status& s);
  // The standard health service's overall status: 1 SERVING, 2 NOT_SERVING,
  // -1 on a failed call.
  int Health(const std::shared_ptr<grpc::Channel>& channel);
  std::string Metrics();  // the VA's /metrics; "" on failure
  int64_t RssKiB();       // -1 if unknown

  int port() const { return port_; }
  Process& process() { return process_; }

 private:
  Target target_;
  Process process_;
  int port_ = 0;
  int metrics_port_ = 0;
  int channels_ = 0;
};

}  // namespace acmeva::testing_harness

#endif  // TEST_INTEGRATION_HARDENED_SERVER_H_
