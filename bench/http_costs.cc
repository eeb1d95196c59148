// Issue 17 item 5: what cpp-httplib (Debian 12: 0.11.4) would cost against
// common/http_server (the /metrics and dnstestsrv management server),
// serving a real /metrics body:
//   - scrapes per second, one connection per scrape, sequential and from 8
//     client threads;
//   - the server process's resident set and threads, idle and after the
//     scrapes (each server runs alone in a child process);
//   - the latency of one scrape while 64 slow clients trickle request
//     headers (a byte every 500 ms), the case common/http_server.h is built
//     for.
// The scrapes go through HttpGet (bench/lib/http_get.h). The client was
// compared too while HttpGet was hand-written: `bench/library_costs.sh` at
// commit b9d7f66, figures in bench/RESULTS.md.
//
//   http_costs BODY_FILE [SCRAPES]
//
// bench/library_costs.sh captures the body and runs this.
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/lib/http_get.h"
#include "common/http_server.h"

namespace acmeva::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// "VmRSS", "VmHWM" (kB) or "Threads" from /proc/PID/status.
long ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::atol(line.c_str() + field.size() + 1);
    }
  }
  return -1;
}

enum class Kind { kOurs, kHttplib };

// In the child: serves `body` at /metrics on a free loopback port, writes
// the port to `port_fd`, and stops when `stop_fd` reaches end-of-file.
[[noreturn]] void ServeChild(Kind kind, const std::string& body, int port_fd,
                             int stop_fd) {
  int port = 0;
  std::unique_ptr<common::HttpServer> ours;
  httplib::Server theirs;
  std::thread listener;
  if (kind == Kind::kOurs) {
    auto started = common::HttpServer::Start(
        "127.0.0.1:0", [&body](const common::HttpRequest&) {
          common::HttpResponse response;
          response.content_type = "text/plain; version=0.0.4";
          response.body = body;
          return response;
        });
    if (!started.ok()) _exit(1);
    ours = std::move(*started);
    port = ours->port();
  } else {
    theirs.Get("/metrics",
               [&body](const httplib::Request&, httplib::Response& response) {
                 response.set_content(body, "text/plain; version=0.0.4");
               });
    port = theirs.bind_to_any_port("127.0.0.1");
    if (port <= 0) _exit(1);
    listener = std::thread([&theirs] { theirs.listen_after_bind(); });
  }
  if (write(port_fd, &port, sizeof(port)) != sizeof(port)) _exit(1);
  char c;
  while (read(stop_fd, &c, 1) > 0) {
  }
  if (ours != nullptr) ours->Shutdown();
  if (listener.joinable()) {
    theirs.stop();
    listener.join();
  }
  _exit(0);
}

// A client that sends a request head a byte at a time and never ends it.
class SlowClient {
 public:
  explicit SlowClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    Send("GET /metrics HTTP/1.1\r\nX-Slow: a");
  }
  ~SlowClient() {
    if (fd_ >= 0) close(fd_);
  }
  void Send(const std::string& bytes) {
    if (fd_ >= 0) send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

 private:
  int fd_ = -1;
};

void MeasureServer(Kind kind, const std::string& body, int scrapes) {
  int port_pipe[2], stop_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(port_pipe[0]);
    close(stop_pipe[1]);
    ServeChild(kind, body, port_pipe[1], stop_pipe[0]);
  }
  close(port_pipe[1]);
  close(stop_pipe[0]);
  int port = 0;
  if (read(port_pipe[0], &port, sizeof(port)) != sizeof(port)) std::exit(1);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  const long idle_rss = ProcStatus(pid, "VmRSS");
  const long idle_threads = ProcStatus(pid, "Threads");

  std::atomic<int> failures{0};
  const auto scrape = [&] {
    auto got = HttpGet(address, "/metrics", absl::Seconds(5));
    if (!got.ok() || got->size() != body.size()) ++failures;
  };
  Clock::time_point t0 = Clock::now();
  for (int i = 0; i < scrapes; ++i) scrape();
  const double sequential = scrapes / Seconds(Clock::now() - t0);
  constexpr int kClients = 8;
  std::vector<std::thread> clients;
  t0 = Clock::now();
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < scrapes / kClients; ++i) scrape();
    });
  }
  for (std::thread& c : clients) c.join();
  const double concurrent =
      (scrapes / kClients * kClients) / Seconds(Clock::now() - t0);
  const long busy_rss = ProcStatus(pid, "VmRSS");
  const long busy_threads = ProcStatus(pid, "Threads");

  // 64 slow clients (common/http_server's connection cap), then a scrape.
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (int i = 0; i < 64; ++i)
    slow.push_back(std::make_unique<SlowClient>(port));
  std::atomic<bool> trickling{true};
  std::thread trickle([&] {
    while (trickling) {
      for (auto& s : slow) s->Send("a");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  t0 = Clock::now();
  auto got = HttpGet(address, "/metrics", absl::Seconds(8));
  const double slow_latency = Seconds(Clock::now() - t0);
  trickling = false;
  trickle.join();
  slow.clear();
  const long peak_rss = ProcStatus(pid, "VmHWM");

  close(stop_pipe[1]);
  waitpid(pid, nullptr, 0);
  close(port_pipe[0]);
  const std::string slow_result =
      got.ok() ? absl::StrFormat("served in %.1f ms", slow_latency * 1e3)
               : absl::StrFormat("failed after %.1f s: %s", slow_latency,
                                 got.status().message());
  std::printf("%-16s %10.0f %10.0f %9ld %9ld %9ld %7ld/%-3ld %s\n",
              kind == Kind::kOurs ? "common/http" : "cpp-httplib", sequential,
              concurrent, idle_rss, busy_rss, peak_rss, idle_threads,
              busy_threads, slow_result.c_str());
  if (failures > 0) std::printf("  (%d scrapes failed)\n", failures.load());
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: http_costs BODY_FILE [SCRAPES]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream body;
  body << in.rdbuf();
  const int scrapes = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::printf(
      "/metrics body %zu bytes, %d scrapes per row, one connection each\n"
      "%-16s %10s %10s %9s %9s %9s %11s %s\n",
      body.str().size(), scrapes, "server", "seq/s", "8 cli/s", "RSS idle",
      "RSS busy", "RSS peak", "threads", "scrape with 64 slow clients");
  MeasureServer(Kind::kOurs, body.str(), scrapes);
  MeasureServer(Kind::kHttplib, body.str(), scrapes);
  return 0;
}

}  // namespace
}  // namespace acmeva::bench

int main(int argc, char** argv) { return acmeva::bench::Main(argc, argv); }
