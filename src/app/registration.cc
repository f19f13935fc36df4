#include "app/registration.h"

#include <algorithm>
#include <cstdio>
#include <variant>

#include "app/booking_code.h"
#include "common/utf8.h"
#include "domain/message_parser.h"
#include "events/keys.h"

namespace antrean::app {
namespace {

using projections::BookingRow;
using projections::BookingRowKey;
using projections::DayRow;
using projections::DayRowKey;
using projections::PersonRow;
using projections::PersonRowKey;
using projections::PhoneRow;
using projections::PhoneRowKey;
using projections::ReadRow;

using domain::Date;
using domain::OfficeConfig;

// Rule 2 of DOMAIN.md: who may be registered from someone else's phone.
constexpr int kToddlerAgeBelow = 5;
constexpr int kElderlyAgeFrom = 60;
// Derived codes collide with probability ~ n^2 / 2^46; past this many retries something is wrong.
constexpr std::uint32_t kCodeAttemptsMax = 16;

struct Ctx {
  const OfficeConfig& office;
  const InboundMessage& msg;
  StateReader& state;
  std::string_view key;
  domain::LocalDateTime now;
  Decision d;
};

using Values = std::vector<std::pair<std::string_view, std::string>>;

std::string Render(const Ctx& c, std::string_view text, Values values) {
  values.emplace_back("office", c.office.name);
  values.emplace_back("format", c.office.format_text);
  values.emplace_back("example", c.office.format_example);
  return domain::RenderReply(text, values);
}

void QueueReply(Ctx& c, std::string text) {
  events::ReplyQueued r;
  r.reply_id = c.msg.message_id + "/reply";
  r.office = c.office.id;
  r.to = c.msg.from;
  r.text = text;
  r.in_reply_to = c.msg.message_id;
  c.d.events.emplace_back(std::move(r));
  c.d.outcome.reply = std::move(text);
}

struct Parsed {  // what parsing got of a registration, for the rejection event
  std::optional<std::string> name, birth_date, arrival_date;
};

void Reject(Ctx& c, std::string_view reason, std::string detail, Values values = {},
            const Parsed& parsed = {}, std::string next_date = {}) {
  events::RegistrationRejected e;
  e.message_id = c.msg.message_id;
  e.office = c.office.id;
  e.phone = c.msg.from;
  e.reason = std::string(reason);
  e.detail = detail;
  e.name = parsed.name;
  e.birth_date = parsed.birth_date;
  e.arrival_date = parsed.arrival_date;
  if (!next_date.empty()) e.next_available_date = next_date;
  c.d.events.emplace_back(std::move(e));
  c.d.outcome.kind = Outcome::Kind::kRejected;
  c.d.outcome.reason = std::string(reason);
  c.d.outcome.detail = detail;
  c.d.outcome.next_available_date = next_date;
  values.emplace_back("detail", std::move(detail));
  auto next = domain::ParseDate(next_date);
  values.emplace_back("next_date", next.ok() ? UserDate(*next) : "tidak tersedia");
  QueueReply(c, Render(c, c.office.RejectionReply(reason), std::move(values)));
}

bool IsActive(const BookingRow& b, domain::Instant at) {
  return b.status == "arrived" || (b.status == "issued" && at.micros_since_epoch <= b.arrive_by_us);
}

// The first session of `date` with room that the applicant can still reach in time; without one,
// whether the day still has places (too late to reach them) or is full.
struct FoundSession {
  std::optional<std::size_t> session;
  bool places_left = false;
};
Result<FoundSession> FindSession(Ctx& c, const Date& date) {
  auto day = ReadRow<DayRow>(c.state, DayRowKey(c.office.id, domain::FormatDate(date)));
  if (!day.ok()) return day.status();
  DayRow row = day->value_or(DayRow{});
  FoundSession found;
  if (row.issued >= static_cast<std::uint32_t>(c.office.daily_quota)) return found;
  for (std::size_t i = 0; i < c.office.sessions.size(); ++i) {
    const std::uint32_t taken = row.Taken(domain::FormatTimeOfDay(c.office.sessions[i].start));
    if (taken >= static_cast<std::uint32_t>(c.office.sessions[i].capacity)) continue;
    found.places_left = true;
    auto by = ArriveBy(c.office, date, c.office.sessions[i].start);
    if (by.ok() && *by >= c.msg.at) {
      found.session = i;
      return found;
    }
  }
  return found;
}

// The first open day in [from, to] with a reachable session with room; nullopt if none.
Result<std::optional<Date>> NextDateWithRoom(Ctx& c, Date from, const Date& to) {
  for (Date d = from; d <= to;) {
    if (c.office.IsOpenOn(d)) {
      auto s = FindSession(c, d);
      if (!s.ok()) return s.status();
      if (s->session) return std::optional<Date>(d);
    }
    auto next = domain::AddDays(d, 1);
    if (!next.ok()) break;
    d = *next;
  }
  return std::optional<Date>();
}

Date Horizon(const Ctx& c) {
  auto h = domain::AddDays(c.now.date, c.office.booking_horizon_days);
  return h.ok() ? *h : c.now.date;
}

// The next date with room as YYYY-MM-DD (the event's form), or empty if none within the horizon.
std::string NextDateText(Ctx& c, const Date& from) {
  auto next = NextDateWithRoom(c, from, Horizon(c));
  if (next.ok() && next->has_value()) return domain::FormatDate(**next);
  return "";
}

Values BookingValues(const BookingRow& b, domain::TimeZone zone);

// The outcome and the reply for a booking the applicant is told about (new, or sent again).
void TellBooking(Ctx& c, Outcome::Kind kind, const BookingRow& b) {
  Outcome& o = c.d.outcome;
  o.kind = kind;
  o.booking_code = b.code;
  o.queue_number = b.queue_number;
  o.date = b.date;
  o.session = b.session;
  o.arrive_by = b.arrive_by;
  QueueReply(c, Render(c, c.office.Reply("issued"),
                       BookingValues(b, c.office.time_zone)));
}

Status Issue(Ctx& c, const domain::Registration& reg, const std::string& relation,
             const Date& date, std::size_t session) {
  const std::string date_text = domain::FormatDate(date);
  auto day_read = ReadRow<DayRow>(c.state, DayRowKey(c.office.id, date_text));
  if (!day_read.ok()) return day_read.status();
  const DayRow day = day_read->value_or(DayRow{});

  BookingRow b;
  b.office = c.office.id;
  b.date = date_text;
  b.session = domain::FormatTimeOfDay(c.office.sessions[session].start);
  b.queue_number = day.issued + 1;  // never reused: forfeits and expiries do not lower `issued`
  bool free_code = false;
  for (std::uint32_t attempt = 0; attempt < kCodeAttemptsMax && !free_code; ++attempt) {
    b.code = DeriveBookingCode(c.key, b.office, b.date, b.queue_number, attempt);
    auto taken = c.state.Read(BookingRowKey(b.code));
    if (!taken.ok()) return taken.status();
    free_code = !taken->has_value();
  }
  if (!free_code) {
    return Status::Corruption("no free booking code after " + std::to_string(kCodeAttemptsMax) +
                              " attempts for " + b.office + " " + b.date);
  }
  const domain::Instant by = *ArriveBy(c.office, date, c.office.sessions[session].start);
  b.arrive_by = domain::FormatRfc3339(by, c.office.time_zone);
  b.phone = c.msg.from;
  b.name = reg.name_key;
  b.birth_date = domain::FormatDate(reg.birth_date);
  b.relation = relation;
  b.message_id = c.msg.message_id;

  c.d.events.emplace_back(events::BookingCodeIssued{
      b.code, b.office, b.date, b.session, b.arrive_by, b.queue_number, b.name, b.birth_date,
      b.phone, b.relation, b.message_id});
  TellBooking(c, Outcome::Kind::kIssued, b);
  return Status::Ok();
}

Values BookingValues(const BookingRow& b, domain::TimeZone zone) {
  auto date = domain::ParseDate(b.date);
  return {{"code", b.code},
          {"queue_number", std::to_string(b.queue_number)},
          {"date", date.ok() ? UserDate(*date) : b.date},
          {"session", b.session + " " + std::string(domain::TimeZoneName(zone))},
          {"arrive_by", UserClockTime(b.arrive_by, zone)}};
}

void Repeat(Ctx& c, const BookingRow& b) {
  c.d.events.emplace_back(events::BookingCodeResent{c.msg.message_id, c.office.id, c.msg.from,
                                                    b.code, b.date, b.session, b.arrive_by,
                                                    b.queue_number});
  TellBooking(c, Outcome::Kind::kRepeated, b);
}

// Checks of the day asked for; true when a rejection was recorded.
Result<bool> RejectDate(Ctx& c, const Date& arrival, const Parsed& parsed) {
  const std::string asked = UserDate(arrival);
  if (arrival < c.now.date) {
    Reject(c, "arrival_date_in_past", "Tanggal kedatangan " + asked + " sudah lewat.",
           {{"date", asked}}, parsed, NextDateText(c, c.now.date));
    return true;
  }
  if (arrival > Horizon(c)) {
    Reject(c, "arrival_beyond_horizon",
           "Pendaftaran hanya dibuka untuk kedatangan paling lambat " + UserDate(Horizon(c)) + ".",
           {{"date", asked}}, parsed, NextDateText(c, c.now.date));
    return true;
  }
  if (!c.office.IsOpenOn(arrival)) {
    auto after = domain::AddDays(arrival, 1);
    Reject(c, "office_closed", "Kantor tidak melayani pada " + asked + ".", {{"date", asked}},
           parsed, after.ok() ? NextDateText(c, *after) : "");
    return true;
  }
  return false;
}

Status Register(Ctx& c, const domain::Registration& reg) {
  const std::string birth = domain::FormatDate(reg.birth_date);
  Parsed parsed{reg.name_key, birth, std::nullopt};
  if (reg.arrival_date) parsed.arrival_date = domain::FormatDate(*reg.arrival_date);

  auto phone = ReadRow<PhoneRow>(c.state, PhoneRowKey(c.msg.from));
  if (!phone.ok()) return phone.status();
  if (phone->has_value() && (*phone)->blacklisted) {
    Reject(c, "phone_blacklisted", "Nomor ini diblokir.", {}, parsed);
    return Status::Ok();
  }
  if (!c.office.AcceptsRegistrationAt(c.now.time)) {
    const auto& w = *c.office.registration_window;
    std::string window = domain::FormatTimeOfDay(w.start) + "-" + domain::FormatTimeOfDay(w.end) +
                         " " + std::string(domain::TimeZoneName(c.office.time_zone));
    Reject(c, "outside_registration_window", "Pendaftaran dilayani pukul " + window + ".",
           {{"window", window}}, parsed);
    return Status::Ok();
  }
  if (c.office.requires_ektp_photo && !(c.msg.media && c.msg.media->kind == "image")) {
    Reject(c, "missing_ektp_photo", "Pesan pendaftaran harus disertai foto e-KTP.", {}, parsed);
    return Status::Ok();
  }
  if (reg.birth_date > c.now.date) {
    Reject(c, "birth_date_in_future",
           "Tanggal lahir " + UserDate(reg.birth_date) + " belum terjadi.", {}, parsed);
    return Status::Ok();
  }
  if (reg.arrival_date) {
    auto rejected = RejectDate(c, *reg.arrival_date, parsed);
    if (!rejected.ok()) return rejected.status();
    if (*rejected) return Status::Ok();
  }

  const std::string person = events::PersonRef(reg.name_key, birth);
  const int age = AgeInYears(reg.birth_date, reg.arrival_date.value_or(c.now.date));
  std::string relation = age < kToddlerAgeBelow  ? "toddler"
                         : age >= kElderlyAgeFrom ? "elderly"
                                                  : "owner";
  if (relation == "owner" && phone->has_value() && !(*phone)->owner.empty() &&
      (*phone)->owner != person) {
    const std::string owner = (*phone)->owner.substr(0, (*phone)->owner.rfind('|'));
    Reject(c, "phone_registered_to_other_adult",
           "Nomor ini sudah dipakai mendaftar atas nama " + owner +
               ". Satu nomor WhatsApp hanya untuk satu orang dewasa; balita dan lansia boleh "
               "didaftarkan keluarganya.",
           {}, parsed);
    return Status::Ok();
  }

  auto person_row = ReadRow<PersonRow>(c.state, PersonRowKey(person));
  if (!person_row.ok()) return person_row.status();
  if (person_row->has_value() && !(*person_row)->active_code.empty()) {
    auto booking = ReadRow<BookingRow>(c.state, BookingRowKey((*person_row)->active_code));
    if (!booking.ok()) return booking.status();
    if (booking->has_value() && IsActive(**booking, c.msg.at)) {
      if ((*booking)->phone == c.msg.from) {
        Repeat(c, **booking);
      } else {
        // The code is not repeated here: this phone did not book it.
        Reject(c, "person_has_active_booking",
               reg.name_key + " sudah memiliki kode booking yang belum digunakan.", {}, parsed);
      }
      return Status::Ok();
    }
  }

  // The day: the one asked for, or (no arrival date in the format) the first with room.
  std::optional<Date> date = reg.arrival_date;
  if (!date) {
    auto from = domain::AddDays(c.now.date, 1);
    auto found = NextDateWithRoom(c, from.ok() ? *from : c.now.date, Horizon(c));
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      Reject(c, "day_full", "Tidak ada kuota tersisa sampai " + UserDate(Horizon(c)) + ".",
             {{"date", UserDate(Horizon(c))}}, parsed);
      return Status::Ok();
    }
    date = **found;
  }
  auto session = FindSession(c, *date);
  if (!session.ok()) return session.status();
  if (!session->session) {
    auto after = domain::AddDays(*date, 1);
    std::string next = after.ok() ? NextDateText(c, *after) : "";
    if (*date == c.now.date && session->places_left) {
      // Today, with places left but every session's arrive-by time gone: the day is not full,
      // and the applicant must not be told it is. Coming today is what is too late.
      Reject(c, "arrival_date_in_past",
             "Batas waktu kedatangan untuk hari ini (" + UserDate(*date) + ") sudah lewat.",
             {{"date", UserDate(*date)}}, parsed, next);
      return Status::Ok();
    }
    Reject(c, "day_full", "Kuota tanggal " + UserDate(*date) + " sudah penuh.",
           {{"date", UserDate(*date)}}, parsed, next);
    return Status::Ok();
  }
  return Issue(c, reg, relation, *date, *session->session);
}

std::string StatusText(std::string_view status) {
  if (status == "issued") return "terdaftar, belum digunakan";
  if (status == "arrived") return "pemohon sudah hadir";
  if (status == "completed") return "berkas sudah diserahkan";
  if (status == "returned") return "berkas dikembalikan karena belum lengkap";
  if (status == "forfeited") return "hangus karena terlambat";
  if (status == "expired") return "hangus karena tidak hadir";
  return std::string(status);
}

Status Inform(Ctx& c, const domain::InfoRequest& info) {
  c.d.outcome.kind = Outcome::Kind::kInformation;
  c.d.outcome.information = std::string(domain::InfoCommandName(info.command));
  events::InformationRequested asked{c.msg.message_id, c.office.id, c.msg.from,
                                     c.d.outcome.information, std::nullopt};
  if (info.command == domain::InfoCommand::kCheckBooking) {
    asked.argument = NormalizeBookingCode(info.argument);
  } else if (info.command == domain::InfoCommand::kApplicationStatus) {
    asked.argument = info.argument;
  }
  c.d.events.emplace_back(std::move(asked));
  switch (info.command) {
    case domain::InfoCommand::kHelp:
      QueueReply(c, Render(c, c.office.Reply("help"), {}));
      break;
    case domain::InfoCommand::kRequirements:
      QueueReply(c, Render(c, c.office.Reply("requirements"),
                           {{"requirements", c.office.RequirementsText()}}));
      break;
    case domain::InfoCommand::kPayment:
      QueueReply(c, Render(c, c.office.Reply("payment"), {}));
      break;
    case domain::InfoCommand::kCheckBooking: {
      const std::string code = NormalizeBookingCode(info.argument);
      auto b = ReadRow<BookingRow>(c.state, BookingRowKey(code));
      if (!b.ok()) return b.status();
      // Only the phone that booked may see a booking: a code alone is not proof of anything.
      if (b->has_value() && (*b)->phone == c.msg.from) {
        Values v = BookingValues(**b, c.office.time_zone);
        v.emplace_back("status", StatusText((*b)->status));
        QueueReply(c, Render(c, c.office.Reply("booking_status"), std::move(v)));
      } else {
        QueueReply(c, Render(c, c.office.Reply("booking_not_found"), {{"code", code}}));
      }
      break;
    }
    case domain::InfoCommand::kApplicationStatus: {
      auto row = c.state.Read(projections::ApplicationRowKey(info.argument));
      if (!row.ok()) return row.status();
      projections::ApplicationRow app;
      std::string status = "belum ada data progres untuk nomor ini";
      if (row->has_value() && Decode(**row, &app).ok()) status = app.stage;
      QueueReply(c, Render(c, c.office.Reply("application_status"),
                           {{"application_number", info.argument}, {"status", status}}));
      break;
    }
  }
  return Status::Ok();
}

// A received text is kept whole up to this many bytes, and cut (at a character boundary) beyond
// it. WhatsApp's own limit is 4096 characters (16 KiB), which the parser refuses beyond anyway;
// without a cut, a webhook text over an event payload's 1 MiB would not be recorded at all.
constexpr std::size_t kReceivedTextBytesMax = 64 * 1024;

events::MessageReceived Received(const InboundMessage& m, const OfficeConfig* office) {
  events::MessageReceived e;
  e.message_id = m.message_id;
  e.office = m.office;
  e.from = m.from;
  e.to = m.to;
  e.profile_name = m.profile_name;
  e.kind = m.kind;
  e.text = std::string(Utf8Prefix(m.text, kReceivedTextBytesMax));
  e.media = m.media;
  e.received_at = domain::FormatRfc3339(
      m.at, office != nullptr ? domain::UtcOffsetMinutes(office->time_zone) : 0);
  e.channel = m.channel;
  return e;
}

}  // namespace

InboundMessage MessageOf(const events::MessageReceived& e, domain::Instant at) {
  InboundMessage m;
  m.message_id = e.message_id;
  m.office = e.office;
  m.from = e.from;
  m.to = e.to;
  m.profile_name = e.profile_name;
  m.kind = e.kind;
  m.text = e.text;
  m.media = e.media;
  m.at = at;
  m.channel = e.channel;
  return m;
}

namespace {

// Message kinds whose text (or caption) is read; other kinds are recorded, and some answered.
bool CarriesText(std::string_view kind) {
  return kind == "text" || kind == "image" || kind == "document" || kind == "video";
}

}  // namespace

Result<Decision> DecideMessage(const OfficeConfig* office, const InboundMessage& message,
                               StateReader& state, std::string_view code_key) {
  if (office == nullptr) {
    Decision d;
    d.events.emplace_back(Received(message, nullptr));
    events::RegistrationRejected e;
    e.message_id = message.message_id;
    e.office = message.office;
    e.phone = message.from;
    e.reason = "unknown_office";
    e.detail = "no office takes messages on this number";
    d.events.emplace_back(std::move(e));
    d.outcome.kind = Outcome::Kind::kRejected;
    d.outcome.reason = "unknown_office";
    return d;
  }
  auto local = domain::ToLocal(message.at, office->time_zone);
  if (!local.ok()) return Status::InvalidArgument("at: " + local.status().message());
  Ctx c{*office, message, state, code_key, *local, {}};
  c.d.events.emplace_back(Received(message, office));
  Status s;
  if (message.kind == "reaction") {
    c.d.outcome.kind = Outcome::Kind::kRecorded;  // an emoji on a reply is not a request
  } else if (!CarriesText(message.kind)) {
    s = Inform(c, domain::InfoRequest{domain::InfoCommand::kHelp, {}});
  } else {
    auto parsed = domain::ParseMessage(message.text, office->message_format);
    if (auto* reg = std::get_if<domain::Registration>(&parsed)) {
      s = Register(c, *reg);
    } else if (auto* info = std::get_if<domain::InfoRequest>(&parsed)) {
      s = Inform(c, *info);
    } else {
      const auto& err = std::get<domain::ParseError>(parsed);
      Reject(c, err.reason, err.detail);
    }
  }
  if (!s.ok()) return s;
  return std::move(c.d);
}

int AgeInYears(const Date& birth, const Date& on) {
  int age = on.y - birth.y;
  if (on.m < birth.m || (on.m == birth.m && on.d < birth.d)) --age;
  return age < 0 ? 0 : age;
}

Result<domain::Instant> ArriveBy(const OfficeConfig& office, const Date& date,
                                 domain::TimeOfDay session) {
  auto start = domain::ToInstant(date, session, office.time_zone);
  if (!start.ok()) return start.status();
  return domain::Instant{start->micros_since_epoch -
                         office.arrive_early_minutes * domain::kMicrosPerMinute};
}

std::string UserDate(const Date& date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", date.d % 100, date.m % 100, date.y % 10000);
  return buf;
}

std::string UserClockTime(const std::string& rfc3339_local, domain::TimeZone zone) {
  // "2026-03-04T07:30:00+07:00": characters 11..15 are the local HH:MM.
  const std::string hhmm = rfc3339_local.size() >= 16 ? rfc3339_local.substr(11, 5) : rfc3339_local;
  return hhmm + " " + std::string(domain::TimeZoneName(zone));
}

std::string_view OutcomeKindName(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::kIssued: return "issued";
    case Outcome::Kind::kRepeated: return "repeated";
    case Outcome::Kind::kRejected: return "rejected";
    case Outcome::Kind::kInformation: return "information";
    case Outcome::Kind::kRecorded: return "recorded";
    case Outcome::Kind::kArrived: return "arrived";
    case Outcome::Kind::kForfeited: return "forfeited";
    case Outcome::Kind::kArrivalRejected: return "arrival_rejected";
    case Outcome::Kind::kExpired: return "expired";
  }
  return "recorded";
}

}  // namespace antrean::app
