#include "ra/authz_waiters.h"

#include <utility>

namespace acmeva::ra {

uint64_t AuthzWaiters::Add(int64_t id, Wake wake) {
  absl::MutexLock lock(&mu_);
  const uint64_t handle = next_handle_++;
  waiters_[id][handle] = std::move(wake);
  return handle;
}

void AuthzWaiters::Remove(int64_t id, uint64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  it->second.erase(handle);
  if (it->second.empty()) waiters_.erase(it);
}

void AuthzWaiters::Notify(int64_t id) {
  std::vector<Wake> wakes;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;
    for (auto& [handle, wake] : it->second) wakes.push_back(wake);
  }
  for (Wake& wake : wakes) wake();
}

void AuthzWaiters::NotifyAll() {
  std::vector<Wake> wakes;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, by_handle] : waiters_) {
      for (auto& [handle, wake] : by_handle) wakes.push_back(wake);
    }
  }
  for (Wake& wake : wakes) wake();
}

size_t AuthzWaiters::size() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [id, by_handle] : waiters_) n += by_handle.size();
  return n;
}

}  // namespace acmeva::ra
