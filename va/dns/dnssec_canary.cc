#include "va/dns/dnssec_canary.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/json_log.h"
#include "common/string_view_bridge.h"
#include "dnswire/name.h"
#include "va/dns/cares_resolver.h"
#include "va/dns/dns_message.h"

namespace acmeva::va::dns {
namespace {

// OutcomeName as an absl::string_view, which StrCat wants.
absl::string_view Name(Outcome outcome) { return Av(OutcomeName(outcome)); }

// What a lookup got, for the log line: outcome, AD bit and EDE.
std::string Describe(const LookupResult& r) {
  std::string out =
      absl::StrCat(Name(r.outcome), " AD=", r.authenticated_data ? 1 : 0);
  if (r.ede.present()) {
    absl::StrAppend(&out, " EDE=", r.ede.code);
    if (!r.ede.text.empty()) absl::StrAppend(&out, " (", r.ede.text, ")");
  }
  return out;
}

}  // namespace

CanaryVerdict JudgeCanary(LookupResult signed_answer,
                          LookupResult bogus_answer) {
  CanaryVerdict v;
  if (signed_answer.outcome != Outcome::kNoError) {
    v.reason =
        absl::StrCat("the signed name failed: ", Name(signed_answer.outcome));
  } else if (!signed_answer.authenticated_data) {
    v.reason = "the signed name came back without AD=1 (not validated)";
  } else if (bogus_answer.outcome != Outcome::kServFail) {
    v.reason = absl::StrCat(
        "the bogus name was not SERVFAIL but ", Name(bogus_answer.outcome),
        bogus_answer.ok() ? " (a forged answer would be accepted)" : "");
  }
  v.validating = v.reason.empty();
  v.signed_answer = std::move(signed_answer);
  v.bogus_answer = std::move(bogus_answer);
  return v;
}

absl::StatusOr<std::unique_ptr<DnssecCanary>> DnssecCanary::Create(
    DnssecCanaryOptions options, common::MetricsRegistry* metrics) {
  if (options.servers.empty()) {
    return absl::InvalidArgumentError("no DNS resolvers to check");
  }
  for (const std::string* name : {&options.signed_name, &options.bogus_name}) {
    if (name->empty() ||
        !ValidateQueryName(dnswire::NormalizeName(*name)).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a DNS name: \"", *name, "\""));
    }
  }
  if (options.interval < absl::Seconds(1) ||
      options.interval == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval must be at least 1s and finite, got ",
                     absl::FormatDuration(options.interval)));
  }
  std::unique_ptr<DnssecCanary> canary(
      new DnssecCanary(std::move(options), metrics));
  // One single-server resolver per configured resolver: a verdict must be
  // about that resolver alone (no failover), and never touched by the
  // rotation it decides.
  for (const std::string& server : canary->options_.servers) {
    CaresResolverOptions o;
    o.servers = {server};
    o.retry.max_tries = 2;  // one lost datagram is not a verdict
    o.retry.per_try_timeout = canary->options_.timeout / 2;
    o.retry.min_try_timeout =
        std::min(o.retry.min_try_timeout, o.retry.per_try_timeout);
    o.budget.enabled = false;
    o.log_failed_tries = false;
    o.socket_buffer_bytes = 0;
    auto resolver = CaresResolver::Create(o);
    if (!resolver.ok()) return resolver.status();
    canary->probes_.push_back(*std::move(resolver));
  }
  return canary;
}

DnssecCanary::DnssecCanary(DnssecCanaryOptions options,
                           common::MetricsRegistry* metrics)
    : options_(std::move(options)), health_(options_.servers.size()) {
  if (metrics != nullptr) {
    gauge_ = metrics->Gauge(
        "dns_resolver_dnssec_validating",
        "1 when the resolver passed the last DNSSEC canary (AD=1 for the "
        "signed name, SERVFAIL for the bogus one) and is in the rotation",
        {"resolver"});
  }
}

DnssecCanary::~DnssecCanary() { Stop(); }

void DnssecCanary::OnChecked(absl::AnyInvocable<void(size_t)> callback) {
  on_checked_ = std::move(callback);
}

CanaryVerdict DnssecCanary::Probe(size_t index) {
  // Both names at once; each callback fills its slot.
  struct Pending {
    absl::Mutex mu;
    int left = 2;
    LookupResult results[2];
  };
  auto pending = std::make_shared<Pending>();
  const absl::Time deadline = absl::Now() + options_.timeout;
  const std::string names[2] = {options_.signed_name, options_.bogus_name};
  for (int i = 0; i < 2; ++i) {
    probes_[index]->Lookup(std::string(dnswire::NormalizeName(names[i])),
                           options_.type, deadline,
                           [pending, i](LookupResult r) {
                             absl::MutexLock lock(&pending->mu);
                             pending->results[i] = std::move(r);
                             --pending->left;
                           });
  }
  absl::MutexLock lock(&pending->mu);
  pending->mu.Await(absl::Condition(
      +[](int* left) { return *left == 0; }, &pending->left));
  return JudgeCanary(std::move(pending->results[0]),
                     std::move(pending->results[1]));
}

size_t DnssecCanary::CheckNow() {
  // Probe() blocks, so each resolver gets a thread: a dead one costs the
  // check its timeout once, not once per resolver.
  std::vector<CanaryVerdict> verdicts(probes_.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < probes_.size(); ++i) {
    threads.emplace_back([this, i, &verdicts] { verdicts[i] = Probe(i); });
  }
  for (std::thread& t : threads) t.join();

  size_t validating = 0;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    const CanaryVerdict& v = verdicts[i];
    const std::string& server = options_.servers[i];
    const bool was = health_.Usable(i);
    health_.SetUsable(i, v.validating);
    if (gauge_ != nullptr) gauge_->Set({server}, v.validating ? 1 : 0);
    validating += v.validating ? 1 : 0;
    if (!v.validating || !was) {
      common::JsonFields f;
      f.Str("resolver", server)
          .Bool("validating", v.validating)
          .Str("signedName", options_.signed_name)
          .Str("signedAnswer", Describe(v.signed_answer))
          .Str("bogusName", options_.bogus_name)
          .Str("bogusAnswer", Describe(v.bogus_answer));
      if (!v.validating) f.Str("reason", v.reason);
      common::Log(v.validating ? "info" : "error",
                  v.validating ? "DNSSEC canary passed: resolver back in the "
                                 "rotation"
                               : "DNSSEC canary failed: resolver taken out of "
                                 "the rotation",
                  f);
    }
  }
  if (validating == 0) {
    common::JsonFields f;
    f.Strs("resolvers", options_.servers);
    common::Log("error",
                "No resolver validates DNSSEC: every validation fails closed "
                "and gRPC health is NOT_SERVING until one does",
                f);
  }
  if (on_checked_) on_checked_(validating);
  return validating;
}

void DnssecCanary::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
      CheckNow();
    }
  });
}

void DnssecCanary::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace acmeva::va::dns
