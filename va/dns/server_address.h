// A configured resolver address: an IP literal and a port, nothing else.
// Validated here because c-ares accepts too much: a missing or zero port
// means its default 53, a port over 65535 silently wraps, and a bad entry
// leaves /etc/resolv.conf's servers in place.
#ifndef VA_DNS_SERVER_ADDRESS_H_
#define VA_DNS_SERVER_ADDRESS_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acmeva::va::dns {

struct ServerAddress {
  std::string configured;  // as given, e.g. "127.0.0.1:53" or "[::1]:53"
  int family = AF_INET;    // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};  // network order; 4 bytes used for IPv4
  uint16_t port = 0;

  // Canonical "ip:port" / "[ip]:port" for ares_set_servers_ports_csv.
  std::string CaresCsv() const;
};

// Accepts "a.b.c.d:port" and "[ipv6]:port" with port 1..65535. Errors name
// the bad entry.
absl::StatusOr<ServerAddress> ParseServerAddress(absl::string_view text);

}  // namespace acmeva::va::dns

#endif  // VA_DNS_SERVER_ADDRESS_H_
