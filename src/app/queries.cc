// The read side (queries.h): rows and index streams in, JSON out.
#include "app/queries.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "app/booking_code.h"
#include "common/utf8.h"
#include "domain/civil_time.h"
#include "domain/message_parser.h"
#include "domain/phone.h"
#include "events/codec.h"
#include "events/event.h"
#include "events/keys.h"
#include "projections/decision_state.h"
#include "projections/replay.h"

namespace antrean::app {
namespace {

namespace json = boost::json;
namespace pj = projections;

// Events read from the index at a time when a query walks a whole stream.
constexpr std::size_t kStreamPage = 1000;

std::string Utc(std::int64_t us) { return domain::FormatRfc3339(domain::Instant{us}, 0); }

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string Joined(const std::vector<std::uint64_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

Status BadField(std::string_view field, const std::string& why) {
  return Status::InvalidArgument("field \"" + std::string(field) + "\": " + why);
}

// ---- Checking the arguments
// ----------------------------------------------------------------------

Status CheckLimit(std::size_t limit) {
  if (limit == 0 || limit > kQueryLimitMax) {
    return BadField("limit", "expected a number from 1 to " + std::to_string(kQueryLimitMax) +
                                 ", got " + std::to_string(limit));
  }
  return Status::Ok();
}

Status CheckCursor(std::string_view cursor) {
  if (cursor.size() > kQueryCursorBytesMax) {
    return BadField("cursor", "longer than " + std::to_string(kQueryCursorBytesMax) + " bytes");
  }
  return Status::Ok();
}

Result<std::string> Phone(std::string_view written) {
  auto phone = domain::NormalizePhone(written);
  if (!phone.ok()) return BadField("phone", phone.status().message());
  return phone;
}

Result<std::string> Date(std::string_view field, std::string_view text) {
  auto date = domain::ParseDate(text);
  if (!date.ok()) return BadField(field, date.status().message());
  return domain::FormatDate(*date);
}

// ---- Event summaries
// -----------------------------------------------------------------------------

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

// The payload as JSON if it parses, else as the string `payload_raw`, so that a damaged payload is
// still shown.
void AddPayload(json::object& o, std::string_view payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec) {
    o["payload_raw"] = payload;
  } else {
    o["payload"] = std::move(v);
  }
}

// One event as the views show it: the envelope, a summary, and the payload (as JSON if it
// parses, as a string otherwise, so that a damaged payload is still shown).
json::object EventJson(const store::RecordedEvent& e) {
  auto decoded = events::DecodeEvent(e.type, e.payload);
  const std::string summary =
      decoded.ok() ? Summary(*decoded) : "(does not decode: " + decoded.status().message() + ")";
  json::object o{{"seq", e.seq},           {"recorded_at", Utc(e.recorded_at_us)},
                 {"type", e.type},         {"actor", e.cause.actor},
                 {"cause_id", e.cause.id}, {"summary", summary}};
  AddPayload(o, e.payload);
  return o;
}

// ---- Rows
// ----------------------------------------------------------------------------------------

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

// Calls fn(id, row) for each row under `prefix` whose id (the key after the prefix) comes after
// `after` (empty: from the first), in key order, until fn returns false.
template <class Row>
Status ScanRows(const store::Ledger& ledger, std::string_view prefix, std::string_view after,
                const std::function<bool(std::string_view id, Row row)>& fn) {
  // The smallest key after prefix+after is prefix+after+'\0'; the prefix ends with '/', and every
  // key under it sorts before the prefix with '/' replaced by the next byte.
  std::string from(prefix);
  if (!after.empty()) from.append(after).push_back('\0');
  Status decode_failed;
  Status scanned = ledger.ScanState(
      from, pj::PrefixEnd(prefix), [&](std::string_view key, std::string_view value) {
        Row row;
        if (Status s = pj::Decode(value, &row); !s.ok()) {
          decode_failed = Status::Corruption("state row " + std::string(key) + ": " + s.message());
          return false;
        }
        return fn(key.substr(prefix.size()), std::move(row));
      });
  return scanned.ok() ? decode_failed : scanned;
}

// The rows for which `keep` is true, at most `limit` of them after `cursor`; next_cursor is the
// id of the last one when more are kept after it, null otherwise.
template <class Row>
Result<json::object> RowPage(const store::Ledger& ledger, std::string_view prefix,
                             std::string_view cursor, std::size_t limit,
                             const std::function<bool(const Row&)>& keep,
                             const std::function<json::object(std::string_view, const Row&)>& show,
                             const char* field) {
  json::array rows;
  std::string last;
  bool more = false;
  Status s = ScanRows<Row>(ledger, prefix, cursor, [&](std::string_view id, Row row) {
    if (!keep(row)) return true;
    if (rows.size() == limit) {
      more = true;
      return false;
    }
    rows.push_back(show(id, row));
    last = std::string(id);
    return true;
  });
  if (!s.ok()) return s;
  json::object o;
  o[field] = std::move(rows);
  o["next_cursor"] = more ? json::value(last) : json::value(nullptr);
  return o;
}

json::array Numbers(const std::vector<std::uint64_t>& v) {
  json::array a;
  for (auto x : v) a.emplace_back(x);
  return a;
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& x : v) a.emplace_back(x);
  return a;
}

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

json::object BlacklistJson(const pj::BlacklistRow& b) {
  return {
      {"in_force", b.in_force},     {"reason", b.reason},       {"evidence", Numbers(b.evidence)},
      {"automatic", b.automatic},   {"rule", b.rule},           {"decided_by", b.decided_by},
      {"decided_at", b.decided_at}, {"lifted_by", b.lifted_by}, {"lifted_reason", b.lifted_reason}};
}

json::object FlagJson(const pj::FlagRow& f) {
  return {{"flag_id", f.flag_id},
          {"phone", f.phone},
          {"rule", f.rule},
          {"score", f.score},
          {"evidence", Numbers(f.evidence)},
          {"detail", f.detail},
          {"raised_at", f.raised_at},
          {"in_force", f.in_force},
          {"cleared_by", f.cleared_by},
          {"cleared_reason", f.cleared_reason}};
}

bool NamesPhone(const pj::FlagRow& f, const std::string& phone) {
  return f.phone == phone || std::find(f.phones.begin(), f.phones.end(), phone) != f.phones.end();
}

json::value StringOrNull(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

// ---- Streams and timelines
// -----------------------------------------------------------------------

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
  return type == events::BookingCodeIssued::kType || type.substr(0, 14) == "phone_flagged." ||
         type.substr(0, 22) == "registration_rejected.";
}

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

json::array LinksJson(const char* name_field, const std::map<std::string, Link>& links) {
  json::array out;
  for (const auto& [name, l] : links) {
    json::array relations;
    for (const auto& r : l.relations) relations.emplace_back(r);
    out.push_back(json::object{{name_field, name},
                               {"relations", std::move(relations)},
                               {"codes", Strings(l.codes)},
                               {"rejections", Strings(l.rejections)},
                               {"flags", Strings(l.flags)},
                               {"first_seq", l.first_seq},
                               {"last_seq", l.last_seq}});
  }
  return out;
}

// What a whole stream (a phone's or a person's) says: how many events, and the links its
// issued, rejected and flagged events make. `link` files one decoded event under the links it
// makes.
using Linker = std::function<void(const events::Event&, std::uint64_t seq,
                                  std::map<std::string, Link>& links)>;
struct StreamLinks {
  std::size_t total = 0;
  std::map<std::string, Link> links;
};

Result<StreamLinks> WalkLinks(const store::Ledger& ledger, const std::string& key,
                              const Linker& link) {
  StreamLinks out;
  Status walked = ForEachInStream(ledger, key, [&](store::RecordedEvent e) {
    ++out.total;
    if (!LinksPeople(e.type)) return;
    auto decoded = events::DecodeEvent(e.type, e.payload);
    if (!decoded.ok()) return;  // shown as undecodable in the timeline
    link(*decoded, e.seq, out.links);
  });
  if (!walked.ok()) return walked;
  return out;
}

// A page of a stream's timeline, newest first.
Result<json::object> TimelineJson(const store::Ledger& ledger, const std::string& key,
                                  std::size_t total, std::uint64_t cursor, std::size_t limit) {
  auto page = ledger.ReadByKey(key, store::Order::kNewestFirst, cursor, limit);
  if (!page.ok()) return page.status();
  json::array events;
  for (const auto& e : page->events) events.push_back(EventJson(e));
  json::object o{{"total_events", total}, {"events", std::move(events)}};
  o["next_cursor"] = page->next_cursor == 0 ? json::value(nullptr) : json::value(page->next_cursor);
  return o;
}

// ---- The board
// -----------------------------------------------------------------------------------

json::object CountsJson(const pj::SessionCounts& c) {
  return {{"issued", c.issued},   {"arrived", c.arrived},     {"forfeited", c.forfeited},
          {"expired", c.expired}, {"completed", c.completed}, {"returned", c.returned}};
}

// One line of the board: a session's counts (or the totals, with no session) with its capacity
// and what remains.
json::object BoardLine(const std::string* session, const pj::SessionCounts& counts,
                       std::uint32_t capacity, std::uint32_t remaining) {
  json::object o = CountsJson(counts);
  if (session != nullptr) o["session"] = *session;
  o["capacity"] = capacity;
  o["remaining"] = remaining;
  return o;
}

json::object BoardJson(const pj::ConfigRow& config, const pj::DayRow& day) {
  std::map<std::string, std::pair<std::uint32_t, pj::SessionCounts>> lines;
  for (const auto& [start, capacity] : config.capacity) lines[start].first = capacity;
  for (const auto& [start, counts] : day.sessions) lines[start].second = counts;
  json::array sessions;
  std::uint32_t total_capacity = 0, total_remaining = 0;
  pj::SessionCounts total;
  for (const auto& [start, line] : lines) {
    const auto& [capacity, c] = line;
    const std::uint32_t remaining = capacity > c.issued ? capacity - c.issued : 0;
    sessions.push_back(BoardLine(&start, c, capacity, remaining));
    total_capacity += capacity;
    total_remaining += remaining;
    total += c;
  }
  return {{"sessions", std::move(sessions)},
          {"totals", BoardLine(nullptr, total, total_capacity, total_remaining)},
          {"next_queue_number", day.issued + 1},
          {"daily_quota", config.daily_quota},
          {"config_digest", config.digest}};
}

}  // namespace

std::string OneLine(std::string_view text, std::size_t max) {
  std::string s;
  for (char c : text) {
    if (c == '\n') {
      s += " / ";
    } else if (c != '\r') {
      s += c;
    }
  }
  if (s.size() <= max) return s;
  return std::string(Utf8Prefix(s, max)) + "...";
}

// RFC 3339 in UTC with microseconds: "2026-03-02T00:31:05.000000Z".
namespace {
std::string FormatUtc(std::int64_t micros) {
  std::int64_t secs = micros / 1'000'000;
  std::int64_t frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(micros);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}
}  // namespace

json::object StoredEventJson(const store::EventView& v) {
  json::object o;
  o["seq"] = v.seq;
  o["recorded_at"] = FormatUtc(v.recorded_at_us);
  o["type"] = v.type;
  json::array keys;
  for (std::size_t i = 0; i < v.key_count; ++i) keys.emplace_back(v.keys[i]);
  o["keys"] = std::move(keys);
  o["cause"] = json::object{{"id", v.cause_id}, {"actor", v.cause_actor}};
  if (!v.idempotency_key.empty()) o["idempotency_key"] = v.idempotency_key;
  AddPayload(o, v.payload);
  o["prev_hash"] = ToHex(v.prev_hash);
  o["hash"] = ToHex(v.hash);
  return o;
}

boost::json::object HeadJson(const store::Head& head) {
  return {{"seq", head.seq}, {"hash", ToHex(head.hash)}};
}

Result<json::object> QueryBoard(const store::Ledger& ledger, std::string_view office,
                                std::string_view date_text, std::optional<std::string_view> as_of,
                                const std::string& scratch_dir) {
  if (office.empty()) return BadField("office", "empty");
  auto date = Date("date", date_text);
  if (!date.ok()) return date.status();
  pj::RebuildOptions rebuild;
  rebuild.scratch_dir = scratch_dir;
  if (as_of) {
    auto at = domain::ParseRfc3339(*as_of);
    if (!at.ok()) return BadField("as_of", at.status().message());
    rebuild.as_of_us = at->micros_since_epoch;
  }

  // Where the rows come from: the live state, or the state rebuilt to as_of.
  std::optional<pj::Rebuilt> rebuilt;
  if (as_of) {
    auto r = pj::Rebuild(ledger, rebuild);
    if (!r.ok()) return r.status();
    rebuilt = std::move(r).value();
  }
  auto read = [&](const std::string& key) -> Result<std::optional<std::string>> {
    if (rebuilt) return rebuilt->state->Get(key);
    return ledger.GetState(key);
  };
  const std::string config_key = pj::ConfigRowKey(office);
  const std::string day_key = pj::DayRowKey(office, *date);
  auto config_bytes = read(config_key);
  if (!config_bytes.ok()) return config_bytes.status();
  auto day_bytes = read(day_key);
  if (!day_bytes.ok()) return day_bytes.status();
  if (!config_bytes->has_value()) {
    return Status::NotFound("office \"" + std::string(office) +
                            "\" has no configuration in the ledger" +
                            (as_of ? " as of " + std::string(*as_of) : std::string()));
  }
  pj::ConfigRow config;
  pj::DayRow day;
  if (Status s = pj::Decode(**config_bytes, &config); !s.ok()) {
    return Status::Corruption(config_key + ": " + s.message());
  }
  if (day_bytes->has_value()) {
    if (Status s = pj::Decode(**day_bytes, &day); !s.ok()) {
      return Status::Corruption(day_key + ": " + s.message());
    }
  }
  json::object o{{"office", office}, {"date", *date}};
  for (auto& [k, v] : BoardJson(config, day)) o[k] = std::move(v);
  if (rebuilt) {
    o["as_of"] = *as_of;
    o["rebuilt_to_seq"] = rebuilt->stats.last_seq;
  }
  return o;
}

Result<json::object> QueryBooking(const store::Ledger& ledger, std::string_view typed) {
  // Read as the counter reads a code (case, spaces, dashes, O for 0, I or L for 1), so that what
  // the counter accepted is found here too.
  const std::string key = events::CodeKey(NormalizeBookingCode(typed));
  const std::string code = key.substr(events::kCodeKeyPrefix.size());
  if (code.empty()) return BadField("code", "empty");
  auto row = LiveRow<pj::BookingRow>(ledger, pj::BookingRowKey(code));
  if (!row.ok()) return row.status();
  json::array events;
  Status s =
      ForEachInStream(ledger, key, [&](store::RecordedEvent e) { events.push_back(EventJson(e)); });
  if (!s.ok()) return s;
  if (!row->has_value() && events.empty()) {
    return Status::NotFound("no booking and no event has the code " + code);
  }
  json::object o{{"code", code}};
  o["booking"] = row->has_value() ? json::value(BookingJson(**row)) : json::value(nullptr);
  o["events"] = std::move(events);
  return o;
}

Result<json::object> QueryPhone(const store::Ledger& ledger, std::string_view written_phone,
                                std::size_t limit, std::uint64_t cursor) {
  auto phone_or = Phone(written_phone);
  if (!phone_or.ok()) return phone_or.status();
  if (Status s = CheckLimit(limit); !s.ok()) return s;
  const std::string phone = *phone_or;

  auto ph = LiveRow<pj::PhoneRow>(ledger, pj::PhoneRowKey(phone));
  if (!ph.ok()) return ph.status();
  auto bl = LiveRow<pj::BlacklistRow>(ledger, pj::BlacklistRowKey(phone));
  if (!bl.ok()) return bl.status();
  // The flags naming the phone. A scan of the flag rows (there are few); an index by phone
  // comes with the forensics issue.
  json::array flags;
  Status scanned =
      ScanRows<pj::FlagRow>(ledger, pj::kFlagPrefix, "", [&](std::string_view, pj::FlagRow f) {
        if (NamesPhone(f, phone)) flags.push_back(FlagJson(f));
        return true;
      });
  if (!scanned.ok()) return scanned;

  // The persons the phone booked or tried to book: the whole stream, oldest first.
  const std::string key = events::PhoneKey(phone);
  auto walked = WalkLinks(
      ledger, key, [&phone](const events::Event& event, std::uint64_t seq, auto& persons) {
        if (const auto* b = std::get_if<events::BookingCodeIssued>(&event);
            b && b->phone == phone) {
          Link& link = persons[events::PersonRef(b->name, b->birth_date)];
          link.relations.insert(b->relation);
          link.codes.push_back(b->code);
          link.Seen(seq);
        } else if (const auto* r = std::get_if<events::RegistrationRejected>(&event);
                   r && r->phone == phone && r->name && r->birth_date) {
          Link& link = persons[events::PersonRef(*r->name, *r->birth_date)];
          link.rejections.push_back(r->reason);
          link.Seen(seq);
        } else if (const auto* f = std::get_if<events::PhoneFlagged>(&event)) {
          for (const auto& p : f->persons) {
            Link& link = persons[p];
            link.flags.push_back(f->flag_id);
            link.Seen(seq);
          }
        }
      });
  if (!walked.ok()) return walked.status();
  auto timeline = TimelineJson(ledger, key, walked->total, cursor, limit);
  if (!timeline.ok()) return timeline.status();
  if (walked->total == 0 && !ph->has_value() && !bl->has_value() && flags.empty()) {
    return Status::NotFound("the ledger knows nothing of " + phone);
  }

  json::object o{{"phone", phone}, {"national", domain::NationalForm(phone)}};
  o["owner"] = StringOrNull(ph->has_value() ? (*ph)->owner : "");
  o["blacklisted"] = ph->has_value() && (*ph)->blacklisted;
  o["blacklist"] = bl->has_value() ? json::value(BlacklistJson(**bl)) : json::value(nullptr);
  o["flags"] = std::move(flags);
  o["persons"] = LinksJson("person", walked->links);
  o["timeline"] = std::move(*timeline);
  return o;
}

Result<json::object> QueryIdentity(const store::Ledger& ledger, std::string_view name,
                                   std::string_view dob, std::size_t limit, std::uint64_t cursor) {
  if (auto d = Date("dob", dob); !d.ok()) return d.status();
  const std::string ref = events::PersonRef(domain::NameKey(name), dob);
  if (ref.substr(0, ref.rfind('|')).empty()) return BadField("name", "the name is empty");
  if (Status s = CheckLimit(limit); !s.ok()) return s;

  auto pe = LiveRow<pj::PersonRow>(ledger, pj::PersonRowKey(ref));
  if (!pe.ok()) return pe.status();
  const std::string active_code = pe->has_value() ? (*pe)->active_code : "";
  std::optional<pj::BookingRow> active;
  if (!active_code.empty()) {
    auto b = LiveRow<pj::BookingRow>(ledger, pj::BookingRowKey(active_code));
    if (!b.ok()) return b.status();
    active = std::move(*b);
  }
  const std::string key = events::PersonKey(name, dob);
  auto walked =
      WalkLinks(ledger, key, [](const events::Event& event, std::uint64_t seq, auto& phones) {
        if (const auto* b = std::get_if<events::BookingCodeIssued>(&event)) {
          Link& link = phones[b->phone];
          link.relations.insert(b->relation);
          link.codes.push_back(b->code);
          link.Seen(seq);
        } else if (const auto* r = std::get_if<events::RegistrationRejected>(&event)) {
          Link& link = phones[r->phone];
          link.rejections.push_back(r->reason);
          link.Seen(seq);
        } else if (const auto* f = std::get_if<events::PhoneFlagged>(&event)) {
          phones[f->phone].flags.push_back(f->flag_id);
          phones[f->phone].Seen(seq);
        }
      });
  if (!walked.ok()) return walked.status();
  auto timeline = TimelineJson(ledger, key, walked->total, cursor, limit);
  if (!timeline.ok()) return timeline.status();
  if (walked->total == 0 && !pe->has_value()) {
    return Status::NotFound("the ledger knows nothing of " + ref);
  }

  json::object o{{"person", ref}};
  o["active_code"] = StringOrNull(active_code);
  o["active_booking"] = active ? json::value(BookingJson(*active)) : json::value(nullptr);
  o["phones"] = LinksJson("phone", walked->links);
  o["timeline"] = std::move(*timeline);
  return o;
}

Result<json::object> QueryBlacklist(const store::Ledger& ledger, bool include_lifted,
                                    std::size_t limit, std::string_view cursor) {
  if (Status s = CheckLimit(limit); !s.ok()) return s;
  if (Status s = CheckCursor(cursor); !s.ok()) return s;
  auto page = RowPage<pj::BlacklistRow>(
      ledger, pj::kBlacklistPrefix, cursor, limit,
      [include_lifted](const pj::BlacklistRow& b) { return include_lifted || b.in_force; },
      [](std::string_view phone, const pj::BlacklistRow& b) {
        json::object o{
            {"phone", phone},
            {"national", domain::IsNormalizedPhone(phone) ? json::value(domain::NationalForm(phone))
                                                          : json::value(nullptr)}};
        for (auto& [k, v] : BlacklistJson(b)) o[k] = std::move(v);
        return o;
      },
      "blacklist");
  if (!page.ok()) return page.status();
  json::object o{{"include_lifted", include_lifted}};
  for (auto& [k, v] : *page) o[k] = std::move(v);
  return o;
}

Result<json::object> QueryFlags(const store::Ledger& ledger, bool include_cleared,
                                std::optional<std::string_view> written_phone, std::size_t limit,
                                std::string_view cursor) {
  std::optional<std::string> phone;
  if (written_phone) {
    auto p = Phone(*written_phone);
    if (!p.ok()) return p.status();
    phone = std::move(*p);
  }
  if (Status s = CheckLimit(limit); !s.ok()) return s;
  if (Status s = CheckCursor(cursor); !s.ok()) return s;
  auto page = RowPage<pj::FlagRow>(
      ledger, pj::kFlagPrefix, cursor, limit,
      [&](const pj::FlagRow& f) {
        return (include_cleared || f.in_force) && (!phone || NamesPhone(f, *phone));
      },
      [](std::string_view, const pj::FlagRow& f) {
        json::object o = FlagJson(f);
        o["persons"] = Strings(f.persons);
        o["phones"] = Strings(f.phones);
        return o;
      },
      "flags");
  if (!page.ok()) return page.status();
  json::object o{{"include_cleared", include_cleared}};
  o["phone"] = phone ? json::value(*phone) : json::value(nullptr);
  for (auto& [k, v] : *page) o[k] = std::move(v);
  return o;
}

Result<json::object> QueryAudit(const store::Ledger& ledger, const AuditQuery& q) {
  if (q.limit == 0 || q.limit > kAuditLimitMax) {
    return BadField("limit", "expected a number from 1 to " + std::to_string(kAuditLimitMax) +
                                 ", got " + std::to_string(q.limit));
  }
  if (q.evidence_max > kEvidenceShownMax) {
    return BadField("evidence", "expected a number from 0 to " +
                                    std::to_string(kEvidenceShownMax) + ", got " +
                                    std::to_string(q.evidence_max));
  }
  // Dates are the office's local dates: its offset as the detection recorded it.
  int offset_minutes = domain::UtcOffsetMinutes(domain::TimeZone::kWIB);
  if (q.office) {
    if (q.office->empty()) return BadField("office", "must not be empty");
    auto cfg = LiveRow<pj::ForensicConfigRow>(ledger, pj::ForensicConfigRowKey(*q.office));
    if (!cfg.ok()) return cfg.status();
    if (!cfg->has_value()) {
      return Status::NotFound("office \"" + *q.office + "\" has no configuration in the ledger");
    }
    offset_minutes = (*cfg)->utc_offset_minutes;
  }
  std::optional<std::int64_t> from_us, to_us;  // [from, to) in microseconds
  for (auto [field, text, out, next_day] :
       {std::tuple{"from", &q.from, &from_us, 0}, std::tuple{"to", &q.to, &to_us, 1}}) {
    if (!*text) continue;
    auto date = domain::ParseDate(**text);
    if (!date.ok()) return BadField(field, date.status().message());
    const std::int64_t day = domain::DaysSinceEpoch(*date) + next_day;
    *out = (day * 1440 - offset_minutes) * std::int64_t{60'000'000};
  }

  // Every flag, ranked. A flag names its offices (phone_flagged.v2); the evidence events are read
  // for the flags shown, and to find the offices of a v1 flag that is shown or filtered by office.
  std::vector<pj::FlagRow> flags;
  Status scanned = ScanRows<pj::FlagRow>(ledger, pj::kFlagPrefix, "", [&](std::string_view, pj::FlagRow f) {
    if (!q.include_cleared && !f.in_force) return true;
    if (from_us || to_us) {
      auto raised = domain::ParseRfc3339(f.raised_at);
      const std::int64_t at = raised.ok() ? raised->micros_since_epoch : 0;
      if ((from_us && at < *from_us) || (to_us && at >= *to_us)) return true;
    }
    flags.push_back(std::move(f));
    return true;
  });
  if (!scanned.ok()) return scanned;
  std::stable_sort(flags.begin(), flags.end(), [](const pj::FlagRow& a, const pj::FlagRow& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.evidence.size() != b.evidence.size()) return a.evidence.size() > b.evidence.size();
    return a.raised_at < b.raised_at;
  });

  json::array shown;
  std::map<std::string, std::uint64_t> by_rule;
  std::uint64_t total = 0;
  for (const auto& f : flags) {
    const bool show = shown.size() < q.limit;
    const bool find_offices = !f.offices && (show || q.office);
    std::set<std::string> offices;
    if (f.offices) offices.insert(f.offices->begin(), f.offices->end());
    if (q.office && !find_offices && !offices.contains(*q.office)) continue;
    const std::size_t reads = find_offices ? f.evidence.size()
                              : show       ? std::min(f.evidence.size(), q.evidence_max)
                                           : 0;
    json::array evidence;
    for (std::size_t i = 0; i < reads; ++i) {
      auto e = ledger.Get(f.evidence[i]);
      if (!e.ok()) return e.status();
      if (find_offices) {
        auto decoded = events::DecodeEvent(e->type, e->payload);
        if (decoded.ok()) {
          if (auto office = events::OfficeOf(*decoded)) offices.emplace(*office);
        }
      }
      if (show && i < q.evidence_max) {
        json::object o = EventJson(*e);
        o.erase("payload");
        o.erase("payload_raw");
        o.erase("cause_id");
        evidence.push_back(std::move(o));
      }
    }
    if (find_offices && q.office && !offices.contains(*q.office)) continue;
    ++total;
    ++by_rule[f.rule];
    if (!show) continue;
    json::object o{{"rank", shown.size() + 1}};
    for (auto& [k, v] : FlagJson(f)) o[k] = v;
    o["persons"] = Strings(f.persons);
    o["phones"] = Strings(f.phones);
    o["offices"] = Strings(std::vector<std::string>(offices.begin(), offices.end()));
    o["evidence_count"] = f.evidence.size();
    o["evidence_events"] = std::move(evidence);
    shown.push_back(std::move(o));
  }
  json::object out;
  out["office"] = q.office ? json::value(*q.office) : json::value(nullptr);
  out["from"] = q.from ? json::value(*q.from) : json::value(nullptr);
  out["to"] = q.to ? json::value(*q.to) : json::value(nullptr);
  out["include_cleared"] = q.include_cleared;
  out["total"] = total;
  json::object rules;
  for (const auto& [rule, n] : by_rule) rules[rule] = n;
  out["by_rule"] = std::move(rules);
  out["flags"] = std::move(shown);
  return out;
}

Result<json::object> QueryHead(const store::Ledger& ledger) {
  const store::Head head = ledger.GetHead();
  json::object o = HeadJson(head);
  o["recorded_at"] = nullptr;
  if (head.seq != 0) {
    auto event = ledger.Get(head.seq);
    if (!event.ok()) return event.status();
    o["recorded_at"] = Utc(event->recorded_at_us);
  }
  return o;
}

}  // namespace antrean::app
