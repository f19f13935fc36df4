// SplitMix64 (Steele, Lea, Flood 2014): a tiny, good-enough mixer for deterministic generated
// traffic. The simulator and the benchmarks draw from it so that one seed gives one stream.
#pragma once

#include <cstdint>

namespace antrean {

inline std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace antrean
