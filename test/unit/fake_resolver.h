// A scripted va::dns::Resolver for unit tests: answers from a table keyed by
// (name, type), records every query, and delivers answers synchronously,
// from a new thread per lookup, or when the test releases them (optionally
// from several threads at once, to exercise callers' joins).
#ifndef TEST_UNIT_FAKE_RESOLVER_H_
#define TEST_UNIT_FAKE_RESOLVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "va/dns/resolver.h"

namespace acmeva::va::fakes {

// A one-shot event for waiting on a callback the fake delivers from another
// thread. Like absl::Notification, but visible to ThreadSanitizer.
class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

class FakeResolver : public dns::Resolver {
 public:
  enum class Delivery {
    kSynchronous,      // inside Lookup()
    kThreadPerLookup,  // from a fresh thread, after a small staggered delay
    kHeld,             // queued until DeliverHeld*() is called
  };

  struct Query {
    std::string name;
    dns::RRType type;
    absl::Time deadline;
  };

  explicit FakeResolver(Delivery delivery = Delivery::kSynchronous)
      : delivery_(delivery) {}
  ~FakeResolver() override { JoinThreads(); }

  FakeResolver(const FakeResolver&) = delete;
  FakeResolver& operator=(const FakeResolver&) = delete;

  // The answer for (name, type). `name` and `type` are filled in; attempts
  // defaults to 1 and resolver to "127.0.0.1:53" when left empty.
  void Set(std::string name, dns::RRType type, dns::LookupResult result) {
    result.name = name;
    result.type = type;
    if (result.attempts == 0) result.attempts = 1;
    if (result.resolver.empty()) result.resolver = "127.0.0.1:53";
    std::lock_guard<std::mutex> lock(mu_);
    table_[{std::move(name), type}] = std::move(result);
  }

  void SetTxt(std::string name, std::vector<std::string> values) {
    dns::LookupResult r;
    r.txt = std::move(values);
    Set(std::move(name), dns::RRType::kTXT, std::move(r));
  }

  void SetCaa(std::string name, std::vector<dns::CaaRecord> records) {
    dns::LookupResult r;
    r.caa = std::move(records);
    Set(std::move(name), dns::RRType::kCAA, std::move(r));
  }

  void SetOutcome(std::string name, dns::RRType type, dns::Outcome outcome,
                  int attempts = 1) {
    dns::LookupResult r;
    r.outcome = outcome;
    r.attempts = attempts;
    Set(std::move(name), type, std::move(r));
  }

  // What names missing from the table get (default: NOERROR, no records).
  void SetDefault(dns::Outcome outcome) {
    std::lock_guard<std::mutex> lock(mu_);
    default_outcome_ = outcome;
  }

  std::vector<Query> queries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queries_;
  }

  std::vector<std::string> QueriedNames() const {
    std::vector<std::string> names;
    for (const Query& q : queries()) names.push_back(q.name);
    return names;
  }

  void Lookup(std::string name, dns::RRType type, absl::Time deadline,
              dns::LookupCallback done) override {
    dns::LookupResult result;
    size_t sequence;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queries_.push_back({name, type, deadline});
      sequence = queries_.size();
      auto it = table_.find({name, type});
      if (it != table_.end()) {
        result = it->second;
      } else {
        result.name = name;
        result.type = type;
        result.outcome = default_outcome_;
        result.attempts = 1;
        result.resolver = "127.0.0.1:53";
      }
      if (delivery_ == Delivery::kHeld) {
        held_.emplace_back(std::move(result), std::move(done));
        return;
      }
      if (delivery_ == Delivery::kThreadPerLookup) {
        // Later lookups answer sooner, so completion order is reversed.
        const absl::Duration delay =
            absl::Microseconds(200) * static_cast<int64_t>(8 - sequence % 8);
        threads_.emplace_back([delay, result = std::move(result),
                               done = std::move(done)]() mutable {
          absl::SleepFor(delay);
          std::move(done)(std::move(result));
        });
        return;
      }
    }
    std::move(done)(std::move(result));  // synchronous, unlocked
  }

  size_t HeldCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }

  // Delivers every held answer on the calling thread, last query first.
  void DeliverHeldInReverse() {
    std::vector<Held> held = TakeHeld();
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      std::move(it->second)(std::move(it->first));
    }
  }

  // Delivers every held answer from its own thread; the threads are released
  // together so that callbacks really run concurrently. Returns when all
  // callbacks have returned.
  void DeliverHeldConcurrently() {
    std::vector<Held> held = TakeHeld();
    std::atomic<size_t> ready{0};
    std::vector<std::thread> threads;
    threads.reserve(held.size());
    for (Held& h : held) {
      threads.emplace_back([&ready, &h, n = held.size()] {
        ready.fetch_add(1);
        while (ready.load() < n) std::this_thread::yield();
        std::move(h.second)(std::move(h.first));
      });
    }
    for (std::thread& t : threads) t.join();
  }

  // Waits for every kThreadPerLookup delivery to finish.
  void JoinThreads() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  using Held = std::pair<dns::LookupResult, dns::LookupCallback>;

  std::vector<Held> TakeHeld() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Held> held;
    held.swap(held_);
    return held;
  }

  const Delivery delivery_;
  // std::mutex, not absl::Mutex, so that ThreadSanitizer (which cannot see
  // into Debian's uninstrumented libabsl) checks the code under test.
  mutable std::mutex mu_;
  std::map<std::pair<std::string, dns::RRType>, dns::LookupResult> table_;
  dns::Outcome default_outcome_ = dns::Outcome::kNoError;
  std::vector<Query> queries_;
  std::vector<Held> held_;
  std::vector<std::thread> threads_;
};

}  // namespace acmeva::va::fakes

#endif  // TEST_UNIT_FAKE_RESOLVER_H_
