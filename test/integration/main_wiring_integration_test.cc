// The programs' shared main wiring, tested on the real processes: --help
// lists the flags; bad flag values are refused naming the flag; SIGHUP is
// ignored; a drain that runs out of time audits what it abandoned and exits
// non-zero; undecodable requests get INVALID_ARGUMENT with a message; a
// grpc-timeout past the year 2262 is clamped; every stderr line is JSON; the
// RA refuses a damaged database.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "test/integration/va_stack.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Every non-empty line of `text` is one JSON object.
void ExpectAllJson(const std::string& text, const std::string& what) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++lines;
    google::protobuf::Struct parsed;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(std::string(line), &parsed)
            .ok())
        << what << ": not a JSON object: " << line;
  }
  EXPECT_GT(lines, 0) << what << ": no output at all";
}

// --- --help -----------------------------------------------------------------

struct HelpCase {
  std::string program;
  std::vector<std::string> flags;  // as absl prints them
};

TEST(HelpTest, ListsEveryProgramsFlags) {
  const std::vector<HelpCase> cases = {
      {"va",
       {"--dns_resolvers", "--dns_tries", "--dns_loop_threads",
        "--default_timeout", "--drain_timeout", "--tls_cert",
        "--tls_reload_interval", "--remote_server_name"}},
      {"ra", {"--db", "--va_timeout", "--tls_ca", "--tls_client_names"}},
      {"dnstestsrv", {"--dns01", "--management", "--udp_threads"}},
      {"vactl", {"--ra", "--rpc_timeout", "--tls_key", "--server_name"}},
  };
  for (const HelpCase& c : cases) {
    const CommandResult r =
        RunCommand({ProgramPath(c.program), "--help"}, absl::Seconds(30));
    EXPECT_THAT(r.out, Not(HasSubstr("No flags matched"))) << c.program;
    for (const std::string& flag : c.flags) {
      EXPECT_THAT(r.out, HasSubstr(flag)) << c.program << "\n" << r.out;
    }
    // absl's own flags are left to --helpfull.
    EXPECT_THAT(r.out, Not(HasSubstr("--flagfile"))) << c.program;
  }
  // A client does not list the servers' TLS flags.
  const CommandResult vactl =
      RunCommand({ProgramPath("vactl"), "--help"}, absl::Seconds(30));
  EXPECT_THAT(vactl.out, Not(HasSubstr("--tls_reload_interval")));
}

// --- flag errors
// ----------------------------------------------------------------

struct BadFlagCase {
  std::string program;
  std::string flag;  // the bad argument
  std::string name;  // what the error must start with
};

std::vector<std::string> BaseArgs(const std::string& program,
                                  const std::string& dir) {
  if (program == "va") {
    return {"--listen=127.0.0.1:0", "--plaintext",
            "--dns-resolvers=127.0.0.1:53", "--issuer-domain=letsencrypt.org",
            "--dnssec-canary=off"};
  }
  if (program == "ra") {
    return {"--listen=127.0.0.1:0", "--plaintext", "--va=127.0.0.1:1",
            "--db=" + dir + "/never-created.sqlite"};
  }
  if (program == "dnstestsrv") {
    return {"--dns01=127.0.0.1:0", "--management=127.0.0.1:0"};
  }
  return {"--plaintext", "--ra=127.0.0.1:1"};  // vactl
}

TEST(FlagErrorsTest, NonsenseIsRefusedNamingTheFlag) {
  const std::string dir = TempDir("flag_errors");
  const std::vector<BadFlagCase> cases = {
      {"va", "--dns-tries=0", "--dns-tries: "},
      {"va", "--dns-tries=-3", "--dns-tries: "},
      {"va", "--dns-loop-threads=0", "--dns-loop-threads: "},
      {"va", "--dns-loop-threads=1000", "--dns-loop-threads: "},
      {"va", "--default-timeout=0s", "--default-timeout: "},
      {"va", "--default-timeout=inf", "--default-timeout: "},
      {"va", "--drain-timeout=-1s", "--drain-timeout: "},
      {"va", "--dns-timeout=0s", "--dns-timeout: "},
      {"va", "--dns-min-timeout=5s", "--dns-min-timeout: "},
      {"va", "--dns-backoff-base=-1ms", "--dns-backoff-base: "},
      {"va", "--remote-timeout=-5s", "--remote-timeout: "},
      {"va", "--dns-retry-budget-ratio=-1", "--dns-retry-budget-ratio: "},
      {"va", "--tls-reload-interval=100ms", "--tls-reload-interval: "},
      {"ra", "--drain-timeout=-1s", "--drain-timeout: "},
      {"ra", "--va-timeout=0s", "--va-timeout: "},
      {"ra", "--workers=0", "--workers: "},
      {"ra", "--revalidation-max-attempts=0", "--revalidation-max-attempts: "},
      {"ra", "--valid-authz-lifetime=-1h", "--valid-authz-lifetime: "},
      {"dnstestsrv", "--udp-threads=0", "--udp-threads: "},
      // What absl's parser would refuse, in the same form.
      {"va", "--no-such-flag=1", "--no-such-flag: unknown flag"},
      {"va", "--dns-tries=ten", "--dns-tries: "},
      {"ra", "--drain-timeout=soon", "--drain-timeout: "},
      {"dnstestsrv", "--ttl=x", "--ttl: "},
      {"vactl", "--rpc-timeout=0s", "--rpc-timeout: "},
  };
  for (const BadFlagCase& c : cases) {
    std::vector<std::string> argv = {ProgramPath(c.program)};
    for (const std::string& a : BaseArgs(c.program, dir)) argv.push_back(a);
    argv.push_back(c.flag);
    if (c.program == "vactl") argv.insert(argv.end(), {"get", "1"});
    const CommandResult r = RunCommand(argv, absl::Seconds(30));
    EXPECT_EQ(r.exit_code, 2) << c.flag << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.name)) << c.flag << ": " << r.err;
    if (c.program == "va") {
      // Not mislabelled as a resolver problem.
      EXPECT_THAT(r.err, Not(HasSubstr("--dns-resolvers:"))) << c.flag;
    }
    if (c.program != "vactl") ExpectAllJson(r.err, c.flag);
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/never-created.sqlite"));
}

// --- signals and drain
// ------------------------------------------------------------

TEST(SignalsTest, SighupIsLoggedAndIgnored) {
  VaStack stack;
  ASSERT_TRUE(stack.Start().ok());
  ASSERT_EQ(::kill(stack.va().pid(), SIGHUP), 0);
  ASSERT_EQ(::kill(stack.dns().pid(), SIGHUP), 0);
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (CountInFile(stack.va().log_path(), "va ignores SIGHUP") == 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(CountInFile(stack.va().log_path(), "va ignores SIGHUP"), 1);
  EXPECT_TRUE(stack.va().Running());
  EXPECT_TRUE(stack.dns().Running());
  ::va::IsCAAValidResponse resp;
  const grpc::Status s =
      stack.DoCAA("after-hup.example.com", "dns-01", 9, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.has_problem()) << resp.problem().detail();
  // A clean drain (nothing in flight) still exits 0.
  const int status = stack.va().Stop(absl::Seconds(30));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << stack.va().Log();
}

TEST(DrainTest, ExpiredDrainAuditsAbandonedValidationsAndExitsNonZero) {
  VaStack stack;
  VaStackOptions options;
  options.va_flags = {"--drain-timeout=1s"};
  ASSERT_TRUE(stack.Start(options).ok());
  // Every CAA query for the name is answered late, so its validation is
  // still working when the drain time is up.
  ASSERT_TRUE(stack
                  .Dns("/set-fault",
                       "{\"host\":\"abandoned.drain.test\",\"type\":\"CAA\","
                       "\"mode\":\"delay\",\"delay_ms\":60000}")
                  .ok());
  grpc::Status call_status;
  std::thread caller([&] {
    ::va::IsCAAValidResponse resp;
    call_status = stack.DoCAA("abandoned.drain.test", "dns-01", 4242, &resp,
                              absl::Seconds(8));
  });
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (stack.QueryCount("abandoned.drain.test", "CAA") == 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GT(stack.QueryCount("abandoned.drain.test", "CAA"), 0);
  ASSERT_EQ(::kill(stack.va().pid(), SIGTERM), 0);
  absl::StatusOr<int> status = stack.va().Wait(absl::Seconds(60));
  caller.join();
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 3) << stack.va().Log();
  EXPECT_FALSE(call_status.ok());
  const std::string log = stack.va().Log();
  EXPECT_EQ(CountInFile(stack.va().log_path(), "Validation abandoned at drain"),
            1)
      << log;
  EXPECT_THAT(log, HasSubstr("\"identifier\":\"abandoned.drain.test\""));
  EXPECT_THAT(log, HasSubstr("\"accountID\":4242"));
  EXPECT_THAT(log, HasSubstr("\"msg\":\"va drain expired\",\"abandoned\":1"));
  ExpectAllJson(log, "va log");
}

// --- undecodable requests, far deadlines, JSON stderr
// ---------------------------

// A unary call with raw bytes as the request.
grpc::Status RawCall(grpc::GenericStub& stub, const std::string& method,
                     const std::string& bytes) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

// A DoCAA request whose identifier value holds bytes that are not UTF-8.
std::string CaaWithInvalidUtf8() {
  ::va::IsCAAValidRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("caf\xc3\x28.example.com");
  req.set_validationmethod("dns-01");
  req.set_accounturiid(9);
  req.set_authzid(7);
  std::string bytes;
  // Serializing logs protobuf's own complaint in this process; the VA must
  // not log one of its own.
  EXPECT_TRUE(req.SerializeToString(&bytes));
  return bytes;
}

struct UndecodableCase {
  std::string name;
  std::string method;
  std::string bytes;
  std::string want;  // in the message
};

TEST(UndecodableRequestTest, InvalidArgumentWithAMessage) {
  VaStack stack;
  ASSERT_TRUE(stack.Start().ok());
  grpc::GenericStub stub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack.va_port()),
                          grpc::InsecureChannelCredentials()));
  const std::vector<UndecodableCase> cases = {
      {"garbage body", "/va.VA/DoDCV", "\xff\xff\xff\xff\x0f garbage",
       "request: not a valid va.PerformValidationRequest"},
      {"truncated field", "/va.CAA/DoCAA", std::string("\x0a\x7f\x0a", 3),
       "request: not a valid va.IsCAAValidRequest"},
      {"invalid UTF-8 in a string field", "/va.CAA/DoCAA", CaaWithInvalidUtf8(),
       "invalid UTF-8"},
  };
  for (const UndecodableCase& c : cases) {
    const grpc::Status s = RawCall(stub, c.method, c.bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.want)) << c.name;
  }
  // An empty body is a valid (empty) message: the ordinary field checks
  // answer it, naming a field.
  const grpc::Status empty = RawCall(stub, "/va.VA/DoDCV", "");
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(empty.error_message().empty());

  // Bytes that are not HTTP/2 at all, straight onto the gRPC port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(stack.va_port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string junk = "GET / HTTP/1.0\r\n\r\n\x16\x03\x01 not a preface";
  ASSERT_EQ(::write(fd, junk.data(), junk.size()),
            static_cast<ssize_t>(junk.size()));
  ::close(fd);

  // The VA still validates, and said all of it in JSON.
  ::va::IsCAAValidResponse resp;
  const grpc::Status ok =
      stack.DoCAA("still-fine.example.com", "dns-01", 9, &resp);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_FALSE(resp.has_problem());
  EXPECT_EQ(stack.va().Stop(absl::Seconds(30)), 0);
  ExpectAllJson(stack.va().Log(), "va log");
  EXPECT_THAT(stack.va().Log(), Not(HasSubstr("[libprotobuf")));
}

// One HTTP/2 frame: 9-byte header, then the payload.
std::string Frame(uint8_t type, uint8_t flags, uint32_t stream,
                  const std::string& payload) {
  std::string f;
  const uint32_t n = static_cast<uint32_t>(payload.size());
  f += static_cast<char>(n >> 16);
  f += static_cast<char>(n >> 8);
  f += static_cast<char>(n);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  f += static_cast<char>(stream >> 24);
  f += static_cast<char>(stream >> 16);
  f += static_cast<char>(stream >> 8);
  f += static_cast<char>(stream);
  return f + payload;
}

// HPACK "literal header field without indexing, new name", no Huffman.
std::string Literal(const std::string& name, const std::string& value) {
  std::string h(1, '\0');
  h += static_cast<char>(name.size());  // all names and values here < 127
  h += name;
  h += static_cast<char>(value.size());
  h += value;
  return h;
}

// A unary gRPC call written as raw HTTP/2 frames, so that the grpc-timeout
// header is exactly `timeout` (gRPC's C++ client never sends values this
// large; a Go client can). Reads until the server ends the stream, acking
// its SETTINGS, or until 20 s pass. Returns the bytes received.
std::string RawHttp2Call(int port, const std::string& path,
                         const std::string& timeout,
                         const std::string& message) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  std::string grpc_message(5, '\0');
  grpc_message[3] = static_cast<char>(message.size() >> 8);
  grpc_message[4] = static_cast<char>(message.size());
  grpc_message += message;
  const std::string out =
      std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + Frame(4, 0, 0, "") +
      Frame(1, 0x4, 1,
            Literal(":method", "POST") + Literal(":scheme", "http") +
                Literal(":path", path) + Literal(":authority", "localhost") +
                Literal("content-type", "application/grpc") +
                Literal("te", "trailers") + Literal("grpc-timeout", timeout)) +
      Frame(0, 0x1, 1, grpc_message);
  std::string in;
  if (::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size())) {
    const absl::Time until = absl::Now() + absl::Seconds(20);
    size_t parsed = 0;
    bool ended = false;
    while (!ended && absl::Now() < until) {
      pollfd p = {fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      while (in.size() - parsed >= 9) {
        const auto* h = reinterpret_cast<const uint8_t*>(in.data() + parsed);
        const size_t len = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
        if (in.size() - parsed < 9 + len) break;
        if (h[3] == 4 && (h[4] & 1) == 0) {  // SETTINGS: ack it
          const std::string ack = Frame(4, 1, 0, "");
          if (::write(fd, ack.data(), ack.size()) < 0) break;
        }
        if (h[3] == 1 && (h[4] & 1) != 0) ended = true;  // trailers
        if (h[3] == 3 || h[3] == 7) ended = true;        // RST or GOAWAY
        parsed += 9 + len;
      }
    }
  }
  ::close(fd);
  return in;
}

// A grpc-timeout past the year 2262 ("2100000H", "99999999H"), sent raw as
// the peer that found the bug did, is clamped to the default budget, not
// wrapped into the past: the VA does the work (its audit line says so)
// instead of answering "not enough time left on clock: -3024095h...".
TEST(FarDeadlineTest, RawGrpcTimeoutHeadersPastTheYear2262) {
  VaStack stack;
  ASSERT_TRUE(stack.Start().ok());
  int n = 0;
  for (const std::string timeout : {"2100000H", "99999999H"}) {
    const std::string name = absl::StrCat("raw-far-", n++, ".example.com");
    ::va::IsCAAValidRequest req;
    req.mutable_identifier()->set_type("dns");
    req.mutable_identifier()->set_value(name);
    req.set_validationmethod("dns-01");
    req.set_accounturiid(9);
    req.set_authzid(7);
    const std::string reply = RawHttp2Call(stack.va_port(), "/va.CAA/DoCAA",
                                           timeout, req.SerializeAsString());
    EXPECT_FALSE(reply.empty()) << timeout;
    const absl::Time until = absl::Now() + absl::Seconds(20);
    const std::string audit = absl::StrCat("\"identifier\":\"", name, "\"");
    while (CountInFile(stack.va().log_path(), audit) == 0 &&
           absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_EQ(CountInFile(stack.va().log_path(), audit), 1) << timeout << "\n"
                                                            << stack.va().Log();
  }
  EXPECT_EQ(CountInFile(stack.va().log_path(), "not enough time left"), 0);
}

// A failed TLS handshake makes gRPC core log a line of its own; it reaches
// stderr as JSON like every other line.
TEST(JsonStderrTest, FailedTlsHandshakeIsLoggedAsJson) {
  const std::string dir = TempDir("json_stderr_tls");
  std::ofstream(dir + "/ext.cnf")
      << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::vector<std::vector<std::string>> commands = {
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir + "/ca.key", "-out",
       dir + "/ca.pem", "-days", "2", "-subj", "/CN=test-ca"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", dir + "/va.key", "-out", dir + "/va.csr", "-subj",
       "/CN=va"},
      {"openssl", "x509", "-req", "-in", dir + "/va.csr", "-CA",
       dir + "/ca.pem", "-CAkey", dir + "/ca.key", "-CAcreateserial", "-out",
       dir + "/va.pem", "-days", "2", "-extfile", dir + "/ext.cnf"},
  };
  for (const auto& command : commands) {
    const CommandResult r = RunCommand(command, absl::Seconds(60));
    ASSERT_EQ(r.exit_code, 0) << command[1] << ": " << r.err;
  }
  int port = 0;
  absl::StatusOr<Process> va = StartListening(
      [&] {
        port = FreePort();
        Launch l;
        l.argv = {ProgramPath("va"),
                  absl::StrCat("--listen=127.0.0.1:", port),
                  "--dns-resolvers=127.0.0.1:1",
                  "--dnssec-canary=off",
                  "--issuer-domain=letsencrypt.org",
                  "--tls-cert=" + dir + "/va.pem",
                  "--tls-key=" + dir + "/va.key",
                  "--tls-ca=" + dir + "/ca.pem"};
        l.ready =
            absl::StrCat("\"va serving\",\"listen\":\"127.0.0.1:", port, "\"");
        return l;
      },
      dir + "/va.log", absl::Seconds(30));
  ASSERT_TRUE(va.ok()) << va.status();
  // A plaintext client: the VA's TLS handshake fails on its first bytes.
  auto stub = ::va::CAA::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    ::va::IsCAAValidRequest req;
    ::va::IsCAAValidResponse resp;
    EXPECT_FALSE(stub->DoCAA(&ctx, req, &resp).ok());
  }
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (CountInFile(va->log_path(), "\"source\":\"grpc\"") == 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GT(CountInFile(va->log_path(), "\"source\":\"grpc\""), 0) << va->Log();
  EXPECT_GT(CountInFile(va->log_path(), "Handshake failed"), 0) << va->Log();
  EXPECT_EQ(va->Stop(absl::Seconds(30)), 0);
  ExpectAllJson(va->Log(), "va log");
}

// --- the RA
// -----------------------------------------------------------------------

absl::StatusOr<Process> StartRa(const std::string& dir, const std::string& db,
                                int* port) {
  return StartListening(
      [&] {
        *port = FreePort();
        Launch l;
        l.argv = {ProgramPath("ra"), absl::StrCat("--listen=127.0.0.1:", *port),
                  "--plaintext", "--va=127.0.0.1:1", "--db=" + db};
        l.ready =
            absl::StrCat("\"ra serving\",\"listen\":\"127.0.0.1:", *port, "\"");
        return l;
      },
      dir + "/ra.log", absl::Seconds(30));
}

TEST(RaTest, UndecodableRequestsGetInvalidArgument) {
  const std::string dir = TempDir("ra_undecodable");
  int port = 0;
  absl::StatusOr<Process> ra = StartRa(dir, dir + "/ra.sqlite", &port);
  ASSERT_TRUE(ra.ok()) << ra.status();
  grpc::GenericStub stub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  for (const std::string method :
       {"/ra.RA/NewAuthorization", "/ra.RA/PerformValidation",
        "/ra.RA/GetAuthorization", "/ra.RA/WaitAuthorization"}) {
    const grpc::Status s = RawCall(stub, method, "\xff\xff\xff\xff\x0f junk");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("request: not a valid ra."))
        << method;
  }
  EXPECT_EQ(ra->Stop(absl::Seconds(30)), 0);
  ExpectAllJson(ra->Log(), "ra log");
}

// A database with damaged pages: the RA refuses to start, saying why.
TEST(RaTest, RefusesADamagedDatabase) {
  const std::string dir = TempDir("ra_damaged");
  const std::string db = dir + "/ra.sqlite";
  {
    int port = 0;
    absl::StatusOr<Process> ra = StartRa(dir, db, &port);
    ASSERT_TRUE(ra.ok()) << ra.status();
    EXPECT_EQ(ra->Stop(absl::Seconds(30)), 0);
  }
  // Fill the RA's own file with rows (through SQLite), then damage pages in
  // the middle of it.
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "CREATE TABLE filler(x BLOB);"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
                           "i+1 FROM n WHERE i < 2000) INSERT INTO filler "
                           "SELECT randomblob(100) FROM n;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_close(h), SQLITE_OK);
  }
  ASSERT_GT(std::filesystem::file_size(db), 32u * 4096u);
  FILE* f = std::fopen(db.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fseek(f, 16 * 4096, SEEK_SET), 0);
  const std::string garbage(4 * 4096, '\xa5');
  ASSERT_EQ(std::fwrite(garbage.data(), 1, garbage.size(), f), garbage.size());
  std::fclose(f);

  const CommandResult r =
      RunCommand({ProgramPath("ra"), "--listen=127.0.0.1:0", "--plaintext",
                  "--va=127.0.0.1:1", "--db=" + db},
                 absl::Seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("quick_check")) << r.err;
  EXPECT_THAT(r.err, HasSubstr(db)) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("ra serving")));
  ExpectAllJson(r.err, "ra start-up");
}

// The RA's drain: an attempt still waiting for the VA when --drain-timeout
// runs out is reported (it resumes on the next start) and the exit status
// says the drain expired.
TEST(RaTest, ExpiredDrainReportsAbandonedAttemptsAndExitsNonZero) {
  VaStack stack;
  ASSERT_TRUE(stack.Start().ok());
  ASSERT_TRUE(stack
                  .Dns("/set-fault",
                       "{\"host\":\"_acme-challenge.ra-drain.test\",\"type\":"
                       "\"TXT\",\"mode\":\"delay\",\"delay_ms\":60000}")
                  .ok());
  const std::string dir = TempDir("ra_drain");
  int port = 0;
  absl::StatusOr<Process> ra = StartListening(
      [&] {
        port = FreePort();
        Launch l;
        l.argv = {ProgramPath("ra"),
                  absl::StrCat("--listen=127.0.0.1:", port),
                  "--plaintext",
                  absl::StrCat("--va=127.0.0.1:", stack.va_port()),
                  "--db=" + dir + "/ra.sqlite",
                  "--drain-timeout=1s"};
        l.ready =
            absl::StrCat("\"ra serving\",\"listen\":\"127.0.0.1:", port, "\"");
        return l;
      },
      dir + "/ra.log", absl::Seconds(30));
  ASSERT_TRUE(ra.ok()) << ra.status();
  const std::vector<std::string> vactl = {ProgramPath("vactl"),
                                          absl::StrCat("--ra=127.0.0.1:", port),
                                          "--plaintext"};
  std::vector<std::string> args = vactl;
  args.insert(args.end(), {"new-authz", "ra-drain.test", "--account=1"});
  const CommandResult created = RunCommand(args, absl::Seconds(60));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  google::protobuf::Struct json;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(created.out, &json).ok())
      << created.out;
  const int64_t id =
      static_cast<int64_t>(json.fields().at("id").number_value());
  ASSERT_GT(id, 0) << created.out;
  args = vactl;
  args.insert(args.end(), {"validate", absl::StrCat(id), "--thumbprint",
                           std::string(43, 'T')});
  const CommandResult validated = RunCommand(args, absl::Seconds(60));
  ASSERT_EQ(validated.exit_code, 0) << validated.err;
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (stack.QueryCount("_acme-challenge.ra-drain.test", "TXT") == 0 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GT(stack.QueryCount("_acme-challenge.ra-drain.test", "TXT"), 0);
  ASSERT_EQ(::kill(ra->pid(), SIGTERM), 0);
  absl::StatusOr<int> status = ra->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 3) << ra->Log();
  EXPECT_THAT(ra->Log(),
              HasSubstr("\"msg\":\"ra drain expired\",\"abandoned\":1"));
  ExpectAllJson(ra->Log(), "ra log");
}

}  // namespace
}  // namespace acmeva::testing_harness
