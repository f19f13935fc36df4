#include "projections/decision_state.h"

#include <boost/json.hpp>
#include <charconv>
#include <type_traits>

#include "common/json_text.h"

namespace antrean::projections {
namespace json = boost::json;

std::string PhoneRowKey(std::string_view phone) { return "ph/" + std::string(phone); }
std::string PersonRowKey(std::string_view person_ref) { return "pe/" + std::string(person_ref); }
std::string DayRowKey(std::string_view office, std::string_view date) {
  return "dy/" + std::string(office) + "|" + std::string(date);
}
std::string BookingRowKey(std::string_view code) { return "bk/" + std::string(code); }
std::string ConfigRowKey(std::string_view office) { return "cf/" + std::string(office); }
std::string ApplicationRowKey(std::string_view number) { return "ap/" + std::string(number); }
std::string DeadlineRowKey(std::int64_t arrive_by_us, std::string_view code) {
  // Fixed-width hex keeps the keys in time order, so the sweep is one range scan. Written by
  // hand: snprintf was most of the cost of a booking's deadline row in replay.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(kDeadlinePrefix.size() + 17 + code.size());
  key.append(kDeadlinePrefix);
  const auto v = static_cast<std::uint64_t>(arrive_by_us);
  for (int shift = 60; shift >= 0; shift -= 4) key.push_back(kHex[(v >> shift) & 0xF]);
  key.push_back('|');
  key.append(code);
  return key;
}
std::string BlacklistRowKey(std::string_view phone) {
  return std::string(kBlacklistPrefix) + std::string(phone);
}
std::string FlagRowKey(std::string_view flag_id) {
  return std::string(kFlagPrefix) + std::string(flag_id);
}
std::string OutboxRowKey(std::string_view reply_id) {
  return std::string(kOutboxPrefix) + std::string(reply_id);
}
std::string ProviderMessageRowKey(std::string_view id) { return "pm/" + std::string(id); }
std::string ForensicConfigRowKey(std::string_view office) { return "fx/c/" + std::string(office); }
std::string ForensicOfficeRowKey(std::string_view office) { return "fx/o/" + std::string(office); }
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}
std::string BlockRowKey(std::string_view office, std::string_view date, std::string_view block) {
  return "fx/k/" + std::string(office) + "|" + std::string(date) + "|" + std::string(block);
}

namespace {

// Marks a sparse field: stored only when it is not its type's default, read as the default when
// absent. The detection's phone and person rows (and their ring nodes) are written for nearly
// every registration and mostly hold zeros and empty lists; written whole, a phone row averaged
// 245 bytes against 90 now (a person row 212 against 179), bytes the WAL, the memtables, every
// flush and every compaction carry. Other rows keep every field, so that a field missing from
// them is reported as damage.
struct OmitDefault {};
constexpr OmitDefault kOmitDefault;

// Each row's fields, listed once, in the order they are stored; Writer and Reader walk the same
// list, so that encoding and decoding cannot disagree (as in events/codec.cc).
template <class V>
void Visit(V& v, ForensicPhoneRow& r);
template <class V>
void Visit(V& v, ForensicPersonRow& r);
// A phone's and a person's row: the state's fields, then the detection's (sparse), in one object.
template <class V>
void Visit(V& v, PhoneRow& r) {
  v("owner", r.owner);
  v("blacklisted", r.blacklisted);
  Visit(v, r.forensics);
}
template <class V>
void Visit(V& v, PersonRow& r) {
  v("active_code", r.active_code);
  Visit(v, r.forensics);
}
template <class V>
void Visit(V& v, SessionCounts& c) {
  v("issued", c.issued);
  v("arrived", c.arrived);
  v("forfeited", c.forfeited);
  v("expired", c.expired);
  v("completed", c.completed);
  v("returned", c.returned);
}
template <class V>
void Visit(V& v, DayRow& r) {
  v("issued", r.issued);
  v("sessions", r.sessions);
}
template <class V>
void Visit(V& v, BookingRow& r) {
  v("code", r.code);
  v("office", r.office);
  v("date", r.date);
  v("session", r.session);
  v("queue_number", r.queue_number);
  v("phone", r.phone);
  v("person", r.person);
  v("name", r.name);
  v("birth_date", r.birth_date);
  v("relation", r.relation);
  v("status", r.status);
  v("arrive_by", r.arrive_by);
  v("arrive_by_us", r.arrive_by_us);
  v("message_id", r.message_id);
}
template <class V>
void Visit(V& v, ConfigRow& r) {
  v("digest", r.digest);
  v("capacity", r.capacity);
  v("daily_quota", r.daily_quota);
}
template <class V>
void Visit(V& v, ApplicationRow& r) {
  v("office", r.office);
  v("stage", r.stage);
}
template <class V>
void Visit(V& v, BlacklistRow& r) {
  v("in_force", r.in_force);
  v("reason", r.reason);
  v("evidence", r.evidence);
  v("automatic", r.automatic);
  v("rule", r.rule);
  v("decided_by", r.decided_by);
  v("decided_at", r.decided_at);
  v("lifted_by", r.lifted_by);
  v("lifted_reason", r.lifted_reason);
}
template <class V>
void Visit(V& v, FlagRow& r) {
  v("flag_id", r.flag_id);
  v("phone", r.phone);
  v("rule", r.rule);
  v("score", r.score);
  v("evidence", r.evidence);
  v("persons", r.persons);
  v("phones", r.phones);
  v("detail", r.detail);
  v("raised_at", r.raised_at);
  v("in_force", r.in_force);
  v("cleared_by", r.cleared_by);
  v("cleared_reason", r.cleared_reason);
  v("offices", r.offices);
}
template <class V>
void Visit(V& v, OutboxRow& r) {
  v("office", r.office);
  v("to", r.to);
  v("text", r.text);
  v("in_reply_to", r.in_reply_to);
  v("attempts", r.attempts);
  v("queued_us", r.queued_us);
  v("due_us", r.due_us);
}

template <class V>
void Visit(V& v, Sighting& r) {
  v("who", r.who);
  v("at_us", r.at_us);
  v("seq", r.seq);
}
template <class V>
void Visit(V& v, RingNode& r) {
  v("parent", r.parent, kOmitDefault);
  v("phones", r.phones, kOmitDefault);
  v("persons", r.persons, kOmitDefault);
  v("members", r.members, kOmitDefault);
  v("seqs", r.seqs, kOmitDefault);
  v("flagged", r.flagged, kOmitDefault);
}
template <class V>
void Visit(V& v, ForensicConfigRow& r) {
  v("utc_offset_minutes", r.utc_offset_minutes);
  v("rush_opens_minute", r.rush_opens_minute);
  v("window_days", r.window_days);
  v("other_adults_per_phone", r.other_adults_per_phone);
  v("phones_per_person", r.phones_per_person);
  v("unused_bookings_min", r.unused_bookings_min);
  v("unused_rate_min_percent", r.unused_rate_min_percent);
  v("unused_rate_norm_factor", r.unused_rate_norm_factor);
  v("identity_mismatches", r.identity_mismatches);
  v("rush_minutes", r.rush_minutes);
  v("burst_per_phone", r.burst_per_phone);
  v("burst_per_block", r.burst_per_block);
  v("block_digits", r.block_digits);
  v("ring_phones_min", r.ring_phones_min);
  v("ring_persons_min", r.ring_persons_min);
  v("auto_blacklist_rules", r.auto_blacklist_rules);
  v("auto_blacklist_no_shows", r.auto_blacklist_no_shows);
}
template <class V>
void Visit(V& v, ForensicOfficeRow& r) {
  v("issued", r.issued);
  v("unused", r.unused);
}
template <class V>
void Visit(V& v, ForensicPhoneRow& r) {
  v("other_adults", r.other_adults, kOmitDefault);
  v("issued", r.issued, kOmitDefault);
  v("unused", r.unused, kOmitDefault);
  v("unused_seqs", r.unused_seqs, kOmitDefault);
  v("mismatches", r.mismatches, kOmitDefault);
  v("mismatch_seqs", r.mismatch_seqs, kOmitDefault);
  v("rush_day", r.rush_day, kOmitDefault);
  v("rush_seqs", r.rush_seqs, kOmitDefault);
  v("node", r.node, kOmitDefault);
}
template <class V>
void Visit(V& v, ForensicPersonRow& r) {
  v("phones", r.phones, kOmitDefault);
  v("node", r.node, kOmitDefault);
}
template <class V>
void Visit(V& v, BlockRow& r) {
  v("phones", r.phones);
}

// Nested rows (a session's counts, a sighting, a ring node) are objects with their own Visit.
template <class T>
concept Nested = std::is_same_v<T, SessionCounts> || std::is_same_v<T, Sighting> ||
                 std::is_same_v<T, RingNode>;

// Writes the row's JSON text directly (common/json_text.h), members in visiting order. The bytes
// are exactly what boost::json::serialize gives for the same object, so rows written before this
// writer existed compare equal to rows written now; tests/projections check it against Boost.JSON
// for every row type.
class Writer : public json_text::ObjectWriter {
 public:
  using ObjectWriter::ObjectWriter;
  template <class T>
  void operator()(std::string_view name, const T& value) {
    Key(name);
    Put(value);
  }
  // An optional field is stored only when it has a value.
  template <class T>
  void operator()(std::string_view name, const std::optional<T>& value) {
    if (!value) return;
    Key(name);
    Put(*value);
  }
  // A sparse field is stored only when it is not its type's default.
  template <class T>
  void operator()(std::string_view name, const T& value, OmitDefault) {
    if (value == T{}) return;
    (*this)(name, value);
  }

 private:
  void Put(std::string_view v) { json_text::AppendString(out_, v); }
  void Put(bool v) { json_text::AppendBool(out_, v); }
  template <class Int>
  requires std::is_integral_v<Int>
  void Put(Int v) { json_text::AppendInteger(out_, v); }
  template <class T>
  void Put(const std::vector<T>& v) {
    out_.push_back('[');
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out_.push_back(',');
      Put(v[i]);
    }
    out_.push_back(']');
  }
  template <class T>
  void Put(const std::map<std::string, T>& m) {
    Writer w(out_);
    for (const auto& [k, v] : m) w(k, v);
    w.Close();
  }
  template <Nested T>
  void Put(const T& c) {
    Writer w(out_);
    Visit(w, const_cast<T&>(c));  // Writer only reads
    w.Close();
  }
};

template <class Row>
std::string EncodeRow(const Row& row) {
  std::string out;
  out.reserve(256);
  Writer w(out);
  Visit(w, const_cast<Row&>(row));  // Writer only reads
  w.Close();
  return out;
}

// Reads the row's fields back, remembering the first problem: rows are our own bytes, but a
// damaged state must be reported, not crash the service.
class Reader {
 public:
  explicit Reader(const json::object& obj) : obj_(obj) {}
  template <class T>
  void operator()(const char* name, T& out) {
    Field(name, out, true);
  }
  // An optional field may be absent: nullopt.
  template <class T>
  void operator()(const char* name, std::optional<T>& out) {
    out.reset();
    T value{};
    if (Field(name, value, false)) out = std::move(value);
  }
  // A sparse field may be absent: its type's default.
  template <class T>
  void operator()(const char* name, T& out, OmitDefault) {
    if (!Field(name, out, false) && error_.empty()) out = T{};
  }
  const std::string& error() const { return error_; }

 private:
  static bool Read(const json::value& v, std::string& out) {
    if (!v.is_string()) return false;
    out = std::string(v.as_string());
    return true;
  }
  static bool Read(const json::value& v, bool& out) {
    if (!v.is_bool()) return false;
    out = v.as_bool();
    return true;
  }
  template <class Int>
  static bool ReadInt(const json::value& v, Int& out) {
    if (v.is_uint64()) out = static_cast<Int>(v.as_uint64());
    else if (v.is_int64()) out = static_cast<Int>(v.as_int64());
    else return false;
    return true;
  }
  static bool Read(const json::value& v, std::uint32_t& out) { return ReadInt(v, out); }
  static bool Read(const json::value& v, std::uint64_t& out) { return ReadInt(v, out); }
  static bool Read(const json::value& v, std::int64_t& out) { return ReadInt(v, out); }
  template <class T>
  static bool Read(const json::value& v, std::vector<T>& out) {
    if (!v.is_array()) return false;
    for (const auto& e : v.as_array()) {
      T x{};
      if (!Read(e, x)) return false;
      out.push_back(std::move(x));
    }
    return true;
  }
  template <class T>
  static bool Read(const json::value& v, std::map<std::string, T>& out) {
    if (!v.is_object()) return false;
    for (const auto& kv : v.as_object()) {
      if (!Read(kv.value(), out[std::string(kv.key())])) return false;
    }
    return true;
  }
  static bool Read(const json::value& v, std::int32_t& out) { return ReadInt(v, out); }
  template <Nested T>
  static bool Read(const json::value& v, T& out) {
    if (!v.is_object()) return false;
    Reader r(v.as_object());
    Visit(r, out);
    return r.error().empty();
  }
  // Reads the field, looked up once; false when it is absent (damage if `required`) or wrong.
  template <class T>
  bool Field(const char* name, T& out, bool required) {
    if (!error_.empty()) return false;
    const json::value* v = obj_.if_contains(name);
    if (v == nullptr) {
      if (required) error_ = std::string("missing field \"") + name + "\"";
      return false;
    }
    if (!Read(*v, out)) {
      error_ = std::string("field \"") + name + "\" has the wrong type";
      return false;
    }
    return true;
  }

  const json::object& obj_;
  std::string error_;
};

template <class Row>
Status DecodeRow(std::string_view bytes, Row* row) {
  // The parsed tree lives only while the row is read: a buffer on the stack holds all of a
  // usual row, so parsing allocates nothing (a larger row takes more from the heap).
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec, &arena);
  if (ec || !v.is_object()) return Status::Corruption("not a JSON object");
  Reader r(v.as_object());
  Visit(r, *row);
  return r.error().empty() ? Status::Ok() : Status::Corruption(r.error());
}

}  // namespace

std::string Encode(const PhoneRow& row) { return EncodeRow(row); }
std::string Encode(const PersonRow& row) { return EncodeRow(row); }
std::string Encode(const DayRow& row) { return EncodeRow(row); }
std::string Encode(const BookingRow& row) { return EncodeRow(row); }
std::string Encode(const ConfigRow& row) { return EncodeRow(row); }
std::string Encode(const ApplicationRow& row) { return EncodeRow(row); }
std::string Encode(const BlacklistRow& row) { return EncodeRow(row); }
std::string Encode(const FlagRow& row) { return EncodeRow(row); }
std::string Encode(const OutboxRow& row) { return EncodeRow(row); }
std::string Encode(const ForensicConfigRow& row) { return EncodeRow(row); }
std::string Encode(const ForensicOfficeRow& row) { return EncodeRow(row); }
std::string Encode(const ForensicPhoneRow& row) { return EncodeRow(row); }
std::string Encode(const ForensicPersonRow& row) { return EncodeRow(row); }
std::string Encode(const BlockRow& row) { return EncodeRow(row); }

Status Decode(std::string_view bytes, PhoneRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, PersonRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, DayRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, BookingRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, ConfigRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, ApplicationRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, BlacklistRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, FlagRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, OutboxRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, ForensicConfigRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, ForensicOfficeRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, ForensicPhoneRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, ForensicPersonRow* row) { return DecodeRow(bytes, row); }
Status Decode(std::string_view bytes, BlockRow* row) { return DecodeRow(bytes, row); }

std::optional<std::string> HeldBytes(const HeldRow& row) {
  return std::visit(
      [](const auto& r) -> std::optional<std::string> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ErasedRow>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, std::string>) {
          return r;
        } else {
          return Encode(r);
        }
      },
      row);
}

Result<HeldRow> StateReader::ReadHeld(std::string_view key) {
  auto bytes = Read(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return HeldRow(ErasedRow{});
  return HeldRow(std::move(**bytes));
}

void StateRows::Hold(std::string key, HeldRow row) {
  if (std::optional<std::string> bytes = HeldBytes(row)) {
    Write(std::move(key), std::move(*bytes));
  } else {
    Erase(std::move(key));
  }
}

}  // namespace antrean::projections
