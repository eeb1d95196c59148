// common::NormalizedArgs::ExtractRepeated: flags that repeat, taken out of
// argv before absl parses the rest; one given with no value is an error
// that names it, not absl's "unknown flag".
#include "common/cli.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common {
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

}  // namespace
}  // namespace common
