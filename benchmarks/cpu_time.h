// CPU time of this process, for the benchmarks that print it beside their rates.
#pragma once

#include <sys/resource.h>

namespace antrean::bench {

// User + system CPU seconds of every thread of this process so far (getrusage). On a shared
// machine a steadier figure than wall time, which also counts waiting for cores others hold.
inline double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace antrean::bench
