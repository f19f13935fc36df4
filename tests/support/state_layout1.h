// A ledger's derived state rewritten in state layout 1 (projections/state_upgrade.h), as earlier
// versions left it: the detection's part of every phone and person row in a row of its own,
// fx/p/<phone> or fx/i/<person>, and the ph/ or pe/ row without it.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "projections/decision_state.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"

namespace antrean::support {

// Splits every Row (PhoneRow under "ph/", PersonRow under "pe/") that holds a detection part
// into the row without it and a row under `legacy_prefix` with it. `legacy_bytes(i, part)` gives
// the bytes of the i-th legacy row from the part as this version encodes it (default: those
// bytes). The ledger in `dir` must be closed. Returns how many rows were split.
template <class Row>
std::uint64_t SplitIntoLayout1(
    const std::string& dir, std::string_view prefix, std::string_view legacy_prefix,
    const std::function<std::string(std::size_t, const std::string&)>& legacy_bytes = {}) {
  std::vector<std::pair<std::string, Row>> rows;
  {
    auto ledger = OpenLedger(dir, ReadOnly());
    EXPECT_NE(ledger, nullptr);
    if (ledger == nullptr) return 0;
    EXPECT_TRUE(ledger
                    ->ScanState(prefix, projections::PrefixEnd(prefix),
                                [&](std::string_view k, std::string_view v) {
                                  Row row;
                                  EXPECT_TRUE(projections::Decode(v, &row).ok()) << k;
                                  if (!(row.forensics == decltype(row.forensics){})) {
                                    rows.emplace_back(std::string(k), std::move(row));
                                  }
                                  return true;
                                })
                    .ok());
  }
  RawDb raw(dir);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& [key, row] = rows[i];
    const std::string part = projections::Encode(row.forensics);
    raw.Put(raw.state(), std::string(legacy_prefix) + key.substr(prefix.size()),
            legacy_bytes ? legacy_bytes(i, part) : part);
    row.forensics = {};
    raw.Put(raw.state(), key, projections::Encode(row));
  }
  return rows.size();
}

}  // namespace antrean::support
