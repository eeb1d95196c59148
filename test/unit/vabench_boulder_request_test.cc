// vabench --api=boulder-2023: the request must decode as Boulder's VA of
// release-2023-02-13a decodes it. The field numbers below are copied from
// that tag's va/proto/va.proto and core/proto/core.proto, independently of
// bench/proto/boulder_2023_va.proto.
#include <google/protobuf/unknown_field_set.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>

#include "bench/lib/boulder_2023_request.h"
#include "bench/lib/name_generator.h"

namespace acmeva::bench {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// One decoded field: a varint or a length-delimited value (copied out, since
// an UnknownField does not own its bytes).
struct Field {
  uint64_t varint = 0;
  std::string bytes;
};

// Field number -> the one field with that number (each appears once here).
std::map<int, Field> Fields(const std::string& wire) {
  UnknownFieldSet set;
  EXPECT_TRUE(set.ParseFromString(wire));
  std::map<int, Field> out;
  for (int i = 0; i < set.field_count(); ++i) {
    const UnknownField& f = set.field(i);
    Field value;
    if (f.type() == UnknownField::TYPE_VARINT) value.varint = f.varint();
    if (f.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      value.bytes = f.length_delimited();
    }
    EXPECT_TRUE(out.emplace(f.number(), std::move(value)).second)
        << "field " << f.number() << " repeated";
  }
  return out;
}

BenchName AName() {
  auto gen = NameGenerator::Create(GeneratorOptions{});
  EXPECT_TRUE(gen.ok());
  return gen->At(7);
}

TEST(Boulder2023Request, UsesBoulders2023FieldNumbers) {
  const BenchName name = AName();
  const auto top = Fields(Boulder2023Request(name).SerializeAsString());
  ASSERT_EQ(top.size(), 3u);
  // PerformValidationRequest{domain = 1, challenge = 2, authz = 3}.
  EXPECT_EQ(top.at(1).bytes, name.name);

  // core.Challenge{id = 1, type = 2, token = 3, keyAuthorization = 5,
  // status = 6, uri = 9}.
  const auto chall = Fields(top.at(2).bytes);
  EXPECT_EQ(chall.at(1).varint, static_cast<uint64_t>(name.authz_id));
  EXPECT_EQ(chall.at(2).bytes, "dns-01");
  EXPECT_EQ(chall.at(3).bytes, name.token);
  EXPECT_EQ(chall.at(5).bytes, name.key_authorization);
  EXPECT_EQ(chall.at(6).bytes, "pending");
  EXPECT_EQ(chall.at(9).bytes,
            "https://acme.example/chall/" + std::to_string(name.authz_id));

  // AuthzMeta{id = 1 (string), regID = 2}.
  const auto authz = Fields(top.at(3).bytes);
  EXPECT_EQ(authz.at(1).bytes, std::to_string(name.authz_id));
  EXPECT_EQ(authz.at(2).varint, static_cast<uint64_t>(name.reg_id));
}

TEST(Boulder2023Request, PassesBouldersChallengeConsistencyCheck) {
  // core.LooksLikeAToken (^[\w-]{43}$) for the token and for both halves of
  // the key authorization (core.looksLikeKeyAuthorization).
  const std::regex token(R"(^[\w-]{43}$)");
  const auto req = Boulder2023Request(AName());
  EXPECT_TRUE(std::regex_match(req.challenge().token(), token));
  const std::string& ka = req.challenge().keyauthorization();
  const size_t dot = ka.find('.');
  ASSERT_NE(dot, std::string::npos);
  EXPECT_EQ(ka.find('.', dot + 1), std::string::npos);
  EXPECT_EQ(ka.substr(0, dot), req.challenge().token());
  EXPECT_TRUE(std::regex_match(ka.substr(dot + 1), token));
}

TEST(Boulder2023Request, OutcomeIsValidOrTheProblemType) {
  boulder_2023::ValidationResult result;
  EXPECT_EQ(Boulder2023Outcome(result), "valid");
  result.mutable_problems()->set_problemtype("caa");
  result.mutable_problems()->set_detail("CAA record for x prevents issuance");
  EXPECT_EQ(Boulder2023Outcome(result), "caa");
}

// The ValidationResult Boulder sends decodes with records in 1 and the
// problem in 2.
TEST(Boulder2023Request, DecodesBouldersValidationResult) {
  UnknownFieldSet wire;
  wire.AddLengthDelimited(1)->assign(  // ValidationRecord{hostname = 1}
      std::string("\x0a\x05x.com", 7));
  // ProblemDetails{problemType = 1, detail = 2, httpStatus = 3}
  wire.AddLengthDelimited(2)->assign(
      std::string("\x0a\x03"
                  "dns\x12\x01"
                  "d\x18\x90\x03",
                  11));
  std::string bytes;
  ASSERT_TRUE(wire.SerializeToString(&bytes));
  boulder_2023::ValidationResult result;
  ASSERT_TRUE(result.ParseFromString(bytes));
  ASSERT_EQ(result.records_size(), 1);
  EXPECT_EQ(result.records(0).hostname(), "x.com");
  EXPECT_EQ(result.problems().problemtype(), "dns");
  EXPECT_EQ(result.problems().httpstatus(), 400);
  EXPECT_EQ(Boulder2023Outcome(result), "dns");
}

}  // namespace
}  // namespace acmeva::bench
