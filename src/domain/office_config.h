// The office file: which immigration offices take WhatsApp registrations, on which numbers, in
// which message format, with which sessions, quota, calendar and reply texts.
//
// The file's fields, units and defaults are documented in docs/OFFICES.md. Loading is strict:
// every error names the file, the field path (offices[2].sessions[1].start) and what is wrong;
// unknown fields and duplicate keys are errors, because a typo that is silently ignored becomes a
// wrong rule. Nothing here throws; the only I/O is reading the file in LoadOfficeDirectoryFile.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "domain/civil_time.h"
#include "domain/message_parser.h"

namespace antrean::domain {

inline constexpr int kOfficeFileFormatVersion = 1;
inline constexpr std::size_t kOfficeFileBytesMax = 4 << 20;  // 4 MiB; ~100 offices use ~300 KiB
inline constexpr std::size_t kOfficesMax = 1000;
inline constexpr std::size_t kOfficeIdBytesMax = 32;
inline constexpr std::size_t kOfficeTextBytesMax = 200;  // name, format_text, example
inline constexpr std::size_t kWhatsAppNumbersPerOfficeMax = 8;
inline constexpr std::size_t kPhoneNumberIdBytesMax = 32;
inline constexpr std::size_t kSessionsPerDayMax = 24;
inline constexpr int kSessionCapacityMax = 10'000;
inline constexpr int kDailyQuotaMax = 100'000;
inline constexpr int kBookingHorizonDaysMax = 365;
inline constexpr int kArriveEarlyMinutesMax = 240;
inline constexpr std::size_t kHolidaysMax = 1000;
inline constexpr std::size_t kRequirementsMax = 50;
// A rendered reply must fit in one WhatsApp message (kMessageCodePointsMax); templates are kept
// well below so that placeholders have room.
inline constexpr std::size_t kReplyTemplateBytesMax = 2000;

// Reply texts every office must have (directly or through "defaults"), under "replies".
inline constexpr std::array<std::string_view, 8> kReplyKeys = {
    "issued",             // a booking code was issued
    "forfeited",          // the applicant came late: the code is void (rule 4)
    "help",               // #help, chat, anything that is not a command or a registration
    "requirements",       // #syarat
    "payment",            // #bayar
    "booking_status",     // #cek KODE, code found
    "booking_not_found",  // #cek KODE, no such code for this phone
    "application_status"  // a 16-digit application number (SIGAP)
};

// Rejection reasons with a reply text, under "replies.rejected". The first four are the
// parser's (reason::k*, from the event catalogue); the rest are the decision step's, named here
// before the decision step exists: rename them to the catalogue's names when it does.
inline constexpr std::array<std::string_view, 14> kRejectionReasons = {
    "unreadable_message",
    "invalid_name",
    "invalid_birth_date",
    "invalid_arrival_date",
    "birth_date_in_future",
    "arrival_date_in_past",
    "arrival_beyond_horizon",
    "office_closed",
    "outside_registration_window",
    "missing_ektp_photo",
    "day_full",
    "person_has_active_booking",
    "phone_blacklisted",    "phone_registered_to_other_adult"};

// Placeholders a reply template may use; any other "{name}" in a template is an error.
inline constexpr std::array<std::string_view, 14> kReplyPlaceholders = {"code",
                                                                        "queue_number",
                                                                        "date",
                                                                        "session",
                                                                        "arrive_by",
                                                                        "format",
                                                                        "example",
                                                                        "detail",
                                                                        "next_date",
                                                                        "office",
                                                                        "requirements",
                                                                        "status",
                                                                        "application_number",
                                                                        "window"};

struct WhatsAppNumber {
  std::string display;          // as written in the file, e.g. "08 1111 00 333"
  std::string digits;           // normalised, e.g. "628111100333" (see NormalizePhone)
  std::string phone_number_id;  // WhatsApp Cloud API phone_number_id; empty if not configured
};

struct Session {
  TimeOfDay start;   // local time in the office's zone
  int capacity = 0;  // bookings, 1..kSessionCapacityMax
};

// Messages are accepted from `start` (inclusive) to `end` (exclusive), local time. start < end:
// windows do not cross midnight.
struct RegistrationWindow {
  TimeOfDay start;
  TimeOfDay end;
};

struct OfficeConfig {
  std::string id;                                // [a-z0-9][a-z0-9_-]*, stable: events refer to it
  std::string name;                              // "Kantor Imigrasi Kelas I Bogor"
  std::vector<WhatsAppNumber> whatsapp_numbers;  // at least one
  TimeZone time_zone = TimeZone::kWIB;
  MessageFormat message_format = MessageFormat::kNameBirthArrival;
  std::string format_text;             // shown to users: "#NAMA#TGLLAHIR#TGLKEDATANGAN"
  std::string format_example;          // shown to users; parses as a registration in message_format
  std::array<bool, 7> service_days{};  // index = Weekday - 1 (Monday first)
  std::vector<Date> holidays;          // sorted, unique; closed although a service day
  std::optional<RegistrationWindow> registration_window;  // absent: messages accepted any time
  bool requires_ektp_photo = false;  // the registration message must carry an e-KTP photo
  std::vector<Session> sessions;     // at least one; starts strictly increasing
  int daily_quota = 0;               // >= sum of session capacities (see DailyCapacity)
  int booking_horizon_days = 0;      // arrival at most this many days after today; 0 = today
  int arrive_early_minutes = 0;      // come this long before the session starts
  std::map<std::string, std::string, std::less<>> replies;  // kReplyKeys -> template
  std::map<std::string, std::string, std::less<>>
      rejection_replies;                  // kRejectionReasons -> template
  std::vector<std::string> requirements;  // documents to bring, one per entry (#syarat)
  boost::json::object forensics;          // thresholds for anti-broker checks; opaque here

  // A service weekday that is not a holiday. Requires a valid date.
  bool IsOpenOn(const Date& date) const;
  // True when there is no window or start <= time < end.
  bool AcceptsRegistrationAt(TimeOfDay time) const;
  // Bookings one day can take: the sum of session capacities. The loader guarantees it is at
  // most daily_quota, so sessions are the binding limit and the quota a declared ceiling.
  int DailyCapacity() const;
  // The template for a key of kReplyKeys / a reason of kRejectionReasons; empty if unknown.
  std::string_view Reply(std::string_view key) const;
  std::string_view RejectionReply(std::string_view reason) const;
  // "1. ...\n2. ..." from `requirements`, for the {requirements} placeholder.
  std::string RequirementsText() const;
};

// All offices of one file, with lookups. Copyable; lookups return pointers into this object
// (valid while it lives and is not assigned to) or nullptr when nothing matches.
class OfficeDirectory {
 public:
  OfficeDirectory() = default;
  // Fails (InvalidArgument) on duplicate ids, WhatsApp numbers or phone_number_ids.
  static Result<OfficeDirectory> Make(std::vector<OfficeConfig> offices);

  const std::vector<OfficeConfig>& offices() const { return offices_; }
  const OfficeConfig* FindById(std::string_view id) const;
  // `written` in any form NormalizePhone accepts ("08 1111 00 333", "628111100333", ...).
  const OfficeConfig* FindByWhatsAppNumber(std::string_view written) const;
  const OfficeConfig* FindByPhoneNumberId(std::string_view phone_number_id) const;

 private:
  std::vector<OfficeConfig> offices_;
  std::map<std::string, std::size_t, std::less<>> by_id_;
  std::map<std::string, std::size_t, std::less<>> by_digits_;
  std::map<std::string, std::size_t, std::less<>> by_phone_number_id_;
};

// Parses and validates an office file's text. `source_name` (usually the path) starts every
// error message: "config/offices.json: offices[2].sessions[1].start: expected HH:MM, got ...".
Result<OfficeDirectory> LoadOfficeDirectory(std::string_view json_text,
                                            std::string_view source_name);
// The offices whose configurations "office configuration applied" events recorded, each in
// CanonicalJson's form, loaded as the office file would load them (`antrean recheck` decides
// again with them). The recorded form also names each number's digits, which are derived from its
// display and so dropped here, and writes null for an optional value that is absent. Errors as
// LoadOfficeDirectory's, starting with `source_name`.
Result<OfficeDirectory> LoadRecordedOffices(const std::vector<boost::json::object>& recorded,
                                            std::string_view source_name);
// Reads the file (at most kOfficeFileBytesMax bytes) and loads it. IOError if it cannot be read.
Result<OfficeDirectory> LoadOfficeDirectoryFile(const std::string& path);

// `text` as JSON, refusing a key repeated in one object (which would silently override the first,
// so a typo or a pasted-twice field would go unnoticed). InvalidArgument, naming `source` and the
// line and column: `duplicate key "k"` or `invalid JSON: ...`. The office file and the secrets
// file are read with it.
Result<boost::json::value> ParseStrictJson(std::string_view text, const std::string& source);

// Deterministic JSON of the effective configuration (defaults applied, values normalised, keys
// sorted bytewise at every level, no whitespace). Equal configurations give equal bytes, so the
// bytes and their sha256 identify what an "office configuration applied" event applied.
std::string CanonicalJson(const OfficeConfig& office);
// {"format_version":1,"offices":[...]} with offices sorted by id.
std::string CanonicalJson(const OfficeDirectory& directory);

// Replaces each "{name}" in `text` by its value; placeholders without a value stay as written.
std::string RenderReply(std::string_view text,
                        const std::vector<std::pair<std::string_view, std::string>>& values);

}  // namespace antrean::domain
