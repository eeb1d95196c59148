// One c-ares channel bound to exactly one resolver, so that every try goes
// to the resolver the retry policy chose. c-ares does no retrying here
// (tries=1); its own timeout only reaps queries the event loop abandoned.
// A channel belongs to one event-loop thread (c-ares 1.18 channels are not
// thread-safe).
//
// What c-ares 1.18.1 still does by itself, per its source:
// - a truncated UDP answer (TC=1, or longer than the EDNS size) is re-sent
//   over TCP as the same query;
// - a FORMERR answer without an OPT RR is re-sent once without EDNS (the
//   query's last 11 octets, our OPT RR, are cut; RFC 6891 §7), after which
//   that channel treats its resolver as EDNS-less (512-octet UDP answers);
// - answers are matched to queries by ID and question, from the server's
//   address only.
//
// Its UDP socket (one per channel: c-ares 1.18 has no per-socket query
// limit) gets large kernel buffers. With the default 208 KiB receive buffer
// a few hundred answers fill it; when the loop thread lost the CPU for a
// few milliseconds with hundreds of queries in flight, the kernel dropped
// answers, tries timed out and validations failed against a server that
// had answered everything (bench/RESULTS.md, 2026-11-29).
#ifndef VA_DNS_CARES_CHANNEL_H_
#define VA_DNS_CARES_CHANNEL_H_

#include <ares.h>
#include <poll.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "va/dns/server_address.h"

namespace acmeva::va::dns {

// ares_library_init, once per process.
absl::Status InitCaresLibraryOnce();

class CaresChannel {
 public:
  // `status` is an ARES_* code; `answer` is the raw answer on ARES_SUCCESS
  // (whatever its rcode: the channel uses ARES_FLAG_NOCHECKRESP).
  using Done =
      absl::AnyInvocable<void(int status, absl::Span<const uint8_t> answer)>;

  // `cares_timeout` must exceed any try's timeout (the event loop times
  // tries out itself); it bounds how long an abandoned query lingers.
  // `socket_buffer_bytes` (> 0) is asked for as each socket's receive and
  // send buffer: with SO_RCVBUFFORCE/SO_SNDBUFFORCE when the process may
  // (CAP_NET_ADMIN), else with SO_RCVBUF/SO_SNDBUF, which the kernel caps
  // at net.core.rmem_max/wmem_max. 0 leaves the system defaults.
  static absl::StatusOr<std::unique_ptr<CaresChannel>> Create(
      const ServerAddress& server, absl::Duration cares_timeout,
      uint16_t edns_udp_size, int socket_buffer_bytes = 0);

  // Destroys the channel; queries still pending are dropped without calling
  // their Done.
  ~CaresChannel();

  CaresChannel(const CaresChannel&) = delete;
  CaresChannel& operator=(const CaresChannel&) = delete;

  // Sends `query` under a fresh random ID that no other query pending on
  // this channel uses (c-ares 1.18's ares_send keeps the caller's ID, and
  // matches answers by ID and question). `done` runs exactly once, on this
  // thread, possibly before Send returns.
  // `query` is copied (c-ares keeps its own copy).
  void Send(absl::Span<const uint8_t> query, Done done);

  // Event-loop integration: the sockets c-ares wants polled, then what
  // poll reported for them, then timeouts.
  void AppendPollFds(std::vector<pollfd>& fds) const;
  void ProcessFd(int fd, short revents);
  void ProcessTimeouts();
  // How soon ProcessTimeouts is due; nullopt when nothing is pending.
  std::optional<absl::Duration> NextTimeout() const;

  // Queries c-ares holds, abandoned ones included.
  size_t pending() const { return ids_in_use_.size(); }

  // The UDP socket's receive buffer as the kernel reports it (SO_RCVBUF:
  // twice what was set, for the kernel's bookkeeping), once c-ares opened
  // the socket (at the first Send); 0 before.
  int receive_buffer_bytes() const { return receive_buffer_bytes_; }

 private:
  struct CallbackArg;
  static void OnAresDone(void* arg, int status, int timeouts,
                         unsigned char* abuf, int alen);
  static int ConfigureSocket(ares_socket_t fd, int type, void* self);

  CaresChannel(ares_channel channel, int socket_buffer_bytes)
      : channel_(channel), socket_buffer_bytes_(socket_buffer_bytes) {}
  uint16_t NextId();

  ares_channel channel_;
  const int socket_buffer_bytes_;
  int receive_buffer_bytes_ = 0;
  bool destroying_ = false;
  std::vector<uint8_t> scratch_;  // the query with its ID, for ares_send
  absl::flat_hash_set<uint16_t> ids_in_use_;
  std::vector<uint16_t> random_ids_;  // refilled from getrandom(2)
};

}  // namespace acmeva::va::dns

#endif  // VA_DNS_CARES_CHANNEL_H_
