#include "ra/testing/ra_harness.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_callback_queue.h"

namespace acmeva::ra::testing {

RunnerOptions RaHarnessOptions::FastRunnerOptions() {
  RunnerOptions options;
  options.va_timeout = absl::Seconds(2);
  options.sweep_interval = absl::Milliseconds(100);
  options.policy.initial_backoff = absl::Milliseconds(100);
  options.policy.max_backoff = absl::Seconds(1);
  options.policy.window = absl::Seconds(10);
  return options;
}

absl::StatusOr<std::unique_ptr<RaHarness>> RaHarness::Start(
    RaHarnessOptions options) {
  std::unique_ptr<RaHarness> h(new RaHarness());
  SqliteStore::Options store_options;
  store_options.path = options.db_path;
  auto store = SqliteStore::Open(store_options);
  if (!store.ok()) return store.status();
  h->store_ = *std::move(store);

  GrpcVaClientOptions va_options;
  va_options.addresses = options.va_addresses;
  va_options.credentials = grpc::InsecureChannelCredentials();
  va_options.reconnect_wait = absl::Milliseconds(300);
  auto va = NewGrpcVaClient(va_options);
  if (!va.ok()) return va.status();
  h->va_ = *std::move(va);

  h->scheduler_ = std::make_unique<Scheduler>(options.workers);
  h->waiters_ = std::make_unique<AuthzWaiters>();
  AuthzWaiters* waiters = h->waiters_.get();
  h->runner_ = std::make_unique<ValidationRunner>(
      h->store_.get(), h->va_.get(), h->scheduler_.get(), options.runner,
      [waiters](int64_t id) { waiters->Notify(id); });
  h->service_ = std::make_unique<RaService>(h->store_.get(), h->runner_.get(),
                                            h->scheduler_.get(), waiters,
                                            options.service);

  common::KeepGrpcCallbackQueue();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(h->service_.get());
  h->server_ = builder.BuildAndStart();
  if (h->server_ == nullptr || port == 0) {
    return absl::UnavailableError("cannot start the RA server");
  }
  h->address_ = absl::StrCat("127.0.0.1:", port);
  h->stub_ = ::ra::RA::NewStub(
      grpc::CreateChannel(h->address_, grpc::InsecureChannelCredentials()));
  if (absl::Status s = h->runner_->Start(); !s.ok()) return s;
  return h;
}

void RaHarness::Drain(absl::Duration timeout) {
  if (stopped_) return;
  stopped_ = true;
  service_->StartShutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + timeout));
  runner_->Drain(timeout);
}

RaHarness::~RaHarness() {
  if (!stopped_) {
    stopped_ = true;
    service_->StartShutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now()));
    runner_->Abandon();
  }
  stub_.reset();
  server_.reset();
  service_.reset();
  runner_.reset();
  va_.reset();
  scheduler_.reset();
  waiters_.reset();
  store_.reset();
}

}  // namespace acmeva::ra::testing
