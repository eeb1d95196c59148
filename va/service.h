// The gRPC face of the VA: va.VA/DoDCV and va.CAA/DoCAA on the callback API.
// Handlers validate the request, start the asynchronous check and return at
// once; the DNS side finishes the reactor (a blocking handler would stall
// every other call, see toolchain.md §6).
#ifndef VA_SERVICE_H_
#define VA_SERVICE_H_

#include <string>

#include "absl/time/time.h"
#include "common/metrics.h"
#include "proto/va.grpc.pb.h"
#include "va/caa.h"
#include "va/corroborator.h"
#include "va/deadline.h"
#include "va/dns/resolver.h"
#include "va/dns/resolver_health.h"
#include "va/in_flight_validations.h"

namespace acmeva::va {

struct ServiceConfig {
  std::string perspective = "Primary";
  std::string rir;
  CaaConfig caa;
  DeadlineConfig deadline;
  // Below this much time left nothing useful can be done: DEADLINE_EXCEEDED.
  absl::Duration min_work_time = absl::Milliseconds(50);
};

// State shared by both services. Not owned: resolver, corroborator (may be
// null: no remote perspectives), metrics, in_flight (may be null).
struct ServiceDeps {
  dns::Resolver* resolver = nullptr;
  Corroborator* corroborator = nullptr;
  common::MetricsRegistry* metrics = nullptr;
  // The DNSSEC canary's verdicts; null: --dnssec-canary=off.
  const dns::ResolverHealth* dnssec_health = nullptr;
  // Every validation between its start and its answer, for the drain.
  InFlightValidations* in_flight = nullptr;
  ServiceConfig config;
};

class ValidationMetrics;

class VaService final : public ::va::VA::CallbackService {
 public:
  explicit VaService(ServiceDeps deps);
  ~VaService() override;
  grpc::ServerUnaryReactor* DoDCV(grpc::CallbackServerContext* ctx,
                                  const ::va::PerformValidationRequest* req,
                                  ::va::ValidationResult* resp) override;

 private:
  ServiceDeps deps_;
  std::unique_ptr<ValidationMetrics> metrics_;
};

class CaaService final : public ::va::CAA::CallbackService {
 public:
  explicit CaaService(ServiceDeps deps);
  ~CaaService() override;
  grpc::ServerUnaryReactor* DoCAA(grpc::CallbackServerContext* ctx,
                                  const ::va::IsCAAValidRequest* req,
                                  ::va::IsCAAValidResponse* resp) override;

 private:
  ServiceDeps deps_;
  std::unique_ptr<ValidationMetrics> metrics_;
};

}  // namespace acmeva::va

#endif  // VA_SERVICE_H_
