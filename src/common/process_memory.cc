#include "common/process_memory.h"

#include <unistd.h>

#include <cstddef>
#include <cstdio>

#include "common/sanitizers.h"

#if defined(ANTREAN_JEMALLOC)
#include <jemalloc/jemalloc.h>
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace antrean {

namespace {

#if defined(ANTREAN_JEMALLOC)
// jemalloc's statistics are a snapshot, refreshed by writing to "epoch".
void JemallocHeap(ProcessMemory* m) {
  std::uint64_t epoch = 1;
  std::size_t size = sizeof epoch;
  if (mallctl("epoch", &epoch, &size, &epoch, size) != 0) return;
  std::size_t allocated = 0, resident = 0;
  size = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return;
  size = sizeof resident;
  if (mallctl("stats.resident", &resident, &size, nullptr, 0) != 0) return;
  m->heap_in_use_bytes = allocated;
  // Resident pages of the allocator's that hold no live allocation: freed memory not yet
  // returned to the kernel (jemalloc returns it after a few seconds), and its own metadata.
  m->heap_free_bytes = resident > allocated ? resident - allocated : 0;
}
#endif

}  // namespace

ProcessMemory ReadProcessMemory() {
  ProcessMemory m;
  // /proc/self/statm: size resident shared text lib data dt, in pages.
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
      m.resident_bytes = resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(f);
  }
#if defined(ANTREAN_JEMALLOC)
  JemallocHeap(&m);
#elif defined(__GLIBC__) && !defined(ANTREAN_UNDER_ASAN)
  const struct mallinfo2 info = mallinfo2();
  m.heap_in_use_bytes = info.uordblks + info.hblkhd;
  m.heap_free_bytes = info.fordblks;
#endif
  return m;
}

std::string AllocatorName() {
#if defined(ANTREAN_JEMALLOC)
  const char* version = nullptr;
  std::size_t size = sizeof version;
  if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
    return std::string("jemalloc ") + version;
  }
  return "jemalloc";
#elif defined(ANTREAN_UNDER_ASAN)
  return "AddressSanitizer";
#else
  return "glibc";
#endif
}

}  // namespace antrean
