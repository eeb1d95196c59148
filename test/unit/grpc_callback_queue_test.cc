// common/grpc_callback_queue: once kept, gRPC's process-wide callback queue
// (and its "nexting_thread" pollers) outlives every channel, so gRPC 1.51
// never runs the teardown that races its own pollers.
#include "common/grpc_callback_queue.h"

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace acmeva::common {
namespace {

// gRPC names the callback queue's polling threads "nexting_thread".
int NextingThreads() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name == "nexting_thread") ++n;
  }
  closedir(dir);
  return n;
}

// The pollers name themselves once running, a moment after they start: the
// count once it reaches at least `at_least` (or what it is after 5 s).
int WaitForNextingThreads(int at_least) {
  const absl::Time until = absl::Now() + absl::Seconds(5);
  int n = NextingThreads();
  while (n < at_least && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
    n = NextingThreads();
  }
  return n;
}

// One callback-API call on a fresh channel (over a socketpair: no network),
// then the channel is destroyed: without the kept queue, the last such
// channel going away tears the queue down.
void CallbackCallOnAThrowawayChannel() {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  {
    auto channel = grpc::CreateInsecureChannelFromFd("throwaway", fds[0]);
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now());
    grpc::Slice empty;
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    absl::Notification done;
    grpc::StatusCode code = grpc::StatusCode::OK;
    stub.UnaryCall(&context, "/test.Throwaway/Call", grpc::StubOptions(),
                   &request, &response, [&](const grpc::Status& status) {
                     code = status.error_code();
                     done.Notify();
                   });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(code, grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  close(fds[1]);
}

TEST(GrpcCallbackQueueTest, OutlivesEveryChannelOnceKept) {
  // ctest runs each test in a fresh process: no callback API used yet.
  EXPECT_EQ(NextingThreads(), 0);
  KeepGrpcCallbackQueue();
  const int pollers = WaitForNextingThreads(2);
  EXPECT_GE(pollers, 2);  // the queue exists, held by the kept channel
  for (int i = 0; i < 20; ++i) CallbackCallOnAThrowawayChannel();
  // Same queue, same pollers: never torn down and made again.
  EXPECT_EQ(NextingThreads(), pollers);
}

TEST(GrpcCallbackQueueTest, KeptOnceWhenCalledFromManyThreads) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back(KeepGrpcCallbackQueue);
  for (std::thread& t : threads) t.join();
  const int pollers = WaitForNextingThreads(2);
  EXPECT_GE(pollers, 2);
  KeepGrpcCallbackQueue();
  CallbackCallOnAThrowawayChannel();
  EXPECT_EQ(NextingThreads(), pollers);
}

}  // namespace
}  // namespace acmeva::common
