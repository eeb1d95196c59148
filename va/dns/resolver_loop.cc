#include "va/dns/resolver_loop.h"

#include <ares.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/random/distributions.h"
#include "absl/strings/str_format.h"

namespace va::dns {
namespace {

// How long a loop sleeps at most when nothing is due; only bounds the
// damage of a missed wake-up.
constexpr absl::Duration kMaxPollWait = absl::Seconds(1);

bool IsFailure(Outcome outcome) {
  return outcome != Outcome::kNoError && outcome != Outcome::kNxDomain;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ResolverLoop>> ResolverLoop::Create(
    const LoopConfig* config) {
  std::unique_ptr<ResolverLoop> loop(new ResolverLoop(config));
  // c-ares times out only queries this loop abandoned; every try's own
  // timeout is at most per_try_timeout.
  const absl::Duration cares_timeout =
      config->policy.options().per_try_timeout + absl::Seconds(1);
  for (const ServerAddress& server : config->servers) {
    absl::StatusOr<std::unique_ptr<CaresChannel>> channel =
        CaresChannel::Create(server, cares_timeout, config->edns_udp_size);
    if (!channel.ok()) return channel.status();
    loop->channels_.push_back(*std::move(channel));
    loop->rtt_.emplace_back(config->rtt);
  }
  loop->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->wake_fd_ < 0) {
    return absl::InternalError(
        absl::StrFormat("eventfd: %s", std::strerror(errno)));
  }
  return loop;
}

ResolverLoop::ResolverLoop(const LoopConfig* config) : config_(*config) {}

ResolverLoop::~ResolverLoop() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ResolverLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool ResolverLoop::Post(Request& request) {
  bool wake;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    wake = queue_.empty();
    queue_.push_back(std::move(request));
  }
  // One wake-up per batch: the loop takes the whole queue at once.
  if (wake) {
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    (void)n;  // EAGAIN means the counter is already non-zero: still awake.
  }
  return true;
}

void ResolverLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
  if (thread_.joinable()) thread_.join();
}

void ResolverLoop::Run() {
  while (true) {
    std::vector<Request> batch;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(queue_);
      stopping = stopping_;
    }
    if (stopping) {
      CancelEverything(std::move(batch));
      return;
    }
    for (Request& request : batch) Intake(std::move(request));
    ProcessCompletions();
    timers_.RunDue(absl::Now());
    ProcessCompletions();
    PollOnce();
    ProcessCompletions();
  }
}

void ResolverLoop::PollOnce() {
  poll_fds_.clear();
  poll_channel_.clear();
  poll_fds_.push_back(pollfd{wake_fd_, POLLIN, 0});
  poll_channel_.push_back(-1);
  absl::Duration wait = kMaxPollWait;
  for (size_t i = 0; i < channels_.size(); ++i) {
    channels_[i]->AppendPollFds(poll_fds_);
    poll_channel_.resize(poll_fds_.size(), static_cast<int>(i));
    if (std::optional<absl::Duration> t = channels_[i]->NextTimeout()) {
      wait = std::min(wait, *t);
    }
  }
  if (std::optional<absl::Time> next = timers_.NextDeadline()) {
    wait = std::min(wait, *next - absl::Now());
  }
  wait = std::max(wait, absl::ZeroDuration());
  timespec ts = absl::ToTimespec(wait);
  int ready = ppoll(poll_fds_.data(), poll_fds_.size(), &ts, nullptr);
  if (ready < 0 && errno != EINTR) {
    std::fprintf(stderr, "dns_loop_error op=ppoll error=\"%s\"\n",
                 std::strerror(errno));
  }
  if (ready > 0) {
    if (poll_fds_[0].revents != 0) {
      uint64_t count;
      ssize_t n = read(wake_fd_, &count, sizeof(count));
      (void)n;
    }
    for (size_t i = 1; i < poll_fds_.size(); ++i) {
      if (poll_fds_[i].revents != 0) {
        channels_[poll_channel_[i]]->ProcessFd(poll_fds_[i].fd,
                                               poll_fds_[i].revents);
      }
    }
  }
  // Reaps abandoned queries c-ares has given up on, and broken TCP
  // connections; cheap when nothing is due.
  for (auto& channel : channels_) channel->ProcessTimeouts();
}

void ResolverLoop::Intake(Request request) {
  const absl::Time now = absl::Now();
  Waiter waiter;
  waiter.id = next_waiter_id_++;
  waiter.name = std::move(request.name);
  waiter.start = request.start;
  waiter.deadline = request.deadline;
  waiter.done = std::move(request.done);
  const RRType type = request.type;

  if (!ValidateQueryName(waiter.name).ok()) {
    Complete(waiter, type, nullptr, Outcome::kMalformed, nullptr);
    return;
  }
  // A lookup that has no time for a try of its own may still catch the
  // answer of an identical lookup already in flight.
  if (table_.Find(waiter.name, type) == nullptr &&
      !config_.policy.CanStartTry(waiter.deadline - now)) {
    Complete(waiter, type, nullptr, Outcome::kDeadline, nullptr);
    return;
  }
  const uint64_t waiter_id = waiter.id;
  const absl::Time deadline = waiter.deadline;
  const std::string name = waiter.name;
  auto [flight, created] = table_.Join(name, type, std::move(waiter));
  const uint64_t flight_id = flight->id;
  if (deadline != absl::InfiniteFuture()) {
    flight->waiters.back().deadline_timer =
        timers_.Schedule(deadline, [this, flight_id, waiter_id] {
          OnWaiterDeadline(flight_id, waiter_id);
        });
  }
  if (!created) {
    config_.observer->OnCoalesced();
    ExtendTry(*flight);
    return;
  }
  flight->query = *BuildQuery(name, type, config_.edns_udp_size);
  flight->resolver_order =
      RetryPolicy::ResolverOrder(static_cast<int>(channels_.size()), rng_);
  config_.observer->OnInFlightChange(+1);
  StartTry(flight_id);
}

void ResolverLoop::StartTry(uint64_t flight_id) {
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr) return;
  flight->backoff_timer = 0;
  const RetryPolicy& policy = config_.policy;
  const absl::Time now = absl::Now();
  const absl::Duration time_left = flight->deadline - now;
  if (!policy.CanStartTry(time_left)) {
    FinishFlight(flight_id,
                 flight->tries == 0 ? Outcome::kDeadline : flight->last_outcome,
                 nullptr);
    return;
  }
  const int resolver =
      RetryPolicy::ResolverForTry(flight->resolver_order, flight->tries);
  const absl::Duration full_timeout = policy.TryTimeout(
      rtt_[resolver].Timeout(policy.options().min_try_timeout,
                             policy.options().per_try_timeout),
      absl::InfiniteDuration());
  const absl::Duration timeout = std::min(full_timeout, time_left);
  if (flight->tries == 0) config_.budget->OnFirstTry(now);
  ++flight->tries;
  flight->last_resolver = resolver;
  const uint64_t try_id = next_try_id_++;
  flight->try_id = try_id;
  flight->try_start = now;
  flight->try_full_timeout = full_timeout;
  flight->try_end = now + timeout;
  tries_.emplace(try_id, TryRecord{flight_id, resolver, now});
  flight->try_timer = timers_.Schedule(
      now + timeout,
      [this, flight_id, try_id] { OnTryTimeout(flight_id, try_id); });
  // The completion is only queued here: c-ares may call back inside
  // ares_send or ares_process_fd, and the loop handles it afterwards.
  channels_[resolver]->Send(
      flight->query,
      [this, try_id](int status, absl::Span<const uint8_t> answer) {
        completions_.push_back(Completion{
            try_id, status, std::vector<uint8_t>(answer.begin(), answer.end()),
            absl::Now()});
      });
}

void ResolverLoop::ExtendTry(Flight& flight) {
  if (flight.try_id == 0) return;
  const absl::Time end =
      std::min(flight.try_start + flight.try_full_timeout, flight.deadline);
  if (end <= flight.try_end) return;
  timers_.Cancel(flight.try_timer);
  flight.try_end = end;
  const uint64_t flight_id = flight.id;
  const uint64_t try_id = flight.try_id;
  flight.try_timer = timers_.Schedule(
      end, [this, flight_id, try_id] { OnTryTimeout(flight_id, try_id); });
}

void ResolverLoop::OnTryTimeout(uint64_t flight_id, uint64_t try_id) {
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr || flight->try_id != try_id) return;
  flight->try_timer = 0;
  flight->try_id = 0;
  // Abandon the try: its query stays in c-ares (1.18 cannot cancel one
  // query) and a late answer finds no TryRecord and is dropped.
  auto record = tries_.extract(try_id);
  const int resolver = record.mapped().resolver;
  // A try cut short by the caller's deadline says nothing about the
  // resolver's speed.
  if (flight->try_end >= flight->try_start + flight->try_full_timeout) {
    rtt_[resolver].OnTimeout();
  }
  EndTry(*flight, resolver, Outcome::kTimeout, absl::Now() - flight->try_start,
         nullptr);
}

void ResolverLoop::ProcessCompletions() {
  while (!completions_.empty()) {
    std::vector<Completion> batch;
    batch.swap(completions_);
    for (Completion& done : batch) {
      auto it = tries_.find(done.try_id);
      if (it == tries_.end()) continue;  // abandoned try: answer too late
      const TryRecord record = it->second;
      tries_.erase(it);
      Flight* flight = table_.Find(record.flight_id);
      if (flight == nullptr || flight->try_id != done.try_id) continue;
      timers_.Cancel(flight->try_timer);
      flight->try_timer = 0;
      flight->try_id = 0;

      const absl::Duration rtt = done.when - record.start;
      Outcome outcome;
      std::optional<ParsedAnswer> parsed;
      switch (done.status) {
        case ARES_SUCCESS: {
          rtt_[record.resolver].OnAnswer(rtt);
          absl::StatusOr<ParsedAnswer> answer =
              ParseAnswer(done.answer, flight->type);
          if (!answer.ok()) {
            outcome = Outcome::kMalformed;
          } else {
            parsed = *std::move(answer);
            // c-ares retried a truncated UDP answer over TCP already, so a
            // truncated answer here came over TCP.
            outcome = parsed->truncated ? Outcome::kTruncated
                                        : OutcomeForRcode(parsed->rcode);
          }
          break;
        }
        case ARES_ETIMEOUT:
          rtt_[record.resolver].OnTimeout();
          outcome = Outcome::kTimeout;
          break;
        case ARES_EBADRESP:
          outcome = Outcome::kMalformed;
          break;
        default:  // ECONNREFUSED (ICMP unreachable, TCP refused), ...
          outcome = Outcome::kNetwork;
          break;
      }
      EndTry(*flight, record.resolver, outcome, rtt,
             parsed ? &*parsed : nullptr);
    }
  }
}

void ResolverLoop::EndTry(Flight& flight, int resolver, Outcome outcome,
                          absl::Duration rtt, const ParsedAnswer* answer) {
  const bool is_tld = flight.qname.find('.') == std::string::npos;
  config_.observer->OnTry(flight.qname, flight.type,
                          config_.servers[resolver].configured, outcome, rtt,
                          is_tld);
  if (config_.log_failed_tries && IsFailure(outcome)) {
    LogFailedTry(flight, resolver, outcome, rtt);
  }
  flight.last_outcome = outcome;
  const absl::Time now = absl::Now();
  RetryPolicy::Decision decision =
      config_.policy.AfterTry(outcome, flight.tries, flight.deadline - now,
                              absl::Uniform(rng_, 0.0, 1.0), config_.budget);
  if (decision.budget_asked) config_.observer->OnRetry(decision.retry);
  if (decision.retry) {
    const uint64_t flight_id = flight.id;
    flight.backoff_timer = timers_.Schedule(
        now + decision.backoff, [this, flight_id] { StartTry(flight_id); });
    return;
  }
  FinishFlight(flight.id, decision.outcome, answer);
}

void ResolverLoop::OnWaiterDeadline(uint64_t flight_id, uint64_t waiter_id) {
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr) return;
  std::optional<Waiter> waiter = table_.Leave(flight_id, waiter_id);
  if (!waiter) return;
  waiter->deadline_timer = 0;
  // Mid-try the caller saw a timeout; between tries it gets what the last
  // try got; before any try, the deadline itself.
  Outcome outcome = flight->try_id != 0 ? Outcome::kTimeout
                    : flight->tries > 0 ? flight->last_outcome
                                        : Outcome::kDeadline;
  Complete(*waiter, flight->type, flight, outcome, nullptr);
  // The callback may not touch this loop's state, but look again anyway.
  flight = table_.Find(flight_id);
  if (flight != nullptr && flight->waiters.empty()) {
    // Nobody is left to answer: stop trying (this is not a cache).
    FinishFlight(flight_id, outcome, nullptr);
  }
}

void ResolverLoop::FinishFlight(uint64_t flight_id, Outcome outcome,
                                const ParsedAnswer* answer) {
  std::unique_ptr<Flight> flight = table_.Remove(flight_id);
  if (flight == nullptr) return;
  timers_.Cancel(flight->try_timer);
  timers_.Cancel(flight->backoff_timer);
  if (flight->try_id != 0) {
    // Every waiter's deadline passed mid-try: the try is abandoned.
    auto record = tries_.extract(flight->try_id);
    if (!record.empty()) {
      config_.observer->OnTry(
          flight->qname, flight->type,
          config_.servers[record.mapped().resolver].configured,
          Outcome::kDeadline, absl::Now() - flight->try_start,
          flight->qname.find('.') == std::string::npos);
    }
  }
  config_.observer->OnInFlightChange(-1);
  for (Waiter& waiter : flight->waiters) {
    timers_.Cancel(waiter.deadline_timer);
    Complete(waiter, flight->type, flight.get(), outcome, answer);
  }
}

void ResolverLoop::Complete(Waiter& waiter, RRType type, const Flight* flight,
                            Outcome outcome, const ParsedAnswer* answer) {
  LookupResult result;
  result.name = waiter.name;
  result.type = type;
  result.outcome = outcome;
  if (answer != nullptr) {
    result.authenticated_data = answer->authenticated_data;
    if (outcome == Outcome::kNoError) {
      result.txt = answer->txt;
      result.caa = answer->caa;
    }
  }
  if (flight != nullptr) {
    result.attempts = flight->tries;
    if (flight->last_resolver >= 0) {
      result.resolver = config_.servers[flight->last_resolver].configured;
    }
  }
  result.elapsed = absl::Now() - waiter.start;
  config_.observer->OnLookupDone(result);
  std::move(waiter.done)(std::move(result));
}

void ResolverLoop::CancelEverything(std::vector<Request> queued) {
  for (Request& request : queued) {
    Waiter waiter;
    waiter.name = std::move(request.name);
    waiter.start = request.start;
    waiter.done = std::move(request.done);
    Complete(waiter, request.type, nullptr, Outcome::kCanceled, nullptr);
  }
  for (std::unique_ptr<Flight>& flight : table_.RemoveAll()) {
    config_.observer->OnInFlightChange(-1);
    for (Waiter& waiter : flight->waiters) {
      Complete(waiter, flight->type, flight.get(), Outcome::kCanceled, nullptr);
    }
  }
  tries_.clear();
  completions_.clear();
  // Destroyed on the thread that used them; pending c-ares callbacks are
  // swallowed by the channel.
  channels_.clear();
}

void ResolverLoop::LogFailedTry(const Flight& flight, int resolver,
                                Outcome outcome, absl::Duration rtt) const {
  // One write per line so lines from several loops do not interleave.
  std::string line = absl::StrFormat(
      "dns_try_failed resolver=%s name=%s type=%s outcome=%s try=%d "
      "rtt_ms=%.1f\n",
      config_.servers[resolver].configured, flight.qname,
      RRTypeName(flight.type), OutcomeName(outcome), flight.tries,
      absl::ToDoubleMilliseconds(rtt));
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace va::dns
