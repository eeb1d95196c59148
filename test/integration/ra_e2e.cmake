# End to end: dnstestsrv, va, ra and vactl as real processes on loopback,
# including kill -9 of the RA and of a VA under load.
va_integration_test(ra_e2e_test SOURCES ra_e2e_test.cc ra_stack.cc
  LIBS ra_proto va_checks SQLite::SQLite3 protobuf::libprotobuf)
# dns-01, dns-account-01 and dns-persist-01 through vactl, ra and va.
va_integration_test(dns_family_e2e_test SOURCES dns_family_e2e_test.cc
  ra_stack.cc LIBS ra_proto va_checks SQLite::SQLite3 protobuf::libprotobuf)
