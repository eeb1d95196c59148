#include "va/dns/resolver_health.h"

#include <algorithm>

namespace acmeva::va::dns {

ResolverHealth::ResolverHealth(size_t resolvers)
    : size_(resolvers), usable_(new std::atomic<bool>[resolvers]) {
  for (size_t i = 0; i < size_; ++i) usable_[i].store(true);
}

void ResolverHealth::SetUsable(size_t index, bool usable) {
  if (index < size_) usable_[index].store(usable, std::memory_order_release);
}

bool ResolverHealth::Usable(size_t index) const {
  return index < size_ && usable_[index].load(std::memory_order_acquire);
}

size_t ResolverHealth::UsableCount() const {
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) n += Usable(i) ? 1 : 0;
  return n;
}

void ResolverHealth::KeepUsable(RetryPolicy::ResolverList& order) const {
  const auto unusable = [this](int r) {
    return !Usable(static_cast<size_t>(r));
  };
  if (std::all_of(order.begin(), order.end(), unusable)) return;
  order.erase(std::remove_if(order.begin(), order.end(), unusable),
              order.end());
}

}  // namespace acmeva::va::dns
