// The servers' TLS flags, in their own file so that only programs that call
// ServerTlsFilesFromFlags() define (and list in --help) them.
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/cli.h"
#include "common/tls_flags.h"

ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "How often --tls-cert, --tls-key and --tls-ca are read again: "
          "rotate certificates by replacing the files (whole seconds, >= 1s)");
ABSL_FLAG(std::vector<std::string>, tls_client_names, {},
          "SAN DNS names a client certificate must carry (one of); empty: any "
          "certificate signed by --tls-ca");

namespace acmeva::common {

absl::StatusOr<TlsFiles> ServerTlsFilesFromFlags() {
  FlagChecks checks;
  checks.AtLeast(FLAGS_tls_reload_interval, absl::Seconds(1));
  if (absl::Status s = checks.status(); !s.ok()) return s;
  TlsFiles tls = TlsFilesFromFlags();
  tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  tls.allowed_client_names = absl::GetFlag(FLAGS_tls_client_names);
  return tls;
}

}  // namespace acmeva::common
