# Multi-perspective issuance corroboration: the quorum rule, the --remote-va
# configuration, and RemotePerspectives over real gRPC on loopback against
# scripted in-process remote VAs.
va_unit_test(quorum_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/quorum_test.cc ${CMAKE_SOURCE_DIR}/va/quorum.cc)
va_unit_test(remote_va_config_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/remote_va_config_test.cc
          ${CMAKE_SOURCE_DIR}/va/remote_va_config.cc
  LIBS common absl::statusor absl::strings absl::str_format absl::time)
va_unit_test(remote_perspectives_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/remote_perspectives_test.cc
  LIBS va_service absl::synchronization Threads::Threads)
target_compile_definitions(remote_perspectives_test PRIVATE
  MAKE_CERTS_SCRIPT="${CMAKE_SOURCE_DIR}/scripts/make-certs.sh")
# The repeatable-flag extractor's error for a flag given without a value.
va_unit_test(cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc
  LIBS common absl::statusor absl::flags)
# MPIC per challenge type through real VA services (remotes run the same type;
# dns-persist-01 remotes must match the same accounturi).
va_unit_test(mpic_challenge_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mpic_challenge_test.cc
  LIBS va_service Threads::Threads)
# The BR's dated MPIC minimums (one case per phase) and the start-up rule.
va_unit_test(mpic_requirements_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mpic_requirements_test.cc
          ${CMAKE_SOURCE_DIR}/va/mpic_requirements.cc ${CMAKE_SOURCE_DIR}/va/quorum.cc
  LIBS absl::statusor absl::strings absl::str_format absl::time)
