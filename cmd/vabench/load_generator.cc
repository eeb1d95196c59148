#include "cmd/vabench/load_generator.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/lib/boulder_2023_request.h"
#include "bench/lib/outcome.h"
#include "proto/va.grpc.pb.h"

namespace acmeva::vabench {
namespace {

absl::string_view CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN_CODE";
  }
}

// Boulder's service is also `va.VA`, so it cannot be generated beside ours:
// its method is called by name with the messages of
// bench/proto/boulder_2023_va.proto.
using Boulder2023Stub =
    grpc::TemplatedGenericStub<boulder_2023::PerformValidationRequest,
                               boulder_2023::ValidationResult>;

const std::string& Boulder2023Method() {
  static const auto* method =
      new std::string(bench::kBoulder2023PerformValidation);
  return *method;
}

int64_t MicrosSince(absl::Time start) {
  return absl::ToInt64Microseconds(absl::Now() - start);
}

// Shared by the launching thread and gRPC's callback threads.
class Tracker {
 public:
  Tracker(int64_t expected, int limit) : limit_(limit) {
    latency_us_.reserve(static_cast<size_t>(expected));
  }

  // Blocks until fewer than `limit` validations are in flight, then takes a
  // slot.
  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Tracker::HasRoom));
    ++in_flight_;
    if (in_flight_ > max_in_flight_) max_in_flight_ = in_flight_;
  }

  // Gives back a slot that launched nothing.
  void Release() {
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }

  void RecordRpc(bool dcv, int64_t us) {
    absl::MutexLock lock(&mu_);
    ++rpcs_;
    (dcv ? dcv_latency_us_ : caa_latency_us_).push_back(us);
  }

  void Finish(int64_t us, const std::string& outcome) {
    absl::MutexLock lock(&mu_);
    latency_us_.push_back(us);
    ++outcomes_[outcome];
    ++completed_;
    --in_flight_;
  }

  // Waits for every launched validation. Bounded: each RPC has a deadline.
  void AwaitIdle() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int64_t* in_flight) { return *in_flight == 0; }, &in_flight_));
  }

  void MoveInto(LoadResult* result) {
    absl::MutexLock lock(&mu_);
    result->completed = completed_;
    result->rpcs = rpcs_;
    result->max_in_flight = max_in_flight_;
    result->latency_us = std::move(latency_us_);
    result->dcv_latency_us = std::move(dcv_latency_us_);
    result->caa_latency_us = std::move(caa_latency_us_);
    result->outcomes = std::move(outcomes_);
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ < limit_;
  }

  const int64_t limit_;
  absl::Mutex mu_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t max_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rpcs_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int64_t> latency_us_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> dcv_latency_us_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> caa_latency_us_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> outcomes_ ABSL_GUARDED_BY(mu_);
};

// One validation: its requests, responses and contexts live until the last
// callback, which deletes it.
class Validation {
 public:
  Validation(::va::VA::Stub* va, ::va::CAA::Stub* caa, Boulder2023Stub* boulder,
             Tracker* tracker, const LoadOptions& options,
             bench::BenchName name)
      : va_(va),
        caa_(caa),
        boulder_(boulder),
        tracker_(tracker),
        api_(options.api),
        mode_(options.mode),
        deadline_(options.deadline),
        name_(std::move(name)) {}

  void Start() {
    start_ = absl::Now();
    if (api_ == Api::kBoulder2023) {
      StartBoulder2023();
    } else if (mode_ == bench::Mode::kCaa) {
      StartCaa();
    } else {
      StartDcv();
    }
  }

 private:
  void StartDcv() {
    dcv_req_.mutable_identifier()->set_type("dns");
    dcv_req_.mutable_identifier()->set_value(name_.name);
    core::Challenge* chall = dcv_req_.mutable_challenge();
    chall->set_id(name_.authz_id);
    chall->set_type("dns-01");
    chall->set_status("pending");
    chall->set_token(name_.token);
    chall->set_url(absl::StrCat("https://acme.example/chall/", name_.authz_id));
    dcv_req_.mutable_authz()->set_id(name_.authz_id);
    dcv_req_.mutable_authz()->set_regid(name_.reg_id);
    dcv_req_.set_expectedkeyauthorization(name_.key_authorization);
    dcv_ctx_.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    const absl::Time sent = absl::Now();
    va_->async()->DoDCV(&dcv_ctx_, &dcv_req_, &dcv_resp_,
                        [this, sent](grpc::Status status) {
                          tracker_->RecordRpc(true, MicrosSince(sent));
                          OnDcv(std::move(status));
                        });
  }

  void OnDcv(grpc::Status status) {
    std::string outcome =
        status.ok()
            ? bench::OutcomeKey("", dcv_resp_.problem().problemtype(),
                                dcv_resp_.problem().transient())
            : bench::OutcomeKey(CodeName(status.error_code()), "", false);
    // An RA checks CAA only once the challenge is satisfied.
    if (mode_ == bench::Mode::kBoth && bench::IsValid(outcome)) {
      StartCaa();
      return;
    }
    Done(outcome);
  }

  void StartCaa() {
    caa_req_.mutable_identifier()->set_type("dns");
    caa_req_.mutable_identifier()->set_value(name_.name);
    caa_req_.set_validationmethod("dns-01");
    caa_req_.set_accounturiid(name_.reg_id);
    caa_req_.set_authzid(name_.authz_id);
    caa_ctx_.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    const absl::Time sent = absl::Now();
    caa_->async()->DoCAA(
        &caa_ctx_, &caa_req_, &caa_resp_, [this, sent](grpc::Status status) {
          tracker_->RecordRpc(false, MicrosSince(sent));
          Done(status.ok()
                   ? bench::OutcomeKey("", caa_resp_.problem().problemtype(),
                                       caa_resp_.problem().transient())
                   : bench::OutcomeKey(CodeName(status.error_code()), "",
                                       false));
        });
  }

  // One call validates the challenge and checks CAA; its latency is counted
  // as the DCV call's.
  void StartBoulder2023() {
    boulder_req_ = bench::Boulder2023Request(name_);
    dcv_ctx_.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    const absl::Time sent = absl::Now();
    boulder_->UnaryCall(
        &dcv_ctx_, Boulder2023Method(), grpc::StubOptions(), &boulder_req_,
        &boulder_resp_, [this, sent](grpc::Status status) {
          tracker_->RecordRpc(true, MicrosSince(sent));
          Done(status.ok() ? bench::Boulder2023Outcome(boulder_resp_)
                           : bench::OutcomeKey(CodeName(status.error_code()),
                                               "", false));
        });
  }

  void Done(const std::string& outcome) {
    Tracker* tracker = tracker_;
    const int64_t us = MicrosSince(start_);
    delete this;  // nothing of this object is touched below
    tracker->Finish(us, outcome);
  }

  ::va::VA::Stub* va_;
  ::va::CAA::Stub* caa_;
  Boulder2023Stub* boulder_;
  Tracker* tracker_;
  Api api_;
  bench::Mode mode_;
  absl::Duration deadline_;
  bench::BenchName name_;
  absl::Time start_;
  grpc::ClientContext dcv_ctx_;
  ::va::PerformValidationRequest dcv_req_;
  ::va::ValidationResult dcv_resp_;
  grpc::ClientContext caa_ctx_;
  ::va::IsCAAValidRequest caa_req_;
  ::va::IsCAAValidResponse caa_resp_;
  boulder_2023::PerformValidationRequest boulder_req_;
  boulder_2023::ValidationResult boulder_resp_;
};

}  // namespace

LoadResult RunLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                   const std::function<bench::BenchName(int64_t)>& name_at,
                   const LoadOptions& options) {
  std::vector<std::unique_ptr<::va::VA::Stub>> va_stubs;
  std::vector<std::unique_ptr<::va::CAA::Stub>> caa_stubs;
  std::vector<std::unique_ptr<Boulder2023Stub>> boulder_stubs;
  for (const auto& channel : channels) {
    va_stubs.push_back(::va::VA::NewStub(channel));
    caa_stubs.push_back(::va::CAA::NewStub(channel));
    boulder_stubs.push_back(std::make_unique<Boulder2023Stub>(channel));
  }
  Tracker tracker(options.total, std::max(1, options.concurrency));
  LoadResult result;
  const absl::Time start = absl::Now();
  const absl::Time stop_launching = start + options.max_duration;
  for (int64_t i = 0; i < options.total; ++i) {
    if (options.rate > 0) {
      const absl::Time due =
          start + absl::Seconds(static_cast<double>(i) / options.rate);
      const absl::Time now = absl::Now();
      if (due > now) absl::SleepFor(due - now);
    }
    tracker.Acquire();
    if (absl::Now() >= stop_launching) {
      tracker.Release();
      result.stopped_early = true;
      break;
    }
    const size_t c = static_cast<size_t>(i) % channels.size();
    (new Validation(va_stubs[c].get(), caa_stubs[c].get(),
                    boulder_stubs[c].get(), &tracker, options, name_at(i)))
        ->Start();
    ++result.launched;
  }
  tracker.AwaitIdle();
  result.elapsed = absl::Now() - start;
  tracker.MoveInto(&result);
  return result;
}

}  // namespace acmeva::vabench
