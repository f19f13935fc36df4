#include "projections/fold.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "domain/civil_time.h"
#include "events/event_types.h"
#include "events/keys.h"

namespace antrean::projections {
namespace {

// The event types that change rows: FoldEvent has a branch for each, and FoldReads answers from
// this one list, so replay decodes exactly what the fold reads.
using Folded =
    events::EventSet<events::BookingCodeIssued, events::ApplicantArrived, events::BookingForfeited,
                     events::BookingExpired, events::DocumentsSubmitted, events::DocumentsReturned,
                     events::PhoneBlacklisted, events::PhoneUnblacklisted, events::PhoneFlagged,
                     events::FlagCleared, events::ApplicationProgressRecorded,
                     events::OfficeConfigurationApplied, events::ReplyQueued, events::ReplySent,
                     events::ReplyFailed>;
template <class T>
[[maybe_unused]] constexpr bool kNoBranch = false;  // clang 14: used only in a static_assert

std::string Utc(std::int64_t at_us) { return domain::FormatRfc3339(domain::Instant{at_us}, 0); }

// Clears the person's pointer to `code` once the booking is used up, so that they may book again.
Status ReleasePerson(StateRows& rows, const std::string& person_ref, const std::string& code) {
  auto person = EditRow<PersonRow>(rows, PersonRowKey(person_ref));
  if (!person.ok()) return person.status();
  if ((*person)->active_code != code) return Status::Ok();
  (*person)->active_code.clear();  // the detection's part of the row stays as it is
  std::move(*person).Commit(rows);
  return Status::Ok();
}

// The board counter a transition to `status` raises.
std::uint32_t* Counter(SessionCounts& c, std::string_view status) {
  if (status == "arrived") return &c.arrived;
  if (status == "forfeited") return &c.forfeited;
  if (status == "expired") return &c.expired;
  if (status == "completed") return &c.completed;
  if (status == "returned") return &c.returned;
  return nullptr;
}

// Moves a booking to `status`, counts it on its day's board, and (`release`) frees its person.
Status SetStatus(StateRows& rows, const std::string& code, const char* status, bool release) {
  auto b = EditRow<BookingRow>(rows, BookingRowKey(code));
  if (!b.ok()) return b.status();
  BookingRow& booking = **b;
  if (booking.code.empty()) return Status::Ok();  // a code never issued: nothing to change
  if (booking.status == "issued") {
    rows.Erase(DeadlineRowKey(booking.arrive_by_us, code));  // no longer waited for by the sweep
  }
  booking.status = status;
  const std::string day_key = DayRowKey(booking.office, booking.date);
  const std::string session = booking.session;
  const std::string person = booking.person;
  std::move(*b).Commit(rows);
  auto day = EditRow<DayRow>(rows, day_key);
  if (!day.ok()) return day.status();
  if (std::uint32_t* n = Counter((*day)->sessions[session], status)) ++*n;
  std::move(*day).Commit(rows);
  return release ? ReleasePerson(rows, person, code) : Status::Ok();
}

Status FoldIssued(const events::BookingCodeIssued& e, StateRows& rows) {
  auto by = domain::ParseRfc3339(e.arrive_by);
  if (!by.ok()) {
    return Status::InvalidArgument("booking_code_issued: arrive_by: " + by.status().message());
  }
  auto day = EditRow<DayRow>(rows, DayRowKey(e.office, e.date));
  if (!day.ok()) return day.status();
  (*day)->issued = std::max((*day)->issued, e.queue_number);
  (*day)->sessions[e.session].issued += 1;
  std::move(*day).Commit(rows);

  const std::string person_ref = events::PersonRef(e.name, e.birth_date);
  const std::int64_t arrive_by_us = by->micros_since_epoch;
  WriteRow(
      rows, BookingRowKey(e.code),
      BookingRow{e.code, e.office, e.date, e.session, e.queue_number, e.phone, person_ref, e.name,
                 e.birth_date, e.relation, "issued", e.arrive_by, arrive_by_us, e.message_id});
  auto person = EditRow<PersonRow>(rows, PersonRowKey(person_ref));
  if (!person.ok()) return person.status();
  (*person)->active_code = e.code;
  std::move(*person).Commit(rows);
  rows.Write(DeadlineRowKey(arrive_by_us, e.code), e.code);
  if (e.relation == "owner") {
    auto phone = EditRow<PhoneRow>(rows, PhoneRowKey(e.phone));
    if (!phone.ok()) return phone.status();
    if ((*phone)->owner.empty()) {
      (*phone)->owner = person_ref;
      std::move(*phone).Commit(rows);
    }
  }
  return Status::Ok();
}

Status FoldBlacklisted(const events::PhoneBlacklisted& e, const FoldContext& ctx, StateRows& rows) {
  auto phone = LoadRow<PhoneRow>(rows, PhoneRowKey(e.phone));
  if (!phone.ok()) return phone.status();
  phone->blacklisted = true;
  WriteRow(rows, PhoneRowKey(e.phone), std::move(*phone));
  BlacklistRow b;
  b.in_force = true;
  b.reason = e.reason;
  b.evidence = e.evidence;
  b.automatic = e.automatic;
  b.rule = e.rule.value_or("");
  b.decided_by = e.automatic && ctx.actor.empty() ? "rule:" + b.rule : std::string(ctx.actor);
  b.decided_at = Utc(ctx.at_us);
  rows.Write(BlacklistRowKey(e.phone), Encode(b));
  return Status::Ok();
}

Status FoldUnblacklisted(const events::PhoneUnblacklisted& e, const FoldContext& ctx,
                         StateRows& rows) {
  auto phone = LoadRow<PhoneRow>(rows, PhoneRowKey(e.phone));
  if (!phone.ok()) return phone.status();
  phone->blacklisted = false;
  WriteRow(rows, PhoneRowKey(e.phone), std::move(*phone));
  auto b = LoadRow<BlacklistRow>(rows, BlacklistRowKey(e.phone));
  if (!b.ok()) return b.status();
  b->in_force = false;
  b->lifted_by = std::string(ctx.actor);
  b->lifted_reason = e.reason;
  rows.Write(BlacklistRowKey(e.phone), Encode(*b));
  return Status::Ok();
}

Status FoldFlagged(const events::PhoneFlagged& e, const FoldContext& ctx, StateRows& rows) {
  FlagRow f{e.flag_id, e.phone,        e.rule, e.score, e.evidence, e.persons, e.phones,
            e.detail,  Utc(ctx.at_us), true,   {},      {},         e.offices};
  rows.Write(FlagRowKey(e.flag_id), Encode(f));
  return Status::Ok();
}

Status FoldCleared(const events::FlagCleared& e, const FoldContext& ctx, StateRows& rows) {
  auto f = LoadRow<FlagRow>(rows, FlagRowKey(e.flag_id));
  if (!f.ok()) return f.status();
  if (f->flag_id.empty()) return Status::Ok();  // clearing a flag never raised: nothing to change
  f->in_force = false;
  f->cleared_by = std::string(ctx.actor);
  f->cleared_reason = e.reason;
  rows.Write(FlagRowKey(e.flag_id), Encode(*f));
  return Status::Ok();
}

// The outbox's work list: a queued reply waits in ob/ until it is sent or fails for good.
Status FoldReplyQueued(const events::ReplyQueued& e, const FoldContext& ctx, StateRows& rows) {
  WriteRow(rows, OutboxRowKey(e.reply_id),
           OutboxRow{e.office, e.to, e.text, e.in_reply_to, 0, ctx.at_us, ctx.at_us});
  return Status::Ok();
}

Status FoldReplyFailed(const events::ReplyFailed& e, StateRows& rows) {
  if (e.final) {
    rows.Erase(OutboxRowKey(e.reply_id));
    return Status::Ok();
  }
  auto row = ReadRow<OutboxRow>(rows, OutboxRowKey(e.reply_id));
  if (!row.ok()) return row.status();
  if (!row->has_value()) return Status::Ok();  // not waiting (a late outcome): nothing to change
  (*row)->attempts = e.attempt;
  if (e.retry_at) {
    auto at = domain::ParseRfc3339(*e.retry_at);
    if (!at.ok()) return Status::InvalidArgument("reply_failed: retry_at: " + at.status().message());
    (*row)->due_us = at->micros_since_epoch;
  }
  WriteRow(rows, OutboxRowKey(e.reply_id), std::move(**row));
  return Status::Ok();
}

Status FoldConfiguration(const events::OfficeConfigurationApplied& e, StateRows& rows) {
  ConfigRow row;
  row.digest = e.config_digest;
  // The capacities as configured; the configuration is office_config's canonical JSON.
  if (const auto* sessions = e.config.if_contains("sessions"); sessions && sessions->is_array()) {
    for (const auto& s : sessions->as_array()) {
      if (!s.is_object()) continue;
      const auto* start = s.as_object().if_contains("start");
      const auto* capacity = s.as_object().if_contains("capacity");
      if (start && start->is_string() && capacity && capacity->is_int64()) {
        row.capacity[std::string(start->as_string())] =
            static_cast<std::uint32_t>(capacity->as_int64());
      }
    }
  }
  if (const auto* q = e.config.if_contains("daily_quota"); q && q->is_int64()) {
    row.daily_quota = static_cast<std::uint32_t>(q->as_int64());
  }
  rows.Write(ConfigRowKey(e.office), Encode(row));
  return Status::Ok();
}

}  // namespace

Status FoldEvent(const events::Event& event, const FoldContext& ctx, StateRows& rows) {
  return std::visit(
      [&](const auto& e) -> Status {
        using T = std::decay_t<decltype(e)>;
        if constexpr (!Folded::kHas<T>) {
          return Status::Ok();  // no row depends on it
        } else if constexpr (std::is_same_v<T, events::BookingCodeIssued>) {
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
          return FoldBlacklisted(e, ctx, rows);
        } else if constexpr (std::is_same_v<T, events::PhoneUnblacklisted>) {
          return FoldUnblacklisted(e, ctx, rows);
        } else if constexpr (std::is_same_v<T, events::PhoneFlagged>) {
          return FoldFlagged(e, ctx, rows);
        } else if constexpr (std::is_same_v<T, events::FlagCleared>) {
          return FoldCleared(e, ctx, rows);
        } else if constexpr (std::is_same_v<T, events::ApplicationProgressRecorded>) {
          rows.Write(ApplicationRowKey(e.application_number),
                     Encode(ApplicationRow{e.office, e.stage}));
          return Status::Ok();
        } else if constexpr (std::is_same_v<T, events::OfficeConfigurationApplied>) {
          return FoldConfiguration(e, rows);
        } else if constexpr (std::is_same_v<T, events::ReplyQueued>) {
          return FoldReplyQueued(e, ctx, rows);
        } else if constexpr (std::is_same_v<T, events::ReplySent>) {
          rows.Erase(OutboxRowKey(e.reply_id));
          rows.Write(ProviderMessageRowKey(e.provider_message_id), e.reply_id);
          return Status::Ok();
        } else if constexpr (std::is_same_v<T, events::ReplyFailed>) {
          return FoldReplyFailed(e, rows);
        } else {
          static_assert(kNoBranch<T>, "a type in Folded needs its branch here");
        }
      },
      event);
}

bool FoldReads(std::string_view type) { return Folded::Names(type); }

}  // namespace antrean::projections
