// The management HTTP API (JSON over POST), endpoint-compatible with
// Pebble's/Boulder's challenge test server where they overlap, plus
// NXDOMAIN, AD and fault injection. The same request shapes load the
// --records start-up file.
#ifndef DNSTESTSRV_MANAGEMENT_API_H_
#define DNSTESTSRV_MANAGEMENT_API_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/http_server.h"
#include "dnstestsrv/fault_table.h"
#include "dnstestsrv/record_store.h"
#include "dnstestsrv/request_history.h"

namespace acmeva::dnstestsrv {

class ManagementApi {
 public:
  // `history` may be null (history off). With `log_changes`, one line per
  // change goes to stderr.
  ManagementApi(RecordStore* store, FaultTable* faults, RequestHistory* history,
                bool log_changes = true);

  // 200 on success; 400 naming the field on bad input; 404 unknown path;
  // 405 for methods other than POST.
  common::HttpResponse Handle(const common::HttpRequest& request);

  // Applies a --records document: {"txt":[...], "caa":[...], "a":[...],
  // "aaaa":[...], "cname":[...], "nxdomain":[...], "servfail":[...],
  // "faults":[...], "ad":[...]}, each entry shaped like the API body.
  absl::Status LoadRecords(absl::string_view json);
  absl::Status LoadRecordsFile(const std::string& path);

 private:
  // Returns the response body (empty for plain changes).
  absl::StatusOr<std::string> Dispatch(absl::string_view path,
                                       absl::string_view body);
  void Log(absl::string_view what) const;

  RecordStore* store_;
  FaultTable* faults_;
  RequestHistory* history_;
  bool log_changes_;
};

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_MANAGEMENT_API_H_
