# Unit tests for the dns-01 and CAA checks and their helpers (va_checks).
# They run against test/unit/fake_resolver.h, never the network.
va_unit_test(problem_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/problem_test.cc LIBS va_checks)
va_unit_test(identifier_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/identifier_test.cc LIBS va_checks)
va_unit_test(dns01_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/dns01_test.cc LIBS va_checks)
va_unit_test(caa_params_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/caa_params_test.cc LIBS va_checks)
va_unit_test(caa_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/caa_test.cc LIBS va_checks Threads::Threads)
va_unit_test(deadline_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/deadline_test.cc LIBS va_checks)
# The challenge types (one table test per type, beside dns01_test).
va_unit_test(dns_account01_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/dns_account01_test.cc LIBS va_checks)
va_unit_test(dns_persist01_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/dns_persist01_test.cc LIBS va_checks)
va_unit_test(persist_record_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/persist_record_test.cc LIBS va_checks)
va_unit_test(request_validation_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/request_validation_test.cc LIBS va_service)
