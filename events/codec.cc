// Event payloads as canonical JSON (codec.h has the contract).
//
// Each struct's fields are listed once, in a `Fields(visitor, event)` function below. Three
// visitors walk that list: NameCollector (which member names the type has), Encoder (writes the
// members in list order) and Decoder (reads and checks each member). A field's optional third
// argument is its Check: the form a string must have or the largest value an integer may hold.

#include "events/codec.h"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/json_text.h"
#include "common/sha256.h"
#include "common/utf8.h"
#include "events/keys.h"
#include "events/upcast.h"

namespace antrean::events {
namespace {

namespace json = boost::json;

// ---- Forms of values ----------------------------------------------------------------------------

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) { return std::all_of(s.begin(), s.end(), IsDigit); }

// The value of s[pos, pos+n) as a decimal number, or -1 if those are not all digits.
int Number(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return (month == 2 && leap) ? 29 : kDays[month - 1];
}

// "YYYY-MM-DD" at the start of s (exactly 10 bytes), a real calendar date from year 0001.
bool IsDatePrefix(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  const int y = Number(s, 0, 4), m = Number(s, 5, 2), d = Number(s, 8, 2);
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

bool IsDate(std::string_view s) { return s.size() == 10 && IsDatePrefix(s); }

// "HH:MM" at s[pos].
bool IsTimeAt(std::string_view s, std::size_t pos) {
  if (pos + 5 > s.size() || s[pos + 2] != ':') return false;
  const int h = Number(s, pos, 2), m = Number(s, pos + 3, 2);
  return h >= 0 && h <= 23 && m >= 0 && m <= 59;
}

bool IsLocalTime(std::string_view s) { return s.size() == 5 && IsTimeAt(s, 0); }

// RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1 to 9 digits, then "Z" or
// "+HH:MM" / "-HH:MM". Upper-case T and Z only, so that one instant has few spellings.
bool IsInstant(std::string_view s) {
  if (s.size() < 20 || !IsDatePrefix(s) || s[10] != 'T' || !IsTimeAt(s, 11) || s[16] != ':') {
    return false;
  }
  const int sec = Number(s, 17, 2);
  if (sec < 0 || sec > 60) return false;  // 60: a leap second
  std::size_t pos = 19;
  if (s[pos] == '.') {
    std::size_t digits = 0;
    while (pos + 1 + digits < s.size() && IsDigit(s[pos + 1 + digits])) ++digits;
    if (digits < 1 || digits > 9) return false;
    pos += 1 + digits;
  }
  const std::string_view zone = s.substr(pos);
  if (zone == "Z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && IsTimeAt(zone, 1);
}


bool IsApplicationNumber(std::string_view s) { return s.size() == 16 && AllDigits(s); }

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(),
                                       [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

bool IsNonEmpty(std::string_view s) { return !s.empty(); }

// "NAME|YYYY-MM-DD", as events::PersonRef writes it.
bool IsPersonRef(std::string_view s) {
  const std::size_t bar = s.rfind('|');
  return bar != std::string_view::npos && bar > 0 && IsDate(s.substr(bar + 1));
}

// What a field's value must be, beyond its JSON kind.
struct Check {
  std::string_view what;                   // "a date YYYY-MM-DD", for the error message
  bool (*ok)(std::string_view) = nullptr;  // for strings; nullptr: any string
  std::uint64_t max = std::numeric_limits<std::uint64_t>::max();  // for integers
};

constexpr Check kAny{};
constexpr Check kNonEmpty{"a non-empty string", IsNonEmpty};
constexpr Check kDate{"a date YYYY-MM-DD", IsDate};
constexpr Check kTime{"a local time HH:MM", IsLocalTime};
constexpr Check kInstant{"an RFC 3339 instant with offset, like 2026-03-02T07:31:05+07:00",
                         IsInstant};
constexpr Check kPhone{"a phone number: 7 to 15 digits with country code, no leading 0", IsPhone};
constexpr Check kApplicationNumber{"an application number of 16 digits", IsApplicationNumber};
constexpr Check kSha256Hex{"64 lower-case hex digits", IsSha256Hex};
constexpr Check kPersonRef{"a person NAME|YYYY-MM-DD", IsPersonRef};
constexpr Check kRegistrationReason{"a registration rejection reason code",
                                    InList<kRegistrationRejectionReasons>};
constexpr Check kArrivalReason{"an arrival rejection reason code",
                               InList<kArrivalRejectionReasons>};
constexpr Check kRelation{"a relation (owner, toddler, elderly)", InList<kRelations>};
constexpr Check kDeliveryStatus{"a delivery status (sent, delivered, read, failed)",
                                InList<kDeliveryStatuses>};
constexpr Check kChannel{"a channel (whatsapp, import)", InList<kChannels>};
constexpr Check kForfeitReason{"a forfeit reason (late)", InList<kForfeitReasons>};
constexpr Check kScore{"", nullptr, 1000};

// ---- The field lists: the one place each struct's members are named ---------------------------

template <class V>
void Fields(V& v, Media& e) {
  v("kind", e.kind, kNonEmpty);
  v("id", e.id, kNonEmpty);
  v("mime_type", e.mime_type);
  v("sha256", e.sha256);
}

template <class V>
void Fields(V& v, MessageReceived& e) {
  v("message_id", e.message_id, kNonEmpty);
  v("office", e.office);  // empty when no office owns the receiving number
  v("from", e.from, kPhone);
  v("to", e.to);
  v("profile_name", e.profile_name);
  v("kind", e.kind, kNonEmpty);
  v("text", e.text);
  v("media", e.media);
  v("received_at", e.received_at, kInstant);
  v("channel", e.channel, kChannel);
}

template <class V>
void Fields(V& v, RegistrationRejected& e) {
  v("message_id", e.message_id, kNonEmpty);
  v("office", e.office);  // empty for unknown_office
  v("phone", e.phone, kPhone);
  v("reason", e.reason, kRegistrationReason);
  v("detail", e.detail);
  v("name", e.name);
  v("birth_date", e.birth_date, kDate);
  v("arrival_date", e.arrival_date, kDate);
  v("next_available_date", e.next_available_date, kDate);
}

template <class V>
void Fields(V& v, BookingCodeIssued& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
  v("session", e.session, kTime);
  v("arrive_by", e.arrive_by, kInstant);
  v("queue_number", e.queue_number);
  v("name", e.name, kNonEmpty);
  v("birth_date", e.birth_date, kDate);
  v("phone", e.phone, kPhone);
  v("relation", e.relation, kRelation);
  v("message_id", e.message_id, kNonEmpty);
}

template <class V>
void Fields(V& v, ReplyQueued& e) {
  v("reply_id", e.reply_id, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("to", e.to, kPhone);
  v("text", e.text);
  v("in_reply_to", e.in_reply_to);
}

template <class V>
void Fields(V& v, ReplySent& e) {
  v("reply_id", e.reply_id, kNonEmpty);
  v("provider_message_id", e.provider_message_id, kNonEmpty);
  v("attempt", e.attempt);
}

template <class V>
void Fields(V& v, ReplyFailed& e) {
  v("reply_id", e.reply_id, kNonEmpty);
  v("attempt", e.attempt);
  v("error", e.error);
  v("final", e.final);
  v("retry_at", e.retry_at, kInstant);
}

template <class V>
void Fields(V& v, ReplyDeliveryStatus& e) {
  v("reply_id", e.reply_id, kNonEmpty);
  v("provider_message_id", e.provider_message_id, kNonEmpty);
  v("status", e.status, kDeliveryStatus);
  v("status_at", e.status_at, kInstant);
  v("recipient", e.recipient, kPhone);
  v("error_code", e.error_code);
  v("error_title", e.error_title);
}

template <class V>
void Fields(V& v, ApplicantArrived& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
  v("session", e.session, kTime);
  v("arrived_at", e.arrived_at, kInstant);
  v("arrive_by", e.arrive_by, kInstant);
  v("queue_number", e.queue_number);
}

template <class V>
void Fields(V& v, ArrivalRejected& e) {
  v("code", e.code);  // as typed, possibly empty
  v("office", e.office, kNonEmpty);
  v("reason", e.reason, kArrivalReason);
  v("attempted_at", e.attempted_at, kInstant);
  v("booking_office", e.booking_office, kNonEmpty);
  v("booking_date", e.booking_date, kDate);
}

template <class V>
void Fields(V& v, IdentityChecked& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
  v("person_matches", e.person_matches);
  v("phone_matches", e.phone_matches);
  v("note", e.note);
}

template <class V>
void Fields(V& v, BookingForfeited& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
  v("reason", e.reason, kForfeitReason);
  v("arrived_at", e.arrived_at, kInstant);
  v("arrive_by", e.arrive_by, kInstant);
  v("phone", e.phone, kPhone);
}

template <class V>
void Fields(V& v, BookingExpired& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
  v("arrive_by", e.arrive_by, kInstant);
  v("expired_at", e.expired_at, kInstant);
  v("phone", e.phone, kPhone);
}

template <class V>
void Fields(V& v, DocumentsSubmitted& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
}

template <class V>
void Fields(V& v, DocumentsReturned& e) {
  v("code", e.code, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("date", e.date, kDate);
  v("reason", e.reason, kNonEmpty);
}

template <class V>
void Fields(V& v, BookingCodeResent& e) {
  v("message_id", e.message_id, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("phone", e.phone, kPhone);
  v("code", e.code, kNonEmpty);
  v("date", e.date, kDate);
  v("session", e.session, kTime);
  v("arrive_by", e.arrive_by, kInstant);
  v("queue_number", e.queue_number);
}

template <class V>
void Fields(V& v, InformationRequested& e) {
  v("message_id", e.message_id, kNonEmpty);
  v("office", e.office, kNonEmpty);
  v("phone", e.phone, kPhone);
  v("command", e.command, kNonEmpty);
  v("argument", e.argument);
}

template <class V>
void Fields(V& v, ApplicationProgressRecorded& e) {
  v("application_number", e.application_number, kApplicationNumber);
  v("office", e.office, kNonEmpty);
  v("stage", e.stage, kNonEmpty);
  v("note", e.note);
}

template <class V>
void Fields(V& v, PhoneFlagged& e) {
  v("flag_id", e.flag_id, kNonEmpty);
  v("phone", e.phone, kPhone);
  v("rule", e.rule, kNonEmpty);
  v("score", e.score, kScore);
  v("evidence", e.evidence);
  v("persons", e.persons, kPersonRef);
  v("phones", e.phones, kPhone);
  v("detail", e.detail);
  v("offices", e.offices, kNonEmpty);
}

template <class V>
void Fields(V& v, FlagCleared& e) {
  v("flag_id", e.flag_id, kNonEmpty);
  v("phone", e.phone, kPhone);
  v("reason", e.reason);
}

template <class V>
void Fields(V& v, PhoneBlacklisted& e) {
  v("phone", e.phone, kPhone);
  v("reason", e.reason);
  v("evidence", e.evidence);
  v("automatic", e.automatic);
  v("rule", e.rule, kNonEmpty);
}

template <class V>
void Fields(V& v, PhoneUnblacklisted& e) {
  v("phone", e.phone, kPhone);
  v("reason", e.reason);
}

template <class V>
void Fields(V& v, OfficeConfigurationApplied& e) {
  v("office", e.office, kNonEmpty);
  v("config", e.config);
  v("config_digest", e.config_digest, kSha256Hex);
}

// ---- Canonical configuration --------------------------------------------------------------------

json::value Canonical(const json::value& v);

json::object CanonicalObject(const json::object& o) {
  std::vector<const json::key_value_pair*> members;
  members.reserve(o.size());
  for (const auto& kv : o) members.push_back(&kv);
  std::sort(members.begin(), members.end(),
            [](const auto* a, const auto* b) { return a->key() < b->key(); });
  json::object out;
  out.reserve(members.size());
  for (const auto* kv : members) out.emplace(kv->key(), Canonical(kv->value()));
  return out;
}

json::value Canonical(const json::value& v) {
  if (v.is_object()) return CanonicalObject(v.get_object());
  if (v.is_array()) {
    json::array out;
    out.reserve(v.get_array().size());
    for (const auto& item : v.get_array()) out.push_back(Canonical(item));
    return out;
  }
  return v;
}

// ---- Encoding -----------------------------------------------------------------------------------

class Encoder {
 public:
  explicit Encoder(json::object& out) : out_(out) {}

  template <class T>
  void operator()(std::string_view name, const T& field, const Check& = kAny) {
    Put(name, field);
  }

 private:
  void Put(std::string_view name, const std::string& s) { out_.emplace(name, s); }
  void Put(std::string_view name, std::uint32_t n) {
    out_.emplace(name, static_cast<std::uint64_t>(n));
  }
  void Put(std::string_view name, bool b) { out_.emplace(name, b); }
  template <class T>
  void Put(std::string_view name, const std::optional<T>& o) {
    if (o) Put(name, *o);
  }
  void Put(std::string_view name, const std::vector<std::uint64_t>& items) {
    json::array a;
    a.reserve(items.size());
    for (std::uint64_t n : items) a.emplace_back(n);
    out_.emplace(name, std::move(a));
  }
  void Put(std::string_view name, const std::vector<std::string>& items) {
    json::array a;
    a.reserve(items.size());
    for (const auto& s : items) a.emplace_back(s);
    out_.emplace(name, std::move(a));
  }
  void Put(std::string_view name, const Media& m) {
    json::object inner;
    Encoder nested(inner);
    Fields(nested, const_cast<Media&>(m));  // Encoder only reads
    out_.emplace(name, std::move(inner));
  }
  void Put(std::string_view name, const json::object& config) {
    out_.emplace(name, CanonicalObject(config));
  }

  json::object& out_;
};

template <class T>
json::object EncodeObject(const T& e) {
  json::object out;
  Encoder encoder(out);
  Fields(encoder, const_cast<T&>(e));  // Encoder only reads
  return out;
}

// The payload's text written directly (common/json_text.h): the same bytes as
// json::serialize(EncodeObject(e)) (tested for every type), without building the object, which
// cost an allocation per member on every event decided. Members in the order Fields lists them,
// as the object keeps them; a configuration is canonicalised and serialised by Boost.JSON.
class TextEncoder : public json_text::ObjectWriter {
 public:
  using ObjectWriter::ObjectWriter;

  template <class T>
  void operator()(std::string_view name, const T& field, const Check& = kAny) {
    Put(name, field);
  }

 private:
  void Put(std::string_view name, const std::string& s) {
    Key(name);
    json_text::AppendString(out_, s);
  }
  void Put(std::string_view name, std::uint32_t n) {
    Key(name);
    json_text::AppendInteger(out_, n);
  }
  void Put(std::string_view name, bool b) {
    Key(name);
    json_text::AppendBool(out_, b);
  }
  template <class T>
  void Put(std::string_view name, const std::optional<T>& o) {
    if (o) Put(name, *o);
  }
  // An array of numbers (evidence) or of strings (persons, phones, offices).
  template <class T>
  void Put(std::string_view name, const std::vector<T>& items) {
    Key(name);
    out_.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_.push_back(',');
      if constexpr (std::is_same_v<T, std::string>) {
        json_text::AppendString(out_, items[i]);
      } else {
        json_text::AppendInteger(out_, items[i]);
      }
    }
    out_.push_back(']');
  }
  void Put(std::string_view name, const Media& m) {
    Key(name);
    TextEncoder nested(out_);
    Fields(nested, const_cast<Media&>(m));  // TextEncoder only reads
    nested.Close();
  }
  void Put(std::string_view name, const json::object& config) {
    Key(name);
    out_ += json::serialize(CanonicalObject(config));
  }
};

// ---- Decoding -----------------------------------------------------------------------------------

// Text from the input, made safe and short for an error message.
std::string Quote(std::string_view s) {
  constexpr std::size_t kShownBytesMax = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kShownBytesMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out.push_back((c < 0x20 || c == 0x7F || c == '"' || c == '\\') ? '?' : s[i]);
  }
  if (s.size() > kShownBytesMax) out += "...";
  out += "\"";
  return out;
}

std::string_view KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
      return v.get_int64() < 0 ? "negative integer" : "integer";
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

class NameCollector {
 public:
  template <class T>
  void operator()(std::string_view name, T&, const Check& = kAny) {
    names.push_back(name);
  }
  std::vector<std::string_view> names;
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
bool DecodeObject(const json::object& in, const std::string& prefix, T& out, std::string* error);

// A field's failure in the words the Decoder and Validate's Checker both report it,
// `field "path": what`; the first is kept in *error. Also the two checks of a value that both
// make: a string's Check, and a number's maximum.
class FieldReporter {
 protected:
  FieldReporter(std::string prefix, std::string* error)
      : prefix_(std::move(prefix)), error_(error) {}

  std::string Path(std::string_view name) const { return prefix_ + std::string(name); }
  bool Fail(std::string_view name, const std::string& what) {
    *error_ = "field \"" + Path(name) + "\": " + what;
    return false;
  }
  bool TestText(std::string_view name, const std::string& s, const Check& check) {
    if (check.ok == nullptr || check.ok(s)) return true;
    return Fail(name, "expected " + std::string(check.what) + ", got " + Quote(s));
  }
  bool TestMax(std::string_view name, std::uint64_t n, std::uint64_t max) {
    if (n <= max) return true;
    return Fail(name, "value " + std::to_string(n) + " is over the maximum " + std::to_string(max));
  }
  // "evidence[3]": the name an array item is reported under. Held in item_name_ because the
  // reporting functions take views.
  std::string_view ItemName(std::string_view name, std::size_t i) {
    item_name_ = std::string(name) + "[" + std::to_string(i) + "]";
    return item_name_;
  }

  const std::string prefix_;  // a copy: a nested object's is built for the call
  std::string* error_;

 private:
  std::string item_name_;
};

// Reads each listed member of one JSON object; stops at the first error, which it writes to
// *error as `field "path": ...` or `missing required field "path"`.
class Decoder : FieldReporter {
 public:
  Decoder(const json::object& in, const std::string& prefix, std::string* error)
      : FieldReporter(prefix, error), in_(in) {}

  template <class T>
  void operator()(std::string_view name, T& field, const Check& check = kAny) {
    if (!error_->empty()) return;
    const json::value* v = in_.if_contains(name);
    if constexpr (IsOptional<T>::value) {
      field.reset();
      if (v == nullptr) return;
      typename T::value_type inner{};
      if (Read(name, *v, inner, check)) field = std::move(inner);
    } else {
      if (v == nullptr) {
        *error_ = "missing required field \"" + Path(name) + "\"";
        return;
      }
      Read(name, *v, field, check);
    }
  }

 private:
  bool WrongKind(std::string_view name, std::string_view expected, const json::value& v) {
    return Fail(name, "expected " + std::string(expected) + ", got " + std::string(KindName(v)));
  }

  bool Read(std::string_view name, const json::value& v, std::string& out, const Check& check) {
    if (!v.is_string()) return WrongKind(name, "a string", v);
    const json::string& s = v.get_string();
    out.assign(s.data(), s.size());
    return TestText(name, out, check);
  }

  bool ReadUnsigned(std::string_view name, const json::value& v, std::uint64_t max,
                    std::uint64_t* out) {
    if (v.is_uint64()) {
      *out = v.get_uint64();
    } else if (v.is_int64() && v.get_int64() >= 0) {
      *out = static_cast<std::uint64_t>(v.get_int64());
    } else {
      return WrongKind(name, "an unsigned integer", v);
    }
    return TestMax(name, *out, max);
  }

  bool Read(std::string_view name, const json::value& v, std::uint32_t& out, const Check& check) {
    std::uint64_t n = 0;
    const std::uint64_t max =
        std::min<std::uint64_t>(check.max, std::numeric_limits<std::uint32_t>::max());
    if (!ReadUnsigned(name, v, max, &n)) return false;
    out = static_cast<std::uint32_t>(n);
    return true;
  }

  bool Read(std::string_view name, const json::value& v, bool& out, const Check&) {
    if (!v.is_bool()) return WrongKind(name, "a boolean", v);
    out = v.get_bool();
    return true;
  }

  bool Read(std::string_view name, const json::value& v, std::vector<std::uint64_t>& out,
            const Check& check) {
    if (!v.is_array()) return WrongKind(name, "an array of unsigned integers", v);
    const json::array& a = v.get_array();
    out.clear();
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::uint64_t n = 0;
      if (!ReadUnsigned(ItemName(name, i), a[i], check.max, &n)) return false;
      out.push_back(n);
    }
    return true;
  }

  bool Read(std::string_view name, const json::value& v, std::vector<std::string>& out,
            const Check& check) {
    if (!v.is_array()) return WrongKind(name, "an array of strings", v);
    const json::array& a = v.get_array();
    out.clear();
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string s;
      if (!Read(ItemName(name, i), a[i], s, check)) return false;
      out.push_back(std::move(s));
    }
    return true;
  }

  bool Read(std::string_view name, const json::value& v, Media& out, const Check&) {
    if (!v.is_object()) return WrongKind(name, "an object", v);
    return DecodeObject(v.get_object(), Path(name) + ".", out, error_);
  }

  bool Read(std::string_view name, const json::value& v, json::object& out, const Check&) {
    if (!v.is_object()) return WrongKind(name, "an object", v);
    out = v.get_object();
    return true;
  }

  const json::object& in_;
};

// Checks that holds across fields, after each field is read.
std::string CrossCheck(const OfficeConfigurationApplied& e) {
  if (e.config_digest != ConfigDigest(e.config)) {
    return "field \"config_digest\": is not the SHA-256 of the canonical config (expected " +
           ConfigDigest(e.config) + ")";
  }
  return {};
}
template <class T>
std::string CrossCheck(const T&) {
  return {};
}

// Checks a typed event's fields as the Decoder checks them once read back from its encoding, with
// the same messages, without encoding and parsing: each field's Check, and (what the parser
// would refuse) text that is not UTF-8. Required fields are always encoded, so none is missing;
// the encoder writes no member the decoder does not know.
class Checker : FieldReporter {
 public:
  Checker(std::string prefix, std::string* error) : FieldReporter(std::move(prefix), error) {}

  template <class T>
  void operator()(std::string_view name, const T& field, const Check& check = kAny) {
    if (!error_->empty()) return;
    if constexpr (IsOptional<T>::value) {
      if (field) Test(name, *field, check);
    } else {
      Test(name, field, check);
    }
  }

 private:
  bool Test(std::string_view name, const std::string& s, const Check& check) {
    if (const std::size_t bad = FirstInvalidUtf8(s); bad != std::string_view::npos) {
      return Fail(name, "not valid UTF-8 at byte " + std::to_string(bad));
    }
    return TestText(name, s, check);
  }
  bool Test(std::string_view name, std::uint32_t n, const Check& check) {
    return TestMax(name, n, check.max);
  }
  bool Test(std::string_view, bool, const Check&) { return true; }
  bool Test(std::string_view name, const std::vector<std::uint64_t>& items, const Check& check) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!TestMax(ItemName(name, i), items[i], check.max)) return false;
    }
    return true;
  }
  bool Test(std::string_view name, const std::vector<std::string>& items, const Check& check) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!Test(ItemName(name, i), items[i], check)) return false;
    }
    return true;
  }
  // Never reached: the one event with a configuration tree takes the round trip (Validate).
  bool Test(std::string_view, const json::object&, const Check&) { return true; }
  bool Test(std::string_view name, const Media& m, const Check&) {
    Checker nested(Path(name) + ".", error_);
    Fields(nested, const_cast<Media&>(m));  // Checker only reads
    return error_->empty();
  }
};

// Decodes `in` into `out`: unknown members first (a misspelt name is then reported as such, not as
// the missing field it was meant to be), then each field in order, then cross-field checks.
template <class T>
bool DecodeObject(const json::object& in, const std::string& prefix, T& out, std::string* error) {
  NameCollector collector;
  Fields(collector, out);
  for (const auto& kv : in) {
    const std::string_view key(kv.key().data(), kv.key().size());
    if (std::find(collector.names.begin(), collector.names.end(), key) == collector.names.end()) {
      *error = "unknown field " + Quote(prefix + std::string(key));
      return false;
    }
  }
  Decoder decoder(in, prefix, error);
  Fields(decoder, out);
  if (!error->empty()) return false;
  *error = CrossCheck(out);
  return error->empty();
}

template <class T>
bool DecodeValue(const json::value& in, T& out, std::string* error) {
  if (!in.is_object()) {
    *error = "the payload must be a JSON object, got " + std::string(KindName(in));
    return false;
  }
  return DecodeObject(in.get_object(), std::string(), out, error);
}

// The payload parsed into `storage`, or the error (offset and reason) without the type name.
std::optional<json::value> Parse(std::string_view text, json::storage_ptr storage,
                                 std::string* error) {
  if (text.size() > store::kPayloadBytesMax) {
    *error = "payload of " + std::to_string(text.size()) + " bytes is over the limit of " +
             std::to_string(store::kPayloadBytesMax);
    return std::nullopt;
  }
  json::parse_options options;
  options.max_depth = 32;  // the events nest 2 deep; configurations a little more
  json::stream_parser parser(json::storage_ptr(), options);
  parser.reset(std::move(storage));
  boost::system::error_code ec;
  const std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (ec) {
    *error = "not valid JSON at offset " + std::to_string(consumed) + ": " + ec.message();
    return std::nullopt;
  }
  if (consumed < text.size()) {
    *error = "not valid JSON at offset " + std::to_string(consumed) +
             ": unexpected data after the JSON value";
    return std::nullopt;
  }
  parser.finish(ec);
  if (ec) {
    *error = "not valid JSON at offset " + std::to_string(text.size()) + ": " + ec.message();
    return std::nullopt;
  }
  return parser.release();
}

template <class T>
Result<Event> DecodeAs(const json::value& v) {
  T out{};
  std::string error;
  if (!DecodeValue(v, out, &error)) {
    return Status::InvalidArgument(std::string(T::kType) + ": " + error);
  }
  return Event(std::move(out));
}

using DecodeFn = Result<Event> (*)(const json::value&);

template <std::size_t... I>
constexpr std::array<DecodeFn, sizeof...(I)> MakeDecoders(std::index_sequence<I...>) {
  return {&DecodeAs<std::variant_alternative_t<I, Event>>...};
}

// kDecoders[i] decodes kEventTypeNames[i].
constexpr auto kDecoders = MakeDecoders(std::make_index_sequence<std::variant_size_v<Event>>{});

Result<Event> DecodeCurrent(std::string_view type, std::string_view payload_json) {
  const auto it = std::find(kEventTypeNames.begin(), kEventTypeNames.end(), type);
  if (it == kEventTypeNames.end()) {
    return Status::InvalidArgument("unknown event type " + Quote(type));
  }
  // The parsed tree lives only while the typed event is built from it: a buffer on the stack
  // holds the whole of a usual payload, so parsing allocates nothing (replay decodes millions).
  unsigned char buffer[8192];
  json::monotonic_resource arena(buffer, sizeof buffer);
  std::string error;
  std::optional<json::value> parsed = Parse(payload_json, &arena, &error);
  if (!parsed) return Status::InvalidArgument(std::string(type) + ": " + error);
  return kDecoders[static_cast<std::size_t>(it - kEventTypeNames.begin())](*parsed);
}

}  // namespace

bool IsPhone(std::string_view s) {
  return s.size() >= 7 && s.size() <= 15 && AllDigits(s) && s[0] != '0';
}

std::string CanonicalConfig(const json::object& config) {
  return json::serialize(CanonicalObject(config));
}

std::string ConfigDigest(const json::object& config) {
  return ToHex(Sha256(CanonicalConfig(config)));
}

std::string EncodePayload(const Event& event) {
  return std::visit(
      [](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        std::string out;
        out.reserve(384);  // most payloads fit: a registration's are 200-350 bytes
        TextEncoder encoder(out);
        Fields(encoder, const_cast<T&>(e));  // TextEncoder only reads
        encoder.Close();
        return out;
      },
      event);
}

Result<Event> DecodeEvent(std::string_view type, std::string_view payload_json) {
  // Boost.JSON reports parse errors as values, but allocation can still throw: nothing escapes.
  try {
    if (!IsOldType(type)) return DecodeCurrent(type, payload_json);
    Result<Upcasted> up = Upcast(type, payload_json);
    if (!up.ok()) return up.status();
    Result<Event> decoded = DecodeCurrent(up->type, up->payload);
    if (!decoded.ok()) {
      return Status::InvalidArgument(std::string(type) + " (upcast to " + up->type +
                                     "): " + decoded.status().message());
    }
    return decoded;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(Quote(type) + ": cannot decode: " + e.what());
  }
}

store::NewEvent ToNewEvent(const Event& event) {
  return store::NewEvent{std::string(TypeName(event)), IndexKeys(event), EncodePayload(event)};
}

Status Validate(const Event& event) { return Validate(event, EncodePayload(event)); }

Status Validate(const Event& event, std::string_view payload) {
  // A configuration is a JSON tree of its own, checked by no field Check: it takes the round
  // trip. It is appended once per office and change, not per message.
  const bool round_trip = std::holds_alternative<OfficeConfigurationApplied>(event);
  if (round_trip || payload.size() > store::kPayloadBytesMax) {
    Result<Event> decoded = DecodeEvent(TypeName(event), payload);
    return decoded.ok() ? Status::Ok() : decoded.status();
  }
  return std::visit(
      [](const auto& e) -> Status {
        using T = std::decay_t<decltype(e)>;
        std::string error;
        Checker checker("", &error);
        Fields(checker, const_cast<T&>(e));  // Checker only reads
        if (error.empty()) error = CrossCheck(e);
        if (error.empty()) return Status::Ok();
        return Status::InvalidArgument(std::string(T::kType) + ": " + error);
      },
      event);
}

// ---- Boost.JSON conversions ---------------------------------------------------------------------

template <EventStruct T>
void tag_invoke(const json::value_from_tag&, json::value& jv, const T& e) {
  jv = EncodeObject(e);
}

template <EventStruct T>
T tag_invoke(const json::value_to_tag<T>&, const json::value& jv) {
  T out{};
  std::string error;
  if (!DecodeValue(jv, out, &error)) {
    if constexpr (requires { T::kType; }) {
      throw std::invalid_argument(std::string(T::kType) + ": " + error);
    } else {
      throw std::invalid_argument(error);
    }
  }
  return out;
}

#define ANTREAN_EVENTS_CONVERSIONS(T)                                               \
  template void tag_invoke<T>(const json::value_from_tag&, json::value&, const T&); \
  template T tag_invoke<T>(const json::value_to_tag<T>&, const json::value&);

ANTREAN_EVENTS_CONVERSIONS(Media)
ANTREAN_EVENTS_CONVERSIONS(MessageReceived)
ANTREAN_EVENTS_CONVERSIONS(RegistrationRejected)
ANTREAN_EVENTS_CONVERSIONS(BookingCodeIssued)
ANTREAN_EVENTS_CONVERSIONS(ReplyQueued)
ANTREAN_EVENTS_CONVERSIONS(ReplySent)
ANTREAN_EVENTS_CONVERSIONS(ReplyFailed)
ANTREAN_EVENTS_CONVERSIONS(ReplyDeliveryStatus)
ANTREAN_EVENTS_CONVERSIONS(ApplicantArrived)
ANTREAN_EVENTS_CONVERSIONS(ArrivalRejected)
ANTREAN_EVENTS_CONVERSIONS(IdentityChecked)
ANTREAN_EVENTS_CONVERSIONS(BookingForfeited)
ANTREAN_EVENTS_CONVERSIONS(BookingExpired)
ANTREAN_EVENTS_CONVERSIONS(DocumentsSubmitted)
ANTREAN_EVENTS_CONVERSIONS(DocumentsReturned)
ANTREAN_EVENTS_CONVERSIONS(ApplicationProgressRecorded)
ANTREAN_EVENTS_CONVERSIONS(BookingCodeResent)
ANTREAN_EVENTS_CONVERSIONS(InformationRequested)
ANTREAN_EVENTS_CONVERSIONS(PhoneFlagged)
ANTREAN_EVENTS_CONVERSIONS(FlagCleared)
ANTREAN_EVENTS_CONVERSIONS(PhoneBlacklisted)
ANTREAN_EVENTS_CONVERSIONS(PhoneUnblacklisted)
ANTREAN_EVENTS_CONVERSIONS(OfficeConfigurationApplied)
#undef ANTREAN_EVENTS_CONVERSIONS

// Every alternative of Event, plus Media, is instantiated above.
static_assert(std::variant_size_v<Event> == 22, "a new event type needs its conversions above");

}  // namespace antrean::events
