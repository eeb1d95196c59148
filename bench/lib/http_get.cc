// cpp-httplib's client (Debian 12: 0.11.4) since issue 17 item 5: as fast
// per scrape as the hand-written HTTP/1.0 client it replaced (bench/RESULTS.md,
// `bench/library_costs.sh build`: 530-1,720 us against 690-1,200 us on a
// loaded 2-core machine, 19 KB bodies).
#include "bench/lib/http_get.h"

#include <arpa/inet.h>
#include <httplib.h>

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace acmeva::bench {

absl::StatusOr<std::string> HttpGet(absl::string_view host_port,
                                    absl::string_view path,
                                    absl::Duration timeout) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not host:port: ", host_port));
  }
  absl::string_view host = host_port.substr(0, colon);
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  const std::string host_str(host);
  // Numeric addresses only: a scrape never waits for a name lookup.
  unsigned char address[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host_str.c_str(), address) != 1 &&
      inet_pton(AF_INET6, host_str.c_str(), address) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a numeric host:port: ", host_port));
  }
  httplib::Client client(host_str, port);
  const auto step = absl::ToChronoMicroseconds(timeout);
  client.set_connection_timeout(step);
  client.set_read_timeout(step);
  client.set_write_timeout(step);
  std::string body;
  const httplib::Result result =
      client.Get(std::string(path), {{"Host", std::string(host_port)}},
                 [&body](const char* data, size_t length) {
                   body.append(data, length);
                   return body.size() <= (64 << 20);  // false ends the transfer
                 });
  if (!result) {
    return absl::UnavailableError(absl::StrCat(
        "GET ", path, " from ", host_port, ": ",
        body.size() > (64 << 20) ? "response over 64 MiB"
                                 : httplib::to_string(result.error())));
  }
  if (result->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET ", path, ": ", result->status, " ", result->reason));
  }
  return body;
}

}  // namespace acmeva::bench
