#include "va/remote_va_config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acmeva::va {
namespace {

using ::testing::HasSubstr;

struct GoodCase {
  std::string input;
  std::string address, perspective, rir;
  absl::Duration timeout;
};

TEST(ParseRemoteVaTest, AcceptsGoodValues) {
  const std::vector<GoodCase> cases = {
      {"127.0.0.1:9091,us-east,ARIN", "127.0.0.1:9091", "us-east", "ARIN",
       absl::ZeroDuration()},
      {"remote-va-1:9091,eu.west_2,ripe", "remote-va-1:9091", "eu.west_2",
       "RIPE", absl::ZeroDuration()},
      {"[::1]:443,ap,Apnic,10s", "[::1]:443", "ap", "APNIC", absl::Seconds(10)},
      {" va.example:1 , sa , LACNIC , 1500ms ", "va.example:1", "sa", "LACNIC",
       absl::Milliseconds(1500)},
      {"h:65535,af,AFRINIC", "h:65535", "af", "AFRINIC", absl::ZeroDuration()},
  };
  for (const GoodCase& c : cases) {
    absl::StatusOr<RemoteVaConfig> got = ParseRemoteVa(c.input);
    ASSERT_TRUE(got.ok()) << c.input << ": " << got.status();
    EXPECT_EQ(got->address, c.address) << c.input;
    EXPECT_EQ(got->perspective, c.perspective) << c.input;
    EXPECT_EQ(got->rir, c.rir) << c.input;
    EXPECT_EQ(got->timeout, c.timeout) << c.input;
  }
}

struct BadCase {
  std::string input;
  std::string want_in_error;  // the bad part, quoted or described
};

TEST(ParseRemoteVaTest, RejectsBadValuesNamingTheFlagAndThePart) {
  const std::vector<BadCase> cases = {
      {"", "got 1 comma-separated field"},
      {"127.0.0.1:9091,east", "got 2 comma-separated fields"},
      {"a:1,b,ARIN,1s,extra", "got 5 comma-separated fields"},
      {"127.0.0.1,east,ARIN", "address \"127.0.0.1\" has no port"},
      {":9091,east,ARIN", "has no host"},
      {"h:0,east,ARIN", "bad port \"0\""},
      {"h:65536,east,ARIN", "bad port \"65536\""},
      {"h:http,east,ARIN", "bad port \"http\""},
      {"h:+80,east,ARIN", "bad port \"+80\""},
      {"h:,east,ARIN", "bad port \"\""},
      {"::1:80,east,ARIN", "put an IPv6 address in brackets"},
      {",east,ARIN", "empty address"},
      {"h:1,,ARIN", "empty perspective name"},
      {"h:1,east coast,ARIN", "bad perspective name \"east coast\""},
      {"h:1,east,NANOG", "unknown RIR \"NANOG\""},
      {"h:1,east,", "unknown RIR \"\""},
      {"h:1,east,ARIN,soon", "bad timeout \"soon\""},
      {"h:1,east,ARIN,-1s", "bad timeout \"-1s\""},
      {"h:1,east,ARIN,0s", "bad timeout \"0s\""},
      {"h:1,east,ARIN,inf", "bad timeout \"inf\""},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<RemoteVaConfig> got = ParseRemoteVa(c.input);
    ASSERT_FALSE(got.ok()) << c.input;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(got.status().message());
    EXPECT_THAT(message, HasSubstr("--remote-va \"" + c.input + "\""));
    EXPECT_THAT(message, HasSubstr(c.want_in_error)) << c.input;
  }
}

TEST(ParseRemoteVaTest, UnknownRirErrorListsTheKnownOnes) {
  absl::StatusOr<RemoteVaConfig> got = ParseRemoteVa("h:1,east,XX");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("ARIN, RIPE, APNIC, LACNIC, AFRINIC"));
}

TEST(ParseRemoteVasTest, RejectsADuplicatePerspective) {
  EXPECT_TRUE(ParseRemoteVas({"a:1,east,ARIN", "b:1,west,RIPE"}).ok());
  absl::StatusOr<std::vector<RemoteVaConfig>> got =
      ParseRemoteVas({"a:1,east,ARIN", "b:1,east,RIPE"});
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr("perspective \"east\" is configured twice"));
  EXPECT_FALSE(ParseRemoteVas({"a:1,east,ARIN", "bad"}).ok());
}

}  // namespace
}  // namespace acmeva::va
