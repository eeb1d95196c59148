// A GET for scraping /metrics on a loopback address (cpp-httplib's client).
#ifndef BENCH_LIB_HTTP_GET_H_
#define BENCH_LIB_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acmeva::bench {

// `host_port` is numeric: "127.0.0.1:9100" or "[::1]:9100". Returns the body
// of a 200 response. `timeout` bounds each step (connect, send, every read),
// not the whole exchange.
absl::StatusOr<std::string> HttpGet(absl::string_view host_port,
                                    absl::string_view path,
                                    absl::Duration timeout);

}  // namespace acmeva::bench

#endif  // BENCH_LIB_HTTP_GET_H_
