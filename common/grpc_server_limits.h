// The limits every gRPC server here (VA and RA) runs with, in one place, so
// one hostile or broken client cannot take the process's memory or
// descriptors: streams per connection, calls in flight, a memory quota,
// header and message sizes, and how long a connection may sit in its
// handshake or idle. Flags (--grpc-...) so operators can size them; the
// defaults carry the outage benchmark (10,000 calls in flight on one
// connection).
#ifndef COMMON_GRPC_SERVER_LIMITS_H_
#define COMMON_GRPC_SERVER_LIMITS_H_

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class ServerBuilder;
}  // namespace grpc

namespace acmeva::common {

class MetricsRegistry;
class MetricFamily;

struct GrpcServerLimits {
  // HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: a client opening more on one
  // connection loses the connection; gRPC clients queue them instead.
  int max_streams_per_connection = 16384;
  // Calls past this many in the server at once are refused at once with
  // RESOURCE_EXHAUSTED (all connections together).
  int max_calls_in_flight = 16384;
  // gRPC's resource quota, and the heap size past which the heaviest
  // connection is shed (common/connection_guard.h).
  int64_t memory_limit_bytes = int64_t{1} << 30;
  // Sum of one request's header names and values.
  int max_metadata_bytes = 16 * 1024;
  // A request is well under 1 KiB; gRPC's default (4 MiB) would let any
  // caller make the server buffer megabytes per call.
  int max_receive_message_bytes = 64 * 1024;
  // A connection that has not finished TLS and sent its HTTP/2 SETTINGS by
  // then is closed (gRPC's default is 120 s: a cheap way to hold sockets).
  absl::Duration handshake_timeout = absl::Seconds(20);
  // A connection with no call for this long is closed (clients reconnect).
  absl::Duration max_connection_idle = absl::Minutes(10);
};

// The limits from the --grpc-* flags, checked (each at least 1).
absl::StatusOr<GrpcServerLimits> GrpcServerLimitsFromFlags();

// Calls in the server now, and the cap; shared by a server's interceptors.
struct CallsInFlight {
  std::atomic<int64_t> current{0};
  int64_t max = 0;
  MetricFamily* refused = nullptr;  // counter, may be null
};

// Applies `limits` to `builder` (channel arguments, resource quota, and an
// interceptor counting calls in `calls`, which must outlive the server).
// `metrics` (may be null) gets grpc_calls_refused_total.
void ApplyGrpcServerLimits(const GrpcServerLimits& limits,
                           grpc::ServerBuilder& builder, CallsInFlight* calls,
                           MetricsRegistry* metrics);

}  // namespace acmeva::common

#endif  // COMMON_GRPC_SERVER_LIMITS_H_
