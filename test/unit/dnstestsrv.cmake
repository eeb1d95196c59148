# dnstestsrv: store/fault logic, HTTP server, and the server end to end over
# loopback sockets (its wire codec is dnswire's, tested in dnswire.cmake).
va_unit_test(dnstestsrv_logic_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dnstestsrv_logic_test.cc
  LIBS dnstestsrv_core)
va_unit_test(dnstestsrv_http_server_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dnstestsrv_http_server_test.cc
  LIBS common)
va_unit_test(dnstestsrv_server_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dnstestsrv_server_test.cc
  LIBS dnstestsrv_core)
target_compile_definitions(dnstestsrv_logic_test PRIVATE
  DNSTESTSRV_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
