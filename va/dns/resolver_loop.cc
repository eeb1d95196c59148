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
#include "dnswire/rr_type.h"

namespace acmeva::va::dns {
namespace {

// How long a loop sleeps at most when nothing is due; only bounds the
// damage of a missed wake-up.
constexpr absl::Duration kMaxPollWait = absl::Seconds(1);

// How often c-ares gets to reap queries whose tries ran out (and broken TCP
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
  // c-ares never times out a query first: every try's own timeout in the
  // loop is at most per_try_timeout.
  const absl::Duration cares_timeout =
      config->policy.options().per_try_timeout + absl::Seconds(1);
  for (const ServerAddress& server : config->servers) {
    absl::StatusOr<std::unique_ptr<CaresChannel>> channel =
        CaresChannel::Create(server, cares_timeout, config->edns_udp_size,
                             config->socket_buffer_bytes);
    if (!channel.ok()) return channel.status();
    loop->channels_.push_back(*std::move(channel));
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

ResolverLoop::ResolverLoop(const LoopConfig* config)
    : config_(*config),
      rtt_(static_cast<int>(config->servers.size()), config->rtt) {}

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
    ExtendTries(*flight);
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

int ResolverLoop::NextResolver(const Flight& flight) const {
  return RetryPolicy::ResolverForTry(flight.resolver_order, flight.tries);
}

void ResolverLoop::StartTry(uint64_t flight_id) {
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr) return;
  flight->backoff_timer = 0;
  const RetryPolicy& policy = config_.policy;
  const absl::Time now = absl::Now();
  const absl::Duration time_left = flight->deadline - now;
  if (!policy.CanStartTry(time_left)) {
    // Open tries still have their time; the last of them ends the flight.
    if (flight->open_tries.empty()) {
      FinishFlight(
          flight_id,
          flight->tries == 0 ? Outcome::kDeadline : flight->last_outcome,
          nullptr);
    }
    return;
  }
  const int resolver = NextResolver(*flight);
  if (active_[resolver] >= InFlightCap(resolver)) {
    if (!flight->queued) {
      flight->queued = true;
      queued_[resolver].push_back(flight_id);
      any_queued_ = true;
    }
    return;
  }
  if (flight->tries == 0) config_.budget->OnFirstTry(now);
  if (!flight->open_tries.empty()) config_.observer->OnHedgedTry();
  ++flight->tries;
  flight->last_resolver = resolver;
  const uint64_t try_id = next_try_id_++;
  TryRecord record{
      .flight_id = flight_id,
      .resolver = resolver,
      .type = flight->type,
      .index = flight->tries,
      .is_tld = flight->qname.find('.') == std::string::npos,
      .start = now,
      .end = std::min(now + policy.options().per_try_timeout, flight->deadline),
      .full_end = now + policy.options().per_try_timeout};
  record.timer =
      timers_.Schedule(record.end, [this, try_id] { OnTryTimeout(try_id); });
  // The estimate only says when to hedge; with no samples (or adaptive
  // timeouts off) it is the full timeout and the try simply runs out.
  const absl::Duration hedge_after =
      policy.TryTimeout(rtt_.For(resolver, flight->type)
                            .Timeout(policy.options().min_try_timeout,
                                     policy.options().per_try_timeout),
                        absl::InfiniteDuration());
  timers_.Cancel(flight->hedge_timer);
  flight->hedge_timer = 0;
  flight->hedge_try = 0;
  if (now + hedge_after < record.end) {
    flight->hedge_try = try_id;
    flight->hedge_timer = timers_.Schedule(
        now + hedge_after, [this, try_id] { OnHedgePoint(try_id); });
  }
  tries_.emplace(try_id, record);
  flight->open_tries.push_back(try_id);
  ++active_[resolver];
  // c-ares may call back inside ares_send or ares_process_fd; OnAnswer only
  // queues the result and the loop handles it afterwards.
  channels_[resolver]->Send(
      flight->query,
      [this, try_id](int status, absl::Span<const uint8_t> answer) {
        OnAnswer(try_id, status, answer);
      });
}

void ResolverLoop::ExtendTries(Flight& flight) {
  for (uint64_t try_id : flight.open_tries) {
    auto it = tries_.find(try_id);
    if (it == tries_.end()) continue;
    TryRecord& record = it->second;
    const absl::Time end = std::min(record.full_end, flight.deadline);
    if (end <= record.end) continue;
    timers_.Cancel(record.timer);
    record.end = end;
    record.timer =
        timers_.Schedule(end, [this, try_id] { OnTryTimeout(try_id); });
  }
}

void ResolverLoop::OnHedgePoint(uint64_t try_id) {
  auto it = tries_.find(try_id);
  if (it == tries_.end()) return;
  TryRecord& record = it->second;
  Flight* flight = table_.Find(record.flight_id);
  if (flight == nullptr || flight->hedge_try != try_id) return;
  flight->hedge_timer = 0;
  flight->hedge_try = 0;
  record.hedged = true;
  // RFC 6298 §5.5: the next hedge for this resolver and type waits longer,
  // until an answer (late ones too) brings the estimate back.
  rtt_.For(record.resolver, record.type).OnTimeout();
  // The try stays open: only the next one is scheduled.
  MaybeScheduleNextTry(*flight, Outcome::kTimeout, record.resolver,
                       absl::Now() - record.start);
}

void ResolverLoop::OnTryTimeout(uint64_t try_id) {
  auto it = tries_.find(try_id);
  if (it == tries_.end()) return;
  TryRecord& record = it->second;
  record.timer = 0;
  // A try cut short by the caller's deadline says nothing about the
  // resolver's speed; a hedged one was counted at its hedge point.
  if (!record.hedged && record.end >= record.full_end) {
    rtt_.For(record.resolver, record.type).OnTimeout();
  }
  EndTry(try_id, Outcome::kTimeout, /*answered=*/false, nullptr, absl::Now());
}

void ResolverLoop::OnAnswer(uint64_t try_id, int status,
                            absl::Span<const uint8_t> answer) {
  auto it = tries_.find(try_id);
  if (it == tries_.end()) return;  // the try ran out: c-ares reaps it later
  Completion& done = completions_.emplace_back();
  done.try_id = try_id;
  done.status = status;
  done.when = absl::Now();
  if (status != ARES_SUCCESS || answer.empty()) return;
  if (table_.Find(it->second.flight_id) == nullptr) {
    // Nobody waits for it: only its time and rcode are recorded.
    if (answer.size() >= 4) done.unparsed_rcode = answer[3] & 0x0f;
    return;
  }
  {
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
      if (it == tries_.end()) continue;  // timed out meanwhile
      const TryRecord& record = it->second;
      Outcome outcome;
      ParsedAnswer* parsed = nullptr;
      bool answered = false;
      switch (done.status) {
        case ARES_SUCCESS:
          answered = true;
          // The true answer time, however late: the estimate must learn
          // this resolver's slow tail, not only the answers that beat it.
          rtt_.For(record.resolver, record.type)
              .OnAnswer(done.when - record.start);
          if (done.unparsed_rcode >= 0) {
            outcome = OutcomeForRcode(done.unparsed_rcode);
          } else if (!done.parsed_ok) {
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
          outcome = Outcome::kTimeout;
          break;
        case ARES_EBADRESP:
          outcome = Outcome::kMalformed;
          break;
        default:  // ECONNREFUSED (ICMP unreachable, TCP refused), ...
          outcome = Outcome::kNetwork;
          break;
      }
      EndTry(done.try_id, outcome, answered, parsed, done.when);
    }
  }
  StartQueued();
}

void ResolverLoop::EndTry(uint64_t try_id, Outcome outcome, bool answered,
                          ParsedAnswer* answer, absl::Time when) {
  auto node = tries_.extract(try_id);
  if (node.empty()) return;
  const TryRecord& record = node.mapped();
  timers_.Cancel(record.timer);
  ReleaseSlot(record.resolver);
  const absl::Duration rtt = when - record.start;
  Flight* flight = table_.Find(record.flight_id);
  if (flight == nullptr) {
    // The lookup ended (another try answered, or every caller gave up).
    if (outcome == Outcome::kTimeout && record.end < record.full_end) {
      outcome = Outcome::kDeadline;  // cut short by the callers' deadline
    }
    config_.observer->OnTry("", record.type,
                            config_.servers[record.resolver].configured,
                            outcome, rtt, record.is_tld);
    if (answered) config_.observer->OnLateAnswer(/*used=*/false);
    return;
  }
  flight->open_tries.erase(
      std::find(flight->open_tries.begin(), flight->open_tries.end(), try_id));
  if (flight->hedge_try == try_id) {
    timers_.Cancel(flight->hedge_timer);
    flight->hedge_timer = 0;
    flight->hedge_try = 0;
  }
  config_.observer->OnTry(flight->qname, flight->type,
                          config_.servers[record.resolver].configured, outcome,
                          rtt, record.is_tld);
  if (answered && record.hedged) config_.observer->OnLateAnswer(true);
  if (config_.log_failed_tries && IsFailure(outcome)) {
    LogFailedTry(*flight, record, outcome, rtt);
  }
  if (!config_.policy.IsRetryable(outcome)) {
    // An answer: the first one wins, whichever try it came from.
    flight->last_resolver = record.resolver;
    FinishFlight(flight->id, outcome, answer);
    return;
  }
  // Open tries keep the outcome they will report if nothing better comes.
  flight->last_outcome = outcome;
  if (CompleteExhaustedWaiters(*flight, outcome)) {
    FinishFlight(flight->id, outcome, nullptr);
    return;
  }
  // A newer try still inside its estimate decides when the next one goes.
  if (flight->hedge_timer != 0) return;
  // Otherwise a failed try makes the next one due now (after the backoff),
  // whatever earlier tries are still open.
  if (!MaybeScheduleNextTry(*flight, outcome, record.resolver, rtt) &&
      flight->open_tries.empty()) {
    FinishFlight(flight->id, flight->last_outcome, nullptr);
  }
}

int ResolverLoop::FewestTries(const Flight& flight) const {
  int fewest = flight.tries;
  for (const Waiter& w : flight.waiters) {
    fewest = std::min(fewest, flight.tries - w.tries_base);
  }
  return fewest;
}

bool ResolverLoop::MaybeScheduleNextTry(Flight& flight, Outcome outcome,
                                        int resolver, absl::Duration took) {
  // One next try at a time: already sleeping, or waiting for a slot.
  if (flight.backoff_timer != 0 || flight.queued) return true;
  const absl::Time now = absl::Now();
  const bool same_resolver = NextResolver(flight) == resolver;
  RetryPolicy::Decision decision = config_.policy.AfterTry(
      outcome, FewestTries(flight), flight.deadline - now,
      absl::Uniform(rng_, 0.0, 1.0), config_.budget,
      same_resolver ? took : absl::InfiniteDuration());
  if (decision.budget_asked) config_.observer->OnRetry(decision.retry);
  if (!decision.retry) {
    flight.last_outcome = decision.outcome;
    return false;
  }
  const uint64_t flight_id = flight.id;
  flight.backoff_timer = timers_.Schedule(
      now + decision.backoff, [this, flight_id] { StartTry(flight_id); });
  return true;
}

bool ResolverLoop::CompleteExhaustedWaiters(Flight& flight, Outcome outcome) {
  const int max_tries = config_.policy.options().max_tries;
  // Tries end in the order they were sent unless one fails early (a
  // refused query), so a waiter is done when its last try was sent and no
  // try of its range is still open.
  int oldest_open = flight.tries + 1;
  for (uint64_t try_id : flight.open_tries) {
    auto it = tries_.find(try_id);
    if (it != tries_.end())
      oldest_open = std::min(oldest_open, it->second.index);
  }
  auto exhausted = [&](const Waiter& w) {
    const int last = w.tries_base + max_tries;
    return flight.tries >= last && oldest_open > last;
  };
  bool all = true;
  bool any = false;
  for (const Waiter& w : flight.waiters) {
    const bool done = exhausted(w);
    all = all && done;
    any = any || done;
  }
  // All exhausted: the flight ends and FinishFlight delivers to everyone.
  if (all) return true;
  if (!any) return false;
  std::vector<Waiter> done = flight.TakeWaitersIf(exhausted);
  for (Waiter& w : done) {
    Complete(w, flight.type, &flight, outcome, nullptr, false);
  }
  return false;
}

void ResolverLoop::OnWaiterDeadlines(uint64_t flight_id) {
  Flight* flight = table_.Find(flight_id);
  if (flight == nullptr) return;
  flight->waiter_timer = 0;
  const absl::Time now = absl::Now();
  // Mid-try the caller saw a timeout; between tries it gets what the last
  // try got; before any try, the deadline itself.
  const Outcome outcome = !flight->open_tries.empty() ? Outcome::kTimeout
                          : flight->tries > 0         ? flight->last_outcome
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
  timers_.Cancel(flight->hedge_timer);
  timers_.Cancel(flight->backoff_timer);
  timers_.Cancel(flight->waiter_timer);
  // Open tries keep their records (and channel slots) until their answer
  // or their own end: c-ares still waits for them, and a late answer still
  // teaches the estimator.
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

void ResolverLoop::LogFailedTry(const Flight& flight, const TryRecord& record,
                                Outcome outcome, absl::Duration rtt) {
  int64_t suppressed = 0;
  if (!failed_try_log_.Allow(absl::Now(), &suppressed)) return;
  // A JSON line like every other: operators search these by dnsOutcome and
  // queryName, the same names the problem documents use.
  common::JsonFields fields;
  fields.Str("resolver", config_.servers[record.resolver].configured)
      .Str("queryName", flight.qname)
      .Str("queryType", dnswire::RRTypeName(flight.type))
      .Str("dnsOutcome", OutcomeName(outcome))
      .Int("try", record.index)
      .Num("rttMs", absl::ToDoubleMilliseconds(rtt));
  if (suppressed > 0) fields.Int("notLoggedBefore", suppressed);
  common::Log("warning", "DNS try failed", fields);
}

}  // namespace acmeva::va::dns
