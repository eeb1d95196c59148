#include "common/library_logs.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>

#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/json_log.h"
#include "common/log_rate_limiter.h"
#include "common/string_view_bridge.h"

namespace acmeva::common {
namespace {

thread_local ProtobufLogCapture* t_capture = nullptr;

// One per library: a flood from one must not silence the other.
class LimitedLog {
 public:
  void Write(std::string_view source, std::string_view level,
             std::string_view file, int line, std::string_view text) {
    int64_t suppressed = 0;
    {
      absl::MutexLock lock(&mu_);
      if (!limiter_.Allow(absl::Now(), &suppressed)) return;
    }
    JsonFields fields;
    fields.Str("source", source).Str("file", file).Int("line", line);
    if (suppressed > 0) fields.Int("suppressed", suppressed);
    Log(level, Sv(absl::StripTrailingAsciiWhitespace(Av(text))), fields);
  }

 private:
  absl::Mutex mu_;
  LogRateLimiter limiter_ ABSL_GUARDED_BY(mu_){20};
};

LimitedLog& GrpcLog() {
  static auto* log = new LimitedLog;
  return *log;
}
LimitedLog& ProtobufLog() {
  static auto* log = new LimitedLog;
  return *log;
}

void OnGrpcLog(gpr_log_func_args* args) {
  std::string_view level = "error";
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = "debug";
  if (args->severity == GPR_LOG_SEVERITY_INFO) level = "info";
  GrpcLog().Write("grpc", level, args->file ? args->file : "", args->line,
                  args->message ? args->message : "");
}

void OnProtobufLog(google::protobuf::LogLevel level, const char* file, int line,
                   const std::string& message) {
  if (t_capture != nullptr && level != google::protobuf::LOGLEVEL_FATAL) {
    t_capture->Append(message);
    return;
  }
  std::string_view name = "error";
  if (level == google::protobuf::LOGLEVEL_INFO) name = "info";
  if (level == google::protobuf::LOGLEVEL_WARNING) name = "warning";
  if (level == google::protobuf::LOGLEVEL_FATAL) name = "fatal";
  ProtobufLog().Write("protobuf", name, file ? file : "", line, message);
}

}  // namespace

void RouteLibraryLogsToJson() {
  // Reads GRPC_VERBOSITY now rather than at grpc_init(): until then gpr_log
  // drops every line.
  gpr_log_verbosity_init();
  gpr_set_log_function(OnGrpcLog);
  google::protobuf::SetLogHandler(OnProtobufLog);
}

ProtobufLogCapture::ProtobufLogCapture() { t_capture = this; }
ProtobufLogCapture::~ProtobufLogCapture() { t_capture = nullptr; }

void ProtobufLogCapture::Append(const std::string& line) {
  if (!text_.empty()) text_ += "; ";
  text_ += line;
}

}  // namespace acmeva::common
