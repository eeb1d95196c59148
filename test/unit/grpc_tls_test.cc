// common/grpc_tls: the flag checks, and real TLS handshakes on loopback
// between an in-process server and client built from TlsFiles, with
// certificates the test makes with the openssl CLI. In particular the
// client checks the server's name: the host of the target, or
// server_name_override when it is set.
#include "common/grpc_tls.h"

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/tls_last_good.h"
#include "proto/va.grpc.pb.h"

namespace acmeva::common {
namespace {

using ::testing::HasSubstr;

constexpr char kConfig[] = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[server]
extendedKeyUsage = serverAuth
subjectAltName = DNS:va.internal
[client]
extendedKeyUsage = clientAuth
subjectAltName = DNS:ra.example
[server2]
extendedKeyUsage = serverAuth
subjectAltName = DNS:va2.internal
)";

class GrpcTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "grpc-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = new std::string(tmpl);
    std::ofstream(Path("cnf")) << kConfig;
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    ASSERT_TRUE(Sh(absl::StrCat(
        "openssl req -x509 -new", key, " -nodes -keyout ", Path("ca.key"),
        " -out ", Path("ca.pem"), " -days 2 -subj /CN=ca -config ", Path("cnf"),
        " -extensions ca")));
    int serial = 1;
    for (const char* name : {"server", "client", "server2"}) {
      const std::string n = name;
      ASSERT_TRUE(Sh(absl::StrCat("openssl req -new", key, " -nodes -keyout ",
                                  Path(n + ".key"), " -out ", Path(n + ".csr"),
                                  " -subj /CN=", n, " -config ", Path("cnf"))));
      ASSERT_TRUE(Sh(absl::StrCat(
          "openssl x509 -req -in ", Path(n + ".csr"), " -CA ", Path("ca.pem"),
          " -CAkey ", Path("ca.key"), " -set_serial ", serial++,
          " -days 2 -out ", Path(n + ".pem"), " -extfile ", Path("cnf"),
          " -extensions ", n)));
    }
    std::ofstream(Path("empty.pem")).close();
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string Path(const std::string& f) { return *dir_ + "/" + f; }
  static bool Sh(const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
  }
  static TlsFiles Files(const std::string& who) {
    TlsFiles f;
    f.cert = Path(who + ".pem");
    f.key = Path(who + ".key");
    f.ca = Path("ca.pem");
    return f;
  }

  // A TLS server on 127.0.0.1 (its certificate names only va.internal).
  void StartServer(const TlsFiles& files = Files("server")) {
    auto creds = MakeServerCredentials(files);
    ASSERT_TRUE(creds.ok()) << creds.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port_);
    builder.RegisterService(&service_);  // a server needs one service
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // The status of one call from a client built from `files`: UNIMPLEMENTED
  // means the TLS handshake and the per-call checks passed.
  grpc::Status Call(const TlsFiles& files) {
    auto creds = MakeChannelCredentials(files);
    EXPECT_TRUE(creds.ok()) << creds.status();
    if (!creds.ok()) return grpc::Status::CANCELLED;
    grpc::ChannelArguments args;
    args.SetInt("grpc_tls_test.channel", ++channel_);  // no shared subchannel
    auto stub = ::va::VA::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", port_), *creds, args));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    ::va::PerformValidationRequest req;
    ::va::ValidationResult resp;
    return stub->DoDCV(&ctx, req, &resp);
  }
  bool Connects(const TlsFiles& files) {
    const grpc::Status s = Call(files);
    EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
    return s.error_code() == grpc::StatusCode::UNIMPLEMENTED;
  }

  static std::string* dir_;
  ::va::VA::CallbackService service_;  // every method: UNIMPLEMENTED
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int channel_ = 0;
};

std::string* GrpcTlsTest::dir_ = nullptr;

// A registry that outlives the test: the watcher of a set of paths runs as
// long as the process and keeps counting into it. Held by a static, so leak
// checkers see it reachable.
MetricsRegistry* KeptRegistry() {
  static auto* kept = new std::vector<std::unique_ptr<MetricsRegistry>>;
  kept->push_back(std::make_unique<MetricsRegistry>());
  return kept->back().get();
}

TEST_F(GrpcTlsTest, NeitherFilesNorPlaintextIsRefused) {
  for (bool server : {true, false}) {
    absl::Status s = server ? MakeServerCredentials({}).status()
                            : MakeChannelCredentials({}).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_THAT(s.message(), HasSubstr("--tls-cert, --tls-key and --tls-ca"));
    EXPECT_THAT(s.message(), HasSubstr("--plaintext"));
  }
  TlsFiles partial = Files("server");
  partial.ca.clear();
  EXPECT_FALSE(MakeServerCredentials(partial).ok());
}

TEST_F(GrpcTlsTest, PlaintextMustBeAskedFor) {
  TlsFiles f;
  f.plaintext = true;
  EXPECT_TRUE(MakeServerCredentials(f).ok());
  EXPECT_TRUE(MakeChannelCredentials(f).ok());
}

TEST_F(GrpcTlsTest, UnreadableOrEmptyFilesNameTheFlag) {
  TlsFiles f = Files("server");
  f.key = Path("missing.key");
  absl::Status s = MakeServerCredentials(f).status();
  EXPECT_THAT(s.message(), HasSubstr("--tls-key: cannot read"));
  f = Files("server");
  f.ca = Path("empty.pem");
  s = MakeChannelCredentials(f).status();
  EXPECT_THAT(s.message(), HasSubstr("--tls-ca: "));
  EXPECT_THAT(s.message(), HasSubstr("is empty"));
}

TEST_F(GrpcTlsTest, ClientChecksTheServerNameAgainstTheTarget) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // The target is 127.0.0.1, which the certificate does not name.
  EXPECT_FALSE(Connects(Files("client")));
}

TEST_F(GrpcTlsTest, ServerNameOverrideIsTheNameChecked) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  TlsFiles f = Files("client");
  f.server_name_override = "va.internal";
  EXPECT_TRUE(Connects(f)) << "server_name_override is not applied";
  f.server_name_override = "other.internal";
  EXPECT_FALSE(Connects(f));
}

// Start-up with a bad file: a clear error naming the flag, the file and why.
TEST_F(GrpcTlsTest, BadFilesAtStartUpAreClearErrors) {
  std::ofstream(Path("garbage.pem")) << "not a certificate\n";
  Sh(absl::StrCat("head -c 300 ", Path("server.pem"), " > ", Path("half.pem")));
  struct Case {
    std::string name;
    std::string cert, key, ca;
    std::string want;
  };
  for (const Case& c : std::vector<Case>{
           {"garbage CA", "server.pem", "server.key", "garbage.pem",
            "--tls-ca: "},
           {"half-written cert", "half.pem", "server.key", "ca.pem",
            "--tls-cert: "},
           {"empty key", "server.pem", "empty.pem", "ca.pem", "is empty"},
           {"key of another certificate", "server.pem", "client.key", "ca.pem",
            "does not match"}}) {
    TlsFiles f;
    f.cert = Path(c.cert);
    f.key = Path(c.key);
    f.ca = Path(c.ca);
    absl::Status s = MakeServerCredentials(f).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.name << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(c.want)) << c.name;
  }
}

// A bad set at reload (an empty certificate or key, a garbage CA bundle, a
// half-written certificate) keeps the last good one: new handshakes still
// succeed, one line per problem is logged and counted.
TEST_F(GrpcTlsTest, BadFilesAtReloadKeepTheLastGoodSet) {
  struct Case {
    std::string name;
    std::string file;  // server.pem, server.key or ca.pem (in the copy)
    std::string content;
    std::string label;  // tls_files_rejected_total{file=...}
  };
  std::string half_cert;
  {
    std::ifstream in(Path("server.pem"));
    std::stringstream ss;
    ss << in.rdbuf();
    half_cert = ss.str().substr(0, ss.str().size() / 2);
  }
  int n = 0;
  for (const Case& c : std::vector<Case>{
           {"empty cert", "server.pem", "", "tls-cert"},
           {"empty key", "server.key", "", "tls-key"},
           {"garbage CA", "ca.pem", "garbage\n", "tls-ca"},
           {"half-written cert", "server.pem", half_cert, "tls-cert"}}) {
    SCOPED_TRACE(c.name);
    // Fresh paths per case: each set of paths is watched once per process.
    const std::string d = Path(absl::StrCat("reload", ++n));
    std::filesystem::create_directory(d);
    for (const char* f : {"server.pem", "server.key", "ca.pem"}) {
      std::filesystem::copy_file(Path(f), d + "/" + f);
    }
    MetricsRegistry* metrics = KeptRegistry();
    TlsFiles files;
    files.cert = d + "/server.pem";
    files.key = d + "/server.key";
    files.ca = d + "/ca.pem";
    files.reload_interval = absl::Seconds(1);
    files.metrics = metrics;
    ASSERT_NO_FATAL_FAILURE(StartServer(files));
    TlsFiles client = Files("client");
    client.server_name_override = "va.internal";
    ASSERT_TRUE(Connects(client));

    std::ofstream(d + "/" + c.file, std::ios::trunc) << c.content;
    auto watched = LastGoodTlsFiles::Watch({files.cert, files.key, files.ca},
                                           files.reload_interval, nullptr);
    ASSERT_TRUE(watched.ok()) << watched.status();
    (*watched)->CheckNow();  // the same problem again: not counted twice
    // gRPC's own watcher re-reads the last good set every second.
    absl::SleepFor(absl::Milliseconds(1500));
    EXPECT_TRUE(Connects(client));
    EXPECT_EQ(metrics->Counter("tls_files_rejected_total", "", {"file"})
                  ->Value({c.label}),
              1);
    server_->Shutdown();
    server_.reset();
  }
}

// A good new set (renamed into place) is taken: new handshakes present the
// new certificate.
TEST_F(GrpcTlsTest, GoodNewSetIsTaken) {
  const std::string d = Path("rotate");
  std::filesystem::create_directory(d);
  for (const char* f : {"server.pem", "server.key", "ca.pem"}) {
    std::filesystem::copy_file(Path(f), d + "/" + f);
  }
  MetricsRegistry* metrics = KeptRegistry();
  TlsFiles files;
  files.cert = d + "/server.pem";
  files.key = d + "/server.key";
  files.ca = d + "/ca.pem";
  files.reload_interval = absl::Seconds(1);
  files.metrics = metrics;
  ASSERT_NO_FATAL_FAILURE(StartServer(files));
  TlsFiles old_name = Files("client");
  old_name.server_name_override = "va.internal";
  TlsFiles new_name = Files("client");
  new_name.server_name_override = "va2.internal";
  ASSERT_TRUE(Connects(old_name));
  ASSERT_FALSE(Connects(new_name));

  std::filesystem::copy_file(Path("server2.key"), d + "/new.key");
  std::filesystem::copy_file(Path("server2.pem"), d + "/new.pem");
  std::filesystem::rename(d + "/new.key", files.key);
  std::filesystem::rename(d + "/new.pem", files.cert);
  auto watched = LastGoodTlsFiles::Watch({files.cert, files.key, files.ca},
                                         files.reload_interval, nullptr);
  ASSERT_TRUE(watched.ok()) << watched.status();
  absl::SleepFor(absl::Milliseconds(1500));  // gRPC's watcher: every second
  EXPECT_TRUE(Connects(new_name));
  EXPECT_FALSE(Connects(old_name));
  EXPECT_EQ(metrics->Counter("tls_files_reloaded_total", "")->Value({}), 1);
}

}  // namespace
}  // namespace acmeva::common
