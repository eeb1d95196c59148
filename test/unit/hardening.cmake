# common/grpc_tls against real TLS handshakes on loopback.
va_unit_test(grpc_tls_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_tls_test.cc
  LIBS common_grpc va_proto gRPC::grpc++ absl::time absl::strings)
# common/metrics: the /metrics text and the hot paths' series handles.
va_unit_test(metrics_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc
  LIBS common)
# common/log_rate_limiter: a sample of each flood of lines, with counts.
va_unit_test(log_rate_limiter_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/log_rate_limiter_test.cc
  LIBS common)
# common/json_log: escaping and the line format (every byte stays valid JSON).
va_unit_test(json_log_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_log_test.cc
  LIBS common)
# common/grpc_callback_queue: gRPC's callback queue outlives every channel.
va_unit_test(grpc_callback_queue_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_callback_queue_test.cc
  LIBS common_grpc gRPC::grpc++ absl::synchronization absl::time)
# common/tcp_accept and common/fd_limit: accept goes on after EMFILE.
va_unit_test(tcp_accept_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tcp_accept_test.cc
  LIBS common)
