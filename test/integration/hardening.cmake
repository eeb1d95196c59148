# Hardening: hostile input against the real processes. Bad gRPC requests,
# mutual TLS with certificates made by the test, and a hostile DNS server.
va_integration_test(bad_request_integration_test
  SOURCES bad_request_integration_test.cc)
va_integration_test(mtls_integration_test
  SOURCES mtls_integration_test.cc LIBS common_grpc)
va_integration_test(dns_fault_integration_test
  SOURCES dns_fault_integration_test.cc LIBS dnswire)
# The harness itself: servers whose port was taken start again elsewhere.
va_integration_test(harness_test SOURCES harness_test.cc)
# Connection, stream and call floods against the VA and RA under a lowered
# descriptor limit (prlimit).
va_integration_test(flood_integration_test
  SOURCES flood_integration_test.cc hardened_server.cc LIBS common_grpc ra_proto)
# TLS files broken at reload, and bad at start-up (VA and RA).
va_integration_test(tls_reload_integration_test
  SOURCES tls_reload_integration_test.cc hardened_server.cc
  LIBS common_grpc ra_proto)
