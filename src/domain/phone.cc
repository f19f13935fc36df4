#include "domain/phone.h"

#include <algorithm>
#include <cassert>
#include <optional>

#include "domain/civil_time.h"

namespace antrean::domain {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')';
}

// Keeps the digits, notes a leading '+', rejects everything that is not a separator.
Status CollectDigits(std::string_view written, std::string* digits, bool* plus) {
  *plus = false;
  for (std::size_t i = 0; i < written.size(); ++i) {
    const char c = written[i];
    if (IsDigit(c)) {
      *digits += c;
    } else if (c == '+' && digits->empty() && !*plus) {
      *plus = true;  // only before the first digit, and only once
    } else if (!IsSeparator(c)) {
      return Status::InvalidArgument("phone number " + Quote(written) + " has " +
                                     Quote(written.substr(i, 1)) + " at byte " + std::to_string(i) +
                                     "; only digits, spaces, '-', '.', '(', ')' and a leading "
                                     "'+' are allowed");
    }
  }
  if (digits->empty()) {
    return Status::InvalidArgument("phone number " + Quote(written) + " has no digits");
  }
  return Status::Ok();
}

// "+62 0811..." repeats the trunk 0 that the country code replaces; drop it once.
std::string DropRedundantTrunkZero(std::string national) {
  if (national.starts_with("0")) national.erase(0, 1);
  return national;
}

// A number from another country: its country code and number, as E.164 digits.
Result<std::string> InternationalNumber(std::string_view written, const std::string& digits) {
  if (digits.starts_with("0")) {
    return Status::InvalidArgument("phone number " + Quote(written) +
                                   " has a country code that starts with 0");
  }
  if (digits.size() < kInternationalDigitsMin || digits.size() > kInternationalDigitsMax) {
    return Status::InvalidArgument(
        "phone number " + Quote(written) + " has " + std::to_string(digits.size()) +
        " digits with its country code; expected " + std::to_string(kInternationalDigitsMin) +
        ".." + std::to_string(kInternationalDigitsMax));
  }
  return digits;
}

// The digits after "+" or "00", if the number is written in international form.
std::optional<std::string> AfterInternationalPrefix(const std::string& digits, bool plus) {
  if (plus) return digits;
  if (digits.starts_with("00")) return digits.substr(2);
  return std::nullopt;
}

// Splits off the prefix and returns the national significant number of an Indonesian number.
// `international`: the digits after "+" or "00", which then start with "62".
Result<std::string> NationalNumber(std::string_view written, const std::string& digits,
                                   const std::optional<std::string>& international) {
  const std::string cc(kIndonesiaCountryCode);
  std::string national;
  if (international) {
    national = DropRedundantTrunkZero(international->substr(cc.size()));
  } else if (digits.starts_with("0")) {
    national = digits.substr(1);
  } else if (digits.starts_with(cc)) {
    national = DropRedundantTrunkZero(digits.substr(cc.size()));
  } else if (digits.starts_with("8")) {
    national = digits;  // a mobile number written without any prefix
  } else {
    return Status::InvalidArgument("phone number " + Quote(written) +
                                   " must start with 0, 62 or +62 (a number from another country "
                                   "is written with + and its country code: +1 650 555 1234)");
  }
  return national;
}

}  // namespace

Result<std::string> NormalizePhone(std::string_view written) {
  if (written.size() > kPhoneInputBytesMax) {
    return Status::InvalidArgument("phone number longer than " +
                                   std::to_string(kPhoneInputBytesMax) +
                                   " bytes: " + Quote(written));
  }
  std::string digits;
  bool plus = false;
  Status s = CollectDigits(written, &digits, &plus);
  if (!s.ok()) return s;
  const std::optional<std::string> international = AfterInternationalPrefix(digits, plus);
  if (international && !international->starts_with(kIndonesiaCountryCode)) {
    return InternationalNumber(written, *international);
  }
  Result<std::string> national = NationalNumber(written, digits, international);
  if (!national.ok()) return national.status();
  if (national->empty() || national->front() == '0') {
    return Status::InvalidArgument("phone number " + Quote(written) +
                                   " has too many leading zeros");
  }
  if (national->size() < kNationalDigitsMin || national->size() > kNationalDigitsMax) {
    return Status::InvalidArgument(
        "phone number " + Quote(written) + " has " + std::to_string(national->size()) +
        " digits after the prefix; expected " + std::to_string(kNationalDigitsMin) + ".." +
        std::to_string(kNationalDigitsMax));
  }
  return std::string(kIndonesiaCountryCode) + *national;
}

bool IsNormalizedPhone(std::string_view digits) {
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), IsDigit)) return false;
  Result<std::string> n = NormalizePhone("+" + std::string(digits));
  return n.ok() && *n == digits;
}

std::string NationalForm(std::string_view normalized) {
  assert(IsNormalizedPhone(normalized));
  if (!normalized.starts_with(kIndonesiaCountryCode)) return "+" + std::string(normalized);
  return "0" + std::string(normalized.substr(kIndonesiaCountryCode.size()));
}

}  // namespace antrean::domain
