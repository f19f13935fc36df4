#include "app/decision_state.h"

#include <boost/json.hpp>

namespace antrean::app {
namespace json = boost::json;

std::string PhoneRowKey(std::string_view phone) { return "ph/" + std::string(phone); }
std::string PersonRowKey(std::string_view person_ref) { return "pe/" + std::string(person_ref); }
std::string DayRowKey(std::string_view office, std::string_view date) {
  return "dy/" + std::string(office) + "|" + std::string(date);
}
std::string BookingRowKey(std::string_view code) { return "bk/" + std::string(code); }
std::string ConfigRowKey(std::string_view office) { return "cf/" + std::string(office); }
std::string ApplicationRowKey(std::string_view number) { return "ap/" + std::string(number); }

std::string Encode(const PhoneRow& row) {
  return json::serialize(json::object{{"owner", row.owner}, {"blacklisted", row.blacklisted}});
}
std::string Encode(const PersonRow& row) {
  return json::serialize(json::object{{"active_code", row.active_code}});
}
std::string Encode(const DayRow& row) {
  json::array sessions;
  for (auto n : row.per_session) sessions.emplace_back(n);
  return json::serialize(json::object{{"issued", row.issued}, {"per_session", sessions}});
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
  return json::serialize(json::object{{"digest", row.digest}});
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
  void UintArray(const char* name, std::vector<std::uint32_t>* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(name);
    for (const auto& e : v->as_array()) {
      if (!e.is_uint64() && !e.is_int64()) return Fail(name);
      out->push_back(static_cast<std::uint32_t>(e.to_number<std::uint64_t>()));
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
  f.UintArray("per_session", &row->per_session);
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
  return f.status();
}

}  // namespace antrean::app
