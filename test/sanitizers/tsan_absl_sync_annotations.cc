// ThreadSanitizer builds only (VA_TSAN): makes Debian's absl::Mutex,
// absl::CondVar, absl::Notification and absl::BlockingCounter visible to TSan.
//
// Debian's libabsl_synchronization.so is not built with -fsanitize=thread, so
// its lock words are updated by code TSan never sees: without help every
// absl::Mutex looks like no synchronization at all and TSan reports a race on
// everything it protects. This file defines the same (non-inline) member
// functions as the shared library. The executable's definitions interpose on
// the library's for every caller (our code, gRPC's gpr_mu, and absl's own
// internal calls, which go through the PLT); each one calls the library's
// implementation (found with dlsym(RTLD_NEXT)) between the __tsan_mutex_*
// annotations that absl itself would have made had it been built with TSan.
// Nothing else in the code base changes.
#include "absl/base/config.h"

#if defined(ABSL_HAVE_THREAD_SANITIZER)

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#define VA_TSAN_STR_(x) #x
#define VA_TSAN_STR(x) VA_TSAN_STR_(x)

namespace {

// The library's definition of the absl member whose Itanium mangled name is
// "_ZN4absl" + <inline namespace> + `rest` (or "_ZNK4absl..." when `is_const`).
template <typename Fn>
Fn Real(const char* rest, bool is_const = false) {
  const std::string ns = VA_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = std::string(is_const ? "_ZNK4absl" : "_ZN4absl") +
                           std::to_string(ns.size()) + ns + rest;
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    // Failing loudly: a silently unannotated Mutex would make TSan lie.
    std::fprintf(stderr, "tsan_absl_sync_annotations: %s not found\n",
                 name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

// absl::Notification keeps its flag right after its Mutex; HasBeenNotified()
// is inline (instrumented, an acquire load of the flag), Notify() is not.
void* NotifiedFlag(const absl::Notification* n) {
  static_assert(sizeof(absl::Notification) == 2 * sizeof(absl::Mutex));
  return const_cast<char*>(reinterpret_cast<const char*>(n) +
                           sizeof(absl::Mutex));
}

// Some library functions call others of this file through the PLT (e.g.
// LockWhenWithTimeout calls LockWhenWithDeadline, CondVar::WaitWithTimeout
// calls WaitWithDeadline); only the outermost call is annotated, or TSan
// would count one lock twice.
thread_local int annotating_depth = 0;

class Outermost {
 public:
  Outermost() : outermost_(annotating_depth++ == 0) {}
  ~Outermost() { --annotating_depth; }
  Outermost(const Outermost&) = delete;
  Outermost& operator=(const Outermost&) = delete;
  explicit operator bool() const { return outermost_; }

 private:
  const bool outermost_;
};

// Annotations for a lock taken (pre/post) and released (pre/post) by the
// library call between them; no-ops unless `outer`.
void PreLock(void* mu, unsigned flags, const Outermost& outer) {
  if (outer) __tsan_mutex_pre_lock(mu, flags);
}

void PostLock(void* mu, unsigned flags, const Outermost& outer) {
  if (outer) __tsan_mutex_post_lock(mu, flags, 0);
}

void PreUnlock(void* mu, unsigned flags, const Outermost& outer) {
  if (outer) __tsan_mutex_pre_unlock(mu, flags);
}

void PostUnlock(void* mu, unsigned flags, const Outermost& outer) {
  if (outer) __tsan_mutex_post_unlock(mu, flags);
}

// A wait that releases `mu` and retakes it inside the library (not through
// the functions below) is annotated as an unlock, then a lock that spans the
// wait: TSan ignores the accesses between pre- and post-lock, which covers
// the waiter's condition, evaluated by absl under the real lock.
void BeforeWait(void* mu, const Outermost& outer) {
  PreUnlock(mu, 0, outer);
  PostUnlock(mu, 0, outer);
  PreLock(mu, 0, outer);
}

void AfterWait(void* mu, const Outermost& outer) { PostLock(mu, 0, outer); }

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static auto real = Real<void (*)(Mutex*)>("5MutexD2Ev");
  __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  const Outermost outer;
  PreLock(this, 0, outer);
  real(this);
  PostLock(this, 0, outer);
}

void Mutex::ReaderLock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  const Outermost outer;
  PreLock(this, __tsan_mutex_read_lock, outer);
  real(this);
  PostLock(this, __tsan_mutex_read_lock, outer);
}

bool Mutex::TryLock() {
  static auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  const Outermost outer;
  PreLock(this, __tsan_mutex_try_lock, outer);
  const bool locked = real(this);
  PostLock(this,
           locked ? __tsan_mutex_try_lock
                  : __tsan_mutex_try_lock | __tsan_mutex_try_lock_failed,
           outer);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  const Outermost outer;
  PreLock(this, __tsan_mutex_try_read_lock, outer);
  const bool locked = real(this);
  PostLock(
      this,
      locked ? __tsan_mutex_try_read_lock : __tsan_mutex_try_read_lock_failed,
      outer);
  return locked;
}

void Mutex::Unlock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  const Outermost outer;
  PreUnlock(this, 0, outer);
  real(this);
  PostUnlock(this, 0, outer);
}

void Mutex::ReaderUnlock() {
  static auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  const Outermost outer;
  PreUnlock(this, __tsan_mutex_read_lock, outer);
  real(this);
  PostUnlock(this, __tsan_mutex_read_lock, outer);
}

// LockWhen*: a lock (possibly after waiting); absl evaluates the condition
// with the lock held, inside the annotated region.
void Mutex::LockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex8LockWhenERKNS0_9ConditionE");
  const Outermost outer;
  PreLock(this, 0, outer);
  real(this, cond);
  PostLock(this, 0, outer);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Outermost outer;
  PreLock(this, 0, outer);
  const bool met = real(this, cond, timeout);
  PostLock(this, 0, outer);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Outermost outer;
  PreLock(this, 0, outer);
  const bool met = real(this, cond, deadline);
  PostLock(this, 0, outer);
  return met;
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  const Outermost outer;
  PreLock(this, __tsan_mutex_read_lock, outer);
  real(this, cond);
  PostLock(this, __tsan_mutex_read_lock, outer);
}

void Mutex::Await(const Condition& cond) {
  static auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex5AwaitERKNS0_9ConditionE");
  const Outermost outer;
  BeforeWait(this, outer);
  real(this, cond);
  AfterWait(this, outer);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Outermost outer;
  BeforeWait(this, outer);
  const bool met = real(this, cond, timeout);
  AfterWait(this, outer);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Outermost outer;
  BeforeWait(this, outer);
  const bool met = real(this, cond, deadline);
  AfterWait(this, outer);
  return met;
}

// absl's CondVar needs a writer-held mutex.
void CondVar::Wait(Mutex* mu) {
  static auto real =
      Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  const Outermost outer;
  BeforeWait(mu, outer);
  real(this, mu);
  AfterWait(mu, outer);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  const Outermost outer;
  BeforeWait(mu, outer);
  const bool timed_out = real(this, mu, timeout);
  AfterWait(mu, outer);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  const Outermost outer;
  BeforeWait(mu, outer);
  const bool timed_out = real(this, mu, deadline);
  AfterWait(mu, outer);
  return timed_out;
}

// Notification: Notify() publishes with a release store the library makes;
// the waits (and the inline HasBeenNotified()) acquire it.
void Notification::Notify() {
  static auto real = Real<void (*)(Notification*)>("12Notification6NotifyEv");
  __tsan_release(NotifiedFlag(this));
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real = Real<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv", /*is_const=*/true);
  real(this);
  __tsan_acquire(NotifiedFlag(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static auto real = Real<bool (*)(const Notification*, Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
      /*is_const=*/true);
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(NotifiedFlag(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static auto real = Real<bool (*)(const Notification*, Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
      /*is_const=*/true);
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(NotifiedFlag(this));
  return notified;
}

// BlockingCounter: all but the last DecrementCount() only touch an atomic
// inside the library, so each one releases and Wait() acquires.
bool BlockingCounter::DecrementCount() {
  static auto real =
      Real<bool (*)(BlockingCounter*)>("15BlockingCounter14DecrementCountEv");
  __tsan_release(this);
  return real(this);
}

void BlockingCounter::Wait() {
  static auto real =
      Real<void (*)(BlockingCounter*)>("15BlockingCounter4WaitEv");
  real(this);
  __tsan_acquire(this);
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // defined(ABSL_HAVE_THREAD_SANITIZER)
