// TLS 1.3 as the only protocol version for every TLS connection this process
// makes or accepts, gRPC's included (issue 6: "mTLS on every gRPC hop: TLS
// 1.3").
//
// Why not a gRPC option: gRPC 1.51's public API has no minimum-version
// setter, and its TLS layer (tsi) calls SSL_CTX_set_min_proto_version(ctx,
// TLS1_2_VERSION) on every SSL_CTX it creates, which overrides any
// MinProtocol from OpenSSL's configuration. What that call does not touch are
// the SSL_OP_NO_TLSv1_x option bits, so this installs, in memory, OpenSSL's
// "system_default" SSL configuration (applied by SSL_CTX_new to every new
// context) with "Protocol = -ALL, TLSv1.3", which sets SSL_OP_NO_TLSv1_2 and
// below. No file, environment variable or symbol interposition is involved.
#ifndef COMMON_TLS13_ONLY_H_
#define COMMON_TLS13_ONLY_H_

#include "absl/status/status.h"

namespace acmeva::common {

// Makes every SSL_CTX created afterwards in this process refuse anything
// below TLS 1.3, even after gRPC lowers its minimum to TLS 1.2. Checks the
// result on a scratch SSL_CTX (fails closed if OpenSSL ignored it) and logs
// once. Thread-safe and idempotent: only the first call does the work; later
// calls return its result. Call it before the first TLS connection (the gRPC
// credential factories in common/grpc_tls.h do).
absl::Status RequireTls13Only();

}  // namespace acmeva::common

#endif  // COMMON_TLS13_ONLY_H_
