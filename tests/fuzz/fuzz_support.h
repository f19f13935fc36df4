// What the fuzz targets share: a failing check that stops libFuzzer with the input saved, the
// sample office file, and the decision step run over an in-memory state, with every event it
// decides checked the way the ledger would need it (docs/HARDENING.md, "Fuzzing").
#pragma once

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "app/registration.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "projections/decision_state.h"
#include "projections/fold.h"

namespace antrean::fuzz {

// An invariant failed: print what and abort, so that libFuzzer keeps the input as a crash.
[[noreturn]] inline void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant failed: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}
#define FUZZ_CHECK(cond, detail)                         \
  do {                                                   \
    if (!(cond)) ::antrean::fuzz::Fail(#cond, (detail)); \
  } while (0)

// The libFuzzer entry point calling `one`; left out where regressions_test.cc includes the
// targets to run their checks on the committed inputs.
#ifdef ANTREAN_FUZZ_NO_ENTRY
#define ANTREAN_FUZZ_ENTRY(one)
#else
#define ANTREAN_FUZZ_ENTRY(one)                                                       \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return one(data, size);                                                           \
  }
#endif

// The decision state as rows in memory: what the service keeps in RocksDB's `state` family.
class MemoryState final : public projections::StateRows {
 public:
  Result<std::optional<std::string>> Read(std::string_view key) override {
    auto it = rows_.find(key);
    if (it == rows_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  void Write(std::string key, std::string value) override {
    rows_[std::move(key)] = std::move(value);
  }
  void Erase(std::string key) override { rows_.erase(key); }

 private:
  std::map<std::string, std::string, std::less<>> rows_;
};

// config/offices.json, loaded once: the offices, formats and reply texts in use.
inline const domain::OfficeDirectory& SampleOffices() {
  static const domain::OfficeDirectory offices = [] {
    auto loaded = domain::LoadOfficeDirectoryFile(ANTREAN_SOURCE_DIR "/config/offices.json");
    if (!loaded.ok()) Fail("loading config/offices.json", loaded.status().ToString());
    return std::move(loaded).value();
  }();
  return offices;
}

// A fixed booking-code key: the fuzz runs must be reproducible.
inline constexpr std::string_view kCodeKey = "fuzz-booking-code-key-24b";

// A decided event must be what the ledger accepts and what replay reads back: it validates, its
// payload decodes to the same event and re-encodes to the same bytes.
inline void CheckEvent(const events::Event& event) {
  const std::string payload = events::EncodePayload(event);
  auto decoded = events::DecodeEvent(events::TypeName(event), payload);
  FUZZ_CHECK(decoded.ok(), std::string(events::TypeName(event)) + " " + payload + ": " +
                               decoded.status().ToString());
  FUZZ_CHECK(*decoded == event, payload);
  FUZZ_CHECK(events::EncodePayload(*decoded) == payload, payload);
  // The payload is written directly; it must be what Boost.JSON writes for the event's object.
  FUZZ_CHECK(payload == std::visit(
                            [](const auto& typed) {
                              return boost::json::serialize(boost::json::value_from(typed));
                            },
                            event),
             payload);
  // The service checks with Validate instead of the round trip: it must agree.
  const Status valid = events::Validate(event, payload);
  FUZZ_CHECK(valid.ok(), payload + ": " + valid.ToString());
}

// Checks every event of a decision and folds them into `state`, so that the next message of the
// same input is decided against what this one changed (duplicates, a second booking, ...).
// A refused decision must say why in terms of the input, never that the state is unreadable.
inline void CheckDecision(const Result<app::Decision>& decision, std::int64_t at_us,
                          MemoryState& state) {
  if (!decision.ok()) {
    FUZZ_CHECK(!decision.status().IsCorruption(), decision.status().ToString());
    FUZZ_CHECK(!decision.status().message().empty(), decision.status().ToString());
    return;
  }
  for (const auto& e : decision->events) {
    CheckEvent(e);
    auto folded = projections::FoldEvent(e, projections::FoldContext{"", at_us}, state);
    FUZZ_CHECK(folded.ok(), folded.ToString());
  }
}

}  // namespace antrean::fuzz

namespace antrean::fuzz {

// Code points of well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF); nullopt if
// `s` is not well-formed.
inline std::optional<std::size_t> Utf8CodePoints(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xE  ? 3
                    : (b >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return std::nullopt;
    char32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t kMinOf[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOf[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += n;
  }
  return count;
}

}  // namespace antrean::fuzz
