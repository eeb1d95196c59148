#include "va/remote_va_config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/string_view_bridge.h"

namespace acmeva::va {
namespace {

std::string_view Trim(std::string_view s) {
  const absl::string_view t = absl::StripAsciiWhitespace(Av(s));
  return {t.data(), t.size()};
}

constexpr std::string_view kFlag = "--remote-va";

absl::Status Bad(std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(Av(kFlag), " \"", Av(value), "\": ", Av(why),
                   " (want host:port,PERSPECTIVE,RIR[,TIMEOUT])"));
}

std::vector<std::string_view> SplitComma(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
}

// "host:port" or "[v6]:port"; the host is checked only for being present
// and free of separators, since names are resolved by gRPC later.
absl::Status CheckAddress(std::string_view value, std::string_view address) {
  if (address.empty()) return Bad(value, "empty address");
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Bad(value, absl::StrCat("address \"", Av(address),
                                   "\" has no port (want host:port)"));
  }
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Bad(value, absl::StrCat("address \"", Av(address),
                                   "\": put an IPv6 address in brackets"));
  }
  if (host.empty()) {
    return Bad(value,
               absl::StrCat("address \"", Av(address), "\" has no host"));
  }
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' ||
        c == ']') {
      return Bad(value, absl::StrCat("bad host \"", Av(host), "\""));
    }
  }
  int port_number = 0;
  if (port.empty() || !absl::SimpleAtoi(Av(port), &port_number) ||
      port_number < 1 || port_number > 65535 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return Bad(value, absl::StrCat("bad port \"", Av(port), "\" in \"",
                                   Av(address), "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckPerspective(std::string_view value, std::string_view name) {
  if (name.empty()) return Bad(value, "empty perspective name");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.') {
      return Bad(value, absl::StrCat("bad perspective name \"", Av(name),
                                     "\" (letters, digits, '-', '_', '.')"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& KnownRirs() {
  static const auto* const rirs = new std::vector<std::string>{
      "ARIN", "RIPE", "APNIC", "LACNIC", "AFRINIC"};
  return *rirs;
}

absl::StatusOr<RemoteVaConfig> ParseRemoteVa(std::string_view value) {
  const std::vector<std::string_view> parts = SplitComma(value);
  if (parts.size() < 3 || parts.size() > 4) {
    return Bad(value, absl::StrCat("got ", parts.size(), " comma-separated ",
                                   parts.size() == 1 ? "field" : "fields"));
  }
  RemoteVaConfig config;
  const std::string_view address = Trim(parts[0]);
  const std::string_view perspective = Trim(parts[1]);
  const std::string_view rir = Trim(parts[2]);
  if (absl::Status s = CheckAddress(value, address); !s.ok()) return s;
  if (absl::Status s = CheckPerspective(value, perspective); !s.ok()) return s;
  config.address = std::string(address);
  config.perspective = std::string(perspective);
  config.rir = absl::AsciiStrToUpper(Av(rir));
  const auto& known = KnownRirs();
  if (std::find(known.begin(), known.end(), config.rir) == known.end()) {
    return Bad(value, absl::StrCat("unknown RIR \"", Av(rir), "\" (one of ",
                                   absl::StrJoin(known, ", "), ")"));
  }
  if (parts.size() == 4) {
    const std::string_view timeout = Trim(parts[3]);
    if (!absl::ParseDuration(Av(timeout), &config.timeout) ||
        config.timeout <= absl::ZeroDuration() ||
        config.timeout == absl::InfiniteDuration()) {
      return Bad(value, absl::StrCat("bad timeout \"", Av(timeout),
                                     "\" (a positive duration such as 10s)"));
    }
  }
  return config;
}

absl::StatusOr<std::vector<RemoteVaConfig>> ParseRemoteVas(
    const std::vector<std::string>& values) {
  std::vector<RemoteVaConfig> remotes;
  for (const std::string& value : values) {
    absl::StatusOr<RemoteVaConfig> remote = ParseRemoteVa(value);
    if (!remote.ok()) return remote.status();
    for (const RemoteVaConfig& other : remotes) {
      if (other.perspective == remote->perspective) {
        return absl::InvalidArgumentError(
            absl::StrCat(Av(kFlag), " \"", value, "\": perspective \"",
                         remote->perspective, "\" is configured twice"));
      }
    }
    remotes.push_back(*std::move(remote));
  }
  return remotes;
}

}  // namespace acmeva::va
