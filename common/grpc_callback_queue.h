// Works around a teardown race in gRPC 1.51 (Debian 12): on Linux every
// callback-API channel and server shares one process-wide completion queue,
// reference counted; when the last of them is destroyed, gRPC shuts that
// queue down while its polling threads may still be unreferencing it, and
// the queue is freed twice (an ASan "double-free" in grpc_cq_internal_unref
// on one of gRPC's threads, seen in ~5% of runs of a test that destroys its
// last client; in a program, a crash on the way out after SIGTERM).
#ifndef COMMON_GRPC_CALLBACK_QUEUE_H_
#define COMMON_GRPC_CALLBACK_QUEUE_H_

namespace acmeva::common {

// Takes one reference on that queue for the rest of the process, so it is
// never torn down while the process runs. Idempotent and thread-safe; call
// it before creating a callback-API channel or server. It touches no
// network: the reference comes from a call on a channel over a socketpair,
// with a deadline that has already passed.
void KeepGrpcCallbackQueue();

}  // namespace acmeva::common

#endif  // COMMON_GRPC_CALLBACK_QUEUE_H_
