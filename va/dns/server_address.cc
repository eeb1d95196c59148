#include "va/dns/server_address.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace acmeva::va::dns {
namespace {

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad DNS resolver address \"", text, "\": ", why,
                   " (want \"ip:port\" or \"[ipv6]:port\")"));
}

}  // namespace

std::string ServerAddress::CaresCsv() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr.data(), buf, sizeof(buf));
  if (family == AF_INET6) return absl::StrCat("[", buf, "]:", port);
  return absl::StrCat(buf, ":", port);
}

absl::StatusOr<ServerAddress> ParseServerAddress(absl::string_view text) {
  ServerAddress out;
  out.configured = std::string(text);
  std::string host;
  absl::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) return Bad(text, "missing ']'");
    host = std::string(text.substr(1, close - 1));
    absl::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return Bad(text, "missing \":port\"");
    }
    port_text = rest.substr(1);
    out.family = AF_INET6;
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return Bad(text, "missing \":port\"");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return Bad(text, "IPv6 addresses must be in brackets");
    }
    out.family = AF_INET;
  }
  if (inet_pton(out.family, host.c_str(), out.addr.data()) != 1) {
    return Bad(text, out.family == AF_INET6 ? "not an IPv6 literal"
                                            : "not an IPv4 literal");
  }
  uint32_t port = 0;
  bool digits = !port_text.empty() && port_text.size() <= 5;
  for (char c : port_text) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port == 0 ||
      port > 65535) {
    return Bad(text, "port must be 1..65535");
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace acmeva::va::dns
