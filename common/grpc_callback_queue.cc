#include "common/grpc_callback_queue.h"

#include <sys/socket.h>

#include <chrono>
#include <memory>

#include "absl/base/call_once.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace acmeva::common {
namespace {

// The call that takes the reference; freed when it completes.
struct PinCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

// Never destroyed (a channel holds its queue reference until then); a
// global, so leak checkers see it as reachable.
std::shared_ptr<grpc::Channel>* kept_channel = nullptr;

}  // namespace

void KeepGrpcCallbackQueue() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
    // fds[1] stays open so the channel never sees its peer go away.
    kept_channel = new std::shared_ptr<grpc::Channel>(
        grpc::CreateInsecureChannelFromFd("callback-queue", fds[0]));
    // The reference is taken when a callback call is created; an expired
    // deadline ends the call without a byte being sent.
    grpc::GenericStub stub(*kept_channel);
    auto* call = new PinCall;
    grpc::Slice empty;  // a request must hold a buffer, even an empty one
    call->request = grpc::ByteBuffer(&empty, 1);
    call->context.set_deadline(std::chrono::system_clock::now());
    stub.UnaryCall(&call->context, "/acme.va.KeepCallbackQueue/Pin",
                   grpc::StubOptions(), &call->request, &call->response,
                   [call](const grpc::Status&) { delete call; });
  });
}

}  // namespace acmeva::common
