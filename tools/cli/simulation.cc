#include "tools/cli/simulation.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "app/commands.h"
#include "app/registration.h"
#include "app/result_json.h"
#include "app/service.h"
#include "common/splitmix.h"
#include "events/keys.h"
#include "store/ledger.h"

namespace antrean::sim {
namespace {

namespace json = boost::json;
using domain::Date;
using domain::Instant;
using domain::TimeOfDay;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kMicrosPerDay = 1440 * kMicrosPerMinute;
// As app/registration.cc decides the relation. Simulated birth dates keep well away from these
// ages (see BirthDate), so a booking's relation never depends on which day it lands on.
constexpr int kToddlerAgeBelow = 5;
constexpr int kElderlyAgeFrom = 60;
// The evening sweep, in WIB: after every office's last arrive-by time, before a WITA office's
// midnight rush (23:00 WIB).
constexpr int kTickMinuteWib = 22 * 60 + 30;

// ---- Randomness: SplitMix64 (common/splitmix.h); the same seed gives the same traffic.

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(SplitMix(seed)) {}
  std::uint64_t Next() { return SplitMix(s_++); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int Between(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }

 private:
  std::uint64_t s_;
};

Date PlusDays(const Date& d, std::int64_t n) {
  auto r = domain::AddDays(d, n);
  return r.ok() ? *r : d;  // the simulated range is far inside the calendar's
}
std::int64_t DayNumber(const Date& d) { return domain::DaysSinceEpoch(d); }
Instant Local(const Date& d, std::int64_t micros_after_midnight, domain::TimeZone zone) {
  auto midnight = domain::ToInstant(d, TimeOfDay{0}, zone);
  Instant at = midnight.ok() ? *midnight : Instant{};
  at.micros_since_epoch += micros_after_midnight;
  return at;
}
std::string Ddmmyyyy(const Date& d) {
  char b[16];
  std::snprintf(b, sizeof b, "%02d%02d%04d", d.d, d.m, d.y);
  return b;
}

// ---- People
std::string Syllables(std::uint64_t i, int n) {
  static constexpr char kConsonants[] = "BDGHJKLMNPRSTWYC";
  static constexpr char kVowels[] = "AIUEO";
  std::string s;
  for (int k = 0; k < n; ++k) {
    const std::uint64_t v = i % 80;
    i /= 80;
    s += kConsonants[v / 5];
    s += kVowels[v % 5];
  }
  return s;
}
constexpr const char* kSurnames[] = {"SANTOSO", "WIJAYA",   "RAHAYU",  "SUSANTI", "HIDAYAT",
                                     "LESTARI", "NUGROHO",  "PRATAMA", "SAPUTRA", "HANDAYANI",
                                     "KURNIA",  "SETIAWAN", "PURNAMA", "SIREGAR", "NASUTION"};

enum class Age { kAdult, kToddler, kElderly };

struct Person {
  std::string name;  // upper case, as the ledger keys persons
  Date birth;
  Age age = Age::kAdult;
  std::string ref;  // NAME|YYYY-MM-DD
};

enum class Show { kOnTime, kLate, kNoShow };

// What happens to a booking once it is issued.
struct Fate {
  Show show = Show::kOnTime;
  bool person_matches = true;  // the identity check at the counter
  bool phone_matches = true;
  bool returned = false;  // documents returned (incomplete) rather than submitted
  int rebook = 0;         // registers again this many times after the booking ends unused
  Show rebook_show = Show::kOnTime;
  bool check_code = false;  // asks #cek KODE the day after booking
};

struct Booking {
  int group = -1;
  int office = -1;
  std::string phone;
  int person = -1;
  std::string relation;
  Fate fate;
  std::string code;
  std::optional<Instant> arrive_by;  // known once the ledger answered
  Date date;
  std::string status = "issued";
};

enum class ItemKind { kRegister, kTypo, kInfo, kCheck, kArrival, kIdentity, kDocuments, kTick };
enum class Typo { kNoSeparators, kDigitInName, kNoSuchBirthDate, kClosedDay, kNoPhoto };

struct Item {
  Instant at;
  std::uint64_t order = 0;  // ties in time keep the order they were planned in
  ItemKind kind = ItemKind::kTick;
  int office = -1;
  int group = -1;
  std::string phone;
  int person = -1;
  int prefer_days_ahead = 1;  // the arrival date asked for: the first open day with room from here
  Typo typo = Typo::kNoSeparators;
  std::string info;  // kInfo: the text
  Fate fate;
  int booking = -1;  // counter items, kCheck
};

struct Group {
  std::string id;
  std::string kind;
  int office = -1;
  bool abusive = false;
  std::set<std::string> phones;
  std::set<std::string> persons;
  std::set<std::string> rules;
  // Evidence the rules are computed from, recorded as the simulator submits the commands.
  struct Link {
    Instant at;
    std::string phone;
    std::string person;
  };
  std::vector<Link> links;                // issued, or rejected with the person parsed
  std::vector<Link> other_adults;         // rejected: phone_registered_to_other_adult
  std::map<std::string, int> mismatches;  // per phone: identity checks that count
  // rush key (office|local date) -> phone -> registration messages in the rush
  std::map<std::string, std::map<std::string, int>> rush;
};

// What the simulator expects the ledger to answer.
struct Expect {
  std::string outcome;
  std::string reason;
  int booking = -1;
  std::uint32_t expired = 0;
  std::optional<Date> date;  // for issued: the day
};

}  // namespace

// ---- Truth lines

json::object TruthJson(const TruthGroup& g) {
  json::array rules, phones, persons;
  for (const auto& r : g.rules) rules.emplace_back(r);
  for (const auto& p : g.phones) phones.emplace_back(p);
  for (const auto& p : g.persons) persons.emplace_back(p);
  return {{"group", g.group}, {"kind", g.kind},   {"office", g.office}, {"abusive", g.abusive},
          {"rules", rules},   {"phones", phones}, {"persons", persons}};
}

Result<TruthGroup> ParseTruthLine(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return Status::InvalidArgument("truth: not a JSON object");
  const json::object& o = v.as_object();
  TruthGroup g;
  auto str = [&](const char* k) -> std::string {
    const json::value* x = o.if_contains(k);
    return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  auto set = [&](const char* k, std::set<std::string>* out) {
    const json::value* x = o.if_contains(k);
    if (x == nullptr || !x->is_array()) return false;
    for (const auto& e : x->as_array()) {
      if (!e.is_string()) return false;
      out->insert(std::string(e.as_string()));
    }
    return true;
  };
  g.group = str("group");
  g.kind = str("kind");
  g.office = str("office");
  const json::value* abusive = o.if_contains("abusive");
  if (g.group.empty() || abusive == nullptr || !abusive->is_bool() || !set("rules", &g.rules) ||
      !set("phones", &g.phones) || !set("persons", &g.persons)) {
    return Status::InvalidArgument("truth: expected group, abusive, rules, phones, persons");
  }
  g.abusive = abusive->as_bool();
  return g;
}

namespace {

// ---- The simulator

class Simulator {
 public:
  Simulator(const domain::OfficeDirectory& offices, const Options& options,
            std::vector<domain::ForensicsThresholds> thresholds)
      : offices_(offices.offices()),
        options_(options),
        thresholds_(std::move(thresholds)),
        rng_(options.seed) {
    for (const auto& t : thresholds_) block_digits_ = std::max(block_digits_, t.block_digits);
    office_usage_.resize(offices_.size());
  }

  Result<Output> Run(const Driver& driver);

 private:
  struct Usage {
    int issued = 0;
    int unused = 0;
  };

  // Planning.
  void PlanDay(int day);
  void PlanOffice(int office, const Date& today);
  int NewGroup(const std::string& kind, int office, bool abusive);
  int NewPerson(int group, Age age);
  std::string NewBlock();
  std::string NewPhone() { return NewBlock() + Suffix(rng_.Between(0, Pow10(block_digits_) - 1)); }
  std::vector<std::string> NewPhonesInBlock(int n);
  std::string Suffix(int v) const;
  static int Pow10(int n) {
    int p = 1;
    for (int i = 0; i < n; ++i) p *= 10;
    return p;
  }
  Date BirthDate(Age age);
  // Registration times: in the rush (the first minutes after registration opens) or in the day.
  TimeOfDay Opens(int office) const;
  Instant RushTime(int office, const Date& date, std::int64_t offset_micros) const;
  Instant DayTime(int office, const Date& date);
  Instant AbuserTime(int office, const Date& date);
  void Add(Item item);
  Item Registration(Instant at, int office, int group, const std::string& phone, int person,
                    Fate fate, int prefer_days_ahead = 0);

  // The groups.
  void PlanNormal(int office, const Date& today);
  void PlanFamily(int office, const Date& today);
  void PlanAbuser(const std::string& kind, int office, const Date& day);

  // Submitting.
  Result<std::string> Render(Item& item, Expect* expect);
  Result<std::string> RenderRegistration(Item& item, Expect* expect);
  Status Check(const Item& item, const Expect& expect, const json::object& result,
               Instant batch_end);
  void FollowUp(int booking_id, Instant batch_end);
  void Unused(int booking_id, Instant at);
  Status Evaluate();

  bool IsActive(const Booking& b, Instant at) const {
    return b.status == "arrived" || (b.status == "issued" && (!b.arrive_by || at <= *b.arrive_by));
  }
  bool Open(int office, const Date& d) const { return offices_[office].IsOpenOn(d); }
  bool HasRoom(int office, const Date& d) const {
    auto it = day_issued_.find({office, DayNumber(d)});
    return (it == day_issued_.end() ? 0 : it->second) < offices_[office].DailyCapacity();
  }
  std::string Rfc(Instant at, int office) const {
    return domain::FormatRfc3339(at,
                                 office < 0 ? domain::TimeZone::kWIB : offices_[office].time_zone);
  }
  std::string MessageId() { return "wamid.sim." + std::to_string(++message_seq_); }
  std::string Officer(int office) {
    return "petugas." + offices_[office].id + "." + std::to_string(rng_.Between(1, 4));
  }
  void Count(const std::string& what) { ++counts_[what]; }

  const std::vector<domain::OfficeConfig>& offices_;
  Options options_;
  std::vector<domain::ForensicsThresholds> thresholds_;
  Rng rng_;
  int block_digits_ = 2;

  std::vector<Group> groups_;
  std::vector<Person> persons_;
  std::set<std::string> blocks_;
  std::vector<Item> agenda_;  // a heap ordered by (at, order), earliest on top
  std::uint64_t order_ = 0;
  std::uint64_t message_seq_ = 0;

  // The model of the decision state (docs/DECISIONS.md), advanced command by command.
  std::vector<Booking> bookings_;
  std::map<std::string, std::string> owner_;  // phone -> the person who owns it
  std::map<std::string, int> active_;         // person -> their latest booking
  std::map<std::pair<int, std::int64_t>, int> day_issued_;
  std::vector<Usage> office_usage_;
  std::map<std::string, Usage> phone_usage_;

  std::vector<std::string> commands_;
  std::map<std::string, std::uint64_t> counts_;
};

bool Later(const Item& a, const Item& b) { return a.at != b.at ? a.at > b.at : a.order > b.order; }

void Simulator::Add(Item item) {
  item.order = ++order_;
  agenda_.push_back(std::move(item));
  std::push_heap(agenda_.begin(), agenda_.end(), Later);
}

int Simulator::NewGroup(const std::string& kind, int office, bool abusive) {
  Group g;
  char id[32];
  std::snprintf(id, sizeof id, "g%06zu", groups_.size() + 1);
  g.id = id;
  g.kind = kind;
  g.office = office;
  g.abusive = abusive;
  groups_.push_back(std::move(g));
  Count("groups." + kind);
  return static_cast<int>(groups_.size()) - 1;
}

Date Simulator::BirthDate(Age age) {
  // Ages chosen so the relation holds on every day the simulation may book (up to a year and a
  // horizon after the start): toddlers 2 months..3 years at the start, adults 20..55, elderly
  // 61..85.
  const std::int64_t start = DayNumber(options_.start);
  std::int64_t days_old = 0;
  switch (age) {
    case Age::kToddler:
      days_old = rng_.Between(60, 3 * 365);
      break;
    case Age::kAdult:
      days_old = rng_.Between(20 * 366, 55 * 365);
      break;
    case Age::kElderly:
      days_old = rng_.Between(61 * 366, 85 * 365);
      break;
  }
  auto d = domain::DateFromDaysSinceEpoch(start - days_old);
  return d.ok() ? *d : options_.start;
}

int Simulator::NewPerson(int group, Age age) {
  Person p;
  const std::uint64_t i = persons_.size();
  // Unique: the given name spells (i * 7919) mod 80^3 in syllables, a bijection (7919 is prime
  // to 80^3 = 2^12 * 5^3) that keeps neighbours from sounding alike; past 80^3 a second word.
  constexpr std::uint64_t kGivenNames = 80 * 80 * 80;
  p.name = Syllables(i * 7919 % kGivenNames, 3);
  if (i >= kGivenNames) p.name += " " + Syllables(i / kGivenNames, 2);
  p.name += " ";
  p.name += kSurnames[SplitMix(static_cast<std::uint64_t>(group)) % std::size(kSurnames)];
  p.birth = BirthDate(age);
  p.age = age;
  p.ref = events::PersonRef(p.name, domain::FormatDate(p.birth));
  persons_.push_back(p);
  groups_[group].persons.insert(p.ref);
  return static_cast<int>(persons_.size()) - 1;
}

std::string Simulator::Suffix(int v) const {
  std::string s = std::to_string(v);
  return std::string(static_cast<std::size_t>(block_digits_) - s.size(), '0') + s;
}

std::string Simulator::NewBlock() {
  // Indonesian mobile numbers: 62 8xx, 13 digits in all. Every group gets blocks of its own, so a
  // block burst is one group's doing by construction.
  static constexpr const char* kOperators[] = {"11", "12", "13", "21", "22", "23", "52",
                                               "53", "57", "58", "59", "77", "78", "81",
                                               "82", "83", "95", "96", "97", "98", "99"};
  for (;;) {
    std::string n = std::string("628") + kOperators[rng_.Next() % std::size(kOperators)];
    while (n.size() < 13 - static_cast<std::size_t>(block_digits_)) {
      n += static_cast<char>('0' + rng_.Next() % 10);
    }
    if (blocks_.insert(n).second) return n;
  }
}

std::vector<std::string> Simulator::NewPhonesInBlock(int n) {
  const std::string block = NewBlock();
  const int first = rng_.Between(0, Pow10(block_digits_) - n);
  std::vector<std::string> phones;
  for (int i = 0; i < n; ++i) phones.push_back(block + Suffix(first + i));
  return phones;
}

TimeOfDay Simulator::Opens(int office) const {
  const auto& t = thresholds_[office];
  if (t.rush_opens_at) return TimeOfDay{*t.rush_opens_at};
  const auto& w = offices_[office].registration_window;
  return w ? w->start : TimeOfDay{0};
}

Instant Simulator::RushTime(int office, const Date& date, std::int64_t offset_micros) const {
  return Local(date, Opens(office).minutes * kMicrosPerMinute + offset_micros,
               offices_[office].time_zone);
}

// A time in the day outside the rush: within Batam's window, else 06:00..21:00.
Instant Simulator::DayTime(int office, const Date& date) {
  const auto& w = offices_[office].registration_window;
  const int rush_end = Opens(office).minutes + thresholds_[office].rush_minutes + 1;
  int lo = w ? std::max(w->start.minutes, rush_end) : std::max(6 * 60, rush_end);
  int hi = w ? w->end.minutes - 2 : 21 * 60;
  if (hi <= lo) hi = lo + 1;
  return Local(date, rng_.Between(lo * 60, hi * 60) * kMicrosPerSecond, offices_[office].time_zone);
}

Instant Simulator::AbuserTime(int office, const Date& date) {
  const auto& w = offices_[office].registration_window;
  if (w) return DayTime(office, date);
  return Local(date, rng_.Between(9 * 3600, 19 * 3600) * kMicrosPerSecond,
               offices_[office].time_zone);
}

Item Simulator::Registration(Instant at, int office, int group, const std::string& phone,
                             int person, Fate fate, int prefer_days_ahead) {
  // Messages planned past the office's registration window (Batam's closes at 10:00) are sent in
  // the window instead: the next morning's when it has closed.
  const auto& w = offices_[office].registration_window;
  auto local = domain::ToLocal(at, offices_[office].time_zone);
  if (w && local.ok() && !offices_[office].AcceptsRegistrationAt(local->time)) {
    at = DayTime(office, PlusDays(local->date, local->time >= w->end ? 1 : 0));
  }
  Item it;
  it.at = at;
  it.kind = ItemKind::kRegister;
  it.office = office;
  it.group = group;
  it.phone = phone;
  it.person = person;
  it.fate = fate;
  it.prefer_days_ahead = prefer_days_ahead > 0 ? prefer_days_ahead : rng_.Between(1, 10);
  groups_[group].phones.insert(phone);
  return it;
}

// ---- Plans

void Simulator::PlanDay(int day) {
  const Date today = PlusDays(options_.start, day);
  for (int o = 0; o < static_cast<int>(offices_.size()); ++o) PlanOffice(o, today);
  Item tick;
  tick.kind = ItemKind::kTick;
  tick.at = Local(today, kTickMinuteWib * kMicrosPerMinute, domain::TimeZone::kWIB);
  Add(tick);
}

void Simulator::PlanOffice(int office, const Date& today) {
  // Fewer people register on days the office is closed (a weekend), but some do.
  const int base = options_.bookings_per_day;
  const int n = Open(office, today) ? rng_.Between(base * 8 / 10, base * 12 / 10)
                                    : rng_.Between(base / 5, base * 2 / 5);
  for (int i = 0; i < n; ++i) PlanNormal(office, today);
  // Families: about one for every eight applicants.
  const int families = (n + rng_.Between(0, 7)) / 8;
  for (int i = 0; i < families; ++i) PlanFamily(office, today);
}

void Simulator::PlanNormal(int office, const Date& today) {
  Fate fate;
  const double r = rng_.Uniform();
  std::string kind = "normal";
  if (r < 0.08) {
    fate.show = Show::kNoShow;
    kind = "normal_no_show";
  } else if (r < 0.12) {
    fate.show = Show::kLate;
    fate.rebook = rng_.Chance(0.7) ? 1 : 0;  // most register again and then come on time
    kind = "normal_late";
  }
  fate.returned = rng_.Chance(0.05);
  fate.check_code = rng_.Chance(0.05);
  const int g = NewGroup(kind, office, false);
  const int p = NewPerson(g, Age::kAdult);
  const std::string phone = NewPhone();
  // About half of the day's applicants send in the first minutes after registration opens, most
  // of them in the first two; the rest through the day.
  const bool rush = rng_.Chance(0.5);
  Instant at = rush ? RushTime(office, today,
                               std::min<std::int64_t>(
                                   static_cast<std::int64_t>(-std::log(1 - rng_.Uniform()) * 100 *
                                                             kMicrosPerSecond),
                                   (thresholds_[office].rush_minutes * 60 - 40) * kMicrosPerSecond))
                    : DayTime(office, today);
  if (rng_.Chance(0.15)) {  // asks first: requirements or payment, or just says hello
    Item info;
    info.kind = ItemKind::kInfo;
    info.office = office;
    info.group = g;
    info.phone = phone;
    info.at = Local(today, 0, offices_[office].time_zone);
    info.at.micros_since_epoch =
        at.micros_since_epoch - rng_.Between(60, 6 * 3600) * kMicrosPerSecond;
    if (info.at < Local(today, 0, offices_[office].time_zone)) {
      info.at = Local(today, 0, offices_[office].time_zone);
    }
    const double k = rng_.Uniform();
    info.info = k < 0.5 ? "#syarat" : k < 0.8 ? "#bayar" : "halo, mau tanya cara daftar paspor";
    groups_[g].phones.insert(phone);
    Add(info);
  }
  if (rng_.Chance(0.08)) {  // a typo first, then the message again, right, a few minutes later
    Item typo = Registration(at, office, g, phone, p, fate);
    typo.kind = ItemKind::kTypo;
    const bool batam = offices_[office].message_format == domain::MessageFormat::kNameBirthAddress;
    const int t = rng_.Between(0, 3);
    typo.typo = t == 0   ? Typo::kNoSeparators
                : t == 1 ? Typo::kDigitInName
                : t == 2 ? Typo::kNoSuchBirthDate
                : batam  ? Typo::kNoPhoto
                         : Typo::kClosedDay;
    Add(typo);
    at.micros_since_epoch += rng_.Between(60, 300) * kMicrosPerSecond;
  }
  Add(Registration(at, office, g, phone, p, fate));
}

void Simulator::PlanFamily(int office, const Date& today) {
  const auto& t = thresholds_[office];
  const int which = rng_.Between(0, 5);
  const bool rush = rng_.Chance(0.4);
  Instant at = rush ? RushTime(office, today, rng_.Between(5, 90) * kMicrosPerSecond)
                    : DayTime(office, today);
  const int ahead = rng_.Between(2, 10);  // a family comes together, on one day
  auto next = [&](int i) {
    // One message after another, a minute or two apart; in the rush, fewer than burst_per_phone
    // of them inside it: a mother of three toddlers is not a bot.
    Instant a = at;
    a.micros_since_epoch += i * rng_.Between(70, 150) * kMicrosPerSecond;
    if (rush && i >= t.burst_per_phone - 1) {
      a.micros_since_epoch += (t.rush_minutes + 1) * kMicrosPerMinute;
    }
    return a;
  };
  if (which == 0) {  // a mother with two or three toddlers, from her phone
    const int g = NewGroup("family_toddlers", office, false);
    const std::string phone = NewPhone();
    const int n = rng_.Between(2, 3);
    Add(Registration(next(0), office, g, phone, NewPerson(g, Age::kAdult), Fate{}, ahead));
    for (int i = 1; i <= n; ++i) {
      Add(Registration(next(i), office, g, phone, NewPerson(g, Age::kToddler), Fate{}, ahead));
    }
  } else if (which == 1) {  // a son or daughter booking one or two grandparents
    const int g = NewGroup("family_elderly", office, false);
    const std::string phone = NewPhone();
    Fate elderly;
    elderly.phone_matches = rng_.Chance(0.5);  // came with their own phone: not the booking's
    Add(Registration(next(0), office, g, phone, NewPerson(g, Age::kAdult), Fate{}, ahead));
    const int n = rng_.Between(1, 2);
    for (int i = 1; i <= n; ++i) {
      Add(Registration(next(i), office, g, phone, NewPerson(g, Age::kElderly), elderly, ahead));
    }
  } else if (which == 2) {  // two children, each books a grandparent; one tries both
    const int g = NewGroup("family_elderly_two_phones", office, false);
    const std::string a = NewPhone(), b = NewPhone();
    const int grandma = NewPerson(g, Age::kElderly), grandpa = NewPerson(g, Age::kElderly);
    Add(Registration(next(0), office, g, a, NewPerson(g, Age::kAdult), Fate{}, ahead));
    Add(Registration(next(1), office, g, a, grandma, Fate{}, ahead));
    Instant later = next(0);
    later.micros_since_epoch += rng_.Between(20, 120) * kMicrosPerMinute;
    Add(Registration(later, office, g, b, NewPerson(g, Age::kAdult), Fate{}, ahead));
    later.micros_since_epoch += rng_.Between(1, 3) * kMicrosPerMinute;
    Add(Registration(later, office, g, b, grandpa, Fate{}, ahead));
    later.micros_since_epoch += rng_.Between(1, 3) * kMicrosPerMinute;
    Add(Registration(later, office, g, b, grandma, Fate{}, ahead));  // already booked by a
  } else if (which == 3) {  // one family phone; the second adult is refused, then uses her own
    const int g = NewGroup("family_shared_phone", office, false);
    const std::string shared = NewPhone(), own = NewPhone();
    const int second = NewPerson(g, Age::kAdult);
    Add(Registration(next(0), office, g, shared, NewPerson(g, Age::kAdult), Fate{}, ahead));
    Add(Registration(next(1), office, g, shared, second, Fate{}, ahead));
    Instant later = next(1);
    later.micros_since_epoch += rng_.Between(10, 60) * kMicrosPerMinute;
    Add(Registration(later, office, g, own, second, Fate{}, ahead));
    if (rng_.Chance(0.4)) {  // a grown-up child tries too, then also uses their own phone
      const int child = NewPerson(g, Age::kAdult);
      later.micros_since_epoch += rng_.Between(1, 5) * kMicrosPerMinute;
      Add(Registration(later, office, g, shared, child, Fate{}, ahead));
      later.micros_since_epoch += rng_.Between(5, 30) * kMicrosPerMinute;
      Add(Registration(later, office, g, NewPhone(), child, Fate{}, ahead));
    }
  } else if (which == 4) {  // a family that bought consecutive SIM cards, all in the rush
    const int g = NewGroup("family_sim_block", office, false);
    const int n = std::min(rng_.Between(2, 3), t.burst_per_block - 1);
    const auto phones = NewPhonesInBlock(n);
    for (int i = 0; i < n; ++i) {
      Instant a = RushTime(office, today, rng_.Between(5, 200) * kMicrosPerSecond);
      Add(Registration(a, office, g, phones[static_cast<std::size_t>(i)], NewPerson(g, Age::kAdult),
                       Fate{}, ahead));
    }
  } else {  // a family phone with several bookings over the weeks, one or two not used
    const int g = NewGroup("family_some_no_shows", office, false);
    const std::string phone = NewPhone();
    std::vector<Age> ages = {Age::kAdult, Age::kToddler, Age::kToddler, Age::kElderly};
    if (rng_.Chance(0.5)) ages.push_back(Age::kElderly);
    int no_shows = std::min(rng_.Between(1, 2), t.unused_bookings_min - 1);
    Instant a = DayTime(office, today);
    for (std::size_t i = 0; i < ages.size(); ++i) {
      Fate f;
      if (i > 0 && no_shows > 0 && rng_.Chance(0.5)) {
        f.show = Show::kNoShow;
        --no_shows;
      }
      // A week apart: each comes on its own day.
      Add(Registration(a, office, g, phone, NewPerson(g, ages[i]), f, rng_.Between(1, 5)));
      a.micros_since_epoch += rng_.Between(5, 8) * kMicrosPerDay;
    }
  }
}

void Simulator::PlanAbuser(const std::string& kind, int office, const Date& day) {
  const auto& t = thresholds_[office];
  const int g = NewGroup(kind, office, true);
  Instant at = AbuserTime(office, day);
  auto step = [&](int min_minutes, int max_minutes) {
    at.micros_since_epoch += rng_.Between(min_minutes * 60, max_minutes * 60) * kMicrosPerSecond;
    // Stay inside the office's registration window (Batam): past its end, the next morning.
    const auto& w = offices_[office].registration_window;
    auto local = domain::ToLocal(at, offices_[office].time_zone);
    if (w && local.ok() && !offices_[office].AcceptsRegistrationAt(local->time)) {
      at = DayTime(office, PlusDays(local->date, local->time.minutes >= w->end.minutes ? 1 : 0));
    }
    return at;
  };
  if (kind == "calo_phone") {  // a broker's phone books its first client, then tries others
    const std::string phone = NewPhone();
    Add(Registration(at, office, g, phone, NewPerson(g, Age::kAdult), Fate{}));
    const int others = t.other_adults_per_phone + rng_.Between(0, 2);
    for (int i = 0; i < others; ++i) {
      Add(Registration(step(20, 300), office, g, phone, NewPerson(g, Age::kAdult), Fate{}));
    }
  } else if (kind == "joki_many_phones") {  // one client's registration sent from several SIMs
    const int client = NewPerson(g, Age::kAdult);
    const int n = t.phones_per_person + rng_.Between(0, 1);
    for (int i = 0; i < n; ++i) {
      Add(Registration(i == 0 ? at : step(5, 180), office, g, NewPhone(), client, Fate{}, 3));
    }
  } else if (kind == "hoarder") {  // books invented toddlers and elderly to sell the places
    const std::string phone = NewPhone();
    Fate none;
    none.show = Show::kNoShow;
    Add(Registration(at, office, g, phone, NewPerson(g, Age::kAdult), none, rng_.Between(1, 4)));
    const int n = t.unused_bookings_min + rng_.Between(0, 2);
    for (int i = 0; i < n; ++i) {
      Add(Registration(step(3, 40), office, g, phone,
                       NewPerson(g, rng_.Chance(0.5) ? Age::kElderly : Age::kToddler), none,
                       rng_.Between(1, 4)));
    }
  } else if (kind == "iseng") {  // a prank: books, never comes, books again
    Fate none;
    none.show = Show::kNoShow;
    none.rebook = t.unused_bookings_min - 1 + rng_.Between(0, 1);
    none.rebook_show = Show::kNoShow;
    Add(Registration(at, office, g, NewPhone(), NewPerson(g, Age::kAdult), none,
                     rng_.Between(1, 3)));
  } else if (kind == "joki_code") {  // someone else comes with the code, or with another phone
    Fate f;
    if (rng_.Chance(0.6)) {
      f.person_matches = false;
    } else {
      f.phone_matches = false;
    }
    Add(Registration(at, office, g, NewPhone(), NewPerson(g, Age::kAdult), f, rng_.Between(1, 5)));
  } else if (kind == "bot_burst") {  // a bot fires as registration opens
    const std::string phone = NewPhone();
    const int owner = NewPerson(g, Age::kAdult);
    const int n = t.burst_per_phone + rng_.Between(0, 3);
    const bool same = rng_.Chance(0.5);  // the same registration again and again, or fakes
    for (int i = 0; i < n; ++i) {
      const Instant a = RushTime(office, day, (2 + i * rng_.Between(3, 20)) * kMicrosPerSecond);
      const int person =
          (i == 0 || same) ? owner : NewPerson(g, i % 2 ? Age::kToddler : Age::kElderly);
      Add(Registration(a, office, g, phone, person, Fate{}, 2));
    }
  } else if (kind == "block_burst") {  // consecutive SIMs, one client each, as registration opens
    const int n = t.burst_per_block + rng_.Between(0, 2);
    const auto phones = NewPhonesInBlock(n);
    for (int i = 0; i < n; ++i) {
      const Instant a = RushTime(office, day, rng_.Between(1, 120) * kMicrosPerSecond);
      Add(Registration(a, office, g, phones[static_cast<std::size_t>(i)], NewPerson(g, Age::kAdult),
                       Fate{}, 2));
    }
  } else if (kind == "calo_ring") {
    // Phones that each own one adult and book elderly "clients"; each client is also tried from
    // the next phone (refused: an active booking), which chains the phones into one group.
    const int k = std::max(t.ring_phones_min, 4) + rng_.Between(0, 1);
    const int m = std::max(t.ring_persons_min - k, k) + rng_.Between(0, 2);
    std::vector<std::string> phones;
    for (int i = 0; i < k; ++i) {
      phones.push_back(NewPhone());
      Add(Registration(step(2, 30), office, g, phones.back(), NewPerson(g, Age::kAdult), Fate{},
                       3));
    }
    for (int j = 0; j < m; ++j) {
      const int client = NewPerson(g, Age::kElderly);
      const std::size_t a = static_cast<std::size_t>(j % k);
      Add(Registration(step(2, 30), office, g, phones[a], client, Fate{}, 3));
      Add(Registration(step(2, 30), office, g, phones[(a + 1) % phones.size()], client, Fate{}, 3));
    }
  } else if (kind == "calo_ring_adults") {
    // Phones that each try several adult clients from a shared list, each phone starting at the
    // previous phone's last client: refused (another adult's phone), but chaining every phone to
    // the next through a client they both tried.
    const int k = std::max(t.ring_phones_min, 4);
    const int tries = std::max(t.other_adults_per_phone, 2);
    std::vector<int> pool;
    for (int j = 0; j < k * (tries - 1) + 1; ++j) pool.push_back(NewPerson(g, Age::kAdult));
    for (int i = 0; i < k; ++i) {
      const std::string phone = NewPhone();
      Add(Registration(step(2, 30), office, g, phone, NewPerson(g, Age::kAdult), Fate{}, 3));
      for (int c = 0; c < tries; ++c) {
        Add(Registration(step(2, 30), office, g, phone,
                         pool[static_cast<std::size_t>(i * (tries - 1) + c)], Fate{}, 3));
      }
    }
  }
}

// ---- Rendering a command and what the simulator expects of it

Result<std::string> Simulator::RenderRegistration(Item& item, Expect* expect) {
  const domain::OfficeConfig& office = offices_[item.office];
  Group& group = groups_[item.group];
  const Person& person = persons_[item.person];
  auto local = domain::ToLocal(item.at, office.time_zone);
  if (!local.ok()) return local.status();
  const Date today = local->date;
  const bool batam = office.message_format == domain::MessageFormat::kNameBirthAddress;
  const int horizon = office.booking_horizon_days;

  // The day asked for: the first open day with room from the preferred one.
  std::optional<Date> arrival;
  if (!batam) {
    for (int ahead = std::min(item.prefer_days_ahead, horizon); ahead <= horizon && !arrival;
         ++ahead) {
      const Date d = PlusDays(today, ahead);
      if (Open(item.office, d) && HasRoom(item.office, d)) arrival = d;
    }
    for (int ahead = 1; ahead <= horizon && !arrival; ++ahead) {
      const Date d = PlusDays(today, ahead);
      if (Open(item.office, d) && HasRoom(item.office, d)) arrival = d;
    }
    if (!arrival) return std::string();  // every day full: this applicant gives up
  }
  // A plain Date (GCC 12 at -O2 misreads an optional's engaged state here).
  Date typed_arrival = arrival.value_or(today);
  if (item.kind == ItemKind::kTypo && item.typo == Typo::kClosedDay) {
    bool closed_found = false;
    for (int ahead = 1; ahead <= horizon && !closed_found; ++ahead) {
      if (!Open(item.office, PlusDays(today, ahead))) {
        typed_arrival = PlusDays(today, ahead);
        closed_found = true;
      }
    }
    if (!closed_found) item.typo = Typo::kNoSeparators;
  }

  // The text, typed as people type: any case, dashes in dates, spaces, a trailing '#'.
  std::string name = person.name;
  const int style = rng_.Between(0, 9);
  if (style <= 2) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  auto date_text = [&](const Date& d) {
    if (style == 4) {
      char b[16];
      std::snprintf(b, sizeof b, "%02d-%02d-%04d", d.d, d.m, d.y);
      return std::string(b);
    }
    return Ddmmyyyy(d);
  };
  std::string birth = date_text(person.birth);
  if (item.kind == ItemKind::kTypo && item.typo == Typo::kNoSuchBirthDate) {
    birth = "3102" + std::to_string(person.birth.y);
  }
  if (item.kind == ItemKind::kTypo && item.typo == Typo::kDigitInName) {
    name.back() = '1';
  }
  std::string text;
  const char* sep = style == 5 ? " # " : "#";
  if (batam) {
    text = name + sep + birth + sep + "JL. " +
           kSurnames[SplitMix(item.group) % std::size(kSurnames)] + " NO. " +
           std::to_string(1 + item.group % 97) + ", BATAM";
  } else {
    text = std::string(style == 6 ? "" : "#") + name + sep + birth + sep +
           date_text(typed_arrival) + (style == 7 ? "#" : "");
  }
  if (item.kind == ItemKind::kTypo && item.typo == Typo::kNoSeparators) {
    std::replace(text.begin(), text.end(), '#', ' ');
  }
  const bool media = batam && !(item.kind == ItemKind::kTypo && item.typo == Typo::kNoPhoto);

  json::object cmd{{"type", "whatsapp.message"}, {"at", Rfc(item.at, item.office)},
                   {"office", office.id},        {"message_id", MessageId()},
                   {"from", item.phone},         {"text", text}};
  if (rng_.Chance(0.7)) cmd["profile_name"] = person.name.substr(0, person.name.find(' '));
  if (media) {
    cmd["media"] = json::object{{"kind", "image"},
                                {"id", "media.sim." + std::to_string(message_seq_)},
                                {"mime_type", "image/jpeg"}};
  }

  // The registration message counts towards a burst when it lands in the rush.
  const auto& t = thresholds_[item.office];
  const int since_open = local->time.minutes - Opens(item.office).minutes;
  const bool in_rush = since_open >= 0 && since_open < t.rush_minutes;
  if (in_rush) ++group.rush[office.id + "|" + domain::FormatDate(today)][item.phone];

  // What the ledger will decide, in the order app/registration.cc checks.
  expect->outcome = "rejected";
  if (item.kind == ItemKind::kTypo) {
    switch (item.typo) {
      case Typo::kNoSeparators:
        expect->reason = "unreadable_message";
        break;
      case Typo::kDigitInName:
        expect->reason = "invalid_name";
        break;
      case Typo::kNoSuchBirthDate:
        expect->reason = "invalid_birth_date";
        break;
      case Typo::kClosedDay:
        expect->reason = "office_closed";
        break;
      case Typo::kNoPhoto:
        expect->reason = "missing_ektp_photo";
        break;
    }
    // A rejection after parsing names the person (an edge of the person-phone graph).
    if (item.typo == Typo::kClosedDay || item.typo == Typo::kNoPhoto) {
      group.links.push_back({item.at, item.phone, person.ref});
    }
    Count("typo");
    return json::serialize(cmd);
  }
  if (office.registration_window && !office.AcceptsRegistrationAt(local->time)) {
    return Status::Conflict("simulator: a registration planned outside " + office.id + "'s window");
  }
  std::optional<Date> date = arrival;
  if (batam) {
    for (int ahead = 1; ahead <= horizon && !date; ++ahead) {
      const Date d = PlusDays(today, ahead);
      if (Open(item.office, d) && HasRoom(item.office, d)) date = d;
    }
  }
  const int age = app::AgeInYears(person.birth, batam ? today : *arrival);
  const std::string relation = age < kToddlerAgeBelow   ? "toddler"
                               : age >= kElderlyAgeFrom ? "elderly"
                                                        : "owner";
  auto owner = owner_.find(item.phone);
  if (relation == "owner" && owner != owner_.end() && owner->second != person.ref) {
    expect->reason = "phone_registered_to_other_adult";
    group.links.push_back({item.at, item.phone, person.ref});
    group.other_adults.push_back({item.at, item.phone, person.ref});
    return json::serialize(cmd);
  }
  if (auto a = active_.find(person.ref);
      a != active_.end() && IsActive(bookings_[static_cast<std::size_t>(a->second)], item.at)) {
    const Booking& b = bookings_[static_cast<std::size_t>(a->second)];
    if (b.phone == item.phone) {
      expect->outcome = "repeated";
      expect->booking = a->second;
    } else {
      expect->reason = "person_has_active_booking";
      group.links.push_back({item.at, item.phone, person.ref});
    }
    return json::serialize(cmd);
  }
  if (!date) {
    expect->reason = "day_full";
    group.links.push_back({item.at, item.phone, person.ref});
    return json::serialize(cmd);
  }
  Booking b;
  b.group = item.group;
  b.office = item.office;
  b.phone = item.phone;
  b.person = item.person;
  b.relation = relation;
  b.fate = item.fate;
  b.date = *date;
  bookings_.push_back(b);
  ++day_issued_[{item.office, DayNumber(*date)}];
  if (relation == "owner" && owner == owner_.end()) owner_[item.phone] = person.ref;
  active_[person.ref] = static_cast<int>(bookings_.size()) - 1;
  ++office_usage_[static_cast<std::size_t>(item.office)].issued;
  ++phone_usage_[item.phone].issued;
  group.links.push_back({item.at, item.phone, person.ref});
  expect->outcome = "issued";
  expect->booking = static_cast<int>(bookings_.size()) - 1;
  expect->date = *date;
  return json::serialize(cmd);
}

Result<std::string> Simulator::Render(Item& item, Expect* expect) {
  if (item.kind == ItemKind::kRegister || item.kind == ItemKind::kTypo) {
    return RenderRegistration(item, expect);
  }
  if (item.kind == ItemKind::kTick) {
    // The sweep: every booking still waiting whose arrive-by has passed is expired.
    for (std::size_t i = 0; i < bookings_.size(); ++i) {
      Booking& b = bookings_[i];
      if (b.status == "issued" && b.arrive_by && *b.arrive_by < item.at) {
        b.status = "expired";
        ++expect->expired;
        Unused(static_cast<int>(i), item.at);
      }
    }
    expect->outcome = "expired";
    return json::serialize(json::object{{"type", "clock.tick"}, {"at", Rfc(item.at, -1)}});
  }
  if (item.kind == ItemKind::kInfo || item.kind == ItemKind::kCheck) {
    std::string text = item.info;
    if (item.kind == ItemKind::kCheck) {
      text = "#cek " + bookings_[static_cast<std::size_t>(item.booking)].code;
    }
    expect->outcome = "information";
    return json::serialize(json::object{{"type", "whatsapp.message"},
                                        {"at", Rfc(item.at, item.office)},
                                        {"office", offices_[item.office].id},
                                        {"message_id", MessageId()},
                                        {"from", item.phone},
                                        {"text", text}});
  }
  Booking& b = bookings_[static_cast<std::size_t>(item.booking)];
  // Officers type codes as they read them: now and then in lower case, with a space.
  std::string code = b.code;
  if (rng_.Chance(0.1)) {
    std::transform(code.begin(), code.end(), code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    code.insert(5, " ");
  }
  json::object cmd{{"at", Rfc(item.at, item.office)},
                   {"office", offices_[item.office].id},
                   {"officer", Officer(item.office)},
                   {"code", code}};
  expect->outcome = "recorded";
  if (item.kind == ItemKind::kArrival) {
    cmd["type"] = "counter.arrival";
    if (item.at <= *b.arrive_by) {
      b.status = "arrived";
      expect->outcome = "arrived";
    } else {
      b.status = "forfeited";
      expect->outcome = "forfeited";
      expect->reason = "late";
      Unused(item.booking, item.at);
    }
  } else if (item.kind == ItemKind::kIdentity) {
    cmd["type"] = "counter.identity_check";
    cmd["person_matches"] = b.fate.person_matches;
    cmd["phone_matches"] = b.fate.phone_matches;
    // A toddler or an elderly person may come with a relative's phone: that does not count.
    if (!b.fate.person_matches || (!b.fate.phone_matches && b.relation == "owner")) {
      ++groups_[b.group].mismatches[b.phone];
    }
  } else {
    cmd["type"] = b.fate.returned ? "counter.documents_returned" : "counter.documents_submitted";
    if (b.fate.returned) cmd["reason"] = "data pada KTP dan akta kelahiran tidak sama";
    b.status = b.fate.returned ? "returned" : "completed";
  }
  return json::serialize(cmd);
}

// A booking ended unused (expired or forfeited): the phone's and the office's shares move, and the
// phone meets booked_never_used when its counts pass the office's thresholds at this moment.
void Simulator::Unused(int booking_id, Instant /*at*/) {
  const Booking& b = bookings_[static_cast<std::size_t>(booking_id)];
  Usage& office = office_usage_[static_cast<std::size_t>(b.office)];
  Usage& phone = phone_usage_[b.phone];
  ++office.unused;
  ++phone.unused;
  const auto& t = thresholds_[b.office];
  const std::int64_t pu = phone.unused, pi = phone.issued, ou = office.unused, oi = office.issued;
  if (pu >= t.unused_bookings_min && pu * 100 >= t.unused_rate_min_percent * pi &&
      pu * oi >= t.unused_rate_norm_factor * ou * pi) {
    groups_[b.group].rules.insert("booked_never_used");
  }
}

Status Simulator::Check(const Item& item, const Expect& expect, const json::object& result,
                        Instant batch_end) {
  auto str = [&](const char* k) -> std::string {
    const json::value* v = result.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const json::value* ok = result.if_contains("ok");
  auto mismatch = [&](const std::string& what) {
    return Status::Conflict("simulator: the ledger decided otherwise than predicted (" + what +
                            "): " + json::serialize(result));
  };
  if (ok == nullptr || !ok->is_bool() || !ok->as_bool()) return mismatch("refused");
  if (str("outcome") != expect.outcome) return mismatch("outcome " + expect.outcome);
  if (!expect.reason.empty() && str("reason") != expect.reason) {
    return mismatch("reason " + expect.reason);
  }
  if (item.kind == ItemKind::kTick) {
    const json::value* n = result.if_contains("expired");
    const std::uint64_t got = n != nullptr && n->is_int64()
                                  ? static_cast<std::uint64_t>(n->as_int64())
                              : n != nullptr && n->is_uint64() ? n->as_uint64()
                                                               : 0;
    if (got != expect.expired) return mismatch(std::to_string(expect.expired) + " expired");
    counts_["bookings_expired"] += got;
  }
  Count("outcome." + expect.outcome + (expect.reason.empty() ? "" : "." + expect.reason));
  if (expect.outcome == "repeated" &&
      str("booking_code") != bookings_[static_cast<std::size_t>(expect.booking)].code) {
    return mismatch("the code resent");
  }
  if (expect.outcome != "issued") return Status::Ok();
  Booking& b = bookings_[static_cast<std::size_t>(expect.booking)];
  b.code = str("booking_code");
  if (str("date") != domain::FormatDate(*expect.date)) {
    return mismatch("day " + domain::FormatDate(*expect.date));
  }
  auto by = domain::ParseRfc3339(str("arrive_by"));
  if (b.code.empty() || !by.ok()) return mismatch("a code and an arrive-by time");
  // Bookings issued in a batch were treated as active for the whole batch.
  if (*by < batch_end) return mismatch("an arrive-by time after the day");
  b.arrive_by = *by;
  FollowUp(expect.booking, batch_end);
  return Status::Ok();
}

// Schedules what the applicant does next, now that the ledger told them their code and time.
void Simulator::FollowUp(int booking_id, Instant batch_end) {
  const Booking& b = bookings_[static_cast<std::size_t>(booking_id)];
  const auto& office = offices_[b.office];
  Item base;
  base.office = b.office;
  base.group = b.group;
  base.phone = b.phone;
  base.booking = booking_id;
  if (b.fate.check_code) {
    Item check = base;
    check.kind = ItemKind::kCheck;
    check.at = Local(PlusDays(b.date, -1), rng_.Between(19 * 60, 21 * 60) * kMicrosPerMinute,
                     office.time_zone);
    if (check.at > batch_end) Add(check);
  }
  const Instant by = *b.arrive_by;
  if (b.fate.show == Show::kOnTime) {
    Item arrival = base;
    arrival.kind = ItemKind::kArrival;
    arrival.at.micros_since_epoch = by.micros_since_epoch - rng_.Between(0, 70) * kMicrosPerMinute -
                                    rng_.Between(0, 59) * kMicrosPerSecond;
    Add(arrival);
    Item identity = arrival;
    identity.kind = ItemKind::kIdentity;
    identity.at.micros_since_epoch += rng_.Between(2, 40) * kMicrosPerMinute;
    Add(identity);
    Item documents = identity;
    documents.kind = ItemKind::kDocuments;
    documents.at.micros_since_epoch += rng_.Between(10, 90) * kMicrosPerMinute;
    Add(documents);
    return;
  }
  if (b.fate.show == Show::kLate) {
    Item arrival = base;
    arrival.kind = ItemKind::kArrival;
    arrival.at.micros_since_epoch = by.micros_since_epoch + rng_.Between(1, 150) * kMicrosPerMinute;
    Add(arrival);
  }
  if (b.fate.rebook > 0) {
    // Registers again the next day (the code is void; the person may register again).
    Fate next = b.fate;
    next.show = b.fate.rebook_show;
    next.rebook = b.fate.rebook - 1;
    Item r;
    r.at = DayTime(b.office, PlusDays(b.date, 1));
    r.kind = ItemKind::kRegister;
    r.office = b.office;
    r.group = b.group;
    r.phone = b.phone;
    r.person = b.person;
    r.fate = next;
    r.prefer_days_ahead = rng_.Between(1, 2);
    Add(r);
  }
}

// ---- The rules each group meets by construction

// Whether some span of `window_days` holds at least `n` distinct values of key(link).
template <typename Key>
bool InWindow(std::vector<Group::Link> links, int window_days, int n, Key key) {
  std::sort(links.begin(), links.end(),
            [](const Group::Link& a, const Group::Link& b) { return a.at < b.at; });
  const std::int64_t window = window_days * kMicrosPerDay;
  for (std::size_t i = 0; i < links.size(); ++i) {
    std::set<std::string> distinct;
    for (std::size_t j = i;
         j < links.size() &&
         links[j].at.micros_since_epoch - links[i].at.micros_since_epoch <= window;
         ++j) {
      distinct.insert(key(links[j]));
    }
    if (static_cast<int>(distinct.size()) >= n) return true;
  }
  return false;
}

Status Simulator::Evaluate() {
  for (Group& g : groups_) {
    const domain::ForensicsThresholds& t = thresholds_[g.office];
    std::map<std::string, std::vector<Group::Link>> by_phone, by_person;
    for (const auto& l : g.other_adults) by_phone[l.phone].push_back(l);
    for (const auto& [phone, links] : by_phone) {
      if (InWindow(links, t.window_days, t.other_adults_per_phone,
                   [](const Group::Link& l) { return l.person; })) {
        g.rules.insert("many_persons_per_phone");
      }
    }
    for (const auto& l : g.links) by_person[l.person].push_back(l);
    for (const auto& [person, links] : by_person) {
      if (InWindow(links, t.window_days, t.phones_per_person,
                   [](const Group::Link& l) { return l.phone; })) {
        g.rules.insert("many_phones_per_person");
      }
    }
    for (const auto& [phone, n] : g.mismatches) {
      if (n >= t.identity_mismatches) g.rules.insert("identity_mismatch");
    }
    for (const auto& [day, phones] : g.rush) {
      std::map<std::string, std::set<std::string>> blocks;
      for (const auto& [phone, n] : phones) {
        if (n >= t.burst_per_phone) g.rules.insert("burst");
        blocks[phone.substr(0, phone.size() - static_cast<std::size_t>(t.block_digits))].insert(
            phone);
      }
      for (const auto& [block, members] : blocks) {
        if (static_cast<int>(members.size()) >= t.burst_per_block) g.rules.insert("burst");
      }
    }
    // Rings: connected components of the phone-person graph (groups share no phone or person, so
    // a group's components are the ledger's).
    std::map<std::string, std::string> parent;
    std::function<std::string(const std::string&)> find = [&](const std::string& x) {
      auto it = parent.find(x);
      if (it == parent.end() || it->second == x) return x;
      return it->second = find(it->second);
    };
    for (const auto& l : g.links) {
      const std::string a = "p:" + l.phone, b = "n:" + l.person;
      if (!parent.count(a)) parent[a] = a;
      if (!parent.count(b)) parent[b] = b;
      parent[find(a)] = find(b);
    }
    std::map<std::string, std::pair<int, int>> sizes;
    for (const auto& [node, unused] : parent) {
      auto& s = sizes[find(node)];
      (node[0] == 'p' ? s.first : s.second)++;
    }
    for (const auto& [root, s] : sizes) {
      if (s.first >= t.ring_phones_min && s.second >= t.ring_persons_min) g.rules.insert("ring");
    }
    if (!g.abusive && !g.rules.empty()) {
      return Status::Conflict("simulator: innocent group " + g.id + " (" + g.kind + ") meets " +
                              *g.rules.begin());
    }
  }
  return Status::Ok();
}

Result<Output> Simulator::Run(const Driver& driver) {
  // Abusers: several of each kind; more offices and days, more of them. They start early enough
  // to finish what they do (bookings expire, rings close) before the last day.
  static constexpr const char* kAbuserKinds[] = {
      "calo_phone", "joki_many_phones", "hoarder",   "iseng",           "joki_code",
      "bot_burst",  "block_burst",      "calo_ring", "calo_ring_adults"};
  const int per_kind = std::max(2, options_.offices * options_.days / 60);
  for (int k = 0; k < static_cast<int>(std::size(kAbuserKinds)); ++k) {
    for (int i = 0; i < per_kind; ++i) {
      const int office = static_cast<int>(rng_.Next() % offices_.size());
      // An iseng's three no-shows in a row take up to about two weeks when the nearest days are
      // full.
      const int day = rng_.Between(0, std::max(0, options_.days - 14));
      PlanAbuser(kAbuserKinds[k], office, PlusDays(options_.start, day));
    }
  }
  for (int day = 0; day < options_.days; ++day) PlanDay(day);

  for (int day = 0; day < options_.days; ++day) {
    const Instant batch_end = Local(PlusDays(options_.start, day + 1), 0, domain::TimeZone::kWIB);
    std::vector<Item> items;
    std::vector<Expect> expects;
    std::vector<std::string> lines;
    while (!agenda_.empty() && agenda_.front().at < batch_end) {
      std::pop_heap(agenda_.begin(), agenda_.end(), Later);
      Item item = std::move(agenda_.back());
      agenda_.pop_back();
      Expect expect;
      auto line = Render(item, &expect);
      if (!line.ok()) return line.status();
      if (line->empty()) continue;
      lines.push_back(std::move(line).value());
      items.push_back(std::move(item));
      expects.push_back(std::move(expect));
    }
    auto results = driver(lines);
    if (!results.ok()) return results.status();
    if (results->size() != lines.size()) return Status::Conflict("driver: results != commands");
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (auto s = Check(items[i], expects[i], (*results)[i], batch_end); !s.ok()) {
        return Status::Conflict(s.message() + "\n  command: " + lines[i]);
      }
    }
    for (auto& l : lines) commands_.push_back(std::move(l));
  }
  if (auto s = Evaluate(); !s.ok()) return s;

  Output out;
  out.commands = std::move(commands_);
  for (const Group& g : groups_) {
    if (g.phones.empty()) continue;
    TruthGroup t;
    t.group = g.id;
    t.kind = g.kind;
    t.office = offices_[g.office].id;
    t.abusive = g.abusive;
    t.rules = g.rules;
    t.phones = g.phones;
    t.persons = g.persons;
    for (const auto& r : g.rules) ++counts_["groups_meeting." + r];
    out.truth.push_back(std::move(t));
  }
  counts_["commands"] = out.commands.size();
  out.counts = std::move(counts_);
  return out;
}

}  // namespace

Result<Output> Simulate(const domain::OfficeDirectory& offices, const Options& options,
                        const Driver& driver) {
  if (offices.offices().empty()) return Status::InvalidArgument("the office file has no office");
  if (options.days < kSimDaysMin || options.days > kSimDaysMax) {
    return Status::InvalidArgument("days: expected " + std::to_string(kSimDaysMin) + ".." +
                                   std::to_string(kSimDaysMax));
  }
  std::vector<domain::ForensicsThresholds> thresholds;
  for (const auto& o : offices.offices()) {
    // The loader checked them; unknown keys are the detector's to define, not the simulator's.
    auto t = domain::ParseForensicsThresholds(o.forensics, true);
    if (!t.ok()) return Status::InvalidArgument(o.id + ": " + t.status().message());
    thresholds.push_back(*t);
  }
  Simulator sim(offices, options, std::move(thresholds));
  return sim.Run(driver);
}

Result<Output> SimulateOnScratchLedger(const domain::OfficeDirectory& offices,
                                       const Options& options, const std::string& code_key,
                                       const std::string& scratch_dir) {
  if (std::filesystem::exists(scratch_dir)) {
    return Status::InvalidArgument("scratch ledger " + scratch_dir + " exists already");
  }
  auto ledger = store::Ledger::Open(scratch_dir, {});
  if (!ledger.ok()) return ledger.status();
  app::Service service(**ledger, offices, {code_key});
  Driver driver =
      [&service](const std::vector<std::string>& lines) -> Result<std::vector<json::object>> {
    std::vector<json::object> results(lines.size());
    std::mutex mu;  // results are filled on the ledger's thread
    for (std::size_t i = 0; i < lines.size(); ++i) {
      auto command = app::ParseCommand(lines[i]);
      if (!command.ok()) {
        app::CommandResult r;
        r.status = command.status();
        std::lock_guard lk(mu);
        results[i] = app::ResultJson(i + 1, "", r);
        continue;
      }
      const std::string type(app::CommandTypeName(*command));
      service.Submit(*command, [&results, &mu, i, type](app::CommandResult r) {
        auto j = app::ResultJson(i + 1, type, r);
        std::lock_guard lk(mu);
        results[i] = std::move(j);
      });
    }
    service.Drain();
    if (auto h = service.health(); !h.ok()) return h;
    return results;
  };
  return Simulate(offices, options, driver);
}

}  // namespace antrean::sim

// ---- The score

namespace antrean::sim {
namespace {

struct Flag {
  std::string id;
  std::string rule;
  std::set<std::string> phones;  // the flagged phone and the ring's or block's phones
  std::set<std::string> persons;
};

Status CollectFlag(const json::object& o, std::vector<Flag>* flags) {
  Flag f;
  auto str = [&](const char* k) {
    const json::value* v = o.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  f.id = str("flag_id");
  f.rule = str("rule");
  if (f.rule.empty()) return Status::InvalidArgument("a flag without \"rule\"");
  if (auto p = str("phone"); !p.empty()) f.phones.insert(p);
  for (const char* k : {"phones", "persons"}) {
    const json::value* v = o.if_contains(k);
    if (v == nullptr || !v->is_array()) continue;
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) continue;
      (std::string_view(k) == "phones" ? f.phones : f.persons).insert(std::string(e.as_string()));
    }
  }
  flags->push_back(std::move(f));
  return Status::Ok();
}

}  // namespace

double RuleScore::precision() const {
  return flags == 0 ? 1.0 : static_cast<double>(true_positives) / static_cast<double>(flags);
}
double RuleScore::recall() const {
  return groups == 0 ? 1.0 : static_cast<double>(groups_found) / static_cast<double>(groups);
}

Result<Score> ScoreFlags(const std::vector<TruthGroup>& truth, std::string_view flags_text) {
  std::vector<Flag> flags;
  std::istringstream lines{std::string(flags_text)};
  std::uint64_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      return Status::InvalidArgument("line " + std::to_string(n) + ": not a JSON object");
    }
    const json::object& o = v.as_object();
    Status s = Status::Ok();
    if (const json::value* list = o.if_contains("flags"); list != nullptr && list->is_array()) {
      for (const auto& f : list->as_array()) {
        if (f.is_object()) s = CollectFlag(f.as_object(), &flags);
        if (!s.ok()) break;
      }
    } else {
      s = CollectFlag(o, &flags);
    }
    if (!s.ok()) return Status::InvalidArgument("line " + std::to_string(n) + ": " + s.message());
  }

  // Who owns each phone and person.
  std::map<std::string, std::vector<std::size_t>> by_phone, by_person;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    for (const auto& p : truth[i].phones) by_phone[p].push_back(i);
    for (const auto& p : truth[i].persons) by_person[p].push_back(i);
  }
  Score score;
  score.flags = flags.size();
  score.groups = truth.size();
  for (std::string_view r : domain::kDetectionRules) score.rules[std::string(r)];
  std::vector<std::set<std::string>> found(truth.size());  // rules each group was flagged for
  std::vector<bool> flagged(truth.size(), false);
  for (const Flag& f : flags) {
    std::set<std::size_t> hit;
    for (const auto& p : f.phones) {
      if (auto it = by_phone.find(p); it != by_phone.end())
        hit.insert(it->second.begin(), it->second.end());
    }
    for (const auto& p : f.persons) {
      if (auto it = by_person.find(p); it != by_person.end())
        hit.insert(it->second.begin(), it->second.end());
    }
    RuleScore& rs = score.rules[f.rule];
    ++rs.flags;
    bool positive = false;
    for (std::size_t g : hit) {
      flagged[g] = true;
      found[g].insert(f.rule);
      if (truth[g].rules.count(f.rule) != 0) positive = true;
    }
    if (positive) {
      ++rs.true_positives;
    } else {
      ++rs.false_positives;
      if (score.false_positive_examples.size() < 20) {
        std::string e = f.id + " " + f.rule + " ->";
        if (hit.empty()) e += " no group";
        for (std::size_t g : hit) e += " " + truth[g].group + " (" + truth[g].kind + ")";
        score.false_positive_examples.push_back(e);
      }
    }
  }
  for (std::size_t g = 0; g < truth.size(); ++g) {
    if (!truth[g].abusive) {
      ++score.innocent_groups;
      if (flagged[g]) score.innocent_groups_flagged.push_back(truth[g].group);
    }
    for (const auto& r : truth[g].rules) {
      RuleScore& rs = score.rules[r];
      ++rs.groups;
      if (found[g].count(r) != 0) {
        ++rs.groups_found;
      } else if (score.missed_examples.size() < 20) {
        score.missed_examples.push_back(r + ": " + truth[g].group + " (" + truth[g].kind + ")");
      }
    }
  }
  return score;
}

json::object ScoreJson(const Score& score) {
  json::object rules;
  for (const auto& [name, r] : score.rules) {
    rules[name] = json::object{{"flags", r.flags},
                               {"true_positives", r.true_positives},
                               {"false_positives", r.false_positives},
                               {"groups", r.groups},
                               {"groups_found", r.groups_found},
                               {"false_negatives", r.false_negatives()},
                               {"precision", r.precision()},
                               {"recall", r.recall()}};
  }
  json::array innocent, fps, missed;
  for (const auto& g : score.innocent_groups_flagged) innocent.emplace_back(g);
  for (const auto& e : score.false_positive_examples) fps.emplace_back(e);
  for (const auto& e : score.missed_examples) missed.emplace_back(e);
  return {{"flags", score.flags},
          {"groups", score.groups},
          {"innocent_groups", score.innocent_groups},
          {"innocent_groups_flagged", score.innocent_groups_flagged.size()},
          {"innocent_groups_flagged_ids", innocent},
          {"rules", rules},
          {"false_positive_examples", fps},
          {"missed_examples", missed}};
}

std::string ScoreText(const Score& score) {
  std::ostringstream o;
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %6s %6s %6s %7s %6s %6s %9s %7s\n", "rule", "flags", "tp",
                "fp", "groups", "found", "fn", "precision", "recall");
  o << line;
  for (const auto& [name, r] : score.rules) {
    std::snprintf(
        line, sizeof line, "%-24s %6llu %6llu %6llu %7llu %6llu %6llu %9.3f %7.3f\n", name.c_str(),
        static_cast<unsigned long long>(r.flags), static_cast<unsigned long long>(r.true_positives),
        static_cast<unsigned long long>(r.false_positives),
        static_cast<unsigned long long>(r.groups), static_cast<unsigned long long>(r.groups_found),
        static_cast<unsigned long long>(r.false_negatives()), r.precision(), r.recall());
    o << line;
  }
  o << "flags: " << score.flags << "; groups: " << score.groups << " (" << score.innocent_groups
    << " innocent)\ninnocent groups flagged: " << score.innocent_groups_flagged.size() << "\n";
  for (const auto& e : score.false_positive_examples) o << "  false positive: " << e << "\n";
  for (const auto& e : score.missed_examples) o << "  missed: " << e << "\n";
  return o.str();
}

}  // namespace antrean::sim
