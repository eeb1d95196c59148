// The TLS flags every program here shares, defined once: --tls-cert,
// --tls-key, --tls-ca and --plaintext for all of them, --tls-reload-interval
// and --tls-client-names for the servers. A program gets the flags by calling
// the function that reads them (the linker pulls in the file that defines
// them), so a client's --help does not list the server-only ones. The name
// expected in a server's certificate stays a flag of each program: it names a
// different peer in each (--remote-server-name, --va-server-name, ...).
#ifndef COMMON_TLS_FLAGS_H_
#define COMMON_TLS_FLAGS_H_

#include "absl/status/statusor.h"
#include "common/grpc_tls.h"

namespace acmeva::common {

// cert, key, ca and plaintext from the flags.
TlsFiles TlsFilesFromFlags();

// The same plus reload_interval and allowed_client_names; an error naming the
// flag when --tls-reload-interval is not whole seconds of at least 1s.
absl::StatusOr<TlsFiles> ServerTlsFilesFromFlags();

}  // namespace acmeva::common

#endif  // COMMON_TLS_FLAGS_H_
