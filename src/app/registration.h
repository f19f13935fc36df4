// The decision step for an inbound WhatsApp message: a pure function of the office's rules, the
// message, and the decision state it reads. It returns the events to append and the outcome for
// the caller; it writes nothing itself (docs/DECISIONS.md).
//
// Given the same rules, message and state it returns the same events, byte for byte: booking codes
// are derived with a keyed MAC, times come from the message's `at`, never from a clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "projections/decision_state.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/event.h"

namespace antrean::app {

using projections::StateReader;

struct InboundMessage {
  std::string message_id;
  std::string office;  // the office id the message was addressed to
  std::string from;    // normalised phone (domain::NormalizePhone)
  std::optional<std::string> to;
  std::optional<std::string> profile_name;
  std::string kind = "text";  // WhatsApp's message type
  std::string text;           // text, or the caption of media
  std::optional<events::Media> media;
  domain::Instant at;         // when WhatsApp says it was sent: the decision's clock
  std::string channel = "whatsapp";
};

// What the caller is told. Fields not used by a kind are left empty.
struct Outcome {
  enum class Kind {
    kIssued,           // a new booking code
    kRepeated,         // the same phone sent the same registration: its existing code again
    kRejected,         // a registration answered with a reason
    kInformation,      // #syarat, #bayar, #cek, an application number, help
    kRecorded,         // recorded only: a reaction, an identity check, documents, progress
    kArrived,          // counter: on time
    kForfeited,        // counter: late; the code is void
    kArrivalRejected,  // counter: the code was not accepted (reason)
    kExpired,          // clock: bookings expired as no-shows (count in `expired`)
  };
  Kind kind = Kind::kRecorded;
  std::string booking_code;
  std::uint32_t queue_number = 0;
  std::string date;
  std::string session;
  std::string arrive_by;
  std::string reason;
  std::string detail;
  std::string next_available_date;
  std::string information;  // for kInformation: which command
  std::string reply;        // the reply text queued, empty if none
  std::uint32_t expired = 0;  // for kExpired: how many bookings
};
std::string_view OutcomeKindName(Outcome::Kind kind);

// The decision's events; the state rows they change follow from projections::FoldEvent.
struct Decision {
  std::vector<events::Event> events;
  Outcome outcome;
};

// `office` is null when the message came to a number no office owns. `code_key` is the secret
// booking codes are derived with (app/booking_code.h).
Result<Decision> DecideMessage(const domain::OfficeConfig* office, const InboundMessage& message,
                               StateReader& state, std::string_view code_key);

// The message a "message received" event records, as DecideMessage was given it (`at` is the
// event's recorded_at): the inverse of the event DecideMessage makes first (app/recheck.h decides
// recorded messages again with it).
InboundMessage MessageOf(const events::MessageReceived& received, domain::Instant at);

// Whole years from `birth` to `on` (0 if `on` is before `birth`).
int AgeInYears(const domain::Date& birth, const domain::Date& on);
// The arrival deadline of a session: its start minus the office's arrive_early_minutes.
Result<domain::Instant> ArriveBy(const domain::OfficeConfig& office, const domain::Date& date,
                                 domain::TimeOfDay session);
// "25-01-1987": dates as Indonesians write them, for reply texts.
std::string UserDate(const domain::Date& date);
// "07:30 WIB": the local clock time of an instant stored in the office's own offset (arrive_by),
// for reply texts.
std::string UserClockTime(const std::string& rfc3339_local, domain::TimeZone zone);

}  // namespace antrean::app
