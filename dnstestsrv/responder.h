// Turns one received DNS message into what the server should do: the bytes
// to send, after which delay, or nothing at all. Independent of sockets, so
// the answer logic (CNAME chains, negative answers, faults) is unit tested
// without a network.
#ifndef DNSTESTSRV_RESPONDER_H_
#define DNSTESTSRV_RESPONDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dnstestsrv/fault_table.h"
#include "dnstestsrv/record_store.h"
#include "dnstestsrv/request_history.h"
#include "dnswire/message.h"

namespace acmeva::dnstestsrv {

struct ResponderOptions {
  uint32_t ttl = 0;  // 0: resolvers in front of us never cache test data
  // Largest UDP answer; a client's larger EDNS size is capped to this.
  size_t max_udp_size = 1232;
  int max_cname_chain = 8;
  std::string soa_mname = "ns.dnstestsrv.invalid";
  std::string soa_rname = "hostmaster.dnstestsrv.invalid";
};

struct Reply {
  bool drop = false;  // send nothing
  absl::Duration delay = absl::ZeroDuration();
  std::vector<uint8_t> bytes;
};

class Responder {
 public:
  // `history` may be null (history off).
  Responder(const RecordStore* store, FaultTable* faults,
            RequestHistory* history, ResponderOptions options = {});

  // `client` is only recorded in the history ("ip:port").
  Reply Handle(const uint8_t* data, size_t size, Transport transport,
               absl::string_view client = "") const;

  // Whether Handle() keeps a history (so callers may skip formatting the
  // client address on the hot path).
  bool records_history() const { return history_ != nullptr; }

  // The answer from the records alone, without faults (exposed for tests).
  dnswire::Response Resolve(const dnswire::Query& query,
                            const std::string& canonical) const;

 private:
  dnswire::ResourceRecord Soa(absl::string_view name) const;

  const RecordStore* store_;
  FaultTable* faults_;
  RequestHistory* history_;
  ResponderOptions options_;
};

// The owner name for the SOA of a negative answer about `canonical_name`:
// its last two labels (example.com for _acme-challenge.www.example.com),
// which keeps it inside the bailiwick of a recursor's stub zone.
std::string SoaOwner(absl::string_view canonical_name);

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_RESPONDER_H_
