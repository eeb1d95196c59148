// The deployable topology (deploy/stack.env: dnstestsrv, a validating
// Unbound, five remote VAs in three RIRs, the primary VA, the RA, mTLS on
// every hop) started as plain processes by deploy/local-stack.sh from the
// same configuration files docker-compose uses, with validations run through
// it by vactl.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "test/integration/harness.h"
#include "va/dns01.h"

namespace acmeva::testing_harness {
namespace {

using ::testing::HasSubstr;

class StackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir("local-stack"));
    // The stack takes a fixed block of ports (base+0..199). The block is
    // below the kernel's ephemeral range (32768+), where every other test
    // gets its ports by binding port 0, so nothing else grabs one of them
    // between this check and the stack's start. Still, a start that fails
    // (say on a port another program holds) is retried on another block.
    std::mt19937 gen(static_cast<unsigned>(::getpid()));
    bool started = false;
    std::string last_output;
    for (int attempt = 0; attempt < 5 && !started; ++attempt) {
      int candidate = 20000 + 200 * static_cast<int>(gen() % 60);
      if (!FreePortsFrom(candidate, 200)) continue;
      CommandResult r = RunCommand(
          {std::string(SOURCE_DIR) + "/deploy/local-stack.sh", "start", *dir_,
           "--port-base", absl::StrCat(candidate), "--build-dir", BIN_DIR},
          absl::Seconds(120));
      last_output = r.out + r.err;
      if (r.exit_code == 0) {
        base_ = candidate;
        started = true;
      }
    }
    ASSERT_TRUE(started) << last_output;
    CommandResult env =
        RunCommand({std::string(SOURCE_DIR) + "/deploy/local-stack.sh", "env",
                    *dir_, "--port-base", absl::StrCat(base_)});
    ASSERT_EQ(env.exit_code, 0) << env.err;
    for (absl::string_view line : absl::StrSplit(env.out, '\n')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, '=');
      if (kv.first == "RA_ADDR") ra_addr_ = new std::string(kv.second);
      if (kv.first == "DNSTESTSRV_MANAGEMENT_ADDR") {
        absl::string_view port = kv.second;
        absl::ConsumePrefix(&port, "127.0.0.1:");
        ASSERT_TRUE(absl::SimpleAtoi(port, &mgmt_port_));
      }
    }
    ASSERT_NE(ra_addr_, nullptr) << env.out;
    ASSERT_NE(mgmt_port_, 0) << env.out;
  }

  static void TearDownTestSuite() {
    RunCommand(
        {std::string(SOURCE_DIR) + "/deploy/local-stack.sh", "stop", *dir_});
  }

  static bool FreePortsFrom(int base, int n) {
    for (int p = base; p < base + n; ++p) {
      const int fd = BindLoopback(SOCK_STREAM, p);
      if (fd < 0) return false;
      ::close(fd);
    }
    return true;
  }

  // vactl with the vactl client certificate (the RA only accepts it).
  static CommandResult Vactl(std::vector<std::string> args) {
    const std::string certs = *dir_ + "/certs";
    std::vector<std::string> argv = {ProgramPath("vactl"), "--ra=" + *ra_addr_,
                                     "--tls-cert=" + certs + "/vactl/cert.pem",
                                     "--tls-key=" + certs + "/vactl/key.pem",
                                     "--tls-ca=" + certs + "/ca.pem"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, absl::Seconds(60));
  }

  // Creates an authz for `name`, publishes the right TXT, validates, waits.
  static std::string ValidateToFinal(const std::string& name) {
    CommandResult created = Vactl({"new-authz", name, "--account", "7"});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    const std::string id = Field(created.out, "\"id\":", ",");
    const std::string token = Field(created.out, "\"token\":\"", "\"");
    const std::string ka =
        token + ".bJ8bmYyKbX2ztV_PvH2rxLXE8RCbYfE6vwbKw39Nhf0";
    EXPECT_TRUE(
        HttpPost(mgmt_port_, "/set-txt",
                 absl::StrCat("{\"host\":\"_acme-challenge.", name,
                              "\",\"value\":\"", va::Dns01Digest(ka), "\"}"))
            .ok());
    CommandResult validate = Vactl({"validate", id, "--key-authorization", ka});
    EXPECT_EQ(validate.exit_code, 0) << validate.err;
    CommandResult waited = Vactl({"wait", id, "--timeout", "40s"});
    EXPECT_EQ(waited.exit_code, 0) << waited.err;
    return waited.out;
  }

  static std::string Field(const std::string& json, const std::string& start,
                           const std::string& end) {
    size_t a = json.find(start);
    if (a == std::string::npos) return "";
    a += start.size();
    return json.substr(a, json.find(end, a) - a);
  }

  static std::string* dir_;
  static std::string* ra_addr_;
  static int mgmt_port_;
  static int base_;
};

std::string* StackTest::dir_ = nullptr;
std::string* StackTest::ra_addr_ = nullptr;
int StackTest::mgmt_port_ = 0;
int StackTest::base_ = 0;

TEST_F(StackTest, ValidThroughAllPerspectivesWithMtls) {
  // example.test carries CAA "issue letsencrypt.org" in the demo records.
  const std::string out = ValidateToFinal("www.example.test");
  EXPECT_THAT(out, HasSubstr("\"status\":\"valid\"")) << out;
  // The primary logged a corroborated quorum over five remotes.
  // (The quorum line is written once every remote has answered, which may
  // be just after the RA already has its answer.)
  CommandResult log;
  for (int i = 0; i < 100; ++i) {
    log = RunCommand({"cat", *dir_ + "/logs/va.log"});
    if (log.out.find("\"quorumResult\":\"5/5\"") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(log.out, HasSubstr("\"quorumResult\":\"5/5\""));
  EXPECT_THAT(log.out,
              HasSubstr("\"passedRIRs\":[\"ARIN\",\"RIPE\",\"APNIC\"]"));
}

TEST_F(StackTest, CriticalUnknownCaaTagIsInvalid) {
  // critical.example.test carries "128 tbs unknown" in the demo records.
  const std::string out = ValidateToFinal("critical.example.test");
  EXPECT_THAT(out, HasSubstr("\"status\":\"invalid\"")) << out;
  EXPECT_THAT(out, HasSubstr("urn:ietf:params:acme:error:caa"));
}

TEST_F(StackTest, UnknownClientIsRefused) {
  // The RA's allowlist names vactl only: the primary VA's identity may not
  // call it as a client.
  const std::string certs = *dir_ + "/certs";
  CommandResult r = RunCommand({ProgramPath("vactl"), "--ra=" + *ra_addr_,
                                "--tls-cert=" + certs + "/va/cert.pem",
                                "--tls-key=" + certs + "/va/key.pem",
                                "--tls-ca=" + certs + "/ca.pem", "get", "1"},
                               absl::Seconds(30));
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace acmeva::testing_harness
