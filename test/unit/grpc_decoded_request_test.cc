// common/grpc_decoded_request.h: the request type's SerializationTraits
// always succeed and keep the parse outcome, so the handler can answer
// INVALID_ARGUMENT with a reason (gRPC 1.51 would answer a bare
// UNIMPLEMENTED). The real server path is tested in
// main_wiring_integration_test.
#include "common/grpc_decoded_request.h"

#include <string>
#include <vector>

#include "common/library_logs.h"
#include "gtest/gtest.h"
#include "proto/va.pb.h"

namespace acmeva::common {
namespace {

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

struct Case {
  std::string name;
  std::string bytes;
  grpc::StatusCode want;
  std::string in_message;
};

TEST(DecodedRequestTest, Table) {
  RouteLibraryLogsToJson();  // protobuf's UTF-8 complaint becomes the reason
  ::va::IsCAAValidRequest good;
  good.mutable_identifier()->set_value("example.com");
  good.set_accounturiid(9);
  ::va::IsCAAValidRequest bad_utf8;
  bad_utf8.mutable_identifier()->set_value("caf\xc3\x28.example");
  const std::vector<Case> cases = {
      {"good", good.SerializeAsString(), grpc::StatusCode::OK, ""},
      {"empty is a valid empty message", "", grpc::StatusCode::OK, ""},
      {"garbage", "\xff\xff\xff\xff\x0f", grpc::StatusCode::INVALID_ARGUMENT,
       "request: not a valid va.IsCAAValidRequest message"},
      {"truncated", std::string("\x0a\x7f\x0a", 3),
       grpc::StatusCode::INVALID_ARGUMENT, "va.IsCAAValidRequest"},
      {"invalid UTF-8", bad_utf8.SerializeAsString(),
       grpc::StatusCode::INVALID_ARGUMENT, "invalid UTF-8"},
  };
  for (const Case& c : cases) {
    grpc::ByteBuffer buffer = Buffer(c.bytes);
    DecodedRequest<::va::IsCAAValidRequest> request;
    const grpc::Status s = grpc::SerializationTraits<
        DecodedRequest<::va::IsCAAValidRequest>>::Deserialize(&buffer,
                                                              &request);
    EXPECT_TRUE(s.ok()) << c.name << ": the traits never fail the call";
    EXPECT_EQ(request.status.error_code(), c.want) << c.name;
    EXPECT_NE(request.status.error_message().find(c.in_message),
              std::string::npos)
        << c.name << ": " << request.status.error_message();
    if (c.name == "good") {
      EXPECT_EQ(request.message.identifier().value(), "example.com");
      EXPECT_EQ(request.message.accounturiid(), 9);
    }
  }
}

}  // namespace
}  // namespace acmeva::common
