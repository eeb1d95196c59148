#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ra/sqlite_store.h"

namespace acmeva::ra {
namespace {

class RaSqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/ra_store_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/ra.sqlite";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteStore> Open() {
    SqliteStore::Options options;
    options.path = path_;
    auto store = SqliteStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static NewAuthz Authz(const std::string& name, absl::Time now) {
    NewAuthz a;
    a.account_id = 7;
    a.identifier = name;
    a.token = "token-" + name;
    a.created = now;
    a.expires = now + absl::Hours(1);
    return a;
  }

  static core::ProblemDetails Problem(const std::string& detail) {
    core::ProblemDetails p;
    p.set_problemtype("dns");
    p.set_detail(detail);
    p.set_httpstatus(400);
    p.set_transient(true);
    p.set_queryname("_acme-challenge.example.com");
    return p;
  }

  std::string dir_;
  std::string path_;
  const absl::Time now_ = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
};

TEST_F(RaSqliteStoreTest, CreateAndGet) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto a = store->CreateAuthz(Authz("example.com", now_));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_GT(a->id, 0);
  auto b = store->CreateAuthz(Authz("example.org", now_));
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->id, b->id);

  auto got = store->GetAuthz(a->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->identifier, "example.com");
  EXPECT_EQ(got->account_id, 7);
  EXPECT_EQ(got->token, "token-example.com");
  EXPECT_EQ(got->state,
            (AuthzState{AuthzStatus::kPending, ChallengeStatus::kPending}));
  EXPECT_EQ(got->created, now_);
  EXPECT_EQ(got->expires, now_ + absl::Hours(1));
  EXPECT_EQ(got->attempts, 0);
  EXPECT_FALSE(got->problem.has_value());

  EXPECT_EQ(store->GetAuthz(9999).status().code(), absl::StatusCode::kNotFound);
}

// A file with damaged pages is refused at start-up, naming the file and the
// check, instead of being served until a write fails. Real damage: a few
// thousand rows written through the store, then garbage over pages in the
// middle of the file.
TEST_F(RaSqliteStoreTest, DamagedPagesAreRefusedAtOpen) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(
          store->CreateAuthz(Authz("n" + std::to_string(i) + ".example", now_))
              .ok());
    }
  }  // the last close checkpoints the WAL into the main file
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 16u * 4096u) << "too few pages to damage the middle";
  {
    FILE* f = std::fopen(path_.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    // Pages 5 to 8 (1-based, 4096 bytes each): below the schema page, in
    // the authorizations' b-tree.
    ASSERT_EQ(std::fseek(f, 4 * 4096, SEEK_SET), 0);
    const std::string garbage(4 * 4096, '\xa5');
    ASSERT_EQ(std::fwrite(garbage.data(), 1, garbage.size(), f),
              garbage.size());
    std::fclose(f);
  }
  SqliteStore::Options options;
  options.path = path_;
  auto reopened = SqliteStore::Open(options);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss)
      << reopened.status();
  EXPECT_NE(reopened.status().message().find("quick_check"), std::string::npos)
      << reopened.status();
  EXPECT_NE(reopened.status().message().find(path_), std::string::npos)
      << reopened.status();
}

// A healthy file passes the check every time it is opened again.
TEST_F(RaSqliteStoreTest, HealthyFilePassesTheCheckOnReopen) {
  { ASSERT_NE(Open(), nullptr); }
  auto again = Open();
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->CreateAuthz(Authz("after.example", now_)).ok());
}

TEST_F(RaSqliteStoreTest, WalModeAndSchemaVersion) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto version = store->SchemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, SqliteStore::LatestSchemaVersion());
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
               "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(RaSqliteStoreTest, MigrationsAreIdempotent) {
  for (int i = 0; i < 3; ++i) {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->SchemaVersion(), SqliteStore::LatestSchemaVersion());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_version", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  // One row per migration, however often the file was opened.
  EXPECT_EQ(sqlite3_column_int(stmt, 0), SqliteStore::LatestSchemaVersion());
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(RaSqliteStoreTest, MigratesAnOlderSchema) {
  // A file left at version 1 by an older binary gets version 2 on open.
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "DROP INDEX authz_due; DROP INDEX authz_event_by_authz;"
                   "DELETE FROM schema_version WHERE version > 1",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), 2);
}

TEST_F(RaSqliteStoreTest, BeginProcessingIsCompareAndSet) {
  auto store = Open();
  auto a = store->CreateAuthz(Authz("example.com", now_));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->challenge_type, "dns-01");  // the column's default
  ASSERT_TRUE(store->BeginProcessing(a->id, "dns-persist-01", "ka", now_).ok());
  auto got = store->GetAuthz(a->id);
  EXPECT_EQ(got->challenge_type, "dns-persist-01");
  EXPECT_EQ(got->state.challenge, ChallengeStatus::kProcessing);
  EXPECT_EQ(got->key_authorization, "ka");
  EXPECT_EQ(got->first_attempt_at, now_);
  EXPECT_EQ(got->next_attempt_at, now_);
  // Second time: the stored state is no longer (pending, pending).
  EXPECT_EQ(store->BeginProcessing(a->id, "dns-01", "ka", now_).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store->BeginProcessing(4242, "dns-01", "ka", now_).code(),
            absl::StatusCode::kNotFound);
  // Expired pending authorizations cannot start.
  auto b = store->CreateAuthz(Authz("example.org", now_));
  EXPECT_EQ(store->BeginProcessing(b->id, "dns-01", "ka", now_ + absl::Hours(2))
                .code(),
            absl::StatusCode::kAborted);
}

TEST_F(RaSqliteStoreTest, ClaimRetryFinalizeWithLeases) {
  auto store = Open();
  auto a = store->CreateAuthz(Authz("example.com", now_));
  ASSERT_TRUE(store->BeginProcessing(a->id, "dns-01", "ka", now_).ok());
  const absl::Time lease = now_ + absl::Seconds(30);

  auto claimed = store->Claim(a->id, "ra#1", now_, lease);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->lease_owner, "ra#1");
  // Leased: nobody else gets it, not even the same owner twice.
  EXPECT_EQ(store->Claim(a->id, "ra#2", now_, lease).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store->Claim(a->id, "ra#1", now_, lease).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_TRUE(store->ClaimDue("ra#2", now_, lease, 10)->empty());

  // Only the lease owner with the right attempt counter may record.
  const auto p1 = Problem("timeout 1");
  const absl::Time next = now_ + absl::Seconds(10);
  EXPECT_EQ(store->RecordRetry(a->id, "ra#2", 0, p1, now_, next).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store->RecordRetry(a->id, "ra#1", 1, p1, now_, next).code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(store->RecordRetry(a->id, "ra#1", 0, p1, now_, next).ok());
  auto got = store->GetAuthz(a->id);
  EXPECT_EQ(got->attempts, 1);
  EXPECT_EQ(got->state.challenge, ChallengeStatus::kProcessing);
  ASSERT_TRUE(got->problem.has_value());
  EXPECT_EQ(got->problem->detail(), "timeout 1");
  EXPECT_EQ(got->problem->queryname(), "_acme-challenge.example.com");
  EXPECT_EQ(got->next_attempt_at, next);
  EXPECT_TRUE(got->lease_owner.empty());

  // Not due yet.
  EXPECT_EQ(store->Claim(a->id, "ra#2", now_, lease).status().code(),
            absl::StatusCode::kAborted);
  auto due = store->ClaimDue("ra#2", next, next + absl::Seconds(30), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, a->id);
  EXPECT_EQ((*due)[0].attempts, 1);

  Finalization valid;
  valid.valid = true;
  valid.finished_at = next + absl::Seconds(1);
  valid.expires = next + absl::Hours(7);
  core::ValidationRecord record;
  record.set_hostname("example.com");
  record.add_resolveraddrs("127.0.0.1:53");
  valid.records.push_back(record);
  // The first owner lost its lease to ra#2.
  EXPECT_EQ(store->Finalize(a->id, "ra#1", 1, valid).code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(store->Finalize(a->id, "ra#2", 1, valid).ok());
  // Exactly once.
  EXPECT_EQ(store->Finalize(a->id, "ra#2", 1, valid).code(),
            absl::StatusCode::kAborted);
  Finalization invalid;
  invalid.problem = Problem("late");
  invalid.finished_at = next;
  EXPECT_EQ(store->Finalize(a->id, "ra#2", 2, invalid).code(),
            absl::StatusCode::kAborted);

  got = store->GetAuthz(a->id);
  EXPECT_EQ(got->state,
            (AuthzState{AuthzStatus::kValid, ChallengeStatus::kValid}));
  EXPECT_EQ(got->attempts, 2);
  EXPECT_EQ(got->expires, next + absl::Hours(7));
  EXPECT_EQ(got->validated, next + absl::Seconds(1));
  ASSERT_EQ(got->records.size(), 1u);
  EXPECT_EQ(got->records[0].resolveraddrs(0), "127.0.0.1:53");

  auto events = store->ListEvents(a->id);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> names;
  for (const auto& e : *events) names.push_back(e.event);
  EXPECT_EQ(names, (std::vector<std::string>{"created", "processing", "retry",
                                             "valid"}));
  EXPECT_EQ((*events)[2].problem->detail(), "timeout 1");
}

TEST_F(RaSqliteStoreTest, InvalidKeepsExpiryAndProblem) {
  auto store = Open();
  auto a = store->CreateAuthz(Authz("example.com", now_));
  ASSERT_TRUE(store->BeginProcessing(a->id, "dns-01", "ka", now_).ok());
  ASSERT_TRUE(store->Claim(a->id, "o#1", now_, now_ + absl::Seconds(5)).ok());
  Finalization invalid;
  invalid.problem = Problem("final problem");
  invalid.finished_at = now_;
  invalid.expires = now_ + absl::Hours(99);  // ignored for invalid
  ASSERT_TRUE(store->Finalize(a->id, "o#1", 0, invalid).ok());
  auto got = store->GetAuthz(a->id);
  EXPECT_EQ(got->state.authz, AuthzStatus::kInvalid);
  EXPECT_EQ(got->expires, now_ + absl::Hours(1));
  EXPECT_EQ(got->problem->detail(), "final problem");
  EXPECT_TRUE(got->problem->transient());
}

TEST_F(RaSqliteStoreTest, ExpiredLeaseCanBeTakenOver) {
  auto store = Open();
  auto a = store->CreateAuthz(Authz("example.com", now_));
  ASSERT_TRUE(store->BeginProcessing(a->id, "dns-01", "ka", now_).ok());
  ASSERT_TRUE(store->Claim(a->id, "a#1", now_, now_ + absl::Seconds(5)).ok());
  EXPECT_FALSE(store
                   ->Claim(a->id, "b#1", now_ + absl::Seconds(4),
                           now_ + absl::Seconds(60))
                   .ok());
  EXPECT_TRUE(store
                  ->Claim(a->id, "b#1", now_ + absl::Seconds(5),
                          now_ + absl::Seconds(60))
                  .ok());
}

TEST_F(RaSqliteStoreTest, ReleaseStaleLeasesOfOwnInstanceOnly) {
  auto store = Open();
  std::vector<int64_t> ids;
  for (const char* owner : {"ra#old", "ra#new", "other#x", "rab#y"}) {
    auto a = store->CreateAuthz(Authz(owner, now_));
    ASSERT_TRUE(store->BeginProcessing(a->id, "dns-01", "ka", now_).ok());
    ASSERT_TRUE(store->Claim(a->id, owner, now_, now_ + absl::Hours(1)).ok());
    ids.push_back(a->id);
  }
  ASSERT_TRUE(store->ReleaseStaleLeases("ra", "ra#new").ok());
  EXPECT_EQ(store->GetAuthz(ids[0])->lease_owner, "");
  EXPECT_EQ(store->GetAuthz(ids[1])->lease_owner, "ra#new");
  EXPECT_EQ(store->GetAuthz(ids[2])->lease_owner, "other#x");
  EXPECT_EQ(store->GetAuthz(ids[3])->lease_owner, "rab#y");
}

TEST_F(RaSqliteStoreTest, ExpediteAttemptOnlyMovesForward) {
  auto store = Open();
  auto a = store->CreateAuthz(Authz("example.com", now_));
  ASSERT_TRUE(store->BeginProcessing(a->id, "dns-01", "ka", now_).ok());
  ASSERT_TRUE(store->Claim(a->id, "o#1", now_, now_ + absl::Seconds(5)).ok());
  ASSERT_TRUE(store
                  ->RecordRetry(a->id, "o#1", 0, Problem("x"), now_,
                                now_ + absl::Seconds(60))
                  .ok());
  ASSERT_TRUE(store->ExpediteAttempt(a->id, now_ + absl::Seconds(5)).ok());
  EXPECT_EQ(store->GetAuthz(a->id)->next_attempt_at, now_ + absl::Seconds(5));
  ASSERT_TRUE(store->ExpediteAttempt(a->id, now_ + absl::Seconds(30)).ok());
  EXPECT_EQ(store->GetAuthz(a->id)->next_attempt_at, now_ + absl::Seconds(5));
  auto b = store->CreateAuthz(Authz("example.org", now_));
  EXPECT_EQ(store->ExpediteAttempt(b->id, now_).code(),
            absl::StatusCode::kAborted);
}

TEST_F(RaSqliteStoreTest, ReopenKeepsEverything) {
  int64_t id = 0;
  {
    auto store = Open();
    auto a = store->CreateAuthz(Authz("example.com", now_));
    id = a->id;
    ASSERT_TRUE(store->BeginProcessing(id, "dns-01", "ka", now_).ok());
    ASSERT_TRUE(store->Claim(id, "o#1", now_, now_ + absl::Seconds(5)).ok());
    ASSERT_TRUE(store
                    ->RecordRetry(id, "o#1", 0, Problem("kept"), now_,
                                  now_ + absl::Seconds(7))
                    .ok());
  }
  auto store = Open();
  auto got = store->GetAuthz(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->identifier, "example.com");
  EXPECT_EQ(got->key_authorization, "ka");
  EXPECT_EQ(got->attempts, 1);
  EXPECT_EQ(got->state.challenge, ChallengeStatus::kProcessing);
  EXPECT_EQ(got->problem->detail(), "kept");
  EXPECT_EQ(got->first_attempt_at, now_);
  EXPECT_EQ(got->next_attempt_at, now_ + absl::Seconds(7));
  EXPECT_EQ(store->ListEvents(id)->size(), 3u);
  // IDs keep growing after a reopen.
  EXPECT_GT(store->CreateAuthz(Authz("example.net", now_))->id, id);
}

TEST_F(RaSqliteStoreTest, ConcurrentClaimersNeverShareAnAuthorization) {
  // Two connections (as two RA processes would have) claim from one file.
  auto first = Open();
  auto second = Open();
  constexpr int kAuthzs = 60;
  for (int i = 0; i < kAuthzs; ++i) {
    auto a =
        first->CreateAuthz(Authz("n" + std::to_string(i) + ".example", now_));
    ASSERT_TRUE(first->BeginProcessing(a->id, "dns-01", "ka", now_).ok());
  }
  std::vector<int64_t> got_a, got_b;
  auto claim_all = [&](SqliteStore* store, const std::string& owner,
                       std::vector<int64_t>* out) {
    for (int round = 0; round < 40; ++round) {
      auto due = store->ClaimDue(owner, now_, now_ + absl::Hours(1), 3);
      ASSERT_TRUE(due.ok()) << due.status();
      for (const auto& r : *due) out->push_back(r.id);
    }
  };
  std::thread ta(claim_all, first.get(), "a#1", &got_a);
  std::thread tb(claim_all, second.get(), "b#1", &got_b);
  ta.join();
  tb.join();
  std::set<int64_t> all(got_a.begin(), got_a.end());
  for (int64_t id : got_b) EXPECT_TRUE(all.insert(id).second) << id;
  EXPECT_EQ(all.size(), static_cast<size_t>(kAuthzs));
}

}  // namespace
}  // namespace acmeva::ra
