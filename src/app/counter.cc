#include "app/counter.h"

#include "app/booking_code.h"
#include "events/event_types.h"
#include "projections/decision_state.h"

namespace antrean::app {
namespace {

using projections::BookingRow;
using projections::BookingRowKey;
using projections::ReadRow;

// The application number SIGAP answers to (DOMAIN.md, rule 9).
constexpr std::size_t kApplicationNumberDigits = 16;

std::string Local(domain::Instant at, const domain::OfficeConfig& office) {
  return domain::FormatRfc3339(at, office.time_zone);
}

Decision Rejected(const domain::OfficeConfig& office, const ArrivalCommand& c, std::string code,
                  std::string_view reason, const BookingRow* b) {
  events::ArrivalRejected e;
  e.code = std::move(code);
  e.office = office.id;
  e.reason = std::string(reason);
  e.attempted_at = Local(c.ctx.at, office);
  if (b != nullptr) {
    e.booking_office = b->office;
    e.booking_date = b->date;
  }
  Decision d;
  d.outcome.kind = Outcome::Kind::kArrivalRejected;
  d.outcome.booking_code = e.code;
  d.outcome.reason = e.reason;
  d.events.emplace_back(std::move(e));
  return d;
}

// Why a known booking cannot be checked in here and now; empty when it can.
std::string_view Refusal(const domain::OfficeConfig& office, const BookingRow& b,
                         const std::string& today) {
  if (b.office != office.id) return "other_office";
  if (b.status == "arrived") return "already_arrived";
  if (b.status == "expired") return "booking_expired";
  if (b.status == "forfeited") return "booking_forfeited";
  if (b.status == "completed") return "booking_completed";
  if (b.status == "returned") return "booking_returned";
  if (b.date != today) return "other_day";
  return {};
}

Result<BookingRow> KnownBooking(const std::string& typed, StateReader& state) {
  const std::string code = NormalizeBookingCode(typed);
  auto b = ReadRow<BookingRow>(state, BookingRowKey(code));
  if (!b.ok()) return b.status();
  if (!b->has_value()) return Status::NotFound("no booking has code \"" + code + "\"");
  return std::move(**b);
}

}  // namespace

Result<Decision> DecideArrival(const domain::OfficeConfig& office, const ArrivalCommand& c,
                               StateReader& state) {
  const std::string code = NormalizeBookingCode(c.code);
  switch (CheckBookingCode(code)) {
    case CodeCheck::kMalformed: return Rejected(office, c, code, "unknown_code", nullptr);
    case CodeCheck::kBadCheckCharacter:
      return Rejected(office, c, code, "bad_check_character", nullptr);
    case CodeCheck::kValid: break;
  }
  auto row = ReadRow<BookingRow>(state, BookingRowKey(code));
  if (!row.ok()) return row.status();
  if (!row->has_value()) return Rejected(office, c, code, "unknown_code", nullptr);
  const BookingRow& b = **row;
  auto local = domain::ToLocal(c.ctx.at, office.time_zone);
  if (!local.ok()) return Status::InvalidArgument("at: " + local.status().message());
  if (auto why = Refusal(office, b, domain::FormatDate(local->date)); !why.empty()) {
    return Rejected(office, c, code, why, &b);
  }
  Decision d;
  d.outcome.booking_code = b.code;
  d.outcome.queue_number = b.queue_number;
  d.outcome.date = b.date;
  d.outcome.session = b.session;
  d.outcome.arrive_by = b.arrive_by;
  if (c.ctx.at.micros_since_epoch <= b.arrive_by_us) {  // rule 4: by arrive_by, inclusive
    d.events.emplace_back(events::ApplicantArrived{b.code, b.office, b.date, b.session,
                                                   Local(c.ctx.at, office), b.arrive_by,
                                                   b.queue_number});
    d.outcome.kind = Outcome::Kind::kArrived;
    return d;
  }
  d.events.emplace_back(events::BookingForfeited{b.code, b.office, b.date, "late",
                                                 Local(c.ctx.at, office), b.arrive_by, b.phone});
  d.outcome.kind = Outcome::Kind::kForfeited;
  d.outcome.reason = "late";
  std::string text = domain::RenderReply(
      office.Reply("forfeited"),
      {{"code", b.code},
       {"arrive_by", UserClockTime(b.arrive_by, office.time_zone)},
       {"office", office.name}});
  d.events.emplace_back(
      events::ReplyQueued{c.ctx.cause_id + "/reply", office.id, b.phone, text, c.ctx.cause_id});
  d.outcome.reply = std::move(text);
  return d;
}

Result<Decision> DecideIdentityCheck(const domain::OfficeConfig& office,
                                     const IdentityCheckCommand& c, StateReader& state) {
  auto b = KnownBooking(c.code, state);
  if (!b.ok()) return b.status();
  Decision d;
  d.events.emplace_back(events::IdentityChecked{b->code, office.id, b->date, c.person_matches,
                                                c.phone_matches, c.note});
  d.outcome.kind = Outcome::Kind::kRecorded;
  d.outcome.booking_code = b->code;
  return d;
}

Result<Decision> DecideDocuments(const domain::OfficeConfig& office, const DocumentsCommand& c,
                                 StateReader& state) {
  auto b = KnownBooking(c.code, state);
  if (!b.ok()) return b.status();
  if (b->office != office.id) {
    return Status::InvalidArgument("booking " + b->code + " is for office " + b->office);
  }
  if (b->status == "completed" || b->status == "returned") {
    return Status::InvalidArgument("booking " + b->code + " is " + b->status +
                                   ": its documents were already " +
                                   (b->status == "completed" ? "handed in" : "returned"));
  }
  if (b->status != "arrived") {
    return Status::InvalidArgument("booking " + b->code + " is " + b->status +
                                   "; documents are handed in only after arrival");
  }
  Decision d;
  if (c.returned) {
    d.events.emplace_back(events::DocumentsReturned{b->code, office.id, b->date, c.reason});
  } else {
    d.events.emplace_back(events::DocumentsSubmitted{b->code, office.id, b->date});
  }
  d.outcome.kind = Outcome::Kind::kRecorded;
  d.outcome.booking_code = b->code;
  return d;
}

Result<Decision> DecideApplicationProgress(const domain::OfficeConfig& office,
                                           const ApplicationProgressCommand& c) {
  const auto& n = c.application_number;
  if (n.size() != kApplicationNumberDigits ||
      n.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("field \"application_number\": expected 16 digits");
  }
  if (c.stage.empty()) return Status::InvalidArgument("field \"stage\": must not be empty");
  Decision d;
  d.events.emplace_back(events::ApplicationProgressRecorded{n, office.id, c.stage, c.note});
  d.outcome.kind = Outcome::Kind::kRecorded;
  return d;
}

Result<Decision> DecideExpiries(const ClockTickCommand& c, const std::vector<std::string>& codes,
                                StateReader& state) {
  Decision d;
  d.outcome.kind = Outcome::Kind::kExpired;
  for (const auto& code : codes) {
    auto row = ReadRow<BookingRow>(state, BookingRowKey(code));
    if (!row.ok()) return row.status();
    if (!row->has_value() || (*row)->status != "issued") continue;
    const BookingRow& b = **row;
    if (b.arrive_by_us >= c.at.micros_since_epoch) continue;  // not yet past its deadline
    auto offset = domain::Rfc3339UtcOffsetMinutes(b.arrive_by);
    if (!offset.ok())
      return Status::Corruption("booking " + b.code + ": " + offset.status().message());
    d.events.emplace_back(events::BookingExpired{b.code, b.office, b.date, b.arrive_by,
                                                 domain::FormatRfc3339(c.at, *offset), b.phone});
    ++d.outcome.expired;
  }
  return d;
}

}  // namespace antrean::app
