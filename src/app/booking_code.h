// Booking codes: short enough to read aloud and type, unguessable without the ledger's secret,
// and self-checking so that a mistyped code is refused instead of matching another booking.
//
// Layout: kCodeDataChars characters of Crockford base32 (digits and letters without I, L, O, U)
// carrying 45 bits taken from HMAC-SHA256(key, office|date|queue_number|attempt), then one check
// character (Luhn mod 32 over the same alphabet), e.g. "7KQ2M9XPA4". The code is derived, not
// drawn at random, so that replaying the same commands with the same key gives the same codes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace antrean::app {

inline constexpr std::size_t kCodeDataChars = 9;  // 9 x 5 = 45 bits from the MAC (>= 40 asked)
inline constexpr std::size_t kCodeChars = kCodeDataChars + 1;
static_assert(kCodeChars <= 10, "codes must stay short enough to read aloud");
static_assert(kCodeDataChars * 5 >= 40, "at least 40 unguessable bits");
// The secret must be long enough that the MAC cannot be brute-forced.
inline constexpr std::size_t kCodeKeyBytesMin = 16;

// Derives the code for a booking. `attempt` is 0, or higher when the code of a lower attempt is
// already taken by another booking (a 45-bit collision: rare, but the ledger lives for years).
std::string DeriveBookingCode(std::string_view key, std::string_view office, std::string_view date,
                              std::uint32_t queue_number, std::uint32_t attempt);

enum class CodeCheck {
  kValid,
  kBadCheckCharacter,  // well formed, but the check character does not match: a typing error
  kMalformed,          // wrong length or a character outside the alphabet
};

// How people type codes: lower case, spaces and dashes, O for 0, I or L for 1. Returns the
// canonical upper-case form (which may still be malformed).
std::string NormalizeBookingCode(std::string_view typed);
CodeCheck CheckBookingCode(std::string_view canonical);

}  // namespace antrean::app
