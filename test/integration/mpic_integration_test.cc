// Multi-perspective corroboration with real processes: a primary VA and
// remote VAs, each with its OWN dnstestsrv (nothing shared between
// perspectives), so each perspective can be shown a different DNS.
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

struct RemoteSpec {
  std::string perspective;
  std::string rir;
};

class MpicTest : public ::testing::Test {
 protected:
  // Starts the remotes, then the primary pointing at them.
  // `remote_flags[i]`, when given, are extra flags of remote i.
  void StartStack(
      const std::vector<RemoteSpec>& remotes, int min_remotes = 3,
      const std::vector<std::vector<std::string>>& remote_flags = {}) {
    for (size_t i = 0; i < remotes.size(); ++i) {
      const RemoteSpec& r = remotes[i];
      auto stack = std::make_unique<VaStack>();
      VaStackOptions options;
      options.va_flags = {"--perspective=" + r.perspective, "--rir=" + r.rir,
                          "--dns-tries=3", "--dns-timeout=300ms"};
      if (i < remote_flags.size()) {
        options.va_flags.insert(options.va_flags.end(), remote_flags[i].begin(),
                                remote_flags[i].end());
      }
      ASSERT_TRUE(stack->Start(options).ok());
      remotes_.push_back(std::move(stack));
    }
    VaStackOptions options;
    options.va_flags = {"--dns-tries=3", "--dns-timeout=300ms", "--rir=ARIN",
                        absl::StrCat("--min-remote-perspectives=", min_remotes),
                        // Three remotes are below the BR minimum since
                        // 2026-06-15; these tests are about the quorum.
                        "--allow-noncompliant-mpic", "--remote-timeout=5s"};
    for (size_t i = 0; i < remotes.size(); ++i) {
      options.va_flags.push_back("--remote-va");
      options.va_flags.push_back(
          absl::StrCat("127.0.0.1:", remotes_[i]->va_port(), ",",
                       remotes[i].perspective, ",", remotes[i].rir));
    }
    ASSERT_TRUE(primary_.Start(options).ok());
  }

  // Programs every perspective's DNS server the same way.
  void AllDns(const std::string& path, const std::string& json) {
    ASSERT_TRUE(primary_.Dns(path, json).ok());
    for (auto& r : remotes_) ASSERT_TRUE(r->Dns(path, json).ok());
  }

  static std::string Caa(const std::string& host, const std::string& value) {
    return absl::StrCat("{\"host\":\"", host,
                        "\",\"policies\":[{\"tag\":\"issue\",\"value\":\"",
                        value, "\"}]}");
  }

  VaStack primary_;
  std::vector<std::unique_ptr<VaStack>> remotes_;
};

const std::vector<RemoteSpec> kThree = {
    {"arin-1", "ARIN"}, {"ripe-1", "RIPE"}, {"apnic-1", "APNIC"}};

TEST_F(MpicTest, AllPerspectivesAgreeDnsAndCaa) {
  StartStack(kThree);
  KeyAuthz k = MakeKeyAuthz(200);
  AllDns("/set-txt", absl::StrCat("{\"host\":\"_acme-challenge.ok.example."
                                  "com\",\"value\":\"",
                                  k.txt, "\"}"));
  AllDns("/add-caa", Caa("example.com", "letsencrypt.org"));
  ::va::ValidationResult dcv;
  ASSERT_TRUE(primary_.DoDCV("ok.example.com", k.key_authorization, &dcv).ok());
  EXPECT_FALSE(dcv.has_problem()) << dcv.problem().detail();
  EXPECT_EQ(dcv.perspective(), "Primary");
  EXPECT_EQ(dcv.rir(), "ARIN");
  ::va::IsCAAValidResponse caa;
  ASSERT_TRUE(primary_.DoCAA("ok.example.com", "dns-01", 1, &caa).ok());
  EXPECT_FALSE(caa.has_problem()) << caa.problem().detail();
  // A quorum line (one for the DCV, one for the CAA check) is written once
  // the last remote has answered; the primary may answer the caller before
  // that, as soon as a quorum agrees.
  const std::string all_three = "\"quorumResult\":\"3/3\"";
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = primary_.va().Log();
    const size_t first = log.find(all_three);
    if (first != std::string::npos &&
        log.find(all_three, first + 1) != std::string::npos) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  const size_t first = log.find(all_three);
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find(all_three, first + 1), std::string::npos) << log;
  // Every remote really looked (its own DNS server saw the queries).
  for (auto& r : remotes_) {
    EXPECT_GE(r->QueryCount("_acme-challenge.ok.example.com", "TXT"), 1);
    EXPECT_GE(r->QueryCount("com", "CAA"), 1);
  }
}

// dns-persist-01: the remotes run the same challenge type, and a remote's
// pass counts only when it matched the same accounturi as the primary. Two
// remotes build account URIs from another prefix (a misconfiguration): each
// finds the record published for "its" account and passes locally, and the
// primary counts both as failed.
TEST_F(MpicTest, DnsPersist01RemotesMustMatchTheSameAccount) {
  const std::string other = "--account-uri-prefixes=https://other.example/a/";
  StartStack(kThree, 3, {{other}, {other}, {}});
  for (const std::string uri :
       {"https://acme-v02.example/acme/acct/1", "https://other.example/a/1"}) {
    AllDns("/set-txt",
           absl::StrCat("{\"host\":\"_validation-persist.persist.example."
                        "com\",\"value\":\"letsencrypt.org; accounturi=",
                        uri, "\"}"));
  }
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("persist.example.com");
  req.mutable_challenge()->set_type("dns-persist-01");
  req.mutable_challenge()->set_status("pending");
  req.mutable_authz()->set_id(1);
  req.mutable_authz()->set_regid(1);
  req.set_expectedkeyauthorization(
      ".thumbBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
  ::va::ValidationResult dcv;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  ASSERT_TRUE(primary_.va_stub().DoDCV(&ctx, req, &dcv).ok());
  ASSERT_TRUE(dcv.has_problem());
  EXPECT_EQ(dcv.problem().problemtype(), "unauthorized");
  EXPECT_EQ(dcv.problem().detail(),
            "During secondary validation: Remote perspective matched "
            "accounturi \"https://other.example/a/1\", expected "
            "\"https://acme-v02.example/acme/acct/1\"");
  EXPECT_THAT(dcv.problem().failedperspectives(),
              UnorderedElementsAre("arin-1", "ripe-1"));
  // The failing remotes did look up the dns-persist-01 record themselves.
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GE(remotes_[i]->QueryCount("_validation-persist.persist.example.com",
                                      "TXT"),
              1);
  }
}

TEST_F(MpicTest, OneRemoteSeeingADenyIsToleratedTwoAreNot) {
  StartStack(kThree);
  AllDns("/add-caa", Caa("split.example.com", "letsencrypt.org"));
  // A hijacked view at one perspective: a different CAA answer.
  ASSERT_TRUE(
      remotes_[0]->Dns("/clear-caa", "{\"host\":\"split.example.com\"}").ok());
  ASSERT_TRUE(
      remotes_[0]
          ->Dns("/add-caa", Caa("split.example.com", "other-ca.example"))
          .ok());
  ::va::IsCAAValidResponse one;
  ASSERT_TRUE(primary_.DoCAA("split.example.com", "dns-01", 1, &one).ok());
  EXPECT_FALSE(one.has_problem()) << one.problem().detail();

  ASSERT_TRUE(
      remotes_[1]->Dns("/clear-caa", "{\"host\":\"split.example.com\"}").ok());
  ASSERT_TRUE(
      remotes_[1]
          ->Dns("/add-caa", Caa("split.example.com", "other-ca.example"))
          .ok());
  ::va::IsCAAValidResponse two;
  ASSERT_TRUE(primary_.DoCAA("split.example.com", "dns-01", 1, &two).ok());
  ASSERT_TRUE(two.has_problem());
  EXPECT_EQ(two.problem().problemtype(), "caa");
  EXPECT_EQ(two.problem().detail(),
            "During secondary validation: While processing CAA for "
            "split.example.com: CAA record for split.example.com prevents "
            "issuance");
  EXPECT_THAT(two.problem().failedperspectives(),
              UnorderedElementsAre("arin-1", "ripe-1"));
}

TEST_F(MpicTest, SeedCaseBriefTldTimeoutAtRemotesIsAbsorbedByRetries) {
  StartStack(kThree);
  // Two of three remotes lose their first CAA query for the TLD "me"; the
  // primary is fine. Bounded retries inside each remote carry it.
  for (int i : {0, 1}) {
    ASSERT_TRUE(remotes_[i]
                    ->Dns("/set-fault",
                          "{\"host\":\"me\",\"type\":\"CAA\",\"mode\":\"drop\","
                          "\"count\":1}")
                    .ok());
  }
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(primary_.DoCAA("example.me", "dns-01", 1, &r).ok());
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
  // At least one faulted remote retried (the quorum may be decided, and the
  // other cancelled, before the second one's retry).
  EXPECT_GE(remotes_[0]->QueryCount("me", "CAA") +
                remotes_[1]->QueryCount("me", "CAA"),
            3);
}

TEST_F(MpicTest, SeedCaseLastingTldOutageAtRemotesIsTransientDnsProblem) {
  StartStack(kThree);
  for (int i : {0, 1}) {
    ASSERT_TRUE(
        remotes_[i]
            ->Dns("/set-fault",
                  "{\"host\":\"me\",\"type\":\"CAA\",\"mode\":\"drop\"}")
            .ok());
  }
  ::va::IsCAAValidResponse r;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(
      primary_.DoCAA("example.me", "dns-01", 1, &r, absl::Seconds(8)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().detail(),
            "During secondary validation: While processing CAA for "
            "example.me: DNS problem: query timed out looking up CAA for me");
  EXPECT_TRUE(r.problem().transient());
  EXPECT_EQ(r.problem().attempts(), 3);
  EXPECT_EQ(r.problem().queryname(), "me");
  EXPECT_EQ(r.problem().failedperspectives_size(), 2);
}

TEST_F(MpicTest, RemoteDownToleratedOnceAndReportedTransient) {
  StartStack(kThree);
  AllDns("/add-caa", Caa("down.example.com", "letsencrypt.org"));
  remotes_[2]->va().Kill9();
  ::va::IsCAAValidResponse one_down;
  ASSERT_TRUE(primary_.DoCAA("down.example.com", "dns-01", 1, &one_down).ok());
  EXPECT_FALSE(one_down.has_problem()) << one_down.problem().detail();

  remotes_[1]->va().Kill9();
  ::va::IsCAAValidResponse two_down;
  ASSERT_TRUE(primary_.DoCAA("down.example.com", "dns-01", 1, &two_down).ok());
  ASSERT_TRUE(two_down.has_problem());
  EXPECT_EQ(two_down.problem().problemtype(), "serverInternal");
  EXPECT_THAT(
      two_down.problem().detail(),
      HasSubstr("During secondary validation: Secondary validation RPC"));
  EXPECT_TRUE(two_down.problem().transient());
}

TEST_F(MpicTest, TooFewRemotesIsServerInternal) {
  StartStack({{"arin-1", "ARIN"}, {"ripe-1", "RIPE"}}, /*min_remotes=*/3);
  AllDns("/add-caa", Caa("few.example.com", "letsencrypt.org"));
  ::va::IsCAAValidResponse r;
  ASSERT_TRUE(primary_.DoCAA("few.example.com", "dns-01", 1, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "serverInternal");
  EXPECT_THAT(r.problem().detail(),
              HasSubstr("Insufficient remote perspectives"));
}

TEST_F(MpicTest, LocalFailureNeverAsksRemotes) {
  StartStack(kThree);
  KeyAuthz k = MakeKeyAuthz(201);
  ::va::ValidationResult r;
  ASSERT_TRUE(
      primary_.DoDCV("nolocal.example.com", k.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().detail(),
            "No TXT record found at _acme-challenge.nolocal.example.com");
  for (auto& r2 : remotes_) {
    EXPECT_EQ(r2->QueryCount("_acme-challenge.nolocal.example.com"), 0);
  }
}

}  // namespace
}  // namespace acmeva::testing_harness

namespace acmeva::testing_harness {
namespace {

// BR §3.2.2.9: from 2026-12-15 a primary needs 5 remote perspectives; with
// 4 the VA refuses to start and says which rule and date, unless told
// --allow-noncompliant-mpic. Nothing is dialled: the ports are never used.
TEST(MpicStartupTest, PrimaryBelowTheDatedMinimumRefusesToStart) {
  std::vector<std::string> args = {ProgramPath("va"),
                                   "--listen=127.0.0.1:0",
                                   "--dns-resolvers=127.0.0.1:9",
                                   "--issuer-domain=letsencrypt.org",
                                   "--plaintext",
                                   "--dnssec-canary=off",
                                   "--compliance-date=2026-12-15"};
  const char* kRemotes[] = {
      "127.0.0.1:9,arin-1,ARIN", "127.0.0.1:9,ripe-1,RIPE",
      "127.0.0.1:9,apnic-1,APNIC", "127.0.0.1:9,arin-2,ARIN"};
  for (const char* r : kRemotes) {
    args.push_back("--remote-va");
    args.push_back(r);
  }
  const CommandResult r = RunCommand(args, absl::Seconds(20));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("3.2.2.9")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("2026-12-15")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("4 remote perspectives configured, at least 5"))
      << r.err;
}

}  // namespace
}  // namespace acmeva::testing_harness
