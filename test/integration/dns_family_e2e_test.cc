// The DNS challenge family end to end: dnstestsrv, va, ra and vactl as real
// processes on loopback. Each authorization offers dns-01, dns-account-01
// and dns-persist-01; the client answers one with `vactl validate
// --challenge`, publishes what `vactl txt` prints, and the JSON shows the
// chosen challenge final and the others untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "test/integration/ra_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::google::protobuf::Struct;
using ::testing::HasSubstr;

// As started by RaStack: every VA gets these.
constexpr char kIssuer[] = "letsencrypt.org";
constexpr char kPrefix[] = "https://acme-v02.example/acme/acct/";
constexpr char kZone[] = "family.test";
constexpr char kUnauthorized[] = "urn:ietf:params:acme:error:unauthorized";
constexpr char kMalformed[] = "urn:ietf:params:acme:error:malformed";
constexpr char kDnsProblem[] = "urn:ietf:params:acme:error:dns";

const std::vector<std::string> kChallengeTypes = {"dns-01", "dns-account-01",
                                                  "dns-persist-01"};

::testing::AssertionResult IsOk(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status;
}

// The challenge of `type` in an authorization's JSON; empty when absent.
Struct ChallengeOf(const Struct& authz, const std::string& type) {
  const google::protobuf::Value* list = Member(authz, "challenges");
  if (list == nullptr || !list->has_list_value()) return {};
  for (const auto& v : list->list_value().values()) {
    if (v.has_struct_value() && StrMember(v.struct_value(), "type") == type) {
      return v.struct_value();
    }
  }
  return {};
}

Struct ErrorOf(const Struct& authz, const std::string& type) {
  const Struct challenge = ChallengeOf(authz, type);
  const google::protobuf::Value* error = Member(challenge, "error");
  return error != nullptr && error->has_struct_value() ? error->struct_value()
                                                       : Struct();
}

double NumMember(const Struct& object, const std::string& key) {
  const google::protobuf::Value* v = Member(object, key);
  return v != nullptr && v->has_number_value() ? v->number_value() : -1;
}

struct Authz {
  std::string id;
  std::string name;  // as asked, "*." included for a wildcard
  int64_t account = 1;
};

class DnsFamilyE2eTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << stack_.Logs();
    } else if (std::getenv("RA_E2E_KEEP_LOGS") == nullptr) {
      stack_.DiscardDirOnStop();
    }
  }

  void StartStack() {
    RaStackOptions options;
    // Quick DNS failure, and a quick RA retry after a transient one.
    options.va_flags = {"--dns-tries=2", "--dns-timeout=300ms"};
    options.ra_flags = {"--revalidation-initial-backoff=1s"};
    ASSERT_TRUE(IsOk(stack_.Start(options))) << stack_.Logs();
    ASSERT_TRUE(IsOk(stack_.AddCaa(kZone, "issue", kIssuer)));
  }

  // New authorization: offers all three challenges, all pending, a token on
  // the two that use one.
  Authz New(const std::string& name, int64_t account = 1) {
    const bool wildcard = name.starts_with("*.");
    std::vector<std::string> args = {"new-authz",
                                     wildcard ? name.substr(2) : name,
                                     absl::StrCat("--account=", account)};
    if (wildcard) args.push_back("--wildcard");
    absl::StatusOr<Struct> json = stack_.VactlJson(args);
    EXPECT_TRUE(json.ok()) << json.status();
    if (!json.ok()) return {};
    const google::protobuf::Value* list = Member(*json, "challenges");
    EXPECT_TRUE(list != nullptr && list->list_value().values_size() == 3);
    const std::string token = StrMember(ChallengeOf(*json, "dns-01"), "token");
    EXPECT_EQ(token.size(), 43u);
    EXPECT_EQ(StrMember(ChallengeOf(*json, "dns-account-01"), "token"), token);
    EXPECT_EQ(StrMember(ChallengeOf(*json, "dns-persist-01"), "token"), "");
    for (const std::string& type : kChallengeTypes) {
      EXPECT_EQ(StrMember(ChallengeOf(*json, type), "status"), "pending")
          << type;
    }
    return {absl::StrCat(static_cast<int64_t>(NumMember(*json, "id"))), name,
            account};
  }

  // What `vactl txt` says to publish, published.
  void Publish(const Authz& a, const std::string& type) {
    absl::StatusOr<Struct> txt = stack_.VactlJson(
        {"txt", a.id, "--challenge", type, "--thumbprint", kThumbprint,
         absl::StrCat("--issuer-domain=", kIssuer),
         absl::StrCat("--account-uri-prefix=", kPrefix)});
    ASSERT_TRUE(txt.ok()) << txt.status();
    ASSERT_TRUE(
        IsOk(stack_.SetTxt(StrMember(*txt, "name"), StrMember(*txt, "value"))));
  }

  // Answers `type` and waits until the authorization is final.
  Struct ValidateAndWait(const Authz& a, const std::string& type) {
    absl::StatusOr<Struct> started = stack_.VactlJson(
        {"validate", a.id, "--thumbprint", kThumbprint, "--challenge", type});
    EXPECT_TRUE(started.ok()) << started.status();
    absl::StatusOr<Struct> done =
        stack_.VactlJson({"wait", a.id, "--timeout=45s"}, absl::Seconds(60));
    EXPECT_TRUE(done.ok()) << done.status();
    if (!done.ok()) return {};
    // The chosen challenge carries the result; the others are untouched.
    for (const std::string& other : kChallengeTypes) {
      if (other == type) continue;
      EXPECT_EQ(StrMember(ChallengeOf(*done, other), "status"), "pending")
          << other;
      const Struct challenge = ChallengeOf(*done, other);
      EXPECT_EQ(Member(challenge, "error"), nullptr) << other;
    }
    EXPECT_EQ(StrMember(ChallengeOf(*done, type), "status"),
              StrMember(*done, "status"));
    return *done;
  }

  std::string PersistName(const std::string& host) {
    return absl::StrCat("_validation-persist.", host);
  }

  std::string PersistRecord(int64_t account, const std::string& extra = "") {
    return absl::StrCat(kIssuer, "; accounturi=", kPrefix, account, extra);
  }

  RaStack stack_;
};

TEST_F(DnsFamilyE2eTest, DnsAccount01) {
  StartStack();
  const std::string account_uri = absl::StrCat(kPrefix, 1);

  // Valid, from what vactl prints; the name is the account's own.
  Authz valid = New("acct-valid.family.test");
  Publish(valid, "dns-account-01");
  Struct done = ValidateAndWait(valid, "dns-account-01");
  EXPECT_EQ(StrMember(done, "status"), "valid")
      << StrMember(ErrorOf(done, "dns-account-01"), "detail");
  EXPECT_EQ(stack_.QueryCount("_acme-challenge.acct-valid.family.test", "TXT"),
            0);

  // Wildcard: the record lives at the base name.
  Authz wildcard = New("*.acct-wild.family.test");
  Publish(wildcard, "dns-account-01");
  done = ValidateAndWait(wildcard, "dns-account-01");
  EXPECT_EQ(StrMember(done, "status"), "valid")
      << StrMember(ErrorOf(done, "dns-account-01"), "detail");

  // Another account's record does not count: unauthorized, naming ours.
  Authz other = New("acct-other.family.test", 2);
  Publish(other, "dns-account-01");
  Authz mine = New("acct-other.family.test", 1);
  done = ValidateAndWait(mine, "dns-account-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  Struct error = ErrorOf(done, "dns-account-01");
  EXPECT_EQ(StrMember(error, "type"), kUnauthorized);
  EXPECT_THAT(StrMember(error, "detail"),
              HasSubstr(absl::StrCat("No TXT record found at _")));
  EXPECT_THAT(StrMember(error, "detail"),
              HasSubstr(absl::StrCat("(account: \"", account_uri, "\")")));

  // Wrong value at the right name.
  Authz wrong = New("acct-wrong.family.test");
  Publish(wrong, "dns-account-01");
  Authz wrong2 = New("acct-wrong.family.test");  // new token, old record
  done = ValidateAndWait(wrong2, "dns-account-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  error = ErrorOf(done, "dns-account-01");
  EXPECT_EQ(StrMember(error, "type"), kUnauthorized);
  EXPECT_THAT(StrMember(error, "detail"), HasSubstr("Incorrect TXT record"));
  EXPECT_THAT(StrMember(error, "detail"), HasSubstr(account_uri));

  // A transient failure is retried by the RA, then valid.
  Authz flaky = New("acct-flaky.family.test");
  Publish(flaky, "dns-account-01");
  absl::StatusOr<Struct> txt = stack_.VactlJson(
      {"txt", flaky.id, "--challenge", "dns-account-01", "--thumbprint",
       kThumbprint, absl::StrCat("--account-uri-prefix=", kPrefix)});
  ASSERT_TRUE(txt.ok()) << txt.status();
  ASSERT_TRUE(IsOk(
      stack_.SetFault(StrMember(*txt, "name"), "TXT", "drop", /*count=*/2)));
  done = ValidateAndWait(flaky, "dns-account-01");
  EXPECT_EQ(StrMember(done, "status"), "valid")
      << StrMember(ErrorOf(done, "dns-account-01"), "detail");
  EXPECT_EQ(NumMember(done, "validationAttempts"), 2);
}

TEST_F(DnsFamilyE2eTest, DnsPersist01) {
  StartStack();
  const std::string expected = absl::StrCat(kPrefix, 1);

  // One record, published once, validates two authorizations of account 1.
  Authz first = New("persist.family.test");
  Publish(first, "dns-persist-01");
  EXPECT_EQ(StrMember(ValidateAndWait(first, "dns-persist-01"), "status"),
            "valid");
  Authz second = New("persist.family.test");
  Struct done = ValidateAndWait(second, "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "valid")
      << StrMember(ErrorOf(done, "dns-persist-01"), "detail");
  EXPECT_EQ(stack_.QueryCount(PersistName("persist.family.test"), "TXT"), 2);

  // Account 2 on the same name: the accounturi mismatch.
  Authz stranger = New("persist.family.test", 2);
  done = ValidateAndWait(stranger, "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  Struct error = ErrorOf(done, "dns-persist-01");
  EXPECT_EQ(StrMember(error, "type"), kUnauthorized);
  EXPECT_EQ(StrMember(error, "detail"),
            absl::StrCat("Checking DNS-PERSIST-01 challenge TXT record with "
                         "issuer-domain-name \"letsencrypt.org\": accounturi "
                         "mismatch: expected \"",
                         kPrefix, 2, "\", got \"", expected, "\""));

  // Wildcard without policy=wildcard, then with it.
  ASSERT_TRUE(
      IsOk(stack_.SetTxt(PersistName("wild.family.test"), PersistRecord(1))));
  done = ValidateAndWait(New("*.wild.family.test"), "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  EXPECT_THAT(StrMember(ErrorOf(done, "dns-persist-01"), "detail"),
              HasSubstr("policy mismatch: expected \"wildcard\", got \"\""));
  Authz wild = New("*.wild2.family.test");
  Publish(wild, "dns-persist-01");  // vactl adds policy=wildcard
  done = ValidateAndWait(wild, "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "valid")
      << StrMember(ErrorOf(done, "dns-persist-01"), "detail");

  // persistUntil in the past.
  ASSERT_TRUE(IsOk(stack_.SetTxt(PersistName("expired.family.test"),
                                 PersistRecord(1, "; persistUntil=1000"))));
  done = ValidateAndWait(New("expired.family.test"), "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  error = ErrorOf(done, "dns-persist-01");
  EXPECT_EQ(StrMember(error, "type"), kUnauthorized);
  EXPECT_THAT(StrMember(error, "detail"),
              HasSubstr("is after persistUntil 1970-01-01T00:16:40Z"));

  // Only another CA's record.
  ASSERT_TRUE(IsOk(
      stack_.SetTxt(PersistName("otherca.family.test"),
                    absl::StrCat("other-ca.example; accounturi=", expected))));
  done = ValidateAndWait(New("otherca.family.test"), "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  EXPECT_EQ(StrMember(ErrorOf(done, "dns-persist-01"), "detail"),
            "No valid TXT record found for DNS-PERSIST-01 challenge");

  // A malformed record for us.
  ASSERT_TRUE(IsOk(stack_.SetTxt(PersistName("broken.family.test"),
                                 "letsencrypt.org; policy=wildcard")));
  done = ValidateAndWait(New("broken.family.test"), "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  error = ErrorOf(done, "dns-persist-01");
  EXPECT_EQ(StrMember(error, "type"), kMalformed);
  EXPECT_THAT(StrMember(error, "detail"),
              HasSubstr("missing mandatory accounturi parameter"));

  // No record at all.
  done = ValidateAndWait(New("none.family.test"), "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "invalid");
  EXPECT_EQ(StrMember(ErrorOf(done, "dns-persist-01"), "detail"),
            "No TXT record found for DNS-PERSIST-01 challenge");

  // A transient failure, retried by the RA, then valid.
  ASSERT_TRUE(
      IsOk(stack_.SetTxt(PersistName("flaky.family.test"), PersistRecord(1))));
  ASSERT_TRUE(IsOk(stack_.SetFault(PersistName("flaky.family.test"), "TXT",
                                   "drop", /*count=*/2)));
  done = ValidateAndWait(New("flaky.family.test"), "dns-persist-01");
  EXPECT_EQ(StrMember(done, "status"), "valid")
      << StrMember(ErrorOf(done, "dns-persist-01"), "detail");
  EXPECT_EQ(NumMember(done, "validationAttempts"), 2);
}

TEST_F(DnsFamilyE2eTest, DnsFailureIsAStructuredDnsProblem) {
  StartStack();
  // NXDOMAIN at the record's name is final at once (as for dns-01): a dns
  // problem with the query named, for each account-bound type.
  for (const std::string type : {"dns-account-01", "dns-persist-01"}) {
    const std::string host = absl::StrCat("sf-", type, ".family.test");
    Authz a = New(host);
    std::string name = PersistName(host);
    if (type == "dns-account-01") {
      absl::StatusOr<Struct> txt = stack_.VactlJson(
          {"txt", a.id, "--challenge", type, "--thumbprint", kThumbprint,
           absl::StrCat("--account-uri-prefix=", kPrefix)});
      ASSERT_TRUE(txt.ok()) << txt.status();
      name = StrMember(*txt, "name");
    }
    ASSERT_TRUE(IsOk(stack_.SetFault(name, "TXT", "nxdomain")));
    Struct done = ValidateAndWait(a, type);
    EXPECT_EQ(StrMember(done, "status"), "invalid") << type;
    const Struct error = ErrorOf(done, type);
    EXPECT_EQ(StrMember(error, "type"), kDnsProblem) << type;
    EXPECT_EQ(StrMember(error, "queryName"), name) << type;
    EXPECT_EQ(StrMember(error, "dnsOutcome"), "nxdomain") << type;
  }
}

TEST_F(DnsFamilyE2eTest, BadChallengeChoicesAreRefused) {
  StartStack();
  Authz a = New("bad.family.test");
  CommandResult r = stack_.Vactl({"validate", a.id, "--thumbprint", kThumbprint,
                                  "--challenge", "http-01"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("challengeType"));
  // dns-persist-01 has no token: a token-bearing key authorization is wrong.
  r = stack_.Vactl({"validate", a.id, "--key-authorization",
                    KeyAuthorization(std::string(43, 'x')), "--challenge",
                    "dns-persist-01"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("keyAuthorization"));
  r = stack_.Vactl({"txt", a.id, "--challenge", "dns-persist-01",
                    "--thumbprint", kThumbprint});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("issuer domain"));
  // Nothing changed.
  absl::StatusOr<Struct> still = stack_.VactlJson({"get", a.id});
  ASSERT_TRUE(still.ok()) << still.status();
  for (const std::string& type : kChallengeTypes) {
    EXPECT_EQ(StrMember(ChallengeOf(*still, type), "status"), "pending");
  }
}

}  // namespace
}  // namespace acmeva::testing_harness
