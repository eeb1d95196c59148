# vabench: the load generator's pure logic (bench/lib), and the end-to-end
# smoke run of bench/run.sh against the built va and dnstestsrv.
va_unit_test(vabench_name_generator_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_name_generator_test.cc LIBS vabench_lib)
va_unit_test(vabench_record_writer_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_record_writer_test.cc LIBS vabench_lib)
va_unit_test(vabench_stats_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_stats_test.cc LIBS vabench_lib)
va_unit_test(vabench_report_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/vabench_report_test.cc LIBS vabench_lib)

if(TARGET va AND TARGET dnstestsrv AND TARGET vabench)
  add_test(NAME bench_smoke
    COMMAND ${CMAKE_SOURCE_DIR}/bench/run.sh --smoke --build-dir ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_smoke PROPERTIES LABELS integration TIMEOUT 120)
endif()
