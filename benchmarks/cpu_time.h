// CPU time of this process, for the benchmarks that print it beside their rates.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace antrean::bench {

// User + system CPU seconds of every thread of this process so far (getrusage). On a shared
// machine a steadier figure than wall time, which also counts waiting for cores others hold.
inline double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// User + system CPU seconds of the threads alive now, summed per thread name with trailing
// digits dropped ("rocksdb:low0" and "rocksdb:low1" are "rocksdb:low"), from /proc/self/task.
// A thread that has exited is not counted: take it before the threads of interest stop.
inline std::map<std::string, double> ThreadCpuSeconds() {
  std::map<std::string, double> by_name;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "tid (comm) state ...": the name may hold spaces and parentheses, so split at the last ')'.
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::string name = stat.substr(open + 1, close - open - 1);
    while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back()))) name.pop_back();
    std::istringstream rest(stat.substr(close + 1));
    std::string field;
    double utime = 0, stime = 0;
    // After the name: state is field 3 of proc(5); utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    by_name[name] += (utime + stime) / tick;
  }
  return by_name;
}

}  // namespace antrean::bench
