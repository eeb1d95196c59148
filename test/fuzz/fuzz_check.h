// FUZZ_CHECK: an invariant the fuzzed code must keep. A violation prints what
// broke and aborts, which libFuzzer records as a crash with its input.
#ifndef TEST_FUZZ_FUZZ_CHECK_H_
#define TEST_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                           \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, \
                   __LINE__, #cond);                                    \
      std::fprintf(stderr, __VA_ARGS__);                                \
      std::fprintf(stderr, "\n");                                       \
      std::abort();                                                     \
    }                                                                   \
  } while (0)

#endif  // TEST_FUZZ_FUZZ_CHECK_H_
