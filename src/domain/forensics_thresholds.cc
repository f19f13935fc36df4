#include "domain/forensics_thresholds.h"

#include <algorithm>
#include <boost/json.hpp>

#include "domain/civil_time.h"

namespace antrean::domain {
namespace json = boost::json;

namespace {

struct IntField {
  std::string_view key;
  int ForensicsThresholds::*field;
  int min;
  int max;
};

constexpr IntField kIntFields[] = {
    {"window_days", &ForensicsThresholds::window_days, 1, 366},
    {"other_adults_per_phone", &ForensicsThresholds::other_adults_per_phone, 1, kThresholdCountMax},
    {"phones_per_person", &ForensicsThresholds::phones_per_person, 2, kThresholdCountMax},
    {"unused_bookings_min", &ForensicsThresholds::unused_bookings_min, 1, 1000},
    {"unused_rate_min_percent", &ForensicsThresholds::unused_rate_min_percent, 1, 100},
    {"unused_rate_norm_factor", &ForensicsThresholds::unused_rate_norm_factor, 1, 100},
    {"identity_mismatches", &ForensicsThresholds::identity_mismatches, 1, kThresholdCountMax},
    {"rush_minutes", &ForensicsThresholds::rush_minutes, 1, 24 * 60},
    {"burst_per_phone", &ForensicsThresholds::burst_per_phone, 2, kThresholdCountMax},
    {"burst_per_block", &ForensicsThresholds::burst_per_block, 2, kThresholdCountMax},
    {"block_digits", &ForensicsThresholds::block_digits, 1, 4},
    {"ring_phones_min", &ForensicsThresholds::ring_phones_min, 2, 1000},
    {"ring_persons_min", &ForensicsThresholds::ring_persons_min, 2, 1000},
    {"auto_blacklist_no_shows", &ForensicsThresholds::auto_blacklist_no_shows, 0, 1000},
};

}  // namespace

Result<ForensicsThresholds> ParseForensicsThresholds(const json::object& forensics,
                                                     bool ignore_unknown) {
  ForensicsThresholds t;
  for (const auto& kv : forensics) {
    const std::string_view key(kv.key().data(), kv.key().size());
    const json::value& v = kv.value();
    if (key == "_comment") continue;
    const auto* f = std::find_if(std::begin(kIntFields), std::end(kIntFields),
                                 [key](const IntField& i) { return i.key == key; });
    if (f != std::end(kIntFields)) {
      if (!v.is_int64() || v.get_int64() < f->min || v.get_int64() > f->max) {
        return Status::InvalidArgument(std::string(key) + ": expected an integer " +
                                       std::to_string(f->min) + ".." + std::to_string(f->max) +
                                       ", got " + json::serialize(v));
      }
      t.*(f->field) = static_cast<int>(v.get_int64());
    } else if (key == "rush_opens_at") {
      Result<TimeOfDay> at = v.is_string() ? ParseTimeOfDay(std::string_view(v.get_string()))
                                           : Result<TimeOfDay>(Status::InvalidArgument(
                                                 "expected \"HH:MM\", got " + json::serialize(v)));
      if (!at.ok()) return Status::InvalidArgument("rush_opens_at: " + at.status().message());
      t.rush_opens_at = at->minutes;
    } else if (key == "auto_blacklist_rules") {
      if (!v.is_array()) {
        return Status::InvalidArgument("auto_blacklist_rules: expected an array of rule names");
      }
      for (const auto& r : v.get_array()) {
        const std::string_view name =
            r.is_string() ? std::string_view(r.get_string()) : std::string_view();
        if (std::find(std::begin(kDetectionRules), std::end(kDetectionRules), name) ==
            std::end(kDetectionRules)) {
          return Status::InvalidArgument("auto_blacklist_rules: " + json::serialize(r) +
                                         " is not a detection rule (docs/FORENSICS.md)");
        }
        if (std::find(t.auto_blacklist_rules.begin(), t.auto_blacklist_rules.end(), name) ==
            t.auto_blacklist_rules.end()) {
          t.auto_blacklist_rules.emplace_back(name);
        }
      }
    } else if (!ignore_unknown) {
      return Status::InvalidArgument("unknown field " + Quote(key) +
                                     " (docs/OFFICES.md lists the forensics thresholds)");
    }
  }
  return t;
}

}  // namespace antrean::domain
