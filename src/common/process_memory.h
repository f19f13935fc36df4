// What this process holds in memory, for /metrics and the soak (docs/HARDENING.md, "Soak"): the
// resident set as the kernel counts it, and the C heap as the allocator counts it, so that live
// data can be told apart from freed memory the allocator keeps.
#pragma once

#include <cstdint>
#include <string>

namespace antrean {

struct ProcessMemory {
  std::uint64_t resident_bytes = 0;     // VmRSS
  std::uint64_t heap_in_use_bytes = 0;  // allocated and not freed (0 if the allocator won't say)
  std::uint64_t heap_free_bytes = 0;    // freed, or allocator metadata, still resident
};

ProcessMemory ReadProcessMemory();

// The allocator that malloc and operator new use in this process: "jemalloc <version>" in builds
// with ANTREAN_JEMALLOC (the default; CMakeLists.txt), "AddressSanitizer" in the sanitizer build,
// "glibc" otherwise.
std::string AllocatorName();

}  // namespace antrean
