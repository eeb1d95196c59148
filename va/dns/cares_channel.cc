#include "va/dns/cares_channel.h"

#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace acmeva::va::dns {
namespace {

constexpr size_t kRandomIdBatch = 128;

absl::Status CaresError(absl::string_view what, int status) {
  return absl::InternalError(
      absl::StrCat(what, ": ", ares_strerror(status), " (", status, ")"));
}

}  // namespace

absl::Status InitCaresLibraryOnce() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) return CaresError("ares_library_init", status);
  return absl::OkStatus();
}

struct CaresChannel::CallbackArg {
  CaresChannel* self;
  uint16_t id;
  Done done;
};

absl::StatusOr<std::unique_ptr<CaresChannel>> CaresChannel::Create(
    const ServerAddress& server, absl::Duration cares_timeout,
    uint16_t edns_udp_size, int socket_buffer_bytes) {
  if (absl::Status s = InitCaresLibraryOnce(); !s.ok()) return s;
  if (socket_buffer_bytes < 0) {
    return absl::InvalidArgumentError("socket_buffer_bytes must be >= 0");
  }

  ares_options options;
  std::memset(&options, 0, sizeof(options));
  // NOCHECKRESP: SERVFAIL/REFUSED/NOTIMP come back as answers instead of
  // being swallowed. EDNS: UDP answers up to edns_udp_size are accepted
  // without a TCP retry (our own query carries the OPT RR). Never IGNTC:
  // truncated UDP answers must fall back to TCP. NOSEARCH/NOALIASES: names
  // are absolute (ares_send does not search anyway).
  options.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH |
                  ARES_FLAG_NOALIASES;
  options.timeout = static_cast<int>(absl::ToInt64Milliseconds(cares_timeout));
  options.tries = 1;
  options.ndots = 1;
  options.ednspsz = edns_udp_size;
  options.nservers = 0;
  options.servers = nullptr;
  options.ndomains = 0;
  options.domains = nullptr;
  options.nsort = 0;
  options.sortlist = nullptr;
  char lookups[] = "b";  // never the hosts file
  options.lookups = lookups;
  // c-ares sets these with SO_RCVBUF/SO_SNDBUF on every socket it opens
  // (capped by the kernel at rmem_max/wmem_max, never an error);
  // ConfigureSocket then tries to force the full size.
  options.socket_receive_buffer_size = socket_buffer_bytes;
  options.socket_send_buffer_size = socket_buffer_bytes;
  // Setting servers, domains, sortlist, lookups, ndots, timeout and tries
  // explicitly makes c-ares skip /etc/resolv.conf altogether; RES_OPTIONS
  // and LOCALDOMAIN cannot override explicit options either.
  const int optmask =
      ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
      ARES_OPT_EDNSPSZ | ARES_OPT_SERVERS | ARES_OPT_DOMAINS |
      ARES_OPT_SORTLIST | ARES_OPT_LOOKUPS | ARES_OPT_NOROTATE |
      (socket_buffer_bytes > 0 ? ARES_OPT_SOCK_RCVBUF | ARES_OPT_SOCK_SNDBUF
                               : 0);
  ares_channel raw = nullptr;
  int status = ares_init_options(&raw, &options, optmask);
  if (status != ARES_SUCCESS) return CaresError("ares_init_options", status);
  std::unique_ptr<CaresChannel> channel(
      new CaresChannel(raw, socket_buffer_bytes));
  // Runs for every socket c-ares opens, after its own setsockopt calls and
  // before connect; the channel outlives its sockets.
  ares_set_socket_configure_callback(raw, &CaresChannel::ConfigureSocket,
                                     channel.get());

  // On failure this call leaves the channel's previous servers in place, so
  // its result must be checked; the read-back below makes sure the channel
  // talks to exactly this one server.
  const std::string csv = server.CaresCsv();
  status = ares_set_servers_ports_csv(raw, csv.c_str());
  if (status != ARES_SUCCESS) {
    return CaresError(
        absl::StrCat("ares_set_servers_ports_csv(\"", server.configured, "\")"),
        status);
  }
  ares_addr_port_node* servers = nullptr;
  status = ares_get_servers_ports(raw, &servers);
  if (status != ARES_SUCCESS)
    return CaresError("ares_get_servers_ports", status);
  bool exact = servers != nullptr && servers->next == nullptr &&
               servers->family == server.family &&
               servers->udp_port == server.port &&
               servers->tcp_port == server.port &&
               std::memcmp(&servers->addr, server.addr.data(),
                           server.family == AF_INET ? 4 : 16) == 0;
  ares_free_data(servers);
  if (!exact) {
    return absl::InternalError(absl::StrCat("c-ares did not take resolver \"",
                                            server.configured, "\" as given"));
  }
  return channel;
}

int CaresChannel::ConfigureSocket(ares_socket_t fd, int type, void* self_arg) {
  auto* self = static_cast<CaresChannel*>(self_arg);
  const int size = self->socket_buffer_bytes_;
  if (size > 0) {
    // The FORCE variants ignore rmem_max/wmem_max but need CAP_NET_ADMIN;
    // without it they fail (EPERM) and the capped size c-ares set stays.
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
  }
  if (type == SOCK_DGRAM) {
    int got = 0;
    socklen_t len = sizeof(got);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0) {
      self->receive_buffer_bytes_ = got;
    }
  }
  return 0;  // never a reason to fail the socket
}

CaresChannel::~CaresChannel() {
  destroying_ = true;
  ares_destroy(channel_);
}

uint16_t CaresChannel::NextId() {
  while (true) {
    if (random_ids_.empty()) {
      random_ids_.resize(kRandomIdBatch);
      size_t want = random_ids_.size() * sizeof(uint16_t);
      uint8_t* p = reinterpret_cast<uint8_t*>(random_ids_.data());
      size_t got = 0;
      while (got < want) {
        ssize_t n = getrandom(p + got, want - got, 0);
        if (n < 0 && errno == EINTR) continue;
        // getrandom on Linux >= 3.17 does not fail for small requests once
        // the pool is initialised; abort rather than send guessable IDs.
        if (n <= 0) std::abort();
        got += static_cast<size_t>(n);
      }
    }
    uint16_t id = random_ids_.back();
    random_ids_.pop_back();
    if (!ids_in_use_.contains(id)) return id;
  }
}

void CaresChannel::Send(absl::Span<const uint8_t> query, Done done) {
  uint16_t id = NextId();
  ids_in_use_.insert(id);
  scratch_.assign(query.begin(), query.end());
  if (scratch_.size() >= 2) {
    scratch_[0] = static_cast<uint8_t>(id >> 8);
    scratch_[1] = static_cast<uint8_t>(id & 0xff);
  }
  // c-ares copies the query; the argument is freed by OnAresDone, which
  // c-ares calls exactly once per ares_send (also on ares_destroy).
  auto* arg = new CallbackArg{this, id, std::move(done)};
  ares_send(channel_, scratch_.data(), static_cast<int>(scratch_.size()),
            &CaresChannel::OnAresDone, arg);
}

void CaresChannel::OnAresDone(void* arg, int status, int /*timeouts*/,
                              unsigned char* abuf, int alen) {
  std::unique_ptr<CallbackArg> owned(static_cast<CallbackArg*>(arg));
  CaresChannel* self = owned->self;
  self->ids_in_use_.erase(owned->id);
  if (self->destroying_) return;
  absl::Span<const uint8_t> answer;
  if (status == ARES_SUCCESS && abuf != nullptr && alen > 0) {
    answer = absl::MakeConstSpan(abuf, static_cast<size_t>(alen));
  }
  std::move(owned->done)(status, answer);
}

void CaresChannel::AppendPollFds(std::vector<pollfd>& fds) const {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    short events = 0;
    if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
    if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
    if (events == 0) break;
    fds.push_back(pollfd{socks[i], events, 0});
  }
}

void CaresChannel::ProcessFd(int fd, short revents) {
  // Errors and hang-ups are read so c-ares sees them (ICMP unreachable
  // arrives as ECONNREFUSED on the connected UDP socket).
  ares_socket_t read_fd =
      (revents & (POLLIN | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD;
  ares_socket_t write_fd = (revents & POLLOUT) ? fd : ARES_SOCKET_BAD;
  if (read_fd == ARES_SOCKET_BAD && write_fd == ARES_SOCKET_BAD) return;
  ares_process_fd(channel_, read_fd, write_fd);
}

void CaresChannel::ProcessTimeouts() {
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

std::optional<absl::Duration> CaresChannel::NextTimeout() const {
  timeval tv;
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) return std::nullopt;
  return absl::DurationFromTimeval(tv);
}

}  // namespace acmeva::va::dns
