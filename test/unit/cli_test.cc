// common::NormalizedArgs::ExtractRepeated: flags that repeat, taken out of
// argv before absl parses the rest; one given with no value is an error
// that names it, not absl's "unknown flag".
#include "common/cli.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(absl::Duration, test_timeout, absl::Seconds(1), "a duration");
ABSL_FLAG(int, test_tries, 3, "a count");
ABSL_FLAG(double, test_ratio, 1.0, "a ratio");
ABSL_FLAG(bool, test_verbose, false, "a switch");

namespace acmeva::common {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Owns mutable argv strings, as main() gets them.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : args_(std::move(args)) {
    for (std::string& a : args_) ptrs_.push_back(a.data());
    ptrs_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(args_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

std::vector<std::string> Strings(NormalizedArgs& args) {
  std::vector<std::string> out(args.argv(), args.argv() + args.argc());
  EXPECT_EQ(args.argv()[args.argc()], nullptr);
  return out;
}

struct MissingValueCase {
  const char* what;
  std::vector<std::string> argv;
};

TEST(ExtractRepeatedTest, FlagWithoutValueIsAnErrorNamingTheFlag) {
  const MissingValueCase cases[] = {
      {"trailing", {"va", "--port=1", "--remote-va"}},
      {"trailing after a good one",
       {"va", "--remote-va", "a:1,east,ARIN", "--remote-va"}},
      {"single dash, underscores", {"va", "-remote_va"}},
      {"followed by the -- separator",
       {"va", "--remote-va", "--", "positional"}},
  };
  for (const MissingValueCase& c : cases) {
    Argv in(c.argv);
    NormalizedArgs args(in.argc(), in.argv());
    absl::StatusOr<std::vector<std::string>> got =
        args.ExtractRepeated("remote-va", "host:port,PERSPECTIVE,RIR");
    ASSERT_FALSE(got.ok()) << c.what;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
        << c.what;
    EXPECT_EQ(got.status().message(),
              "--remote-va needs a value (host:port,PERSPECTIVE,RIR)")
        << c.what;
    // Nothing was taken out.
    EXPECT_THAT(Strings(args), ElementsAreArray(c.argv)) << c.what;
  }
}

TEST(ExtractRepeatedTest, TakesEveryFormAndKeepsTheRest) {
  Argv in({"va", "--remote-va", "a:1,east,ARIN", "--port=9090",
           "--remote-va=b:1,west,RIPE", "-remote-va", "c:1,ap,APNIC",
           "-remote_va=d:1,sa,LACNIC", "--remote-vax=1", "--remote-va=",
           "positional", "--", "--remote-va", "e:1,af,AFRINIC"});
  NormalizedArgs args(in.argc(), in.argv());
  absl::StatusOr<std::vector<std::string>> got =
      args.ExtractRepeated("remote-va", "x");
  ASSERT_TRUE(got.ok()) << got.status();
  // "--remote-va=" has a value (empty) for the config parser to refuse;
  // after "--" nothing is a flag.
  EXPECT_THAT(*got, ElementsAre("a:1,east,ARIN", "b:1,west,RIPE",
                                "c:1,ap,APNIC", "d:1,sa,LACNIC", ""));
  EXPECT_THAT(Strings(args),
              ElementsAre("va", "--port=9090", "--remote-vax=1", "positional",
                          "--", "--remote-va", "e:1,af,AFRINIC"));
}

TEST(ExtractRepeatedTest, AbsentFlagIsNoErrorAndLeavesArgvAlone) {
  Argv in({"va", "--port", "9090"});
  NormalizedArgs args(in.argc(), in.argv());
  absl::StatusOr<std::vector<std::string>> got =
      args.ExtractRepeated("remote-va", "x");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_THAT(Strings(args), ElementsAre("va", "--port", "9090"));
}

// FlagChecks: each failed rule names its flag as operators write it
// (dashes), with the rule and the value given; all failures in one message.
struct FlagCheckCase {
  std::string what;
  absl::Duration timeout;
  int tries;
  double ratio;
  std::string want;  // "" = OK
};

TEST(FlagChecksTest, Table) {
  const std::vector<FlagCheckCase> cases = {
      {"all good", absl::Seconds(2), 3, 0.5, ""},
      {"zero duration", absl::ZeroDuration(), 3, 0.5,
       "--test-timeout: must be more than 0 (got 0)"},
      {"negative duration", absl::Seconds(-1), 3, 0.5,
       "--test-timeout: must be more than 0 (got -1s)"},
      {"infinite duration", absl::InfiniteDuration(), 3, 0.5,
       "--test-timeout: must be more than 0 (got inf)"},
      {"count below range", absl::Seconds(1), 0, 0.5,
       "--test-tries: must be from 1 to 10 (got 0)"},
      {"count above range", absl::Seconds(1), 11, 0.5,
       "--test-tries: must be from 1 to 10 (got 11)"},
      {"NaN ratio", absl::Seconds(1), 3, std::nan(""),
       "--test-ratio: must be at least 0 (got nan)"},
      {"two at once", absl::ZeroDuration(), 0, 0.5,
       "--test-timeout: must be more than 0 (got 0); --test-tries: must be "
       "from 1 to 10 (got 0)"},
  };
  for (const FlagCheckCase& c : cases) {
    absl::SetFlag(&FLAGS_test_timeout, c.timeout);
    absl::SetFlag(&FLAGS_test_tries, c.tries);
    absl::SetFlag(&FLAGS_test_ratio, c.ratio);
    FlagChecks checks;
    checks.Positive(FLAGS_test_timeout)
        .InRange(FLAGS_test_tries, 1, 10)
        .AtLeast(FLAGS_test_ratio, 0.0);
    const absl::Status s = checks.status();
    if (c.want.empty()) {
      EXPECT_TRUE(s.ok()) << c.what << ": " << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.what;
      EXPECT_EQ(s.message(), c.want) << c.what;
    }
  }
}

TEST(FlagChecksTest, RequireNamesTheFlagAndTheRule) {
  absl::SetFlag(&FLAGS_test_tries, 7);
  FlagChecks checks;
  checks.Require(FLAGS_test_tries, false, "must be even");
  EXPECT_EQ(checks.status().message(), "--test-tries: must be even (got 7)");
}

// CheckFlags: what absl::ParseCommandLine would refuse, as one error naming
// the flag (the servers log it as JSON); everything it accepts passes.
struct CheckFlagsCase {
  std::vector<std::string> argv;
  std::string want;  // "" = OK
};

TEST(CheckFlagsTest, Table) {
  const std::vector<CheckFlagsCase> cases = {
      {{"p", "--test-tries=3", "--test-timeout", "2s", "--test-verbose"}, ""},
      {{"p", "--notest-verbose", "-test_ratio=0.5", "positional"}, ""},
      {{"p", "--test-tries", "-3"}, ""},  // a value may start with '-'
      {{"p", "--", "--not-a-flag"}, ""},  // after "--" nothing is a flag
      {{"p", "--help"}, ""},              // absl's usage flags are left to absl
      {{"p", "--helpfull", "--no-such-flag"}, ""},
      {{"p", "--no-such-flag=1"}, "--no-such-flag: unknown flag"},
      {{"p", "--test-tries"}, "--test-tries: needs a value"},
      {{"p", "--test-tries=three"},
       "--test-tries: \"three\" is not a valid value"},
      {{"p", "--test-timeout", "soon"},
       "--test-timeout: \"soon\" is not a valid value"},
      {{"p", "--notest-tries"}, "--notest-tries: unknown flag"},
  };
  for (const CheckFlagsCase& c : cases) {
    Argv argv(c.argv);
    NormalizedArgs args(argv.argc(), argv.argv());
    const absl::Status s = args.CheckFlags();
    if (c.want.empty()) {
      EXPECT_TRUE(s.ok()) << c.argv[1] << ": " << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.argv[1];
      EXPECT_THAT(std::string(s.message()), ::testing::StartsWith(c.want)) << s;
    }
  }
}

}  // namespace
}  // namespace acmeva::common
