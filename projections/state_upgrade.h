// Upgrading the derived state of a ledger written by an earlier version: the same rows, stored the
// way this version reads them. The events are never touched; only rows of the `state` column
// family, which are a fold of the events, move (store::Ledger::RewriteState).
//
// State layout 1 kept the detection's part of a phone and of a person in rows of their own,
// fx/p/<phone> and fx/i/<person>. Layout 2 keeps them in the phone's ph/ row and the person's pe/
// row (projections/decision_state.h, PhoneRow and PersonRow), which every registration reads
// anyway: two reads and two writes fewer per registration (docs/PROJECTIONS.md, "One row per
// phone and per person"). UpgradeState moves each layout-1 row into its layout-2 row, in batches
// of at most kUpgradeRowsPerBatch rows; each batch writes the merged rows and deletes the ones
// moved, atomically. A crash between batches leaves a state that the next UpgradeState finishes:
// a row is either moved or not, never both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/ledger.h"

namespace antrean::projections {

inline constexpr std::size_t kUpgradeRowsPerBatch = 10'000;

// The detection's phone and person rows of state layout 1.
inline constexpr std::string_view kLegacyForensicPhonePrefix = "fx/p/";
inline constexpr std::string_view kLegacyForensicPersonPrefix = "fx/i/";

struct StateUpgradeReport {
  std::uint64_t phones = 0;   // fx/p/ rows moved into ph/ rows
  std::uint64_t persons = 0;  // fx/i/ rows moved into pe/ rows
  bool upgraded() const { return phones + persons > 0; }
  // "derived state upgraded to this version's layout (N phone and M person rows ...)", as `serve`
  // and `ingest` report it.
  std::string Describe() const;
};

// Whether the ledger's state still holds layout-1 rows. Reads only.
Result<bool> NeedsStateUpgrade(const store::Ledger& ledger);

// Moves every layout-1 row (nothing to do for a ledger of layout 2: one seek per prefix). Only
// before the process's first append (Ledger::RewriteState). Corruption, and nothing more moved,
// when a row does not decode or its layout-2 row already holds a detection part of its own.
Result<StateUpgradeReport> UpgradeState(store::Ledger& ledger);

}  // namespace antrean::projections
