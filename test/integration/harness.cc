#include "test/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace acmeva::testing_harness {
namespace {

// A port number that was free for `type` a moment ago (0 = any).
int BindPort(int type, int port) {
  const int fd = BindLoopback(type, port);
  if (fd < 0) return -1;
  const int got = LocalPort(fd);
  ::close(fd);
  return got;
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

absl::StatusOr<HttpReply> HttpRequest(int port, const std::string& method,
                                      const std::string& path,
                                      const std::string& body) {
  int fd = Connect(port);
  if (fd < 0) return absl::UnavailableError("connect failed");
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string req = absl::StrCat(
      method, " ", path,
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
      "Content-Type: application/json\r\nContent-Length: ", body.size(),
      "\r\n\r\n", body);
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::write(fd, req.data() + off, req.size() - off);
    if (n <= 0) {
      ::close(fd);
      return absl::UnavailableError("write failed");
    }
    off += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
    // Stop once the advertised body is complete (keep-alive servers).
    size_t hdr_end = resp.find("\r\n\r\n");
    if (hdr_end != std::string::npos) {
      size_t cl = resp.find("Content-Length: ");
      if (cl == std::string::npos) cl = resp.find("content-length: ");
      if (cl != std::string::npos && cl < hdr_end) {
        size_t len = std::strtoul(resp.c_str() + cl + 16, nullptr, 10);
        if (resp.size() >= hdr_end + 4 + len) break;
      }
    }
  }
  ::close(fd);
  HttpReply reply;
  if (resp.size() < 12 || resp.compare(0, 5, "HTTP/") != 0) {
    return absl::DataLossError(absl::StrCat("bad HTTP reply: ", resp));
  }
  reply.status = std::atoi(resp.c_str() + 9);
  size_t hdr_end = resp.find("\r\n\r\n");
  if (hdr_end != std::string::npos) reply.body = resp.substr(hdr_end + 4);
  return reply;
}

}  // namespace

int BindLoopback(int type, int port, bool reuse_addr) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (reuse_addr) {
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return -1;
  }
  return ntohs(addr.sin_port);
}

int FreePort(bool udp_too) {
  for (int i = 0; i < 100; ++i) {
    int port = BindPort(SOCK_STREAM, 0);
    if (port <= 0) continue;
    if (!udp_too || BindPort(SOCK_DGRAM, port) == port) return port;
  }
  return -1;
}

std::string TempDir(const std::string& prefix) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* dir = ::mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

absl::StatusOr<Process> Process::Start(std::vector<std::string> argv,
                                       std::string log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int log_fd =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", log_path));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    // Own process group, so Stop() reaches helpers the program starts.
    ::setpgid(0, 0);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log_fd);
  Process p;
  p.pid_ = pid;
  p.log_path_ = std::move(log_path);
  return p;
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_), log_path_(std::move(other.log_path_)) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) Stop(absl::Seconds(2));
    pid_ = other.pid_;
    log_path_ = std::move(other.log_path_);
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0) Stop(absl::Seconds(2));
}

bool Process::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

bool Process::ReapWithin(absl::Duration timeout, int* status) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (::waitpid(pid_, status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

int Process::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (ReapWithin(grace, &status)) return status;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

void Process::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  int status = 0;
  if (ReapWithin(timeout, &status)) return status;
  return absl::DeadlineExceededError("process still running");
}

std::string Process::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WaitForTcpPort(int port, absl::Duration timeout) {
  absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    int fd = Connect(port);
    if (fd >= 0) {
      ::close(fd);
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("port ", port, " not listening"));
}

int CountInFile(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

absl::StatusOr<Process> StartListening(absl::FunctionRef<Launch()> launch,
                                       const std::string& log_path,
                                       absl::Duration timeout) {
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    Launch l = launch();
    const int seen = CountInFile(log_path, l.ready);
    absl::StatusOr<Process> p = Process::Start(l.argv, log_path);
    if (!p.ok()) return p.status();
    const absl::Time until = absl::Now() + timeout;
    while (absl::Now() < until && p->Running()) {
      if (CountInFile(log_path, l.ready) > seen) return p;
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (p->Running() || attempt == kTries) {
      return absl::UnavailableError(absl::StrCat(l.argv[0], " did not log \"",
                                                 l.ready, "\" (try ", attempt,
                                                 "); log:\n", p->Log()));
    }
    // Exited before listening: most likely a port was taken; fresh ports.
  }
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         absl::Duration timeout) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return result;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    std::vector<char*> args;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  absl::Time until = absl::Now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0 && absl::Now() < until) {
    int r = ::poll(fds, 2, 100);
    if (r <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
        ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open_fds;
        } else {
          (i == 0 ? result.out : result.err)
              .append(buf, static_cast<size_t>(n));
        }
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  if (absl::Now() >= until) ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

absl::StatusOr<HttpReply> HttpPost(int port, const std::string& path,
                                   const std::string& json_body) {
  return HttpRequest(port, "POST", path, json_body);
}

absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path) {
  return HttpRequest(port, "GET", path, "");
}

std::string ProgramPath(const std::string& name) {
  // BIN_DIR is set by test/integration/CMakeLists.txt to the build tree.
  return absl::StrCat(BIN_DIR, "/cmd/", name, "/", name);
}

absl::StatusOr<Process> StartLoopbackUnbound(
    const std::string& dir, int port, const std::string& server_lines,
    const std::vector<UnboundStubZone>& stubs) {
  const std::string path = dir + "/unbound.conf";
  {
    std::ofstream conf(path);
    conf << "server:\n"
         << "  interface: 127.0.0.1@" << port << "\n"
         << "  port: " << port << "\n"
         << "  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n"
         << "  directory: \"" << dir << "\"\n"
         << "  pidfile: \"" << dir << "/unbound.pid\"\n"
         << "  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n"
         << "  access-control: 127.0.0.0/8 allow\n"
         << "  do-not-query-localhost: no\n"
         << server_lines;
    for (const UnboundStubZone& stub : stubs) {
      conf << "stub-zone:\n  name: \"" << stub.name
           << "\"\n  stub-addr: 127.0.0.1@" << stub.port << "\n";
    }
    conf << "remote-control:\n  control-enable: no\n";
  }
  absl::StatusOr<Process> unbound = Process::Start(
      {"/usr/sbin/unbound", "-d", "-c", path}, dir + "/unbound.log");
  if (!unbound.ok()) return unbound.status();
  if (absl::Status s = WaitForTcpPort(port, absl::Seconds(20)); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat(s.message(), "\n", unbound->Log()));
  }
  return unbound;
}

}  // namespace acmeva::testing_harness
