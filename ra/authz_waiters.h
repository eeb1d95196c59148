// Long polls waiting for authorizations to become final, woken by the
// validation runner when it finalizes one (polls also re-read the store on
// a timer, for results written by another RA instance).
#ifndef RA_AUTHZ_WAITERS_H_
#define RA_AUTHZ_WAITERS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace acmeva::ra {

class AuthzWaiters {
 public:
  using Wake = std::function<void()>;

  // Returns a handle for Remove().
  uint64_t Add(int64_t id, Wake wake);
  void Remove(int64_t id, uint64_t handle);
  // Calls the wake functions of `id` (outside the lock; they must not
  // block).
  void Notify(int64_t id);
  // Wakes everyone (shutdown: answer now).
  void NotifyAll();
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  uint64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<int64_t, absl::flat_hash_map<uint64_t, Wake>> waiters_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::ra

#endif  // RA_AUTHZ_WAITERS_H_
