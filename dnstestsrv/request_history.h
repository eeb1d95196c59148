// A bounded log of the queries the server received, for tests that assert
// "the VA asked for CAA at these names" (Pebble's /dns-request-history).
// Bounded so a long benchmark cannot exhaust memory; the oldest events go.
#ifndef DNSTESTSRV_REQUEST_HISTORY_H_
#define DNSTESTSRV_REQUEST_HISTORY_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dnstestsrv/fault_table.h"
#include "dnswire/rr_type.h"

namespace acmeva::dnstestsrv {

struct RequestEvent {
  absl::Time time;
  std::string name;       // as sent, without trailing dot
  std::string canonical;  // lower-case, for filtering
  dnswire::RRType qtype{};
  uint16_t qclass = 0;
  Transport transport = Transport::kUdp;
  std::string fault;   // FaultModeName of the fault applied, or ""
  std::string client;  // "ip:port"
};

class RequestHistory {
 public:
  explicit RequestHistory(size_t capacity) : capacity_(capacity) {}

  void Record(RequestEvent event);
  // Events for one name (any spelling), oldest first; all for "".
  std::vector<RequestEvent> Get(absl::string_view host) const;
  // Forgets the events of one name; all for "".
  void Clear(absl::string_view host);

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<RequestEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_REQUEST_HISTORY_H_
