// Durable authorization storage. The database is the only source of truth:
// every state change is a compare-and-set on the stored state, and a
// validation in progress is held by a lease (owner + expiry), so several RA
// instances can share one database (e.g. a PostgreSQL backend behind this
// interface) and a crashed instance's work is picked up by the next claim.
#ifndef RA_STORE_H_
#define RA_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/core.pb.h"
#include "ra/authz_state.h"

namespace acmeva::ra {

struct AuthzRecord {
  int64_t id = 0;
  int64_t account_id = 0;
  // "example.com", or "*.example.com" for a wildcard (Boulder's convention).
  std::string identifier;
  AuthzState state;
  std::string token;
  // The challenge the client answered ("dns-01" until validation began).
  std::string challenge_type = "dns-01";
  std::string key_authorization;  // set once validation began
  absl::Time created = absl::InfinitePast();
  absl::Time expires = absl::InfinitePast();
  int attempts = 0;  // finished validation attempts
  absl::Time first_attempt_at = absl::InfinitePast();
  absl::Time last_attempt_at = absl::InfinitePast();  // last finished one
  absl::Time next_attempt_at = absl::InfinitePast();  // while processing
  absl::Time validated = absl::InfinitePast();        // when finalized
  std::optional<core::ProblemDetails> problem;        // the latest problem
  std::vector<core::ValidationRecord> records;
  std::string lease_owner;  // empty: nobody runs an attempt
  absl::Time lease_expires = absl::InfinitePast();
};

struct NewAuthz {
  int64_t account_id = 0;
  std::string identifier;
  std::string token;
  absl::Time created;
  absl::Time expires;
};

struct Finalization {
  bool valid = false;
  absl::Time finished_at;                       // attemptedAt / validated
  absl::Time expires;                           // the new expiry when valid
  std::optional<core::ProblemDetails> problem;  // set when invalid
  std::vector<core::ValidationRecord> records;
};

// One entry of the audit trail kept next to each authorization.
struct AuthzEventRecord {
  int64_t authz_id = 0;
  absl::Time at;
  std::string event;  // created, processing, retry, valid, invalid
  int attempt = 0;
  std::optional<core::ProblemDetails> problem;
};

// Errors: NOT_FOUND for an unknown ID; ABORTED when a compare-and-set lost
// (the stored state, lease or attempt counter was not the expected one);
// anything else is a storage failure.
class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<AuthzRecord> CreateAuthz(const NewAuthz& authz) = 0;
  virtual absl::StatusOr<AuthzRecord> GetAuthz(int64_t id) = 0;

  // (pending, pending) -> (pending, processing) with the chosen challenge
  // type and the key authorization; the first attempt is due at `now`.
  virtual absl::Status BeginProcessing(int64_t id,
                                       const std::string& challenge_type,
                                       const std::string& key_authorization,
                                       absl::Time now) = 0;

  // A client asked for a retry (§8.2): moves the next attempt of a
  // processing authorization forward to `not_before` (never backwards).
  virtual absl::Status ExpediteAttempt(int64_t id, absl::Time not_before) = 0;

  // Leases processing authorizations whose attempt is due at `now` and
  // whose lease is free or expired, up to `limit`, to `owner` until
  // `lease_until`. Each lease is its own compare-and-set, so concurrent
  // claimers never get the same authorization.
  virtual absl::StatusOr<std::vector<AuthzRecord>> ClaimDue(
      const std::string& owner, absl::Time now, absl::Time lease_until,
      int limit) = 0;
  // The same for one authorization; ABORTED when it is not due or leased.
  virtual absl::StatusOr<AuthzRecord> Claim(int64_t id,
                                            const std::string& owner,
                                            absl::Time now,
                                            absl::Time lease_until) = 0;

  // The attempt numbered `expected_attempts + 1` failed transiently: stores
  // the problem on the challenge, counts the attempt, schedules the next one
  // and frees the lease. Compare-and-set on (processing, owner, attempts).
  virtual absl::Status RecordRetry(int64_t id, const std::string& owner,
                                   int expected_attempts,
                                   const core::ProblemDetails& problem,
                                   absl::Time attempted_at,
                                   absl::Time next_attempt_at) = 0;

  // processing -> valid | invalid, once. Compare-and-set on (processing,
  // owner, attempts): a lost lease or a second finalization gets ABORTED.
  virtual absl::Status Finalize(int64_t id, const std::string& owner,
                                int expected_attempts,
                                const Finalization& result) = 0;

  // Frees the leases held by earlier incarnations of `instance` (owners
  // "<instance>#<anything>" other than `current_owner`): after a restart
  // their attempts are re-run at once instead of after the lease expiry.
  virtual absl::Status ReleaseStaleLeases(const std::string& instance,
                                          const std::string& current_owner) = 0;

  // The audit trail of one authorization, oldest first.
  virtual absl::StatusOr<std::vector<AuthzEventRecord>> ListEvents(
      int64_t id) = 0;
};

}  // namespace acmeva::ra

#endif  // RA_STORE_H_
