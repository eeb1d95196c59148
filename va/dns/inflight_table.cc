#include "va/dns/inflight_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace va::dns {

InFlightTable::Key InFlightTable::MakeKey(absl::string_view name, RRType type) {
  return {absl::AsciiStrToLower(name), type};
}

InFlightTable::JoinResult InFlightTable::Join(absl::string_view name,
                                              RRType type, Waiter waiter) {
  Key key = MakeKey(name, type);
  bool created = false;
  auto [it, inserted] = by_key_.try_emplace(std::move(key), 0);
  if (inserted) {
    auto flight = std::make_unique<Flight>();
    flight->id = next_id_++;
    flight->qname = std::string(name);
    flight->type = type;
    it->second = flight->id;
    by_id_.emplace(flight->id, std::move(flight));
    created = true;
  }
  Flight* flight = by_id_.at(it->second).get();
  flight->deadline = std::max(flight->deadline, waiter.deadline);
  flight->waiters.push_back(std::move(waiter));
  return {flight, created};
}

Flight* InFlightTable::Find(uint64_t flight_id) {
  auto it = by_id_.find(flight_id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

Flight* InFlightTable::Find(absl::string_view name, RRType type) {
  auto it = by_key_.find(MakeKey(name, type));
  return it == by_key_.end() ? nullptr : Find(it->second);
}

std::optional<Waiter> InFlightTable::Leave(uint64_t flight_id,
                                           uint64_t waiter_id) {
  Flight* flight = Find(flight_id);
  if (flight == nullptr) return std::nullopt;
  auto& waiters = flight->waiters;
  auto it = std::find_if(waiters.begin(), waiters.end(),
                         [&](const Waiter& w) { return w.id == waiter_id; });
  if (it == waiters.end()) return std::nullopt;
  Waiter out = std::move(*it);
  // Order among waiters does not matter: swap-and-pop.
  if (it != waiters.end() - 1) *it = std::move(waiters.back());
  waiters.pop_back();
  return out;
}

std::unique_ptr<Flight> InFlightTable::Remove(uint64_t flight_id) {
  auto it = by_id_.find(flight_id);
  if (it == by_id_.end()) return nullptr;
  std::unique_ptr<Flight> flight = std::move(it->second);
  by_id_.erase(it);
  by_key_.erase(MakeKey(flight->qname, flight->type));
  return flight;
}

std::vector<std::unique_ptr<Flight>> InFlightTable::RemoveAll() {
  std::vector<std::unique_ptr<Flight>> out;
  out.reserve(by_id_.size());
  for (auto& [id, flight] : by_id_) out.push_back(std::move(flight));
  by_id_.clear();
  by_key_.clear();
  return out;
}

}  // namespace va::dns
