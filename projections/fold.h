// The pure fold of the state projection: one event in, the rows it changes out
// (projections/decision_state.h lists the rows). The service applies it to every event it appends;
// `antrean replay` applies it to the whole log. Both must give the same rows, byte for byte.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "events/event.h"
#include "projections/decision_state.h"

namespace antrean::projections {

// What the fold may use from the event's envelope besides its payload. Live, the service knows
// these when it appends; in replay they come from the stored record. The sequence number is not
// among them: this fold does not need it (the detection's fold, projections/forensics.h, takes it
// apart).
struct FoldContext {
  std::string_view actor;    // the envelope's cause actor: officer, auditor, token name
  std::int64_t at_us = 0;    // the envelope's recorded_at
};

// Folds one event into the rows it changes. Events that change no row are ignored. Corruption if
// an existing row cannot be decoded; InvalidArgument if the event's own fields do not have their
// documented form (an instant that does not parse).
Status FoldEvent(const events::Event& event, const FoldContext& context, StateRows& rows);

// True for event types the fold reads; replay decodes only those (the rest cost nothing).
bool FoldReads(std::string_view event_type);

}  // namespace antrean::projections
