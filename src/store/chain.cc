#include "store/chain.h"

#include <cstring>

#include "store/record.h"

namespace antrean::store {

ChainWalker::ChainWalker(std::uint64_t expected_seq, const Hash256* prev)
    : expected_(expected_seq), check_first_link_(prev != nullptr) {
  if (prev != nullptr) prev_ = *prev;
}

bool ChainWalker::Fail(VerifyReport::Problem problem, std::uint64_t seq, std::string detail) {
  fault_ = ChainFault{problem, seq, std::move(detail)};
  return false;
}

bool ChainWalker::Feed(std::uint64_t key_seq, std::string_view value, EventView* view) {
  using P = VerifyReport::Problem;
  const std::uint64_t seq = expected_;
  if (key_seq != seq) {
    return Fail(P::kGap, seq,
                "event " + std::to_string(seq) + " is missing (the next stored key is " +
                    std::to_string(key_seq) + ")");
  }
  if (auto s = record::Decode(value, view); !s.ok()) {
    return Fail(P::kUndecodable, seq, "event " + std::to_string(seq) + ": " + s.message());
  }
  if (view->seq != key_seq) {
    return Fail(P::kKeyMismatch, seq,
                "event stored under seq " + std::to_string(key_seq) + " says it is seq " +
                    std::to_string(view->seq));
  }
  const Hash256 computed = record::ComputeHash(value);
  if (std::memcmp(computed.data(), view->hash.data(), 32) != 0) {
    return Fail(P::kHashMismatch, seq,
                "event " + std::to_string(seq) + ": SHA-256 of its bytes is " + ToHex(computed) +
                    " but its stored hash is " + ToHex(view->hash));
  }
  if (first_) {
    std::memcpy(first_prev_.data(), view->prev_hash.data(), 32);
  }
  if ((!first_ || check_first_link_) && std::memcmp(view->prev_hash.data(), prev_.data(), 32) != 0) {
    return Fail(P::kChainBroken, seq,
                "event " + std::to_string(seq) + ": prev_hash " + ToHex(view->prev_hash) +
                    " is not the hash of event " + std::to_string(seq - 1) + " (" +
                    ToHex(prev_) + ")");
  }
  first_ = false;
  prev_ = computed;
  ++expected_;
  return true;
}

}  // namespace antrean::store
