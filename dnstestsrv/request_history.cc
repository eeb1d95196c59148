#include "dnstestsrv/request_history.h"

#include <algorithm>
#include <utility>

#include "dnswire/message.h"

namespace acmeva::dnstestsrv {

using ::acmeva::dnswire::CanonicalName;

void RequestHistory::Record(RequestEvent event) {
  if (capacity_ == 0) return;
  absl::MutexLock lock(&mu_);
  if (events_.size() >= capacity_) events_.pop_front();
  events_.push_back(std::move(event));
}

std::vector<RequestEvent> RequestHistory::Get(absl::string_view host) const {
  std::string key = host.empty() ? "" : CanonicalName(host);
  absl::MutexLock lock(&mu_);
  std::vector<RequestEvent> out;
  for (const RequestEvent& e : events_) {
    if (key.empty() || e.canonical == key) out.push_back(e);
  }
  return out;
}

void RequestHistory::Clear(absl::string_view host) {
  absl::MutexLock lock(&mu_);
  if (host.empty()) {
    events_.clear();
    return;
  }
  std::string key = CanonicalName(host);
  events_.erase(
      std::remove_if(events_.begin(), events_.end(),
                     [&](const RequestEvent& e) { return e.canonical == key; }),
      events_.end());
}

}  // namespace acmeva::dnstestsrv
