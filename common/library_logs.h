// gRPC core and libprotobuf write their own log lines straight to stderr, in
// their own formats, and a peer can trigger them (a failed TLS handshake, a
// request with invalid UTF-8 in a string field). These hooks send them
// through common/json_log instead, so every line on stderr is one JSON object.
#ifndef COMMON_LIBRARY_LOGS_H_
#define COMMON_LIBRARY_LOGS_H_

#include <string>

namespace acmeva::common {

// Installs gpr_set_log_function and google::protobuf::SetLogHandler. Lines
// become {"level":...,"msg":<the library's text>,"source":"grpc"|"protobuf",
// "file":...,"line":...}, at most 20 a second from each library (a
// flood's next line says how many were dropped). Call once, early in main,
// before gRPC starts: neither library makes swapping its hook thread-safe.
//
// The peer's address is not in gRPC's handshake-failure lines: in gRPC 1.51
// the TLS layer that logs them (tsi) never sees the connection's endpoint,
// and the hook gets only file, line and text.
void RouteLibraryLogsToJson();

// While one is alive on a thread, protobuf's log lines from that thread are
// kept here instead of logged: a request decoder turns "String field
// 'va.Identifier.value' contains invalid UTF-8 data ..." into the caller's
// error message (see common/grpc_decoded_request.h). Not nestable.
class ProtobufLogCapture {
 public:
  ProtobufLogCapture();
  ~ProtobufLogCapture();
  ProtobufLogCapture(const ProtobufLogCapture&) = delete;
  ProtobufLogCapture& operator=(const ProtobufLogCapture&) = delete;

  // The lines captured so far, joined by "; ".
  const std::string& text() const { return text_; }
  void Append(const std::string& line);

 private:
  std::string text_;
};

}  // namespace acmeva::common

#endif  // COMMON_LIBRARY_LOGS_H_
