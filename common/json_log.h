// Structured logs: one JSON object per line on stderr, written with a single
// write(2) so lines from different threads never interleave.
#ifndef COMMON_JSON_LOG_H_
#define COMMON_JSON_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace acmeva::common {

// Builds the fields of one log line.
class JsonFields {
 public:
  // Room for a typical audit line's fields, so building one does not
  // reallocate as it grows.
  JsonFields() { body_.reserve(320); }

  JsonFields& Str(std::string_view key, std::string_view value);
  JsonFields& Int(std::string_view key, int64_t value);
  JsonFields& Num(std::string_view key, double value);
  JsonFields& Bool(std::string_view key, bool value);
  JsonFields& Strs(std::string_view key,
                   const std::vector<std::string>& values);
  // `json` must already be valid JSON (an object or array).
  JsonFields& Raw(std::string_view key, std::string_view json);

  const std::string& body() const { return body_; }

 private:
  void Key(std::string_view key);
  std::string body_;
};

// JSON string literal with escapes (quotes included).
std::string JsonQuote(std::string_view s);
// The same, appended to *out (no temporary string).
void AppendJsonQuoted(std::string* out, std::string_view s);

// {"ts":"...","level":"info","msg":"...",<fields>}
void Log(std::string_view level, std::string_view msg,
         const JsonFields& fields = JsonFields());

}  // namespace acmeva::common

#endif  // COMMON_JSON_LOG_H_
