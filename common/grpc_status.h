// ToGrpc(): absl::Status -> grpc::Status for service handlers.
//
// Why: modules return absl::Status/StatusOr at their boundaries; the gRPC
// services (VA, RA) answer with grpc::Status. The canonical codes share their
// numbering, so the conversion keeps code and message unchanged.
#ifndef COMMON_GRPC_STATUS_H_
#define COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace acmeva::common {

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace acmeva::common

#endif  // COMMON_GRPC_STATUS_H_
