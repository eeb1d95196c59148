#include "ra/testing/fake_va.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_callback_queue.h"

namespace acmeva::ra::testing {

// One call; kept until the fake is destroyed so that a late Complete()
// (release racing with cancellation) never touches freed memory.
class FakeVa::Reactor : public grpc::ServerUnaryReactor {
 public:
  Reactor(FakeVaCall call, std::function<void(const FakeVaReply&)> fill)
      : call_(std::move(call)), fill_(std::move(fill)) {}

  const FakeVaCall& call() const { return call_; }

  void Complete(const FakeVaReply& reply) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
      if (reply.status.ok()) fill_(reply);
    }
    Finish(reply.status);
  }
  bool finished() const {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  void OnCancel() override {
    Complete(FakeVaReply{std::nullopt,
                         grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"),
                         false});
  }
  void OnDone() override {}

 private:
  const FakeVaCall call_;
  const std::function<void(const FakeVaReply&)> fill_;
  mutable absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class FakeVa::DcvService : public ::va::VA::CallbackService {
 public:
  explicit DcvService(FakeVa* owner) : owner_(owner) {}
  grpc::ServerUnaryReactor* DoDCV(grpc::CallbackServerContext*,
                                  const ::va::PerformValidationRequest* request,
                                  ::va::ValidationResult* response) override {
    FakeVaCall call;
    call.rpc = "DoDCV";
    call.identifier_type = request->identifier().type();
    call.identifier = request->identifier().value();
    call.authz_id = request->authz().id();
    call.account_id = request->authz().regid();
    call.token = request->challenge().token();
    call.challenge_type = request->challenge().type();
    call.key_authorization = request->expectedkeyauthorization();
    const std::string hostname = absl::StartsWith(call.identifier, "*.")
                                     ? call.identifier.substr(2)
                                     : call.identifier;
    return owner_->Handle(call, [response, hostname](const FakeVaReply& r) {
      core::ValidationRecord* record = response->add_records();
      record->set_hostname(hostname);
      record->add_resolveraddrs("127.0.0.1:53");
      if (r.problem) *response->mutable_problem() = *r.problem;
    });
  }

 private:
  FakeVa* owner_;
};

class FakeVa::CaaService : public ::va::CAA::CallbackService {
 public:
  explicit CaaService(FakeVa* owner) : owner_(owner) {}
  grpc::ServerUnaryReactor* DoCAA(grpc::CallbackServerContext*,
                                  const ::va::IsCAAValidRequest* request,
                                  ::va::IsCAAValidResponse* response) override {
    FakeVaCall call;
    call.rpc = "DoCAA";
    call.identifier_type = request->identifier().type();
    call.identifier = request->identifier().value();
    call.authz_id = request->authzid();
    call.account_id = request->accounturiid();
    call.validation_method = request->validationmethod();
    return owner_->Handle(call, [response](const FakeVaReply& r) {
      if (r.problem) *response->mutable_problem() = *r.problem;
    });
  }

 private:
  FakeVa* owner_;
};

std::unique_ptr<FakeVa> FakeVa::Start(const std::string& address) {
  common::KeepGrpcCallbackQueue();
  std::unique_ptr<FakeVa> fake(new FakeVa());
  fake->dcv_service_ = std::make_unique<DcvService>(fake.get());
  fake->caa_service_ = std::make_unique<CaaService>(fake.get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(fake->dcv_service_.get());
  builder.RegisterService(fake->caa_service_.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr || port == 0) return nullptr;
  fake->address_ =
      absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
  return fake;
}

FakeVa::~FakeVa() {
  Shutdown();
  absl::MutexLock lock(&mu_);
  for (Reactor* r : all_) delete r;
}

void FakeVa::SetDcv(Handler handler) {
  absl::MutexLock lock(&mu_);
  dcv_ = std::move(handler);
}

void FakeVa::SetCaa(Handler handler) {
  absl::MutexLock lock(&mu_);
  caa_ = std::move(handler);
}

grpc::ServerUnaryReactor* FakeVa::Handle(
    FakeVaCall call, std::function<void(const FakeVaReply&)> fill) {
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    int nth = 1;
    for (const FakeVaCall& c : calls_) {
      if (c.rpc == call.rpc && c.authz_id == call.authz_id) ++nth;
    }
    call.nth = nth;
    calls_.push_back(call);
    handler = call.rpc == "DoDCV" ? dcv_ : caa_;
  }
  const FakeVaReply reply = handler ? handler(call) : FakeVaReply{};
  auto* reactor = new Reactor(std::move(call), std::move(fill));
  {
    absl::MutexLock lock(&mu_);
    all_.push_back(reactor);
    if (reply.stall) stalled_.push_back(reactor);
  }
  if (!reply.stall) reactor->Complete(reply);
  return reactor;
}

std::vector<FakeVaCall> FakeVa::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeVa::CallCount(const std::string& rpc, int64_t authz_id) const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const FakeVaCall& c : calls_) {
    if (c.rpc == rpc && (authz_id == 0 || c.authz_id == authz_id)) ++n;
  }
  return n;
}

int FakeVa::stalled() const {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (Reactor* r : stalled_) n += r->finished() ? 0 : 1;
  return n;
}

void FakeVa::ReleaseStalled() {
  std::vector<Reactor*> stalled;
  Handler dcv, caa;
  {
    absl::MutexLock lock(&mu_);
    stalled.swap(stalled_);
    dcv = dcv_;
    caa = caa_;
  }
  for (Reactor* r : stalled) {
    const Handler& handler = r->call().rpc == "DoDCV" ? dcv : caa;
    FakeVaReply reply = handler ? handler(r->call()) : FakeVaReply{};
    reply.stall = false;
    r->Complete(reply);
  }
}

void FakeVa::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  // Cancels the calls still open (stalled ones), then waits for them.
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

core::ProblemDetails FakeVa::Problem(const std::string& type,
                                     const std::string& detail,
                                     bool transient) {
  core::ProblemDetails p;
  p.set_problemtype(type);
  p.set_detail(detail);
  p.set_httpstatus(type == "caa" || type == "unauthorized" ? 403 : 400);
  p.set_transient(transient);
  return p;
}

std::string UnusedLoopbackAddress() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 &&
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return absl::StrCat("127.0.0.1:", port);
}

}  // namespace acmeva::ra::testing
