#include "common/tls_last_good.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/base/const_init.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_log.h"
#include "common/metrics.h"

namespace acmeva::common {
namespace {

absl::StatusOr<int> MemoryFile(const std::string& content) {
  int fd = memfd_create("tls", MFD_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("memfd_create: ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = absl::InternalError(
          absl::StrCat("memfd write: ", std::strerror(errno)));
      close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

std::string Identity(const TlsPem& pem) {
  return absl::StrCat(pem.key, "\n", pem.cert);
}

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

ABSL_CONST_INIT absl::Mutex g_sets_mu(absl::kConstInit);

std::map<std::tuple<std::string, std::string, std::string>, LastGoodTlsFiles*>&
Sets() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_sets_mu) {
  static auto* sets =
      new std::map<std::tuple<std::string, std::string, std::string>,
                   LastGoodTlsFiles*>;
  return *sets;
}

}  // namespace

absl::StatusOr<LastGoodTlsFiles*> LastGoodTlsFiles::Watch(
    const TlsPaths& paths, absl::Duration interval, MetricsRegistry* metrics) {
  absl::MutexLock lock(&g_sets_mu);
  auto key = std::make_tuple(paths.cert, paths.key, paths.ca);
  if (auto it = Sets().find(key); it != Sets().end()) {
    // Already watched: its current state is what counts.
    it->second->CheckNow();
    it->second->SetMetrics(metrics);
    return it->second;
  }
  absl::StatusOr<TlsPem> pem = ReadCheckedTlsFiles(paths);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<int> identity = MemoryFile(Identity(*pem));
  if (!identity.ok()) return identity.status();
  absl::StatusOr<int> ca = MemoryFile(pem->ca);
  if (!ca.ok()) {
    close(*identity);
    return ca.status();
  }
  auto* set = new LastGoodTlsFiles(paths, *std::move(pem), *identity, *ca);
  set->SetMetrics(metrics);
  Sets().emplace(key, set);
  std::thread([set, interval] {
    while (true) {
      absl::SleepFor(interval);
      set->CheckNow();
    }
  }).detach();
  return set;
}

LastGoodTlsFiles::LastGoodTlsFiles(TlsPaths paths, TlsPem pem, int identity_fd,
                                   int ca_fd)
    : paths_(std::move(paths)),
      identity_fd_(identity_fd),
      ca_fd_(ca_fd),
      identity_path_(FdPath(identity_fd)),
      ca_path_(FdPath(ca_fd)),
      in_use_(std::move(pem)) {}

void LastGoodTlsFiles::SetMetrics(MetricsRegistry* metrics) {
  if (metrics == nullptr) return;
  absl::MutexLock lock(&mu_);
  if (rejected_ != nullptr) return;
  rejected_ = metrics->Counter(
      "tls_files_rejected_total",
      "TLS file sets refused at reload (the last good set stays in use)",
      {"file"});
  reloaded_ = metrics->Counter("tls_files_reloaded_total",
                               "New TLS file sets taken into use");
}

absl::Status LastGoodTlsFiles::Swap(const TlsPem& pem) {
  absl::StatusOr<int> identity = MemoryFile(Identity(pem));
  if (!identity.ok()) return identity.status();
  absl::StatusOr<int> ca = MemoryFile(pem.ca);
  if (!ca.ok()) {
    close(*identity);
    return ca.status();
  }
  // dup2 replaces what the fixed descriptors refer to in one step: a reader
  // opening /proc/self/fd/N gets the old file or the new one, never a mix.
  dup2(*identity, identity_fd_);
  dup2(*ca, ca_fd_);
  close(*identity);
  close(*ca);
  return absl::OkStatus();
}

void LastGoodTlsFiles::CheckNow() {
  TlsFileProblem problem;
  absl::StatusOr<TlsPem> pem = ReadCheckedTlsFiles(paths_, &problem);
  absl::MutexLock lock(&mu_);
  if (!pem.ok()) {
    std::string key =
        absl::StrCat(problem.flag, "\n", problem.path, "\n", problem.reason);
    if (key == last_problem_) return;  // one line per problem, not per read
    last_problem_ = std::move(key);
    if (rejected_ != nullptr) rejected_->Add({problem.flag}, 1);
    Log("error", "TLS files rejected: keeping the last good set",
        JsonFields()
            .Str("file", problem.path)
            .Str("flag", absl::StrCat("--", problem.flag))
            .Str("reason", problem.reason));
    return;
  }
  last_problem_.clear();
  if (*pem == in_use_) return;
  if (absl::Status s = Swap(*pem); !s.ok()) {
    // Out of descriptors or memory: the old set stays; the next read retries.
    Log("error", "TLS files not reloaded",
        JsonFields().Str("reason", std::string(s.message())));
    return;
  }
  in_use_ = *std::move(pem);
  if (reloaded_ != nullptr) reloaded_->Add({}, 1);
  Log("info", "TLS files reloaded",
      JsonFields()
          .Str("cert", paths_.cert)
          .Str("key", paths_.key)
          .Str("ca", paths_.ca));
}

}  // namespace acmeva::common
