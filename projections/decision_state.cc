#include "projections/decision_state.h"

#include <boost/json.hpp>

#include <cinttypes>
#include <cstdio>

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
  // Fixed-width hex keeps the keys in time order, so the sweep is one range scan.
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, static_cast<std::uint64_t>(arrive_by_us));
  return std::string(kDeadlinePrefix) + buf + "|" + std::string(code);
}
std::string BlacklistRowKey(std::string_view phone) {
  return std::string(kBlacklistPrefix) + std::string(phone);
}
std::string FlagRowKey(std::string_view flag_id) {
  return std::string(kFlagPrefix) + std::string(flag_id);
}

namespace {
json::array ToArray(const std::vector<std::uint64_t>& v) {
  json::array a;
  for (auto x : v) a.emplace_back(x);
  return a;
}
json::array ToArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& x : v) a.emplace_back(x);
  return a;
}
}  // namespace

std::string Encode(const PhoneRow& row) {
  return json::serialize(json::object{{"owner", row.owner}, {"blacklisted", row.blacklisted}});
}
std::string Encode(const PersonRow& row) {
  return json::serialize(json::object{{"active_code", row.active_code}});
}
std::string Encode(const DayRow& row) {
  json::object sessions;
  for (const auto& [start, c] : row.sessions) {
    sessions[start] = json::object{{"issued", c.issued},       {"arrived", c.arrived},
                                   {"forfeited", c.forfeited}, {"expired", c.expired},
                                   {"completed", c.completed}, {"returned", c.returned}};
  }
  return json::serialize(json::object{{"issued", row.issued}, {"sessions", sessions}});
}
std::string Encode(const BookingRow& r) {
  return json::serialize(json::object{
      {"code", r.code},       {"office", r.office},         {"date", r.date},
      {"session", r.session}, {"queue_number", r.queue_number}, {"phone", r.phone},
      {"person", r.person},   {"name", r.name},             {"birth_date", r.birth_date},
      {"relation", r.relation}, {"status", r.status},       {"arrive_by", r.arrive_by},
      {"arrive_by_us", r.arrive_by_us}, {"message_id", r.message_id}});
}
std::string Encode(const ConfigRow& row) {
  json::object capacity;
  for (const auto& [start, n] : row.capacity) capacity[start] = n;
  return json::serialize(json::object{
      {"digest", row.digest}, {"capacity", capacity}, {"daily_quota", row.daily_quota}});
}
std::string Encode(const BlacklistRow& r) {
  return json::serialize(json::object{
      {"in_force", r.in_force},     {"reason", r.reason},         {"evidence", ToArray(r.evidence)},
      {"automatic", r.automatic},   {"rule", r.rule},             {"decided_by", r.decided_by},
      {"decided_at", r.decided_at}, {"lifted_by", r.lifted_by},   {"lifted_reason", r.lifted_reason}});
}
std::string Encode(const FlagRow& r) {
  return json::serialize(json::object{
      {"flag_id", r.flag_id},   {"phone", r.phone},           {"rule", r.rule},
      {"score", r.score},       {"evidence", ToArray(r.evidence)}, {"persons", ToArray(r.persons)},
      {"phones", ToArray(r.phones)}, {"detail", r.detail},   {"raised_at", r.raised_at},
      {"in_force", r.in_force}, {"cleared_by", r.cleared_by}, {"cleared_reason", r.cleared_reason}});
}

namespace {

// A small checked reader: rows are our own bytes, but a damaged state must be reported, not
// crash the service.
class Fields {
 public:
  explicit Fields(std::string_view bytes) {
    boost::system::error_code ec;
    json::value v = json::parse(bytes, ec);
    if (!ec && v.is_object()) obj_ = std::move(v.as_object());
    else error_ = "not a JSON object";
  }
  explicit Fields(json::object obj) : obj_(std::move(obj)) {}
  void Str(const char* name, std::string* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(name);
    *out = std::string(v->as_string());
  }
  void Bool(const char* name, bool* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_bool()) return Fail(name);
    *out = v->as_bool();
  }
  template <class Int>
  void Num(const char* name, Int* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (v->is_uint64()) *out = static_cast<Int>(v->as_uint64());
    else if (v->is_int64()) *out = static_cast<Int>(v->as_int64());
    else Fail(name);
  }
  void UintMap(const char* name, std::map<std::string, std::uint32_t>* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(name);
    for (const auto& kv : v->as_object()) {
      if (!kv.value().is_uint64() && !kv.value().is_int64()) return Fail(name);
      (*out)[std::string(kv.key())] =
          static_cast<std::uint32_t>(kv.value().to_number<std::uint64_t>());
    }
  }
  void Sessions(const char* name, std::map<std::string, SessionCounts>* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(name);
    for (const auto& kv : v->as_object()) {
      if (!kv.value().is_object()) return Fail(name);
      Fields f(kv.value().as_object());
      SessionCounts& c = (*out)[std::string(kv.key())];
      f.Num("issued", &c.issued);
      f.Num("arrived", &c.arrived);
      f.Num("forfeited", &c.forfeited);
      f.Num("expired", &c.expired);
      f.Num("completed", &c.completed);
      f.Num("returned", &c.returned);
      if (!f.error_.empty()) return Fail(name);
    }
  }
  template <class T>
  void Array(const char* name, std::vector<T>* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(name);
    for (const auto& e : v->as_array()) {
      if constexpr (std::is_same_v<T, std::string>) {
        if (!e.is_string()) return Fail(name);
        out->emplace_back(e.as_string());
      } else {
        if (!e.is_uint64() && !e.is_int64()) return Fail(name);
        out->push_back(static_cast<T>(e.to_number<std::uint64_t>()));
      }
    }
  }
  Status status() const {
    return error_.empty() ? Status::Ok() : Status::Corruption(error_);
  }

 private:
  const json::value* Find(const char* name) {
    if (!error_.empty()) return nullptr;
    const json::value* v = obj_.if_contains(name);
    if (v == nullptr) error_ = std::string("missing field \"") + name + "\"";
    return v;
  }
  void Fail(const char* name) {
    if (error_.empty()) error_ = std::string("field \"") + name + "\" has the wrong type";
  }
  json::object obj_;
  std::string error_;
};

}  // namespace

Status Decode(std::string_view bytes, PhoneRow* row) {
  Fields f(bytes);
  f.Str("owner", &row->owner);
  f.Bool("blacklisted", &row->blacklisted);
  return f.status();
}
Status Decode(std::string_view bytes, PersonRow* row) {
  Fields f(bytes);
  f.Str("active_code", &row->active_code);
  return f.status();
}
Status Decode(std::string_view bytes, DayRow* row) {
  Fields f(bytes);
  f.Num("issued", &row->issued);
  f.Sessions("sessions", &row->sessions);
  return f.status();
}
Status Decode(std::string_view bytes, BookingRow* r) {
  Fields f(bytes);
  f.Str("code", &r->code);
  f.Str("office", &r->office);
  f.Str("date", &r->date);
  f.Str("session", &r->session);
  f.Num("queue_number", &r->queue_number);
  f.Str("phone", &r->phone);
  f.Str("person", &r->person);
  f.Str("name", &r->name);
  f.Str("birth_date", &r->birth_date);
  f.Str("relation", &r->relation);
  f.Str("status", &r->status);
  f.Str("arrive_by", &r->arrive_by);
  f.Num("arrive_by_us", &r->arrive_by_us);
  f.Str("message_id", &r->message_id);
  return f.status();
}
std::string Encode(const ApplicationRow& row) {
  return json::serialize(json::object{{"office", row.office}, {"stage", row.stage}});
}
Status Decode(std::string_view bytes, ApplicationRow* row) {
  Fields f(bytes);
  f.Str("office", &row->office);
  f.Str("stage", &row->stage);
  return f.status();
}

Status Decode(std::string_view bytes, ConfigRow* row) {
  Fields f(bytes);
  f.Str("digest", &row->digest);
  f.UintMap("capacity", &row->capacity);
  f.Num("daily_quota", &row->daily_quota);
  return f.status();
}
Status Decode(std::string_view bytes, BlacklistRow* r) {
  Fields f(bytes);
  f.Bool("in_force", &r->in_force);
  f.Str("reason", &r->reason);
  f.Array("evidence", &r->evidence);
  f.Bool("automatic", &r->automatic);
  f.Str("rule", &r->rule);
  f.Str("decided_by", &r->decided_by);
  f.Str("decided_at", &r->decided_at);
  f.Str("lifted_by", &r->lifted_by);
  f.Str("lifted_reason", &r->lifted_reason);
  return f.status();
}
Status Decode(std::string_view bytes, FlagRow* r) {
  Fields f(bytes);
  f.Str("flag_id", &r->flag_id);
  f.Str("phone", &r->phone);
  f.Str("rule", &r->rule);
  f.Num("score", &r->score);
  f.Array("evidence", &r->evidence);
  f.Array("persons", &r->persons);
  f.Array("phones", &r->phones);
  f.Str("detail", &r->detail);
  f.Str("raised_at", &r->raised_at);
  f.Bool("in_force", &r->in_force);
  f.Str("cleared_by", &r->cleared_by);
  f.Str("cleared_reason", &r->cleared_reason);
  return f.status();
}

}  // namespace antrean::projections
