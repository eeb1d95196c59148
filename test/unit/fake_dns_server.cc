#include "test/unit/fake_dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dnswire/message.h"

namespace acmeva::va::dns::testing {
namespace {

constexpr uint32_t kTtl = 300;

std::string Key(const std::string& name, uint16_t type) {
  return absl::StrCat(absl::AsciiStrToLower(name), "/", type);
}

void PutU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

int BindSocket(int type, bool v6, const std::string& ip, uint16_t port) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    inet_pton(AF_INET6, ip.c_str(), &addr.sin6_addr);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void WriteAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, 100);
      continue;
    }
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeDnsServer>> FakeDnsServer::Start(
    const std::string& ip) {
  std::unique_ptr<FakeDnsServer> server(new FakeDnsServer());
  server->ip_ = ip;
  server->v6_ = ip.find(':') != std::string::npos;
  server->default_script_.rcode = 5;  // REFUSED
  // UDP and TCP on the same port: take a UDP port from the kernel, then
  // hope TCP is free there too (retry otherwise).
  for (int attempt = 0; attempt < 50 && server->tcp_fd_ < 0; ++attempt) {
    if (server->udp_fd_ >= 0) close(server->udp_fd_);
    server->udp_fd_ = BindSocket(SOCK_DGRAM, server->v6_, ip, 0);
    if (server->udp_fd_ < 0) {
      return absl::UnavailableError(
          absl::StrCat("bind UDP ", ip, ": ", std::strerror(errno)));
    }
    server->port_ = LocalPort(server->udp_fd_);
    server->tcp_fd_ = BindSocket(SOCK_STREAM, server->v6_, ip, server->port_);
  }
  if (server->tcp_fd_ < 0 || listen(server->tcp_fd_, 64) != 0) {
    return absl::UnavailableError("bind/listen TCP failed");
  }
  if (pipe2(server->wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError("pipe2 failed");
  }
  FakeDnsServer* raw = server.get();
  server->thread_ = std::thread([raw] { raw->Run(); });
  return server;
}

FakeDnsServer::~FakeDnsServer() {
  if (thread_.joinable()) {
    char c = 'x';
    ssize_t n = write(wake_fds_[1], &c, 1);
    (void)n;
    thread_.join();
  }
  for (int fd : {udp_fd_, tcp_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) close(fd);
  }
  for (TcpConn& conn : conns_) close(conn.fd);
}

std::string FakeDnsServer::address() const {
  if (v6_) return absl::StrCat("[", ip_, "]:", port_);
  return absl::StrCat(ip_, ":", port_);
}

void FakeDnsServer::Set(const std::string& name, RRType type,
                        FakeDnsScript script) {
  absl::MutexLock lock(&mu_);
  scripts_[Key(name, static_cast<uint16_t>(type))] = std::move(script);
}

void FakeDnsServer::SetDefault(FakeDnsScript script) {
  absl::MutexLock lock(&mu_);
  default_script_ = std::move(script);
}

std::vector<FakeDnsQuery> FakeDnsServer::queries() const {
  absl::MutexLock lock(&mu_);
  return queries_;
}

int FakeDnsServer::query_count() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queries_.size());
}

int FakeDnsServer::query_count(const std::string& name, RRType type) const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(std::count_if(
      queries_.begin(), queries_.end(), [&](const FakeDnsQuery& q) {
        return absl::AsciiStrToLower(q.name) == absl::AsciiStrToLower(name) &&
               q.type == static_cast<uint16_t>(type);
      }));
}

std::string FakeDnsServer::ClosedUdpAddress() {
  int fd = BindSocket(SOCK_DGRAM, false, "127.0.0.1", 0);
  uint16_t port = LocalPort(fd);
  close(fd);
  return absl::StrCat("127.0.0.1:", port);
}

void FakeDnsServer::Run() {
  std::vector<pollfd> fds;
  std::vector<uint8_t> buf(65536);
  while (true) {
    fds.clear();
    fds.push_back({wake_fds_[0], POLLIN, 0});
    fds.push_back({udp_fd_, POLLIN, 0});
    fds.push_back({tcp_fd_, POLLIN, 0});
    for (const TcpConn& conn : conns_) fds.push_back({conn.fd, POLLIN, 0});
    int timeout_ms = 1000;
    absl::Time now = absl::Now();
    for (const PendingReply& p : pending_) {
      timeout_ms = std::min<int>(
          timeout_ms,
          std::max<int64_t>(0, absl::ToInt64Milliseconds(p.when - now) + 1));
    }
    int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;  // stop

    // Delayed UDP replies that are due.
    now = absl::Now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->when <= now) {
        sendto(udp_fd_, it->bytes.data(), it->bytes.size(), 0,
               reinterpret_cast<const sockaddr*>(it->peer.data()),
               static_cast<socklen_t>(it->peer.size()));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }

    if (fds[1].revents & POLLIN) {
      while (true) {
        sockaddr_storage peer{};
        socklen_t peer_len = sizeof(peer);
        ssize_t n = recvfrom(udp_fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&peer), &peer_len);
        if (n <= 0) break;
        absl::Duration delay = absl::ZeroDuration();
        std::vector<uint8_t> reply =
            Handle(buf.data(), static_cast<size_t>(n), false, &delay);
        if (reply.empty()) continue;
        if (delay > absl::ZeroDuration()) {
          std::vector<uint8_t> peer_bytes(
              reinterpret_cast<uint8_t*>(&peer),
              reinterpret_cast<uint8_t*>(&peer) + peer_len);
          pending_.push_back(
              {absl::Now() + delay, std::move(reply), std::move(peer_bytes)});
        } else {
          sendto(udp_fd_, reply.data(), reply.size(), 0,
                 reinterpret_cast<sockaddr*>(&peer), peer_len);
        }
      }
    }
    if (fds[2].revents & POLLIN) {
      int fd = accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) conns_.push_back({fd, {}});
    }
    // TCP connections: 2-octet length, message; several per connection.
    std::vector<int> closed;
    for (size_t i = 3; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      TcpConn& conn = conns_[i - 3];
      ssize_t n = recv(conn.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        closed.push_back(conn.fd);
        continue;
      }
      conn.in.insert(conn.in.end(), buf.begin(), buf.begin() + n);
      while (conn.in.size() >= 2) {
        size_t len = static_cast<size_t>(conn.in[0]) << 8 | conn.in[1];
        if (conn.in.size() < 2 + len) break;
        absl::Duration unused;
        std::vector<uint8_t> reply =
            Handle(conn.in.data() + 2, len, true, &unused);
        conn.in.erase(conn.in.begin(), conn.in.begin() + 2 + len);
        if (reply.empty()) continue;
        std::vector<uint8_t> framed;
        PutU16(framed, static_cast<uint16_t>(reply.size()));
        framed.insert(framed.end(), reply.begin(), reply.end());
        WriteAll(conn.fd, framed);
      }
    }
    for (int fd : closed) {
      close(fd);
      conns_.erase(std::find_if(conns_.begin(), conns_.end(),
                                [fd](const TcpConn& c) { return c.fd == fd; }));
    }
  }
}

std::vector<uint8_t> FakeDnsServer::Handle(const uint8_t* data, size_t len,
                                           bool tcp, absl::Duration* delay) {
  absl::StatusOr<dnswire::Query> parsed = dnswire::ParseQuery(data, len);
  if (!parsed.ok()) return {};
  dnswire::Query& question = *parsed;
  FakeDnsQuery query;
  query.id = question.header.id;
  query.name = question.qname;
  query.type = static_cast<uint16_t>(question.qtype);
  query.tcp = tcp;
  query.rd = question.header.rd;
  query.ad = question.header.ad;
  query.cd = question.header.cd;
  query.has_opt = question.has_edns;
  query.opt_udp_size = question.udp_payload_size;
  query.opt_do = question.dnssec_ok;
  query.when = absl::Now();

  FakeDnsScript script;
  {
    absl::MutexLock lock(&mu_);
    queries_.push_back(query);
    const std::string key = Key(query.name, query.type);
    auto it = scripts_.find(key);
    script = it != scripts_.end() ? it->second : default_script_;
    int seen = ++seen_[key];
    if (seen <= script.drop_first) return {};
    if (seen <= script.drop_first + script.malformed_first) {
      script.action = FakeDnsScript::Action::kMalformed;
    }
  }
  if (script.action == FakeDnsScript::Action::kDrop) return {};
  *delay = script.delay;

  // A recursor's answer: RA set, AA clear, records with a TTL of 300.
  dnswire::Response response;
  response.rcode = static_cast<uint8_t>(script.rcode & 0xf);
  response.aa = false;
  response.ra = true;
  response.ad = script.ad;
  std::string owner = query.name;
  if (!script.cname.empty()) {
    response.answers.push_back(
        {owner, kTtl, dnswire::CnameRecord{script.cname}});
    owner = script.cname;
  }
  for (const std::vector<std::string>& strings : script.txt) {
    response.answers.push_back({owner, kTtl, dnswire::TxtRecord{strings}});
  }
  for (const CaaRecord& caa : script.caa) {
    response.answers.push_back({owner, kTtl, caa});
  }
  if (tcp ? script.truncate_tcp : script.truncate_udp) response.tc = true;
  if (response.tc && !tcp) response.answers.clear();
  const bool malformed = script.action == FakeDnsScript::Action::kMalformed;
  if (malformed) response.answers.clear();
  if (script.omit_opt || malformed) question.has_edns = false;
  // Over UDP an answer larger than the client's buffer loses its records
  // and sets TC, as dnstestsrv does.
  const size_t limit =
      tcp ? 65535
          : (query.has_opt ? std::max<size_t>(512, query.opt_udp_size) : 512);
  std::vector<uint8_t> out = dnswire::BuildResponse(question, response, limit);
  if (malformed) {
    // One answer RR cut short after its owner name.
    out[7] = 1;  // ANCOUNT
    out.insert(out.end(), {0xc0, 0x0c, 0x00});
  }
  return out;
}

}  // namespace acmeva::va::dns::testing
