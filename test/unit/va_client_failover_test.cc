// GrpcVaClient's failover when a VA dies like a kill -9 does: no GOAWAY,
// its connections just break. A loopback TCP proxy in front of a fake VA
// plays the dying VA: it can reset every connection at once, or leave the
// client's connection looking alive and reset it only when the next call is
// written onto it (the channel still "READY" on a dead connection), and
// later listen again on the same port (the VA restarted).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ra/testing/fake_va.h"
#include "ra/va_client.h"

namespace acmeva::ra {
namespace {

using ::acmeva::ra::testing::FakeVa;
using ::acmeva::ra::testing::FakeVaCall;
using ::acmeva::ra::testing::FakeVaReply;

// Closes with RST instead of FIN, as the kernel does for a killed process
// with unread data.
void CloseWithReset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

class KillableProxy {
 public:
  // Forwards 127.0.0.1:<free port> to `upstream` (127.0.0.1:port).
  static std::unique_ptr<KillableProxy> Start(const std::string& upstream) {
    std::unique_ptr<KillableProxy> p(new KillableProxy());
    p->upstream_port_ = std::stoi(upstream.substr(upstream.rfind(':') + 1));
    if (!p->Listen(0)) return nullptr;
    if (pipe2(p->wake_, O_CLOEXEC | O_NONBLOCK) != 0) return nullptr;
    p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
    return p;
  }
  ~KillableProxy() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    Wake();
    thread_.join();
    for (const Pair& pair : pairs_) {
      close(pair.client);
      close(pair.upstream);
    }
    if (listen_fd_ >= 0) close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  // Stops listening and resets every connection now.
  void KillNow() { Command(kKillNow); }
  // Stops listening; each connection is reset when the client next writes
  // to it, while answers already under way still reach the client.
  void KillOnNextWrite() { Command(kKillOnNextWrite); }
  // Listens again on the same port.
  void Restart() { Command(kRestart); }

 private:
  enum Cmd { kNone, kKillNow, kKillOnNextWrite, kRestart };
  struct Pair {
    int client;
    int upstream;
    bool poisoned;
  };

  KillableProxy() = default;

  bool Listen(int port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
            0 ||
        listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) !=
            0) {
      close(listen_fd_);
      listen_fd_ = -1;
      return false;
    }
    port_ = ntohs(addr.sin_port);
    return true;
  }

  void Command(Cmd cmd) {
    {
      absl::MutexLock lock(&mu_);
      commands_.push_back(cmd);
    }
    Wake();
  }
  void Wake() {
    const char c = 0;
    ssize_t n = write(wake_[1], &c, 1);
    (void)n;
  }

  void Apply(Cmd cmd) {
    switch (cmd) {
      case kKillNow:
        for (const Pair& pair : pairs_) {
          CloseWithReset(pair.client);
          close(pair.upstream);
        }
        pairs_.clear();
        [[fallthrough]];
      case kKillOnNextWrite:
        for (Pair& pair : pairs_) pair.poisoned = true;
        if (listen_fd_ >= 0) close(listen_fd_);
        listen_fd_ = -1;
        break;
      case kRestart:
        if (listen_fd_ < 0) Listen(port_);
        break;
      case kNone:
        break;
    }
  }

  void Accept() {
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
        0) {
      close(upstream);
      CloseWithReset(client);
      return;
    }
    pairs_.push_back(Pair{client, upstream, false});
  }

  // Returns false when the pair is finished.
  bool Forward(Pair& pair, bool from_client) {
    char buf[16384];
    const int from = from_client ? pair.client : pair.upstream;
    const int to = from_client ? pair.upstream : pair.client;
    const ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0) return false;
    if (from_client && pair.poisoned) {
      CloseWithReset(pair.client);
      pair.client = -1;
      return false;
    }
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = write(to, buf + off, n - off);
      if (w <= 0) return false;
      off += w;
    }
    return true;
  }

  void Run() {
    while (true) {
      std::vector<Cmd> commands;
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        commands.swap(commands_);
      }
      // Commands first: a kill must be in force before the bytes that
      // follow it are forwarded.
      for (Cmd cmd : commands) Apply(cmd);
      std::vector<pollfd> fds;
      fds.push_back({wake_[0], POLLIN, 0});
      fds.push_back({listen_fd_, POLLIN, 0});  // -1 is ignored by poll
      for (const Pair& pair : pairs_) {
        fds.push_back({pair.client, POLLIN, 0});
        fds.push_back({pair.upstream, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 1000) <= 0) continue;
      if (fds[0].revents != 0) {
        char drain[64];
        while (read(wake_[0], drain, sizeof(drain)) > 0) {
        }
        continue;  // take the commands before forwarding anything
      }
      // A pair Accept() adds now has no entry in fds (it was not polled).
      const size_t polled = pairs_.size();
      if (fds[1].revents != 0 && listen_fd_ >= 0) Accept();
      std::vector<Pair> kept;
      for (size_t i = 0; i < pairs_.size(); ++i) {
        Pair& pair = pairs_[i];
        bool alive = true;
        if (i < polled && fds[2 + 2 * i].revents != 0) {
          alive = Forward(pair, true);
        }
        if (alive && i < polled && fds[3 + 2 * i].revents != 0) {
          alive = Forward(pair, false);
        }
        if (alive) {
          kept.push_back(pair);
        } else {
          if (pair.client >= 0) close(pair.client);
          close(pair.upstream);
        }
      }
      pairs_.swap(kept);
    }
  }

  int upstream_port_ = 0;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<Pair> pairs_;  // proxy thread only
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Cmd> commands_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

struct Result {
  VaOutcome outcome;
  absl::Duration took;
};

class Waiter {
 public:
  explicit Waiter(int n) : left_(n), results_(n) {}
  absl::AnyInvocable<void(VaOutcome) &&> Slot(int i) {
    const absl::Time start = absl::Now();
    return [this, i, start](VaOutcome outcome) {
      absl::MutexLock lock(&mu_);
      results_[i] = Result{std::move(outcome), absl::Now() - start};
      --left_;
    };
  }
  bool Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](int* n) { return *n == 0; }, &left_),
                                timeout);
  }
  int finished() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(results_.size()) - left_;
  }
  std::vector<Result> results() {
    absl::MutexLock lock(&mu_);
    return results_;
  }

 private:
  absl::Mutex mu_;
  int left_ ABSL_GUARDED_BY(mu_);
  std::vector<Result> results_ ABSL_GUARDED_BY(mu_);
};

VaRequest Request(int64_t authz_id, absl::Duration timeout) {
  VaRequest r;
  r.authz_id = authz_id;
  r.account_id = 1;
  r.identifier = absl::StrCat("a", authz_id, ".example.com");
  r.token = "token";
  r.key_authorization = "token.thumb";
  r.deadline = absl::Now() + timeout;
  return r;
}

std::unique_ptr<VaClient> MakeClient(std::vector<std::string> addresses,
                                     absl::Duration reconnect_wait) {
  GrpcVaClientOptions options;
  options.addresses = std::move(addresses);
  options.credentials = grpc::InsecureChannelCredentials();
  options.reconnect_wait = reconnect_wait;
  options.max_reconnect_backoff = absl::Milliseconds(500);
  auto client = NewGrpcVaClient(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

VaOutcome ValidateAndWait(VaClient& client, const VaRequest& request,
                          absl::Duration* took = nullptr) {
  Waiter waiter(1);
  client.Validate(request, waiter.Slot(0));
  EXPECT_TRUE(waiter.Wait(request.deadline - absl::Now() + absl::Seconds(2)));
  const Result r = waiter.results()[0];
  if (took != nullptr) *took = r.took;
  return r.outcome;
}

std::string Describe(const VaOutcome& outcome) {
  return outcome.problem ? outcome.problem->detail() : "passed";
}

// The only VA dies right after answering (a VA that fails a call and is
// then killed): the client's channel still holds the dead connection, so
// the patient try is written onto it and fails at once. It is repeated
// inside the reconnect window and reaches the VA once it is back.
TEST(VaClientFailoverTest, PatientTryOutlastsADeadConnectionUntilRestart) {
  auto va = FakeVa::Start();
  ASSERT_NE(va, nullptr);
  auto proxy = KillableProxy::Start(va->address());
  ASSERT_NE(proxy, nullptr);
  auto client = MakeClient({proxy->address()}, absl::Seconds(3));
  ASSERT_NE(client, nullptr);
  // Connected and READY.
  ASSERT_FALSE(ValidateAndWait(*client, Request(1, absl::Seconds(5))).problem);

  KillableProxy* p = proxy.get();
  va->SetDcv([p](const FakeVaCall& call) {
    FakeVaReply reply;
    if (call.authz_id == 2 && call.nth == 1) {
      p->KillOnNextWrite();
      reply.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining");
    }
    return reply;
  });
  std::thread restarter([p] {
    absl::SleepFor(absl::Milliseconds(600));
    p->Restart();
  });
  absl::Duration took;
  const VaOutcome outcome =
      ValidateAndWait(*client, Request(2, absl::Seconds(10)), &took);
  restarter.join();
  EXPECT_FALSE(outcome.problem) << Describe(outcome);
  EXPECT_FALSE(outcome.cancelled);
  EXPECT_EQ(va->CallCount("DoDCV", 2), 2);
  EXPECT_EQ(va->CallCount("DoCAA", 2), 1);
  EXPECT_GE(took, absl::Milliseconds(500));
  EXPECT_LT(took, absl::Seconds(3));
}

// Same dead connection, but the VA never comes back: the attempt ends
// "Could not communicate with VA" (transient) once the reconnect window is
// over, not at once and not after the request's deadline.
TEST(VaClientFailoverTest, PatientTryGivesUpAtTheEndOfTheReconnectWindow) {
  auto va = FakeVa::Start();
  ASSERT_NE(va, nullptr);
  auto proxy = KillableProxy::Start(va->address());
  ASSERT_NE(proxy, nullptr);
  auto client = MakeClient({proxy->address()}, absl::Seconds(1));
  ASSERT_NE(client, nullptr);
  ASSERT_FALSE(ValidateAndWait(*client, Request(1, absl::Seconds(5))).problem);

  KillableProxy* p = proxy.get();
  va->SetDcv([p](const FakeVaCall& call) {
    FakeVaReply reply;
    if (call.authz_id == 2) {
      p->KillOnNextWrite();
      reply.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "draining");
    }
    return reply;
  });
  absl::Duration took;
  const VaOutcome outcome =
      ValidateAndWait(*client, Request(2, absl::Seconds(10)), &took);
  ASSERT_TRUE(outcome.problem);
  EXPECT_EQ(outcome.problem->detail(), "Could not communicate with VA");
  EXPECT_TRUE(outcome.problem->transient());
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, absl::Seconds(2));
}

// A request deadline shorter than the reconnect window bounds the wait.
TEST(VaClientFailoverTest, NeverWaitsPastTheRequestDeadline) {
  auto client = MakeClient({::acmeva::ra::testing::UnusedLoopbackAddress()},
                           absl::Seconds(5));
  ASSERT_NE(client, nullptr);
  absl::Duration took;
  const VaOutcome outcome =
      ValidateAndWait(*client, Request(1, absl::Milliseconds(700)), &took);
  ASSERT_TRUE(outcome.problem);
  EXPECT_EQ(outcome.problem->detail(), "Could not communicate with VA");
  EXPECT_TRUE(outcome.problem->transient());
  EXPECT_LT(took, absl::Milliseconds(1000));
}

// Two VAs; one dies (connections reset, port closed) while validations are
// in flight on it. Every validation still passes, on the other VA, well
// inside its deadline: none ends "Could not communicate with VA".
TEST(VaClientFailoverTest, KillingOneOfTwoVasMidRunLosesNothing) {
  constexpr int kCalls = 20;
  auto dying = FakeVa::Start();
  auto healthy = FakeVa::Start();
  ASSERT_NE(dying, nullptr);
  ASSERT_NE(healthy, nullptr);
  auto proxy = KillableProxy::Start(dying->address());
  ASSERT_NE(proxy, nullptr);
  dying->SetDcv([](const FakeVaCall&) {
    FakeVaReply reply;
    reply.stall = true;  // a slow DNS answer
    return reply;
  });
  auto client =
      MakeClient({proxy->address(), healthy->address()}, absl::Seconds(2));
  ASSERT_NE(client, nullptr);

  Waiter waiter(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    client->Validate(Request(100 + i, absl::Seconds(10)), waiter.Slot(i));
  }
  // Every call is either held on the dying VA or already done (CAA
  // included) on the healthy one.
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (dying->stalled() + waiter.finished() < kCalls && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const int in_flight_on_dying = dying->stalled();
  ASSERT_EQ(in_flight_on_dying + waiter.finished(), kCalls);
  ASSERT_GE(in_flight_on_dying, kCalls / 4);  // the rotation spreads them
  proxy->KillNow();

  ASSERT_TRUE(waiter.Wait(absl::Seconds(5)));
  for (const Result& r : waiter.results()) {
    EXPECT_FALSE(r.outcome.problem) << Describe(r.outcome);
    EXPECT_FALSE(r.outcome.cancelled);
    EXPECT_LT(r.took, absl::Seconds(3));
  }
  // The DCV calls held on the dying VA were all answered by the other one.
  EXPECT_EQ(healthy->CallCount("DoDCV"), kCalls);
}

// The same with the dead VA's connection still looking alive: calls that
// start on it fail when written and move to the healthy VA at once.
TEST(VaClientFailoverTest, DeadConnectionToOneOfTwoVasFailsOverAtOnce) {
  constexpr int kCalls = 10;
  auto dying = FakeVa::Start();
  auto healthy = FakeVa::Start();
  ASSERT_NE(dying, nullptr);
  ASSERT_NE(healthy, nullptr);
  auto proxy = KillableProxy::Start(dying->address());
  ASSERT_NE(proxy, nullptr);
  auto client =
      MakeClient({proxy->address(), healthy->address()}, absl::Seconds(2));
  ASSERT_NE(client, nullptr);
  // Both channels connected.
  for (int i = 0; i < 2; ++i) {
    ASSERT_FALSE(
        ValidateAndWait(*client, Request(1 + i, absl::Seconds(5))).problem);
  }
  ASSERT_GT(dying->CallCount("DoDCV") + dying->CallCount("DoCAA"), 0);
  const int healthy_before = healthy->CallCount("DoDCV");
  proxy->KillOnNextWrite();

  Waiter waiter(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    client->Validate(Request(100 + i, absl::Seconds(10)), waiter.Slot(i));
  }
  ASSERT_TRUE(waiter.Wait(absl::Seconds(5)));
  for (const Result& r : waiter.results()) {
    EXPECT_FALSE(r.outcome.problem) << Describe(r.outcome);
    EXPECT_LT(r.took, absl::Seconds(1));
  }
  EXPECT_EQ(healthy->CallCount("DoDCV") - healthy_before, kCalls);
}

}  // namespace
}  // namespace acmeva::ra
