// The domain events: one plain struct per event, each with its stable versioned type name.
//
// A type name is stored with every event and never changes once published (docs/EVENTS.md,
// "Versioning"). A struct changes only together with a new type name and an upcaster in
// events/upcast.cc; the struct then always describes the current version.
//
// Value conventions (checked when decoding, events/codec.h):
//   date     "YYYY-MM-DD", a calendar date in the office's local time
//   time     "HH:MM", a local time of day
//   instant  RFC 3339 with its offset, "2026-03-02T07:31:05+07:00" (the office's offset where
//            there is an office; the local date of an instant is then its first 10 characters)
//   phone    digits with country code, no "+" and no leading 0: "6281234567890"
// The acting officer or auditor is not a payload field: it is the envelope's store::Cause::actor.
#pragma once

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace antrean::events {

// A code with the one sentence saying what it means: for the fixed reason lists below.
struct ReasonCode {
  std::string_view code;
  std::string_view meaning;
};

// True if `code` is one of `kList`'s codes: InList<kDeliveryStatuses>("read").
template <const auto& kList>
bool InList(std::string_view code) {
  return std::any_of(kList.begin(), kList.end(),
                     [code](const ReasonCode& r) { return r.code == code; });
}

// Why a registration message got no booking code (registration_rejected.v2 "reason").
inline constexpr std::array<ReasonCode, 15> kRegistrationRejectionReasons{{
    {"unreadable_message", "the text does not follow the office's format"},
    {"invalid_name", "the name is empty, too long or holds characters a name cannot"},
    {"invalid_birth_date", "the birth date is not a real DDMMYYYY date"},
    {"birth_date_in_future", "the birth date is after today"},
    {"invalid_arrival_date", "the arrival date is not a real DDMMYYYY date"},
    {"arrival_date_in_past", "the arrival date is before today"},
    {"arrival_beyond_horizon", "the arrival date is further ahead than the office books"},
    {"office_closed", "the office does not serve on the arrival date"},
    {"outside_registration_window", "the message came outside the office's registration hours"},
    {"missing_ektp_photo", "the office requires a photo of the e-KTP and none came"},
    {"phone_registered_to_other_adult", "this phone already books for another adult"},
    {"person_has_active_booking", "this person already holds a booking not yet used"},
    {"phone_blacklisted", "this phone is blacklisted"},
    {"day_full", "the arrival date's quota is used up"},
    {"unknown_office", "the message came to a number no office owns"},
}};

// Why a code shown at the counter was not accepted (arrival_rejected.v1 "reason").
inline constexpr std::array<ReasonCode, 9> kArrivalRejectionReasons{{
    {"unknown_code", "no booking has this code"},
    {"bad_check_character", "the code's check character is wrong: a typing error or a forgery"},
    {"other_office", "the booking is for another office"},
    {"other_day", "the booking is for another day"},
    {"already_arrived", "the applicant's arrival was already recorded"},
    {"booking_expired", "the day passed without the applicant coming"},
    {"booking_forfeited", "the applicant came after the arrive-by time; the code is void"},
    {"booking_completed", "the documents were already handed in"},
    {"booking_returned", "the documents were already returned as incomplete"},
}};

// Whom a booking is for, relative to the phone that registered it (rule 2, DOMAIN.md).
inline constexpr std::array<ReasonCode, 3> kRelations{{
    {"owner", "the applicant registered from their own phone"},
    {"toddler", "a child under 5, registered from a parent's phone"},
    {"elderly", "a person 60 or older, registered from a close family member's phone"},
}};

// WhatsApp's delivery statuses (reply_delivery_status.v1 "status").
inline constexpr std::array<ReasonCode, 4> kDeliveryStatuses{{
    {"sent", "WhatsApp accepted the message"},
    {"delivered", "the message reached the recipient's phone"},
    {"read", "the recipient opened the message"},
    {"failed", "WhatsApp could not deliver the message"},
}};

// Where an inbound message came from (message_received.v1 "channel").
inline constexpr std::array<ReasonCode, 2> kChannels{{
    {"whatsapp", "the WhatsApp Business webhook"},
    {"import", "imported from an earlier system or a file"},
}};

// Why a booking was forfeited (booking_forfeited.v1 "reason").
inline constexpr std::array<ReasonCode, 1> kForfeitReasons{{
    {"late", "the applicant arrived after the arrive-by time (rule 4)"},
}};

// ---- Inbound ------------------------------------------------------------------------------------

// A media attachment as WhatsApp describes it.
struct Media {
  std::string kind;                      // "image", "document", "audio", ...
  std::string id;                        // WhatsApp's media id, to download it
  std::optional<std::string> mime_type;  // "image/jpeg"
  std::optional<std::string> sha256;     // as WhatsApp gives it (base64 for the Cloud API)
  bool operator==(const Media&) const = default;
};

// Appended for every inbound message, before anything is decided about it.
struct MessageReceived {
  static constexpr std::string_view kType = "message_received.v1";
  std::string message_id;                   // WhatsApp's message id ("wamid....")
  std::string office;                       // the office whose number received it
  std::string from;                         // sender's phone
  std::optional<std::string> to;            // the office's display number or phone_number_id
  std::optional<std::string> profile_name;  // the sender's WhatsApp profile name
  std::string kind;                         // "text", "image", "reaction", "unsupported", ...
  std::string text;                         // the text or the caption; may be empty
  std::optional<Media> media;
  std::string received_at;  // instant WhatsApp says it was sent (office's offset)
  std::string channel;      // kChannels
  bool operator==(const MessageReceived&) const = default;
};

// ---- Registration -------------------------------------------------------------------------------

// A registration message was answered with a reason instead of a booking code.
struct RegistrationRejected {
  static constexpr std::string_view kType = "registration_rejected.v2";
  std::string message_id;
  std::string office;
  std::string phone;
  std::string reason;                              // kRegistrationRejectionReasons
  std::string detail;                              // one human sentence; what the reply said
  std::optional<std::string> name;                 // as parsed, where parsing got that far
  std::optional<std::string> birth_date;           // date, as parsed
  std::optional<std::string> arrival_date;         // date, as parsed
  std::optional<std::string> next_available_date;  // date, for day_full: the first day with room
  bool operator==(const RegistrationRejected&) const = default;
};

// A registration was accepted: the applicant has a code, a queue number and a time to come.
struct BookingCodeIssued {
  static constexpr std::string_view kType = "booking_code_issued.v1";
  std::string code;  // the booking code, with its check character
  std::string office;
  std::string date;       // the service day
  std::string session;    // time the session starts
  std::string arrive_by;  // instant: session start minus 30 minutes (rule 4)
  std::uint32_t queue_number = 0;
  std::string name;        // the applicant's name as registered (upper case)
  std::string birth_date;  // date
  std::string phone;       // the phone that registered
  std::string relation;    // kRelations
  std::string message_id;  // the registration message
  bool operator==(const BookingCodeIssued&) const = default;
};

// The same phone sent the same registration again: its existing code was sent again, and no
// second booking was made. Evidence too: a phone that keeps re-sending is worth a look.
struct BookingCodeResent {
  static constexpr std::string_view kType = "booking_code_resent.v1";
  std::string message_id;  // the repeated registration message
  std::string office;
  std::string phone;
  std::string code;        // the existing booking's code, and its details as sent again:
  std::string date;
  std::string session;
  std::string arrive_by;   // instant
  std::uint32_t queue_number = 0;
  bool operator==(const BookingCodeResent&) const = default;
};

// An information command was answered (SIGAP: #syarat, #bayar, #cek, an application number, help).
struct InformationRequested {
  static constexpr std::string_view kType = "information_requested.v1";
  std::string message_id;
  std::string office;
  std::string phone;
  std::string command;                  // help, requirements, payment, check_booking, application_status
  std::optional<std::string> argument;  // the code asked about, or the application number
  bool operator==(const InformationRequested&) const = default;
};

// ---- Outbound replies ---------------------------------------------------------------------------

// A reply was decided and waits to be sent.
struct ReplyQueued {
  static constexpr std::string_view kType = "reply_queued.v1";
  std::string reply_id;  // ours, unique in the ledger
  std::string office;    // the office number it goes out from
  std::string to;        // phone
  std::string text;
  std::string in_reply_to;  // the inbound message id
  bool operator==(const ReplyQueued&) const = default;
};

// WhatsApp accepted a reply.
struct ReplySent {
  static constexpr std::string_view kType = "reply_sent.v1";
  std::string reply_id;
  std::string provider_message_id;  // WhatsApp's id for the outbound message ("wamid....")
  std::uint32_t attempt = 0;        // 1 for the first try
  bool operator==(const ReplySent&) const = default;
};

// A send attempt failed.
struct ReplyFailed {
  static constexpr std::string_view kType = "reply_failed.v1";
  std::string reply_id;
  std::uint32_t attempt = 0;
  std::string error;                    // what the provider or the network said
  bool final = false;                   // true: no more attempts; false: it will be retried
  std::optional<std::string> retry_at;  // instant of the next attempt, when not final
  bool operator==(const ReplyFailed&) const = default;
};

// WhatsApp reported a status for an outbound message (webhook "statuses").
struct ReplyDeliveryStatus {
  static constexpr std::string_view kType = "reply_delivery_status.v1";
  std::optional<std::string> reply_id;  // ours, when the provider id maps to one of our replies
  std::string provider_message_id;
  std::string status;                      // kDeliveryStatuses
  std::string status_at;                   // instant
  std::string recipient;                   // phone
  std::optional<std::string> error_code;   // WhatsApp's error code, for "failed"
  std::optional<std::string> error_title;  // WhatsApp's error title, for "failed"
  bool operator==(const ReplyDeliveryStatus&) const = default;
};

// ---- At the counter -----------------------------------------------------------------------------

// The applicant showed a valid code in time.
struct ApplicantArrived {
  static constexpr std::string_view kType = "applicant_arrived.v1";
  std::string code;
  std::string office;
  std::string date;        // the service day
  std::string session;     // time
  std::string arrived_at;  // instant
  std::string arrive_by;   // instant
  std::uint32_t queue_number = 0;
  bool operator==(const ApplicantArrived&) const = default;
};

// A code shown at the counter was not accepted.
struct ArrivalRejected {
  static constexpr std::string_view kType = "arrival_rejected.v1";
  std::string code;                           // as typed by the officer
  std::string office;                         // the office where it was shown
  std::string reason;                         // kArrivalRejectionReasons
  std::string attempted_at;                   // instant
  std::optional<std::string> booking_office;  // the booking's office, when the code is known
  std::optional<std::string> booking_date;    // the booking's service day, when the code is known
  bool operator==(const ArrivalRejected&) const = default;
};

// The officer compared the person and the phone with the booking (rule 3).
struct IdentityChecked {
  static constexpr std::string_view kType = "identity_checked.v1";
  std::string code;
  std::string office;
  std::string date;             // the booking's service day
  bool person_matches = false;  // the person present is the one named in the booking
  bool phone_matches = false;   // the phone shown is the one that registered
  std::optional<std::string> note;
  bool operator==(const IdentityChecked&) const = default;
};

// The applicant came after the arrive-by time; the code is void and they may register again.
struct BookingForfeited {
  static constexpr std::string_view kType = "booking_forfeited.v1";
  std::string code;
  std::string office;
  std::string date;        // the service day
  std::string reason;      // kForfeitReasons
  std::string arrived_at;  // instant
  std::string arrive_by;   // instant
  std::string phone;       // the phone that registered
  bool operator==(const BookingForfeited&) const = default;
};

// The service day ended without the applicant coming.
struct BookingExpired {
  static constexpr std::string_view kType = "booking_expired.v1";
  std::string code;
  std::string office;
  std::string date;        // the service day
  std::string arrive_by;   // instant
  std::string expired_at;  // instant
  std::string phone;       // the phone that registered
  bool operator==(const BookingExpired&) const = default;
};

// The applicant handed in their documents (penyerahan berkas): the booking is complete.
struct DocumentsSubmitted {
  static constexpr std::string_view kType = "documents_submitted.v1";
  std::string code;
  std::string office;
  std::string date;  // the booking's service day
  bool operator==(const DocumentsSubmitted&) const = default;
};

// The documents were incomplete or did not match and were returned (rule 6).
struct DocumentsReturned {
  static constexpr std::string_view kType = "documents_returned.v1";
  std::string code;
  std::string office;
  std::string date;    // the booking's service day
  std::string reason;  // what was missing or did not match
  bool operator==(const DocumentsReturned&) const = default;
};

// ---- Information gateway (SIGAP) ----------------------------------------------------------------

// An application reached a stage (answered when someone sends its 16-digit number).
struct ApplicationProgressRecorded {
  static constexpr std::string_view kType = "application_progress_recorded.v1";
  std::string application_number;  // 16 digits
  std::string office;
  std::string stage;  // e.g. "interview", "payment_received", "printed", "ready_for_pickup"
  std::optional<std::string> note;
  bool operator==(const ApplicationProgressRecorded&) const = default;
};

// ---- Anti-broker --------------------------------------------------------------------------------

// A detection rule marked a phone as suspicious. v2 adds the offices of the evidence; a stored v1
// flag is upcast with `offices` unknown (events/upcast.h).
struct PhoneFlagged {
  static constexpr std::string_view kType = "phone_flagged.v2";
  std::string flag_id;
  std::string phone;
  std::string rule;                     // the rule's stable name, e.g. "many_persons_per_phone"
  std::uint32_t score = 0;              // 0..1000, the rule's confidence
  std::vector<std::uint64_t> evidence;  // sequence numbers of the events that triggered it
  std::vector<std::string> persons;     // "NAME|YYYY-MM-DD" of the persons involved; may be empty
  std::vector<std::string> phones;      // the other phones of a ring; may be empty
  std::string detail;                   // one human sentence
  // The offices of the evidence events, sorted, each once. nullopt: not recorded (a v1 flag).
  std::optional<std::vector<std::string>> offices;
  bool operator==(const PhoneFlagged&) const = default;
};

// An officer reviewed a flag and cleared it.
struct FlagCleared {
  static constexpr std::string_view kType = "flag_cleared.v1";
  std::string flag_id;
  std::string phone;
  std::string reason;
  bool operator==(const FlagCleared&) const = default;
};

// A phone may no longer register.
struct PhoneBlacklisted {
  static constexpr std::string_view kType = "phone_blacklisted.v1";
  std::string phone;
  std::string reason;
  std::vector<std::uint64_t> evidence;  // sequence numbers
  bool automatic = false;               // true: by a rule; false: by the officer in the cause
  std::optional<std::string> rule;      // the rule, when automatic
  bool operator==(const PhoneBlacklisted&) const = default;
};

// A blacklisting was lifted.
struct PhoneUnblacklisted {
  static constexpr std::string_view kType = "phone_unblacklisted.v1";
  std::string phone;
  std::string reason;
  bool operator==(const PhoneUnblacklisted&) const = default;
};

// ---- Configuration ------------------------------------------------------------------------------

// An office's configuration (format, hours, quota, sessions, ...) took effect.
struct OfficeConfigurationApplied {
  static constexpr std::string_view kType = "office_configuration_applied.v1";
  std::string office;
  // The configuration as a JSON object. It is stored in canonical form (members sorted by key at
  // every depth, no whitespace): events::CanonicalConfig gives those bytes.
  boost::json::object config;
  // Lower-case hex SHA-256 of the canonical configuration bytes: events::ConfigDigest(config).
  std::string config_digest;
  bool operator==(const OfficeConfigurationApplied&) const = default;
};

}  // namespace antrean::events
