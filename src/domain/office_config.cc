#include "domain/office_config.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "domain/forensics_thresholds.h"
#include "domain/phone.h"

namespace antrean::domain {
namespace json = boost::json;
namespace {

// Fields an office may set itself or inherit from "defaults".
constexpr std::array<std::string_view, 15> kInheritableKeys = {"time_zone",
                                                               "message_format",
                                                               "format_text",
                                                               "format_example",
                                                               "service_days",
                                                               "holidays",
                                                               "registration_window",
                                                               "requires_ektp_photo",
                                                               "sessions",
                                                               "daily_quota",
                                                               "booking_horizon_days",
                                                               "arrive_early_minutes",
                                                               "replies",
                                                               "requirements",
                                                               "forensics"};
constexpr std::array<std::string_view, 3> kOfficeOwnKeys = {"id", "name", "whatsapp_numbers"};
constexpr std::string_view kCommentKey = "_comment";

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// ---------------------------------------------------------------------------------------------
// Syntax pass: Boost.JSON keeps the last of duplicate keys silently; this handler refuses them.

struct DuplicateKeyHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::optional<std::set<std::string>>> open;  // nullopt: an array
  std::string key;
  std::string duplicate;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    open.emplace_back(std::set<std::string>());
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    open.pop_back();
    return true;
  }
  bool on_array_begin(json::error_code&) {
    open.emplace_back(std::nullopt);
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    open.pop_back();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key.append(s.data(), s.size());
    if (!open.back()->insert(key).second) {
      duplicate = key;
      ec = json::make_error_code(json::error::syntax);
      return false;
    }
    key.clear();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

std::string LineColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + " column " + std::to_string(col);
}

// ---------------------------------------------------------------------------------------------
// Typed field readers. Every error is "<source>: <path>: <what>".

class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}

  Status Fail(const std::string& path, const std::string& what) const {
    return Status::InvalidArgument(source_ + ": " + path + ": " + what);
  }

  static std::string KindOf(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null:
        return "null";
      case json::kind::bool_:
        return "a boolean";
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        return "a number";
      case json::kind::string:
        return "a string";
      case json::kind::array:
        return "an array";
      case json::kind::object:
        return "an object";
    }
    return "?";
  }

  Result<const json::object*> Object(const json::value& v, const std::string& path) const {
    if (!v.is_object()) return Fail(path, "expected an object, got " + KindOf(v));
    return &v.get_object();
  }

  Result<const json::array*> Array(const json::value& v, const std::string& path, std::size_t min,
                                   std::size_t max) const {
    if (!v.is_array()) return Fail(path, "expected an array, got " + KindOf(v));
    const std::size_t n = v.get_array().size();
    if (n < min || n > max) {
      return Fail(path, "expected " + std::to_string(min) + ".." + std::to_string(max) +
                            " entries, got " + std::to_string(n));
    }
    return &v.get_array();
  }

  Result<std::string> String(const json::value& v, const std::string& path,
                             std::size_t max_bytes) const {
    if (!v.is_string()) return Fail(path, "expected a string, got " + KindOf(v));
    const json::string& s = v.get_string();
    if (s.empty()) return Fail(path, "must not be empty");
    if (s.size() > max_bytes) {
      return Fail(path, "longer than " + std::to_string(max_bytes) + " bytes");
    }
    return std::string(s.data(), s.size());
  }

  Result<int> Int(const json::value& v, const std::string& path, int min, int max) const {
    std::int64_t n = 0;
    if (v.is_int64()) {
      n = v.get_int64();
    } else if (v.is_uint64()) {
      n = std::numeric_limits<std::int64_t>::max();
    } else {
      return Fail(path, "expected an integer, got " + KindOf(v));
    }
    if (n < min || n > max) {
      return Fail(path, "expected an integer " + std::to_string(min) + ".." + std::to_string(max) +
                            ", got " + json::serialize(v));
    }
    return static_cast<int>(n);
  }

  Result<bool> Bool(const json::value& v, const std::string& path) const {
    if (!v.is_bool()) return Fail(path, "expected true or false, got " + KindOf(v));
    return v.get_bool();
  }

  // Converts a domain parser's Status into a located error.
  Status Located(const Status& s, const std::string& path) const {
    return s.ok() ? s : Fail(path, s.message());
  }

  // Unknown keys are errors: a misspelt field must not silently fall back to a default.
  template <std::size_t N>
  Status OnlyKeys(const json::object& o, const std::string& path,
                  const std::array<std::string_view, N>& allowed, bool comment_ok) const {
    for (const auto& kv : o) {
      const std::string_view key(kv.key().data(), kv.key().size());
      if (Contains(allowed, key) || (comment_ok && key == kCommentKey)) continue;
      return Fail(path, "unknown field " + Quote(key));
    }
    return Status::Ok();
  }

 private:
  std::string source_;
};

// A field's value and the path it was found at: the office's own or inherited from defaults.
struct Located {
  const json::value* value = nullptr;
  std::string path;
};

struct OfficeSource {
  const json::object* office = nullptr;
  std::string path;  // "offices[2]"
  const json::object* defaults = nullptr;

  Located Get(std::string_view key) const {
    if (const json::value* v = office->if_contains(json::string_view(key.data(), key.size()))) {
      return {v, path + "." + std::string(key)};
    }
    if (defaults != nullptr) {
      if (const json::value* v = defaults->if_contains(json::string_view(key.data(), key.size()))) {
        return {v, "defaults." + std::string(key)};
      }
    }
    return {nullptr, path + "." + std::string(key)};
  }
};

// ---------------------------------------------------------------------------------------------
// Office fields

Result<std::string> ReadOfficeId(const Checker& c, const Located& f) {
  Result<std::string> id = c.String(*f.value, f.path, kOfficeIdBytesMax);
  if (!id.ok()) return id;
  const auto ok_char = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
  };
  const bool ok =
      std::all_of(id->begin(), id->end(), ok_char) && id->front() != '-' && id->front() != '_';
  if (!ok) return c.Fail(f.path, "expected [a-z0-9][a-z0-9_-]*, got " + Quote(*id));
  return id;
}

Result<std::vector<WhatsAppNumber>> ReadNumbers(const Checker& c, const Located& f) {
  Result<const json::array*> arr = c.Array(*f.value, f.path, 1, kWhatsAppNumbersPerOfficeMax);
  if (!arr.ok()) return arr.status();
  static constexpr std::array<std::string_view, 2> kKeys = {"display", "phone_number_id"};
  std::vector<WhatsAppNumber> out;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    const std::string path = f.path + "[" + std::to_string(i) + "]";
    Result<const json::object*> o = c.Object((**arr)[i], path);
    if (!o.ok()) return o.status();
    if (Status s = c.OnlyKeys(**o, path, kKeys, false); !s.ok()) return s;
    const json::value* display = (*o)->if_contains("display");
    if (display == nullptr) return c.Fail(path, "missing field \"display\"");
    WhatsAppNumber n;
    Result<std::string> text = c.String(*display, path + ".display", kPhoneInputBytesMax);
    if (!text.ok()) return text.status();
    Result<std::string> digits = NormalizePhone(*text);
    if (!digits.ok()) return c.Located(digits.status(), path + ".display");
    if (!digits->starts_with(kIndonesiaCountryCode)) {
      return c.Fail(path + ".display",
                    "an office's number must be Indonesian (+62), not " + Quote(*text));
    }
    n.display = *text;
    n.digits = *digits;
    if (const json::value* id = (*o)->if_contains("phone_number_id")) {
      Result<std::string> v = c.String(*id, path + ".phone_number_id", kPhoneNumberIdBytesMax);
      if (!v.ok()) return v.status();
      if (!std::all_of(v->begin(), v->end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        return c.Fail(path + ".phone_number_id", "expected digits, got " + Quote(*v));
      }
      n.phone_number_id = *v;
    }
    out.push_back(std::move(n));
  }
  return out;
}

Result<std::array<bool, 7>> ReadServiceDays(const Checker& c, const Located& f) {
  Result<const json::array*> arr = c.Array(*f.value, f.path, 1, 7);
  if (!arr.ok()) return arr.status();
  std::array<bool, 7> days{};
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    const std::string path = f.path + "[" + std::to_string(i) + "]";
    Result<std::string> name = c.String((**arr)[i], path, 64);
    if (!name.ok()) return name.status();
    Result<Weekday> day = ParseWeekday(*name);
    if (!day.ok()) return c.Located(day.status(), path);
    bool& slot = days[static_cast<std::size_t>(static_cast<int>(*day) - 1)];
    if (slot) return c.Fail(path, Quote(*name) + " appears twice");
    slot = true;
  }
  return days;
}

// Appends the dates of one holidays array; a date twice in the same array is a typo.
Status ReadHolidays(const Checker& c, const Located& f, std::vector<Date>* out) {
  Result<const json::array*> arr = c.Array(*f.value, f.path, 0, kHolidaysMax);
  if (!arr.ok()) return arr.status();
  std::set<Date> seen;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    const std::string path = f.path + "[" + std::to_string(i) + "]";
    Result<std::string> text = c.String((**arr)[i], path, 64);
    if (!text.ok()) return text.status();
    Result<Date> date = ParseDate(*text);
    if (!date.ok()) return c.Located(date.status(), path);
    if (!seen.insert(*date).second) return c.Fail(path, Quote(*text) + " appears twice");
    out->push_back(*date);
  }
  return Status::Ok();
}

Result<TimeOfDay> ReadTime(const Checker& c, const json::object& o, const std::string& path,
                           std::string_view key) {
  const std::string p = path + "." + std::string(key);
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return c.Fail(path, "missing field " + Quote(key));
  Result<std::string> text = c.String(*v, p, 5);
  if (!text.ok() && v->is_string()) {
    const json::string& raw = v->get_string();
    return c.Fail(p, "expected HH:MM, got " + Quote(std::string_view(raw.data(), raw.size())));
  }
  if (!text.ok()) return text.status();
  Result<TimeOfDay> t = ParseTimeOfDay(*text);
  if (!t.ok()) return c.Located(t.status(), p);
  return t;
}

Result<std::optional<RegistrationWindow>> ReadWindow(const Checker& c, const Located& f) {
  if (f.value->is_null()) return std::optional<RegistrationWindow>();
  Result<const json::object*> o = c.Object(*f.value, f.path);
  if (!o.ok()) return o.status();
  static constexpr std::array<std::string_view, 2> kKeys = {"start", "end"};
  if (Status s = c.OnlyKeys(**o, f.path, kKeys, false); !s.ok()) return s;
  Result<TimeOfDay> start = ReadTime(c, **o, f.path, "start");
  if (!start.ok()) return start.status();
  Result<TimeOfDay> end = ReadTime(c, **o, f.path, "end");
  if (!end.ok()) return end.status();
  if (!(*start < *end)) {
    return c.Fail(f.path, "start " + FormatTimeOfDay(*start) + " must be before end " +
                              FormatTimeOfDay(*end) + " (windows do not cross midnight)");
  }
  return std::optional<RegistrationWindow>(RegistrationWindow{*start, *end});
}

Result<std::vector<Session>> ReadSessions(const Checker& c, const Located& f) {
  Result<const json::array*> arr = c.Array(*f.value, f.path, 1, kSessionsPerDayMax);
  if (!arr.ok()) return arr.status();
  static constexpr std::array<std::string_view, 2> kKeys = {"start", "capacity"};
  std::vector<Session> out;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    const std::string path = f.path + "[" + std::to_string(i) + "]";
    Result<const json::object*> o = c.Object((**arr)[i], path);
    if (!o.ok()) return o.status();
    if (Status s = c.OnlyKeys(**o, path, kKeys, false); !s.ok()) return s;
    Result<TimeOfDay> start = ReadTime(c, **o, path, "start");
    if (!start.ok()) return start.status();
    const json::value* cap = (*o)->if_contains("capacity");
    if (cap == nullptr) return c.Fail(path, "missing field \"capacity\"");
    Result<int> capacity = c.Int(*cap, path + ".capacity", 1, kSessionCapacityMax);
    if (!capacity.ok()) return capacity.status();
    if (!out.empty() && !(out.back().start < *start)) {
      return c.Fail(path + ".start", "sessions must be in increasing order of start; " +
                                         FormatTimeOfDay(*start) + " is not after " +
                                         FormatTimeOfDay(out.back().start));
    }
    out.push_back(Session{*start, *capacity});
  }
  return out;
}

Result<std::vector<std::string>> ReadRequirements(const Checker& c, const Located& f) {
  Result<const json::array*> arr = c.Array(*f.value, f.path, 1, kRequirementsMax);
  if (!arr.ok()) return arr.status();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    Result<std::string> s =
        c.String((**arr)[i], f.path + "[" + std::to_string(i) + "]", kOfficeTextBytesMax);
    if (!s.ok()) return s.status();
    out.push_back(std::move(*s));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replies: "defaults.replies" and the office's "replies" merge key by key.

// A "{" must open a known placeholder and be closed; nothing else may use braces.
Status CheckTemplate(const Checker& c, std::string_view text, const std::string& path) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') return c.Fail(path, "'}' without '{' at byte " + std::to_string(i));
    if (text[i] != '{') continue;
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) return c.Fail(path, "'{' without '}'");
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (!Contains(kReplyPlaceholders, name)) {
      return c.Fail(path, "unknown placeholder {" + std::string(name) + "}");
    }
    i = close;
  }
  return Status::Ok();
}

using TextMap = std::map<std::string, std::string, std::less<>>;

template <std::size_t N>
Status MergeTexts(const Checker& c, const json::object& o, const std::string& path,
                  const std::array<std::string_view, N>& keys, TextMap* out) {
  for (const auto& kv : o) {
    const std::string key(kv.key().data(), kv.key().size());
    const std::string p = path + "." + key;
    if (!Contains(keys, key)) return c.Fail(path, "unknown field " + Quote(key));
    Result<std::string> text = c.String(kv.value(), p, kReplyTemplateBytesMax);
    if (!text.ok()) return text.status();
    if (Status s = CheckTemplate(c, *text, p); !s.ok()) return s;
    (*out)[key] = std::move(*text);
  }
  return Status::Ok();
}

// Merges one "replies" object (from defaults or from the office) into `office`.
Status MergeReplies(const Checker& c, const json::value& v, const std::string& path,
                    OfficeConfig* office) {
  Result<const json::object*> o = c.Object(v, path);
  if (!o.ok()) return o.status();
  json::object plain = **o;
  plain.erase("rejected");
  if (Status s = MergeTexts(c, plain, path, kReplyKeys, &office->replies); !s.ok()) return s;
  const json::value* rejected = (*o)->if_contains("rejected");
  if (rejected == nullptr) return Status::Ok();
  Result<const json::object*> r = c.Object(*rejected, path + ".rejected");
  if (!r.ok()) return r.status();
  return MergeTexts(c, **r, path + ".rejected", kRejectionReasons, &office->rejection_replies);
}

Status ReadReplies(const Checker& c, const OfficeSource& src, OfficeConfig* office) {
  if (src.defaults != nullptr) {
    if (const json::value* d = src.defaults->if_contains("replies")) {
      if (Status s = MergeReplies(c, *d, "defaults.replies", office); !s.ok()) return s;
    }
  }
  if (const json::value* own = src.office->if_contains("replies")) {
    if (Status s = MergeReplies(c, *own, src.path + ".replies", office); !s.ok()) return s;
  }
  for (std::string_view key : kReplyKeys) {
    if (!office->replies.contains(key)) {
      return c.Fail(src.path + ".replies",
                    "missing reply " + Quote(key) + " (set it here or in defaults.replies)");
    }
  }
  for (std::string_view reason : kRejectionReasons) {
    if (!office->rejection_replies.contains(reason)) {
      return c.Fail(
          src.path + ".replies.rejected",
          "missing reply " + Quote(reason) + " (set it here or in defaults.replies.rejected)");
    }
  }
  return Status::Ok();
}

// Forensics thresholds merge key by key too (domain/forensics_thresholds.h says what they mean).
Status ReadForensics(const Checker& c, const OfficeSource& src, OfficeConfig* office) {
  for (const auto& [obj, path] : {std::pair{src.defaults, std::string("defaults.forensics")},
                                  std::pair{src.office, src.path + ".forensics"}}) {
    if (obj == nullptr) continue;
    const json::value* v = obj->if_contains("forensics");
    if (v == nullptr) continue;
    Result<const json::object*> o = c.Object(*v, path);
    if (!o.ok()) return o.status();
    for (const auto& kv : **o) office->forensics[kv.key()] = kv.value();
  }
  // Checked here, once merged, so that a bad threshold fails the load naming the office.
  if (auto t = ParseForensicsThresholds(office->forensics); !t.ok()) {
    return c.Fail(src.path + ".forensics", t.status().message());
  }
  return Status::Ok();
}

Status ReadCalendar(const Checker& c, const OfficeSource& src, OfficeConfig* office) {
  Located days = src.Get("service_days");
  if (days.value == nullptr) return c.Fail(src.path, "missing field \"service_days\"");
  Result<std::array<bool, 7>> sd = ReadServiceDays(c, days);
  if (!sd.ok()) return sd.status();
  office->service_days = *sd;
  // Holidays accumulate: national ones in defaults, local ones in the office.
  if (src.defaults != nullptr && src.defaults->contains("holidays")) {
    Located d{src.defaults->if_contains("holidays"), "defaults.holidays"};
    if (Status s = ReadHolidays(c, d, &office->holidays); !s.ok()) return s;
  }
  if (src.office->contains("holidays")) {
    Located o{src.office->if_contains("holidays"), src.path + ".holidays"};
    if (Status s = ReadHolidays(c, o, &office->holidays); !s.ok()) return s;
  }
  std::sort(office->holidays.begin(), office->holidays.end());
  office->holidays.erase(std::unique(office->holidays.begin(), office->holidays.end()),
                         office->holidays.end());
  Located window = src.Get("registration_window");
  if (window.value == nullptr) return Status::Ok();
  Result<std::optional<RegistrationWindow>> w = ReadWindow(c, window);
  if (!w.ok()) return w.status();
  office->registration_window = *w;
  return Status::Ok();
}

Result<Located> Required(const Checker& c, const OfficeSource& src, std::string_view key) {
  Located f = src.Get(key);
  if (f.value == nullptr) {
    return c.Fail(src.path, "missing field " + Quote(key) + " (set it here or in defaults)");
  }
  return f;
}

Status ReadFormat(const Checker& c, const OfficeSource& src, OfficeConfig* office) {
  Result<Located> zone = Required(c, src, "time_zone");
  if (!zone.ok()) return zone.status();
  Result<std::string> zone_text = c.String(*zone->value, zone->path, 64);
  if (!zone_text.ok()) return zone_text.status();
  Result<TimeZone> tz = ParseTimeZone(*zone_text);
  if (!tz.ok()) return c.Located(tz.status(), zone->path);
  office->time_zone = *tz;

  Result<Located> format = Required(c, src, "message_format");
  if (!format.ok()) return format.status();
  Result<std::string> format_name = c.String(*format->value, format->path, 64);
  if (!format_name.ok()) return format_name.status();
  Result<MessageFormat> mf = ParseMessageFormat(*format_name);
  if (!mf.ok()) return c.Located(mf.status(), format->path);
  office->message_format = *mf;

  Result<Located> text = Required(c, src, "format_text");
  if (!text.ok()) return text.status();
  Result<std::string> t = c.String(*text->value, text->path, kOfficeTextBytesMax);
  if (!t.ok()) return t.status();
  office->format_text = *t;

  Result<Located> example = Required(c, src, "format_example");
  if (!example.ok()) return example.status();
  Result<std::string> e = c.String(*example->value, example->path, kOfficeTextBytesMax);
  if (!e.ok()) return e.status();
  // The example is what people copy; it must be a registration in the office's own format.
  const ParsedMessage parsed = ParseMessage(*e, office->message_format);
  if (const ParseError* err = std::get_if<ParseError>(&parsed)) {
    return c.Fail(example->path, "the example does not parse as " + std::string(*format_name) +
                                     ": " + err->reason + ": " + err->detail);
  }
  if (!std::holds_alternative<Registration>(parsed)) {
    return c.Fail(example->path, "the example is a command, not a registration");
  }
  office->format_example = *e;
  return Status::Ok();
}

Result<int> RequiredInt(const Checker& c, const OfficeSource& src, std::string_view key, int min,
                        int max) {
  Result<Located> f = Required(c, src, key);
  if (!f.ok()) return f.status();
  return c.Int(*f->value, f->path, min, max);
}

Status ReadCapacity(const Checker& c, const OfficeSource& src, OfficeConfig* office) {
  Result<Located> sessions = Required(c, src, "sessions");
  if (!sessions.ok()) return sessions.status();
  Result<std::vector<Session>> list = ReadSessions(c, *sessions);
  if (!list.ok()) return list.status();
  office->sessions = std::move(*list);
  Result<int> quota = RequiredInt(c, src, "daily_quota", 1, kDailyQuotaMax);
  if (!quota.ok()) return quota.status();
  office->daily_quota = *quota;
  if (office->DailyCapacity() > office->daily_quota) {
    return c.Fail(sessions->path, "session capacities sum to " +
                                      std::to_string(office->DailyCapacity()) +
                                      ", more than daily_quota " + std::to_string(*quota) + " (" +
                                      src.Get("daily_quota").path + ")");
  }
  Result<int> horizon = RequiredInt(c, src, "booking_horizon_days", 0, kBookingHorizonDaysMax);
  if (!horizon.ok()) return horizon.status();
  office->booking_horizon_days = *horizon;
  Result<int> early = RequiredInt(c, src, "arrive_early_minutes", 0, kArriveEarlyMinutesMax);
  if (!early.ok()) return early.status();
  office->arrive_early_minutes = *early;
  return Status::Ok();
}

Status ReadIdentity(const Checker& c, const OfficeSource& src, OfficeConfig* office) {
  for (std::string_view key : kOfficeOwnKeys) {
    if (!src.office->contains(json::string_view(key.data(), key.size()))) {
      return c.Fail(src.path, "missing field " + Quote(key));
    }
  }
  Result<std::string> id = ReadOfficeId(c, src.Get("id"));
  if (!id.ok()) return id.status();
  office->id = *id;
  Located name = src.Get("name");
  Result<std::string> n = c.String(*name.value, name.path, kOfficeTextBytesMax);
  if (!n.ok()) return n.status();
  office->name = *n;
  Result<std::vector<WhatsAppNumber>> numbers = ReadNumbers(c, src.Get("whatsapp_numbers"));
  if (!numbers.ok()) return numbers.status();
  office->whatsapp_numbers = std::move(*numbers);
  return Status::Ok();
}

Result<OfficeConfig> ReadOffice(const Checker& c, const OfficeSource& src) {
  std::array<std::string_view, kInheritableKeys.size() + kOfficeOwnKeys.size()> keys{};
  std::copy(kInheritableKeys.begin(), kInheritableKeys.end(), keys.begin());
  std::copy(kOfficeOwnKeys.begin(), kOfficeOwnKeys.end(), keys.begin() + kInheritableKeys.size());
  if (Status s = c.OnlyKeys(*src.office, src.path, keys, true); !s.ok()) return s;
  OfficeConfig office;
  if (Status s = ReadIdentity(c, src, &office); !s.ok()) return s;
  if (Status s = ReadFormat(c, src, &office); !s.ok()) return s;
  if (Status s = ReadCalendar(c, src, &office); !s.ok()) return s;
  if (Status s = ReadCapacity(c, src, &office); !s.ok()) return s;
  if (Located photo = src.Get("requires_ektp_photo"); photo.value != nullptr) {
    Result<bool> b = c.Bool(*photo.value, photo.path);
    if (!b.ok()) return b.status();
    office.requires_ektp_photo = *b;
  }
  Result<Located> req = Required(c, src, "requirements");
  if (!req.ok()) return req.status();
  Result<std::vector<std::string>> list = ReadRequirements(c, *req);
  if (!list.ok()) return list.status();
  office.requirements = std::move(*list);
  if (Status s = ReadReplies(c, src, &office); !s.ok()) return s;
  if (Status s = ReadForensics(c, src, &office); !s.ok()) return s;
  return office;
}

Result<std::vector<OfficeConfig>> ReadFile(const Checker& c, const json::value& root) {
  Result<const json::object*> top = c.Object(root, "(top level)");
  if (!top.ok()) return top.status();
  static constexpr std::array<std::string_view, 3> kTopKeys = {"format_version", "defaults",
                                                               "offices"};
  if (Status s = c.OnlyKeys(**top, "(top level)", kTopKeys, true); !s.ok()) return s;
  const json::value* version = (*top)->if_contains("format_version");
  if (version == nullptr) return c.Fail("(top level)", "missing field \"format_version\"");
  Result<int> v =
      c.Int(*version, "format_version", kOfficeFileFormatVersion, kOfficeFileFormatVersion);
  if (!v.ok()) return v.status();
  const json::object* defaults = nullptr;
  if (const json::value* d = (*top)->if_contains("defaults")) {
    Result<const json::object*> o = c.Object(*d, "defaults");
    if (!o.ok()) return o.status();
    if (Status s = c.OnlyKeys(**o, "defaults", kInheritableKeys, true); !s.ok()) return s;
    defaults = *o;
  }
  const json::value* list = (*top)->if_contains("offices");
  if (list == nullptr) return c.Fail("(top level)", "missing field \"offices\"");
  Result<const json::array*> arr = c.Array(*list, "offices", 1, kOfficesMax);
  if (!arr.ok()) return arr.status();
  std::vector<OfficeConfig> offices;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    const std::string path = "offices[" + std::to_string(i) + "]";
    Result<const json::object*> o = c.Object((**arr)[i], path);
    if (!o.ok()) return o.status();
    Result<OfficeConfig> office = ReadOffice(c, OfficeSource{*o, path, defaults});
    if (!office.ok()) return office.status();
    offices.push_back(std::move(*office));
  }
  return offices;
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON

// Rebuilds objects with keys in bytewise order, at every depth.
json::value Sorted(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (const json::value& e : v.get_array()) out.push_back(Sorted(e));
    return out;
  }
  if (!v.is_object()) return v;
  std::vector<std::pair<std::string, const json::value*>> items;
  for (const auto& kv : v.get_object()) items.emplace_back(std::string(kv.key()), &kv.value());
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  json::object out;
  for (const auto& [k, val] : items) out.emplace(k, Sorted(*val));
  return out;
}

json::object TextsToJson(const TextMap& texts) {
  json::object o;
  for (const auto& [k, v] : texts) o[k] = v;
  return o;
}

json::value OfficeToJson(const OfficeConfig& office) {
  json::object o;
  o["id"] = office.id;
  o["name"] = office.name;
  json::array numbers;
  for (const WhatsAppNumber& n : office.whatsapp_numbers) {
    json::object jn{{"display", n.display}, {"digits", n.digits}};
    jn["phone_number_id"] =
        n.phone_number_id.empty() ? json::value(nullptr) : json::value(n.phone_number_id);
    numbers.push_back(std::move(jn));
  }
  o["whatsapp_numbers"] = std::move(numbers);
  o["time_zone"] = TimeZoneName(office.time_zone);
  o["message_format"] = MessageFormatName(office.message_format);
  o["format_text"] = office.format_text;
  o["format_example"] = office.format_example;
  json::array days;
  for (int d = 1; d <= 7; ++d) {
    if (office.service_days[static_cast<std::size_t>(d - 1)]) {
      days.push_back(json::value(WeekdayName(static_cast<Weekday>(d))));
    }
  }
  o["service_days"] = std::move(days);
  json::array holidays;
  for (const Date& d : office.holidays) holidays.push_back(json::value(FormatDate(d)));
  o["holidays"] = std::move(holidays);
  if (office.registration_window) {
    o["registration_window"] = {{"start", FormatTimeOfDay(office.registration_window->start)},
                                {"end", FormatTimeOfDay(office.registration_window->end)}};
  } else {
    o["registration_window"] = nullptr;
  }
  o["requires_ektp_photo"] = office.requires_ektp_photo;
  json::array sessions;
  for (const Session& s : office.sessions) {
    sessions.push_back(json::object{{"start", FormatTimeOfDay(s.start)}, {"capacity", s.capacity}});
  }
  o["sessions"] = std::move(sessions);
  o["daily_quota"] = office.daily_quota;
  o["booking_horizon_days"] = office.booking_horizon_days;
  o["arrive_early_minutes"] = office.arrive_early_minutes;
  json::object replies = TextsToJson(office.replies);
  replies["rejected"] = TextsToJson(office.rejection_replies);
  o["replies"] = std::move(replies);
  json::array requirements;
  for (const std::string& r : office.requirements) requirements.push_back(json::value(r));
  o["requirements"] = std::move(requirements);
  o["forensics"] = office.forensics;
  return Sorted(o);
}

}  // namespace

Result<json::value> ParseStrictJson(std::string_view text, const std::string& source) {
  json::basic_parser<DuplicateKeyHandler> p{json::parse_options()};
  json::error_code ec;
  const std::size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    const std::string where = source + ": " + LineColumn(text, used) + ": ";
    if (!p.handler().duplicate.empty()) {
      return Status::InvalidArgument(where + "duplicate key " + Quote(p.handler().duplicate));
    }
    return Status::InvalidArgument(where + "invalid JSON: " + ec.message());
  }
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return Status::InvalidArgument(source + ": invalid JSON: " + ec.message());
  return v;
}

// ---------------------------------------------------------------------------------------------
// OfficeConfig

bool OfficeConfig::IsOpenOn(const Date& date) const {
  const auto weekday = static_cast<std::size_t>(static_cast<int>(DayOfWeek(date)) - 1);
  return service_days[weekday] && !std::binary_search(holidays.begin(), holidays.end(), date);
}

bool OfficeConfig::AcceptsRegistrationAt(TimeOfDay time) const {
  if (!registration_window) return true;
  return registration_window->start <= time && time < registration_window->end;
}

int OfficeConfig::DailyCapacity() const {
  int sum = 0;  // at most kSessionsPerDayMax * kSessionCapacityMax: no overflow
  for (const Session& s : sessions) sum += s.capacity;
  return sum;
}

std::string_view OfficeConfig::Reply(std::string_view key) const {
  const auto it = replies.find(key);
  return it == replies.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view OfficeConfig::RejectionReply(std::string_view reason) const {
  const auto it = rejection_replies.find(reason);
  return it == rejection_replies.end() ? std::string_view() : std::string_view(it->second);
}

std::string OfficeConfig::RequirementsText() const {
  std::string out;
  for (std::size_t i = 0; i < requirements.size(); ++i) {
    if (i > 0) out += "\n";
    out += std::to_string(i + 1) + ". " + requirements[i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// OfficeDirectory

Result<OfficeDirectory> OfficeDirectory::Make(std::vector<OfficeConfig> offices) {
  OfficeDirectory dir;
  for (std::size_t i = 0; i < offices.size(); ++i) {
    const OfficeConfig& o = offices[i];
    const std::string where = "offices[" + std::to_string(i) + "]";
    if (!dir.by_id_.emplace(o.id, i).second) {
      return Status::InvalidArgument(where + ".id: duplicate office id " + Quote(o.id));
    }
    for (std::size_t k = 0; k < o.whatsapp_numbers.size(); ++k) {
      const WhatsAppNumber& n = o.whatsapp_numbers[k];
      const std::string path = where + ".whatsapp_numbers[" + std::to_string(k) + "]";
      const auto [it, fresh] = dir.by_digits_.emplace(n.digits, i);
      if (!fresh) {
        return Status::InvalidArgument(path + ".display: number " + n.digits +
                                       " is already used by office " +
                                       Quote(offices[it->second].id));
      }
      if (n.phone_number_id.empty()) continue;
      const auto [jt, fresh_id] = dir.by_phone_number_id_.emplace(n.phone_number_id, i);
      if (!fresh_id) {
        return Status::InvalidArgument(path + ".phone_number_id: " + Quote(n.phone_number_id) +
                                       " is already used by office " +
                                       Quote(offices[jt->second].id));
      }
    }
  }
  dir.offices_ = std::move(offices);
  return dir;
}

const OfficeConfig* OfficeDirectory::FindById(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &offices_[it->second];
}

const OfficeConfig* OfficeDirectory::FindByWhatsAppNumber(std::string_view written) const {
  Result<std::string> digits = NormalizePhone(written);
  if (!digits.ok()) return nullptr;
  const auto it = by_digits_.find(*digits);
  return it == by_digits_.end() ? nullptr : &offices_[it->second];
}

const OfficeConfig* OfficeDirectory::FindByPhoneNumberId(std::string_view phone_number_id) const {
  if (phone_number_id.empty()) return nullptr;
  const auto it = by_phone_number_id_.find(phone_number_id);
  return it == by_phone_number_id_.end() ? nullptr : &offices_[it->second];
}

// ---------------------------------------------------------------------------------------------
// Loading

Result<OfficeDirectory> LoadOfficeDirectory(std::string_view json_text,
                                            std::string_view source_name) {
  const std::string source(source_name);
  if (json_text.size() > kOfficeFileBytesMax) {
    return Status::InvalidArgument(source + ": larger than " + std::to_string(kOfficeFileBytesMax) +
                                   " bytes");
  }
  try {  // Boost.JSON may throw (e.g. bad_alloc); nothing may escape.
    Result<json::value> root = ParseStrictJson(json_text, source);
    if (!root.ok()) return root.status();
    const Checker checker(source);
    Result<std::vector<OfficeConfig>> offices = ReadFile(checker, *root);
    if (!offices.ok()) return offices.status();
    Result<OfficeDirectory> dir = OfficeDirectory::Make(std::move(*offices));
    if (!dir.ok()) return Status::InvalidArgument(source + ": " + dir.status().message());
    return dir;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
}

Result<OfficeDirectory> LoadRecordedOffices(const std::vector<json::object>& recorded,
                                            std::string_view source_name) {
  json::array offices;
  for (json::object office : recorded) {
    if (json::value* numbers = office.if_contains("whatsapp_numbers");
        numbers && numbers->is_array()) {
      for (json::value& n : numbers->as_array()) {
        if (!n.is_object()) continue;
        n.as_object().erase("digits");
        if (const json::value* id = n.as_object().if_contains("phone_number_id");
            id && id->is_null()) {
          n.as_object().erase("phone_number_id");
        }
      }
    }
    offices.push_back(std::move(office));
  }
  json::object file;
  file["format_version"] = kOfficeFileFormatVersion;
  file["offices"] = std::move(offices);
  return LoadOfficeDirectory(json::serialize(file), source_name);
}

Result<OfficeDirectory> LoadOfficeDirectoryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot open for reading");
  std::string text(kOfficeFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::IOError(path + ": read failed");
  text.resize(static_cast<std::size_t>(in.gcount()));
  return LoadOfficeDirectory(text, path);
}

std::string CanonicalJson(const OfficeConfig& office) {
  return json::serialize(OfficeToJson(office));
}

std::string CanonicalJson(const OfficeDirectory& directory) {
  std::vector<const OfficeConfig*> sorted;
  for (const OfficeConfig& o : directory.offices()) sorted.push_back(&o);
  std::sort(sorted.begin(), sorted.end(),
            [](const OfficeConfig* a, const OfficeConfig* b) { return a->id < b->id; });
  json::array offices;
  for (const OfficeConfig* o : sorted) offices.push_back(OfficeToJson(*o));
  json::object top;
  top["format_version"] = kOfficeFileFormatVersion;
  top["offices"] = std::move(offices);
  return json::serialize(top);
}

std::string RenderReply(std::string_view text,
                        const std::vector<std::pair<std::string_view, std::string>>& values) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    const std::string_view name = text.substr(open + 1, close - open - 1);
    const auto it = std::find_if(values.begin(), values.end(),
                                 [&](const auto& kv) { return kv.first == name; });
    out.append(it == values.end() ? text.substr(open, close - open + 1)
                                  : std::string_view(it->second));
    i = close + 1;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

}  // namespace antrean::domain
