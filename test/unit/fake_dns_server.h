// A scriptable DNS server for tests: one thread serving UDP and TCP on the
// same loopback port (picked by the kernel). It parses each query and
// writes each answer with the project's codec (dnswire/), and answers per
// the script for that (name, type): records, rcode,
// AD bit, dropped queries, truncation, delays, malformed answers. It records
// every query it received so tests can count them and inspect their header.
#ifndef TEST_UNIT_FAKE_DNS_SERVER_H_
#define TEST_UNIT_FAKE_DNS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "va/dns/resolver.h"

namespace acmeva::va::dns::testing {

struct FakeDnsScript {
  enum class Action {
    kAnswer,     // answer per the fields below
    kDrop,       // never answer (a blackhole)
    kMalformed,  // an answer whose answer section is cut short
  };
  Action action = Action::kAnswer;
  // Drop this many queries first, then act (counted per name and type).
  int drop_first = 0;
  // Then answer this many queries malformed (as kMalformed), then act.
  int malformed_first = 0;
  int rcode = 0;
  bool ad = false;
  // Answer records; each TXT RR is a list of character-strings.
  std::vector<std::vector<std::string>> txt;
  std::vector<CaaRecord> caa;
  // If set, the answer starts with "qname CNAME cname" and the records
  // above are owned by `cname` (as a recursor following a CNAME answers).
  std::string cname;
  // Set TC=1 even over TCP (the answer is "still truncated").
  bool truncate_tcp = false;
  // Always set TC=1 over UDP (with no records), whatever the size.
  bool truncate_udp = false;
  // Leave the OPT RR out of the answer even when the query had one (a
  // server that does not speak EDNS).
  bool omit_opt = false;
  // Answer UDP queries this much later.
  absl::Duration delay = absl::ZeroDuration();
};

struct FakeDnsQuery {
  uint16_t id = 0;
  std::string name;  // without the trailing dot, as received
  uint16_t type = 0;
  bool tcp = false;
  bool rd = false;
  bool ad = false;
  bool cd = false;
  bool has_opt = false;
  uint16_t opt_udp_size = 0;
  bool opt_do = false;
  absl::Time when;
};

class FakeDnsServer {
 public:
  // Binds UDP and TCP on `ip` (a loopback literal) and a free port.
  static absl::StatusOr<std::unique_ptr<FakeDnsServer>> Start(
      const std::string& ip = "127.0.0.1");
  ~FakeDnsServer();

  // "127.0.0.1:port" or "[::1]:port".
  std::string address() const;
  uint16_t port() const { return port_; }

  // The script for queries of `name` (no trailing dot, case-insensitive)
  // and `type`. Other queries get the default script (REFUSED).
  void Set(const std::string& name, RRType type, FakeDnsScript script);
  void SetDefault(FakeDnsScript script);

  std::vector<FakeDnsQuery> queries() const;
  int query_count() const;
  int query_count(const std::string& name, RRType type) const;

  // A loopback UDP port with nothing listening (an ICMP port unreachable
  // target), as "127.0.0.1:port".
  static std::string ClosedUdpAddress();

 private:
  struct PendingReply {
    absl::Time when;
    std::vector<uint8_t> bytes;
    std::vector<uint8_t> peer;  // sockaddr storage
  };
  struct TcpConn {
    int fd;
    std::vector<uint8_t> in;
  };

  FakeDnsServer() = default;
  void Run();
  // Returns the reply, or empty to stay silent.
  std::vector<uint8_t> Handle(const uint8_t* data, size_t len, bool tcp,
                              absl::Duration* delay);

  std::string ip_;
  bool v6_ = false;
  uint16_t port_ = 0;
  int udp_fd_ = -1;
  int tcp_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  std::thread thread_;
  std::vector<PendingReply> pending_;  // server thread only
  std::vector<TcpConn> conns_;         // server thread only

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, FakeDnsScript> scripts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> seen_ ABSL_GUARDED_BY(mu_);
  FakeDnsScript default_script_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeDnsQuery> queries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acmeva::va::dns::testing

#endif  // TEST_UNIT_FAKE_DNS_SERVER_H_
