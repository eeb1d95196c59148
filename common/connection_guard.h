// Bounds the memory that gRPC connections can make the process hold, where
// gRPC 1.51 does not: it enforces HTTP/2 MAX_CONCURRENT_STREAMS only once
// the client has acknowledged the server's SETTINGS, so a peer that never
// does can open streams without limit (each a call waiting for its request,
// ~12 KB: 10,000 of them cost 120 MB), and its resource quota does not stop
// them either (measured: 142 MB with a 16 MiB quota).
//
// The guard keeps a duplicate of every accepted connection's descriptor.
// When the heap in use (mallinfo2) passes the limit, it shuts down the
// connection that has sent the most bytes, one per 250 ms: gRPC sees the
// connection end, cancels its calls and frees their memory. Duplicates are
// closed once gRPC has shut its side down (POLLHUP), so each connection
// costs two descriptors while it lasts. Under ASan or TSan, whose
// allocators bypass glibc's, the heap reads near zero and nothing is shed.
#ifndef COMMON_CONNECTION_GUARD_H_
#define COMMON_CONNECTION_GUARD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace acmeva::common {

class ConnectionGuard {
 public:
  // limit_bytes 0 = never shed.
  explicit ConnectionGuard(int64_t limit_bytes) : limit_(limit_bytes) {}
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Tracks a connection about to be handed to gRPC. False if it could not
  // be duplicated (out of descriptors): it is then not tracked.
  bool Track(int fd, std::string peer);

  struct Shed {
    std::string peer;
    uint64_t bytes_received = 0;
    int64_t heap_bytes = 0;
  };
  // Forgets connections gRPC has closed; if the heap in use is over the
  // limit, shuts down the heaviest one and returns it.
  std::vector<Shed> Check();

  size_t tracked() const { return conns_.size(); }
  // Whether the last Check() found the heap over the limit.
  bool over_limit() const { return over_limit_; }

  // Bytes the process has allocated from the heap now (-1: unknown).
  static int64_t HeapInUse();

 private:
  struct Conn {
    int dup_fd;
    std::string peer;
    bool shut_down = false;
  };
  const int64_t limit_;
  std::vector<Conn> conns_;
  // One shed per 250 ms at most: the memory of the last one takes a moment
  // to come back.
  int64_t last_shed_ns_ = 0;
  bool over_limit_ = false;
};

}  // namespace acmeva::common

#endif  // COMMON_CONNECTION_GUARD_H_
