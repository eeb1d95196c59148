// Mutual TLS on the real VA process, with a PKI the test makes with the
// openssl CLI: a CA, a server certificate for 127.0.0.1/localhost, client
// certificates for ra.example (on --tls-client-names), intruder.example (same
// CA, not on the list) and ra.example again from a different CA. Only the
// first may call; the VA keeps serving it after refusing the others. Only TLS
// 1.3 is spoken, by the VA's and the RA's servers and by the project's client
// credentials (common/tls13_only.h). A VA given neither TLS files nor
// --plaintext must refuse to start.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/grpc_tls.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOpensslConfig[] = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[client_ra]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:ra.example
[client_intruder]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:intruder.example
[ra_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:ra.example, DNS:localhost, IP:127.0.0.1
)";

// A directory of PEM files made with the openssl CLI.
class TestPki {
 public:
  absl::Status Make() {
    dir_ = TempDir("va-mtls");
    if (dir_.empty()) return absl::InternalError("no temp dir");
    std::ofstream(Path("openssl.cnf")) << kOpensslConfig;
    if (auto s = MakeCa("ca", "/CN=VA Test CA"); !s.ok()) return s;
    // Same subject as the real CA: only the signature tells them apart.
    if (auto s = MakeCa("other-ca", "/CN=VA Test CA"); !s.ok()) return s;
    if (auto s = MakeLeaf("server", "/CN=localhost", "ca", "server", 10);
        !s.ok()) {
      return s;
    }
    if (auto s = MakeLeaf("ra", "/CN=ra.example", "ca", "client_ra", 11);
        !s.ok()) {
      return s;
    }
    if (auto s = MakeLeaf("intruder", "/CN=intruder.example", "ca",
                          "client_intruder", 12);
        !s.ok()) {
      return s;
    }
    if (auto s = MakeLeaf("ra-server", "/CN=ra.example", "ca", "ra_server", 14);
        !s.ok()) {
      return s;
    }
    return MakeLeaf("rogue-ra", "/CN=ra.example", "other-ca", "client_ra", 13);
  }

  std::string Path(const std::string& file) const {
    return absl::StrCat(dir_, "/", file);
  }
  std::string Pem(const std::string& file) const {
    std::ifstream in(Path(file));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  absl::Status Run(std::vector<std::string> argv) {
    CommandResult r = RunCommand(argv);
    if (r.exit_code != 0) {
      return absl::InternalError(
          absl::StrCat(absl::StrJoin(argv, " "), " failed: ", r.err));
    }
    return absl::OkStatus();
  }

  absl::Status MakeCa(const std::string& name, const std::string& subject) {
    return Run({"openssl",
                "req",
                "-x509",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                Path(name + ".key"),
                "-out",
                Path(name + ".pem"),
                "-days",
                "2",
                "-subj",
                subject,
                "-config",
                Path("openssl.cnf"),
                "-extensions",
                "ca"});
  }

  absl::Status MakeLeaf(const std::string& name, const std::string& subject,
                        const std::string& ca, const std::string& section,
                        int serial) {
    if (auto s = Run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                      Path(name + ".key"), "-out", Path(name + ".csr"), "-subj",
                      subject, "-config", Path("openssl.cnf")});
        !s.ok()) {
      return s;
    }
    return Run({"openssl", "x509", "-req", "-in", Path(name + ".csr"), "-CA",
                Path(ca + ".pem"), "-CAkey", Path(ca + ".key"), "-set_serial",
                absl::StrCat(serial), "-days", "2", "-out", Path(name + ".pem"),
                "-extfile", Path("openssl.cnf"), "-extensions", section});
  }

  std::string dir_;
};

class MtlsIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TestPki();
    absl::Status s = pki_->Make();
    ASSERT_TRUE(s.ok()) << s;
    // The stack gives the DNS server (its own VA is plaintext and unused).
    stack_ = new VaStack();
    s = stack_->Start();
    ASSERT_TRUE(s.ok()) << s;

    auto va = StartListening(
        [] {
          tls_port_ = FreePort();
          return Launch{
              {ProgramPath("va"),
               absl::StrCat("--listen=127.0.0.1:", tls_port_),
               absl::StrCat("--dns-resolvers=", stack_->dns_addr()),
               "--dnssec-canary=off", "--issuer-domain=letsencrypt.org",
               absl::StrCat("--tls-cert=", pki_->Path("server.pem")),
               absl::StrCat("--tls-key=", pki_->Path("server.key")),
               absl::StrCat("--tls-ca=", pki_->Path("ca.pem")),
               "--tls-client-names=ra.example"},
              absl::StrCat("\"va serving\",\"listen\":\"127.0.0.1:", tls_port_,
                           "\"")};
        },
        stack_->dir() + "/va-tls.log");
    ASSERT_TRUE(va.ok()) << va.status();
    tls_va_ = new Process(*std::move(va));

    const KeyAuthz k = MakeKeyAuthz(77);
    key_authz_ = k.key_authorization;
    s = stack_->Dns("/set-txt",
                    absl::StrCat("{\"host\":\"_acme-challenge.mtls.example."
                                 "com\",\"value\":\"",
                                 k.txt, "\"}"));
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete tls_va_;
    delete stack_;
    delete pki_;
  }

  static std::string Target() { return absl::StrCat("127.0.0.1:", tls_port_); }

  // The RA's way in: the project's own client credentials (TlsCredentials).
  static std::shared_ptr<grpc::ChannelCredentials> RaCredentials() {
    common::TlsFiles files;
    files.cert = pki_->Path("ra.pem");
    files.key = pki_->Path("ra.key");
    files.ca = pki_->Path("ca.pem");
    auto creds = common::MakeChannelCredentials(files);
    EXPECT_TRUE(creds.ok()) << creds.status();
    return creds.ok() ? *creds : nullptr;
  }

  // Plain SslCredentials trusting our CA, with an optional client cert.
  static std::shared_ptr<grpc::ChannelCredentials> SslWith(
      const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = pki_->Pem("ca.pem");
    if (!client.empty()) {
      options.pem_cert_chain = pki_->Pem(client + ".pem");
      options.pem_private_key = pki_->Pem(client + ".key");
    }
    return grpc::SslCredentials(options);
  }

  // A fresh channel (no reuse of another test's connection) and one DoDCV.
  static grpc::Status CallDcv(std::shared_ptr<grpc::ChannelCredentials> creds,
                              ::va::ValidationResult* out) {
    grpc::ChannelArguments args;
    // Distinct args keep gRPC from sharing a subchannel between channels.
    args.SetInt("hardening.test.channel", ++channel_counter_);
    auto channel = grpc::CreateCustomChannel(Target(), creds, args);
    auto stub = ::va::VA::NewStub(channel);
    ::va::PerformValidationRequest req;
    req.mutable_identifier()->set_type("dns");
    req.mutable_identifier()->set_value("mtls.example.com");
    req.mutable_challenge()->set_type("dns-01");
    req.mutable_authz()->set_id(1);
    req.mutable_authz()->set_regid(1);
    req.set_expectedkeyauthorization(key_authz_);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return stub->DoDCV(&ctx, req, out);
  }

  // One DoCAA to `target` on a fresh connection (distinct channel args: no
  // reuse of another call's connection).
  static grpc::Status CallCaa(const std::string& target,
                              std::shared_ptr<grpc::ChannelCredentials> creds,
                              ::va::IsCAAValidResponse* out) {
    grpc::ChannelArguments args;
    args.SetInt("hardening.test.channel", ++channel_counter_);
    auto stub = ::va::CAA::NewStub(
        grpc::CreateCustomChannel(target, std::move(creds), args));
    ::va::IsCAAValidRequest req;
    req.mutable_identifier()->set_type("dns");
    req.mutable_identifier()->set_value("mtls.example.com");
    req.set_validationmethod("dns-01");
    req.set_accounturiid(1);
    req.set_authzid(1);
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return stub->DoCAA(&ctx, req, out);
  }

  static void ExpectAllowedClientWorks() {
    ::va::ValidationResult r;
    grpc::Status s = CallDcv(RaCredentials(), &r);
    ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message() << "\n"
                        << tls_va_->Log();
    EXPECT_FALSE(r.has_problem()) << r.problem().detail();
    ASSERT_EQ(r.records_size(), 1);
    EXPECT_EQ(r.records(0).hostname(), "mtls.example.com");
  }

  static void ExpectRefused(std::shared_ptr<grpc::ChannelCredentials> creds) {
    ::va::ValidationResult r;
    grpc::Status s = CallDcv(std::move(creds), &r);
    EXPECT_FALSE(s.ok()) << "refused client was served";
    EXPECT_THAT(s.error_code(), AnyOf(grpc::StatusCode::UNAVAILABLE,
                                      grpc::StatusCode::UNAUTHENTICATED))
        << s.error_message();
    EXPECT_EQ(r.records_size(), 0);
    EXPECT_TRUE(tls_va_->Running()) << tls_va_->Log();
    // And the VA still serves the allowed client afterwards.
    ExpectAllowedClientWorks();
  }

  static TestPki* pki_;
  static VaStack* stack_;
  static Process* tls_va_;
  static int tls_port_;
  static std::string key_authz_;
  static int channel_counter_;
};

TestPki* MtlsIntegrationTest::pki_ = nullptr;
VaStack* MtlsIntegrationTest::stack_ = nullptr;
Process* MtlsIntegrationTest::tls_va_ = nullptr;
int MtlsIntegrationTest::tls_port_ = 0;
std::string MtlsIntegrationTest::key_authz_;
int MtlsIntegrationTest::channel_counter_ = 0;

TEST_F(MtlsIntegrationTest, AllowedClientIsServed) {
  ExpectAllowedClientWorks();
  // Plain SslCredentials with the same certificate work too.
  ::va::ValidationResult r;
  grpc::Status s = CallDcv(SslWith("ra"), &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(r.has_problem()) << r.problem().detail();
}

TEST_F(MtlsIntegrationTest, ClientWithoutCertificateIsRefused) {
  ExpectRefused(SslWith(""));
}

TEST_F(MtlsIntegrationTest, ClientFromAnotherCaIsRefused) {
  ExpectRefused(SslWith("rogue-ra"));
}

TEST_F(MtlsIntegrationTest, ClientNotOnTheAllowListIsRefused) {
  ExpectRefused(SslWith("intruder"));
}

TEST_F(MtlsIntegrationTest, IntruderIsServedOnlyWithoutAnAllowList) {
  // Control for the test above: the intruder's certificate is otherwise
  // good, so its refusal there comes from --tls-client-names.
  const int port = FreePort();
  auto va = Process::Start(
      {ProgramPath("va"), absl::StrCat("--listen=127.0.0.1:", port),
       absl::StrCat("--dns-resolvers=", stack_->dns_addr()),
       "--dnssec-canary=off", "--issuer-domain=letsencrypt.org",
       absl::StrCat("--tls-cert=", pki_->Path("server.pem")),
       absl::StrCat("--tls-key=", pki_->Path("server.key")),
       absl::StrCat("--tls-ca=", pki_->Path("ca.pem"))},
      stack_->dir() + "/va-tls-any-client.log");
  ASSERT_TRUE(va.ok()) << va.status();
  ASSERT_TRUE(WaitForTcpPort(port, absl::Seconds(10)).ok()) << va->Log();
  ::va::IsCAAValidResponse resp;
  grpc::Status s =
      CallCaa(absl::StrCat("127.0.0.1:", port), SslWith("intruder"), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.has_problem()) << resp.problem().detail();
}

// Certificates are rotated by replacing the files, without a restart
// (--tls-reload-interval): a client from a second CA is refused until the
// CA file also holds that CA, then served; the server's own certificate is
// swapped the same way, seen by a fresh handshake.
TEST_F(MtlsIntegrationTest, RotatedFilesAreUsedWithoutARestart) {
  const std::string dir = TempDir("va-mtls-rotate");
  ASSERT_FALSE(dir.empty());
  const auto path = [&](const std::string& f) {
    return absl::StrCat(dir, "/", f);
  };
  // Written elsewhere, then renamed into place: what an operator (or
  // cert-manager) does, so the VA never reads a half-written file.
  const auto install = [&](const std::string& name, const std::string& pem) {
    const std::string tmp = path(name + ".new");
    std::ofstream(tmp) << pem;
    ASSERT_EQ(::rename(tmp.c_str(), path(name).c_str()), 0) << name;
  };
  install("cert.pem", pki_->Pem("server.pem"));
  install("key.pem", pki_->Pem("server.key"));
  install("ca.pem", pki_->Pem("ca.pem"));

  const int port = FreePort();
  auto va = Process::Start(
      {ProgramPath("va"), absl::StrCat("--listen=127.0.0.1:", port),
       absl::StrCat("--dns-resolvers=", stack_->dns_addr()),
       "--dnssec-canary=off", "--issuer-domain=letsencrypt.org",
       absl::StrCat("--tls-cert=", path("cert.pem")),
       absl::StrCat("--tls-key=", path("key.pem")),
       absl::StrCat("--tls-ca=", path("ca.pem")),
       "--tls-client-names=ra.example", "--tls-reload-interval=1s"},
      stack_->dir() + "/va-tls-rotate.log");
  ASSERT_TRUE(va.ok()) << va.status();
  ASSERT_TRUE(WaitForTcpPort(port, absl::Seconds(10)).ok()) << va->Log();
  const std::string target = absl::StrCat("127.0.0.1:", port);

  const auto call = [&](std::shared_ptr<grpc::ChannelCredentials> creds) {
    ::va::IsCAAValidResponse resp;
    return CallCaa(target, std::move(creds), &resp);
  };
  // Polls (bounded) until `want` holds for a fresh call.
  const auto eventually = [&](const std::function<bool()>& want) {
    const absl::Time give_up = absl::Now() + absl::Seconds(15);
    while (absl::Now() < give_up) {
      if (want()) return true;
      absl::SleepFor(absl::Milliseconds(250));
    }
    return false;
  };

  EXPECT_TRUE(call(SslWith("ra")).ok());
  // rogue-ra: named ra.example, but signed by the other CA.
  EXPECT_FALSE(call(SslWith("rogue-ra")).ok());

  install("ca.pem", pki_->Pem("ca.pem") + pki_->Pem("other-ca.pem"));
  EXPECT_TRUE(eventually([&] { return call(SslWith("rogue-ra")).ok(); }))
      << va->Log();
  EXPECT_TRUE(call(SslWith("ra")).ok()) << "the first CA still counts";

  // The server's identity: serial 10 (server.pem) -> 14 (ra-server.pem, also
  // valid for 127.0.0.1), as a plain TLS client sees it.
  const auto serial = [&] {
    CommandResult r = RunCommand(
        {"sh", "-c",
         absl::StrCat("openssl s_client -connect ", target, " -cert ",
                      pki_->Path("ra.pem"), " -key ", pki_->Path("ra.key"),
                      " </dev/null 2>/dev/null | openssl x509 -noout -serial")},
        absl::Seconds(10));
    return std::string(absl::StripAsciiWhitespace(r.out));
  };
  EXPECT_EQ(serial(), "serial=0A");
  install("key.pem", pki_->Pem("ra-server.key"));
  install("cert.pem", pki_->Pem("ra-server.pem"));
  EXPECT_TRUE(eventually([&] { return serial() == "serial=0E"; }))
      << serial() << "\n"
      << va->Log();
  EXPECT_TRUE(call(SslWith("ra")).ok()) << "served with the new certificate";
  EXPECT_TRUE(va->Running()) << va->Log();
}

TEST_F(MtlsIntegrationTest, PlaintextClientIsRefused) {
  ExpectRefused(grpc::InsecureChannelCredentials());
}

TEST_F(MtlsIntegrationTest, ClientThatDoesNotTrustTheServerRefuses) {
  // The client's roots are the other CA: the VA's certificate must not pass.
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pki_->Pem("other-ca.pem");
  options.pem_cert_chain = pki_->Pem("ra.pem");
  options.pem_private_key = pki_->Pem("ra.key");
  ExpectRefused(grpc::SslCredentials(options));
}

// What the VA's TLS endpoint negotiates, seen by a plain TLS client.
struct Handshake {
  bool ok = false;
  std::string protocol;  // "TLSv1.3", ...
  std::string cipher;
  std::string output;
};

Handshake SClient(const std::string& target, const std::string& version_flag,
                  const TestPki& pki) {
  CommandResult r = RunCommand(
      {"sh", "-c",
       absl::StrCat("openssl s_client -connect ", target, " ", version_flag,
                    " -alpn h2 -cert ", pki.Path("ra.pem"), " -key ",
                    pki.Path("ra.key"), " -CAfile ", pki.Path("ca.pem"),
                    " -verify_return_error -brief </dev/null 2>&1")},
      absl::Seconds(20));
  Handshake h;
  h.output = r.out;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (absl::ConsumePrefix(&line, "Protocol version: ")) {
      h.protocol = std::string(line);
    } else if (absl::ConsumePrefix(&line, "Ciphersuite: ")) {
      h.cipher = std::string(line);
    }
  }
  h.ok = r.exit_code == 0 && !h.protocol.empty();
  return h;
}

constexpr char kTls13OnlyLog[] = "TLS 1.3 only: TLS 1.2 and below are refused";

// Checks a TLS server on `target` speaks TLS 1.3 and nothing older, to the
// same client with the same certificate: only the offered version differs.
void ExpectOnlyTls13(const std::string& target, const TestPki& pki) {
  for (const char* flag : {"", "-tls1_3"}) {
    const Handshake h = SClient(target, flag, pki);
    ASSERT_TRUE(h.ok) << "'" << flag << "': " << h.output;
    EXPECT_EQ(h.protocol, "TLSv1.3") << flag;
    // TLS 1.3 suites are all AEAD with ephemeral key exchange.
    EXPECT_TRUE(absl::StartsWith(h.cipher, "TLS_")) << h.cipher;
  }
  for (const char* old : {"-tls1_2", "-tls1_1", "-tls1"}) {
    const Handshake h = SClient(target, old, pki);
    EXPECT_FALSE(h.ok) << old << " was accepted: " << h.output;
    EXPECT_THAT(h.output, Not(HasSubstr("CONNECTION ESTABLISHED"))) << old;
    EXPECT_TRUE(h.protocol.empty()) << old << " negotiated " << h.protocol;
  }
}

TEST_F(MtlsIntegrationTest, VaSpeaksOnlyTls13) {
  ExpectOnlyTls13(Target(), *pki_);
  EXPECT_TRUE(tls_va_->Running()) << tls_va_->Log();
  // Refused handshakes do not disturb the allowed client.
  ExpectAllowedClientWorks();
  // Said once at start-up, so an operator can see it in the log.
  const std::string log = tls_va_->Log();
  const size_t first = log.find(kTls13OnlyLog);
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(kTls13OnlyLog, first + 1), std::string::npos) << log;
}

TEST_F(MtlsIntegrationTest, RaSpeaksOnlyTls13) {
  // The RA serves with its own certificate (server and client use) and
  // reaches the TLS VA with it.
  const int port = FreePort();
  auto ra = Process::Start(
      {ProgramPath("ra"), absl::StrCat("--listen=127.0.0.1:", port),
       absl::StrCat("--va=", Target()),
       absl::StrCat("--db=", stack_->dir(), "/ra-tls13-", port, ".sqlite"),
       absl::StrCat("--tls-cert=", pki_->Path("ra-server.pem")),
       absl::StrCat("--tls-key=", pki_->Path("ra-server.key")),
       absl::StrCat("--tls-ca=", pki_->Path("ca.pem"))},
      absl::StrCat(stack_->dir(), "/ra-tls13-", port, ".log"));
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(WaitForTcpPort(port, absl::Seconds(10)).ok()) << ra->Log();
  ExpectOnlyTls13(absl::StrCat("127.0.0.1:", port), *pki_);
  EXPECT_TRUE(ra->Running()) << ra->Log();
  // Server and client credentials both asked; logged once all the same.
  const std::string log = ra->Log();
  const size_t first = log.find(kTls13OnlyLog);
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(kTls13OnlyLog, first + 1), std::string::npos) << log;
}

// What an `openssl s_server` limited to `version_flag` (with the VA's
// certificate, requiring a client certificate) saw of one connection from
// the project's own client credentials, as the RA and the primary VA use
// them towards VAs.
std::string SServerSawProjectClient(const std::string& version_flag,
                                    const TestPki& pki,
                                    const std::string& log_dir) {
  // A port picked now can be taken by a parallel test before s_server
  // binds it: then try another.
  int port = 0;
  absl::StatusOr<Process> server = absl::UnknownError("not started");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port = FreePort();
    server = Process::Start(
        {"/bin/sh", "-c",
         absl::StrCat("exec openssl s_server -accept 127.0.0.1:", port,
                      " -www ", version_flag, " -alpn h2 -cert ",
                      pki.Path("server.pem"), " -key ", pki.Path("server.key"),
                      " -CAfile ", pki.Path("ca.pem"),
                      " -Verify 1 -verify_return_error")},
        absl::StrCat(log_dir, "/s_server", version_flag, "-", port, ".log"));
    if (!server.ok()) return server.status().ToString();
    // Not WaitForTcpPort: its probe would be one more handshake to read.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!absl::StrContains(server->Log(), "ACCEPT") && server->Running() &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (absl::StrContains(server->Log(), "ACCEPT")) break;
    server->Stop();
    server = absl::UnavailableError("s_server never listened");
  }
  if (!server.ok()) return server.status().ToString();
  common::TlsFiles files;
  files.cert = pki.Path("ra.pem");
  files.key = pki.Path("ra.key");
  files.ca = pki.Path("ca.pem");
  auto creds = common::MakeChannelCredentials(files);
  if (!creds.ok()) return creds.status().ToString();
  {
    // s_server is no gRPC server: the call fails either way; what matters is
    // whether the TLS handshake under it completed.
    auto stub = ::va::VA::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), *creds));
    ::va::PerformValidationRequest req;
    ::va::ValidationResult resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(3)));
    stub->DoDCV(&ctx, req, &resp);
  }
  // What matters goes to its unbuffered stderr, but only once s_server has
  // handled the handshake, which can come after our call gave up (slow
  // under sanitizers): wait for its verdict before stopping it.
  const absl::Time verdict_by = absl::Now() + absl::Seconds(10);
  while (absl::Now() < verdict_by) {
    const std::string log = server->Log();
    if (absl::StrContains(log, "unsupported protocol") ||
        absl::StrContains(log, "depth=0") || absl::StrContains(log, "ERROR")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  server->Stop();
  return server->Log();
}

TEST_F(MtlsIntegrationTest, ProjectClientSpeaksOnlyTls13) {
  // Control: a TLS 1.3 server gets as far as verifying the client's
  // certificate, which a TLS 1.3 client sends only after accepting the
  // server's half of the handshake.
  const std::string tls13 =
      SServerSawProjectClient("-tls1_3", *pki_, stack_->dir());
  EXPECT_THAT(tls13, HasSubstr("depth=0 CN = ra.example")) << tls13;
  EXPECT_THAT(tls13, Not(HasSubstr("unsupported protocol"))) << tls13;
  // The same server limited to TLS 1.2: the client offers nothing it takes,
  // so the handshake ends at the ClientHello.
  const std::string tls12 =
      SServerSawProjectClient("-tls1_2", *pki_, stack_->dir());
  EXPECT_THAT(tls12, HasSubstr("unsupported protocol")) << tls12;
  EXPECT_THAT(tls12, Not(HasSubstr("CN = ra.example"))) << tls12;
}

// ---- start-up refusals ----

struct StartResult {
  int exit_code = -1;
  std::string log;
};

StartResult StartVaExpectingExit(const std::vector<std::string>& extra,
                                 const std::string& dir) {
  std::vector<std::string> argv = {
      ProgramPath("va"), absl::StrCat("--listen=127.0.0.1:", FreePort()),
      "--dns-resolvers=127.0.0.1:53", "--dnssec-canary=off",
      "--issuer-domain=letsencrypt.org"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const std::string log = absl::StrCat(dir, "/va-refuse-", FreePort(), ".log");
  StartResult out;
  auto p = Process::Start(argv, log);
  if (!p.ok()) return out;
  absl::StatusOr<int> status = p->Wait(absl::Seconds(10));
  out.log = p->Log();
  if (status.ok() && WIFEXITED(*status)) out.exit_code = WEXITSTATUS(*status);
  return out;
}

TEST_F(MtlsIntegrationTest, VaWithoutTlsOrPlaintextRefusesToStart) {
  const StartResult r = StartVaExpectingExit({}, stack_->dir());
  EXPECT_NE(r.exit_code, 0) << r.log;
  EXPECT_NE(r.exit_code, -1) << "still running or killed: " << r.log;
  EXPECT_THAT(r.log, HasSubstr("--tls-cert, --tls-key and --tls-ca"));
  EXPECT_THAT(r.log, HasSubstr("--plaintext"));
}

TEST_F(MtlsIntegrationTest, VaWithPartialOrUnreadableTlsFilesRefusesToStart) {
  StartResult r = StartVaExpectingExit(
      {absl::StrCat("--tls-cert=", pki_->Path("server.pem")),
       absl::StrCat("--tls-key=", pki_->Path("server.key"))},
      stack_->dir());
  EXPECT_NE(r.exit_code, 0) << r.log;
  EXPECT_NE(r.exit_code, -1) << r.log;
  EXPECT_THAT(r.log, HasSubstr("--tls-ca"));

  r = StartVaExpectingExit(
      {absl::StrCat("--tls-cert=", pki_->Path("missing.pem")),
       absl::StrCat("--tls-key=", pki_->Path("server.key")),
       absl::StrCat("--tls-ca=", pki_->Path("ca.pem"))},
      stack_->dir());
  EXPECT_NE(r.exit_code, 0) << r.log;
  EXPECT_NE(r.exit_code, -1) << r.log;
  EXPECT_THAT(r.log, HasSubstr("--tls-cert: cannot read"));
}

}  // namespace
}  // namespace acmeva::testing_harness
