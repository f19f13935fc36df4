// board, show booking, show phone, show identity: what officers and auditors ask the ledger.
// They open the ledger read-only (beside a live service) and read only the state rows and the
// index streams they need (Ledger::GetState, Ledger::ReadByKey): never a scan of the whole log.
// `board --as-of` is the exception by design: it rebuilds the state as it stood then
// (projections/replay.h) and reads the board from that.
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <variant>

#include "domain/civil_time.h"
#include "domain/phone.h"
#include "events/codec.h"
#include "events/event.h"
#include "events/keys.h"
#include "projections/decision_state.h"
#include "projections/replay.h"
#include "store/ledger.h"
#include "tools/cli/command.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;
namespace pj = projections;

constexpr char kBoardUsage[] =
    "usage: antrean board --ledger DIR --office ID --date YYYY-MM-DD [--as-of TIME]\n"
    "                     [--scratch DIR] [--json]\n"
    "\n"
    "The day's queue board of one office: per session start its capacity (from the\n"
    "office configuration in force), bookings issued, arrived, forfeited, expired,\n"
    "completed (documents handed in), returned (incomplete) and the places remaining;\n"
    "the totals, and the next queue number (queue numbers are never reused).\n"
    "\n"
    "  --as-of TIME    the board as it stood at TIME (RFC 3339 with an offset): the\n"
    "                  state is rebuilt from the events up to then in a scratch store\n"
    "                  (--scratch DIR, default $TMPDIR), which is removed afterwards\n"
    "  --json          one JSON object\n"
    "\n"
    "Exit 1: the office has no configuration in the ledger (at that time).\n";

constexpr char kShowBookingUsage[] =
    "usage: antrean show booking CODE --ledger DIR [--json]\n"
    "\n"
    "One booking: its row (office, day, session, queue number, phone, person,\n"
    "status) and every event of the code, oldest first: seq, recorded_at (UTC),\n"
    "type, actor (the cause's officer or auditor) and a one-line summary. CODE may be\n"
    "typed in lower case or with spaces.\n"
    "\n"
    "Exit 1: no booking and no event has this code.\n";

constexpr char kShowPhoneUsage[] =
    "usage: antrean show phone NUMBER --ledger DIR [--json] [--limit N] [--cursor C]\n"
    "\n"
    "Everything about one phone: NUMBER in any written form (0812-3456-7890,\n"
    "+62 812..., 62812...). Its owner (the first adult it booked) and whether it is\n"
    "blacklisted, the blacklisting (reason, evidence, who decided), the flags raised\n"
    "on it, the persons it booked or tried to book, and its timeline, newest first,\n"
    "a page at a time (--limit, default 20; --cursor from the previous page).\n"
    "\n"
    "Exit 1: the ledger knows nothing of the phone.\n";

constexpr char kShowIdentityUsage[] =
    "usage: antrean show identity --ledger DIR --name NAME --dob YYYY-MM-DD [--json]\n"
    "                             [--limit N] [--cursor C]\n"
    "\n"
    "One person (name and date of birth, as bookings name them; case and spacing of\n"
    "the name do not matter): the booking not yet used, the phones that booked or\n"
    "tried to book for them, and their events, newest first, a page at a time\n"
    "(--limit, default 20; --cursor from the previous page).\n"
    "\n"
    "Exit 1: the ledger knows nothing of the person.\n";

constexpr std::size_t kDefaultLimit = 20;
constexpr std::size_t kLimitMax = 1000;
constexpr std::size_t kStreamPage = 1000;

Result<std::unique_ptr<store::Ledger>> OpenForReading(const std::string& dir) {
  store::Ledger::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  return store::Ledger::Open(dir, options);
}

std::string Utc(std::int64_t us) { return domain::FormatRfc3339(domain::Instant{us}, 0); }

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}
std::string PadLeft(const std::string& s, std::size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

// Text for one terminal line: newlines shown as " / ", at most `max` bytes (cut at a UTF-8
// character boundary).
std::string OneLine(std::string_view text, std::size_t max = 60) {
  std::string s;
  for (char c : text) {
    if (c == '\n') {
      s += " / ";
    } else if (c != '\r') {
      s += c;
    }
  }
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

std::string Joined(const std::vector<std::uint64_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

// One line saying what an event says.
std::string Summary(const events::Event& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        using namespace events;
        if constexpr (std::is_same_v<T, MessageReceived>) {
          std::string s = "from " + e.from + " to " + e.office + " (" + e.kind + ")";
          if (!e.text.empty()) s += ": \"" + OneLine(e.text) + "\"";
          if (e.media) s += " with " + e.media->kind;
          return s;
        } else if constexpr (std::is_same_v<T, RegistrationRejected>) {
          std::string s = "registration rejected: " + e.reason;
          if (e.name) s += " for " + *e.name + (e.birth_date ? " " + *e.birth_date : "");
          if (e.arrival_date) s += " on " + *e.arrival_date;
          s += " at " + e.office + " from " + e.phone;
          return s;
        } else if constexpr (std::is_same_v<T, BookingCodeIssued>) {
          return "issued " + e.code + ": queue " + std::to_string(e.queue_number) + " at " +
                 e.office + " on " + e.date + " " + e.session + " for " + e.name + " " +
                 e.birth_date + " (" + e.relation + ") from " + e.phone + "; arrive by " +
                 e.arrive_by;
        } else if constexpr (std::is_same_v<T, ReplyQueued>) {
          return "reply " + e.reply_id + " to " + e.to + ": \"" + OneLine(e.text) + "\"";
        } else if constexpr (std::is_same_v<T, ReplySent>) {
          return "reply " + e.reply_id + " sent (attempt " + std::to_string(e.attempt) + ")";
        } else if constexpr (std::is_same_v<T, ReplyFailed>) {
          return "reply " + e.reply_id + " failed (attempt " + std::to_string(e.attempt) +
                 (e.final ? ", final" : "") + "): " + OneLine(e.error);
        } else if constexpr (std::is_same_v<T, ReplyDeliveryStatus>) {
          return "reply " + e.reply_id.value_or(e.provider_message_id) + " " + e.status + " to " +
                 e.recipient;
        } else if constexpr (std::is_same_v<T, ApplicantArrived>) {
          return "arrived at " + e.arrived_at + " (arrive by " + e.arrive_by + "), queue " +
                 std::to_string(e.queue_number);
        } else if constexpr (std::is_same_v<T, ArrivalRejected>) {
          return "arrival refused at " + e.office + ": " + e.reason + " (" + e.attempted_at + ")";
        } else if constexpr (std::is_same_v<T, IdentityChecked>) {
          std::string s = "identity checked: person matches " + YesNo(e.person_matches) +
                          ", phone matches " + YesNo(e.phone_matches);
          if (e.note) s += ": " + OneLine(*e.note);
          return s;
        } else if constexpr (std::is_same_v<T, BookingForfeited>) {
          return "forfeited (" + e.reason + "): arrived at " + e.arrived_at + ", arrive by " +
                 e.arrive_by;
        } else if constexpr (std::is_same_v<T, BookingExpired>) {
          return "expired at " + e.expired_at + " (arrive by " + e.arrive_by + ")";
        } else if constexpr (std::is_same_v<T, DocumentsSubmitted>) {
          return "documents handed in at " + e.office;
        } else if constexpr (std::is_same_v<T, DocumentsReturned>) {
          return "documents returned as incomplete: " + OneLine(e.reason);
        } else if constexpr (std::is_same_v<T, ApplicationProgressRecorded>) {
          return "application " + e.application_number + " at " + e.office + ": " + e.stage;
        } else if constexpr (std::is_same_v<T, BookingCodeResent>) {
          return "same registration again from " + e.phone + ": code " + e.code + " sent again (" +
                 e.date + " " + e.session + ", queue " + std::to_string(e.queue_number) + ")";
        } else if constexpr (std::is_same_v<T, InformationRequested>) {
          return "asked " + e.command + (e.argument ? " " + *e.argument : "") + " at " + e.office;
        } else if constexpr (std::is_same_v<T, PhoneFlagged>) {
          return "flagged " + e.phone + " (" + e.flag_id + "): " + e.rule + ", score " +
                 std::to_string(e.score) + ": " + OneLine(e.detail);
        } else if constexpr (std::is_same_v<T, FlagCleared>) {
          return "flag " + e.flag_id + " cleared: " + OneLine(e.reason);
        } else if constexpr (std::is_same_v<T, PhoneBlacklisted>) {
          return "blacklisted " + e.phone + (e.automatic ? " by rule " + e.rule.value_or("") : "") +
                 ": " + OneLine(e.reason) + " (evidence " + Joined(e.evidence) + ")";
        } else if constexpr (std::is_same_v<T, PhoneUnblacklisted>) {
          return "removed from the blacklist: " + OneLine(e.reason);
        } else if constexpr (std::is_same_v<T, OfficeConfigurationApplied>) {
          return "configuration of " + e.office + " applied (" + e.config_digest.substr(0, 12) +
                 ")";
        } else {
          // A type this summary does not know yet: its payload, cut short.
          return OneLine(json::serialize(json::value_from(e)), 80);
        }
      },
      event);
}

struct Shown {
  store::RecordedEvent event;
  std::optional<events::Event> decoded;  // nullopt: does not decode (the summary says why)
  std::string summary;
};

Shown Show(store::RecordedEvent e) {
  Shown s;
  auto decoded = events::DecodeEvent(e.type, e.payload);
  if (decoded.ok()) {
    s.summary = Summary(*decoded);
    s.decoded = std::move(decoded).value();
  } else {
    s.summary = "(does not decode: " + decoded.status().message() + ")";
  }
  s.event = std::move(e);
  return s;
}

json::object EventJson(const Shown& s) {
  json::object o{{"seq", s.event.seq},           {"recorded_at", Utc(s.event.recorded_at_us)},
                 {"type", s.event.type},         {"actor", s.event.cause.actor},
                 {"cause_id", s.event.cause.id}, {"summary", s.summary}};
  boost::system::error_code ec;
  json::value payload = json::parse(s.event.payload, ec);
  if (ec) {
    o["payload_raw"] = s.event.payload;
  } else {
    o["payload"] = std::move(payload);
  }
  return o;
}

void PrintEvents(std::ostream& out, const std::vector<Shown>& events) {
  for (const auto& s : events) {
    out << "  " << PadLeft(std::to_string(s.event.seq), 8) << "  "
        << Pad(Utc(s.event.recorded_at_us), 21) << "  " << Pad(s.event.type, 32) << "  "
        << Pad(s.event.cause.actor.empty() ? "-" : s.event.cause.actor, 12) << "  " << s.summary
        << "\n";
  }
}

// Every event of a stream, oldest first, a page of the index at a time.
Status ForEachInStream(const store::Ledger& ledger, const std::string& key,
                       const std::function<void(store::RecordedEvent)>& fn) {
  std::uint64_t cursor = 0;
  do {
    auto page = ledger.ReadByKey(key, store::Order::kOldestFirst, cursor, kStreamPage);
    if (!page.ok()) return page.status();
    for (auto& e : page->events) fn(std::move(e));
    cursor = page->next_cursor;
  } while (cursor != 0);
  return Status::Ok();
}

// The event types that link a phone and a person (the fold's old names included).
bool LinksPeople(std::string_view type) {
  return type == events::BookingCodeIssued::kType || type == events::PhoneFlagged::kType ||
         type.substr(0, 22) == "registration_rejected.";
}

struct TimelinePage {
  std::vector<Shown> events;
  std::uint64_t next_cursor = 0;
};

Result<TimelinePage> Timeline(const store::Ledger& ledger, const std::string& key,
                              std::uint64_t cursor, std::size_t limit) {
  auto page = ledger.ReadByKey(key, store::Order::kNewestFirst, cursor, limit);
  if (!page.ok()) return page.status();
  TimelinePage out;
  out.next_cursor = page->next_cursor;
  for (auto& e : page->events) out.events.push_back(Show(std::move(e)));
  return out;
}

template <class Row>
Result<std::optional<Row>> LiveRow(const store::Ledger& ledger, const std::string& key) {
  auto bytes = ledger.GetState(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Row>();
  Row row;
  if (Status s = pj::Decode(**bytes, &row); !s.ok()) {
    return Status::Corruption("state row " + key + ": " + s.message());
  }
  return std::optional<Row>(std::move(row));
}

// Parses flags; prints the usage error and returns nullopt on failure.
std::optional<Args> ParseArgs(const std::vector<std::string>& argv, std::string_view name,
                              std::string_view usage, const std::set<std::string>& values,
                              const std::set<std::string>& switches, std::size_t positionals,
                              std::ostream& err) {
  std::string error;
  auto args = Args::Parse(argv, values, switches, &error);
  if (args && !args->Has("ledger")) error = "--ledger DIR is required";
  if (args && error.empty() && args->positionals().size() > positionals) {
    error = "unexpected argument \"" + args->positionals()[positionals] + "\"";
  }
  if (args && error.empty() && args->positionals().size() < positionals) {
    error = "missing argument (see usage)";
  }
  if (!error.empty()) {
    err << "antrean " << name << ": " << error << "\n\n" << usage;
    return std::nullopt;
  }
  return args;
}

// --limit and --cursor; false (after printing the error) when malformed.
bool Paging(const Args& args, std::string_view name, std::size_t* limit, std::uint64_t* cursor,
            std::ostream& err) {
  *limit = kDefaultLimit;
  *cursor = 0;
  if (auto v = args.Get("limit")) {
    auto n = ParseUint(*v);
    if (!n || *n == 0 || *n > kLimitMax) {
      err << "antrean " << name << ": --limit: expected a number from 1 to " << kLimitMax
          << ", got \"" << *v << "\"\n";
      return false;
    }
    *limit = static_cast<std::size_t>(*n);
  }
  if (auto v = args.Get("cursor")) {
    auto n = ParseUint(*v);
    if (!n) {
      err << "antrean " << name << ": --cursor: expected a number from a previous page, got \""
          << *v << "\"\n";
      return false;
    }
    *cursor = *n;
  }
  return true;
}

int Fail(std::ostream& err, std::string_view name, const Status& s) {
  err << "antrean " << name << ": " << s.ToString() << "\n";
  return kExitError;
}

// ---- board ------------------------------------------------------------------------------------

struct BoardLine {
  std::string session;
  std::uint32_t capacity = 0;
  pj::SessionCounts counts;
  std::uint32_t remaining = 0;
};

json::object CountsJson(const pj::SessionCounts& c) {
  return {{"issued", c.issued},   {"arrived", c.arrived},     {"forfeited", c.forfeited},
          {"expired", c.expired}, {"completed", c.completed}, {"returned", c.returned}};
}

int RunBoard(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseArgs(argv, "board", kBoardUsage,
                        {"ledger", "office", "date", "as-of", "scratch"}, {"json"}, 0, err);
  if (!args) return kExitUsage;
  std::string error;
  if (!args->Has("office") || args->Get("office")->empty()) error = "--office ID is required";
  if (error.empty() && !args->Has("date")) error = "--date YYYY-MM-DD is required";
  std::string date;
  if (error.empty()) {
    auto d = domain::ParseDate(*args->Get("date"));
    if (!d.ok()) {
      error = "--date: " + d.status().message();
    } else {
      date = domain::FormatDate(*d);
    }
  }
  pj::RebuildOptions rebuild;
  if (error.empty() && args->Has("as-of")) {
    auto at = domain::ParseRfc3339(*args->Get("as-of"));
    if (!at.ok()) {
      error = "--as-of: " + at.status().message();
    } else {
      rebuild.as_of_us = at->micros_since_epoch;
    }
  }
  if (auto v = args->Get("scratch")) rebuild.scratch_dir = *v;
  if (!error.empty()) {
    err << "antrean board: " << error << "\n\n" << kBoardUsage;
    return kExitUsage;
  }
  const std::string office = *args->Get("office");

  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) return Fail(err, "board", ledger.status());

  // Where the rows come from: the live state, or the state rebuilt to --as-of.
  std::optional<pj::Rebuilt> rebuilt;
  if (rebuild.as_of_us) {
    auto r = pj::Rebuild(**ledger, rebuild);
    if (!r.ok()) return Fail(err, "board", r.status());
    rebuilt = std::move(r).value();
  }
  auto read = [&](const std::string& key) -> Result<std::optional<std::string>> {
    if (rebuilt) return rebuilt->state->Get(key);
    return (*ledger)->GetState(key);
  };
  auto config_bytes = read(pj::ConfigRowKey(office));
  if (!config_bytes.ok()) return Fail(err, "board", config_bytes.status());
  auto day_bytes = read(pj::DayRowKey(office, date));
  if (!day_bytes.ok()) return Fail(err, "board", day_bytes.status());
  if (!config_bytes->has_value()) {
    err << "antrean board: office \"" << office << "\" has no configuration in the ledger"
        << (rebuilt ? " as of " + *args->Get("as-of") : std::string()) << "\n";
    return kExitFailed;
  }
  pj::ConfigRow config;
  pj::DayRow day;
  if (Status s = pj::Decode(**config_bytes, &config); !s.ok()) {
    return Fail(err, "board", Status::Corruption("cf/" + office + ": " + s.message()));
  }
  if (day_bytes->has_value()) {
    if (Status s = pj::Decode(**day_bytes, &day); !s.ok()) {
      return Fail(err, "board",
                  Status::Corruption(pj::DayRowKey(office, date) + ": " + s.message()));
    }
  }

  std::map<std::string, BoardLine> lines;
  for (const auto& [start, capacity] : config.capacity) lines[start].capacity = capacity;
  for (const auto& [start, counts] : day.sessions) lines[start].counts = counts;
  BoardLine total;
  total.session = "total";
  for (auto& [start, line] : lines) {
    line.session = start;
    line.remaining = line.capacity > line.counts.issued ? line.capacity - line.counts.issued : 0;
    total.capacity += line.capacity;
    total.counts.issued += line.counts.issued;
    total.counts.arrived += line.counts.arrived;
    total.counts.forfeited += line.counts.forfeited;
    total.counts.expired += line.counts.expired;
    total.counts.completed += line.counts.completed;
    total.counts.returned += line.counts.returned;
    total.remaining += line.remaining;
  }
  const std::uint32_t next_queue_number = day.issued + 1;

  if (args->Has("json")) {
    json::array sessions;
    for (const auto& [start, line] : lines) {
      json::object o = CountsJson(line.counts);
      o["session"] = start;
      o["capacity"] = line.capacity;
      o["remaining"] = line.remaining;
      sessions.push_back(std::move(o));
    }
    json::object totals = CountsJson(total.counts);
    totals["capacity"] = total.capacity;
    totals["remaining"] = total.remaining;
    json::object o{{"office", office},
                   {"date", date},
                   {"sessions", std::move(sessions)},
                   {"totals", std::move(totals)},
                   {"next_queue_number", next_queue_number},
                   {"daily_quota", config.daily_quota},
                   {"config_digest", config.digest}};
    if (rebuilt) {
      o["as_of"] = *args->Get("as-of");
      o["rebuilt_to_seq"] = rebuilt->stats.last_seq;
    }
    out << json::serialize(o) << "\n";
    return kExitOk;
  }

  out << "queue board: " << office << ", " << date;
  if (auto d = domain::ParseDate(date); d.ok()) {
    out << " (" << domain::WeekdayName(domain::DayOfWeek(*d)) << ")";
  }
  if (rebuilt) {
    out << ", as of " << *args->Get("as-of") << " (rebuilt to seq " << rebuilt->stats.last_seq
        << ")";
  }
  out << "\n";
  const char* heads[] = {"session", "capacity",  "issued",   "arrived",  "forfeited",
                         "expired", "completed", "returned", "remaining"};
  for (std::size_t i = 0; i < std::size(heads); ++i) {
    out << (i == 0 ? Pad(heads[i], 8) : "  " + PadLeft(heads[i], 9));
  }
  out << "\n";
  auto print = [&](const BoardLine& l) {
    const std::uint32_t values[] = {l.capacity,         l.counts.issued,  l.counts.arrived,
                                    l.counts.forfeited, l.counts.expired, l.counts.completed,
                                    l.counts.returned,  l.remaining};
    out << Pad(l.session, 8);
    for (auto v : values) out << "  " << PadLeft(std::to_string(v), 9);
    out << "\n";
  };
  for (const auto& [start, line] : lines) print(line);
  print(total);
  out << "next queue number: " << next_queue_number << "   daily quota: " << config.daily_quota
      << "\n";
  return kExitOk;
}

// ---- show booking -----------------------------------------------------------------------------

json::object BookingJson(const pj::BookingRow& b) {
  return {{"code", b.code},
          {"office", b.office},
          {"date", b.date},
          {"session", b.session},
          {"queue_number", b.queue_number},
          {"phone", b.phone},
          {"person", b.person},
          {"name", b.name},
          {"birth_date", b.birth_date},
          {"relation", b.relation},
          {"status", b.status},
          {"arrive_by", b.arrive_by},
          {"message_id", b.message_id}};
}

int RunShowBooking(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseArgs(argv, "show booking", kShowBookingUsage, {"ledger"}, {"json"}, 1, err);
  if (!args) return kExitUsage;
  const std::string key = events::CodeKey(args->positionals()[0]);
  const std::string code = key.substr(events::kCodeKeyPrefix.size());
  if (code.empty()) {
    err << "antrean show booking: CODE is empty\n\n" << kShowBookingUsage;
    return kExitUsage;
  }
  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) return Fail(err, "show booking", ledger.status());
  auto row = LiveRow<pj::BookingRow>(**ledger, pj::BookingRowKey(code));
  if (!row.ok()) return Fail(err, "show booking", row.status());
  std::vector<Shown> shown;
  Status s = ForEachInStream(**ledger, key,
                             [&](store::RecordedEvent e) { shown.push_back(Show(std::move(e))); });
  if (!s.ok()) return Fail(err, "show booking", s);
  if (!row->has_value() && shown.empty()) {
    err << "antrean show booking: no booking and no event has the code " << code << "\n";
    return kExitFailed;
  }
  if (args->Has("json")) {
    json::object o{{"code", code}};
    o["booking"] = row->has_value() ? json::value(BookingJson(**row)) : json::value(nullptr);
    json::array events;
    for (const auto& e : shown) events.push_back(EventJson(e));
    o["events"] = std::move(events);
    out << json::serialize(o) << "\n";
    return kExitOk;
  }
  out << "booking " << code << "\n";
  if (row->has_value()) {
    const auto& b = **row;
    out << "  status:       " << b.status << "\n"
        << "  office:       " << b.office << "\n"
        << "  day:          " << b.date << ", session " << b.session << ", queue number "
        << b.queue_number << "\n"
        << "  arrive by:    " << b.arrive_by << "\n"
        << "  person:       " << b.name << ", born " << b.birth_date << " (" << b.relation << ")\n"
        << "  phone:        " << b.phone << "\n"
        << "  message:      " << b.message_id << "\n";
  } else {
    out << "  no booking was issued with this code\n";
  }
  out << "events (" << shown.size() << ", oldest first):\n";
  PrintEvents(out, shown);
  return kExitOk;
}

// ---- show phone -------------------------------------------------------------------------------

// A person a phone booked or tried to book, or a phone that booked or tried to book for a person.
struct Link {
  std::set<std::string> relations;      // owner, toddler, elderly (issued)
  std::vector<std::string> codes;       // bookings issued
  std::vector<std::string> rejections;  // reasons of rejected attempts
  std::vector<std::string> flags;       // flags naming both
  std::uint64_t first_seq = 0, last_seq = 0;
  void Seen(std::uint64_t seq) {
    if (first_seq == 0) first_seq = seq;
    last_seq = seq;
  }
};

json::object LinkJson(const std::string& name_field, const std::string& name, const Link& l) {
  json::array relations, codes, rejections, flags;
  for (const auto& r : l.relations) relations.emplace_back(r);
  for (const auto& c : l.codes) codes.emplace_back(c);
  for (const auto& r : l.rejections) rejections.emplace_back(r);
  for (const auto& f : l.flags) flags.emplace_back(f);
  return {{name_field, name},          {"relations", std::move(relations)},
          {"codes", std::move(codes)}, {"rejections", std::move(rejections)},
          {"flags", std::move(flags)}, {"first_seq", l.first_seq},
          {"last_seq", l.last_seq}};
}

std::string LinkText(const Link& l) {
  std::string s;
  auto add = [&s](const std::string& part) { s += (s.empty() ? "" : "; ") + part; };
  if (!l.relations.empty()) {
    std::string r;
    for (const auto& x : l.relations) r += (r.empty() ? "" : ",") + x;
    add(r);
  }
  if (!l.codes.empty()) {
    std::string c;
    for (const auto& x : l.codes) c += (c.empty() ? "" : " ") + x;
    add("booked " + c);
  }
  if (!l.rejections.empty()) {
    std::map<std::string, int> n;
    for (const auto& r : l.rejections) ++n[r];
    std::string t;
    for (const auto& [r, k] : n)
      t += (t.empty() ? "" : ", ") + r + (k > 1 ? " x" + std::to_string(k) : "");
    add("rejected: " + t);
  }
  if (!l.flags.empty()) add(std::to_string(l.flags.size()) + " flag(s)");
  return s;
}

void PrintTimeline(std::ostream& out, const TimelinePage& page, std::size_t total,
                   const std::string& again) {
  out << "timeline (" << total << " events, newest first";
  if (!page.events.empty()) {
    out << "; seq " << page.events.front().event.seq << " to " << page.events.back().event.seq;
  }
  out << "):\n";
  PrintEvents(out, page.events);
  if (page.next_cursor != 0) {
    out << "more: " << again << " --cursor " << page.next_cursor << "\n";
  }
}

json::object TimelineJson(const TimelinePage& page, std::size_t total) {
  json::array events;
  for (const auto& e : page.events) events.push_back(EventJson(e));
  json::object o{{"total_events", total}, {"events", std::move(events)}};
  o["next_cursor"] = page.next_cursor == 0 ? json::value(nullptr) : json::value(page.next_cursor);
  return o;
}

int RunShowPhone(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseArgs(argv, "show phone", kShowPhoneUsage, {"ledger", "limit", "cursor"},
                        {"json"}, 1, err);
  if (!args) return kExitUsage;
  auto phone_or = domain::NormalizePhone(args->positionals()[0]);
  if (!phone_or.ok()) {
    err << "antrean show phone: NUMBER: " << phone_or.status().message() << "\n\n"
        << kShowPhoneUsage;
    return kExitUsage;
  }
  const std::string phone = *phone_or;
  std::size_t limit = 0;
  std::uint64_t cursor = 0;
  if (!Paging(*args, "show phone", &limit, &cursor, err)) return kExitUsage;
  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) return Fail(err, "show phone", ledger.status());
  const store::Ledger& l = **ledger;

  auto ph = LiveRow<pj::PhoneRow>(l, pj::PhoneRowKey(phone));
  if (!ph.ok()) return Fail(err, "show phone", ph.status());
  auto bl = LiveRow<pj::BlacklistRow>(l, pj::BlacklistRowKey(phone));
  if (!bl.ok()) return Fail(err, "show phone", bl.status());
  // The flags naming the phone. A scan of the flag rows (there are few); an index by phone
  // comes with the forensics issue.
  std::vector<pj::FlagRow> flags;
  Status decode_failed;
  const std::string flag_end = std::string(pj::kFlagPrefix.substr(0, 2)) + char('/' + 1);
  Status scanned =
      l.ScanState(pj::kFlagPrefix, flag_end, [&](std::string_view k, std::string_view v) {
        pj::FlagRow f;
        if (Status s = pj::Decode(v, &f); !s.ok()) {
          decode_failed = Status::Corruption("state row " + std::string(k) + ": " + s.message());
          return false;
        }
        if (f.phone == phone ||
            std::find(f.phones.begin(), f.phones.end(), phone) != f.phones.end()) {
          flags.push_back(std::move(f));
        }
        return true;
      });
  if (!scanned.ok()) return Fail(err, "show phone", scanned);
  if (!decode_failed.ok()) return Fail(err, "show phone", decode_failed);

  // The persons the phone booked or tried to book: the whole stream, oldest first.
  const std::string key = events::PhoneKey(phone);
  std::map<std::string, Link> persons;
  std::size_t total = 0;
  Status walked = ForEachInStream(l, key, [&](store::RecordedEvent e) {
    ++total;
    if (!LinksPeople(e.type)) return;
    auto decoded = events::DecodeEvent(e.type, e.payload);
    if (!decoded.ok()) return;  // shown as undecodable in the timeline
    if (const auto* b = std::get_if<events::BookingCodeIssued>(&*decoded); b && b->phone == phone) {
      Link& link = persons[events::PersonRef(b->name, b->birth_date)];
      link.relations.insert(b->relation);
      link.codes.push_back(b->code);
      link.Seen(e.seq);
    } else if (const auto* r = std::get_if<events::RegistrationRejected>(&*decoded);
               r && r->phone == phone && r->name && r->birth_date) {
      Link& link = persons[events::PersonRef(*r->name, *r->birth_date)];
      link.rejections.push_back(r->reason);
      link.Seen(e.seq);
    } else if (const auto* f = std::get_if<events::PhoneFlagged>(&*decoded)) {
      for (const auto& p : f->persons) {
        Link& link = persons[p];
        link.flags.push_back(f->flag_id);
        link.Seen(e.seq);
      }
    }
  });
  if (!walked.ok()) return Fail(err, "show phone", walked);
  auto page = Timeline(l, key, cursor, limit);
  if (!page.ok()) return Fail(err, "show phone", page.status());
  if (total == 0 && !ph->has_value() && !bl->has_value() && flags.empty()) {
    err << "antrean show phone: the ledger knows nothing of " << phone << "\n";
    return kExitFailed;
  }

  if (args->Has("json")) {
    json::object o{{"phone", phone}, {"national", domain::NationalForm(phone)}};
    o["owner"] =
        ph->has_value() && !(*ph)->owner.empty() ? json::value((*ph)->owner) : json::value(nullptr);
    o["blacklisted"] = ph->has_value() && (*ph)->blacklisted;
    if (bl->has_value()) {
      const auto& b = **bl;
      json::array evidence;
      for (auto x : b.evidence) evidence.emplace_back(x);
      o["blacklist"] = json::object{{"in_force", b.in_force},
                                    {"reason", b.reason},
                                    {"evidence", evidence},
                                    {"automatic", b.automatic},
                                    {"rule", b.rule},
                                    {"decided_by", b.decided_by},
                                    {"decided_at", b.decided_at},
                                    {"lifted_by", b.lifted_by},
                                    {"lifted_reason", b.lifted_reason}};
    } else {
      o["blacklist"] = nullptr;
    }
    json::array fs;
    for (const auto& f : flags) {
      json::array evidence;
      for (auto x : f.evidence) evidence.emplace_back(x);
      fs.push_back(json::object{{"flag_id", f.flag_id},
                                {"phone", f.phone},
                                {"rule", f.rule},
                                {"score", f.score},
                                {"evidence", evidence},
                                {"detail", f.detail},
                                {"raised_at", f.raised_at},
                                {"in_force", f.in_force},
                                {"cleared_by", f.cleared_by},
                                {"cleared_reason", f.cleared_reason}});
    }
    o["flags"] = std::move(fs);
    json::array ps;
    for (const auto& [ref, link] : persons) ps.push_back(LinkJson("person", ref, link));
    o["persons"] = std::move(ps);
    o["timeline"] = TimelineJson(*page, total);
    out << json::serialize(o) << "\n";
    return kExitOk;
  }

  out << "phone " << phone << " (" << domain::NationalForm(phone) << ")\n";
  out << "  owner:        "
      << (ph->has_value() && !(*ph)->owner.empty() ? (*ph)->owner : std::string("(none yet)"))
      << "\n";
  out << "  blacklisted:  " << YesNo(ph->has_value() && (*ph)->blacklisted) << "\n";
  if (bl->has_value()) {
    const auto& b = **bl;
    out << "  blacklisting: " << (b.in_force ? "in force" : "lifted") << "; reason \"" << b.reason
        << "\"; decided by " << (b.decided_by.empty() ? "-" : b.decided_by) << " at "
        << b.decided_at << "; evidence seq " << (b.evidence.empty() ? "-" : Joined(b.evidence));
    if (!b.in_force) out << "; lifted by " << b.lifted_by << ": " << b.lifted_reason;
    out << "\n";
  }
  out << "flags (" << flags.size() << "):\n";
  for (const auto& f : flags) {
    out << "  " << f.flag_id << "  " << f.rule << " score " << f.score << "  raised " << f.raised_at
        << "  " << (f.in_force ? "in force" : "cleared by " + f.cleared_by)
        << (f.phone != phone ? "  (on " + f.phone + ")" : "") << "  " << OneLine(f.detail) << "\n";
  }
  out << "persons linked (" << persons.size() << "):\n";
  for (const auto& [ref, link] : persons) {
    out << "  " << Pad(ref, 36) << "  " << LinkText(link) << "\n";
  }
  PrintTimeline(out, *page, total,
                "antrean show phone " + phone + " --ledger " + *args->Get("ledger") + " --limit " +
                    std::to_string(limit));
  return kExitOk;
}

// ---- show identity ----------------------------------------------------------------------------

int RunShowIdentity(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseArgs(argv, "show identity", kShowIdentityUsage,
                        {"ledger", "name", "dob", "limit", "cursor"}, {"json"}, 0, err);
  if (!args) return kExitUsage;
  std::string error;
  if (!args->Has("name")) error = "--name NAME is required";
  if (error.empty() && !args->Has("dob")) error = "--dob YYYY-MM-DD is required";
  if (error.empty()) {
    if (auto d = domain::ParseDate(*args->Get("dob")); !d.ok()) {
      error = "--dob: " + d.status().message();
    }
  }
  const std::string ref =
      error.empty() ? events::PersonRef(*args->Get("name"), *args->Get("dob")) : "";
  if (error.empty() && ref.substr(0, ref.rfind('|')).empty()) error = "--name: the name is empty";
  if (!error.empty()) {
    err << "antrean show identity: " << error << "\n\n" << kShowIdentityUsage;
    return kExitUsage;
  }
  std::size_t limit = 0;
  std::uint64_t cursor = 0;
  if (!Paging(*args, "show identity", &limit, &cursor, err)) return kExitUsage;
  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) return Fail(err, "show identity", ledger.status());
  const store::Ledger& l = **ledger;

  auto pe = LiveRow<pj::PersonRow>(l, pj::PersonRowKey(ref));
  if (!pe.ok()) return Fail(err, "show identity", pe.status());
  std::optional<pj::BookingRow> active;
  if (pe->has_value() && !(*pe)->active_code.empty()) {
    auto b = LiveRow<pj::BookingRow>(l, pj::BookingRowKey((*pe)->active_code));
    if (!b.ok()) return Fail(err, "show identity", b.status());
    active = std::move(*b);
  }
  const std::string key = events::PersonKey(*args->Get("name"), *args->Get("dob"));
  std::map<std::string, Link> phones;
  std::size_t total = 0;
  Status walked = ForEachInStream(l, key, [&](store::RecordedEvent e) {
    ++total;
    if (!LinksPeople(e.type)) return;
    auto decoded = events::DecodeEvent(e.type, e.payload);
    if (!decoded.ok()) return;
    if (const auto* b = std::get_if<events::BookingCodeIssued>(&*decoded)) {
      Link& link = phones[b->phone];
      link.relations.insert(b->relation);
      link.codes.push_back(b->code);
      link.Seen(e.seq);
    } else if (const auto* r = std::get_if<events::RegistrationRejected>(&*decoded)) {
      Link& link = phones[r->phone];
      link.rejections.push_back(r->reason);
      link.Seen(e.seq);
    } else if (const auto* f = std::get_if<events::PhoneFlagged>(&*decoded)) {
      phones[f->phone].flags.push_back(f->flag_id);
      phones[f->phone].Seen(e.seq);
    }
  });
  if (!walked.ok()) return Fail(err, "show identity", walked);
  auto page = Timeline(l, key, cursor, limit);
  if (!page.ok()) return Fail(err, "show identity", page.status());
  if (total == 0 && !pe->has_value()) {
    err << "antrean show identity: the ledger knows nothing of " << ref << "\n";
    return kExitFailed;
  }

  const std::string active_code = pe->has_value() ? (*pe)->active_code : "";
  if (args->Has("json")) {
    json::object o{{"person", ref}};
    o["active_code"] = active_code.empty() ? json::value(nullptr) : json::value(active_code);
    o["active_booking"] = active ? json::value(BookingJson(*active)) : json::value(nullptr);
    json::array ps;
    for (const auto& [p, link] : phones) ps.push_back(LinkJson("phone", p, link));
    o["phones"] = std::move(ps);
    o["timeline"] = TimelineJson(*page, total);
    out << json::serialize(o) << "\n";
    return kExitOk;
  }
  out << "person " << ref << "\n";
  out << "  booking not yet used: ";
  if (active) {
    out << active->code << " (" << active->status << ") at " << active->office << " on "
        << active->date << " " << active->session << ", queue " << active->queue_number << ", from "
        << active->phone << "\n";
  } else {
    out << (active_code.empty() ? "none" : active_code) << "\n";
  }
  out << "phones linked (" << phones.size() << "):\n";
  for (const auto& [p, link] : phones) out << "  " << Pad(p, 16) << "  " << LinkText(link) << "\n";
  PrintTimeline(out, *page, total,
                "antrean show identity --ledger " + *args->Get("ledger") + " --name '" +
                    *args->Get("name") + "' --dob " + *args->Get("dob") + " --limit " +
                    std::to_string(limit));
  return kExitOk;
}

}  // namespace

std::vector<Command> QueryCommands() {
  return {
      {"board", "the queue board of an office's day", kBoardUsage, &RunBoard},
      {"show booking", "one booking and every event of its code", kShowBookingUsage,
       &RunShowBooking},
      {"show phone", "everything about one phone: owner, blacklist, flags, persons, timeline",
       kShowPhoneUsage, &RunShowPhone},
      {"show identity", "one person: the booking not yet used, the phones linked, the events",
       kShowIdentityUsage, &RunShowIdentity},
  };
}

}  // namespace antrean::cli
