// Indonesian phone numbers as people write them and as WhatsApp sends them.
//
// WhatsApp's Cloud API identifies a sender by digits with country code and no '+'
// ("628111100333"); Indonesians write the same number with a trunk '0' ("08 1111 00 333"). Every
// comparison in the ledger uses the normalised form, so both spellings mean one phone.
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

// Normalises a written Indonesian number to "62" followed by the national number, digits only.
//
// Accepted forms (spaces, '-', '.', '(' and ')' anywhere between digits are ignored):
//   08 1111 00 333     trunk prefix 0
//   +62 811 1100 333   international, also "0062 ..." and "(+62) ..."
//   628111100333       as WhatsApp sends it
//   +62 0811 ...       a redundant trunk 0 after the country code (a common slip)
//   811 1100 333       a mobile number without any prefix (starts with 8)
// Rejected, with a message saying why: empty, letters or other symbols, a foreign country code,
// a national number that starts with 0 twice, fewer than kNationalDigitsMin or more than
// kNationalDigitsMax national digits.
Result<std::string> NormalizePhone(std::string_view written);

// True if `digits` is already what NormalizePhone returns.
bool IsNormalizedPhone(std::string_view digits);

// "628111100333" -> "08111100333", the form Indonesians read. Requires IsNormalizedPhone.
std::string NationalForm(std::string_view normalized);

}  // namespace antrean::domain
