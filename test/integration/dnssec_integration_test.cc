// A real DNSSEC chain on loopback, proving what the VA enforces: zones
// signed at test time with ldns-keygen/ldns-signzone (ldnsutils), served by
// NSD, and Unbound validating them against a local trust anchor with
// `ede: yes`. One zone is signed (answers carry AD=1), one has signatures
// that expired long ago (bogus: Unbound answers SERVFAIL with an RFC 8914
// EDE), one is unsigned (insecure: valid, AD=0).
//
// Shown here: the DNSSEC canary passes through Unbound and fails against a
// non-validating server (dnstestsrv directly), which takes it out of the
// rotation or, with nothing left, fails validations closed and turns the
// gRPC health NOT_SERVING; DoDCV and DoCAA on the signed zone report
// authenticatedData; a bogus name is a dns/caa failure carrying the EDE.
#include <gmock/gmock.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;

constexpr char kNsd[] = "/usr/sbin/nsd";

// The signed and bogus zones hold the same names; the plain one is unsigned.
std::string Zone(const std::string& origin, const std::string& txt) {
  return absl::StrCat("$ORIGIN ", origin, ".\n$TTL 300\n", "@ IN SOA ns.",
                      origin, ". hostmaster.", origin,
                      ". 1 3600 600 86400 300\n", "@ IN NS ns.", origin,
                      ".\n",                      //
                      "ns IN A 127.0.0.1\n",      //
                      "canary IN A 192.0.2.1\n",  //
                      "@ IN CAA 0 issue \"letsencrypt.org\"\n",
                      "_acme-challenge.www IN TXT \"", txt, "\"\n");
}

// Runs `script` with /bin/sh in `dir`; fails the test with its output.
void Sh(const std::string& dir, const std::string& script) {
  CommandResult r =
      RunCommand({"/bin/sh", "-c", absl::StrCat("cd '", dir, "' && ", script)},
                 absl::Seconds(60));
  ASSERT_EQ(r.exit_code, 0) << script << "\n" << r.out << r.err;
}

// grpc.health.v1.Health/Check for the whole server: 1 SERVING,
// 2 NOT_SERVING (HealthCheckResponse is one enum field, tag 1; the empty
// request asks about the server as a whole).
int HealthStatus(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Slice empty(std::string{});  // an empty HealthCheckRequest
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  // A completion queue, not the callback API: once a test process uses
  // callback calls, its idle channels notice a server's GOAWAY only on
  // gRPC's 5 s backup poll, and every later VA restart waits for that.
  grpc::CompletionQueue cq;
  auto call =
      stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) return -1;
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (bytes.empty()) return 0;  // UNKNOWN, the default
  if (bytes.size() != 2 || bytes[0] != 0x08) return -1;
  return bytes[1];
}

class DnssecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new VaStack();
    ASSERT_TRUE(stack_->Start().ok());  // dnstestsrv, and a VA (unused)
    const std::string dir = absl::StrCat(stack_->dir(), "/dnssec");
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
    key_ = MakeKeyAuthz(1500);
    for (const char* zone : {"signed.test", "bogus.test", "plain.test"}) {
      std::ofstream(absl::StrCat(dir, "/", zone, ".zone"))
          << Zone(zone, key_.txt);
    }
    // A KSK and a ZSK per signed zone; the KSK's .key file (a DNSKEY RR)
    // is the trust anchor. The bogus zone's signatures expired in 2020.
    ASSERT_NO_FATAL_FAILURE(
        Sh(dir,
           "for z in signed.test bogus.test; do"
           "  ksk=$(ldns-keygen -a ECDSAP256SHA256 -k $z) &&"
           "  zsk=$(ldns-keygen -a ECDSAP256SHA256 $z) &&"
           "  cp $ksk.key $z.anchor &&"
           "  if [ $z = bogus.test ]; then"
           "    ldns-signzone -e 20200101000000 -i 20190101000000 $z.zone $ksk "
           "$zsk;"
           "  else ldns-signzone $z.zone $ksk $zsk; fi || exit 1; "
           "done"));

    const int nsd_port = FreePort(/*udp_too=*/true);
    {
      std::ofstream conf(dir + "/nsd.conf");
      conf
          << "server:\n  ip-address: 127.0.0.1@" << nsd_port << "\n"
          << "  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n"
          << "  database: \"\"\n  server-count: 1\n"
          << "  zonesdir: \"" << dir << "\"\n"
          << "  zonelistfile: \"" << dir << "/zone.list\"\n"
          << "  xfrdfile: \"" << dir << "/xfrd.state\"\n"
          << "  xfrdir: \"" << dir << "\"\n"
          << "  pidfile: \"" << dir << "/nsd.pid\"\n"
          << "remote-control:\n  control-enable: no\n"
          << "zone:\n  name: signed.test\n  zonefile: signed.test.zone.signed\n"
          << "zone:\n  name: bogus.test\n  zonefile: bogus.test.zone.signed\n"
          << "zone:\n  name: plain.test\n  zonefile: plain.test.zone\n";
    }
    auto nsd =
        Process::Start({kNsd, "-d", "-c", dir + "/nsd.conf"}, dir + "/nsd.log");
    ASSERT_TRUE(nsd.ok()) << nsd.status();
    nsd_ = new Process(*std::move(nsd));
    ASSERT_TRUE(WaitForTcpPort(nsd_port, absl::Seconds(20)).ok())
        << nsd_->Log();

    unbound_port_ = FreePort(/*udp_too=*/true);
    // A validator with only our two anchors: names under them must validate,
    // everything else (plain.test) is insecure. No answer cache, so every
    // lookup reaches NSD and is validated afresh. "test." itself is answered
    // locally (the CAA walk asks for the TLD), so Unbound never tries the
    // root servers: only loopback is queried. The three zones below it go
    // to NSD.
    auto unbound = StartLoopbackUnbound(
        dir, unbound_port_,
        absl::StrCat("  module-config: \"validator iterator\"\n"
                     "  trust-anchor-file: \"",
                     dir, "/signed.test.anchor\"\n  trust-anchor-file: \"", dir,
                     "/bogus.test.anchor\"\n"
                     "  ede: yes\n  val-log-level: 2\n"
                     "  local-zone: \"test.\" static\n"
                     "  local-zone: \"signed.test.\" transparent\n"
                     "  local-zone: \"bogus.test.\" transparent\n"
                     "  local-zone: \"plain.test.\" transparent\n"
                     "  qname-minimisation: no\n"
                     "  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n"),
        {{"signed.test", nsd_port},
         {"bogus.test", nsd_port},
         {"plain.test", nsd_port}});
    ASSERT_TRUE(unbound.ok()) << unbound.status();
    unbound_ = new Process(*std::move(unbound));
  }
  static void TearDownTestSuite() {
    delete stack_;  // the VA first: it queries Unbound
    delete unbound_;
    delete nsd_;
  }

  static std::string Unbound() {
    return absl::StrCat("127.0.0.1:", unbound_port_);
  }

  // The VA with the canary on, asking for the local signed and bogus names.
  static void StartVa(std::vector<std::string> resolvers) {
    ASSERT_TRUE(stack_
                    ->StartVa({"--dnssec-canary=on",
                               "--dnssec-canary-signed=canary.signed.test",
                               "--dnssec-canary-bogus=canary.bogus.test",
                               "--dns-tries=3", "--dns-timeout=2s",
                               // Restarts between tests need not wait for
                               // the test's idle channel to go away.
                               "--drain-timeout=1s"},
                              std::move(resolvers))
                    .ok());
  }

  // The last line of the VA's log holding both strings ("" if none).
  static std::string LastLogLine(const std::string& a, const std::string& b) {
    std::string found;
    for (absl::string_view line : absl::StrSplit(stack_->va().Log(), '\n')) {
      if (absl::StrContains(line, a) && absl::StrContains(line, b)) {
        found = std::string(line);
      }
    }
    return found;
  }

  static std::string Metrics() {
    auto reply = HttpGet(stack_->metrics_port(), "/metrics");
    return reply.ok() ? reply->body : "";
  }

  static VaStack* stack_;
  static Process* nsd_;
  static Process* unbound_;
  static int unbound_port_;
  static KeyAuthz key_;
};

VaStack* DnssecTest::stack_ = nullptr;
Process* DnssecTest::nsd_ = nullptr;
Process* DnssecTest::unbound_ = nullptr;
int DnssecTest::unbound_port_ = 0;
KeyAuthz DnssecTest::key_;

TEST_F(DnssecTest, CanaryFailsAgainstANonValidatingServerAndTheVaFailsClosed) {
  StartVa({stack_->dns_addr()});  // dnstestsrv itself: no DNSSEC at all
  EXPECT_EQ(HealthStatus(stack_->va_port()), 2);  // NOT_SERVING
  EXPECT_THAT(stack_->va().Log(), HasSubstr("DNSSEC canary failed"));
  EXPECT_THAT(Metrics(), HasSubstr(absl::StrCat(
                             "dns_resolver_dnssec_validating{resolver=\"",
                             stack_->dns_addr(), "\"} 0")));

  // Even a name dnstestsrv would answer correctly is refused.
  ASSERT_TRUE(stack_
                  ->Dns("/set-txt",
                        absl::StrCat("{\"host\":\"_acme-challenge.ok.test\","
                                     "\"value\":\"",
                                     key_.txt, "\"}"))
                  .ok());
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("ok.test", key_.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem());
  EXPECT_EQ(r.problem().problemtype(), "serverInternal");
  EXPECT_THAT(r.problem().detail(), HasSubstr("DNSSEC"));
  EXPECT_EQ(stack_->QueryCount("_acme-challenge.ok.test", "TXT"), 0);
  ::va::IsCAAValidResponse c;
  ASSERT_TRUE(stack_->DoCAA("ok.test", "dns-01", 1, &c).ok());
  EXPECT_EQ(c.problem().problemtype(), "serverInternal");
}

TEST_F(DnssecTest, CanaryPassesThroughUnboundAndDropsTheNonValidatingServer) {
  StartVa({stack_->dns_addr(), Unbound()});
  EXPECT_EQ(HealthStatus(stack_->va_port()), 1);  // SERVING
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "dns_resolver_dnssec_validating{resolver=\"",
                           Unbound(), "\"} 1")));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "dns_resolver_dnssec_validating{resolver=\"",
                           stack_->dns_addr(), "\"} 0")));
  // Every lookup goes to Unbound: dnstestsrv is out of the rotation.
  for (int i = 0; i < 6; ++i) {
    ::va::ValidationResult r;
    ASSERT_TRUE(
        stack_->DoDCV("www.signed.test", key_.key_authorization, &r).ok());
    ASSERT_FALSE(r.has_problem()) << r.problem().detail();
    ASSERT_EQ(r.records_size(), 1);
    EXPECT_EQ(r.records(0).resolveraddrs(0), Unbound());
  }
  EXPECT_EQ(stack_->QueryCount("_acme-challenge.www.signed.test"), 0);
}

TEST_F(DnssecTest, SignedZoneIsAuthenticatedForDcvAndCaa) {
  StartVa({Unbound()});
  ::va::ValidationResult r;
  ASSERT_TRUE(
      stack_->DoDCV("www.signed.test", key_.key_authorization, &r).ok());
  ASSERT_FALSE(r.has_problem()) << r.problem().detail();
  ASSERT_EQ(r.records_size(), 1);
  EXPECT_TRUE(r.records(0).authenticateddata());

  ::va::IsCAAValidResponse c;
  ASSERT_TRUE(stack_->DoCAA("www.signed.test", "dns-01", 1, &c).ok());
  EXPECT_FALSE(c.has_problem()) << c.problem().detail();
  // DoCAA's reply has no AD field; its audit line has it.
  const std::string line =
      LastLogLine("\"CAA check result\"", "www.signed.test");
  EXPECT_THAT(line, HasSubstr("\"result\":\"valid\"")) << line;
  EXPECT_THAT(line, HasSubstr("\"authenticatedData\":true")) << line;
}

TEST_F(DnssecTest, BogusNameIsADnsFailureCarryingTheEde) {
  StartVa({Unbound()});
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("www.bogus.test", key_.key_authorization, &r).ok());
  ASSERT_TRUE(r.has_problem()) << "a bogus answer must never validate";
  EXPECT_EQ(r.problem().problemtype(), "dns");
  EXPECT_EQ(r.problem().dnsoutcome(), "servfail");
  ASSERT_TRUE(r.problem().has_extendeddnserrorcode());
  // Unbound says which DNSSEC failure (RFC 8914 codes 1-12 are DNSSEC).
  EXPECT_GE(r.problem().extendeddnserrorcode(), 1);
  EXPECT_LE(r.problem().extendeddnserrorcode(), 12);
  EXPECT_THAT(r.problem().detail(),
              HasSubstr("DNS problem: looking up TXT for "
                        "_acme-challenge.www.bogus.test: DNSSEC: "));
  EXPECT_THAT(r.problem().extendeddnserrortext(), HasSubstr("bogus.test"));
  EXPECT_EQ(r.records_size(), 0);

  ::va::IsCAAValidResponse c;
  ASSERT_TRUE(stack_->DoCAA("www.bogus.test", "dns-01", 1, &c).ok());
  ASSERT_TRUE(c.has_problem()) << "a bogus CAA answer is never permission";
  EXPECT_THAT(c.problem().problemtype(), ::testing::AnyOf("dns", "caa"));
  ASSERT_TRUE(c.problem().has_extendeddnserrorcode());
  EXPECT_THAT(c.problem().detail(), HasSubstr("DNSSEC: "));

  // The audit lines carry the EDE beside authenticatedData, and the metric
  // counts answers by EDE code.
  for (const char* msg : {"\"Validation result\"", "\"CAA check result\""}) {
    const std::string line = LastLogLine(msg, "www.bogus.test");
    EXPECT_THAT(line, HasSubstr("\"authenticatedData\":false,"
                                "\"extendedDnsErrorCode\":"))
        << line;
  }
  EXPECT_THAT(Metrics(), HasSubstr("dns_extended_errors_total{"));
}

TEST_F(DnssecTest, UnsignedZoneStillValidatesWithoutAuthenticatedData) {
  StartVa({Unbound()});
  ::va::ValidationResult r;
  ASSERT_TRUE(stack_->DoDCV("www.plain.test", key_.key_authorization, &r).ok());
  ASSERT_FALSE(r.has_problem()) << r.problem().detail();
  ASSERT_EQ(r.records_size(), 1);
  EXPECT_FALSE(r.records(0).authenticateddata());
  ::va::IsCAAValidResponse c;
  ASSERT_TRUE(stack_->DoCAA("www.plain.test", "dns-01", 1, &c).ok());
  EXPECT_FALSE(c.has_problem()) << c.problem().detail();
}

}  // namespace
}  // namespace acmeva::testing_harness
