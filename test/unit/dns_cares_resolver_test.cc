// CaresResolver over real UDP/TCP sockets on loopback against
// FakeDnsServer: retries, deadlines, coalescing, budget, truncation, record
// parsing and the wire bits of the queries it sends.
#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "test/unit/fake_dns_server.h"
#include "va/dns/cares_resolver.h"

namespace acmeva::va::dns {
namespace {

using ::acmeva::va::dns::testing::FakeDnsQuery;
using ::acmeva::va::dns::testing::FakeDnsScript;
using ::acmeva::va::dns::testing::FakeDnsServer;

constexpr absl::Duration kSlack = absl::Milliseconds(50);

class CountingObserver : public DnsObserver {
 public:
  void OnTry(std::string_view, RRType, std::string_view, Outcome,
             absl::Duration, bool) override {
    ++tries;
  }
  void OnLookupDone(const LookupResult&) override { ++lookups_done; }
  void OnRetry(bool granted) override { ++(granted ? retries : denied); }
  void OnCoalesced() override { ++coalesced; }
  void OnInFlightChange(int delta) override { in_flight += delta; }
  void OnHedgedTry() override { ++hedged; }
  void OnLateAnswer(bool used) override { ++(used ? late_used : late_unused); }

  std::atomic<int> tries{0}, lookups_done{0}, retries{0}, denied{0},
      coalesced{0}, in_flight{0}, hedged{0}, late_used{0}, late_unused{0};
};

std::unique_ptr<FakeDnsServer> StartServer() {
  absl::StatusOr<std::unique_ptr<FakeDnsServer>> server =
      FakeDnsServer::Start();
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Short timeouts so the whole binary stays fast.
CaresResolverOptions FastOptions(std::vector<std::string> servers) {
  CaresResolverOptions o;
  o.servers = std::move(servers);
  o.retry.per_try_timeout = absl::Milliseconds(150);
  o.retry.min_try_timeout = absl::Milliseconds(50);
  o.retry.backoff_base = absl::Milliseconds(5);
  o.retry.backoff_cap = absl::Milliseconds(20);
  // The tests below count tries against 3 (Boulder's), not the default 10.
  o.retry.max_tries = 3;
  o.log_failed_tries = getenv("DNS_TEST_LOG") != nullptr;
  return o;
}

std::unique_ptr<CaresResolver> MakeResolver(CaresResolverOptions options) {
  absl::StatusOr<std::unique_ptr<CaresResolver>> r =
      CaresResolver::Create(std::move(options));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : nullptr;
}

struct Timed {
  LookupResult result;
  absl::Time called;
};

Timed LookupAndWait(Resolver& resolver, const std::string& name, RRType type,
                    absl::Time deadline) {
  absl::Notification done;
  Timed out;
  resolver.Lookup(name, type, deadline, [&](LookupResult r) {
    out.result = std::move(r);
    out.called = absl::Now();
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(
      std::min(deadline - absl::Now(), absl::Seconds(10)) + absl::Seconds(2)))
      << "callback never ran for " << name;
  return out;
}

LookupResult LookupAndWait(Resolver& resolver, const std::string& name,
                           RRType type,
                           absl::Duration timeout = absl::Seconds(5)) {
  return LookupAndWait(resolver, name, type, absl::Now() + timeout).result;
}

// Runs `names.size()` lookups at once and waits for all of them.
std::vector<LookupResult> LookupAll(Resolver& resolver,
                                    const std::vector<std::string>& names,
                                    RRType type, absl::Duration timeout) {
  std::vector<LookupResult> results(names.size());
  absl::BlockingCounter pending(static_cast<int>(names.size()));
  const absl::Time deadline = absl::Now() + timeout;
  for (size_t i = 0; i < names.size(); ++i) {
    resolver.Lookup(names[i], type, deadline, [&, i](LookupResult r) {
      results[i] = std::move(r);
      pending.DecrementCount();
    });
  }
  pending.Wait();
  return results;
}

TEST(CaresResolverTest, TxtRecordsJoinedAndQueryBitsOnTheWire) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.txt = {{"first-string-", "second-string"}, {"other"}};
  script.ad = true;
  server->Set("_acme-challenge.example.test", RRType::kTXT, script);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);

  LookupResult r =
      LookupAndWait(*resolver, "_acme-challenge.example.test.", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kNoError);
  EXPECT_EQ(r.name, "_acme-challenge.example.test");
  EXPECT_EQ(r.type, RRType::kTXT);
  EXPECT_EQ(r.txt,
            (std::vector<std::string>{"first-string-second-string", "other"}));
  EXPECT_TRUE(r.authenticated_data);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.resolver, server->address());
  EXPECT_GT(r.elapsed, absl::ZeroDuration());

  std::vector<FakeDnsQuery> queries = server->queries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].name, "_acme-challenge.example.test");
  EXPECT_EQ(queries[0].type, 16);
  EXPECT_FALSE(queries[0].tcp);
  EXPECT_TRUE(queries[0].rd);
  EXPECT_TRUE(queries[0].ad) << "AD=1 asks the resolver to report validation";
  EXPECT_FALSE(queries[0].cd);
  EXPECT_TRUE(queries[0].has_opt);
  EXPECT_EQ(queries[0].opt_udp_size, 1232);
  EXPECT_FALSE(queries[0].opt_do);
}

TEST(CaresResolverTest, CaaFlagsAreKeptRawAndCnamesSkipped) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.cname = "target.example.net";
  script.caa = {{0, "issue", "letsencrypt.org"},
                {1, "issue", "ca.example"},
                {128, "tbs", "x"},
                {126, "issuewild", ";"},
                {0, "issue", ""}};
  server->Set("example.test", RRType::kCAA, script);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);

  LookupResult r = LookupAndWait(*resolver, "example.test", RRType::kCAA);
  ASSERT_EQ(r.outcome, Outcome::kNoError);
  EXPECT_FALSE(r.authenticated_data);
  ASSERT_EQ(r.caa.size(), script.caa.size());
  for (size_t i = 0; i < r.caa.size(); ++i) {
    EXPECT_EQ(r.caa[i].flags, script.caa[i].flags) << i;
    EXPECT_EQ(r.caa[i].tag, script.caa[i].tag) << i;
    EXPECT_EQ(r.caa[i].value, script.caa[i].value) << i;
  }
}

TEST(CaresResolverTest, DroppedFirstQuerySucceedsOnTheSecondTry) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.drop_first = 1;
  script.txt = {{"token"}};
  server->Set("drop.example.test", RRType::kTXT, script);
  CountingObserver observer;
  CaresResolverOptions options = FastOptions({server->address()});
  options.observer = &observer;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  LookupResult r = LookupAndWait(*resolver, "drop.example.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kNoError);
  EXPECT_EQ(r.txt, std::vector<std::string>{"token"});
  EXPECT_EQ(r.attempts, 2);
  EXPECT_GE(r.elapsed, absl::Milliseconds(140)) << "one try timed out";
  EXPECT_EQ(server->query_count(), 2);
  // Each try had its own random ID.
  std::vector<FakeDnsQuery> q = server->queries();
  EXPECT_NE(q[0].id, q[1].id);
  EXPECT_EQ(observer.tries, 2);
  EXPECT_EQ(observer.retries, 1);
  EXPECT_EQ(observer.lookups_done, 1);
  EXPECT_EQ(observer.in_flight, 0);
}

TEST(CaresResolverTest, NeverAnsweredTimesOutAfterMaxTriesBeforeDeadline) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);

  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  Timed t =
      LookupAndWait(*resolver, "hole.example.test", RRType::kCAA, deadline);
  EXPECT_EQ(t.result.outcome, Outcome::kTimeout);
  EXPECT_EQ(t.result.attempts, 3);
  EXPECT_EQ(server->query_count(), 3);
  EXPECT_LT(t.called, deadline);
  // 3 tries of 150ms plus two sleeps of at most 5 and 10ms.
  EXPECT_GE(t.result.elapsed, absl::Milliseconds(450));
  EXPECT_LT(t.result.elapsed, absl::Milliseconds(450 + 5 + 10) + kSlack * 2);
}

TEST(CaresResolverTest, DeadlineShorterThanAllTriesIsHonoured) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(300);
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  const absl::Time deadline = absl::Now() + absl::Milliseconds(450);
  Timed t =
      LookupAndWait(*resolver, "short.example.test", RRType::kTXT, deadline);
  EXPECT_EQ(t.result.outcome, Outcome::kTimeout);
  // 300ms, a short sleep, then a second try cut to what is left.
  EXPECT_EQ(t.result.attempts, 2);
  EXPECT_LE(t.called, deadline + kSlack);
  EXPECT_GE(t.called, deadline - kSlack);
}

TEST(CaresResolverTest, NoTimeForAnyTryGivesDeadline) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);
  Timed t = LookupAndWait(*resolver, "late.example.test", RRType::kTXT,
                          absl::Now() + absl::Milliseconds(20));
  EXPECT_EQ(t.result.outcome, Outcome::kDeadline);
  EXPECT_EQ(t.result.attempts, 0);
  EXPECT_EQ(server->query_count(), 0);
}

TEST(CaresResolverTest, ServfailIsFinalUnlessConfigured) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript servfail;
  servfail.rcode = 2;
  server->Set("broken.example.test", RRType::kCAA, servfail);
  {
    auto resolver = MakeResolver(FastOptions({server->address()}));
    ASSERT_NE(resolver, nullptr);
    LookupResult r =
        LookupAndWait(*resolver, "broken.example.test", RRType::kCAA);
    EXPECT_EQ(r.outcome, Outcome::kServFail);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(server->query_count(), 1);
  }
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.retry_servfail = true;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  LookupResult r =
      LookupAndWait(*resolver, "broken.example.test", RRType::kCAA);
  EXPECT_EQ(r.outcome, Outcome::kServFail);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(server->query_count(), 1 + 3);
}

TEST(CaresResolverTest, ReceivedAnswersAreNeverRetried) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);
  struct Case {
    const char* name;
    int rcode;
    FakeDnsScript::Action action;
    Outcome want;
  };
  const Case cases[] = {
      {"nxdomain.example.test", 3, FakeDnsScript::Action::kAnswer,
       Outcome::kNxDomain},
      {"nodata.example.test", 0, FakeDnsScript::Action::kAnswer,
       Outcome::kNoError},
      {"refused.example.test", 5, FakeDnsScript::Action::kAnswer,
       Outcome::kRefused},
      {"formerr.example.test", 1, FakeDnsScript::Action::kAnswer,
       Outcome::kFormErr},
      {"notimp.example.test", 4, FakeDnsScript::Action::kAnswer,
       Outcome::kNotImp},
      {"yxdomain.example.test", 6, FakeDnsScript::Action::kAnswer,
       Outcome::kOtherRcode},
      // A malformed reply is not an answer: see dns_malformed_retry_test.
  };
  for (const Case& c : cases) {
    FakeDnsScript script;
    script.rcode = c.rcode;
    script.action = c.action;
    server->Set(c.name, RRType::kTXT, script);
    LookupResult r = LookupAndWait(*resolver, c.name, RRType::kTXT);
    EXPECT_EQ(r.outcome, c.want) << c.name << " got " << OutcomeName(r.outcome);
    EXPECT_EQ(r.attempts, 1) << c.name;
    EXPECT_TRUE(r.txt.empty()) << c.name;
    EXPECT_EQ(server->query_count(c.name, RRType::kTXT), 1) << c.name;
  }
}

// c-ares 1.18 (ARES_FLAG_EDNS) answers a FORMERR that carries no OPT RR by
// re-sending the query once without EDNS (RFC 6891 §7), stripping the last
// 11 octets: our OPT RR. The FORMERR is then final.
TEST(CaresResolverTest, FormErrFromANonEdnsServerIsFinalAfterCaresFallback) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.rcode = 1;
  script.omit_opt = true;
  server->Set("old.example.test", RRType::kTXT, script);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);
  LookupResult r = LookupAndWait(*resolver, "old.example.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kFormErr);
  EXPECT_EQ(r.attempts, 1);
  std::vector<FakeDnsQuery> q = server->queries();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_TRUE(q[0].has_opt);
  EXPECT_FALSE(q[1].has_opt);
  EXPECT_EQ(q[1].name, "old.example.test");
  EXPECT_EQ(q[0].id, q[1].id) << "the same c-ares query, re-sent";
}

TEST(CaresResolverTest, OneDeadResolverOfTwoIsRoutedAround) {
  auto good = StartServer();
  auto dead = StartServer();
  ASSERT_NE(good, nullptr);
  ASSERT_NE(dead, nullptr);
  FakeDnsScript answer;
  answer.txt = {{"ok"}};
  good->SetDefault(answer);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  dead->SetDefault(blackhole);
  auto resolver = MakeResolver(FastOptions({good->address(), dead->address()}));
  ASSERT_NE(resolver, nullptr);

  std::vector<std::string> names;
  for (int i = 0; i < 24; ++i) names.push_back(absl::StrCat("n", i, ".test"));
  std::vector<LookupResult> results =
      LookupAll(*resolver, names, RRType::kTXT, absl::Seconds(3));
  int second_tries = 0;
  for (const LookupResult& r : results) {
    EXPECT_EQ(r.outcome, Outcome::kNoError) << r.name;
    EXPECT_EQ(r.resolver, good->address()) << r.name;
    EXPECT_TRUE(r.attempts == 1 || r.attempts == 2) << r.attempts;
    if (r.attempts == 2) ++second_tries;
  }
  // Exactly the lookups that tried the dead resolver first needed a retry,
  // and each of those went to the other resolver.
  EXPECT_EQ(dead->query_count(), second_tries);
  EXPECT_EQ(good->query_count(), static_cast<int>(names.size()));
}

TEST(CaresResolverTest, ClosedPortIsANetworkErrorAndTheNextResolverAnswers) {
  auto good = StartServer();
  ASSERT_NE(good, nullptr);
  FakeDnsScript answer;
  answer.caa = {{0, "issue", "ca.example"}};
  good->SetDefault(answer);
  const std::string closed = FakeDnsServer::ClosedUdpAddress();
  {
    auto only_closed = MakeResolver(FastOptions({closed}));
    ASSERT_NE(only_closed, nullptr);
    LookupResult r = LookupAndWait(*only_closed, "x.test", RRType::kCAA);
    EXPECT_EQ(r.outcome, Outcome::kNetwork);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_LT(r.elapsed, absl::Milliseconds(140))
        << "ICMP port unreachable must not wait for a timeout";
  }
  auto resolver = MakeResolver(FastOptions({closed, good->address()}));
  ASSERT_NE(resolver, nullptr);
  for (int i = 0; i < 12; ++i) {
    LookupResult r =
        LookupAndWait(*resolver, absl::StrCat("c", i, ".test"), RRType::kCAA);
    EXPECT_EQ(r.outcome, Outcome::kNoError) << r.name;
    EXPECT_EQ(r.resolver, good->address());
    ASSERT_EQ(r.caa.size(), 1u);
    EXPECT_LT(r.elapsed, absl::Milliseconds(140)) << r.attempts;
  }
  EXPECT_EQ(good->query_count(), 12);
  // Concurrent queries share c-ares's UDP socket, and one ICMP error can be
  // consumed by the next send() instead of failing the query it belongs to;
  // that query then times out and is retried elsewhere. Still all succeed.
  std::vector<std::string> names;
  for (int i = 0; i < 16; ++i) names.push_back(absl::StrCat("p", i, ".test"));
  for (const LookupResult& r :
       LookupAll(*resolver, names, RRType::kCAA, absl::Seconds(3))) {
    EXPECT_EQ(r.outcome, Outcome::kNoError) << r.name;
    EXPECT_EQ(r.resolver, good->address());
  }
}

TEST(CaresResolverTest, TruncatedUdpAnswerIsCompletedOverTcp) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript big;
  for (int i = 0; i < 8; ++i) big.txt.push_back({std::string(200, 'a' + i)});
  server->Set("big.example.test", RRType::kTXT, big);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);

  LookupResult r = LookupAndWait(*resolver, "big.example.test", RRType::kTXT);
  ASSERT_EQ(r.outcome, Outcome::kNoError);
  ASSERT_EQ(r.txt.size(), 8u);
  EXPECT_EQ(r.txt[7], std::string(200, 'h'));
  EXPECT_EQ(r.attempts, 1);
  std::vector<FakeDnsQuery> q = server->queries();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_FALSE(q[0].tcp);
  EXPECT_TRUE(q[1].tcp);
}

TEST(CaresResolverTest, CaaStillTruncatedOverTcpIsTruncated) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.caa = {{0, "issue", "ca.example"}};
  script.truncate_udp = true;
  script.truncate_tcp = true;
  server->Set("tc.example.test", RRType::kCAA, script);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);
  LookupResult r = LookupAndWait(*resolver, "tc.example.test", RRType::kCAA);
  EXPECT_EQ(r.outcome, Outcome::kTruncated);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(r.caa.empty());
  EXPECT_EQ(server->query_count(), 2);  // UDP, then TCP
}

TEST(CaresResolverTest, IdenticalConcurrentLookupsShareOneQuery) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.caa = {{0, "issue", "ca.example"}};
  script.delay = absl::Milliseconds(200);
  server->SetDefault(script);
  CountingObserver observer;
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Seconds(1);
  options.observer = &observer;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  std::vector<std::string> same(1000, "me");
  same[1] = "ME";  // names compare case-insensitively
  std::vector<LookupResult> results =
      LookupAll(*resolver, same, RRType::kCAA, absl::Seconds(3));
  for (const LookupResult& r : results) {
    ASSERT_EQ(r.outcome, Outcome::kNoError);
    ASSERT_EQ(r.caa.size(), 1u);
    EXPECT_EQ(r.attempts, 1);
  }
  EXPECT_EQ(results[1].name, "ME") << "each caller sees its own spelling";
  EXPECT_EQ(server->query_count(), 1);
  EXPECT_EQ(observer.coalesced, 999);
  EXPECT_EQ(observer.lookups_done, 1000);
  EXPECT_EQ(observer.in_flight, 0);

  // Afterwards nothing is cached: the next lookup asks again.
  LookupResult again = LookupAndWait(*resolver, "me", RRType::kCAA);
  EXPECT_EQ(again.outcome, Outcome::kNoError);
  EXPECT_EQ(server->query_count(), 2);

  // Different names, or types, are separate queries.
  std::vector<std::string> different;
  for (int i = 0; i < 20; ++i) different.push_back(absl::StrCat("d", i));
  LookupAll(*resolver, different, RRType::kCAA, absl::Seconds(3));
  LookupAndWait(*resolver, "me", RRType::kTXT);
  EXPECT_EQ(server->query_count(), 2 + 20 + 1);
}

TEST(CaresResolverTest, EachWaiterKeepsItsOwnDeadline) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript slow;
  slow.txt = {{"slow"}};
  slow.delay = absl::Milliseconds(400);
  server->SetDefault(slow);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Seconds(1);
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  absl::Notification impatient_done, patient_done;
  Timed impatient, patient;
  const absl::Time start = absl::Now();
  resolver->Lookup("slow.test", RRType::kTXT, start + absl::Milliseconds(150),
                   [&](LookupResult r) {
                     impatient = {std::move(r), absl::Now()};
                     impatient_done.Notify();
                   });
  resolver->Lookup("slow.test", RRType::kTXT, start + absl::Seconds(3),
                   [&](LookupResult r) {
                     patient = {std::move(r), absl::Now()};
                     patient_done.Notify();
                   });
  ASSERT_TRUE(impatient_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_TRUE(patient_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(impatient.result.outcome, Outcome::kTimeout);
  EXPECT_EQ(impatient.result.attempts, 1);
  // Well before the answer (400 ms), with room for a loaded machine.
  EXPECT_LE(impatient.called, start + absl::Milliseconds(350));
  EXPECT_EQ(patient.result.outcome, Outcome::kNoError);
  EXPECT_EQ(patient.result.txt, std::vector<std::string>{"slow"});
  // The first try's timeout was cut to the impatient caller's deadline,
  // then extended when the patient caller joined: one query in all.
  EXPECT_EQ(patient.result.attempts, 1);
  EXPECT_EQ(server->query_count(), 1);
  EXPECT_GE(patient.called, start + absl::Milliseconds(390));
}

// Tries are counted per caller: a lookup that joins a flight after some of
// its tries failed still gets all of its own, and the caller that started
// the flight is not held beyond its own.
TEST(CaresResolverTest, ALateJoinerGetsItsOwnTries) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.drop_first = 3;
  script.txt = {{"finally"}};
  server->Set("shared.test", RRType::kTXT, script);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(300);  // max_tries 3
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  absl::Notification first_done, late_done;
  Timed first, late;
  const absl::Time start = absl::Now();
  resolver->Lookup("shared.test", RRType::kTXT, start + absl::Seconds(5),
                   [&](LookupResult r) {
                     first = {std::move(r), absl::Now()};
                     first_done.Notify();
                   });
  // In the middle of the second try (300 ms, a sleep of at most 5 ms, 300
  // ms): the joiner's tries are the second and the two after it.
  absl::SleepFor(absl::Milliseconds(450));
  resolver->Lookup("shared.test", RRType::kTXT, start + absl::Seconds(5),
                   [&](LookupResult r) {
                     late = {std::move(r), absl::Now()};
                     late_done.Notify();
                   });
  ASSERT_TRUE(first_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_TRUE(late_done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(first.result.outcome, Outcome::kTimeout);
  EXPECT_EQ(first.result.attempts, 3);
  // Before the fourth try (the joiner's third) could have ended (~1,200
  // ms), with room for a loaded machine.
  EXPECT_LT(first.called - start, absl::Milliseconds(1150))
      << "the first caller ends after its own 3 tries";
  EXPECT_EQ(late.result.outcome, Outcome::kNoError);
  EXPECT_EQ(late.result.txt, std::vector<std::string>{"finally"});
  EXPECT_EQ(late.result.attempts, 3);
  EXPECT_EQ(server->query_count(), 4) << "one flight, four tries in all";
}

// The loop caps the tries in flight on a channel; the rest wait their turn
// (in order) and still complete.
TEST(CaresResolverTest, TriesBeyondTheInFlightCapWaitTheirTurn) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript slow;
  slow.txt = {{"v"}};
  slow.delay = absl::Milliseconds(100);
  server->SetDefault(slow);
  CountingObserver observer;
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Seconds(1);
  options.max_queries_in_flight_per_resolver = 4;
  options.observer = &observer;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back(absl::StrCat("cap", i, ".test"));
  const absl::Time start = absl::Now();
  std::vector<LookupResult> results =
      LookupAll(*resolver, names, RRType::kTXT, absl::Seconds(5));
  for (const LookupResult& r : results) {
    EXPECT_EQ(r.outcome, Outcome::kNoError) << r.name;
    EXPECT_EQ(r.attempts, 1) << r.name;
  }
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(5 * 100))
      << "20 queries, 4 at a time, 100 ms each";
  EXPECT_EQ(observer.tries, 20);
  EXPECT_EQ(observer.in_flight, 0);
  // Every query is outstanding for at least 100 ms, so five received within
  // less than that would have been five in flight at once.
  std::vector<absl::Time> received;
  for (const FakeDnsQuery& q : server->queries()) received.push_back(q.when);
  ASSERT_EQ(received.size(), 20u);
  std::sort(received.begin(), received.end());
  for (size_t i = 4; i < received.size(); ++i) {
    EXPECT_GE(received[i] - received[i - 4], absl::Milliseconds(80))
        << "query " << i;
  }
}

// A waiter queued behind the cap still gets its deadline.
TEST(CaresResolverTest, QueuedLookupsKeepTheirDeadlines) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Seconds(1);
  options.max_queries_in_flight_per_resolver = 1;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  std::vector<std::string> names = {"q0.test", "q1.test", "q2.test"};
  const absl::Time start = absl::Now();
  std::vector<LookupResult> results =
      LookupAll(*resolver, names, RRType::kTXT, absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(300) + kSlack);
  int never_sent = 0;
  for (const LookupResult& r : results) {
    EXPECT_TRUE(IsTransient(r.outcome)) << r.name;
    if (r.attempts == 0) {
      ++never_sent;
      EXPECT_EQ(r.outcome, Outcome::kDeadline) << r.name;
    }
  }
  EXPECT_EQ(never_sent, 2) << "one try at a time, and it took the whole 300 ms";
  EXPECT_EQ(server->query_count(), 1);
}

TEST(CaresResolverTest, SpentRetryBudgetEndsLookupsQuickly) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);
  CountingObserver observer;
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(100);
  options.budget.floor_per_second = 0;
  options.budget.ratio = 0;
  options.observer = &observer;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  LookupResult r = LookupAndWait(*resolver, "budget.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kBudget);
  EXPECT_TRUE(IsTransient(r.outcome));
  EXPECT_EQ(r.attempts, 1);
  EXPECT_LT(r.elapsed, absl::Milliseconds(100) + kSlack);
  EXPECT_EQ(server->query_count(), 1);
  EXPECT_EQ(observer.denied, 1);
  EXPECT_EQ(observer.retries, 0);
}

TEST(CaresResolverTest, DisabledBudgetAllowsRetries) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(60);
  options.budget.enabled = false;
  options.budget.ratio = 0;
  options.budget.floor_per_second = 0;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  LookupResult r = LookupAndWait(*resolver, "nobudget.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kTimeout);
  EXPECT_EQ(r.attempts, 3);
}

// Trains the resolver's estimate for TXT on `server` with fast answers.
void TrainFast(Resolver& resolver) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(LookupAndWait(resolver, "fast.test", RRType::kTXT).outcome,
              Outcome::kNoError);
  }
}

TEST(CaresResolverTest, AdaptiveEstimateOnlyDecidesWhenToHedge) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript fast;
  fast.txt = {{"fast"}};
  server->Set("fast.test", RRType::kTXT, fast);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);

  const absl::Duration kTimeout = absl::Milliseconds(600);
  for (bool adaptive : {true, false}) {
    SCOPED_TRACE(adaptive ? "adaptive" : "fixed");
    CaresResolverOptions options = FastOptions({server->address()});
    options.retry.per_try_timeout = kTimeout;
    options.retry.min_try_timeout = absl::Milliseconds(80);
    options.retry.max_tries = 2;
    options.rtt.enabled = adaptive;
    auto resolver = MakeResolver(options);
    ASSERT_NE(resolver, nullptr);
    TrainFast(*resolver);
    const std::string name = adaptive ? "slow1.test" : "slow2.test";
    LookupResult r = LookupAndWait(*resolver, name, RRType::kTXT);
    EXPECT_EQ(r.outcome, Outcome::kTimeout);
    EXPECT_EQ(r.attempts, 2);
    std::vector<absl::Time> sent;
    for (const FakeDnsQuery& q : server->queries()) {
      if (q.name == name) sent.push_back(q.when);
    }
    ASSERT_EQ(sent.size(), 2u);
    // Each try had its full timeout, however early the second was sent
    // (the server's receive times may lag the sends by a little).
    EXPECT_GE(r.elapsed + kSlack, (sent[1] - sent[0]) + kTimeout);
    if (adaptive) {
      // Loopback answers in well under a millisecond: the second try goes
      // out at the 80 ms floor (plus at most 20 ms of backoff), long before
      // the first try's timeout.
      EXPECT_LT(sent[1] - sent[0], kTimeout / 2);
    } else {
      EXPECT_GE(sent[1] - sent[0], kTimeout);
    }
  }
}

TEST(CaresResolverTest, OneTryIsNeverCutShortByTheEstimate) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript fast;
  fast.txt = {{"fast"}};
  server->Set("fast.test", RRType::kTXT, fast);
  FakeDnsScript slow;
  slow.txt = {{"slow"}};
  slow.delay = absl::Milliseconds(300);
  server->Set("slow.test", RRType::kTXT, slow);
  CountingObserver observer;
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(800);
  options.retry.max_tries = 1;
  options.observer = &observer;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  TrainFast(*resolver);
  // The estimate says ~50 ms; the one try still waits its 800 ms.
  LookupResult r = LookupAndWait(*resolver, "slow.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kNoError);
  EXPECT_EQ(r.txt, std::vector<std::string>{"slow"});
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(observer.hedged, 0);
  EXPECT_EQ(observer.late_used, 1);
}

TEST(CaresResolverTest, LateAnswersOfOpenLookupsAreUsedOthersDropped) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript fast;
  fast.txt = {{"fast"}};
  server->Set("fast.test", RRType::kTXT, fast);
  FakeDnsScript late;
  late.txt = {{"late"}};
  late.delay = absl::Milliseconds(300);
  server->Set("late.test", RRType::kTXT, late);
  CountingObserver observer;
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(800);
  options.retry.max_tries = 2;
  options.observer = &observer;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  TrainFast(*resolver);

  // The estimate (~50 ms) hedges: both tries are answered after 300 ms;
  // the first answer completes the lookup, the second finds it ended.
  LookupResult r = LookupAndWait(*resolver, "late.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kNoError);
  EXPECT_EQ(r.txt, std::vector<std::string>{"late"});
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(server->query_count("late.test", RRType::kTXT), 2);
  EXPECT_EQ(observer.hedged, 1);
  EXPECT_EQ(observer.late_used, 1);
  for (int i = 0; i < 100 && observer.late_unused == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(observer.late_unused, 1);
  // The late answers taught the TXT estimate their true times: its next
  // hedge point (~500 ms) is past the 300 ms answer, not at the floor.
  LookupResult again = LookupAndWait(*resolver, "late.test", RRType::kTXT);
  EXPECT_EQ(again.outcome, Outcome::kNoError);
  EXPECT_EQ(again.attempts, 1);
  resolver.reset();
}

// Boulder's VA waits the full timeout on each of its tries. Whenever that
// gets an answer, so must the hedging resolver, even with an estimate
// trained on fast answers (the worst case: it hedges earliest). The model:
// each query's fate (lost, or answered after a delay) does not depend on
// when it is sent. A server that drops everything for a while (a restart)
// is the one case where hedging can spend its tries sooner than Boulder's
// schedule (0, 1 s, 2 s); --dns-adaptive-timeout=false keeps that schedule.
TEST(CaresResolverTest, BoulderParityNoTimeoutWhereFullTriesGetAnAnswer) {
  constexpr int kTries = 3;
  const absl::Duration kTimeout = absl::Seconds(1);
  struct Case {
    int dropped;  // the first queries for the name get no answer
    int delay_ms;
  };
  const std::vector<Case> cases = {{0, 0},   {0, 300}, {0, 900},
                                   {1, 150}, {1, 600}, {2, 0},
                                   {2, 900}, {3, 0},   {0, 1200}};
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript fast;
  fast.txt = {{"fast"}};
  server->Set("fast.test", RRType::kTXT, fast);
  std::vector<std::string> names;
  for (size_t i = 0; i < cases.size(); ++i) {
    FakeDnsScript script;
    script.txt = {{"ok"}};
    script.drop_first = cases[i].dropped;
    script.delay = absl::Milliseconds(cases[i].delay_ms);
    names.push_back(absl::StrCat("parity", i, ".test"));
    server->Set(names.back(), RRType::kTXT, script);
  }
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = kTimeout;
  options.retry.min_try_timeout = absl::Milliseconds(100);
  options.retry.backoff_base = absl::Milliseconds(50);
  options.retry.backoff_cap = absl::Seconds(1);
  options.retry.max_tries = kTries;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);
  TrainFast(*resolver);
  // Boulder's deadline for three full tries, plus headroom.
  std::vector<LookupResult> results =
      LookupAll(*resolver, names, RRType::kTXT, kTimeout * kTries * 2);
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(
        absl::StrCat("dropped ", c.dropped, ", delay ", c.delay_ms, " ms"));
    const bool boulder_answered =
        c.dropped < kTries && absl::Milliseconds(c.delay_ms) < kTimeout;
    EXPECT_EQ(results[i].outcome,
              boulder_answered ? Outcome::kNoError : Outcome::kTimeout);
    EXPECT_LE(results[i].attempts, kTries);
    EXPECT_LE(server->query_count(names[i], RRType::kTXT), kTries);
  }
}

TEST(CaresResolverTest, AnswersToEndedLookupsAreHarmless) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript late;
  late.txt = {{"late"}};
  late.delay = absl::Milliseconds(150);
  server->Set("late.test", RRType::kTXT, late);
  FakeDnsScript fine;
  fine.txt = {{"fine"}};
  server->Set("fine.test", RRType::kTXT, fine);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Milliseconds(60);
  options.retry.max_tries = 2;
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  LookupResult r = LookupAndWait(*resolver, "late.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kTimeout);
  EXPECT_EQ(r.attempts, 2);
  // The answers arrive now, for tries that have had their full time.
  absl::SleepFor(absl::Milliseconds(250));
  LookupResult after = LookupAndWait(*resolver, "fine.test", RRType::kTXT);
  EXPECT_EQ(after.outcome, Outcome::kNoError);
  EXPECT_EQ(after.txt, std::vector<std::string>{"fine"});
  // Queries still pending in c-ares at destruction are harmless.
  LookupResult again = LookupAndWait(*resolver, "late.test", RRType::kTXT);
  EXPECT_EQ(again.outcome, Outcome::kTimeout);
  resolver.reset();
}

TEST(CaresResolverTest, ShutdownCancelsPendingLookups) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript blackhole;
  blackhole.action = FakeDnsScript::Action::kDrop;
  server->SetDefault(blackhole);
  CaresResolverOptions options = FastOptions({server->address()});
  options.retry.per_try_timeout = absl::Seconds(1);
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  std::atomic<int> canceled{0};
  std::atomic<int> calls{0};
  for (int i = 0; i < 10; ++i) {
    resolver->Lookup(absl::StrCat("p", i % 3, ".test"), RRType::kCAA,
                     absl::Now() + absl::Seconds(10), [&](LookupResult r) {
                       ++calls;
                       if (r.outcome == Outcome::kCanceled) ++canceled;
                     });
  }
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time before = absl::Now();
  resolver->Shutdown();
  EXPECT_LT(absl::Now() - before, absl::Milliseconds(500));
  EXPECT_EQ(calls, 10);
  EXPECT_EQ(canceled, 10);

  bool inline_called = false;
  resolver->Lookup("after.test", RRType::kTXT, absl::Now() + absl::Seconds(1),
                   [&](LookupResult r) {
                     inline_called = true;
                     EXPECT_EQ(r.outcome, Outcome::kCanceled);
                     EXPECT_EQ(r.name, "after.test");
                   });
  EXPECT_TRUE(inline_called);
  resolver->Shutdown();  // idempotent
}

TEST(CaresResolverTest, InvalidNamesFailWithoutAQuery) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto resolver = MakeResolver(FastOptions({server->address()}));
  ASSERT_NE(resolver, nullptr);
  LookupResult r = LookupAndWait(*resolver, "a..b.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kBadName);
  EXPECT_FALSE(IsTransient(r.outcome));
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(server->query_count(), 0);
}

TEST(CaresResolverTest, SeveralLoopThreads) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  FakeDnsScript script;
  script.txt = {{"v"}};
  script.delay = absl::Milliseconds(100);
  server->SetDefault(script);
  CaresResolverOptions options = FastOptions({server->address()});
  options.loop_threads = 3;
  options.retry.per_try_timeout = absl::Seconds(1);
  auto resolver = MakeResolver(options);
  ASSERT_NE(resolver, nullptr);

  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) names.push_back(absl::StrCat("m", i, ".test"));
  for (int i = 0; i < 300; ++i) names.push_back("shared.test");
  for (const LookupResult& r :
       LookupAll(*resolver, names, RRType::kTXT, absl::Seconds(3))) {
    EXPECT_EQ(r.outcome, Outcome::kNoError) << r.name;
  }
  EXPECT_EQ(server->query_count(), 61) << "identical lookups meet on one loop";
  std::set<uint16_t> ids;
  for (const FakeDnsQuery& q : server->queries()) ids.insert(q.id);
  EXPECT_GE(ids.size(), 55u) << "query IDs are random, not reused";
}

TEST(CaresResolverTest, Ipv6LoopbackResolver) {
  absl::StatusOr<std::unique_ptr<FakeDnsServer>> server =
      FakeDnsServer::Start("::1");
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback: " << server.status();
  FakeDnsScript script;
  script.txt = {{"six"}};
  (*server)->SetDefault(script);
  auto resolver = MakeResolver(FastOptions({(*server)->address()}));
  ASSERT_NE(resolver, nullptr);
  LookupResult r = LookupAndWait(*resolver, "v6.test", RRType::kTXT);
  EXPECT_EQ(r.outcome, Outcome::kNoError);
  EXPECT_EQ(r.resolver, (*server)->address());
}

TEST(CaresResolverTest, CreateRejectsBadServers) {
  for (const std::string bad :
       {"localhost:53", "1.2.3.4", "[::1]:99999", "1.2.3.4:0", "::1:53",
        "[::1]", "1.2.3.4:53x", "1.2.3:53", "[fe80::1%eth0]:53", ""}) {
    CaresResolverOptions options;
    options.servers = {"127.0.0.1:53", bad};
    absl::StatusOr<std::unique_ptr<CaresResolver>> r =
        CaresResolver::Create(options);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(absl::StrCat("\"", bad, "\"")),
              absl::string_view::npos)
        << r.status();
  }
  CaresResolverOptions none;
  EXPECT_FALSE(CaresResolver::Create(none).ok());
  CaresResolverOptions zero_tries;
  zero_tries.servers = {"127.0.0.1:53"};
  zero_tries.retry.max_tries = 0;
  EXPECT_FALSE(CaresResolver::Create(zero_tries).ok());
  CaresResolverOptions good;
  good.servers = {"127.0.0.1:53", "[::1]:5353"};
  EXPECT_TRUE(CaresResolver::Create(good).ok());
}

}  // namespace
}  // namespace acmeva::va::dns
