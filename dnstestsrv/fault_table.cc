#include "dnstestsrv/fault_table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "dnswire/message.h"

namespace acmeva::dnstestsrv {

using ::acmeva::dnswire::CanonicalName;

absl::string_view TransportName(Transport transport) {
  return transport == Transport::kUdp ? "udp" : "tcp";
}

namespace {
constexpr FaultMode kModes[] = {FaultMode::kDrop,     FaultMode::kDelay,
                                FaultMode::kServfail, FaultMode::kRefused,
                                FaultMode::kNxdomain, FaultMode::kTruncate};
}  // namespace

absl::string_view FaultModeName(FaultMode mode) {
  switch (mode) {
    case FaultMode::kDrop:
      return "drop";
    case FaultMode::kDelay:
      return "delay";
    case FaultMode::kServfail:
      return "servfail";
    case FaultMode::kRefused:
      return "refused";
    case FaultMode::kNxdomain:
      return "nxdomain";
    case FaultMode::kTruncate:
      return "truncate";
  }
  return "unknown";
}

std::optional<FaultMode> FaultModeFromString(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  for (FaultMode mode : kModes) {
    if (FaultModeName(mode) == lower) return mode;
  }
  return std::nullopt;
}

FaultTable::FaultTable(uint64_t seed) : random_(seed) {}

void FaultTable::Set(FaultSpec spec) {
  if (spec.count.has_value() && *spec.count == 0) return;  // already used up
  spec.host = CanonicalName(spec.host);
  absl::MutexLock lock(&mu_);
  std::vector<FaultSpec>& list = faults_[spec.host];
  auto same = std::find_if(list.begin(), list.end(), [&](const FaultSpec& f) {
    return f.type == spec.type;
  });
  if (same != list.end()) {
    *same = std::move(spec);
  } else {
    list.push_back(std::move(spec));
    size_.fetch_add(1, std::memory_order_relaxed);
  }
}

size_t FaultTable::Clear(absl::string_view host) {
  absl::MutexLock lock(&mu_);
  auto it = faults_.find(CanonicalName(host));
  if (it == faults_.end()) return 0;
  size_t n = it->second.size();
  faults_.erase(it);
  size_.fetch_sub(n, std::memory_order_relaxed);
  return n;
}

void FaultTable::ClearAll() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
  size_.store(0, std::memory_order_relaxed);
}

std::optional<FaultHit> FaultTable::Match(const std::string& canonical_name,
                                          dnswire::RRType qtype,
                                          Transport transport) {
  if (size_.load(std::memory_order_relaxed) == 0) return std::nullopt;
  absl::MutexLock lock(&mu_);
  // Type-specific first; a miss on it (probability) still lets the
  // all-types fault apply.
  for (bool specific : {true, false}) {
    auto it = faults_.find(canonical_name);
    if (it == faults_.end()) return std::nullopt;
    std::vector<FaultSpec>& list = it->second;
    auto f = std::find_if(list.begin(), list.end(), [&](const FaultSpec& f) {
      if (specific ? f.type != qtype : f.type.has_value()) return false;
      return f.mode != FaultMode::kTruncate || transport == Transport::kUdp;
    });
    if (f == list.end()) continue;
    bool hit =
        f->probability >= 1.0 ||
        (f->probability > 0.0 && std::uniform_real_distribution<double>(
                                     0.0, 1.0)(random_) < f->probability);
    FaultHit result{f->mode, f->delay};
    if (f->count.has_value() && --*f->count == 0) {
      list.erase(f);
      size_.fetch_sub(1, std::memory_order_relaxed);
      if (list.empty()) faults_.erase(it);
    }
    if (hit) return result;
  }
  return std::nullopt;
}

std::vector<FaultSpec> FaultTable::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<FaultSpec> out;
  for (const auto& [host, list] : faults_) {
    out.insert(out.end(), list.begin(), list.end());
  }
  return out;
}

}  // namespace acmeva::dnstestsrv
