# The mains' shared wiring: gRPC's and protobuf's logs as JSON, requests
# that do not decode, the flag range checks, what an expired drain audits.
va_unit_test(library_logs_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/library_logs_test.cc
  LIBS common_main protobuf::libprotobuf absl::strings absl::time)
va_unit_test(grpc_decoded_request_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_decoded_request_test.cc
  LIBS common_main va_proto)
va_unit_test(in_flight_validations_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/in_flight_validations_test.cc
  LIBS va_service)
