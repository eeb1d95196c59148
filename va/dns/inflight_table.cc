#include "va/dns/inflight_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace acmeva::va::dns {
namespace {

// Lower-cases `name` into `buf` when it fits, else into `heap`.
absl::string_view Lowered(absl::string_view name, char* buf, size_t buf_size,
                          std::string& heap) {
  if (name.size() > buf_size) {
    heap = absl::AsciiStrToLower(name);
    return heap;
  }
  for (size_t i = 0; i < name.size(); ++i)
    buf[i] = absl::ascii_tolower(name[i]);
  return absl::string_view(buf, name.size());
}

}  // namespace

Flight* InFlightTable::FindLowered(KeyRef key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

InFlightTable::JoinResult InFlightTable::Join(RRType type, Waiter waiter) {
  const absl::string_view name = waiter.name;  // moved from only at the end
  char buf[kMaxLoweredOnStack];
  std::string heap;
  const absl::string_view lowered = Lowered(name, buf, sizeof(buf), heap);
  Flight* flight = FindLowered({lowered, type});
  const bool created = flight == nullptr;
  if (created) {
    auto owned = std::make_unique<Flight>();
    flight = owned.get();
    flight->id = next_id_++;
    flight->qname = std::string(name);
    flight->key = std::string(lowered);
    flight->type = type;
    // The map's key points into the flight's own copy, which lives (and
    // stays unchanged) as long as the flight is in the table.
    by_key_.emplace(KeyRef{flight->key, type}, flight);
    by_id_.emplace(flight->id, std::move(owned));
    waiter.tries_base = 0;
  } else {
    // Tries in progress count for the joiner: their answers are its too.
    waiter.tries_base =
        flight->tries - static_cast<int>(flight->open_tries.size());
  }
  flight->deadline = std::max(flight->deadline, waiter.deadline);
  flight->waiters.push_back(std::move(waiter));
  return {flight, created};
}

Flight* InFlightTable::Find(uint64_t flight_id) {
  auto it = by_id_.find(flight_id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

Flight* InFlightTable::Find(absl::string_view name, RRType type) {
  char buf[kMaxLoweredOnStack];
  std::string heap;
  return FindLowered({Lowered(name, buf, sizeof(buf), heap), type});
}

std::vector<Waiter> Flight::TakeWaitersIf(
    absl::FunctionRef<bool(const Waiter&)> pred) {
  std::vector<Waiter> taken;
  for (size_t i = 0; i < waiters.size();) {
    if (!pred(waiters[i])) {
      ++i;
      continue;
    }
    taken.push_back(std::move(waiters[i]));
    // Order among waiters does not matter: swap-and-pop.
    if (i + 1 != waiters.size()) waiters[i] = std::move(waiters.back());
    waiters.pop_back();
  }
  return taken;
}

std::unique_ptr<Flight> InFlightTable::Remove(uint64_t flight_id) {
  auto it = by_id_.find(flight_id);
  if (it == by_id_.end()) return nullptr;
  std::unique_ptr<Flight> flight = std::move(it->second);
  by_id_.erase(it);
  // Erased before the flight (which owns the key's characters) can go.
  by_key_.erase(KeyRef{flight->key, flight->type});
  return flight;
}

std::vector<std::unique_ptr<Flight>> InFlightTable::RemoveAll() {
  std::vector<std::unique_ptr<Flight>> out;
  out.reserve(by_id_.size());
  by_key_.clear();
  for (auto& [id, flight] : by_id_) out.push_back(std::move(flight));
  by_id_.clear();
  return out;
}

}  // namespace acmeva::va::dns
