// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit PRF. Used by `verify` to compare
// the index with the events in one pass (docs/FORMAT.md, "Verification"): with a key drawn at
// random for each run, nobody can prepare index entries whose hashes cancel out in a sum.
#pragma once

#include <cstdint>
#include <string_view>

namespace antrean {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
};

std::uint64_t SipHash24(const SipKey& key, std::string_view data);

}  // namespace antrean
