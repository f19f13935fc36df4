// Reads one inbound WhatsApp text for one office's message format.
//
// Forgiving about FORM, strict about MEANING. People type what they type: lower case, extra
// spaces and line breaks, a missing leading or trailing '#', spaces around '#', full-width
// characters from some phone keyboards, dates as 25011987, 25-01-1987, 25/01/1987, 25.01.1987 or
// 25 01 1987. All of that is accepted. What cannot be meant is refused with a reason code from
// the event catalogue and one Indonesian sentence (the reply's {detail}): 31 February, a name
// with digits, an empty or over-long name, the wrong number of fields.
//
// The parser knows nothing about today: a birth date in the future, an arrival date in the past
// or beyond the horizon, a closed day, the registration window and a missing e-KTP photo are
// the decision step's to judge. The parser hands it the dates as written.
//
// Message grammar, after folding (see ParseMessage):
//   message      := ['#'] field ('#' field)* ['#']        leading/trailing '#'s are optional
//   registration := name '#' date '#' date                 name_birth_arrival
//                 | name '#' date '#' address              name_birth_address
//   date         := DD MM YYYY  (8 digits)  |  D{1,2} sep M{1,2} sep YYYY  |  YYYY sep MM sep DD
//   sep          := one or more of  '-' '/' '.' ' '
//   command      := 'syarat' | 'bayar' | 'cek' code | help-word | 16 digits (spaces allowed)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/status.h"
#include "domain/civil_time.h"

namespace antrean::domain {

// The fixed set of message formats an office may use. The text shown to users ("#NAMA#TGLLAHIR#
// TGLKEDATANGAN") is the office's own (OfficeConfig::format_text); this is only how to read it.
enum class MessageFormat {
  kNameBirthArrival,  // "name_birth_arrival": NAMA#TGLLAHIR#TGLKEDATANGAN (Bogor, Jakarta Pusat)
  kNameBirthAddress,  // "name_birth_address": NAMA#TGL.LAHIR#ALAMAT, no arrival date (Batam)
};
std::string_view MessageFormatName(MessageFormat format);
Result<MessageFormat> ParseMessageFormat(std::string_view name);
bool FormatHasArrivalDate(MessageFormat format);

// WhatsApp caps a text message at 4096 characters; UTF-8 needs at most 4 bytes for each.
inline constexpr std::size_t kMessageCodePointsMax = 4096;
inline constexpr std::size_t kMessageBytesMax = 4 * kMessageCodePointsMax;
// SPRI (the passport form) prints the full name on one line; 64 characters is generous for it.
inline constexpr std::size_t kNameCodePointsMax = 64;
inline constexpr std::size_t kAddressCodePointsMax = 200;
inline constexpr std::size_t kRegistrationFieldCount = 3;
// Older birth years are typing errors, not applicants.
inline constexpr int kBirthYearMin = 1900;
inline constexpr std::size_t kBookingCodeBytesMax = 32;
inline constexpr std::size_t kApplicationNumberDigits = 16;  // SIGAP progress look-up
// A single field with at least this many digits is a registration attempt gone wrong, not chat.
inline constexpr std::size_t kRegistrationLikeDigitsMin = 6;

// Reason codes, exactly as in the event catalogue.
namespace reason {
inline constexpr std::string_view kUnreadableMessage = "unreadable_message";
inline constexpr std::string_view kInvalidName = "invalid_name";
inline constexpr std::string_view kInvalidBirthDate = "invalid_birth_date";
inline constexpr std::string_view kInvalidArrivalDate = "invalid_arrival_date";
}  // namespace reason

struct Registration {
  std::string name;      // as written after folding; whitespace trimmed and collapsed; UTF-8
  std::string name_key;  // `name` upper-cased (ASCII and Latin-1), for comparing names
  Date birth_date;       // a real calendar date, year >= kBirthYearMin; maybe in the future
  std::optional<Date> arrival_date;  // absent exactly when the format has none (Batam)
  std::string address;               // name_birth_address only; whitespace collapsed
  friend bool operator==(const Registration&, const Registration&) = default;
};

enum class InfoCommand {
  kHelp,               // #help, #bantuan, #menu, #info, or chat that is not a registration
  kRequirements,       // #syarat
  kPayment,            // #bayar
  kCheckBooking,       // #cek KODE
  kApplicationStatus,  // a bare 16-digit application number
};
std::string_view InfoCommandName(InfoCommand command);  // "help", "requirements", ...

struct InfoRequest {
  InfoCommand command = InfoCommand::kHelp;
  // kCheckBooking: the code, upper-cased, spaces removed, [A-Z0-9-]{1,32}.
  // kApplicationStatus: the 16 digits. Empty otherwise.
  std::string argument;
  friend bool operator==(const InfoRequest&, const InfoRequest&) = default;
};

struct ParseError {
  std::string reason;  // one of reason::k*
  std::string detail;  // one Indonesian sentence saying what is wrong, for the reply's {detail}
  friend bool operator==(const ParseError&, const ParseError&) = default;
};

using ParsedMessage = std::variant<Registration, InfoRequest, ParseError>;

// Never fails in the Status sense and never throws: every input maps to one of the three.
//
// Folding before reading: invalid UTF-8 and control characters (including bidi overrides) make
// the message unreadable; tabs, line breaks and Unicode spaces become spaces; zero-width
// characters and variation selectors are dropped; full-width ASCII (＃, ０..９, Ａ..Ｚ) becomes
// ASCII; a letter and a combining accent after it become the one precomposed Latin-1 letter
// (E U+0301 -> É, as NFC makes it); typographic apostrophes and dashes become ' and -; emoji at
// either end of the message are ignored (emoji inside a field are not). An empty message asks for
// help.
ParsedMessage ParseMessage(std::string_view text, MessageFormat format);

// The comparison form of a name, as a registration's name is folded: upper case (ASCII and
// Latin-1), accents composed, invisible characters dropped, whitespace collapsed. A name typed
// into a query is folded with it, so that it finds the person its registration made.
std::string NameKey(std::string_view name);

}  // namespace antrean::domain
