#include "common/grpc_server_limits.h"

#include <grpc/grpc.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_interceptor.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/metrics.h"

ABSL_FLAG(int, grpc_max_streams_per_connection,
          acmeva::common::GrpcServerLimits{}.max_streams_per_connection,
          "gRPC server: concurrent HTTP/2 streams one connection may open");
ABSL_FLAG(int, grpc_max_calls_in_flight,
          acmeva::common::GrpcServerLimits{}.max_calls_in_flight,
          "gRPC server: calls handled at once; more are refused at once "
          "with RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, grpc_memory_limit_mib,
          acmeva::common::GrpcServerLimits{}.memory_limit_bytes >> 20,
          "gRPC server: memory (MiB) for connections and calls: gRPC's "
          "resource quota, and past it on the heap the connection that sent "
          "the most is shut down");
ABSL_FLAG(int, grpc_max_header_bytes,
          acmeva::common::GrpcServerLimits{}.max_metadata_bytes,
          "gRPC server: largest request header block (bytes)");
ABSL_FLAG(absl::Duration, grpc_handshake_timeout,
          acmeva::common::GrpcServerLimits{}.handshake_timeout,
          "gRPC server: a connection must finish TLS and HTTP/2 set-up "
          "within this");

namespace acmeva::common {
namespace {

int ClampMillis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d),
                                            std::numeric_limits<int>::max()));
}

// Counts calls from the moment gRPC hands one to the C++ layer until it is
// destroyed, and refuses those past the cap before a handler runs. gRPC 1.51
// has no server-wide call limit of its own.
class CallLimitInterceptor : public grpc::experimental::Interceptor {
 public:
  CallLimitInterceptor(CallsInFlight* calls,
                       grpc::experimental::ServerRpcInfo* info)
      : calls_(calls), info_(info) {
    over_ =
        calls_->current.fetch_add(1, std::memory_order_relaxed) >= calls_->max;
  }
  ~CallLimitInterceptor() override {
    calls_->current.fetch_sub(1, std::memory_order_relaxed);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (over_ && methods->QueryInterceptionHookPoint(
                     grpc::experimental::InterceptionHookPoints::
                         POST_RECV_INITIAL_METADATA)) {
      over_ = false;  // once
      if (calls_->refused != nullptr) calls_->refused->Add({}, 1);
      grpc_call_cancel_with_status(
          info_->server_context()->c_call(), GRPC_STATUS_RESOURCE_EXHAUSTED,
          "server busy: too many calls in flight (--grpc-max-calls-in-flight)",
          nullptr);
    }
    methods->Proceed();
  }

 private:
  CallsInFlight* const calls_;
  grpc::experimental::ServerRpcInfo* const info_;
  bool over_ = false;
};

class CallLimitFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallLimitFactory(CallsInFlight* calls) : calls_(calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallLimitInterceptor(calls_, info);
  }

 private:
  CallsInFlight* const calls_;
};

}  // namespace

absl::StatusOr<GrpcServerLimits> GrpcServerLimitsFromFlags() {
  GrpcServerLimits limits;
  limits.max_streams_per_connection =
      absl::GetFlag(FLAGS_grpc_max_streams_per_connection);
  limits.max_calls_in_flight = absl::GetFlag(FLAGS_grpc_max_calls_in_flight);
  limits.memory_limit_bytes = absl::GetFlag(FLAGS_grpc_memory_limit_mib) << 20;
  limits.max_metadata_bytes = absl::GetFlag(FLAGS_grpc_max_header_bytes);
  limits.handshake_timeout = absl::GetFlag(FLAGS_grpc_handshake_timeout);
  for (const auto& [value, flag] :
       {std::pair<int64_t, const char*>{limits.max_streams_per_connection,
                                        "grpc-max-streams-per-connection"},
        {limits.max_calls_in_flight, "grpc-max-calls-in-flight"},
        {absl::GetFlag(FLAGS_grpc_memory_limit_mib), "grpc-memory-limit-mib"},
        {limits.max_metadata_bytes, "grpc-max-header-bytes"}}) {
    if (value < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", value, " is less than 1"));
    }
  }
  if (limits.handshake_timeout < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--grpc-handshake-timeout: ",
                     absl::FormatDuration(limits.handshake_timeout),
                     " is shorter than 100ms"));
  }
  return limits;
}

void ApplyGrpcServerLimits(const GrpcServerLimits& limits,
                           grpc::ServerBuilder& builder, CallsInFlight* calls,
                           MetricsRegistry* metrics) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             limits.max_streams_per_connection);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE,
                             limits.max_metadata_bytes);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             ClampMillis(limits.handshake_timeout));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             ClampMillis(limits.max_connection_idle));
  builder.SetMaxReceiveMessageSize(limits.max_receive_message_bytes);
  grpc::ResourceQuota quota("grpc-server");
  quota.Resize(static_cast<size_t>(limits.memory_limit_bytes));
  builder.SetResourceQuota(quota);

  calls->max = limits.max_calls_in_flight;
  if (metrics != nullptr) {
    calls->refused = metrics->Counter(
        "grpc_calls_refused_total",
        "Calls refused with RESOURCE_EXHAUSTED: --grpc-max-calls-in-flight "
        "reached");
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<CallLimitFactory>(calls));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
}

}  // namespace acmeva::common
