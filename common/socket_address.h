// "host:port" strings for listening sockets: "127.0.0.1:8053",
// "[::1]:8053", ":8053" (all IPv4 interfaces), "localhost:8053".
// Numeric addresses only: a server's bind address must not need DNS.
#ifndef COMMON_SOCKET_ADDRESS_H_
#define COMMON_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acmeva::common {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* addr() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  int port() const;
  void set_port(int port);
  std::string ToString() const;  // "1.2.3.4:53" or "[::1]:53"
};

absl::StatusOr<SocketAddress> ParseHostPort(absl::string_view host_port);

// Formats any AF_INET/AF_INET6 address like SocketAddress::ToString.
std::string FormatSocketAddress(const sockaddr* addr, socklen_t length);

// The address a socket is bound to (after binding to port 0).
absl::StatusOr<SocketAddress> LocalAddress(int fd);

}  // namespace acmeva::common

#endif  // COMMON_SOCKET_ADDRESS_H_
