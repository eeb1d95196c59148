#include "va/in_flight_validations.h"

#include <algorithm>
#include <utility>

namespace acmeva::va {

uint64_t InFlightValidations::Add(Validation validation) {
  absl::MutexLock lock(&mu_);
  const uint64_t handle = next_++;
  calls_.emplace(handle, std::move(validation));
  return handle;
}

void InFlightValidations::Remove(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  calls_.erase(handle);
}

std::vector<InFlightValidations::Validation> InFlightValidations::Snapshot()
    const {
  std::vector<std::pair<uint64_t, Validation>> sorted;
  {
    absl::MutexLock lock(&mu_);
    sorted.assign(calls_.begin(), calls_.end());
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Validation> out;
  out.reserve(sorted.size());
  for (auto& [handle, validation] : sorted)
    out.push_back(std::move(validation));
  return out;
}

}  // namespace acmeva::va
