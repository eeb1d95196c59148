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
#include "absl/strings/str_split.h"

namespace acmeva::va::dns::testing {
namespace {

std::string Key(const std::string& name, uint16_t type) {
  return absl::StrCat(absl::AsciiStrToLower(name), "/", type);
}

void PutU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v & 0xffff));
}

void PutName(std::vector<uint8_t>& out, const std::string& name) {
  for (absl::string_view label : absl::StrSplit(name, '.', absl::SkipEmpty())) {
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.push_back(0);
}

// Appends an RR with `owner` already encoded.
void PutRR(std::vector<uint8_t>& out, const std::vector<uint8_t>& owner,
           uint16_t type, const std::vector<uint8_t>& rdata) {
  out.insert(out.end(), owner.begin(), owner.end());
  PutU16(out, type);
  PutU16(out, 1);  // IN
  PutU32(out, 300);
  PutU16(out, static_cast<uint16_t>(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
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
  if (len < 12) return {};
  FakeDnsQuery query;
  query.id = static_cast<uint16_t>(data[0] << 8 | data[1]);
  const uint16_t flags = static_cast<uint16_t>(data[2] << 8 | data[3]);
  query.rd = flags & 0x0100;
  query.ad = flags & 0x0020;
  query.cd = flags & 0x0010;
  query.tcp = tcp;
  query.when = absl::Now();
  const uint16_t qdcount = static_cast<uint16_t>(data[4] << 8 | data[5]);
  const uint16_t arcount = static_cast<uint16_t>(data[10] << 8 | data[11]);
  if (qdcount != 1) return {};
  // Question (queries are never compressed).
  size_t pos = 12;
  std::string name;
  while (pos < len && data[pos] != 0) {
    size_t label = data[pos];
    if (label > 63 || pos + 1 + label > len) return {};
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(data + pos + 1), label);
    pos += 1 + label;
  }
  pos += 1;
  if (pos + 4 > len) return {};
  query.name = name;
  query.type = static_cast<uint16_t>(data[pos] << 8 | data[pos + 1]);
  pos += 4;
  const std::vector<uint8_t> question(data + 12, data + pos);
  // An OPT RR in the additional section (root owner).
  for (int i = 0; i < arcount && pos + 11 <= len; ++i) {
    if (data[pos] == 0 && (data[pos + 1] << 8 | data[pos + 2]) == 41) {
      query.has_opt = true;
      query.opt_udp_size =
          static_cast<uint16_t>(data[pos + 3] << 8 | data[pos + 4]);
      query.opt_do = data[pos + 7] & 0x80;
    }
    size_t rdlen = static_cast<size_t>(data[pos + 9] << 8 | data[pos + 10]);
    pos += 11 + rdlen;
  }

  FakeDnsScript script;
  {
    absl::MutexLock lock(&mu_);
    queries_.push_back(query);
    const std::string key = Key(name, query.type);
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

  // Answer records.
  std::vector<uint8_t> answers;
  int ancount = 0;
  std::vector<uint8_t> owner = {0xc0, 0x0c};  // the question's name
  if (!script.cname.empty()) {
    std::vector<uint8_t> target;
    PutName(target, script.cname);
    PutRR(answers, owner, 5, target);
    ++ancount;
    owner = target;
  }
  for (const auto& strings : script.txt) {
    std::vector<uint8_t> rdata;
    for (const std::string& s : strings) {
      rdata.push_back(static_cast<uint8_t>(s.size()));
      rdata.insert(rdata.end(), s.begin(), s.end());
    }
    PutRR(answers, owner, 16, rdata);
    ++ancount;
  }
  for (const CaaRecord& caa : script.caa) {
    std::vector<uint8_t> rdata;
    rdata.push_back(caa.flags);
    rdata.push_back(static_cast<uint8_t>(caa.tag.size()));
    rdata.insert(rdata.end(), caa.tag.begin(), caa.tag.end());
    rdata.insert(rdata.end(), caa.value.begin(), caa.value.end());
    PutRR(answers, owner, 257, rdata);
    ++ancount;
  }
  bool truncated = tcp ? script.truncate_tcp : script.truncate_udp;
  size_t limit =
      query.has_opt ? std::max<size_t>(512, query.opt_udp_size) : 512;
  size_t full_size =
      12 + question.size() + answers.size() + (query.has_opt ? 11 : 0);
  if (!tcp && full_size > limit) truncated = true;
  if (truncated && !tcp) {
    answers.clear();
    ancount = 0;
  }
  if (script.action == FakeDnsScript::Action::kMalformed) {
    answers = {0xc0, 0x0c, 0x00};  // an RR cut after its owner name
    ancount = 1;
  }

  std::vector<uint8_t> out;
  PutU16(out, query.id);
  uint16_t out_flags =
      0x8000 | 0x0080 | (flags & 0x0100) | (script.rcode & 0xf);
  if (truncated) out_flags |= 0x0200;
  if (script.ad) out_flags |= 0x0020;
  PutU16(out, out_flags);
  PutU16(out, 1);
  PutU16(out, static_cast<uint16_t>(ancount));
  PutU16(out, 0);
  const bool with_opt = query.has_opt && !script.omit_opt &&
                        script.action != FakeDnsScript::Action::kMalformed;
  PutU16(out, with_opt ? 1 : 0);
  out.insert(out.end(), question.begin(), question.end());
  out.insert(out.end(), answers.begin(), answers.end());
  if (with_opt) {
    out.push_back(0);
    PutU16(out, 41);
    PutU16(out, 1232);
    PutU32(out, 0);
    PutU16(out, 0);
  }
  return out;
}

}  // namespace acmeva::va::dns::testing
