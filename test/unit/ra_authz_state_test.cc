#include <vector>

#include "gtest/gtest.h"
#include "ra/authz_state.h"

namespace acmeva::ra {
namespace {

constexpr AuthzState kCreated{AuthzStatus::kPending, ChallengeStatus::kPending};
constexpr AuthzState kProcessing{AuthzStatus::kPending,
                                 ChallengeStatus::kProcessing};
constexpr AuthzState kValid{AuthzStatus::kValid, ChallengeStatus::kValid};
constexpr AuthzState kInvalid{AuthzStatus::kInvalid, ChallengeStatus::kInvalid};

struct TransitionCase {
  AuthzState from;
  AuthzEvent event;
  bool allowed;
  AuthzState to;
};

TEST(RaAuthzStateTest, TransitionTable) {
  const std::vector<TransitionCase> cases = {
      {kCreated, AuthzEvent::kBeginValidation, true, kProcessing},
      {kCreated, AuthzEvent::kRetryScheduled, false, {}},
      {kCreated, AuthzEvent::kValidated, false, {}},
      {kCreated, AuthzEvent::kFailed, false, {}},
      // §8.2: retries keep the challenge processing, the authz pending.
      {kProcessing, AuthzEvent::kRetryScheduled, true, kProcessing},
      {kProcessing, AuthzEvent::kValidated, true, kValid},
      {kProcessing, AuthzEvent::kFailed, true, kInvalid},
      {kProcessing, AuthzEvent::kBeginValidation, false, {}},
      // Final states never change again.
      {kValid, AuthzEvent::kBeginValidation, false, {}},
      {kValid, AuthzEvent::kRetryScheduled, false, {}},
      {kValid, AuthzEvent::kValidated, false, {}},
      {kValid, AuthzEvent::kFailed, false, {}},
      {kInvalid, AuthzEvent::kBeginValidation, false, {}},
      {kInvalid, AuthzEvent::kRetryScheduled, false, {}},
      {kInvalid, AuthzEvent::kValidated, false, {}},
      {kInvalid, AuthzEvent::kFailed, false, {}},
  };
  for (const TransitionCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << Name(c.from.authz) << "/" << Name(c.from.challenge)
                 << " event " << static_cast<int>(c.event));
    absl::StatusOr<AuthzState> next = NextState(c.from, c.event);
    EXPECT_EQ(next.ok(), c.allowed);
    if (c.allowed) {
      ASSERT_TRUE(next.ok());
      EXPECT_EQ(*next, c.to);
    } else {
      EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
    }
  }
}

TEST(RaAuthzStateTest, FinalStates) {
  EXPECT_FALSE(IsFinal(kCreated));
  EXPECT_FALSE(IsFinal(kProcessing));
  EXPECT_TRUE(IsFinal(kValid));
  EXPECT_TRUE(IsFinal(kInvalid));
}

TEST(RaAuthzStateTest, DisplayedStatusTable) {
  const absl::Time expires = absl::FromUnixSeconds(1000);
  const absl::Time before = expires - absl::Seconds(1);
  const absl::Time after = expires + absl::Seconds(1);
  struct Case {
    AuthzState state;
    absl::Time now;
    AuthzStatus shown;
  };
  const std::vector<Case> cases = {
      {kCreated, before, AuthzStatus::kPending},
      {kCreated, expires, AuthzStatus::kExpired},
      {kCreated, after, AuthzStatus::kExpired},
      // Processing stays pending until finalized, so a shown "expired"
      // never turns into "valid".
      {kProcessing, after, AuthzStatus::kPending},
      {kValid, before, AuthzStatus::kValid},
      {kValid, after, AuthzStatus::kValid},
      {kInvalid, after, AuthzStatus::kInvalid},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DisplayedStatus(c.state, expires, c.now), c.shown)
        << Name(c.state.authz) << "/" << Name(c.state.challenge);
  }
}

TEST(RaAuthzStateTest, CanBeginValidationTable) {
  const absl::Time expires = absl::FromUnixSeconds(1000);
  struct Case {
    AuthzState state;
    absl::Time now;
    absl::StatusCode code;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {kCreated, expires - absl::Seconds(1), absl::StatusCode::kOk, ""},
      {kCreated, expires, absl::StatusCode::kFailedPrecondition, "expired"},
      {kProcessing, expires + absl::Hours(1), absl::StatusCode::kOk, ""},
      {kValid, expires - absl::Seconds(1),
       absl::StatusCode::kFailedPrecondition, "must be pending"},
      {kInvalid, expires - absl::Seconds(1),
       absl::StatusCode::kFailedPrecondition, "must be pending"},
  };
  for (const Case& c : cases) {
    const absl::Status s = CheckCanBeginValidation(c.state, expires, c.now);
    EXPECT_EQ(s.code(), c.code) << s;
    EXPECT_NE(std::string(s.message()).find(c.message_part), std::string::npos)
        << s;
  }
}

TEST(RaAuthzStateTest, NamesRoundTrip) {
  for (AuthzStatus s : {AuthzStatus::kPending, AuthzStatus::kValid,
                        AuthzStatus::kInvalid, AuthzStatus::kExpired}) {
    EXPECT_EQ(ParseAuthzStatus(Name(s)), s);
  }
  for (ChallengeStatus s :
       {ChallengeStatus::kPending, ChallengeStatus::kProcessing,
        ChallengeStatus::kValid, ChallengeStatus::kInvalid}) {
    EXPECT_EQ(ParseChallengeStatus(Name(s)), s);
  }
  EXPECT_EQ(ParseAuthzStatus("deactivated"), std::nullopt);
  EXPECT_EQ(ParseChallengeStatus(""), std::nullopt);
}

}  // namespace
}  // namespace acmeva::ra
