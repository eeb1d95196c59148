#include "va/dns/cares_resolver.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dnswire/name.h"
#include "va/dns/cares_channel.h"
#include "va/dns/dns_message.h"
#include "va/dns/resolver_loop.h"

namespace acmeva::va::dns {
namespace {

constexpr int kMaxLoopThreads = 64;

DnsObserver* NoopObserver() {
  static DnsObserver* observer = new DnsObserver();
  return observer;
}

}  // namespace

// The configuration the loops share; it lives as long as the resolver.
struct CaresResolver::Shared {
  LoopConfig config;
};

absl::StatusOr<std::unique_ptr<CaresResolver>> CaresResolver::Create(
    CaresResolverOptions options) {
  if (options.servers.empty()) {
    return absl::InvalidArgumentError("no DNS resolvers configured");
  }
  std::vector<ServerAddress> servers;
  for (const std::string& text : options.servers) {
    absl::StatusOr<ServerAddress> server = ParseServerAddress(text);
    if (!server.ok()) return server.status();
    servers.push_back(*std::move(server));
  }
  if (options.loop_threads < 1 || options.loop_threads > kMaxLoopThreads) {
    return absl::InvalidArgumentError(absl::StrCat("loop_threads must be 1..",
                                                   kMaxLoopThreads, ", got ",
                                                   options.loop_threads));
  }
  if (absl::Status s = ValidateRetryPolicyOptions(options.retry); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateRetryBudgetOptions(options.budget); !s.ok()) {
    return s;
  }
  if (options.edns_udp_size < 512) {
    return absl::InvalidArgumentError("edns_udp_size must be >= 512");
  }
  if (options.socket_buffer_bytes < 0) {
    return absl::InvalidArgumentError("socket_buffer_bytes must be >= 0");
  }
  if (options.max_queries_in_flight_per_resolver < 1) {
    return absl::InvalidArgumentError(
        "max_queries_in_flight_per_resolver must be >= 1");
  }
  if (absl::Status s = InitCaresLibraryOnce(); !s.ok()) return s;

  std::unique_ptr<CaresResolver> resolver(new CaresResolver(options));
  LoopConfig& config = resolver->shared_->config;
  config.servers = std::move(servers);
  config.policy = RetryPolicy(options.retry);
  config.rtt = options.rtt;
  config.edns_udp_size = options.edns_udp_size;
  config.socket_buffer_bytes = options.socket_buffer_bytes;
  config.max_in_flight_per_channel = options.max_queries_in_flight_per_resolver;
  config.log_failed_tries = options.log_failed_tries;
  config.observer =
      options.observer != nullptr ? options.observer : NoopObserver();
  config.budget = resolver->budget_.get();
  config.health = options.health;
  for (int i = 0; i < options.loop_threads; ++i) {
    absl::StatusOr<std::unique_ptr<ResolverLoop>> loop =
        ResolverLoop::Create(&config);
    if (!loop.ok()) return loop.status();
    resolver->loops_.push_back(*std::move(loop));
  }
  for (auto& loop : resolver->loops_) loop->Start();
  return resolver;
}

CaresResolver::CaresResolver(CaresResolverOptions options)
    : options_(std::move(options)),
      shared_(std::make_unique<Shared>()),
      budget_(std::make_unique<RetryBudget>(options_.budget)) {}

CaresResolver::~CaresResolver() { Shutdown(); }

void CaresResolver::Lookup(std::string name, RRType type, absl::Time deadline,
                           LookupCallback done) {
  const absl::Time start = absl::Now();
  // NormalizeName only ever strips one trailing dot: do it in place.
  name.resize(dnswire::NormalizeName(name).size());
  // Identical lookups must land on the same loop to be coalesced.
  size_t shard = 0;
  if (loops_.size() > 1) {
    shard = absl::Hash<std::pair<std::string, uint16_t>>{}(
                {absl::AsciiStrToLower(name), static_cast<uint16_t>(type)}) %
            loops_.size();
  }
  ResolverLoop::Request request{std::move(name), type, start, deadline,
                                std::move(done)};
  if (loops_[shard]->Post(request)) return;
  LookupResult result;
  result.name = std::move(request.name);
  result.type = type;
  result.outcome = Outcome::kCanceled;
  result.elapsed = absl::Now() - start;
  std::move(request.done)(std::move(result));
}

void CaresResolver::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& loop : loops_) loop->Stop();
}

}  // namespace acmeva::va::dns
