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
#include "common/json_log.h"

namespace va::dns {
namespace {

// How long a loop sleeps at most when nothing is due; only bounds the
// damage of a missed wake-up.
constexpr absl::Duration kMaxPollWait = absl::Seconds(1);

// How often c-ares gets to reap queries the loop abandoned (and broken TCP
// connections). It only frees memory and query IDs, so it need not be
// prompt; every try has its own timer in the loop.
constexpr absl::Duration kReapInterval = absl::Milliseconds(100);

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
        CaresChannel::Create(server, cares_timeout, config->edns_udp_size,
                             config->socket_buffer_bytes);
    if (!channel.ok()) return channel.status();
    loop->channels_.push_back(*std::move(channel));
    loop->rtt_.emplace_back(config->rtt);
  }
  loop->active_.assign(loop->channels_.size(), 0);
  loop->queued_.resize(loop->channels_.size());
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
  std::vector<Request> batch;
  while (true) {
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
    batch.clear();  // keeps its capacity for the next swap
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
  bool cares_pending = false;
  for (size_t i = 0; i < channels_.size(); ++i) {
    channels_[i]->AppendPollFds(poll_fds_);
    poll_channel_.resize(poll_fds_.size(), static_cast<int>(i));
    cares_pending = cares_pending || channels_[i]->pending() > 0;
  }
  absl::Time now = absl::Now();
  absl::Duration wait = kMaxPollWait;
  if (cares_pending) wait = std::min(wait, next_reap_ - now);
  if (std::optional<absl::Time> next = timers_.NextDeadline()) {
    wait = std::min(wait, *next - now);
  }
  wait = std::max(wait, absl::ZeroDuration());
  timespec ts = absl::ToTimespec(wait);
  int ready = ppoll(poll_fds_.data(), poll_fds_.size(), &ts, nullptr);
  if (ready < 0 && errno != EINTR) {
    common::Log("error", "DNS loop: ppoll failed",
                common::JsonFields().Str("error", std::strerror(errno)));
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
  now = absl::Now();
  if (cares_pending && now >= next_reap_) {
    for (auto& channel : channels_) channel->ProcessTimeouts();
    next_reap_ = now + kReapInterval;
  }
}

void ResolverLoop::Intake(Request request) {
  const absl::Time now = absl::Now();
  const RRType type = request.type;
  Waiter waiter;
  waiter.id = next_waiter_id_++;
  waiter.name = std::move(request.name);
  waiter.start = request.start;
  waiter.deadline = request.deadline;
  waiter.done = std::move(request.done);

  if (!ValidateQueryName(waiter.name).ok()) {
    Complete(waiter, type, nullptr, Outcome::kBadName, nullptr, false);
    return;
  }
  // A lookup that has no time for a try of its own may still catch the
  // answer of an identical lookup already in flight.
  if (!config_.policy.CanStartTry(waiter.deadline - now) &&
      table_.Find(waiter.name, type) == nullptr) {
    Complete(waiter, type, nullptr, Outcome::kDeadline, nullptr, false);
    return;
  }
  const absl::Time deadline = waiter.deadline;
  auto [flight, created] = table_.Join(type, std::move(waiter));
  ArmWaiterTimer(*flight, deadline);
  if (!created) {
    config_.observer->OnCoalesced();
    ExtendTry(*flight);
    return;
  }
  flight->query = *BuildQuery(flight->qname, type, config_.edns_udp_size);
  flight->resolver_order =
      RetryPolicy::ResolverOrder(static_cast<int>(channels_.size()), rng_);
  // Resolvers that failed the DNSSEC canary are left out.
  if (config_.health != nullptr) {
    config_.health->KeepUsable(flight->resolver_order);
  }
  config_.observer->OnInFlightChange(+1);
  StartTry(flight->id);
}

void ResolverLoop::ArmWaiterTimer(Flight& flight, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return;
  if (flight.waiter_timer != 0 && deadline >= flight.next_waiter_deadline) {
    return;
  }
  timers_.Cancel(flight.waiter_timer);
  flight.next_waiter_deadline = deadline;
  const uint64_t flight_id = flight.id;
  flight.waiter_timer = timers_.Schedule(
      deadline, [this, flight_id] { OnWaiterDeadlines(flight_id); });
}

int ResolverLoop::InFlightCap(int resolver) const {
  int cap = config_.max_in_flight_per_channel;
  const int rcvbuf = channels_[resolver]->receive_buffer_bytes();
  if (rcvbuf > 0) {
    cap = std::min(cap,
                   std::max(kMinInFlightPerChannel, rcvbuf / kBytesPerAnswer));
  }
  return std::max(cap, 1);
}

void ResolverLoop::ReleaseSlot(int resolver) {
  --active_[resolver];
  // Queued flights start from the loop (StartQueued), not from here: this
  // runs in the middle of handling another try.
}

void ResolverLoop::StartQueued() {
  if (!any_queued_) return;
  bool still_queued = false;
  for (size_t r = 0; r < queued_.size(); ++r) {
    std::deque<uint64_t>& queue = queued_[r];
    while (!queue.empty() && active_[r] < InFlightCap(static_cast<int>(r))) {
      const uint64_t flight_id = queue.front();
      queue.pop_front();
      Flight* flight = table_.Find(flight_id);
      if (flight == nullptr || !flight->queued) continue;  // finished
      flight->queued = false;
      StartTry(flight_id);
    }
    still_queued = still_queued || !queue.empty();
  }
  any_queued_ = still_queued;
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
  if (active_[resolver] >= InFlightCap(resolver)) {
    if (!flight->queued) {
      flight->queued = true;
      queued_[resolver].push_back(flight_id);
      any_queued_ = true;
    }
    return;
  }
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
  tries_.emplace(try_id, TryRecord{flight_id, resolver, flight->type, now});
  ++active_[resolver];
  flight->try_timer =
      timers_.Schedule(now + timeout, [this, try_id] { OnTryTimeout(try_id); });
  // c-ares may call back inside ares_send or ares_process_fd; OnAnswer only
  // queues the result and the loop handles it afterwards.
  channels_[resolver]->Send(
      flight->query,
      [this, try_id](int status, absl::Span<const uint8_t> answer) {
        OnAnswer(try_id, status, answer);
      });
}

void ResolverLoop::ExtendTry(Flight& flight) {
  if (flight.try_id == 0) return;
  const absl::Time end =
      std::min(flight.try_start + flight.try_full_timeout, flight.deadline);
  if (end <= flight.try_end) return;
  timers_.Cancel(flight.try_timer);
  flight.try_end = end;
  const uint64_t try_id = flight.try_id;
  flight.try_timer =
      timers_.Schedule(end, [this, try_id] { OnTryTimeout(try_id); });
}

void ResolverLoop::OnTryTimeout(uint64_t try_id) {
  auto record = tries_.extract(try_id);
  if (record.empty()) return;
  const uint64_t flight_id = record.mapped().flight_id;
  const int resolver = record.mapped().resolver;
  ReleaseSlot(resolver);
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr || flight->try_id != try_id) return;
  flight->try_timer = 0;
  flight->try_id = 0;
  // Abandon the try: its query stays in c-ares (1.18 cannot cancel one
  // query) and a late answer finds no TryRecord and is dropped.
  // A try cut short by the caller's deadline says nothing about the
  // resolver's speed.
  if (flight->try_end >= flight->try_start + flight->try_full_timeout) {
    rtt_[resolver].OnTimeout();
  }
  EndTry(*flight, resolver, Outcome::kTimeout, absl::Now() - flight->try_start,
         nullptr);
}

void ResolverLoop::OnAnswer(uint64_t try_id, int status,
                            absl::Span<const uint8_t> answer) {
  auto it = tries_.find(try_id);
  if (it == tries_.end()) return;  // abandoned try: the answer came too late
  Completion& done = completions_.emplace_back();
  done.try_id = try_id;
  done.status = status;
  done.when = absl::Now();
  if (status == ARES_SUCCESS && !answer.empty()) {
    absl::StatusOr<ParsedAnswer> parsed = ParseAnswer(answer, it->second.type);
    if (parsed.ok()) {
      done.parsed_ok = true;
      done.parsed = *std::move(parsed);
    }
  }
}

void ResolverLoop::ProcessCompletions() {
  while (!completions_.empty()) {
    std::vector<Completion> batch;
    batch.swap(completions_);
    for (Completion& done : batch) {
      auto it = tries_.find(done.try_id);
      if (it == tries_.end()) continue;  // abandoned meanwhile
      const TryRecord record = it->second;
      tries_.erase(it);
      ReleaseSlot(record.resolver);
      Flight* flight = table_.Find(record.flight_id);
      if (flight == nullptr || flight->try_id != done.try_id) continue;
      timers_.Cancel(flight->try_timer);
      flight->try_timer = 0;
      flight->try_id = 0;

      const absl::Duration rtt = done.when - record.start;
      Outcome outcome;
      ParsedAnswer* parsed = nullptr;
      switch (done.status) {
        case ARES_SUCCESS:
          rtt_[record.resolver].OnAnswer(rtt);
          if (!done.parsed_ok) {
            // Not an answer: retried on the next resolver (see
            // RetryPolicyOptions::max_malformed_tries).
            outcome = Outcome::kMalformed;
          } else {
            parsed = &done.parsed;
            // c-ares retried a truncated UDP answer over TCP already, so a
            // truncated answer here came over TCP.
            outcome = parsed->truncated ? Outcome::kTruncated
                                        : OutcomeForRcode(parsed->rcode);
          }
          break;
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
      EndTry(*flight, record.resolver, outcome, rtt, parsed);
    }
  }
  StartQueued();
}

int ResolverLoop::CompleteExhaustedWaiters(Flight& flight, Outcome outcome) {
  const int max_tries = config_.policy.options().max_tries;
  int fewest = flight.tries;
  bool any_exhausted = false;
  for (const Waiter& w : flight.waiters) {
    const int tries = flight.tries - w.tries_base;
    fewest = std::min(fewest, tries);
    any_exhausted = any_exhausted || tries >= max_tries;
  }
  // All exhausted: the flight ends and FinishFlight delivers to everyone.
  if (!any_exhausted || fewest >= max_tries) return fewest;
  std::vector<Waiter> done = flight.TakeWaitersIf([&](const Waiter& w) {
    return flight.tries - w.tries_base >= max_tries;
  });
  for (Waiter& w : done) {
    Complete(w, flight.type, &flight, outcome, nullptr, false);
  }
  return fewest;
}

void ResolverLoop::EndTry(Flight& flight, int resolver, Outcome outcome,
                          absl::Duration rtt, ParsedAnswer* answer) {
  const bool is_tld = flight.qname.find('.') == std::string::npos;
  config_.observer->OnTry(flight.qname, flight.type,
                          config_.servers[resolver].configured, outcome, rtt,
                          is_tld);
  if (config_.log_failed_tries && IsFailure(outcome)) {
    LogFailedTry(flight, resolver, outcome, rtt);
  }
  flight.last_outcome = outcome;
  // Tries are counted per waiter: the flight retries as long as one of its
  // waiters has tries left, and the retry's backoff follows that waiter's
  // count.
  int tries_made = flight.tries;
  if (config_.policy.IsRetryable(outcome)) {
    tries_made = CompleteExhaustedWaiters(flight, outcome);
  }
  const absl::Time now = absl::Now();
  const bool same_resolver =
      RetryPolicy::ResolverForTry(flight.resolver_order, flight.tries) ==
      resolver;
  RetryPolicy::Decision decision = config_.policy.AfterTry(
      outcome, tries_made, flight.deadline - now, absl::Uniform(rng_, 0.0, 1.0),
      config_.budget, same_resolver ? rtt : absl::InfiniteDuration());
  if (decision.budget_asked) config_.observer->OnRetry(decision.retry);
  if (decision.retry) {
    const uint64_t flight_id = flight.id;
    flight.backoff_timer = timers_.Schedule(
        now + decision.backoff, [this, flight_id] { StartTry(flight_id); });
    return;
  }
  FinishFlight(flight.id, decision.outcome, answer);
}

void ResolverLoop::OnWaiterDeadlines(uint64_t flight_id) {
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr) return;
  flight->waiter_timer = 0;
  const absl::Time now = absl::Now();
  // Mid-try the caller saw a timeout; between tries it gets what the last
  // try got; before any try, the deadline itself.
  const Outcome outcome = flight->try_id != 0 ? Outcome::kTimeout
                          : flight->tries > 0 ? flight->last_outcome
                                              : Outcome::kDeadline;
  std::vector<Waiter> expired = flight->TakeWaitersIf(
      [now](const Waiter& w) { return w.deadline <= now; });
  absl::Time next = absl::InfiniteFuture();
  for (const Waiter& w : flight->waiters) next = std::min(next, w.deadline);
  const bool nobody_left = flight->waiters.empty();
  if (!nobody_left) ArmWaiterTimer(*flight, next);
  for (Waiter& w : expired) {
    Complete(w, flight->type, flight, outcome, nullptr, false);
  }
  if (nobody_left) {
    // Nobody is left to answer: stop trying (this is not a cache).
    FinishFlight(flight_id, outcome, nullptr);
  }
}

void ResolverLoop::FinishFlight(uint64_t flight_id, Outcome outcome,
                                ParsedAnswer* answer) {
  std::unique_ptr<Flight> flight = table_.Remove(flight_id);
  if (flight == nullptr) return;
  timers_.Cancel(flight->try_timer);
  timers_.Cancel(flight->backoff_timer);
  timers_.Cancel(flight->waiter_timer);
  if (flight->try_id != 0) {
    // Every waiter's deadline passed mid-try: the try is abandoned.
    auto record = tries_.extract(flight->try_id);
    if (!record.empty()) {
      ReleaseSlot(record.mapped().resolver);
      config_.observer->OnTry(
          flight->qname, flight->type,
          config_.servers[record.mapped().resolver].configured,
          Outcome::kDeadline, absl::Now() - flight->try_start,
          flight->qname.find('.') == std::string::npos);
    }
  }
  config_.observer->OnInFlightChange(-1);
  for (size_t i = 0; i < flight->waiters.size(); ++i) {
    Complete(flight->waiters[i], flight->type, flight.get(), outcome, answer,
             i + 1 == flight->waiters.size());
  }
}

void ResolverLoop::Complete(Waiter& waiter, RRType type, const Flight* flight,
                            Outcome outcome, ParsedAnswer* answer, bool last) {
  LookupResult result;
  result.name = std::move(waiter.name);
  result.type = type;
  result.outcome = outcome;
  if (answer != nullptr) {
    result.authenticated_data = answer->authenticated_data;
    result.ede = answer->ede;
    if (outcome == Outcome::kNoError) {
      if (last) {
        result.txt = std::move(answer->txt);
        result.caa = std::move(answer->caa);
      } else {
        result.txt = answer->txt;
        result.caa = answer->caa;
      }
    }
  }
  if (flight != nullptr) {
    result.attempts = flight->tries - waiter.tries_base;
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
    Complete(waiter, request.type, nullptr, Outcome::kCanceled, nullptr, false);
  }
  for (std::unique_ptr<Flight>& flight : table_.RemoveAll()) {
    config_.observer->OnInFlightChange(-1);
    for (Waiter& waiter : flight->waiters) {
      Complete(waiter, flight->type, flight.get(), Outcome::kCanceled, nullptr,
               false);
    }
  }
  tries_.clear();
  completions_.clear();
  for (auto& queue : queued_) queue.clear();
  std::fill(active_.begin(), active_.end(), 0);
  // Destroyed on the thread that used them; pending c-ares callbacks are
  // swallowed by the channel.
  channels_.clear();
}

void ResolverLoop::LogFailedTry(const Flight& flight, int resolver,
                                Outcome outcome, absl::Duration rtt) {
  int64_t suppressed = 0;
  if (!failed_try_log_.Allow(absl::Now(), &suppressed)) return;
  // A JSON line like every other: operators search these by dnsOutcome and
  // queryName, the same names the problem documents use.
  common::JsonFields fields;
  fields.Str("resolver", config_.servers[resolver].configured)
      .Str("queryName", flight.qname)
      .Str("queryType", RRTypeName(flight.type))
      .Str("dnsOutcome", OutcomeName(outcome))
      .Int("try", flight.tries)
      .Num("rttMs", absl::ToDoubleMilliseconds(rtt));
  if (suppressed > 0) fields.Int("notLoggedBefore", suppressed);
  common::Log("warning", "DNS try failed", fields);
}

}  // namespace va::dns
