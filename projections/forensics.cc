#include "projections/forensics.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <type_traits>
#include <variant>

#include "domain/civil_time.h"
#include "domain/forensics_thresholds.h"
#include "events/event_types.h"
#include "events/keys.h"

namespace antrean::projections {
namespace {
namespace json = boost::json;

constexpr std::int64_t kMicrosPerMinute = 60'000'000;
constexpr std::int64_t kMinutesPerDay = 24 * 60;
constexpr std::int64_t kMicrosPerDay = kMicrosPerMinute * kMinutesPerDay;
// Union by size keeps a group's depth below log2 of its size; this bounds the walk to a root
// even over a damaged state.
constexpr int kRingDepthMax = 64;

// The event types the fold reads (ForensicsReads answers from this one list).
using ForensicFolded =
    events::EventSet<events::OfficeConfigurationApplied, events::BookingCodeIssued,
                     events::RegistrationRejected, events::BookingCodeResent,
                     events::BookingExpired, events::BookingForfeited, events::IdentityChecked,
                     events::PhoneFlagged>;

constexpr std::string_view kOtherAdultReason = "phone_registered_to_other_adult";

template <class T>
void PushCapped(std::vector<T>& v, T x, std::size_t max) {
  v.push_back(std::move(x));
  if (v.size() > max) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() - max));
}

// Records that `who` was seen now: a sighting already there moves to the end with the new time.
void See(std::vector<Sighting>& seen, std::string_view who, std::int64_t at_us, std::uint64_t seq) {
  auto it =
      std::find_if(seen.begin(), seen.end(), [who](const Sighting& s) { return s.who == who; });
  if (it != seen.end()) seen.erase(it);
  PushCapped(seen, Sighting{std::string(who), at_us, seq}, kSightingsMax);
}

// The sightings within the window ending at `now_us`.
std::vector<const Sighting*> Within(const std::vector<Sighting>& seen, std::int64_t now_us,
                                    int window_days) {
  std::vector<const Sighting*> out;
  const std::int64_t from = now_us - static_cast<std::int64_t>(window_days) * kMicrosPerDay;
  for (const auto& s : seen) {
    if (s.at_us >= from) out.push_back(&s);
  }
  return out;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

struct LocalMinute {
  std::int64_t day = 0;  // days since the epoch, local
  int minute = 0;        // minutes since local midnight
};
LocalMinute Local(std::int64_t at_us, int utc_offset_minutes) {
  const std::int64_t m = FloorDiv(at_us, kMicrosPerMinute) + utc_offset_minutes;
  const std::int64_t day = FloorDiv(m, kMinutesPerDay);
  return {day, static_cast<int>(m - day * kMinutesPerDay)};
}
std::string DateText(std::int64_t day) {
  auto d = domain::DateFromDaysSinceEpoch(day);
  return d.ok() ? domain::FormatDate(*d) : std::to_string(day);
}

// The rush of a day: [opens, opens + rush_minutes) local. A registration in it belongs to that
// day's rush; nullopt otherwise.
std::optional<std::string> RushDate(const ForensicConfigRow& cfg, std::int64_t at_us) {
  const LocalMinute l = Local(at_us, cfg.utc_offset_minutes);
  if (l.minute < cfg.rush_opens_minute || l.minute >= cfg.rush_opens_minute + cfg.rush_minutes) {
    return std::nullopt;
  }
  return DateText(l.day);
}

std::string Block(std::string_view phone, int block_digits) {
  const auto n = static_cast<std::size_t>(block_digits);
  return phone.size() > n ? std::string(phone.substr(0, phone.size() - n)) + std::string(n, 'x')
                          : std::string(phone);
}

// ---- The thresholds in force, from the recorded configuration --------------------------------

ForensicConfigRow ConfigRowFrom(const json::object& config) {
  ForensicConfigRow r;
  // An older configuration may name thresholds this version does not know, or none: the known
  // ones apply and the rest take their defaults (ParseForensicsThresholds, ignore_unknown).
  if (const json::value* f = config.if_contains("forensics"); f != nullptr && f->is_object()) {
    if (auto parsed = domain::ParseForensicsThresholds(f->get_object(), true); parsed.ok()) {
      static_cast<domain::ForensicsThresholds&>(r) = *parsed;
    }
  }
  if (const json::value* z = config.if_contains("time_zone"); z != nullptr && z->is_string()) {
    if (auto zone = domain::ParseTimeZone(std::string_view(z->get_string())); zone.ok()) {
      r.utc_offset_minutes = domain::UtcOffsetMinutes(*zone);
    }
  }
  int opens = 0;
  if (const json::value* w = config.if_contains("registration_window");
      w != nullptr && w->is_object()) {
    if (const json::value* s = w->get_object().if_contains("start");
        s != nullptr && s->is_string()) {
      if (auto at = domain::ParseTimeOfDay(std::string_view(s->get_string())); at.ok()) {
        opens = at->minutes;
      }
    }
  }
  r.rush_opens_minute = r.rush_opens_at.value_or(opens);
  return r;
}

// ---- Rings: a union-find over phones ("p:<phone>") and persons ("i:<NAME|YYYY-MM-DD>") -------

std::string PhoneNode(std::string_view phone) { return "p:" + std::string(phone); }
std::string PersonNode(std::string_view person) { return "i:" + std::string(person); }
bool IsPhoneNode(std::string_view node) { return node.substr(0, 2) == "p:"; }

// The detection's parts of the phone and person rows one event's fold (or one append's detection)
// works on, each row read and decoded once however often the rules and the ring walk look at it.
// Parts asked for `write` are written back by Flush, once, into the rows as they are then: the
// state's fold may have changed the state's part of the same row meanwhile.
class TouchedRows {
 public:
  explicit TouchedRows(StateReader& reader) : reader_(reader) {}

  Result<ForensicPhoneRow*> Phone(std::string_view phone, bool write) {
    return Get<PhoneRow>(phones_, PhoneRowKey(phone), write);
  }
  Result<ForensicPersonRow*> Person(std::string_view person, bool write) {
    return Get<PersonRow>(persons_, PersonRowKey(person), write);
  }
  // A ring node lives in its phone's or person's row.
  Result<RingNode*> Node(std::string_view node, bool write) {
    if (IsPhoneNode(node)) {
      auto r = Phone(node.substr(2), write);
      if (!r.ok()) return r.status();
      return &(*r)->node;
    }
    auto r = Person(node.substr(2), write);
    if (!r.ok()) return r.status();
    return &(*r)->node;
  }
  Status Flush(StateRows& rows) const {
    if (Status s = FlushParts<PhoneRow>(phones_, rows); !s.ok()) return s;
    return FlushParts<PersonRow>(persons_, rows);
  }

 private:
  template <class Part>
  struct Entry {
    Part part;
    bool write = false;
  };
  template <class Part>
  using Parts = std::map<std::string, Entry<Part>, std::less<>>;  // by row key

  template <class Row, class Part>
  Result<Part*> Get(Parts<Part>& parts, std::string key, bool write) {
    auto it = parts.find(key);
    if (it == parts.end()) {
      auto loaded = LoadRow<Row>(reader_, key);
      if (!loaded.ok()) return loaded.status();
      it = parts.emplace(std::move(key), Entry<Part>{std::move(loaded->forensics), false}).first;
    }
    it->second.write = it->second.write || write;
    return &it->second.part;
  }
  template <class Row, class Part>
  static Status FlushParts(const Parts<Part>& parts, StateRows& rows) {
    for (const auto& [key, e] : parts) {
      if (!e.write) continue;
      auto row = EditRow<Row>(rows, key);
      if (!row.ok()) return row.status();
      (*row)->forensics = e.part;
      std::move(*row).Commit(rows);
    }
    return Status::Ok();
  }

  StateReader& reader_;
  Parts<ForensicPhoneRow> phones_;
  Parts<ForensicPersonRow> persons_;
};

struct Root {
  std::string node;
  RingNode value;  // a copy, with its counts filled in, also for a node alone
};

Result<Root> FindRoot(TouchedRows& rows, std::string node) {
  for (int depth = 0; depth < kRingDepthMax; ++depth) {
    auto n = rows.Node(node, false);
    if (!n.ok()) return n.status();
    if ((*n)->parent.empty()) {
      RingNode value = **n;
      if (value.phones + value.persons == 0) {  // a node alone: a group of one
        (IsPhoneNode(node) ? value.phones : value.persons) = 1;
        value.members = {node};
      }
      return Root{std::move(node), std::move(value)};
    }
    node = (*n)->parent;
  }
  return Status::Corruption("ring node " + node + ": no root within " +
                            std::to_string(kRingDepthMax) + " steps");
}

// Sets a node's value, to be written back with its row.
Status SaveNode(TouchedRows& rows, std::string_view node, RingNode value) {
  auto n = rows.Node(node, true);
  if (!n.ok()) return n.status();
  **n = std::move(value);
  return Status::Ok();
}

// Links a phone and a person (a booking or an attempt, event `seq`): their groups become one,
// the smaller under the larger.
Status Link(TouchedRows& rows, std::string_view phone, std::string_view person, std::uint64_t seq) {
  auto a = FindRoot(rows, PhoneNode(phone));
  if (!a.ok()) return a.status();
  auto b = FindRoot(rows, PersonNode(person));
  if (!b.ok()) return b.status();
  if (a->node == b->node) return Status::Ok();
  Root* big = &*a;
  Root* small = &*b;
  const auto size = [](const Root& r) { return r.value.phones + r.value.persons; };
  if (size(*small) > size(*big) || (size(*small) == size(*big) && small->node < big->node)) {
    std::swap(big, small);
  }
  RingNode& g = big->value;
  g.phones += small->value.phones;
  g.persons += small->value.persons;
  for (auto& m : small->value.members) {
    if (g.members.size() >= kRingMembersMax) break;
    g.members.push_back(std::move(m));
  }
  std::vector<std::uint64_t> seqs = std::move(g.seqs);
  seqs.insert(seqs.end(), small->value.seqs.begin(), small->value.seqs.end());
  seqs.push_back(seq);
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  if (seqs.size() > kEvidenceMax) seqs.erase(seqs.begin(), seqs.end() - kEvidenceMax);
  g.seqs = std::move(seqs);
  g.flagged = g.flagged || small->value.flagged;
  if (Status s = SaveNode(rows, small->node, RingNode{big->node, 0, 0, {}, {}, false}); !s.ok()) {
    return s;
  }
  return SaveNode(rows, big->node, std::move(g));
}

// ---- The fold ---------------------------------------------------------------------------------

// The phone and person rows it changes stay in `touched` (its owner writes them back, TouchedRows::
// Flush); the other rows are written to `rows` at once.
class Folder {
 public:
  Folder(std::uint64_t seq, const FoldContext& ctx, StateRows& rows, TouchedRows& touched,
         ThresholdsCache& configs)
      : seq_(seq), ctx_(ctx), rows_(rows), touched_(touched), configs_(configs) {}

  Status Fold(const events::Event& event) { return std::visit(*this, event); }

  Status operator()(const events::OfficeConfigurationApplied& e) {
    ForensicConfigRow row = ConfigRowFrom(e.config);
    std::string bytes = Encode(row);
    rows_.Write(ForensicConfigRowKey(e.office), bytes);
    configs_.Put(e.office, std::move(row), std::move(bytes));
    return Status::Ok();
  }
  Status operator()(const events::BookingCodeIssued& e) {
    auto office = EditRow<ForensicOfficeRow>(rows_, ForensicOfficeRowKey(e.office));
    if (!office.ok()) return office.status();
    ++(*office)->issued;
    std::move(*office).Commit(rows_);
    auto phone = touched_.Phone(e.phone, true);
    if (!phone.ok()) return phone.status();
    ++(*phone)->issued;
    if (Status s = CountRush(e.office, e.phone, **phone); !s.ok()) return s;
    return SeenWith(events::PersonRef(e.name, e.birth_date), e.phone);
  }
  Status operator()(const events::RegistrationRejected& e) {
    auto phone = touched_.Phone(e.phone, true);
    if (!phone.ok()) return phone.status();
    const bool person_known = e.name.has_value() && e.birth_date.has_value();
    const std::string person = person_known ? events::PersonRef(*e.name, *e.birth_date) : "";
    if (person_known && e.reason == kOtherAdultReason) {
      See((*phone)->other_adults, person, ctx_.at_us, seq_);
    }
    if (Status s = CountRush(e.office, e.phone, **phone); !s.ok()) return s;
    return person_known ? SeenWith(person, e.phone) : Status::Ok();
  }
  Status operator()(const events::BookingCodeResent& e) {
    auto phone = touched_.Phone(e.phone, true);
    if (!phone.ok()) return phone.status();
    return CountRush(e.office, e.phone, **phone);
  }
  Status operator()(const events::BookingExpired& e) { return Unused(e.office, e.phone); }
  Status operator()(const events::BookingForfeited& e) { return Unused(e.office, e.phone); }
  Status operator()(const events::IdentityChecked& e) {
    if (!MayMismatch(e)) return Status::Ok();  // most checks: no booking row to read
    auto booking = LoadRow<BookingRow>(rows_, BookingRowKey(e.code));
    if (!booking.ok()) return booking.status();
    if (booking->code.empty() || !Mismatch(e, *booking)) return Status::Ok();
    auto phone = touched_.Phone(booking->phone, true);
    if (!phone.ok()) return phone.status();
    ++(*phone)->mismatches;
    PushCapped((*phone)->mismatch_seqs, seq_, kEvidenceMax);
    return Status::Ok();
  }
  Status operator()(const events::PhoneFlagged& e) {
    if (e.rule != domain::kRuleRing) return Status::Ok();
    // The group is reported once; it stays reported as it grows or merges (Link keeps the mark).
    auto root = FindRoot(touched_, PhoneNode(e.phone));
    if (!root.ok()) return root.status();
    root->value.flagged = true;
    return SaveNode(touched_, root->node, std::move(root->value));
  }
  template <class T>
  Status operator()(const T&) {
    return Status::Ok();
  }

  // A failed identity check that points at another person: the person did not match, or the
  // phone shown did not on a booking for the phone's owner (a toddler or an elderly relative may
  // come with another member of the family and their phone).
  static bool Mismatch(const events::IdentityChecked& e, const BookingRow& b) {
    return !e.person_matches || (!e.phone_matches && b.relation == "owner");
  }
  // False when no booking can make the check a mismatch: both matched.
  static bool MayMismatch(const events::IdentityChecked& e) {
    return !e.person_matches || !e.phone_matches;
  }

 private:
  // The person was booked or tried from the phone: a sighting, and a link of their groups.
  Status SeenWith(const std::string& person, std::string_view phone) {
    auto p = touched_.Person(person, true);
    if (!p.ok()) return p.status();
    See((*p)->phones, phone, ctx_.at_us, seq_);
    return Link(touched_, phone, person, seq_);
  }

  // A registration in the rush counts for its phone and its number block.
  Status CountRush(std::string_view office, std::string_view phone, ForensicPhoneRow& row) {
    auto cfg = configs_.Get(rows_, office);
    if (!cfg.ok()) return cfg.status();
    if (*cfg == nullptr) return Status::Ok();  // no configuration recorded: no rush known
    auto date = RushDate(**cfg, ctx_.at_us);
    if (!date) return Status::Ok();
    const std::string day = std::string(office) + "|" + *date;
    if (row.rush_day != day) {
      row.rush_day = day;
      row.rush_seqs.clear();
    }
    PushCapped(row.rush_seqs, seq_, kEvidenceMax);
    const std::string key = BlockRowKey(office, *date, Block(phone, (*cfg)->block_digits));
    auto block = EditRow<BlockRow>(rows_, key);
    if (!block.ok()) return block.status();
    std::vector<Sighting>& phones = (*block)->phones;
    const bool known = std::any_of(phones.begin(), phones.end(),
                                   [phone](const Sighting& s) { return s.who == phone; });
    if (!known && phones.size() < kSightingsMax) {
      phones.push_back(Sighting{std::string(phone), ctx_.at_us, seq_});
      std::move(*block).Commit(rows_);
    }
    return Status::Ok();
  }

  Status Unused(const std::string& office_id, const std::string& phone_number) {
    auto office = EditRow<ForensicOfficeRow>(rows_, ForensicOfficeRowKey(office_id));
    if (!office.ok()) return office.status();
    ++(*office)->unused;
    std::move(*office).Commit(rows_);
    auto phone = touched_.Phone(phone_number, true);
    if (!phone.ok()) return phone.status();
    ++(*phone)->unused;
    PushCapped((*phone)->unused_seqs, seq_, kEvidenceMax);
    return Status::Ok();
  }

  std::uint64_t seq_;
  const FoldContext& ctx_;
  StateRows& rows_;
  TouchedRows& touched_;
  ThresholdsCache& configs_;
};

// ---- Detection --------------------------------------------------------------------------------

// A count's score: 600 at the threshold, +100 for each one beyond it, at most 1000.
std::uint32_t Score(std::size_t count, int threshold) {
  const std::int64_t beyond = static_cast<std::int64_t>(count) - threshold;
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(600 + 100 * beyond, 0, 1000));
}

std::vector<std::uint64_t> SeqsOf(const std::vector<const Sighting*>& seen) {
  std::vector<std::uint64_t> out;
  for (const auto* s : seen) out.push_back(s->seq);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> WhoOf(const std::vector<const Sighting*>& seen) {
  std::vector<std::string> out;
  for (const auto* s : seen) out.push_back(s->who);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::uint64_t> Sorted(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// A flag of `rule` on `phone`; its id names the rule and the subject, so it is raised once.
events::PhoneFlagged NewFlag(std::string_view rule, std::string_view subject,
                             const std::string& phone, std::uint32_t score) {
  events::PhoneFlagged f;
  f.flag_id = std::string(rule) + ":" + std::string(subject);
  f.phone = phone;
  f.rule = std::string(rule);
  f.score = std::min<std::uint32_t>(score, 1000);
  return f;
}

// Reads the phone and person rows from `touched`, as the append's folds left them.
class Detector {
 public:
  Detector(const FoldContext& ctx, StateReader& rows, TouchedRows& touched,
           ThresholdsCache& configs)
      : ctx_(ctx), rows_(rows), touched_(touched), configs_(configs) {}

  Status operator()(const events::RegistrationRejected& e) {
    if (e.reason == kOtherAdultReason) {
      if (Status s = ManyPersons(e.office, e.phone); !s.ok()) return s;
    }
    if (e.name && e.birth_date) {
      if (Status s = Person(e.office, events::PersonRef(*e.name, *e.birth_date), e.phone);
          !s.ok()) {
        return s;
      }
    }
    return Burst(e.office, e.phone);
  }
  Status operator()(const events::BookingCodeIssued& e) {
    if (Status s = Person(e.office, events::PersonRef(e.name, e.birth_date), e.phone); !s.ok()) {
      return s;
    }
    return Burst(e.office, e.phone);
  }
  Status operator()(const events::BookingCodeResent& e) { return Burst(e.office, e.phone); }
  Status operator()(const events::BookingExpired& e) { return Unused(e.office, e.phone); }
  Status operator()(const events::BookingForfeited& e) { return Unused(e.office, e.phone); }
  Status operator()(const events::IdentityChecked& e) {
    if (!Folder::MayMismatch(e)) return Status::Ok();
    auto booking = LoadRow<BookingRow>(rows_, BookingRowKey(e.code));
    if (!booking.ok()) return booking.status();
    if (booking->code.empty() || !Folder::Mismatch(e, *booking)) return Status::Ok();
    auto cfg = Config(e.office);
    if (!cfg.ok() || *cfg == nullptr) return cfg.status();
    auto phone_row = touched_.Phone(booking->phone, false);
    if (!phone_row.ok()) return phone_row.status();
    const ForensicPhoneRow* phone = *phone_row;
    if (phone->mismatches < static_cast<std::uint32_t>((*cfg)->identity_mismatches)) {
      return Status::Ok();
    }
    events::PhoneFlagged f = NewFlag(domain::kRuleIdentityMismatch, booking->phone, booking->phone,
                                     Score(phone->mismatches, (*cfg)->identity_mismatches) +
                                         (!e.person_matches && !e.phone_matches ? 200 : 0));
    f.evidence = Sorted(phone->mismatch_seqs);
    f.detail = std::to_string(phone->mismatches) +
               " identity check(s) at the counter failed on this phone's bookings (latest: " +
               (e.person_matches ? "the phone shown was not the registering phone"
                                 : "the person was not the one booked") +
               ")";
    return Raise(**cfg, std::move(f));
  }
  template <class T>
  Status operator()(const T&) {
    return Status::Ok();
  }

  std::vector<events::Event> Take() { return std::move(out_); }

 private:
  // The thresholds in force at the office; nullptr when none was recorded (nothing to check).
  Result<const ForensicConfigRow*> Config(const std::string& office) {
    return configs_.Get(rows_, office);
  }

  // Whether a flag with this id exists, or was raised earlier in this append.
  Result<bool> Known(const std::string& flag_id) {
    if (raised_.contains(flag_id)) return true;
    auto row = rows_.Read(FlagRowKey(flag_id));
    if (!row.ok()) return row.status();
    return row->has_value();
  }

  Status Raise(const ForensicConfigRow& cfg, events::PhoneFlagged f) {
    auto known = Known(f.flag_id);
    if (!known.ok()) return known.status();
    if (*known) return Status::Ok();
    raised_.insert(f.flag_id);
    // The flag first, then the blacklistings it causes where the office says so.
    std::vector<std::string> phones = {f.phone};
    phones.insert(phones.end(), f.phones.begin(), f.phones.end());
    const std::string rule = f.rule, detail = f.detail;
    const std::vector<std::uint64_t> evidence = f.evidence;
    out_.push_back(std::move(f));
    if (std::find(cfg.auto_blacklist_rules.begin(), cfg.auto_blacklist_rules.end(), rule) ==
        cfg.auto_blacklist_rules.end()) {
      return Status::Ok();
    }
    for (const auto& phone : phones) {
      if (Status s = Blacklist(phone, rule, detail, evidence); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Blacklist(const std::string& phone, std::string_view rule, const std::string& why,
                   const std::vector<std::uint64_t>& evidence) {
    if (blacklisted_.contains(phone)) return Status::Ok();
    auto row = LoadRow<PhoneRow>(rows_, PhoneRowKey(phone));
    if (!row.ok()) return row.status();
    if (row->blacklisted) return Status::Ok();
    blacklisted_.insert(phone);
    events::PhoneBlacklisted b;
    b.phone = phone;
    b.reason = "automatic (" + std::string(rule) + "): " + why;
    b.evidence = evidence;
    b.automatic = true;
    b.rule = std::string(rule);
    out_.push_back(std::move(b));
    return Status::Ok();
  }

  Status ManyPersons(const std::string& office, const std::string& phone_number) {
    auto cfg = Config(office);
    if (!cfg.ok() || *cfg == nullptr) return cfg.status();
    auto phone_row = touched_.Phone(phone_number, false);
    if (!phone_row.ok()) return phone_row.status();
    const ForensicPhoneRow* phone = *phone_row;
    const auto seen = Within(phone->other_adults, ctx_.at_us, (*cfg)->window_days);
    if (seen.size() < static_cast<std::size_t>((*cfg)->other_adults_per_phone)) {
      return Status::Ok();
    }
    events::PhoneFlagged f = NewFlag(domain::kRuleManyPersonsPerPhone, phone_number, phone_number,
                                     Score(seen.size(), (*cfg)->other_adults_per_phone));
    f.evidence = SeqsOf(seen);
    f.persons = WhoOf(seen);
    f.detail = "tried to book " + std::to_string(seen.size()) +
               " adults other than the phone's owner within " +
               std::to_string((*cfg)->window_days) + " days";
    return Raise(**cfg, std::move(f));
  }

  // A person booked or tried: many phones for one person, and the group it is linked into.
  Status Person(const std::string& office, const std::string& person,
                const std::string& phone_number) {
    auto cfg = Config(office);
    if (!cfg.ok() || *cfg == nullptr) return cfg.status();
    auto person_row = touched_.Person(person, false);
    if (!person_row.ok()) return person_row.status();
    const ForensicPersonRow* p = *person_row;
    const auto seen = Within(p->phones, ctx_.at_us, (*cfg)->window_days);
    if (seen.size() >= static_cast<std::size_t>((*cfg)->phones_per_person)) {
      events::PhoneFlagged f = NewFlag(domain::kRuleManyPhonesPerPerson, person, phone_number,
                                       Score(seen.size(), (*cfg)->phones_per_person));
      f.evidence = SeqsOf(seen);
      f.persons = {person};
      f.phones = WhoOf(seen);
      f.detail = "the same person was booked or tried from " + std::to_string(seen.size()) +
                 " phones within " + std::to_string((*cfg)->window_days) + " days";
      if (Status s = Raise(**cfg, std::move(f)); !s.ok()) return s;
    }
    return Ring(**cfg, phone_number);
  }

  Status Ring(const ForensicConfigRow& cfg, const std::string& phone_number) {
    auto root = FindRoot(touched_, PhoneNode(phone_number));
    if (!root.ok()) return root.status();
    const RingNode& g = root->value;
    if (g.flagged || g.phones < static_cast<std::uint32_t>(cfg.ring_phones_min) ||
        g.persons < static_cast<std::uint32_t>(cfg.ring_persons_min)) {
      return Status::Ok();
    }
    events::PhoneFlagged f =
        NewFlag(domain::kRuleRing, root->node, phone_number,
                600 + 50 * (g.phones - static_cast<std::uint32_t>(cfg.ring_phones_min)) +
                    25 * (g.persons - static_cast<std::uint32_t>(cfg.ring_persons_min)));
    f.evidence = g.seqs;
    for (const auto& m : g.members) {
      if (IsPhoneNode(m)) {
        if (m.substr(2) != phone_number) f.phones.push_back(m.substr(2));
      } else {
        f.persons.push_back(m.substr(2));
      }
    }
    std::sort(f.phones.begin(), f.phones.end());
    std::sort(f.persons.begin(), f.persons.end());
    f.detail = "a group of " + std::to_string(g.phones) + " phones and " +
               std::to_string(g.persons) + " persons linked by bookings and attempts";
    return Raise(cfg, std::move(f));
  }

  Status Burst(const std::string& office, const std::string& phone_number) {
    auto cfg = Config(office);
    if (!cfg.ok() || *cfg == nullptr) return cfg.status();
    auto date = RushDate(**cfg, ctx_.at_us);
    if (!date) return Status::Ok();
    auto phone_row = touched_.Phone(phone_number, false);
    if (!phone_row.ok()) return phone_row.status();
    const ForensicPhoneRow* phone = *phone_row;
    const std::string rush = "in the first " + std::to_string((*cfg)->rush_minutes) +
                             " minutes after registration opened at " + office + " on " + *date;
    if (phone->rush_seqs.size() >= static_cast<std::size_t>((*cfg)->burst_per_phone)) {
      events::PhoneFlagged f = NewFlag(domain::kRuleBurst, phone_number, phone_number,
                                       Score(phone->rush_seqs.size(), (*cfg)->burst_per_phone));
      f.evidence = Sorted(phone->rush_seqs);
      f.detail = std::to_string(phone->rush_seqs.size()) + " registrations from this phone " + rush;
      if (Status s = Raise(**cfg, std::move(f)); !s.ok()) return s;
    }
    const std::string block = Block(phone_number, (*cfg)->block_digits);
    auto row = LoadRow<BlockRow>(rows_, BlockRowKey(office, *date, block));
    if (!row.ok()) return row.status();
    if (row->phones.size() < static_cast<std::size_t>((*cfg)->burst_per_block)) {
      return Status::Ok();
    }
    std::vector<const Sighting*> seen;
    for (const auto& s : row->phones) seen.push_back(&s);
    events::PhoneFlagged f = NewFlag(domain::kRuleBurst, "block:" + block, phone_number,
                                     Score(seen.size(), (*cfg)->burst_per_block));
    f.evidence = SeqsOf(seen);
    f.phones = WhoOf(seen);
    std::erase(f.phones, phone_number);
    f.detail = std::to_string(seen.size()) + " phones of the number block " + block +
               " registered " + rush;
    return Raise(**cfg, std::move(f));
  }

  Status Unused(const std::string& office_id, const std::string& phone_number) {
    auto cfg = Config(office_id);
    if (!cfg.ok() || *cfg == nullptr) return cfg.status();
    auto phone_row = touched_.Phone(phone_number, false);
    if (!phone_row.ok()) return phone_row.status();
    const ForensicPhoneRow* phone = *phone_row;
    auto office = LoadRow<ForensicOfficeRow>(rows_, ForensicOfficeRowKey(office_id));
    if (!office.ok()) return office.status();
    const ForensicConfigRow& c = **cfg;
    if (c.auto_blacklist_no_shows > 0 &&
        phone->unused == static_cast<std::uint32_t>(c.auto_blacklist_no_shows)) {
      if (Status s = Blacklist(phone_number, domain::kRuleNoShows,
                               std::to_string(phone->unused) + " bookings never used",
                               Sorted(phone->unused_seqs));
          !s.ok()) {
        return s;
      }
    }
    // unused/issued >= rate% and >= factor * office unused/issued, in integers.
    const std::uint64_t unused = phone->unused, issued = std::max<std::uint32_t>(phone->issued, 1);
    const bool many = unused >= static_cast<std::uint64_t>(c.unused_bookings_min);
    const bool rate =
        unused * 100 >= static_cast<std::uint64_t>(c.unused_rate_min_percent) * issued;
    const bool norm =
        unused * std::max<std::uint64_t>(office->issued, 1) >=
        static_cast<std::uint64_t>(c.unused_rate_norm_factor) * office->unused * issued;
    if (!many || !rate || !norm) return Status::Ok();
    events::PhoneFlagged f = NewFlag(domain::kRuleBookedNeverUsed, phone_number, phone_number,
                                     Score(unused, c.unused_bookings_min));
    f.evidence = Sorted(phone->unused_seqs);
    const std::uint64_t norm_percent =
        office->issued == 0 ? 0 : std::uint64_t{office->unused} * 100 / office->issued;
    f.detail = std::to_string(unused) + " of the phone's " + std::to_string(phone->issued) +
               " bookings were never used (expired or forfeited); the office's norm is " +
               std::to_string(norm_percent) + "%";
    return Raise(c, std::move(f));
  }

  const FoldContext& ctx_;
  StateReader& rows_;
  TouchedRows& touched_;  // read only here
  ThresholdsCache& configs_;
  std::set<std::string> raised_;
  std::set<std::string> blacklisted_;
  std::vector<events::Event> out_;
};

}  // namespace

Result<const ForensicConfigRow*> ThresholdsCache::Get(StateReader& rows, std::string_view office) {
  auto it = by_office_.find(office);
  if (trust_ == Trust::kSeesEveryWrite && it != by_office_.end()) {
    return it->second.row ? &*it->second.row : nullptr;
  }
  const std::string key = ForensicConfigRowKey(office);
  auto bytes = rows.Read(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    if (trust_ == Trust::kSeesEveryWrite) by_office_.emplace(std::string(office), Entry{});
    return nullptr;
  }
  if (it != by_office_.end() && it->second.row && it->second.bytes == **bytes) {
    return &*it->second.row;
  }
  ForensicConfigRow row;
  if (Status s = Decode(**bytes, &row); !s.ok()) {
    return Status::Corruption("state row " + key + ": " + s.message());
  }
  if (it == by_office_.end()) it = by_office_.emplace(std::string(office), Entry{}).first;
  it->second = Entry{std::move(**bytes), std::move(row)};
  return &*it->second.row;
}

void ThresholdsCache::Put(std::string_view office, ForensicConfigRow row, std::string bytes) {
  auto it = by_office_.find(office);
  if (it == by_office_.end()) it = by_office_.emplace(std::string(office), Entry{}).first;
  it->second = Entry{std::move(bytes), std::move(row)};
}

Status FoldForensics(const events::Event& event, std::uint64_t seq, const FoldContext& context,
                     StateRows& rows, ThresholdsCache& thresholds) {
  TouchedRows touched(rows);
  Status s = Folder(seq, context, rows, touched, thresholds).Fold(event);
  return s.ok() ? touched.Flush(rows) : s;
}

bool ForensicsReads(std::string_view event_type) { return ForensicFolded::Names(event_type); }

Status FoldAll(const events::Event& event, std::uint64_t seq, const FoldContext& context,
               StateRows& rows, ThresholdsCache& thresholds) {
  Status folded = FoldEvent(event, context, rows);
  return folded.ok() ? FoldForensics(event, seq, context, rows, thresholds) : folded;
}

Status FoldAll(const events::Event& event, std::uint64_t seq, const FoldContext& context,
               StateRows& rows) {
  ThresholdsCache thresholds;
  return FoldAll(event, seq, context, rows, thresholds);
}

struct ForensicsPass::Impl {
  Impl(StateRows& r, ThresholdsCache& c) : rows(r), touched(r), configs(c) {}
  StateRows& rows;
  TouchedRows touched;
  ThresholdsCache& configs;
};

ForensicsPass::ForensicsPass(StateRows& rows, ThresholdsCache& thresholds)
    : impl_(std::make_unique<Impl>(rows, thresholds)) {}
ForensicsPass::~ForensicsPass() = default;

Status ForensicsPass::Fold(const events::Event& event, std::uint64_t seq,
                           const FoldContext& context) {
  if (Status folded = FoldEvent(event, context, impl_->rows); !folded.ok()) return folded;
  return Folder(seq, context, impl_->rows, impl_->touched, impl_->configs).Fold(event);
}

Result<std::vector<events::Event>> ForensicsPass::Detect(std::span<const events::Event> appended,
                                                         const FoldContext& context) {
  Detector detector(context, impl_->rows, impl_->touched, impl_->configs);
  for (const auto& e : appended) {
    if (Status s = std::visit(detector, e); !s.ok()) return s;
  }
  return detector.Take();
}

Status ForensicsPass::Flush() { return impl_->touched.Flush(impl_->rows); }

}  // namespace antrean::projections
