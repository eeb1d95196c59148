# The DNS wire codec (dnswire/): names, record types, queries and answers.
va_unit_test(dnswire_message_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/dnswire_message_test.cc
  LIBS dnswire)
