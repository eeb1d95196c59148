# vabench: the load generator's pure logic (bench/lib), and the end-to-end
# smoke run of bench/run.sh against the built va and dnstestsrv.
va_unit_test(vabench_name_generator_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_name_generator_test.cc LIBS vabench_lib)
va_unit_test(vabench_record_writer_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_record_writer_test.cc LIBS vabench_lib)
va_unit_test(vabench_stats_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_stats_test.cc LIBS vabench_lib)
va_unit_test(vabench_boulder_request_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_boulder_request_test.cc LIBS vabench_lib)
va_unit_test(vabench_report_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_report_test.cc LIBS vabench_lib)

# They run the programs.
if(VA_BUILD_PROGRAMS)
  add_test(NAME bench_smoke
    COMMAND ${CMAKE_SOURCE_DIR}/bench/run.sh --smoke --build-dir ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_smoke PROPERTIES LABELS integration TIMEOUT 120)
  # bench/profile.sh stays runnable: a small outage, every answer transient.
  add_test(NAME bench_profile_smoke
    COMMAND ${CMAKE_COMMAND} -E env PROFILE_DIR=${CMAKE_BINARY_DIR}/profile-smoke
      ${CMAKE_SOURCE_DIR}/bench/profile.sh ${CMAKE_BINARY_DIR} outage 50 2s)
  set_tests_properties(bench_profile_smoke PROPERTIES LABELS integration
    TIMEOUT 120 PASS_REGULAR_EXPRESSION "outcomes: dns/transient=50\n")
  # bench/soak.py: one VA through three short cycles of steady load, loss
  # and a dead TLD; fails on a wrong outcome, growth or anything left over.
  add_test(NAME bench_soak_smoke
    COMMAND ${CMAKE_SOURCE_DIR}/bench/soak.py --build-dir ${CMAKE_BINARY_DIR}
      --smoke)
  set_tests_properties(bench_soak_smoke PROPERTIES LABELS integration
    TIMEOUT 180 PASS_REGULAR_EXPRESSION "All checks passed")
  # ... and its checks do fail: a VA with another CAA identity is refused by
  # the names whose CAA set names letsencrypt.org.
  add_test(NAME bench_soak_detects_failures
    COMMAND ${CMAKE_SOURCE_DIR}/bench/soak.py --build-dir ${CMAKE_BINARY_DIR}
      --smoke --cycles 1 --va-flag=--issuer-domain=other-ca.example)
  set_tests_properties(bench_soak_detects_failures PROPERTIES
    LABELS integration TIMEOUT 180
    PASS_REGULAR_EXPRESSION "steady lane: [0-9]+ of 400 valid ..'caa': [0-9]+")
endif()
