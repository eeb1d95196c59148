#include "common/json_log.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace acmeva::common {
namespace {

// True for the bytes a JSON string cannot hold as they are. Control bytes
// and non-ASCII are escaped too, so a line is always valid JSON (and plain
// ASCII) whatever a DNS answer contained. A table: this runs for every byte
// of every audit line.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 256; ++c) {
      needs[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
    }
  }
};
constexpr EscapeTable kEscape;

bool NeedsEscape(unsigned char c) { return kEscape.needs[c]; }

void AppendEscaped(std::string* out, unsigned char c) {
  switch (c) {
    case '"':
      *out += "\\\"";
      return;
    case '\\':
      *out += "\\\\";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    case '\t':
      *out += "\\t";
      return;
    default: {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      *out += buf;
    }
  }
}

// "2026-11-29T12:00:00.123Z". The part up to the seconds is formatted once
// per second per thread: absl::FormatTime was ~2% of the VA's CPU under load
// (one audit line per validation).
void AppendTimestamp(std::string* out, absl::Time now) {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached_prefix;  // "2026-11-29T12:00:00"
  const int64_t ms = absl::ToUnixMillis(now);
  const int64_t second = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (second != cached_second) {
    cached_prefix =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second),
                         absl::UTCTimeZone());
    cached_second = second;
  }
  const int millis = static_cast<int>(ms - second * 1000);
  const char frac[] = {'.',
                       static_cast<char>('0' + millis / 100),
                       static_cast<char>('0' + millis / 10 % 10),
                       static_cast<char>('0' + millis % 10),
                       'Z',
                       '"'};
  out->push_back('"');
  out->append(cached_prefix);
  out->append(frac, sizeof(frac));
}

}  // namespace

void AppendJsonQuoted(std::string* out, std::string_view s) {
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!NeedsEscape(c)) continue;
    out->append(s.data() + plain, i - plain);
    AppendEscaped(out, c);
    plain = i + 1;
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonQuoted(&out, s);
  return out;
}

void JsonFields::Key(std::string_view key) {
  if (!body_.empty()) body_ += ',';
  AppendJsonQuoted(&body_, key);
  body_ += ':';
}

JsonFields& JsonFields::Str(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonQuoted(&body_, value);
  return *this;
}

JsonFields& JsonFields::Int(std::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonFields& JsonFields::Num(std::string_view key, double value) {
  Key(key);
  // absl formats doubles as printf's %.6g does, without printf's cost.
  absl::StrAppend(&body_, value);
  return *this;
}

JsonFields& JsonFields::Bool(std::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonFields& JsonFields::Strs(std::string_view key,
                             const std::vector<std::string>& values) {
  Key(key);
  body_ += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) body_ += ',';
    AppendJsonQuoted(&body_, values[i]);
  }
  body_ += ']';
  return *this;
}

JsonFields& JsonFields::Raw(std::string_view key, std::string_view json) {
  Key(key);
  body_ += json;
  return *this;
}

void Log(std::string_view level, std::string_view msg,
         const JsonFields& fields) {
  std::string line;
  line.reserve(64 + level.size() + msg.size() + fields.body().size());
  line += "{\"ts\":";
  AppendTimestamp(&line, absl::Now());
  line += ",\"level\":";
  AppendJsonQuoted(&line, level);
  line += ",\"msg\":";
  AppendJsonQuoted(&line, msg);
  if (!fields.body().empty()) {
    line += ',';
    line += fields.body();
  }
  line += "}\n";
  // One write: atomic for pipes up to PIPE_BUF, and in practice for files.
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace acmeva::common
