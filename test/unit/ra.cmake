# The RA stub: pure logic, SQLite store, and the service end to end over
# loopback gRPC against a fake VA.
va_unit_test(ra_authz_state_test SOURCES ra_authz_state_test.cc LIBS ra_lib)
va_unit_test(ra_failover_policy_test SOURCES ra_failover_policy_test.cc
  LIBS ra_lib)
va_unit_test(ra_revalidation_policy_test
  SOURCES ra_revalidation_policy_test.cc LIBS ra_lib)
va_unit_test(ra_token_test SOURCES ra_token_test.cc LIBS ra_lib)
va_unit_test(ra_acme_json_test SOURCES ra_acme_json_test.cc LIBS ra_lib)
va_unit_test(ra_sqlite_store_test SOURCES ra_sqlite_store_test.cc LIBS ra_lib)
# The worker pool with timers (also under TSan: label concurrency).
va_unit_test(ra_scheduler_test SOURCES ra_scheduler_test.cc LIBS ra_lib)
va_unit_test(ra_service_test SOURCES ra_service_test.cc LIBS ra_testing)
va_unit_test(ra_restart_test SOURCES ra_restart_test.cc LIBS ra_testing)
# GrpcVaClient failover when a VA dies mid-run (loopback proxy that resets).
va_unit_test(va_client_failover_test SOURCES va_client_failover_test.cc
  LIBS ra_testing)
