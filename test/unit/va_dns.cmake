# The DNS client (va/dns): the pure parts (retry policy, retry budget, RTT
# estimator, wire format, timers and coalescing table), and CaresResolver
# over real loopback UDP/TCP sockets against an in-test DNS server.
set(_dns ${CMAKE_CURRENT_LIST_DIR})
va_unit_test(dns_retry_policy_test SOURCES ${_dns}/dns_retry_policy_test.cc LIBS va_dns)
va_unit_test(dns_retry_budget_test SOURCES ${_dns}/dns_retry_budget_test.cc LIBS va_dns)
va_unit_test(dns_rtt_estimator_test SOURCES ${_dns}/dns_rtt_estimator_test.cc LIBS va_dns)
va_unit_test(dns_message_test SOURCES ${_dns}/dns_message_test.cc LIBS va_dns)
va_unit_test(dns_inflight_table_test SOURCES ${_dns}/dns_inflight_table_test.cc LIBS va_dns)

# A scriptable DNS server on loopback (UDP and TCP on one port), for tests.
add_library(fake_dns_server STATIC ${_dns}/fake_dns_server.cc)
target_link_libraries(fake_dns_server PUBLIC va_dns dnswire absl::flat_hash_map
  absl::status absl::statusor absl::strings absl::synchronization absl::time
  Threads::Threads)
va_unit_test(dns_cares_resolver_test SOURCES ${_dns}/dns_cares_resolver_test.cc
  LIBS va_dns fake_dns_server)
va_unit_test(dns_cares_channel_test SOURCES ${_dns}/dns_cares_channel_test.cc
  LIBS va_dns fake_dns_server)
unset(_dns)
# A malformed reply retried on the next resolver (real UDP on loopback).
va_unit_test(dns_malformed_retry_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/dns_malformed_retry_test.cc
  LIBS va_dns fake_dns_server)
# The DNSSEC canary and the resolver rotation it drives, against scripted
# DNS servers on loopback.
va_unit_test(dnssec_canary_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/dnssec_canary_test.cc
  LIBS va_service va_dns fake_dns_server)
