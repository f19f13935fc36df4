// The detection projection: calo and joki patterns, raised as "phone flagged" events
// (docs/FORENSICS.md has the rules, their thresholds and their innocent look-alikes).
//
// Two pure parts, like the rest of the state projection:
//  - FoldForensics folds one event, with its sequence number, into the detection's rows
//    (decision_state.h): in the detection's part of the ph/ and pe/ rows, per phone and per
//    person what the rules count and a union-find of phones and persons linked by bookings and
//    attempts (the rings); under fx/, per office the norm and the thresholds in force (from the
//    recorded "office configuration applied" events), per number block the phones of one day's
//    rush.
//  - ForensicsPass::Detect looks at the rows an append's events just changed and returns the
//    flags (and the automatic blacklistings) they call for. It reads rows only; what it returns
//    is appended in the same append, and folded like every event. A flag's id names the rule and
//    its subject ("burst:62812345678"), so the same thing is never flagged twice: the fl/ row
//    exists.
//
// Live, the service runs both on every append, through one ForensicsPass per append
// (app/service.cc); `antrean replay` runs the fold (FoldAll) over the log, and its rows must
// equal the live ones (the flags themselves are events).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "projections/fold.h"

namespace antrean::projections {

// The offices' thresholds in force (their fx/c/ rows), decoded: the fold and the detection of
// every registration need them, and decoding them each time was a quarter of a registration's
// detection fold. Each use reads the row and compares its bytes with those the cached one was
// decoded from, so a cache can never answer with thresholds the rows no longer hold; one may live
// as long as its user likes (the service keeps one). A cache that sees every write of the rows
// (kSeesEveryWrite: a rebuild, whose fold is the only writer of its scratch rows and tells the
// cache each configuration it folds) answers without reading the row again: in a rebuild that
// read went to the scratch store for every registration. Not thread-safe.
class ThresholdsCache {
 public:
  enum class Trust { kChecksTheRow, kSeesEveryWrite };
  explicit ThresholdsCache(Trust trust = Trust::kChecksTheRow) : trust_(trust) {}

  // nullptr when no configuration was recorded for the office (nothing to check). The pointer
  // stays valid until a later Get or Put for the same office changes the entry.
  Result<const ForensicConfigRow*> Get(StateReader& rows, std::string_view office);
  // The fold wrote `row`, encoded as `bytes`, as the office's fx/c/ row.
  void Put(std::string_view office, ForensicConfigRow row, std::string bytes);

 private:
  struct Entry {
    std::string bytes;                     // the row as read or written
    std::optional<ForensicConfigRow> row;  // nullopt: no row (kSeesEveryWrite only)
  };
  Trust trust_;
  std::map<std::string, Entry, std::less<>> by_office_;
};

// Folds one event into the fx/ rows. Events the detection does not read are ignored.
Status FoldForensics(const events::Event& event, std::uint64_t seq, const FoldContext& context,
                     StateRows& rows, ThresholdsCache& thresholds);

// True for the event types FoldForensics reads.
bool ForensicsReads(std::string_view event_type);

// Both folds of one event, as the service and replay apply them: the state's (FoldEvent), then
// the detection's. Without `thresholds`, with a cache of its own (each call decodes them).
Status FoldAll(const events::Event& event, std::uint64_t seq, const FoldContext& context,
               StateRows& rows, ThresholdsCache& thresholds);
Status FoldAll(const events::Event& event, std::uint64_t seq, const FoldContext& context,
               StateRows& rows);

// One append's folds and detection, as the service runs them: Fold each of the append's events
// (FoldAll), Detect over them, Fold the events Detect returned, then Flush. Detect returns the
// phone_flagged.v2 and phone_blacklisted.v1 (automatic) events the append's events call for, in
// a deterministic order; empty when nothing new is found. The rules read only rows: the evidence
// is in them. The detection's parts of the phone and person rows are read and decoded once for
// the whole append, not once per event and again by the detection, and written back once, by
// Flush, into the rows as the state's folds left them. The rows that result are those of FoldAll
// event by event (replay's way), byte for byte: only when the detection's parts are written
// differs. Until Flush, reads of those rows through `rows` itself see the detection's parts as
// they were before the pass (the state's fold reads and writes only its own fields, and writes
// the detection's part back as it found it).
class ForensicsPass {
 public:
  // `thresholds` may be kept from one pass to the next (the service keeps one).
  ForensicsPass(StateRows& rows, ThresholdsCache& thresholds);
  ~ForensicsPass();
  ForensicsPass(const ForensicsPass&) = delete;
  ForensicsPass& operator=(const ForensicsPass&) = delete;

  // FoldAll of one event, keeping the phone and person rows it changes here.
  Status Fold(const events::Event& event, std::uint64_t seq, const FoldContext& context);
  // Detect over the rows as this pass's folds left them.
  Result<std::vector<events::Event>> Detect(std::span<const events::Event> appended,
                                            const FoldContext& context);
  // Writes the detection's parts of the phone and person rows this pass changed to `rows`, into
  // the rows as the state's folds left them.
  Status Flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace antrean::projections
