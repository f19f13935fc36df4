#include "domain/phone.h"

#include <cassert>

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

// Splits off the prefix and returns the national significant number.
Result<std::string> NationalNumber(std::string_view written, const std::string& digits, bool plus) {
  const std::string cc(kIndonesiaCountryCode);
  std::string national;
  if (plus || digits.starts_with("00")) {
    const std::string rest = plus ? digits : digits.substr(2);
    if (!rest.starts_with(cc)) {
      return Status::InvalidArgument("phone number " + Quote(written) +
                                     " is not Indonesian: the country code must be +62");
    }
    national = DropRedundantTrunkZero(rest.substr(cc.size()));
  } else if (digits.starts_with("0")) {
    national = digits.substr(1);
  } else if (digits.starts_with(cc)) {
    national = DropRedundantTrunkZero(digits.substr(cc.size()));
  } else if (digits.starts_with("8")) {
    national = digits;  // a mobile number written without any prefix
  } else {
    return Status::InvalidArgument("phone number " + Quote(written) +
                                   " must start with 0, 62 or +62");
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
  Result<std::string> national = NationalNumber(written, digits, plus);
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
  Result<std::string> n = NormalizePhone(digits);
  return n.ok() && *n == digits;
}

std::string NationalForm(std::string_view normalized) {
  assert(IsNormalizedPhone(normalized));
  return "0" + std::string(normalized.substr(kIndonesiaCountryCode.size()));
}

}  // namespace antrean::domain
