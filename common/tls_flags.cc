#include "common/tls_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain this program presents (as a server, and as a "
          "client of the next service)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM roots that verify the peers' certificates (mutual TLS)");
ABSL_FLAG(bool, plaintext, false,
          "No TLS at all (local use only; must be asked for explicitly)");

namespace acmeva::common {

TlsFiles TlsFilesFromFlags() {
  TlsFiles tls;
  tls.cert = absl::GetFlag(FLAGS_tls_cert);
  tls.key = absl::GetFlag(FLAGS_tls_key);
  tls.ca = absl::GetFlag(FLAGS_tls_ca);
  tls.plaintext = absl::GetFlag(FLAGS_plaintext);
  return tls;
}

}  // namespace acmeva::common
