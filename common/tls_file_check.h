// Reads the three TLS files (certificate chain, private key, CA bundle) and
// checks them with OpenSSL before anything uses them: every file non-empty
// and nothing but PEM blocks that parse (a half-written file fails), the key
// matching the chain's first certificate, at least one CA certificate.
// gRPC 1.51 checks none of this at reload and aborts on an empty
// certificate (tls_security_connector.cc: !cert_chain().empty()).
#ifndef COMMON_TLS_FILE_CHECK_H_
#define COMMON_TLS_FILE_CHECK_H_

#include <string>

#include "absl/status/statusor.h"

namespace acmeva::common {

struct TlsPaths {
  std::string cert;
  std::string key;
  std::string ca;
};

struct TlsPem {
  std::string cert;  // chain, leaf first
  std::string key;
  std::string ca;
  bool operator==(const TlsPem&) const = default;
};

struct TlsFileProblem {
  std::string flag;  // "tls-cert", "tls-key" or "tls-ca"
  std::string path;
  std::string reason;
};

// The three files, checked; on failure `problem` (if not null) names the
// first bad file and why, and the status says the same.
absl::StatusOr<TlsPem> ReadCheckedTlsFiles(const TlsPaths& paths,
                                           TlsFileProblem* problem = nullptr);

}  // namespace acmeva::common

#endif  // COMMON_TLS_FILE_CHECK_H_
