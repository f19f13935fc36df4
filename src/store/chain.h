// Checking one event against its place in the chain: the steps of docs/FORMAT.md, "Checking the
// chain by hand". Shared by `Verify` and by the tail check on open, so they cannot disagree.
#pragma once

#include <cstdint>
#include <string>

#include "store/ledger.h"

namespace antrean::store {

struct ChainFault {
  VerifyReport::Problem problem = VerifyReport::Problem::kNone;
  std::uint64_t seq = 0;
  std::string detail;
  bool ok() const { return problem == VerifyReport::Problem::kNone; }
};

// Walks a contiguous run of events. Feed it each stored (key, value) in key order; it stops at the
// first fault. `expected_seq` is the first seq the run should hold; `prev` the hash before it,
// or unset when the run starts mid-chain and the link to its left is checked by the caller.
class ChainWalker {
 public:
  ChainWalker(std::uint64_t expected_seq, const Hash256* prev);

  // False once a fault is found (see fault()).
  bool Feed(std::uint64_t key_seq, std::string_view value, EventView* view);

  const ChainFault& fault() const { return fault_; }
  std::uint64_t next_seq() const { return expected_; }
  const Hash256& last_hash() const { return prev_; }
  // The prev_hash of the run's first event, to be linked to the run before it.
  const Hash256& first_prev() const { return first_prev_; }

 private:
  bool Fail(VerifyReport::Problem problem, std::uint64_t seq, std::string detail);
  std::uint64_t expected_;
  Hash256 prev_{};
  Hash256 first_prev_{};
  bool check_first_link_;
  bool first_ = true;
  ChainFault fault_;
};

}  // namespace antrean::store
