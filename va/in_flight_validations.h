// The validations started and not yet answered. A drain that runs out of
// time (--drain-timeout) audits each one it abandons from here: their
// callers get CANCELLED, and the record must say which validations those
// were.
#ifndef VA_IN_FLIGHT_VALIDATIONS_H_
#define VA_IN_FLIGHT_VALIDATIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace acmeva::va {

class InFlightValidations {
 public:
  struct Validation {
    std::string kind;  // "dcv" or "caa"
    std::string identifier;
    std::string method;
    int64_t authz_id = 0;
    int64_t account_id = 0;
    absl::Time start;
  };

  // Returns the handle to pass to Remove() once the validation is answered.
  uint64_t Add(Validation validation);
  void Remove(uint64_t handle);
  // Those not yet removed, oldest first.
  std::vector<Validation> Snapshot() const;

 private:
  mutable absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Validation> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::va

#endif  // VA_IN_FLIGHT_VALIDATIONS_H_
