#include "bench/lib/prometheus_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace acmeva::bench {

double SumSamples(absl::string_view text, absl::string_view metric) {
  double total = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (!absl::ConsumePrefix(&line, metric)) continue;
    // The name must end here: "dns_query_time_count" is not
    // "dns_query_time_count_extra".
    if (!line.empty() && line[0] == '{') {
      // Label values may contain '}' only escaped inside quotes; scan for
      // the closing brace outside quotes.
      bool quoted = false;
      size_t i = 1;
      for (; i < line.size(); ++i) {
        if (line[i] == '\\') {
          ++i;
        } else if (line[i] == '"') {
          quoted = !quoted;
        } else if (line[i] == '}' && !quoted) {
          break;
        }
      }
      if (i >= line.size()) continue;
      line.remove_prefix(i + 1);
    }
    if (line.empty() ||
        !absl::ascii_isspace(static_cast<unsigned char>(line[0]))) {
      continue;
    }
    line = absl::StripLeadingAsciiWhitespace(line);
    // An optional timestamp may follow the value.
    absl::string_view value = line.substr(0, line.find(' '));
    double v = 0;
    if (absl::SimpleAtod(value, &v)) total += v;
  }
  return total;
}

}  // namespace acmeva::bench
