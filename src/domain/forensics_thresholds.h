// The thresholds of the anti-broker detection rules (docs/FORENSICS.md), as an office file's
// `forensics` object states them. The loader validates them; the detection projection reads them
// back from the recorded "office configuration applied" event, so every flag is explained by the
// thresholds in force when it was raised.
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace antrean::domain {

// The rule names, stable: they are stored in phone_flagged "rule" and in flag ids.
inline constexpr std::string_view kRuleManyPersonsPerPhone = "many_persons_per_phone";
inline constexpr std::string_view kRuleManyPhonesPerPerson = "many_phones_per_person";
inline constexpr std::string_view kRuleBookedNeverUsed = "booked_never_used";
inline constexpr std::string_view kRuleIdentityMismatch = "identity_mismatch";
inline constexpr std::string_view kRuleBurst = "burst";
inline constexpr std::string_view kRuleRing = "ring";
inline constexpr std::string_view kDetectionRules[] = {kRuleManyPersonsPerPhone,
                                                       kRuleManyPhonesPerPerson,
                                                       kRuleBookedNeverUsed,
                                                       kRuleIdentityMismatch,
                                                       kRuleBurst,
                                                       kRuleRing};
// The rule an automatic blacklisting after `auto_blacklist_no_shows` names.
inline constexpr std::string_view kRuleNoShows = "no_shows";

// Bounds of every count threshold: the detection keeps this many sightings per phone or person.
inline constexpr int kThresholdCountMax = 32;

struct ForensicsThresholds {
  int window_days = 30;              // many_persons_per_phone, many_phones_per_person
  int other_adults_per_phone = 3;    // many_persons_per_phone
  int phones_per_person = 3;         // many_phones_per_person
  int unused_bookings_min = 3;       // booked_never_used: expired + forfeited bookings ...
  int unused_rate_min_percent = 60;  // ... at least this share of the phone's bookings ...
  int unused_rate_norm_factor = 3;   // ... and this many times the office's own share
  int identity_mismatches = 1;       // identity_mismatch
  std::optional<int> rush_opens_at;  // minutes after local midnight; default: window start or 0
  int rush_minutes = 10;             // burst: the rush is the first minutes after opening
  int burst_per_phone = 4;           // registrations of one phone in one day's rush
  int burst_per_block = 4;           // distinct phones of one block in one day's rush
  int block_digits = 2;              // a block: numbers equal but for their last digits
  int ring_phones_min = 4;           // ring: a linked group at least this large ...
  int ring_persons_min = 8;          // ... in phones and in persons
  std::vector<std::string> auto_blacklist_rules;  // a flag of these rules also blacklists
  int auto_blacklist_no_shows = 0;  // blacklist once a phone's no-shows reach this; 0: never
  bool operator==(const ForensicsThresholds&) const = default;
};

// Reads a `forensics` object: every key optional (the default above), unknown keys refused
// unless `ignore_unknown` (the detection reading a configuration recorded by an older version).
// InvalidArgument "<key>: what is wrong" naming the key.
Result<ForensicsThresholds> ParseForensicsThresholds(const boost::json::object& forensics,
                                                     bool ignore_unknown = false);

}  // namespace antrean::domain
