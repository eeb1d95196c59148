// Store on SQLite: one database file, WAL mode (readers do not block the
// writer), a busy timeout for other processes on the same file, versioned
// migrations, and every state change one IMMEDIATE transaction whose UPDATE
// compares the expected state (`... WHERE id=? AND status=? ...`).
#ifndef RA_SQLITE_STORE_H_
#define RA_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ra/store.h"

struct sqlite3;

namespace acmeva::ra {

class SqliteStore : public Store {
 public:
  struct Options {
    std::string path;
    // How long a statement waits for another connection's write lock.
    absl::Duration busy_timeout = absl::Seconds(5);
  };

  // Opens (creating if needed), checks and migrates the database. A file
  // that fails SQLite's `PRAGMA quick_check` (damaged pages) is refused with
  // DATA_LOSS naming the file: otherwise the RA would serve reads from it
  // and say nothing until a write failed.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const Options& options);
  // The schema version this code migrates to.
  static int LatestSchemaVersion();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  absl::StatusOr<int> SchemaVersion();

  absl::StatusOr<AuthzRecord> CreateAuthz(const NewAuthz& authz) override;
  absl::StatusOr<AuthzRecord> GetAuthz(int64_t id) override;
  absl::Status BeginProcessing(int64_t id, const std::string& challenge_type,
                               const std::string& key_authorization,
                               absl::Time now) override;
  absl::Status ExpediteAttempt(int64_t id, absl::Time not_before) override;
  absl::StatusOr<std::vector<AuthzRecord>> ClaimDue(const std::string& owner,
                                                    absl::Time now,
                                                    absl::Time lease_until,
                                                    int limit) override;
  absl::StatusOr<AuthzRecord> Claim(int64_t id, const std::string& owner,
                                    absl::Time now,
                                    absl::Time lease_until) override;
  absl::Status RecordRetry(int64_t id, const std::string& owner,
                           int expected_attempts,
                           const core::ProblemDetails& problem,
                           absl::Time attempted_at,
                           absl::Time next_attempt_at) override;
  absl::Status Finalize(int64_t id, const std::string& owner,
                        int expected_attempts,
                        const Finalization& result) override;
  absl::Status ReleaseStaleLeases(const std::string& instance,
                                  const std::string& current_owner) override;
  absl::StatusOr<std::vector<AuthzEventRecord>> ListEvents(int64_t id) override;

 private:
  explicit SqliteStore(sqlite3* db);
  absl::Status Migrate();

  // Each helper expects mu_ held and, for writes, an open transaction.
  absl::StatusOr<AuthzRecord> ReadLocked(int64_t id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ExecLocked(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddEventLocked(int64_t id, absl::Time at, const char* event,
                              int attempt, const core::ProblemDetails* problem)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The error for a compare-and-set that changed no row: NOT_FOUND when the
  // authorization does not exist, ABORTED otherwise.
  // The lease compare-and-set of Claim() and ClaimDue(): true if this owner
  // now holds the lease, false if another holds it or the attempt is not due.
  absl::StatusOr<bool> TryLeaseLocked(int64_t id, const std::string& owner,
                                      absl::Time now, absl::Time lease_until)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LostCasLocked(int64_t id, const char* what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // One connection, used by one thread at a time: SQLite transactions are
  // per connection, so concurrent callers must not interleave statements.
  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::ra

#endif  // RA_SQLITE_STORE_H_
