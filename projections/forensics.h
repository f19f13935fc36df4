// The detection projection: calo and joki patterns, raised as "phone flagged" events
// (docs/FORENSICS.md has the rules, their thresholds and their innocent look-alikes).
//
// Two pure parts, like the rest of the state projection:
//  - FoldForensics folds one event, with its sequence number, into the "fx/" rows
//    (decision_state.h): per phone and per person what the rules count, per office the norm and
//    the thresholds in force (from the recorded "office configuration applied" events), per
//    number block the phones of one day's rush, and a union-find of phones and persons linked by
//    bookings and attempts (the rings).
//  - Detect looks at the rows an append's events just changed and returns the flags (and the
//    automatic blacklistings) they call for. It reads rows only; what it returns is appended in
//    the same append, and folded like every event. A flag's id names the rule and its subject
//    ("burst:62812345678"), so the same thing is never flagged twice: the fl/ row exists.
//
// Live, the service runs both on every append (app/service.cc); `antrean replay` runs the fold
// over the log, and its rows must equal the live ones (the flags themselves are events).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "projections/fold.h"

namespace antrean::projections {

// Folds one event into the fx/ rows. Events the detection does not read are ignored.
Status FoldForensics(const events::Event& event, std::uint64_t seq, const FoldContext& context,
                     StateRows& rows);

// True for the event types FoldForensics reads.
bool ForensicsReads(std::string_view event_type);

// Both folds of one event, as the service and replay apply them: the state's (FoldEvent), then
// the detection's.
Status FoldAll(const events::Event& event, std::uint64_t seq, const FoldContext& context,
               StateRows& rows);

// The phone_flagged.v2 and phone_blacklisted.v1 (automatic) events that `appended` — one
// append's events, already folded by FoldAll — call for, in a deterministic order. Empty when
// nothing new is found. The rules read only rows: the evidence is in them.
Result<std::vector<events::Event>> Detect(std::span<const events::Event> appended,
                                          const FoldContext& context, StateReader& rows);

}  // namespace antrean::projections
