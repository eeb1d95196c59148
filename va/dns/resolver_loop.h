// One event-loop thread of CaresResolver. It owns one c-ares channel per
// resolver, the in-flight table (coalescing), the timers and the per-
// resolver RTT estimators, and executes the retry policy's decisions. All
// of its state is touched only by its own thread, except the request queue.
#ifndef VA_DNS_RESOLVER_LOOP_H_
#define VA_DNS_RESOLVER_LOOP_H_

#include <cstdint>
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
#include "va/dns/cares_channel.h"
#include "va/dns/dns_message.h"
#include "va/dns/dns_observer.h"
#include "va/dns/inflight_table.h"
#include "va/dns/resolver.h"
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
  bool log_failed_tries = true;
  DnsObserver* observer = nullptr;  // never null
  RetryBudget* budget = nullptr;    // never null
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

  // Queues `request` for the loop and wakes it. Returns false, leaving
  // `request` untouched, once the loop is stopping.
  bool Post(Request& request);

  // Completes everything pending with kCanceled and joins the thread.
  void Stop();

 private:
  struct TryRecord {
    uint64_t flight_id;
    int resolver;
    absl::Time start;
  };
  struct Completion {
    uint64_t try_id;
    int status;
    std::vector<uint8_t> answer;
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
  void OnTryTimeout(uint64_t flight_id, uint64_t try_id);
  void ProcessCompletions();
  void EndTry(Flight& flight, int resolver, Outcome outcome, absl::Duration rtt,
              const ParsedAnswer* answer);
  void OnWaiterDeadline(uint64_t flight_id, uint64_t waiter_id);
  // Removes the flight and delivers `outcome` to every waiter left.
  void FinishFlight(uint64_t flight_id, Outcome outcome,
                    const ParsedAnswer* answer);
  void Complete(Waiter& waiter, RRType type, const Flight* flight,
                Outcome outcome, const ParsedAnswer* answer);
  void CancelEverything(std::vector<Request> queued);
  void LogFailedTry(const Flight& flight, int resolver, Outcome outcome,
                    absl::Duration rtt) const;

  const LoopConfig& config_;
  std::vector<std::unique_ptr<CaresChannel>> channels_;
  std::vector<RttEstimator> rtt_;
  InFlightTable table_;
  TimerQueue timers_;
  absl::flat_hash_map<uint64_t, TryRecord> tries_;
  std::vector<Completion> completions_;
  absl::BitGen rng_;
  uint64_t next_try_id_ = 1;
  uint64_t next_waiter_id_ = 1;
  std::vector<pollfd> poll_fds_;
  std::vector<int> poll_channel_;

  int wake_fd_ = -1;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace va::dns

#endif  // VA_DNS_RESOLVER_LOOP_H_
