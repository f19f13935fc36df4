// Phone numbers as people write them and as WhatsApp sends them.
//
// WhatsApp's Cloud API identifies a sender by digits with country code and no '+'
// ("628111100333"); Indonesians write the same number with a trunk '0' ("08 1111 00 333"). Every
// comparison in the ledger uses the normalised form, so both spellings mean one phone. Most
// numbers are Indonesian, but WhatsApp delivers messages from any country, and whatever number
// booked must be one that staff can look up, flag and blacklist: a number from another country
// is written with '+' (or "00") and its country code, and kept as its E.164 digits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace antrean::domain {

inline constexpr std::string_view kIndonesiaCountryCode = "62";
// Longer input is rejected without being read: nobody writes a phone number in 64 bytes.
inline constexpr std::size_t kPhoneInputBytesMax = 64;
// Digits after the country code (the national significant number). Short rural landlines have
// 8, mobile numbers 9..12; E.164 caps the whole number at 15 digits, i.e. 13 after "62".
inline constexpr std::size_t kNationalDigitsMin = 8;
inline constexpr std::size_t kNationalDigitsMax = 12;
// A number from another country, country code included: what a phone in an event may be
// (docs/EVENTS.md, 7..15 digits; E.164 allows at most 15, and Niue's are 7 with its country
// code), so that every number WhatsApp can deliver from is one a query can name.
inline constexpr std::size_t kInternationalDigitsMin = 7;
inline constexpr std::size_t kInternationalDigitsMax = 15;

// Normalises a written number: an Indonesian one to "62" followed by the national number, one
// from another country to its country code and number; digits only, no '+'.
//
// Accepted forms (spaces, '-', '.', '(' and ')' anywhere between digits are ignored):
//   08 1111 00 333     trunk prefix 0
//   +62 811 1100 333   international, also "0062 ..." and "(+62) ..."
//   628111100333       as WhatsApp sends it
//   +62 0811 ...       a redundant trunk 0 after the country code (a common slip)
//   811 1100 333       a mobile number without any prefix (starts with 8)
//   +1 650 555 1234    another country: only with '+' or "00" (bare digits that do not start
//                      with 0, 62 or 8 are refused: "16505551234" could be a typo of either)
// Rejected, with a message saying why: empty, letters or other symbols, a country code that
// starts with 0, an Indonesian national number that starts with 0 twice, fewer than
// kNationalDigitsMin or more than kNationalDigitsMax national digits, a foreign number outside
// kInternationalDigitsMin..kInternationalDigitsMax digits.
Result<std::string> NormalizePhone(std::string_view written);

// True if `digits` is already what NormalizePhone returns for some written number (for a foreign
// one, what it returns for the number written with '+').
bool IsNormalizedPhone(std::string_view digits);

// The form people in Indonesia read and dial: "628111100333" -> "08111100333"; a number from
// another country with its '+': "16505551234" -> "+16505551234". Requires IsNormalizedPhone.
std::string NationalForm(std::string_view normalized);

}  // namespace antrean::domain
