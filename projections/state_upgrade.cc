#include "projections/state_upgrade.h"

#include <string>
#include <utility>
#include <vector>

#include "projections/decision_state.h"

namespace antrean::projections {
namespace {

Result<std::vector<std::pair<std::string, std::string>>> NextLegacyRows(const store::Ledger& ledger,
                                                                        std::string_view prefix,
                                                                        std::size_t max) {
  std::vector<std::pair<std::string, std::string>> rows;
  Status s =
      ledger.ScanState(prefix, PrefixEnd(prefix), [&](std::string_view k, std::string_view v) {
        rows.emplace_back(std::string(k), std::string(v));
        return rows.size() < max;
      });
  if (!s.ok()) return s;
  return rows;
}

// Moves the rows under `legacy_prefix` (Part) into the rows `row_key` names (Row).
template <class Row, class Part>
Result<std::uint64_t> Move(store::Ledger& ledger, std::string_view legacy_prefix,
                           std::string (*row_key)(std::string_view)) {
  std::uint64_t moved = 0;
  for (;;) {
    // Moved rows are deleted, so each batch starts again at the prefix.
    auto legacy = NextLegacyRows(ledger, legacy_prefix, kUpgradeRowsPerBatch);
    if (!legacy.ok()) return legacy.status();
    if (legacy->empty()) return moved;
    std::vector<std::pair<std::string, std::string>> puts;
    std::vector<std::string> deletes;
    for (auto& [key, bytes] : *legacy) {
      Part part;
      if (Status s = Decode(bytes, &part); !s.ok()) {
        return Status::Corruption("state row " + key + " (layout 1): " + s.message());
      }
      const std::string target = row_key(std::string_view(key).substr(legacy_prefix.size()));
      Row row;
      auto stored = ledger.GetState(target);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) {
        if (Status s = Decode(**stored, &row); !s.ok()) {
          return Status::Corruption("state row " + target + ": " + s.message());
        }
        // Written by layout 2 and layout 1 both: the rows are not what any version folds.
        if (!(row.forensics == Part{})) {
          return Status::Corruption("state row " + target + " already holds the detection's part " +
                                    "that " + key + " (layout 1) holds too");
        }
      }
      row.forensics = std::move(part);
      puts.emplace_back(target, Encode(row));
      deletes.push_back(std::move(key));
    }
    if (Status s = ledger.RewriteState(puts, deletes); !s.ok()) return s;
    moved += deletes.size();
  }
}

}  // namespace

std::string StateUpgradeReport::Describe() const {
  return "derived state upgraded to this version's layout (" + std::to_string(phones) +
         " phone and " + std::to_string(persons) +
         " person rows of the detection moved into ph/ and pe/)";
}

Result<bool> NeedsStateUpgrade(const store::Ledger& ledger) {
  for (std::string_view prefix : {kLegacyForensicPhonePrefix, kLegacyForensicPersonPrefix}) {
    auto rows = NextLegacyRows(ledger, prefix, 1);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) return true;
  }
  return false;
}

Result<StateUpgradeReport> UpgradeState(store::Ledger& ledger) {
  StateUpgradeReport report;
  auto phones = Move<PhoneRow, ForensicPhoneRow>(ledger, kLegacyForensicPhonePrefix, PhoneRowKey);
  if (!phones.ok()) return phones.status();
  report.phones = *phones;
  auto persons =
      Move<PersonRow, ForensicPersonRow>(ledger, kLegacyForensicPersonPrefix, PersonRowKey);
  if (!persons.ok()) return persons.status();
  report.persons = *persons;
  return report;
}

}  // namespace antrean::projections
