// FUZZ_CHECK: the fuzz targets' invariant check. Unlike assert it is never
// compiled out, and it aborts with the failed condition and a note, which
// libFuzzer reports as a crash and saves the input that caused it.
#ifndef SAMPLAN_FUZZ_FUZZ_CHECK_H_
#define SAMPLAN_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, note)                                             \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, \
                   __LINE__, #cond, std::string(note).c_str());            \
      std::abort();                                                        \
    }                                                                      \
  } while (false)

#endif  // SAMPLAN_FUZZ_FUZZ_CHECK_H_
