// The last good set of TLS files, which is all gRPC ever reads. A watcher
// re-reads the operator's files every reload interval and checks them
// (common/tls_file_check.h); only a set that passes replaces the one in
// use. A bad set (empty, half-written, garbage, mismatched key) keeps the
// last good one, logs one JSON line naming the file and the reason, and
// counts tls_files_rejected_total{file}.
//
// How gRPC gets the set: gRPC 1.51 has no public API to push certificates
// into a provider, only FileWatcherCertificateProvider, which reads paths.
// So the set lives in memory files (memfd) at fixed descriptors, and gRPC
// watches /proc/self/fd/N. A new set is swapped in with dup2(), atomically;
// key and chain share one memory file (OpenSSL's PEM readers skip the other
// blocks), so gRPC never reads a new key with an old certificate. No copy
// of the key touches the disk.
#ifndef COMMON_TLS_LAST_GOOD_H_
#define COMMON_TLS_LAST_GOOD_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/tls_file_check.h"

namespace acmeva::common {

class MetricsRegistry;
class MetricFamily;

class LastGoodTlsFiles {
 public:
  // The watched set for `paths`: checked now (a bad file is an error that
  // names it), then re-read every `interval`. One per set of paths in the
  // process, shared, and never destroyed: gRPC's watchers may read its
  // memory files for as long as the process runs. `metrics` may be null;
  // the first non-null one gets the counters.
  static absl::StatusOr<LastGoodTlsFiles*> Watch(const TlsPaths& paths,
                                                 absl::Duration interval,
                                                 MetricsRegistry* metrics);

  // For FileWatcherCertificateProvider: key and chain, and the CA bundle.
  const std::string& identity_path() const { return identity_path_; }
  const std::string& ca_path() const { return ca_path_; }

  // Reads and checks the files now and swaps them in if good and changed.
  // The watcher thread calls it every interval.
  void CheckNow();

 private:
  LastGoodTlsFiles(TlsPaths paths, TlsPem pem, int identity_fd, int ca_fd);
  void SetMetrics(MetricsRegistry* metrics);
  absl::Status Swap(const TlsPem& pem) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TlsPaths paths_;
  const int identity_fd_;  // never closed (see Watch)
  const int ca_fd_;
  const std::string identity_path_;
  const std::string ca_path_;
  absl::Mutex mu_;
  TlsPem in_use_ ABSL_GUARDED_BY(mu_);
  std::string last_problem_ ABSL_GUARDED_BY(mu_);  // logged once each
  MetricFamily* rejected_ ABSL_GUARDED_BY(mu_) = nullptr;
  MetricFamily* reloaded_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace acmeva::common

#endif  // COMMON_TLS_LAST_GOOD_H_
