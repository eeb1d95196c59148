// A fake VA for tests: serves va.VA/DoDCV and va.CAA/DoCAA over real gRPC on
// loopback, answers from a scripted handler, records every call, and can
// hold calls open (a stalled VA) until they are cancelled or released.
#ifndef RA_TESTING_FAKE_VA_H_
#define RA_TESTING_FAKE_VA_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/va.grpc.pb.h"

namespace acmeva::ra::testing {

struct FakeVaCall {
  std::string rpc;  // "DoDCV" or "DoCAA"
  std::string identifier_type;
  std::string identifier;
  int64_t authz_id = 0;
  int64_t account_id = 0;
  std::string token;              // DoDCV
  std::string key_authorization;  // DoDCV
  std::string challenge_type;     // DoDCV
  std::string validation_method;  // DoCAA
  int nth = 0;  // 1-based count of this rpc for this authz, this one included
};

struct FakeVaReply {
  std::optional<core::ProblemDetails> problem;  // none: passed
  grpc::Status status = grpc::Status::OK;       // non-OK: an RPC error
  bool stall = false;  // hold the call until cancelled or ReleaseStalled()
};

class FakeVa {
 public:
  using Handler = std::function<FakeVaReply(const FakeVaCall&)>;

  // Listens on 127.0.0.1:<free port> (or `address`).
  static std::unique_ptr<FakeVa> Start(
      const std::string& address = "127.0.0.1:0");
  ~FakeVa();

  std::string address() const { return address_; }
  // Default handlers pass everything.
  void SetDcv(Handler handler);
  void SetCaa(Handler handler);

  std::vector<FakeVaCall> calls() const;
  int CallCount(const std::string& rpc, int64_t authz_id = 0) const;
  int stalled() const;
  // Answers every stalled call with what the handler says now (stall is
  // ignored).
  void ReleaseStalled();
  // Stops serving (a VA that went down); stalled calls are cancelled.
  void Shutdown();

  // Convenience problems.
  static core::ProblemDetails Problem(const std::string& type,
                                      const std::string& detail,
                                      bool transient);

 private:
  class DcvService;
  class CaaService;
  class Reactor;

  FakeVa() = default;
  // Records the call, asks the handler and answers (or stalls).
  grpc::ServerUnaryReactor* Handle(
      FakeVaCall call, std::function<void(const FakeVaReply&)> fill);

  std::string address_;
  std::unique_ptr<DcvService> dcv_service_;
  std::unique_ptr<CaaService> caa_service_;
  std::unique_ptr<grpc::Server> server_;

  mutable absl::Mutex mu_;
  Handler dcv_ ABSL_GUARDED_BY(mu_);
  Handler caa_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeVaCall> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<Reactor*> stalled_ ABSL_GUARDED_BY(mu_);
  std::vector<Reactor*> all_ ABSL_GUARDED_BY(mu_);  // freed with the fake
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// A loopback address on which nothing listens (a VA that is down).
std::string UnusedLoopbackAddress();

}  // namespace acmeva::ra::testing

#endif  // RA_TESTING_FAKE_VA_H_
