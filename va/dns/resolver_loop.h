// One event-loop thread of CaresResolver. It owns one c-ares channel per
// resolver, the in-flight table (coalescing), the timers and the answer-
// time estimators, and executes the retry policy's decisions. All of its
// state is touched only by its own thread, except the request queue.
//
// Hedged tries: --dns-timeout is a promise. Every try stays open for its
// full per_try_timeout (or until the lookup's last deadline), and the
// first usable answer from any open try wins. The adaptive estimate
// (rtt_estimator.h) only decides when the next try is sent: once it
// passes, the next try (to the next resolver in the order, after the
// policy's jittered backoff, if the retry budget allows) goes out while
// the earlier one keeps waiting. A lookup reports a timeout only when all
// its tries have had their full time. Answers to tries whose lookup has
// ended are dropped (c-ares 1.18 cannot cancel one query), but still teach
// the estimator their true answer time.
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

namespace acmeva::va::dns {

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
  DnsObserver* observer = nullptr;         // never null
  RetryBudget* budget = nullptr;           // never null
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
  // One try sent; lives until its answer or its own end (full timeout or
  // the flight's deadline), even after its lookup ended.
  struct TryRecord {
    uint64_t flight_id;
    int resolver;
    RRType type;
    int index;  // 1 for the lookup's first try
    bool is_tld;
    // The hedge point passed (the next try was due) before an answer.
    bool hedged = false;
    absl::Time start;
    absl::Time end;       // when the try times out
    absl::Time full_end;  // start + per_try_timeout
    TimerQueue::Id timer = 0;
  };
  // An answer (or c-ares error), parsed in the c-ares callback (no copy of
  // the raw message) and handled after c-ares returned.
  struct Completion {
    uint64_t try_id;
    int status;
    bool parsed_ok = false;
    ParsedAnswer parsed;
    // For a lookup that had ended: the header's rcode only (not parsed).
    int unparsed_rcode = -1;
    absl::Time when;
  };

  explicit ResolverLoop(const LoopConfig* config);

  void Run();
  void PollOnce();
  void Intake(Request request);
  // Sends the flight's next try (or queues it for a channel slot).
  void StartTry(uint64_t flight_id);
  // The resolver for the flight's next try. The one place that picks
  // resolvers (with RetryPolicy::ResolverOrder at intake).
  int NextResolver(const Flight& flight) const;
  // A waiter with a later deadline joined: tries that the old deadline cut
  // short may now run their full timeout.
  void ExtendTries(Flight& flight);
  // The estimate for the flight's newest try passed without an answer.
  void OnHedgePoint(uint64_t try_id);
  void OnTryTimeout(uint64_t try_id);
  void OnAnswer(uint64_t try_id, int status, absl::Span<const uint8_t> answer);
  void ProcessCompletions();
  // A try ended: answered (`answered`: any reply came), failed or timed
  // out. Removes its record and frees its slot.
  void EndTry(uint64_t try_id, Outcome outcome, bool answered,
              ParsedAnswer* answer, absl::Time when);
  // Schedules the flight's next try when the policy allows one (`outcome`
  // of the try that prompted it, `took` its time so far). Returns false
  // and sets flight.last_outcome to the policy's verdict when it does not.
  bool MaybeScheduleNextTry(Flight& flight, Outcome outcome, int resolver,
                            absl::Duration took);
  // The fewest tries any waiter of the flight has had.
  int FewestTries(const Flight& flight) const;
  // Completes the waiters whose tries were all sent and have all ended;
  // the flight goes on for the others. Returns true when none is left.
  bool CompleteExhaustedWaiters(Flight& flight, Outcome outcome);
  // (Re)arms the flight's timer for its waiters' earliest deadline.
  void ArmWaiterTimer(Flight& flight, absl::Time deadline);
  void OnWaiterDeadlines(uint64_t flight_id);
  // Removes the flight and delivers `outcome` to every waiter left.
  void FinishFlight(uint64_t flight_id, Outcome outcome, ParsedAnswer* answer);
  // `answer` may be moved from when `last` (no other waiter needs it).
  void Complete(Waiter& waiter, RRType type, const Flight* flight,
                Outcome outcome, ParsedAnswer* answer, bool last);
  // A try left channel `resolver` (answered or timed out).
  void ReleaseSlot(int resolver);
  int InFlightCap(int resolver) const;
  // Starts queued flights while their channels have free slots.
  void StartQueued();
  void CancelEverything(std::vector<Request> queued);
  void LogFailedTry(const Flight& flight, const TryRecord& record,
                    Outcome outcome, absl::Duration rtt);

  const LoopConfig& config_;
  std::vector<std::unique_ptr<CaresChannel>> channels_;
  RttTable rtt_;
  std::vector<int> active_;                   // tries in flight per channel
  std::vector<std::deque<uint64_t>> queued_;  // flights waiting per channel
  bool any_queued_ = false;
  // c-ares's own timeouts only reap queries whose tries ran out in the
  // loop; ares_timeout walks every query, so the loop reaps on a coarse
  // tick instead of asking it.
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

}  // namespace acmeva::va::dns

#endif  // VA_DNS_RESOLVER_LOOP_H_
