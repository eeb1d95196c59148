#include "dnstestsrv/record_store.h"

#include <utility>

namespace acmeva::dnstestsrv {

using ::acmeva::dnswire::AaaaRecord;
using ::acmeva::dnswire::ARecord;
using ::acmeva::dnswire::CaaRecord;
using ::acmeva::dnswire::CanonicalName;
using ::acmeva::dnswire::TxtRecord;

bool NameRecords::IsEmpty() const {
  return txt.empty() && caa.empty() && a.empty() && aaaa.empty() &&
         !cname.has_value() && !servfail && !nxdomain && !authenticated;
}

std::shared_ptr<const NameRecords> RecordStore::Find(
    absl::string_view name) const {
  return FindCanonical(CanonicalName(name));
}

std::shared_ptr<const NameRecords> RecordStore::FindCanonical(
    const std::string& canonical_name) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = names_.find(canonical_name);
  if (it == names_.end()) return nullptr;
  return it->second;
}

void RecordStore::Update(absl::string_view name,
                         absl::FunctionRef<void(NameRecords&)> fn) {
  std::string key = CanonicalName(name);
  absl::MutexLock lock(&mu_);
  auto it = names_.find(key);
  auto updated = it == names_.end()
                     ? std::make_shared<NameRecords>()
                     : std::make_shared<NameRecords>(*it->second);
  fn(*updated);
  if (updated->IsEmpty()) {
    if (it != names_.end()) names_.erase(it);
  } else if (it != names_.end()) {
    it->second = std::move(updated);
  } else {
    names_.emplace(std::move(key), std::move(updated));
  }
}

void RecordStore::AddTxt(absl::string_view name, TxtRecord record) {
  Update(name, [&](NameRecords& r) { r.txt.push_back(std::move(record)); });
}
void RecordStore::ClearTxt(absl::string_view name) {
  Update(name, [](NameRecords& r) { r.txt.clear(); });
}
void RecordStore::AddCaa(absl::string_view name, CaaRecord record) {
  Update(name, [&](NameRecords& r) { r.caa.push_back(std::move(record)); });
}
void RecordStore::ClearCaa(absl::string_view name) {
  Update(name, [](NameRecords& r) { r.caa.clear(); });
}
void RecordStore::AddA(absl::string_view name, ARecord record) {
  Update(name, [&](NameRecords& r) { r.a.push_back(record); });
}
void RecordStore::ClearA(absl::string_view name) {
  Update(name, [](NameRecords& r) { r.a.clear(); });
}
void RecordStore::AddAaaa(absl::string_view name, AaaaRecord record) {
  Update(name, [&](NameRecords& r) { r.aaaa.push_back(record); });
}
void RecordStore::ClearAaaa(absl::string_view name) {
  Update(name, [](NameRecords& r) { r.aaaa.clear(); });
}
void RecordStore::SetCname(absl::string_view name, absl::string_view target) {
  std::string canonical = CanonicalName(target);
  Update(name, [&](NameRecords& r) { r.cname = std::move(canonical); });
}
void RecordStore::ClearCname(absl::string_view name) {
  Update(name, [](NameRecords& r) { r.cname.reset(); });
}
void RecordStore::SetServfail(absl::string_view name, bool on) {
  Update(name, [on](NameRecords& r) { r.servfail = on; });
}
void RecordStore::SetNxdomain(absl::string_view name, bool on) {
  Update(name, [on](NameRecords& r) { r.nxdomain = on; });
}
void RecordStore::SetAuthenticated(absl::string_view name, bool on) {
  Update(name, [on](NameRecords& r) { r.authenticated = on; });
}

void RecordStore::Clear() {
  absl::MutexLock lock(&mu_);
  names_.clear();
}

size_t RecordStore::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return names_.size();
}

}  // namespace acmeva::dnstestsrv
