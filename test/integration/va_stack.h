// A dnstestsrv and a va started as real processes on loopback, with helpers
// to program the DNS server and call the VA over gRPC. Shared by the
// integration tests.
#ifndef TEST_INTEGRATION_VA_STACK_H_
#define TEST_INTEGRATION_VA_STACK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/va.grpc.pb.h"
#include "test/integration/harness.h"

namespace acmeva::testing_harness {

struct VaStackOptions {
  // Extra flags for va (e.g. "--dns-tries=2").
  std::vector<std::string> va_flags;
  // Resolvers for the VA; empty = the stack's dnstestsrv.
  std::vector<std::string> resolvers;
  bool start_dns = true;
  // Extra flags for dnstestsrv (e.g. "--records=FILE").
  std::vector<std::string> dns_flags;
};

class VaStack {
 public:
  // Starts dnstestsrv (if asked) and va; waits until both listen.
  absl::Status Start(const VaStackOptions& options = {});
  // Kills dnstestsrv (SIGKILL) and starts it again on the same ports with
  // the same flags, after `down_for`.
  absl::Status RestartDns(absl::Duration down_for);
  // Starts (or restarts) only the VA with different flags.
  absl::Status StartVa(const std::vector<std::string>& flags,
                       std::vector<std::string> resolvers = {});

  int dns_port() const { return dns_port_; }
  int mgmt_port() const { return mgmt_port_; }
  int va_port() const { return va_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string dns_addr() const;
  const std::string& dir() const { return dir_; }
  Process& va() { return va_; }
  Process& dns() { return dns_; }

  // POSTs to the dnstestsrv management API; fails the status on non-200.
  absl::Status Dns(const std::string& path, const std::string& json);
  // Number of queries in dnstestsrv's history for `host` (and `qtype` if
  // not empty).
  int QueryCount(const std::string& host, const std::string& qtype = "");

  ::va::VA::Stub& va_stub() { return *va_stub_; }
  ::va::CAA::Stub& caa_stub() { return *caa_stub_; }

  // Calls with a deadline of `timeout` from now.
  grpc::Status DoDCV(const std::string& identifier,
                     const std::string& key_authz, ::va::ValidationResult* out,
                     absl::Duration timeout = absl::Seconds(10));
  grpc::Status DoCAA(const std::string& identifier, const std::string& method,
                     int64_t account, ::va::IsCAAValidResponse* out,
                     absl::Duration timeout = absl::Seconds(10));

 private:
  absl::Status StartDns();
  std::string dir_;
  std::vector<std::string> dns_flags_;
  Process dns_;
  Process va_;
  int dns_port_ = 0;
  int mgmt_port_ = 0;
  int va_port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<::va::VA::Stub> va_stub_;
  std::unique_ptr<::va::CAA::Stub> caa_stub_;
};

// A key authorization and the TXT value that satisfies it.
struct KeyAuthz {
  std::string key_authorization;
  std::string txt;
};
KeyAuthz MakeKeyAuthz(int seed);

}  // namespace acmeva::testing_harness

#endif  // TEST_INTEGRATION_VA_STACK_H_
