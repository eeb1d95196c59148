// One event-loop thread of CaresResolver. It owns one c-ares channel per
// resolver, the in-flight table (coalescing), the timers and the per-
// resolver RTT estimators, and executes the retry policy's decisions. All
// of its state is touched only by its own thread, except the request queue.
//
// It caps the tries in flight on each channel (one UDP socket) so that a
// burst of answers fits the socket's receive buffer even when this thread
// loses the CPU for a while: beyond the cap, flights wait in FIFO order for
// a free slot (their deadlines still run).
#ifndef VA_DNS_RESOLVER_LOOP_H_
#define VA_DNS_RESOLVER_LOOP_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/log_rate_limiter.h"
#include "va/dns/cares_channel.h"
#include "va/dns/dns_message.h"
#include "va/dns/dns_observer.h"
#include "va/dns/inflight_table.h"
#include "va/dns/resolver.h"
#include "va/dns/resolver_health.h"
#include "va/dns/retry_budget.h"
#include "va/dns/retry_policy.h"
#include "va/dns/rtt_estimator.h"
#include "va/dns/server_address.h"
#include "va/dns/timer_queue.h"

namespace va::dns {

// Read-only configuration shared by all loops of one resolver.
struct LoopConfig {
  std::vector<ServerAddress> servers;
  RetryPolicy policy{RetryPolicyOptions{}};
  RttEstimatorOptions rtt;
  uint16_t edns_udp_size = 1232;
  int socket_buffer_bytes = 0;  // see CaresChannel::Create
  // The most tries in flight on one channel; lowered to what the socket's
  // receive buffer can hold (kBytesPerAnswer each).
  int max_in_flight_per_channel = 4096;
  bool log_failed_tries = true;
  DnsObserver* observer = nullptr;  // never null
  RetryBudget* budget = nullptr;    // never null
  const ResolverHealth* health = nullptr;  // may be null: all in rotation
};

class ResolverLoop {
 public:
  struct Request {
    std::string name;  // without a trailing dot
    RRType type = RRType::kTXT;
    absl::Time start;
    absl::Time deadline;
    LookupCallback done;
  };

  // Creates the loop's channels; `config` must outlive the loop.
  static absl::StatusOr<std::unique_ptr<ResolverLoop>> Create(
      const LoopConfig* config);

  // Stop().
  ~ResolverLoop();

  ResolverLoop(const ResolverLoop&) = delete;
  ResolverLoop& operator=(const ResolverLoop&) = delete;

  void Start();

  // Receive-buffer room reserved per try in flight: the kernel charges a
  // datagram's truesize, measured on loopback at 0.8 KiB for a 100-octet
  // answer, 1.3 KiB for 300 octets, 2.3 KiB for 1,200.
  static constexpr int kBytesPerAnswer = 2048;
  static constexpr int kMinInFlightPerChannel = 64;

  // Queues `request` for the loop and wakes it. Returns false, leaving
  // `request` untouched, once the loop is stopping.
  bool Post(Request& request);

  // Completes everything pending with kCanceled and joins the thread.
  void Stop();

 private:
  struct TryRecord {
    uint64_t flight_id;
    int resolver;
    RRType type;
    absl::Time start;
  };
  // An answer (or c-ares error), parsed in the c-ares callback (no copy of
  // the raw message) and handled after c-ares returned.
  struct Completion {
    uint64_t try_id;
    int status;
    bool parsed_ok = false;
    ParsedAnswer parsed;
    absl::Time when;
  };

  explicit ResolverLoop(const LoopConfig* config);

  void Run();
  void PollOnce();
  void Intake(Request request);
  void StartTry(uint64_t flight_id);
  // A waiter with a later deadline joined: a try that the old deadline cut
  // short may now run its full timeout.
  void ExtendTry(Flight& flight);
  void OnTryTimeout(uint64_t try_id);
  void OnAnswer(uint64_t try_id, int status, absl::Span<const uint8_t> answer);
  void ProcessCompletions();
  void EndTry(Flight& flight, int resolver, Outcome outcome, absl::Duration rtt,
              ParsedAnswer* answer);
  // Completes the waiters that have had all their tries; the flight goes on
  // for the others. Returns the fewest tries a remaining waiter has had.
  int CompleteExhaustedWaiters(Flight& flight, Outcome outcome);
  // (Re)arms the flight's timer for its waiters' earliest deadline.
  void ArmWaiterTimer(Flight& flight, absl::Time deadline);
  void OnWaiterDeadlines(uint64_t flight_id);
  // Removes the flight and delivers `outcome` to every waiter left.
  void FinishFlight(uint64_t flight_id, Outcome outcome, ParsedAnswer* answer);
  // `answer` may be moved from when `last` (no other waiter needs it).
  void Complete(Waiter& waiter, RRType type, const Flight* flight,
                Outcome outcome, ParsedAnswer* answer, bool last);
  // A try left channel `resolver` (answered, timed out or abandoned).
  void ReleaseSlot(int resolver);
  int InFlightCap(int resolver) const;
  // Starts queued flights while their channels have free slots.
  void StartQueued();
  void CancelEverything(std::vector<Request> queued);
  void LogFailedTry(const Flight& flight, int resolver, Outcome outcome,
                    absl::Duration rtt);

  const LoopConfig& config_;
  std::vector<std::unique_ptr<CaresChannel>> channels_;
  std::vector<RttEstimator> rtt_;
  std::vector<int> active_;                   // tries in flight per channel
  std::vector<std::deque<uint64_t>> queued_;  // flights waiting per channel
  bool any_queued_ = false;
  // c-ares's own timeouts only reap abandoned queries; ares_timeout walks
  // every query, so the loop reaps on a coarse tick instead of asking it.
  absl::Time next_reap_ = absl::InfinitePast();
  InFlightTable table_;
  TimerQueue timers_;
  absl::flat_hash_map<uint64_t, TryRecord> tries_;
  std::vector<Completion> completions_;
  absl::BitGen rng_;
  uint64_t next_try_id_ = 1;
  uint64_t next_waiter_id_ = 1;
  std::vector<pollfd> poll_fds_;
  std::vector<int> poll_channel_;
  // Failed tries are logged as a sample, 20 lines a second per loop (the
  // metrics count them all).
  common::LogRateLimiter failed_try_log_{20};

  int wake_fd_ = -1;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace va::dns

#endif  // VA_DNS_RESOLVER_LOOP_H_
