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

namespace va::dns {

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
  static absl::StatusOr<std::unique_ptr<CaresChannel>> Create(
      const ServerAddress& server, absl::Duration cares_timeout,
      uint16_t edns_udp_size);

  // Destroys the channel; queries still pending are dropped without calling
  // their Done.
  ~CaresChannel();

  CaresChannel(const CaresChannel&) = delete;
  CaresChannel& operator=(const CaresChannel&) = delete;

  // Sends `query` under a fresh random ID that no other query pending on
  // this channel uses (c-ares 1.18's ares_send keeps the caller's ID, and
  // matches answers by ID and question). `done` runs exactly once, on this
  // thread, possibly before Send returns.
  void Send(std::vector<uint8_t> query, Done done);

  // Event-loop integration: the sockets c-ares wants polled, then what
  // poll reported for them, then timeouts.
  void AppendPollFds(std::vector<pollfd>& fds) const;
  void ProcessFd(int fd, short revents);
  void ProcessTimeouts();
  // How soon ProcessTimeouts is due; nullopt when nothing is pending.
  std::optional<absl::Duration> NextTimeout() const;

  size_t pending() const { return ids_in_use_.size(); }

 private:
  struct CallbackArg;
  static void OnAresDone(void* arg, int status, int timeouts,
                         unsigned char* abuf, int alen);

  explicit CaresChannel(ares_channel channel) : channel_(channel) {}
  uint16_t NextId();

  ares_channel channel_;
  bool destroying_ = false;
  absl::flat_hash_set<uint16_t> ids_in_use_;
  std::vector<uint16_t> random_ids_;  // refilled from getrandom(2)
};

}  // namespace va::dns

#endif  // VA_DNS_CARES_CHANNEL_H_
