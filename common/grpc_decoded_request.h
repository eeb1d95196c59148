// Undecodable requests answered INVALID_ARGUMENT with a message, not
// UNIMPLEMENTED with none.
//
// Why: in gRPC 1.51's callback API, when a request's bytes do not parse
// (invalid UTF-8 in a proto3 string field, a garbage body, no message at
// all), CallbackUnaryHandler drops the deserializer's status and finishes the
// call with UNIMPLEMENTED and an empty message
// (grpcpp/impl/codegen/server_callback_handlers.h), which reads to a caller
// as "this server lacks the method". Neither interceptors (they run after
// deserialization and see only a null message) nor a generic service (it
// gets only unregistered methods) can change that answer.
//
// How: the method is registered with a request type of our own,
// DecodedRequest<Message>, whose SerializationTraits always "succeed" and
// keep the parse outcome inside the request. The handler then answers a
// failed parse itself, and passes a good one to the service's ordinary typed
// method. Generated code, the wire format and the service's code are
// unchanged; the cost is one status per call.
#ifndef COMMON_GRPC_DECODED_REQUEST_H_
#define COMMON_GRPC_DECODED_REQUEST_H_

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <string>

#include "common/library_logs.h"

namespace acmeva::common {

template <class Message>
struct DecodedRequest {
  Message message;
  // Not OK: the bytes were not a Message; INVALID_ARGUMENT with the reason.
  grpc::Status status;
};

// The handler to register, in a service's constructor, for the unary method
// at `index` (its position in the .proto's service), e.g.
//   MarkMethodCallback(0, common::DecodingUnaryHandler(this,
//   &VaService::DoDCV));
template <class Service, class Request, class Response>
grpc::internal::MethodHandler* DecodingUnaryHandler(
    Service* service,
    grpc::ServerUnaryReactor* (Service::*method)(grpc::CallbackServerContext*,
                                                 const Request*, Response*)) {
  return new grpc::internal::CallbackUnaryHandler<DecodedRequest<Request>,
                                                  Response>(
      [service, method](grpc::CallbackServerContext* context,
                        const DecodedRequest<Request>* request,
                        Response* response) -> grpc::ServerUnaryReactor* {
        if (!request->status.ok()) {
          grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
          reactor->Finish(request->status);
          return reactor;
        }
        return (service->*method)(context, &request->message, response);
      });
}

}  // namespace acmeva::common

namespace grpc {

template <class Message>
class SerializationTraits<acmeva::common::DecodedRequest<Message>, void> {
 public:
  static Status Deserialize(ByteBuffer* buffer,
                            acmeva::common::DecodedRequest<Message>* request) {
    // Protobuf reports why a string field was refused only in a log line
    // (naming the field); catch it for the caller's message.
    acmeva::common::ProtobufLogCapture capture;
    const Status parsed =
        SerializationTraits<Message>::Deserialize(buffer, &request->message);
    if (!parsed.ok()) {
      std::string message = "request: not a valid " +
                            Message::descriptor()->full_name() + " message";
      if (!capture.text().empty()) message += ": " + capture.text();
      request->status = Status(StatusCode::INVALID_ARGUMENT, message);
    }
    return Status::OK;
  }
  // Only requests are decoded this way; never sent.
  static Status Serialize(
      const acmeva::common::DecodedRequest<Message>& request,
      ByteBuffer* buffer, bool* own_buffer) {
    return SerializationTraits<Message>::Serialize(request.message, buffer,
                                                   own_buffer);
  }
};

}  // namespace grpc

#endif  // COMMON_GRPC_DECODED_REQUEST_H_
