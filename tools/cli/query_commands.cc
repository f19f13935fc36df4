// board, show booking|phone|identity|blacklist|flags: what officers and auditors ask the ledger.
// Each command parses its flags, opens the ledger read-only (beside a live service), calls its
// query in app/queries.h (the same one the HTTP staff API calls) and prints the query's JSON
// (--json) or text rendered from that JSON. What a query reads, and why it never scans the whole
// log, is said there.
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <tuple>

#include "app/queries.h"
#include "domain/civil_time.h"
#include "store/ledger.h"
#include "tools/cli/command.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;

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

constexpr char kShowBlacklistUsage[] =
    "usage: antrean show blacklist --ledger DIR [--all] [--json] [--limit N] [--cursor C]\n"
    "\n"
    "The phones blacklisted, in phone order: the blacklisting of each (reason,\n"
    "evidence, who decided and when; who lifted it and why). Only those in force\n"
    "unless --all. A page at a time (--limit, default 20; --cursor from the previous\n"
    "page: the last phone shown).\n"
    "\n"
    "Exit 0 also when nothing is blacklisted.\n";

constexpr char kShowFlagsUsage[] =
    "usage: antrean show flags --ledger DIR [--all] [--phone NUMBER] [--json]\n"
    "                          [--limit N] [--cursor C]\n"
    "\n"
    "The flags raised on phones, in flag id order: rule, score, when, whether in\n"
    "force or cleared by whom, the detail. Only those in force unless --all; with\n"
    "--phone, only those naming that phone (flagged, or one of a ring's phones). A\n"
    "page at a time (--limit, default 20; --cursor from the previous page: the last\n"
    "flag id shown).\n"
    "\n"
    "Exit 0 also when there are no flags.\n";

constexpr char kAuditUsage[] =
    "usage: antrean audit --ledger DIR [--office ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "                     [--all] [--limit N] [--evidence N] [--json | --csv]\n"
    "\n"
    "The auditor's list: the flags in force (--all: cleared ones too), highest score\n"
    "first, each with its rule, score, the phone, the persons and phones concerned,\n"
    "the offices of its evidence and its evidence events in readable form\n"
    "(docs/FORENSICS.md explains the rules). --office: only flags with evidence at\n"
    "that office; --from/--to: raised on those local dates (the office's time zone,\n"
    "WIB without --office), inclusive. --limit: flags shown (default 100, at most\n"
    "100000; the total is always counted); --evidence: events shown per flag\n"
    "(default 10, 0..64). --csv: one line a flag, for a spreadsheet.\n"
    "\n"
    "Exit 0 also when there are no flags.\n";

// ---- Reading the queries' JSON
// -------------------------------------------------------------------

// A member of a query's answer; the empty value of its kind when it is absent or of another kind
// (a query always sets the members its renderer reads).
std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
// A number as decimal text.
std::string Num(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_number() ? json::serialize(*v) : std::string();
}
bool Bool(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}
const json::object& Obj(const json::object& o, std::string_view key) {
  static const json::object kNone;
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? v->as_object() : kNone;
}
const json::array& Arr(const json::object& o, std::string_view key) {
  static const json::array kNone;
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : kNone;
}
bool IsNull(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr || v->is_null();
}

// The elements of an array of strings or numbers, joined by `sep`.
std::string Joined(const json::array& a, std::string_view sep) {
  std::string s;
  for (const auto& v : a) {
    if (!s.empty()) s += sep;
    s += v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  }
  return s;
}

// ---- Text
// ----------------------------------------------------------------------------------------

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}
std::string PadLeft(const std::string& s, std::size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

void PrintEvents(std::ostream& out, const json::array& events) {
  for (const auto& v : events) {
    const json::object& e = v.as_object();
    const std::string actor = Str(e, "actor");
    out << "  " << PadLeft(Num(e, "seq"), 8) << "  " << Pad(Str(e, "recorded_at"), 21) << "  "
        << Pad(Str(e, "type"), 32) << "  " << Pad(actor.empty() ? "-" : actor, 12) << "  "
        << Str(e, "summary") << "\n";
  }
}

// A page of a timeline; `again` is the command line that asks for the next page.
void PrintTimeline(std::ostream& out, const json::object& t, const std::string& again) {
  const json::array& events = Arr(t, "events");
  out << "timeline (" << Num(t, "total_events") << " events, newest first";
  if (!events.empty()) {
    out << "; seq " << Num(events.front().as_object(), "seq") << " to "
        << Num(events.back().as_object(), "seq");
  }
  out << "):\n";
  PrintEvents(out, events);
  if (!IsNull(t, "next_cursor"))
    out << "more: " << again << " --cursor " << Num(t, "next_cursor") << "\n";
}

// A blacklisting: "in force; reason "..."; decided by ... at ...; evidence seq 2,3[; lifted ...]".
std::string BlacklistText(const json::object& b) {
  const bool in_force = Bool(b, "in_force");
  const std::string decided_by = Str(b, "decided_by");
  const json::array& evidence = Arr(b, "evidence");
  std::string s = std::string(in_force ? "in force" : "lifted") + "; reason \"" + Str(b, "reason") +
                  "\"; decided by " + (decided_by.empty() ? "-" : decided_by) + " at " +
                  Str(b, "decided_at") + "; evidence seq " +
                  (evidence.empty() ? "-" : Joined(evidence, ","));
  if (!in_force) s += "; lifted by " + Str(b, "lifted_by") + ": " + Str(b, "lifted_reason");
  return s;
}

// A flag on one line; the phone it is on is named unless it is `shown_phone`.
std::string FlagText(const json::object& f, const std::string& shown_phone) {
  const std::string phone = Str(f, "phone");
  return Str(f, "flag_id") + "  " + Str(f, "rule") + " score " + Num(f, "score") + "  raised " +
         Str(f, "raised_at") + "  " +
         (Bool(f, "in_force") ? "in force" : "cleared by " + Str(f, "cleared_by")) +
         (phone != shown_phone ? "  (on " + phone + ")" : "") + "  " +
         app::OneLine(Str(f, "detail"));
}

// A link between a phone and a person: relations; the codes booked; rejections counted; flags.
std::string LinkText(const json::object& l) {
  std::string s;
  auto add = [&s](const std::string& part) { s += (s.empty() ? "" : "; ") + part; };
  if (const auto& r = Arr(l, "relations"); !r.empty()) add(Joined(r, ","));
  if (const auto& c = Arr(l, "codes"); !c.empty()) add("booked " + Joined(c, " "));
  if (const auto& rejections = Arr(l, "rejections"); !rejections.empty()) {
    std::map<std::string, int> n;
    for (const auto& r : rejections) ++n[std::string(r.as_string())];
    std::string t;
    for (const auto& [r, k] : n)
      t += (t.empty() ? "" : ", ") + r + (k > 1 ? " x" + std::to_string(k) : "");
    add("rejected: " + t);
  }
  if (const auto& f = Arr(l, "flags"); !f.empty()) add(std::to_string(f.size()) + " flag(s)");
  return s;
}

// ---- Running a query
// -----------------------------------------------------------------------------

// --limit; false (after printing the error) when malformed.
bool Limit(const Args& args, std::string_view name, std::size_t* limit, std::ostream& err) {
  *limit = app::kQueryLimitDefault;
  if (auto v = args.Get("limit")) {
    auto n = ParseUint(*v);
    if (!n || *n == 0 || *n > app::kQueryLimitMax) {
      err << "antrean " << name << ": --limit: expected a number from 1 to " << app::kQueryLimitMax
          << ", got \"" << *v << "\"\n";
      return false;
    }
    *limit = static_cast<std::size_t>(*n);
  }
  return true;
}

// --limit and a timeline's --cursor (a sequence number); false (after printing the error) when
// malformed.
bool Paging(const Args& args, std::string_view name, std::size_t* limit, std::uint64_t* cursor,
            std::ostream& err) {
  if (!Limit(args, name, limit, err)) return false;
  *cursor = 0;
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

// What this command's usage calls each field a query may name in an InvalidArgument.
using FieldNames = std::map<std::string, std::string, std::less<>>;

// The query's `field "date": ...` in this command's terms: `--date: ...`.
std::string InTermsOf(const std::string& message, const FieldNames& names) {
  for (const auto& [field, name] : names) {
    const std::string prefix = "field \"" + field + "\": ";
    if (message.rfind(prefix, 0) == 0) return name + ": " + message.substr(prefix.size());
  }
  return message;
}

using Query = std::function<Result<json::object>(const store::Ledger&)>;
using Render = std::function<void(const json::object&)>;

// Opens the ledger, runs the query, and prints its JSON (--json) or renders it as text. The
// query's errors become exit codes: InvalidArgument 2 (with the usage), NotFound 1, any other 3.
int Answer(const Args& args, std::string_view name, std::string_view usage, const FieldNames& names,
           const Query& query, const Render& text, std::ostream& out, std::ostream& err) {
  auto ledger = OpenForReading(*args.Get("ledger"));
  if (!ledger.ok()) return Fail(err, name, ledger.status());
  auto answer = query(**ledger);
  if (!answer.ok()) {
    const Status& s = answer.status();
    if (s.IsInvalidArgument()) {
      err << "antrean " << name << ": " << InTermsOf(s.message(), names) << "\n\n" << usage;
      return kExitUsage;
    }
    if (s.IsNotFound()) {
      err << "antrean " << name << ": " << s.message() << "\n";
      return kExitFailed;
    }
    return Fail(err, name, s);
  }
  if (args.Has("json")) {
    out << json::serialize(*answer) << "\n";
  } else {
    text(*answer);
  }
  return kExitOk;
}

// ---- board
// ---------------------------------------------------------------------------------------

void PrintBoard(std::ostream& out, const json::object& o) {
  const std::string date = Str(o, "date");
  out << "queue board: " << Str(o, "office") << ", " << date;
  if (auto d = domain::ParseDate(date); d.ok()) {
    out << " (" << domain::WeekdayName(domain::DayOfWeek(*d)) << ")";
  }
  if (o.contains("as_of")) {
    out << ", as of " << Str(o, "as_of") << " (rebuilt to seq " << Num(o, "rebuilt_to_seq") << ")";
  }
  out << "\n";
  // The first column is the session; the others are the board line's members of the same names.
  const char* columns[] = {"session", "capacity",  "issued",   "arrived",  "forfeited",
                           "expired", "completed", "returned", "remaining"};
  for (std::size_t i = 0; i < std::size(columns); ++i) {
    out << (i == 0 ? Pad(columns[i], 8) : "  " + PadLeft(columns[i], 9));
  }
  out << "\n";
  auto print = [&](const json::object& line, const std::string& session) {
    out << Pad(session, 8);
    for (std::size_t i = 1; i < std::size(columns); ++i) {
      out << "  " << PadLeft(Num(line, columns[i]), 9);
    }
    out << "\n";
  };
  for (const auto& s : Arr(o, "sessions")) print(s.as_object(), Str(s.as_object(), "session"));
  print(Obj(o, "totals"), "total");
  out << "next queue number: " << Num(o, "next_queue_number")
      << "   daily quota: " << Num(o, "daily_quota") << "\n";
}

int RunBoard(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "board", kBoardUsage,
                           {"ledger", "office", "date", "as-of", "scratch"}, {"json"}, err, 0);
  if (!args) return kExitUsage;
  std::string error;
  if (!args->Has("office") || args->Get("office")->empty()) error = "--office ID is required";
  if (error.empty() && !args->Has("date")) error = "--date YYYY-MM-DD is required";
  if (!error.empty()) {
    err << "antrean board: " << error << "\n\n" << kBoardUsage;
    return kExitUsage;
  }
  const std::string office = *args->Get("office");
  const std::string date = *args->Get("date");
  const std::optional<std::string> as_of = args->Get("as-of");
  const std::string scratch = args->Get("scratch").value_or("");
  return Answer(
      *args, "board", kBoardUsage,
      {{"office", "--office"}, {"date", "--date"}, {"as_of", "--as-of"}},
      [&](const store::Ledger& l) { return app::QueryBoard(l, office, date, as_of, scratch); },
      [&](const json::object& o) { PrintBoard(out, o); }, out, err);
}

// ---- show booking
// --------------------------------------------------------------------------------

void PrintBooking(std::ostream& out, const json::object& o) {
  out << "booking " << Str(o, "code") << "\n";
  if (!IsNull(o, "booking")) {
    const json::object& b = Obj(o, "booking");
    out << "  status:       " << Str(b, "status") << "\n"
        << "  office:       " << Str(b, "office") << "\n"
        << "  day:          " << Str(b, "date") << ", session " << Str(b, "session")
        << ", queue number " << Num(b, "queue_number") << "\n"
        << "  arrive by:    " << Str(b, "arrive_by") << "\n"
        << "  person:       " << Str(b, "name") << ", born " << Str(b, "birth_date") << " ("
        << Str(b, "relation") << ")\n"
        << "  phone:        " << Str(b, "phone") << "\n"
        << "  message:      " << Str(b, "message_id") << "\n";
  } else {
    out << "  no booking was issued with this code\n";
  }
  const json::array& events = Arr(o, "events");
  out << "events (" << events.size() << ", oldest first):\n";
  PrintEvents(out, events);
}

int RunShowBooking(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "show booking", kShowBookingUsage, {"ledger"}, {"json"}, err, 1);
  if (!args) return kExitUsage;
  const std::string code = args->positionals()[0];
  return Answer(
      *args, "show booking", kShowBookingUsage, {{"code", "CODE"}},
      [&](const store::Ledger& l) { return app::QueryBooking(l, code); },
      [&](const json::object& o) { PrintBooking(out, o); }, out, err);
}

// ---- show phone
// ----------------------------------------------------------------------------------

void PrintPhone(std::ostream& out, const json::object& o, const std::string& again) {
  const std::string phone = Str(o, "phone");
  const std::string owner = Str(o, "owner");
  out << "phone " << phone << " (" << Str(o, "national") << ")\n";
  out << "  owner:        " << (owner.empty() ? "(none yet)" : owner) << "\n";
  out << "  blacklisted:  " << YesNo(Bool(o, "blacklisted")) << "\n";
  if (!IsNull(o, "blacklist"))
    out << "  blacklisting: " << BlacklistText(Obj(o, "blacklist")) << "\n";
  const json::array& flags = Arr(o, "flags");
  out << "flags (" << flags.size() << "):\n";
  for (const auto& f : flags) out << "  " << FlagText(f.as_object(), phone) << "\n";
  const json::array& persons = Arr(o, "persons");
  out << "persons linked (" << persons.size() << "):\n";
  for (const auto& p : persons) {
    out << "  " << Pad(Str(p.as_object(), "person"), 36) << "  " << LinkText(p.as_object()) << "\n";
  }
  PrintTimeline(out, Obj(o, "timeline"), again);
}

int RunShowPhone(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "show phone", kShowPhoneUsage, {"ledger", "limit", "cursor"},
                           {"json"}, err, 1);
  if (!args) return kExitUsage;
  std::size_t limit = 0;
  std::uint64_t cursor = 0;
  if (!Paging(*args, "show phone", &limit, &cursor, err)) return kExitUsage;
  const std::string written = args->positionals()[0];
  return Answer(
      *args, "show phone", kShowPhoneUsage, {{"phone", "NUMBER"}},
      [&](const store::Ledger& l) { return app::QueryPhone(l, written, limit, cursor); },
      [&](const json::object& o) {
        PrintPhone(out, o,
                   "antrean show phone " + Str(o, "phone") + " --ledger " + *args->Get("ledger") +
                       " --limit " + std::to_string(limit));
      },
      out, err);
}

// ---- show identity
// -------------------------------------------------------------------------------

void PrintIdentity(std::ostream& out, const json::object& o, const std::string& again) {
  out << "person " << Str(o, "person") << "\n";
  out << "  booking not yet used: ";
  if (!IsNull(o, "active_booking")) {
    const json::object& b = Obj(o, "active_booking");
    out << Str(b, "code") << " (" << Str(b, "status") << ") at " << Str(b, "office") << " on "
        << Str(b, "date") << " " << Str(b, "session") << ", queue " << Num(b, "queue_number")
        << ", from " << Str(b, "phone") << "\n";
  } else {
    const std::string active_code = Str(o, "active_code");
    out << (active_code.empty() ? "none" : active_code) << "\n";
  }
  const json::array& phones = Arr(o, "phones");
  out << "phones linked (" << phones.size() << "):\n";
  for (const auto& p : phones) {
    out << "  " << Pad(Str(p.as_object(), "phone"), 16) << "  " << LinkText(p.as_object()) << "\n";
  }
  PrintTimeline(out, Obj(o, "timeline"), again);
}

int RunShowIdentity(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "show identity", kShowIdentityUsage,
                           {"ledger", "name", "dob", "limit", "cursor"}, {"json"}, err, 0);
  if (!args) return kExitUsage;
  std::string error;
  if (!args->Has("name")) error = "--name NAME is required";
  if (error.empty() && !args->Has("dob")) error = "--dob YYYY-MM-DD is required";
  if (!error.empty()) {
    err << "antrean show identity: " << error << "\n\n" << kShowIdentityUsage;
    return kExitUsage;
  }
  std::size_t limit = 0;
  std::uint64_t cursor = 0;
  if (!Paging(*args, "show identity", &limit, &cursor, err)) return kExitUsage;
  const std::string name = *args->Get("name");
  const std::string dob = *args->Get("dob");
  return Answer(
      *args, "show identity", kShowIdentityUsage, {{"name", "--name"}, {"dob", "--dob"}},
      [&](const store::Ledger& l) { return app::QueryIdentity(l, name, dob, limit, cursor); },
      [&](const json::object& o) {
        PrintIdentity(out, o,
                      "antrean show identity --ledger " + *args->Get("ledger") + " --name '" +
                          name + "' --dob " + dob + " --limit " + std::to_string(limit));
      },
      out, err);
}

// ---- show blacklist, show flags
// ------------------------------------------------------------------

// The "more:" line of a page of rows, when there is a next page.
void PrintMore(std::ostream& out, const json::object& o, const std::string& again) {
  if (!IsNull(o, "next_cursor")) {
    out << "more: " << again << " --cursor " << Str(o, "next_cursor") << "\n";
  }
}

void PrintBlacklist(std::ostream& out, const json::object& o, const std::string& again) {
  const json::array& rows = Arr(o, "blacklist");
  out << "blacklisted phones" << (Bool(o, "include_lifted") ? ", lifted ones included" : "") << " ("
      << rows.size() << "):\n";
  for (const auto& r : rows) {
    out << "  " << Pad(Str(r.as_object(), "phone"), 16) << "  " << BlacklistText(r.as_object())
        << "\n";
  }
  PrintMore(out, o, again);
}

int RunShowBlacklist(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "show blacklist", kShowBlacklistUsage,
                           {"ledger", "limit", "cursor"}, {"all", "json"}, err, 0);
  if (!args) return kExitUsage;
  std::size_t limit = 0;
  if (!Limit(*args, "show blacklist", &limit, err)) return kExitUsage;
  const bool all = args->Has("all");
  const std::string cursor = args->Get("cursor").value_or("");
  return Answer(
      *args, "show blacklist", kShowBlacklistUsage, {{"cursor", "--cursor"}},
      [&](const store::Ledger& l) { return app::QueryBlacklist(l, all, limit, cursor); },
      [&](const json::object& o) {
        PrintBlacklist(out, o,
                       "antrean show blacklist --ledger " + *args->Get("ledger") +
                           (all ? " --all" : "") + " --limit " + std::to_string(limit));
      },
      out, err);
}

void PrintFlags(std::ostream& out, const json::object& o, const std::string& again) {
  const json::array& flags = Arr(o, "flags");
  const std::string phone = Str(o, "phone");
  out << "flags" << (Bool(o, "include_cleared") ? ", cleared ones included" : "")
      << (phone.empty() ? "" : ", naming " + phone) << " (" << flags.size() << "):\n";
  for (const auto& f : flags) out << "  " << FlagText(f.as_object(), phone) << "\n";
  PrintMore(out, o, again);
}

int RunShowFlags(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "show flags", kShowFlagsUsage,
                           {"ledger", "phone", "limit", "cursor"}, {"all", "json"}, err, 0);
  if (!args) return kExitUsage;
  std::size_t limit = 0;
  if (!Limit(*args, "show flags", &limit, err)) return kExitUsage;
  const bool all = args->Has("all");
  const std::optional<std::string> phone = args->Get("phone");
  const std::string cursor = args->Get("cursor").value_or("");
  return Answer(
      *args, "show flags", kShowFlagsUsage, {{"phone", "--phone"}, {"cursor", "--cursor"}},
      [&](const store::Ledger& l) { return app::QueryFlags(l, all, phone, limit, cursor); },
      [&](const json::object& o) {
        const std::string shown = Str(o, "phone");
        PrintFlags(out, o,
                   "antrean show flags --ledger " + *args->Get("ledger") + (all ? " --all" : "") +
                       (shown.empty() ? "" : " --phone " + shown) + " --limit " +
                       std::to_string(limit));
      },
      out, err);
}

// ---- audit
// ---------------------------------------------------------------------------------------

void PrintAudit(std::ostream& out, const json::object& o) {
  const json::array& flags = Arr(o, "flags");
  out << "flags" << (Bool(o, "include_cleared") ? ", cleared ones included" : " in force")
      << (IsNull(o, "office") ? "" : " at " + Str(o, "office"))
      << (IsNull(o, "from") ? "" : " from " + Str(o, "from"))
      << (IsNull(o, "to") ? "" : " to " + Str(o, "to")) << ": " << Num(o, "total");
  std::string rules;
  for (const auto& [rule, n] : Obj(o, "by_rule")) {
    rules += (rules.empty() ? "" : ", ") + std::string(rule) + " " + json::serialize(n);
  }
  out << (rules.empty() ? "" : " (" + rules + ")") << "; showing " << flags.size() << "\n";
  for (const auto& v : flags) {
    const json::object& f = v.as_object();
    out << "\n#" << Num(f, "rank") << "  " << Str(f, "rule") << "  score " << Num(f, "score")
        << "  phone " << Str(f, "phone") << "  raised " << Str(f, "raised_at")
        << (Bool(f, "in_force") ? "" : "  cleared by " + Str(f, "cleared_by")) << "\n";
    out << "    " << Str(f, "detail") << "\n";
    out << "    flag " << Str(f, "flag_id") << "; offices " << Joined(Arr(f, "offices"), ", ")
        << "\n";
    if (!Arr(f, "phones").empty()) out << "    phones: " << Joined(Arr(f, "phones"), ", ") << "\n";
    if (!Arr(f, "persons").empty()) {
      out << "    persons: " << Joined(Arr(f, "persons"), ", ") << "\n";
    }
    out << "    evidence (" << Num(f, "evidence_count") << " events):\n";
    for (const auto& e : Arr(f, "evidence_events")) {
      const json::object& ev = e.as_object();
      out << "      seq " << Pad(Num(ev, "seq"), 9) << Str(ev, "recorded_at") << "  "
          << Pad(Str(ev, "type"), 33) << Str(ev, "summary") << "\n";
    }
  }
}

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled.
std::string Csv(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string q = "\"";
  for (char c : field) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void PrintAuditCsv(std::ostream& out, const json::object& o) {
  out << "rank,rule,score,phone,phones,persons,offices,raised_at,in_force,cleared_by,flag_id,"
         "evidence_seqs,detail\r\n";
  for (const auto& v : Arr(o, "flags")) {
    const json::object& f = v.as_object();
    out << Num(f, "rank") << ',' << Csv(Str(f, "rule")) << ',' << Num(f, "score") << ','
        << Csv(Str(f, "phone")) << ',' << Csv(Joined(Arr(f, "phones"), " ")) << ','
        << Csv(Joined(Arr(f, "persons"), "; ")) << ',' << Csv(Joined(Arr(f, "offices"), " "))
        << ',' << Csv(Str(f, "raised_at")) << ',' << (Bool(f, "in_force") ? "yes" : "no") << ','
        << Csv(Str(f, "cleared_by")) << ',' << Csv(Str(f, "flag_id")) << ','
        << Csv(Joined(Arr(f, "evidence"), " ")) << ',' << Csv(Str(f, "detail")) << "\r\n";
  }
}

int RunAudit(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "audit", kAuditUsage,
                           {"ledger", "office", "from", "to", "limit", "evidence"},
                           {"all", "json", "csv"}, err, 0);
  if (!args) return kExitUsage;
  if (args->Has("json") && args->Has("csv")) {
    err << "antrean audit: --json and --csv: choose one\n\n" << kAuditUsage;
    return kExitUsage;
  }
  app::AuditQuery q;
  q.office = args->Get("office");
  q.from = args->Get("from");
  q.to = args->Get("to");
  q.include_cleared = args->Has("all");
  for (auto [flag, field, max] : {std::tuple{"limit", &q.limit, app::kAuditLimitMax},
                                  std::tuple{"evidence", &q.evidence_max, app::kEvidenceShownMax}}) {
    if (auto v = args->Get(flag)) {
      auto n = ParseUint(*v);
      if (!n || *n > max || (*n == 0 && std::string_view(flag) == "limit")) {
        err << "antrean audit: --" << flag << ": expected a number up to " << max << ", got \""
            << *v << "\"\n\n"
            << kAuditUsage;
        return kExitUsage;
      }
      *field = static_cast<std::size_t>(*n);
    }
  }
  return Answer(
      *args, "audit", kAuditUsage,
      {{"office", "--office"}, {"from", "--from"}, {"to", "--to"}, {"limit", "--limit"},
       {"evidence", "--evidence"}},
      [&](const store::Ledger& l) { return app::QueryAudit(l, q); },
      [&](const json::object& o) {
        if (args->Has("csv")) {
          PrintAuditCsv(out, o);
        } else {
          PrintAudit(out, o);
        }
      },
      out, err);
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
      {"show blacklist", "the phones blacklisted (--all: lifted ones too)", kShowBlacklistUsage,
       &RunShowBlacklist},
      {"show flags", "the flags raised on phones (--all: cleared ones too; --phone P)",
       kShowFlagsUsage, &RunShowFlags},
      {"audit", "the flags ranked, with their evidence (--csv for a spreadsheet)", kAuditUsage,
       &RunAudit},
  };
}

}  // namespace antrean::cli
