// MPIC per challenge type, through real VA services on loopback: the remotes
// run the identical request (the same challenge type), and for
// dns-persist-01 a remote's pass counts only when it matched the same
// accounturi as the primary.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "test/unit/fake_resolver.h"
#include "va/dns01.h"
#include "va/remote_perspectives.h"
#include "va/service.h"

namespace acmeva::va {
namespace {

constexpr char kThumb[] = "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
constexpr char kToken[] = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
constexpr char kOurPrefix[] = "https://ca.example/acct/";
constexpr char kOtherPrefix[] = "https://other.example/acct/";

// One VA service (primary or remote) with its own resolver and flags.
class VaNode {
 public:
  VaNode(std::string perspective, std::string rir, std::string prefix,
         Corroborator* corroborator = nullptr) {
    ServiceDeps deps;
    deps.resolver = &resolver_;
    deps.corroborator = corroborator;
    deps.config.perspective = std::move(perspective);
    deps.config.rir = std::move(rir);
    deps.config.caa.issuer_domain = "ca.example";
    deps.config.caa.account_uri_prefixes = {std::move(prefix)};
    service_ = std::make_unique<VaService>(deps);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
  }
  ~VaNode() { server_->Shutdown(); }

  // Every record a test may need, on every node: both accounts' persist
  // records and the dns-01 digest.
  void Publish() {
    resolver_.SetTxt(
        "_validation-persist.example.com",
        {absl::StrCat("ca.example; accounturi=", kOurPrefix, 42),
         absl::StrCat("ca.example; accounturi=", kOtherPrefix, 42)});
    resolver_.SetTxt("_acme-challenge.example.com",
                     {Dns01Digest(absl::StrCat(kToken, ".", kThumb))});
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  fakes::FakeResolver& resolver() { return resolver_; }

 private:
  fakes::FakeResolver resolver_;
  std::unique_ptr<VaService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

::va::PerformValidationRequest Request(const std::string& type) {
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value("example.com");
  req.mutable_challenge()->set_type(type);
  req.mutable_challenge()->set_status("pending");
  if (type == "dns-persist-01") {
    req.set_expectedkeyauthorization(absl::StrCat(".", kThumb));
  } else {
    req.mutable_challenge()->set_token(kToken);
    req.set_expectedkeyauthorization(absl::StrCat(kToken, ".", kThumb));
  }
  req.mutable_authz()->set_id(7);
  req.mutable_authz()->set_regid(42);
  return req;
}

struct Case {
  std::string label;
  std::string type;
  std::vector<std::string> remote_prefixes;  // east (ARIN), west, south
  bool want_valid;
  std::string want_detail = "";
  std::vector<std::string> want_failed = {};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

class MpicChallengeTest : public ::testing::TestWithParam<Case> {};

TEST_P(MpicChallengeTest, Table) {
  const Case& c = GetParam();
  VaNode east("east", "ARIN", c.remote_prefixes[0]);
  VaNode west("west", "RIPE", c.remote_prefixes[1]);
  VaNode south("south", "APNIC", c.remote_prefixes[2]);
  RemotePerspectivesConfig config;
  for (auto [node, name, rir] :
       {std::tuple{&east, "east", "ARIN"}, std::tuple{&west, "west", "RIPE"},
        std::tuple{&south, "south", "APNIC"}}) {
    node->Publish();
    RemoteVaConfig remote;
    remote.address = node->address();
    remote.perspective = name;
    remote.rir = rir;
    config.remotes.push_back(remote);
  }
  config.tls.plaintext = true;
  // Remotes past the quorum finish rather than being cancelled, so that each
  // one's lookup can be checked below.
  config.straggler_grace = absl::Seconds(30);
  auto rp = RemotePerspectives::Create(config);
  ASSERT_TRUE(rp.ok()) << rp.status();
  {
    VaNode primary("Primary", "ARIN", kOurPrefix, rp->get());
    primary.Publish();
    auto stub = ::va::VA::NewStub(grpc::CreateChannel(
        primary.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(20));
    ::va::ValidationResult resp;
    grpc::Status s = stub->DoDCV(&ctx, Request(c.type), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    // Every remote ran the same challenge type: it asked for that record.
    for (VaNode* node : {&east, &west, &south}) {
      const std::string want = c.type == "dns-persist-01"
                                   ? "_validation-persist.example.com"
                                   : "_acme-challenge.example.com";
      // The answer may leave before the last remote ran (the quorum was
      // met): wait for its lookup.
      const absl::Time until = absl::Now() + absl::Seconds(20);
      while (node->resolver().QueriedNames().empty() && absl::Now() < until) {
        absl::SleepFor(absl::Milliseconds(5));
      }
      EXPECT_EQ(node->resolver().QueriedNames(),
                std::vector<std::string>{want});
    }
    if (c.want_valid) {
      EXPECT_FALSE(resp.has_problem()) << resp.problem().detail();
      ASSERT_EQ(resp.records_size(), 1);
      EXPECT_EQ(resp.records(0).accounturi(),
                c.type == "dns-persist-01" ? absl::StrCat(kOurPrefix, 42) : "");
    } else {
      ASSERT_TRUE(resp.has_problem());
      EXPECT_EQ(resp.problem().problemtype(), "unauthorized");
      EXPECT_EQ(resp.problem().detail(), c.want_detail);
      EXPECT_EQ(
          std::vector<std::string>(resp.problem().failedperspectives().begin(),
                                   resp.problem().failedperspectives().end()),
          c.want_failed);
    }
  }
  rp->reset();
}

const std::string kMismatch = absl::StrCat(
    "During secondary validation: Remote perspective matched accounturi \"",
    kOtherPrefix, 42, "\", expected \"", kOurPrefix, 42, "\"");

INSTANTIATE_TEST_SUITE_P(
    PerType, MpicChallengeTest,
    ::testing::Values(
        Case{"persist, every remote agrees",
             "dns-persist-01",
             {kOurPrefix, kOurPrefix, kOurPrefix},
             true},
        Case{"persist, one remote matched another account: tolerated",
             "dns-persist-01",
             {kOurPrefix, kOurPrefix, kOtherPrefix},
             true},
        Case{"persist, two remotes matched another account",
             "dns-persist-01",
             {kOtherPrefix, kOurPrefix, kOtherPrefix},
             false,
             kMismatch,
             {"east", "south"}},
        Case{"dns-01 has no account to agree on",
             "dns-01",
             {kOtherPrefix, kOtherPrefix, kOtherPrefix},
             true}));

}  // namespace
}  // namespace acmeva::va
