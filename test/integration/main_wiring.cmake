# The mains' shared wiring against the real programs: --help, flag errors,
# SIGHUP, an expired drain, undecodable requests, far deadlines, JSON
# stderr, and the RA's database check at start-up.
va_integration_test(main_wiring_integration_test
  SOURCES main_wiring_integration_test.cc
  LIBS SQLite::SQLite3 protobuf::libprotobuf)
