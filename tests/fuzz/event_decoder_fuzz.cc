// The event decoder on bytes as read from RocksDB. An input is either
//   a stored record (its first byte is the record format version, 0x01): store::record::Decode,
//     then DecodeEvent of the type and payload it carries; or
//   "type\npayload": DecodeEvent of that type name (the corpus has one of every current and old
//     type; the dictionary names them all) and payload.
// Round trip: whatever decodes re-encodes to bytes that decode to the same value, and those
// bytes are a fixed point; a decoded record re-encodes to exactly the bytes it came from.
#include <cstddef>
#include <cstdint>
#include <string>

#include "store/record.h"
#include "tests/fuzz/fuzz_support.h"

namespace antrean::fuzz::event_decoder {

void CheckPayload(std::string_view type, std::string_view payload) {
  auto event = events::DecodeEvent(type, payload);
  if (!event.ok()) {
    FUZZ_CHECK(event.status().IsInvalidArgument(), event.status().ToString());
    return;
  }
  FUZZ_CHECK(events::Validate(*event).ok(), std::string(type));
  CheckEvent(*event);  // decode(encode(e)) == e, encode is a fixed point
}

void CheckRecord(std::string_view value) {
  store::EventView view;
  if (auto s = store::record::Decode(value, &view); !s.ok()) {
    FUZZ_CHECK(s.IsCorruption(), s.ToString());
    return;
  }
  // Writing the decoded fields again gives the same bytes, hash aside (the hash is not checked
  // by Decode; verify does that).
  store::NewEvent e{std::string(view.type), {}, std::string(view.payload)};
  for (std::size_t i = 0; i < view.key_count; ++i) e.keys.emplace_back(view.keys[i]);
  store::AppendRequest request;
  request.cause = {std::string(view.cause_id), std::string(view.cause_actor)};
  request.idempotency_key = std::string(view.idempotency_key);
  std::string again = store::record::EncodeUnsealed(e, request, view.recorded_at_us);
  Hash256 prev{};
  std::copy(view.prev_hash.begin(), view.prev_hash.end(), prev.begin());
  store::record::Seal(&again, view.seq, prev);
  const std::size_t body = value.size() - store::record::kHashBytes;
  FUZZ_CHECK(again.size() == value.size() && again.compare(0, body, value.substr(0, body)) == 0,
             "a decoded record does not re-encode to its own bytes");
  CheckPayload(view.type, view.payload);
}

}  // namespace antrean::fuzz::event_decoder

namespace antrean::fuzz {
// One input; aborts on a failed invariant. Also run by regressions_test.cc.
int EventDecoderOne(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!in.empty() && static_cast<std::uint8_t>(in[0]) == antrean::store::record::kFormatVersion) {
    event_decoder::CheckRecord(in);
    return 0;
  }
  const std::size_t newline = in.find('\n');
  if (newline == in.npos) return 0;
  event_decoder::CheckPayload(in.substr(0, newline), in.substr(newline + 1));
  return 0;
}
}  // namespace antrean::fuzz

ANTREAN_FUZZ_ENTRY(antrean::fuzz::EventDecoderOne)
