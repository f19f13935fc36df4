#include "app/booking_code.h"

#include <string>

#include "common/sha256.h"

namespace antrean::app {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static_assert(kAlphabet.size() == 32);

int ValueOf(char c) {
  auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Luhn mod N (N = 32): detects every single-character error and most adjacent swaps.
char CheckCharacter(std::string_view data) {
  int factor = 2;
  int sum = 0;
  for (auto it = data.rbegin(); it != data.rend(); ++it) {
    int addend = factor * ValueOf(*it);
    factor = factor == 2 ? 1 : 2;
    sum += addend / 32 + addend % 32;
  }
  int check = (32 - sum % 32) % 32;
  return kAlphabet[static_cast<std::size_t>(check)];
}

}  // namespace

std::string DeriveBookingCode(std::string_view key, std::string_view office, std::string_view date,
                              std::uint32_t queue_number, std::uint32_t attempt) {
  std::string message;
  message.reserve(office.size() + date.size() + 24);
  message.append("booking-code|").append(office).append("|").append(date).append("|");
  message.append(std::to_string(queue_number)).append("|").append(std::to_string(attempt));
  const Hash256 mac = HmacSha256(key, message);
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | mac[static_cast<std::size_t>(i)];
  std::string code;
  code.reserve(kCodeChars);
  for (std::size_t i = 0; i < kCodeDataChars; ++i) {
    code.push_back(kAlphabet[(bits >> (64 - 5 * (i + 1))) & 31]);
  }
  code.push_back(CheckCharacter(code));
  return code;
}

std::string NormalizeBookingCode(std::string_view typed) {
  std::string out;
  out.reserve(typed.size());
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    out.push_back(c);
    if (out.size() > 64) break;  // nobody types a code this long; stop reading garbage
  }
  return out;
}

CodeCheck CheckBookingCode(std::string_view canonical) {
  if (canonical.size() != kCodeChars) return CodeCheck::kMalformed;
  for (char c : canonical) {
    if (ValueOf(c) < 0) return CodeCheck::kMalformed;
  }
  return CheckCharacter(canonical.substr(0, kCodeDataChars)) == canonical.back()
             ? CodeCheck::kValid
             : CodeCheck::kBadCheckCharacter;
}

}  // namespace antrean::app
