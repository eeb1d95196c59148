// The zone data the test server answers from: per name, the mocked records
// and flags set through the management API. Readers get an immutable
// snapshot of one name, so the UDP hot path holds the lock only for a hash
// lookup and never copies records.
#ifndef DNSTESTSRV_RECORD_STORE_H_
#define DNSTESTSRV_RECORD_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "dnswire/message.h"

namespace acmeva::dnstestsrv {

struct NameRecords {
  std::vector<dnswire::TxtRecord> txt;
  std::vector<dnswire::CaaRecord> caa;
  std::vector<dnswire::ARecord> a;
  std::vector<dnswire::AaaaRecord> aaaa;
  std::optional<std::string> cname;  // canonical target
  bool servfail = false;             // every query for the name: SERVFAIL
  bool nxdomain = false;             // every query for the name: NXDOMAIN
  // Answers about this name carry AD=1, as a validating resolver would
  // send for a signed zone.
  bool authenticated = false;

  bool IsEmpty() const;
};

class RecordStore {
 public:
  // `name` is any spelling (case, trailing dot); it is canonicalized here.
  std::shared_ptr<const NameRecords> Find(absl::string_view name) const;
  // Same, for a name already in canonical form (the hot path).
  std::shared_ptr<const NameRecords> FindCanonical(
      const std::string& canonical_name) const;

  void AddTxt(absl::string_view name, dnswire::TxtRecord record);
  void ClearTxt(absl::string_view name);
  void AddCaa(absl::string_view name, dnswire::CaaRecord record);
  void ClearCaa(absl::string_view name);
  void AddA(absl::string_view name, dnswire::ARecord record);
  void ClearA(absl::string_view name);
  void AddAaaa(absl::string_view name, dnswire::AaaaRecord record);
  void ClearAaaa(absl::string_view name);
  void SetCname(absl::string_view name, absl::string_view target);
  void ClearCname(absl::string_view name);
  void SetServfail(absl::string_view name, bool on);
  void SetNxdomain(absl::string_view name, bool on);
  void SetAuthenticated(absl::string_view name, bool on);
  void Clear();

  size_t size() const;

 private:
  // Copy-on-write: builds a new snapshot so readers keep theirs.
  void Update(absl::string_view name, absl::FunctionRef<void(NameRecords&)> fn);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const NameRecords>> names_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_RECORD_STORE_H_
