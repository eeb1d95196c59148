#include "test/integration/hardened_server.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/grpc_tls.h"
#include "proto/ra.grpc.pb.h"
#include "proto/va.grpc.pb.h"

namespace acmeva::testing_harness {
namespace {

constexpr char kOpensslConfig[] = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[server]
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[client]
extendedKeyUsage = clientAuth
subjectAltName = DNS:ra.example
)";

std::string MakePki() {
  const std::string dir = TempDir("hardened");
  std::ofstream(dir + "/cnf") << kOpensslConfig;
  auto path = [&](const std::string& f) { return dir + "/" + f; };
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
  bool ok = Sh(absl::StrCat("openssl req -x509 -new", key, " -nodes -keyout ",
                            path("ca.key"), " -out ", path("ca.pem"),
                            " -days 2 -subj /CN=ca -config ", path("cnf"),
                            " -extensions ca"));
  int serial = 1;
  for (const std::string n : {"server", "client"}) {
    ok = ok &&
         Sh(absl::StrCat("openssl req -new", key, " -nodes -keyout ",
                         path(n + ".key"), " -out ", path(n + ".csr"),
                         " -subj /CN=", n, " -config ", path("cnf"))) &&
         Sh(absl::StrCat("openssl x509 -req -in ", path(n + ".csr"), " -CA ",
                         path("ca.pem"), " -CAkey ", path("ca.key"),
                         " -set_serial ", serial++, " -days 2 -out ",
                         path(n + ".pem"), " -extfile ", path("cnf"),
                         " -extensions ", n));
  }
  EXPECT_TRUE(ok) << "openssl failed in " << dir;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  return dir;
}

}  // namespace

const std::string& TestPkiDir() {
  static const std::string* dir = new std::string(MakePki());
  return *dir;
}

std::string PkiPath(const std::string& file) {
  return TestPkiDir() + "/" + file;
}

bool Sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

int ConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

absl::Status HardenedServer::Start(const Target& target,
                                   const std::vector<std::string>& extra_flags,
                                   std::string tls_dir) {
  target_ = target;
  if (tls_dir.empty()) tls_dir = TestPkiDir();
  const std::string log = absl::StrCat(TestPkiDir(), "/", target.name, ".log");
  auto started = StartListening(
      [&] {
        port_ = FreePort();
        metrics_port_ = FreePort();
        Launch l;
        l.argv = {"/usr/bin/prlimit", "--nofile=100:200",
                  ProgramPath(target.program),
                  absl::StrCat("--listen=127.0.0.1:", port_)};
        if (target.program == "va") {
          l.argv.push_back("--dns-resolvers=127.0.0.1:1");
          l.argv.push_back("--dnssec-canary=off");
          l.argv.push_back("--issuer-domain=letsencrypt.org");
          l.argv.push_back(
              absl::StrCat("--metrics-listen=127.0.0.1:", metrics_port_));
        } else {
          l.argv.push_back("--va=127.0.0.1:1");
          l.argv.push_back(absl::StrCat("--db=", TestPkiDir(), "/", target.name,
                                        "-", port_, ".sqlite"));
        }
        if (target.tls) {
          l.argv.push_back("--tls-cert=" + tls_dir + "/server.pem");
          l.argv.push_back("--tls-key=" + tls_dir + "/server.key");
          l.argv.push_back("--tls-ca=" + tls_dir + "/ca.pem");
        } else {
          l.argv.push_back("--plaintext");
        }
        l.argv.insert(l.argv.end(), extra_flags.begin(), extra_flags.end());
        l.ready =
            absl::StrCat("\"", target.program,
                         " serving\",\"listen\":\"127.0.0.1:", port_, "\"");
        return l;
      },
      log);
  if (!started.ok()) return started.status();
  process_ = *std::move(started);
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> HardenedServer::NewChannel() {
  std::shared_ptr<grpc::ChannelCredentials> creds =
      grpc::InsecureChannelCredentials();
  if (target_.tls) {
    common::TlsFiles files;
    files.cert = PkiPath("client.pem");
    files.key = PkiPath("client.key");
    files.ca = PkiPath("ca.pem");
    auto made = common::MakeChannelCredentials(files);
    EXPECT_TRUE(made.ok()) << made.status();
    creds = *made;
  }
  grpc::ChannelArguments args;
  args.SetInt("flood_test.channel", ++channels_);  // no shared connection
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_), creds,
                                   args);
}

grpc::Status HardenedServer::Call(const std::shared_ptr<grpc::Channel>& channel,
                                  absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (target_.program == "va") {
    ::va::PerformValidationRequest req;
    ::va::ValidationResult resp;
    return ::va::VA::NewStub(channel)->DoDCV(&ctx, req, &resp);
  }
  ::ra::AuthorizationID req;
  req.set_id(424242);
  ::ra::AuthorizationResponse resp;
  return ::ra::RA::NewStub(channel)->GetAuthorization(&ctx, req, &resp);
}
bool HardenedServer::Answered(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
         s.error_code() == grpc::StatusCode::NOT_FOUND;
}

int HardenedServer::Health(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const auto& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;
}

std::string HardenedServer::Metrics() {
  auto reply = HttpGet(metrics_port_, "/metrics");
  return reply.ok() ? reply->body : "";
}
int64_t HardenedServer::RssKiB() {
  std::ifstream in(absl::StrCat("/proc/", process_.pid(), "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      int64_t kib = 0;
      std::vector<std::string> parts =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) return kib;
    }
  }
  return -1;
}

}  // namespace acmeva::testing_harness
