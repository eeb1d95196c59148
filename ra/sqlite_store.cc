#include "ra/sqlite_store.h"

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/ra.pb.h"

namespace acmeva::ra {
namespace {

// Schema migrations, applied in order, each once, each in its own
// transaction together with its schema_version row. Never edit a released
// step: append a new one.
struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1,
     "CREATE TABLE authz ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  account_id INTEGER NOT NULL,"
     "  identifier_type TEXT NOT NULL DEFAULT 'dns',"
     "  identifier TEXT NOT NULL,"
     "  status TEXT NOT NULL"
     "    CHECK (status IN ('pending', 'valid', 'invalid')),"
     "  challenge_type TEXT NOT NULL DEFAULT 'dns-01',"
     "  challenge_status TEXT NOT NULL"
     "    CHECK (challenge_status IN"
     "           ('pending', 'processing', 'valid', 'invalid')),"
     "  token TEXT NOT NULL,"
     "  key_authorization TEXT,"
     "  created_us INTEGER NOT NULL,"
     "  expires_us INTEGER NOT NULL,"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  first_attempt_us INTEGER,"
     "  last_attempt_us INTEGER,"
     "  next_attempt_us INTEGER,"
     "  validated_us INTEGER,"
     "  problem BLOB,"  // serialized core.ProblemDetails
     "  records BLOB,"  // serialized ra.ValidationRecords
     "  lease_owner TEXT,"
     "  lease_expires_us INTEGER"
     ");"
     "CREATE TABLE authz_event ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  authz_id INTEGER NOT NULL REFERENCES authz(id),"
     "  at_us INTEGER NOT NULL,"
     "  event TEXT NOT NULL,"
     "  attempt INTEGER NOT NULL DEFAULT 0,"
     "  problem BLOB"
     ");"},
    {2,
     // The scheduler's sweep and the audit trail read by these.
     "CREATE INDEX authz_due ON authz (challenge_status, next_attempt_us);"
     "CREATE INDEX authz_event_by_authz ON authz_event (authz_id, id);"},
};

constexpr char kAuthzColumns[] =
    "id, account_id, identifier, status, challenge_status, token, "
    "key_authorization, created_us, expires_us, attempts, first_attempt_us, "
    "last_attempt_us, next_attempt_us, validated_us, problem, records, "
    "lease_owner, lease_expires_us, challenge_type";

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const std::string message =
      absl::StrCat("sqlite: ", what, ": ", sqlite3_errmsg(db));
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

// A prepared statement; binds are 1-based, columns 0-based.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void Bind(int i, int64_t v) { Check(sqlite3_bind_int64(stmt_, i, v)); }
  void BindText(int i, std::string_view v) {
    Check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT));
  }
  void BindBlob(int i, const std::string& v) {
    Check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT));
  }
  void BindNull(int i) { Check(sqlite3_bind_null(stmt_, i)); }
  // Infinite past (unset) is stored as NULL.
  void BindTime(int i, absl::Time t) {
    if (t == absl::InfinitePast()) {
      BindNull(i);
    } else {
      Bind(i, absl::ToUnixMicros(t));
    }
  }
  void BindProblem(int i, const core::ProblemDetails* problem) {
    if (problem == nullptr) {
      BindNull(i);
    } else {
      BindBlob(i, problem->SerializeAsString());
    }
  }

  // true: a row is available; false: done.
  absl::StatusOr<bool> Step() {
    if (rc_ != SQLITE_OK) return SqliteError(db_, rc_, "prepare/bind");
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, rc, "step");
  }
  absl::Status Run() { return Step().status(); }

  bool IsNull(int col) {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, col));
  }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_, col));
  }
  absl::Time Time(int col) {
    return IsNull(col) ? absl::InfinitePast() : absl::FromUnixMicros(Int(col));
  }

 private:
  void Check(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never
// fails half-way on a lock upgrade; rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    const int rc =
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) begin_ = SqliteError(db, rc, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (begin_.ok() && !committed_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  const absl::Status& begin_status() const { return begin_; }
  absl::Status Commit() {
    const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "COMMIT");
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  absl::Status begin_;
  bool committed_ = false;
};

absl::StatusOr<AuthzRecord> RowToRecord(Statement& s) {
  AuthzRecord r;
  r.id = s.Int(0);
  r.account_id = s.Int(1);
  r.identifier = s.Text(2);
  const auto authz_status = ParseAuthzStatus(s.Text(3));
  const auto challenge_status = ParseChallengeStatus(s.Text(4));
  if (!authz_status || !challenge_status) {
    return absl::DataLossError(
        absl::StrCat("authorization ", r.id, " has an unknown status"));
  }
  r.state = {*authz_status, *challenge_status};
  r.token = s.Text(5);
  r.challenge_type = s.Text(18);
  r.key_authorization = s.Text(6);
  r.created = s.Time(7);
  r.expires = s.Time(8);
  r.attempts = static_cast<int>(s.Int(9));
  r.first_attempt_at = s.Time(10);
  r.last_attempt_at = s.Time(11);
  r.next_attempt_at = s.Time(12);
  r.validated = s.Time(13);
  if (!s.IsNull(14)) {
    core::ProblemDetails problem;
    if (!problem.ParseFromString(s.Blob(14))) {
      return absl::DataLossError(
          absl::StrCat("authorization ", r.id, ": unreadable problem"));
    }
    r.problem = std::move(problem);
  }
  if (!s.IsNull(15)) {
    ::ra::ValidationRecords records;
    if (!records.ParseFromString(s.Blob(15))) {
      return absl::DataLossError(
          absl::StrCat("authorization ", r.id, ": unreadable records"));
    }
    r.records.assign(records.records().begin(), records.records().end());
  }
  r.lease_owner = s.Text(16);
  r.lease_expires = s.Time(17);
  return r;
}

}  // namespace

int SqliteStore::LatestSchemaVersion() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

namespace {

// `PRAGMA quick_check`: every page and record well-formed (O(N), without
// the index cross-checks of integrity_check). It answers one row "ok", or
// one row per problem found.
absl::Status QuickCheck(sqlite3* db, const std::string& path) {
  std::vector<std::string> problems;
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, "PRAGMA quick_check(10)",
      +[](void* out, int columns, char** values, char**) -> int {
        if (columns > 0 && values[0] != nullptr) {
          static_cast<std::vector<std::string>*>(out)->push_back(values[0]);
        }
        return 0;
      },
      &problems, &error);
  std::string reason;
  if (rc != SQLITE_OK) {
    reason = error != nullptr ? error : sqlite3_errstr(rc);
  } else if (!(problems.size() == 1 && problems[0] == "ok")) {
    reason = absl::StrJoin(problems, "; ");
  }
  sqlite3_free(error);
  if (reason.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "sqlite: ", path,
      " failed PRAGMA quick_check (damaged database; restore it from a "
      "backup): ",
      reason));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const Options& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      options.path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("sqlite: cannot open ", options.path, ": ",
                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return status;
  }
  sqlite3_busy_timeout(
      db, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  {
    absl::MutexLock lock(&store->mu_);
    // WAL: readers never block the writer; synchronous=FULL: a committed
    // state change survives power loss, not only a process crash.
    for (const char* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
          "PRAGMA foreign_keys=ON"}) {
      if (absl::Status s = store->ExecLocked(pragma); !s.ok()) return s;
    }
    if (absl::Status s = QuickCheck(store->db_, options.path); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = store->Migrate(); !s.ok()) return s;
  return store;
}

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status SqliteStore::ExecLocked(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db_, rc, sql);
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Migrate() {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = ExecLocked(
          "CREATE TABLE IF NOT EXISTS schema_version ("
          "  version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL)");
      !s.ok()) {
    return s;
  }
  for (const Migration& migration : kMigrations) {
    // The version is re-read inside the write transaction, so two
    // processes opening a fresh file at once apply each step once.
    Transaction tx(db_);
    if (!tx.begin_status().ok()) return tx.begin_status();
    Statement current(db_,
                      "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    absl::StatusOr<bool> row = current.Step();
    if (!row.ok()) return row.status();
    if (current.Int(0) >= migration.version) continue;
    if (absl::Status s = ExecLocked(migration.sql); !s.ok()) return s;
    Statement record(db_,
                     "INSERT INTO schema_version (version, applied_us) "
                     "VALUES (?, ?)");
    record.Bind(1, migration.version);
    record.Bind(2, absl::ToUnixMicros(absl::Now()));
    if (absl::Status s = record.Run(); !s.ok()) return s;
    if (absl::Status s = tx.Commit(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SqliteStore::SchemaVersion() {
  absl::MutexLock lock(&mu_);
  Statement s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  absl::StatusOr<bool> row = s.Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(s.Int(0));
}

absl::StatusOr<AuthzRecord> SqliteStore::ReadLocked(int64_t id) {
  Statement s(db_,
              absl::StrCat("SELECT ", kAuthzColumns, " FROM authz WHERE id = ?")
                  .c_str());
  s.Bind(1, id);
  absl::StatusOr<bool> row = s.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return absl::NotFoundError(absl::StrCat("no authorization with id ", id));
  }
  return RowToRecord(s);
}

absl::Status SqliteStore::AddEventLocked(int64_t id, absl::Time at,
                                         const char* event, int attempt,
                                         const core::ProblemDetails* problem) {
  Statement s(db_,
              "INSERT INTO authz_event (authz_id, at_us, event, attempt, "
              "problem) VALUES (?, ?, ?, ?, ?)");
  s.Bind(1, id);
  s.Bind(2, absl::ToUnixMicros(at));
  s.BindText(3, event);
  s.Bind(4, attempt);
  s.BindProblem(5, problem);
  return s.Run();
}

absl::StatusOr<bool> SqliteStore::TryLeaseLocked(int64_t id,
                                                 const std::string& owner,
                                                 absl::Time now,
                                                 absl::Time lease_until) {
  Statement s(db_,
              "UPDATE authz SET lease_owner = ?, lease_expires_us = ? "
              "WHERE id = ? AND status = 'pending' "
              "AND challenge_status = 'processing' AND next_attempt_us <= ? "
              "AND (lease_owner IS NULL OR lease_expires_us <= ?)");
  s.BindText(1, owner);
  s.BindTime(2, lease_until);
  s.Bind(3, id);
  s.BindTime(4, now);
  s.BindTime(5, now);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  return sqlite3_changes(db_) == 1;
}

absl::Status SqliteStore::LostCasLocked(int64_t id, const char* what) {
  absl::StatusOr<AuthzRecord> current = ReadLocked(id);
  if (!current.ok()) return current.status();
  return absl::AbortedError(
      absl::StrCat(what, ": authorization ", id, " changed concurrently (now ",
                   std::string(Name(current->state.authz)), "/",
                   std::string(Name(current->state.challenge)), ", attempts ",
                   current->attempts, ")"));
}

absl::StatusOr<AuthzRecord> SqliteStore::CreateAuthz(const NewAuthz& authz) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  Statement s(db_,
              "INSERT INTO authz (account_id, identifier, status, "
              "challenge_status, token, created_us, expires_us) "
              "VALUES (?, ?, 'pending', 'pending', ?, ?, ?)");
  s.Bind(1, authz.account_id);
  s.BindText(2, authz.identifier);
  s.BindText(3, authz.token);
  s.BindTime(4, authz.created);
  s.BindTime(5, authz.expires);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  const int64_t id = sqlite3_last_insert_rowid(db_);
  if (absl::Status st =
          AddEventLocked(id, authz.created, "created", 0, nullptr);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<AuthzRecord> record = ReadLocked(id);
  if (!record.ok()) return record.status();
  if (absl::Status st = tx.Commit(); !st.ok()) return st;
  return record;
}

absl::StatusOr<AuthzRecord> SqliteStore::GetAuthz(int64_t id) {
  absl::MutexLock lock(&mu_);
  return ReadLocked(id);
}

absl::Status SqliteStore::BeginProcessing(int64_t id,
                                          const std::string& challenge_type,
                                          const std::string& key_authorization,
                                          absl::Time now) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  Statement s(db_,
              "UPDATE authz SET challenge_status = 'processing', "
              "key_authorization = ?, first_attempt_us = ?, "
              "next_attempt_us = ?, challenge_type = ? "
              "WHERE id = ? AND status = 'pending' "
              "AND challenge_status = 'pending' AND expires_us > ?");
  s.BindText(1, key_authorization);
  s.BindTime(2, now);
  s.BindTime(3, now);
  s.BindText(4, challenge_type);
  s.Bind(5, id);
  s.BindTime(6, now);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  if (sqlite3_changes(db_) != 1) return LostCasLocked(id, "begin processing");
  if (absl::Status st = AddEventLocked(id, now, "processing", 0, nullptr);
      !st.ok()) {
    return st;
  }
  return tx.Commit();
}

absl::Status SqliteStore::ExpediteAttempt(int64_t id, absl::Time not_before) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  Statement s(db_,
              "UPDATE authz SET next_attempt_us = ? "
              "WHERE id = ? AND status = 'pending' "
              "AND challenge_status = 'processing' AND next_attempt_us > ?");
  s.BindTime(1, not_before);
  s.Bind(2, id);
  s.BindTime(3, not_before);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  if (sqlite3_changes(db_) == 0) {
    // Already due earlier (or running): fine while still processing.
    absl::StatusOr<AuthzRecord> current = ReadLocked(id);
    if (!current.ok()) return current.status();
    if (current->state.challenge != ChallengeStatus::kProcessing) {
      return LostCasLocked(id, "expedite attempt");
    }
    return absl::OkStatus();
  }
  if (absl::Status st =
          AddEventLocked(id, absl::Now(), "client-retry", 0, nullptr);
      !st.ok()) {
    return st;
  }
  return tx.Commit();
}

absl::StatusOr<std::vector<AuthzRecord>> SqliteStore::ClaimDue(
    const std::string& owner, absl::Time now, absl::Time lease_until,
    int limit) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  std::vector<int64_t> ids;
  {
    Statement due(db_,
                  "SELECT id FROM authz WHERE challenge_status = 'processing' "
                  "AND status = 'pending' AND next_attempt_us <= ? "
                  "AND (lease_owner IS NULL OR lease_expires_us <= ?) "
                  "ORDER BY next_attempt_us LIMIT ?");
    due.BindTime(1, now);
    due.BindTime(2, now);
    due.Bind(3, limit);
    while (true) {
      absl::StatusOr<bool> row = due.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      ids.push_back(due.Int(0));
    }
  }
  std::vector<AuthzRecord> claimed;
  for (int64_t id : ids) {
    // A PostgreSQL backend would do this with SELECT ... FOR UPDATE SKIP
    // LOCKED instead of one writer.
    absl::StatusOr<bool> leased = TryLeaseLocked(id, owner, now, lease_until);
    if (!leased.ok()) return leased.status();
    if (!*leased) continue;
    absl::StatusOr<AuthzRecord> record = ReadLocked(id);
    if (!record.ok()) return record.status();
    claimed.push_back(*std::move(record));
  }
  if (absl::Status st = tx.Commit(); !st.ok()) return st;
  return claimed;
}

absl::StatusOr<AuthzRecord> SqliteStore::Claim(int64_t id,
                                               const std::string& owner,
                                               absl::Time now,
                                               absl::Time lease_until) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  absl::StatusOr<bool> leased = TryLeaseLocked(id, owner, now, lease_until);
  if (!leased.ok()) return leased.status();
  if (!*leased) return LostCasLocked(id, "claim");
  absl::StatusOr<AuthzRecord> record = ReadLocked(id);
  if (!record.ok()) return record.status();
  if (absl::Status st = tx.Commit(); !st.ok()) return st;
  return record;
}

absl::Status SqliteStore::RecordRetry(int64_t id, const std::string& owner,
                                      int expected_attempts,
                                      const core::ProblemDetails& problem,
                                      absl::Time attempted_at,
                                      absl::Time next_attempt_at) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  Statement s(db_,
              "UPDATE authz SET attempts = attempts + 1, problem = ?, "
              "last_attempt_us = ?, next_attempt_us = ?, "
              "lease_owner = NULL, lease_expires_us = NULL "
              "WHERE id = ? AND status = 'pending' "
              "AND challenge_status = 'processing' AND lease_owner = ? "
              "AND attempts = ?");
  s.BindProblem(1, &problem);
  s.BindTime(2, attempted_at);
  s.BindTime(3, next_attempt_at);
  s.Bind(4, id);
  s.BindText(5, owner);
  s.Bind(6, expected_attempts);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  if (sqlite3_changes(db_) != 1) return LostCasLocked(id, "record retry");
  if (absl::Status st = AddEventLocked(id, attempted_at, "retry",
                                       expected_attempts + 1, &problem);
      !st.ok()) {
    return st;
  }
  return tx.Commit();
}

absl::Status SqliteStore::Finalize(int64_t id, const std::string& owner,
                                   int expected_attempts,
                                   const Finalization& result) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  // An invalid authorization keeps its expiry (as Boulder does).
  Statement s(db_,
              "UPDATE authz SET status = ?, challenge_status = ?, "
              "attempts = attempts + 1, last_attempt_us = ?, "
              "validated_us = ?, expires_us = COALESCE(?, expires_us), "
              "problem = ?, records = ?, next_attempt_us = NULL, "
              "lease_owner = NULL, lease_expires_us = NULL "
              "WHERE id = ? AND status = 'pending' "
              "AND challenge_status = 'processing' AND lease_owner = ? "
              "AND attempts = ?");
  const char* status = result.valid ? "valid" : "invalid";
  s.BindText(1, status);
  s.BindText(2, status);
  s.BindTime(3, result.finished_at);
  s.BindTime(4, result.finished_at);
  if (result.valid) {
    s.BindTime(5, result.expires);
  } else {
    s.BindNull(5);
  }
  s.BindProblem(6, result.problem ? &*result.problem : nullptr);
  ::ra::ValidationRecords records;
  for (const auto& r : result.records) *records.add_records() = r;
  s.BindBlob(7, records.SerializeAsString());
  s.Bind(8, id);
  s.BindText(9, owner);
  s.Bind(10, expected_attempts);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  if (sqlite3_changes(db_) != 1) return LostCasLocked(id, "finalize");
  if (absl::Status st =
          AddEventLocked(id, result.finished_at, status, expected_attempts + 1,
                         result.problem ? &*result.problem : nullptr);
      !st.ok()) {
    return st;
  }
  return tx.Commit();
}

absl::Status SqliteStore::ReleaseStaleLeases(const std::string& instance,
                                             const std::string& current_owner) {
  absl::MutexLock lock(&mu_);
  Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  Statement s(db_,
              "UPDATE authz SET lease_owner = NULL, lease_expires_us = NULL "
              "WHERE lease_owner IS NOT NULL "
              "AND substr(lease_owner, 1, length(?1)) = ?1 "
              "AND lease_owner <> ?2");
  s.BindText(1, absl::StrCat(instance, "#"));
  s.BindText(2, current_owner);
  if (absl::Status st = s.Run(); !st.ok()) return st;
  return tx.Commit();
}

absl::StatusOr<std::vector<AuthzEventRecord>> SqliteStore::ListEvents(
    int64_t id) {
  absl::MutexLock lock(&mu_);
  Statement s(db_,
              "SELECT authz_id, at_us, event, attempt, problem "
              "FROM authz_event WHERE authz_id = ? ORDER BY id");
  s.Bind(1, id);
  std::vector<AuthzEventRecord> events;
  while (true) {
    absl::StatusOr<bool> row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    AuthzEventRecord e;
    e.authz_id = s.Int(0);
    e.at = s.Time(1);
    e.event = s.Text(2);
    e.attempt = static_cast<int>(s.Int(3));
    if (!s.IsNull(4)) {
      core::ProblemDetails problem;
      if (problem.ParseFromString(s.Blob(4))) e.problem = std::move(problem);
    }
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace acmeva::ra
