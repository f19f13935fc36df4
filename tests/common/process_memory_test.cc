// The allocator every program of this build runs on, and the heap figures /metrics reports from
// it (common/process_memory.h).
#include "common/process_memory.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common/sanitizers.h"

#if defined(ANTREAN_JEMALLOC)
#include <jemalloc/jemalloc.h>
#endif

namespace antrean {
namespace {

// The file of the shared object that defines `symbol` as the dynamic linker binds it for every
// library of the process (RocksDB's calls to malloc included).
std::string DefiningObject(const char* symbol) {
  void* address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info{};
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

// Keeps the compiler from dropping an allocation it can see is never read.
void Touch(void* p, std::size_t n) {
  std::memset(p, 1, n);
  asm volatile("" : : "g"(p) : "memory");
}

#if defined(ANTREAN_JEMALLOC)

TEST(Allocator, MallocAndOperatorNewAreJemallocsForTheWholeProcess) {
  EXPECT_EQ(AllocatorName().rfind("jemalloc 5.", 0), 0u) << AllocatorName();
  for (const char* symbol : {"malloc", "free", "realloc", "_Znwm", "_ZdlPv"}) {
    EXPECT_NE(DefiningObject(symbol).find("libjemalloc"), std::string::npos)
        << symbol << " is bound to " << DefiningObject(symbol);
  }
  // And this thread's allocations are counted by jemalloc: they went through it.
  auto allocated = [] {
    std::uint64_t bytes = 0;
    std::size_t size = sizeof bytes;
    EXPECT_EQ(mallctl("thread.allocated", &bytes, &size, nullptr, 0), 0);
    return bytes;
  };
  const std::uint64_t before = allocated();
  void* c = std::malloc(1 << 20);
  auto cpp = std::make_unique<char[]>(1 << 20);
  Touch(c, 1 << 20);
  Touch(cpp.get(), 1 << 20);
  EXPECT_GE(allocated() - before, 2u << 20);
  std::free(c);
}

#else

TEST(Allocator, IsNamedForWhatABuildWithoutJemallocRunsOn) {
#if defined(ANTREAN_UNDER_ASAN)
  EXPECT_EQ(AllocatorName(), "AddressSanitizer");
#else
  EXPECT_EQ(AllocatorName(), "glibc");
#endif
  EXPECT_EQ(DefiningObject("malloc").find("libjemalloc"), std::string::npos);
}

#endif

// (The resident set is not checked to grow: the allocator may hand out pages it kept.)
TEST(ProcessMemory, CountsALiveAllocationInTheHeapUntilItIsFreed) {
  constexpr std::size_t kBytes = 64u << 20;
  const ProcessMemory before = ReadProcessMemory();
  ASSERT_GT(before.resident_bytes, 0u);
  auto block = std::make_unique<char[]>(kBytes);
  Touch(block.get(), kBytes);
  const ProcessMemory during = ReadProcessMemory();
  EXPECT_GE(during.resident_bytes, kBytes);
#if defined(ANTREAN_UNDER_ASAN)
  // AddressSanitizer's allocator replaces the others and reports no heap figures.
  GTEST_SKIP() << "the sanitizer's allocator reports no heap figures";
#else
  EXPECT_GE(during.heap_in_use_bytes, before.heap_in_use_bytes + kBytes);
  block.reset();
  const ProcessMemory after = ReadProcessMemory();
  EXPECT_LE(after.heap_in_use_bytes + kBytes, during.heap_in_use_bytes + (1u << 20));
#endif
}

}  // namespace
}  // namespace antrean
