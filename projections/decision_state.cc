#include "projections/decision_state.h"

#include <boost/json.hpp>

#include <algorithm>
#include <variant>

#include "domain/civil_time.h"
#include "events/event_types.h"
#include "events/keys.h"

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

std::string Encode(const PhoneRow& row) {
  return json::serialize(json::object{{"owner", row.owner}, {"blacklisted", row.blacklisted}});
}
std::string Encode(const PersonRow& row) {
  return json::serialize(json::object{{"active_code", row.active_code}});
}
std::string Encode(const DayRow& row) {
  json::object sessions;
  for (const auto& [start, n] : row.per_session) sessions[start] = n;
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
  void UintMap(const char* name, std::map<std::string, std::uint32_t>* out) {
    const json::value* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(name);
    for (const auto& kv : v->as_object()) {
      if (!kv.value().is_uint64() && !kv.value().is_int64()) return Fail(name);
      (*out)[std::string(kv.key())] = static_cast<std::uint32_t>(kv.value().to_number<std::uint64_t>());
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
  f.UintMap("per_session", &row->per_session);
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

namespace {

template <class Row>
Result<Row> Load(StateRows& rows, const std::string& key) {
  auto row = ReadRow<Row>(rows, key);
  if (!row.ok()) return row.status();
  return row->value_or(Row{});
}

// Clears the person's pointer to `code` once the booking is used up, so that they may book again.
Status ReleasePerson(StateRows& rows, const BookingRow& b) {
  auto person = Load<PersonRow>(rows, PersonRowKey(b.person));
  if (!person.ok()) return person.status();
  if (person->active_code == b.code) rows.Write(PersonRowKey(b.person), Encode(PersonRow{}));
  return Status::Ok();
}

// Moves a booking to `status`; `release` also frees its person.
Status SetStatus(StateRows& rows, const std::string& code, const char* status, bool release) {
  auto b = Load<BookingRow>(rows, BookingRowKey(code));
  if (!b.ok()) return b.status();
  if (b->code.empty()) return Status::Ok();  // a code never issued: nothing to change
  b->status = status;
  rows.Write(BookingRowKey(code), Encode(*b));
  return release ? ReleasePerson(rows, *b) : Status::Ok();
}

Status FoldIssued(const events::BookingCodeIssued& e, StateRows& rows) {
  auto by = domain::ParseRfc3339(e.arrive_by);
  if (!by.ok()) return Status::InvalidArgument("booking_code_issued: arrive_by: " + by.status().message());
  auto day = Load<DayRow>(rows, DayRowKey(e.office, e.date));
  if (!day.ok()) return day.status();
  day->issued = std::max(day->issued, e.queue_number);
  day->per_session[e.session] += 1;
  rows.Write(DayRowKey(e.office, e.date), Encode(*day));

  BookingRow b{e.code,  e.office, e.date,       e.session,  e.queue_number,
               e.phone, events::PersonRef(e.name, e.birth_date), e.name, e.birth_date,
               e.relation, "issued", e.arrive_by, by->micros_since_epoch, e.message_id};
  rows.Write(BookingRowKey(e.code), Encode(b));
  rows.Write(PersonRowKey(b.person), Encode(PersonRow{e.code}));
  if (e.relation == "owner") {
    auto phone = Load<PhoneRow>(rows, PhoneRowKey(e.phone));
    if (!phone.ok()) return phone.status();
    if (phone->owner.empty()) {
      phone->owner = b.person;
      rows.Write(PhoneRowKey(e.phone), Encode(*phone));
    }
  }
  return Status::Ok();
}

Status SetBlacklisted(StateRows& rows, const std::string& phone_digits, bool blacklisted) {
  auto phone = Load<PhoneRow>(rows, PhoneRowKey(phone_digits));
  if (!phone.ok()) return phone.status();
  phone->blacklisted = blacklisted;
  rows.Write(PhoneRowKey(phone_digits), Encode(*phone));
  return Status::Ok();
}

}  // namespace

Status FoldEvent(const events::Event& event, StateRows& rows) {
  return std::visit(
      [&rows](const auto& e) -> Status {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::BookingCodeIssued>) {
          return FoldIssued(e, rows);
        } else if constexpr (std::is_same_v<T, events::ApplicantArrived>) {
          return SetStatus(rows, e.code, "arrived", false);
        } else if constexpr (std::is_same_v<T, events::BookingForfeited>) {
          return SetStatus(rows, e.code, "forfeited", true);
        } else if constexpr (std::is_same_v<T, events::BookingExpired>) {
          return SetStatus(rows, e.code, "expired", true);
        } else if constexpr (std::is_same_v<T, events::DocumentsSubmitted>) {
          return SetStatus(rows, e.code, "completed", true);
        } else if constexpr (std::is_same_v<T, events::DocumentsReturned>) {
          return SetStatus(rows, e.code, "returned", true);
        } else if constexpr (std::is_same_v<T, events::PhoneBlacklisted>) {
          return SetBlacklisted(rows, e.phone, true);
        } else if constexpr (std::is_same_v<T, events::PhoneUnblacklisted>) {
          return SetBlacklisted(rows, e.phone, false);
        } else if constexpr (std::is_same_v<T, events::ApplicationProgressRecorded>) {
          rows.Write(ApplicationRowKey(e.application_number), Encode(ApplicationRow{e.office, e.stage}));
          return Status::Ok();
        } else if constexpr (std::is_same_v<T, events::OfficeConfigurationApplied>) {
          rows.Write(ConfigRowKey(e.office), Encode(ConfigRow{e.config_digest}));
          return Status::Ok();
        } else {
          return Status::Ok();  // no decision row depends on it
        }
      },
      event);
}

}  // namespace antrean::projections
