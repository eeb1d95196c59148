// The whole validation path as real processes on loopback: one dnstestsrv,
// one or more va, one ra on a SQLite file, and vactl run as a subprocess.
// Used by the end-to-end tests; every process is stopped when the stack goes
// away, also when a test fails.
#ifndef TEST_INTEGRATION_RA_STACK_H_
#define TEST_INTEGRATION_RA_STACK_H_

#include <google/protobuf/struct.pb.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/ra.grpc.pb.h"
#include "test/integration/harness.h"

namespace acmeva::testing_harness {

struct RaStackOptions {
  int va_count = 1;
  // Extra flags for every va (e.g. "--dns-tries=2").
  std::vector<std::string> va_flags;
  // Extra flags for ra (e.g. "--revalidation-initial-backoff=1s").
  std::vector<std::string> ra_flags;
};

class RaStack {
 public:
  RaStack() = default;
  RaStack(const RaStack&) = delete;
  RaStack& operator=(const RaStack&) = delete;
  // Stops the RA first, so it records nothing against dead VAs.
  ~RaStack();

  // Starts dnstestsrv, the VAs and the RA; waits until all listen.
  absl::Status Start(const RaStackOptions& options);
  // Starts the RA again on the same database (on a new port), e.g. after
  // Kill9 of the previous one.
  absl::Status StartRa();

  // Starts VA `i` again on its old port (after Kill9), with the same flags.
  absl::Status RestartVa(int i);
  // Removes the directory (logs, database) once the processes stopped; by
  // default it is kept for post-mortems.
  void DiscardDirOnStop() { keep_dir_ = false; }

  Process& dns() { return dns_; }
  Process& va(int i) { return *vas_[static_cast<size_t>(i)]; }
  Process& ra() { return ra_; }
  const std::string& dir() const { return dir_; }
  const std::string& db_path() const { return db_path_; }
  std::string dns_addr() const;
  std::string ra_addr() const;

  // ---- dnstestsrv management API (fails the status on non-200) ----
  absl::Status Dns(const std::string& path, const std::string& json);
  absl::Status SetTxt(const std::string& host, const std::string& value);
  absl::Status AddCaa(const std::string& host, const std::string& tag,
                      const std::string& value);
  // `count` 0 = unlimited.
  absl::Status SetFault(const std::string& host, const std::string& type,
                        const std::string& mode, int count = 0,
                        int delay_ms = 0);
  // Queries dnstestsrv saw for `host` of type `qtype`.
  int QueryCount(const std::string& host, const std::string& qtype);

  // ---- vactl ----
  // Runs `vactl --ra <addr> --plaintext args...`.
  CommandResult Vactl(const std::vector<std::string>& args,
                      absl::Duration timeout = absl::Seconds(60));
  // The same, requiring exit 0 and one JSON object on stdout.
  absl::StatusOr<google::protobuf::Struct> VactlJson(
      const std::vector<std::string>& args,
      absl::Duration timeout = absl::Seconds(60));

  // ---- the RA over gRPC, for load the vactl process per call can't make.
  ::ra::RA::Stub& ra_stub() { return *ra_stub_; }

  // "tail" of every process log, for failure messages.
  std::string Logs() const;

 private:
  RaStackOptions options_;
  std::string dir_;
  std::string db_path_;
  Process dns_;
  std::vector<std::unique_ptr<Process>> vas_;
  std::vector<std::vector<std::string>> va_argvs_;
  std::vector<int> va_ports_;
  Process ra_;
  int dns_port_ = 0;
  int mgmt_port_ = 0;
  int ra_port_ = 0;
  bool keep_dir_ = true;
  std::unique_ptr<::ra::RA::Stub> ra_stub_;
};

// A 43-character base64url JWK thumbprint (RFC 7638 shape) the tests use as
// the ACME account key's.
extern const char kThumbprint[];

// token "." kThumbprint, and the TXT value that proves it.
std::string KeyAuthorization(const std::string& token);
std::string TxtFor(const std::string& key_authorization);

// ---- reading vactl's ACME JSON ----
// Member `key` of `object`, or nullptr.
const google::protobuf::Value* Member(const google::protobuf::Struct& object,
                                      const std::string& key);
// String member, or "" when absent or not a string.
std::string StrMember(const google::protobuf::Struct& object,
                      const std::string& key);
// The first (only) challenge of an authorization; empty when absent.
google::protobuf::Struct Challenge(const google::protobuf::Struct& authz);

// Runs one read-only SQL query on the SQLite file at `path` (e.g. the RA's
// database) and returns every row's columns as text ("" for NULL).
absl::StatusOr<std::vector<std::vector<std::string>>> SqliteQuery(
    const std::string& path, const std::string& sql);

}  // namespace acmeva::testing_harness

#endif  // TEST_INTEGRATION_RA_STACK_H_
