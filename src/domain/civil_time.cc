#include "domain/civil_time.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>

namespace antrean::domain {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

constexpr std::array<std::string_view, 7> kWeekdayNames = {"Mon", "Tue", "Wed", "Thu",
                                                           "Fri", "Sat", "Sun"};

// Days from 1970-01-01 to 0001-01-01 and to 9999-12-31: the only days we accept.
constexpr std::int64_t kEpochDaysMin = -719162;
constexpr std::int64_t kEpochDaysMax = 2932896;
constexpr int kUtcOffsetMinutesMax = 23 * 60 + 59;

// Floor division: -1 / 86400 must be day -1, not day 0.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Howard Hinnant's days_from_civil / civil_from_days, in int64 so that no input overflows.
std::int64_t DaysFromCivil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = FloorDiv(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t* y, std::int64_t* m, std::int64_t* d) {
  z += 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

// Local day number and microseconds into that day, for any int64 instant. Splits with truncating
// division first and shifts only the small remainder, so that no product or sum overflows.
void SplitLocal(Instant at, int offset_minutes, std::int64_t* days, std::int64_t* micros_of_day) {
  std::int64_t q = at.micros_since_epoch / kMicrosPerDay;
  std::int64_t r = at.micros_since_epoch % kMicrosPerDay + offset_minutes * kMicrosPerMinute;
  while (r < 0) {
    r += kMicrosPerDay;
    --q;
  }
  while (r >= kMicrosPerDay) {
    r -= kMicrosPerDay;
    ++q;
  }
  *days = q;
  *micros_of_day = r;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `count` ASCII digits at text[pos]; false if any is not a digit.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

// Appends `v` as printf's "%0<width>lld" would: at least `width` characters, the sign counted,
// zeros between the sign and the digits. Every event and reply carries dates and instants, and
// snprintf (its format parsing and locale machinery) was ~3% of a registration's instructions.
void AppendPadded(std::string& out, std::int64_t v, int width) {
  char digits[20];  // 2^64 has 20 digits
  int n = 0;
  std::uint64_t m = v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
  do {
    digits[n++] = static_cast<char>('0' + m % 10);
    m /= 10;
  } while (m != 0);
  if (v < 0) {
    out += '-';
    --width;
  }
  for (int pad = width - n; pad > 0; --pad) out += '0';
  while (n > 0) out += digits[--n];
}

// "+07:00" or "Z".
void AppendOffset(std::string& out, int offset_minutes) {
  if (offset_minutes == 0) {
    out += 'Z';
    return;
  }
  out += offset_minutes < 0 ? '-' : '+';
  const int abs = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  AppendPadded(out, abs / 60, 2);
  out += ':';
  AppendPadded(out, abs % 60, 2);
}

// Parses "(Z|z|+HH:MM|-HH:MM)" that must end the text.
Result<int> ParseOffset(std::string_view text, std::string_view whole) {
  if (text == "Z" || text == "z") return 0;
  int hh = 0, mm = 0;
  const bool shape_ok = text.size() == 6 && (text[0] == '+' || text[0] == '-') &&
                        ReadDigits(text, 1, 2, &hh) && text[3] == ':' &&
                        ReadDigits(text, 4, 2, &mm);
  if (!shape_ok) {
    return Status::InvalidArgument("expected an offset Z or +HH:MM or -HH:MM at the end of " +
                                   Quote(whole) + ", got " + Quote(text));
  }
  if (hh > 23 || mm > 59) {
    return Status::InvalidArgument("offset out of range (max 23:59) in " + Quote(whole));
  }
  const int minutes = hh * 60 + mm;
  return text[0] == '-' ? -minutes : minutes;
}

// Parses ".d{1,9}" at text[*pos] if present; advances *pos. Truncates to microseconds.
Status ParseFraction(std::string_view text, std::size_t* pos, int* micros) {
  *micros = 0;
  if (*pos >= text.size() || text[*pos] != '.') return Status::Ok();
  ++*pos;
  std::size_t digits = 0;
  int scale = 100000;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    if (++digits > 9) {
      return Status::InvalidArgument("more than 9 fraction digits in " + Quote(text));
    }
    if (scale > 0) {
      *micros += (text[*pos] - '0') * scale;
      scale /= 10;
    }
    ++*pos;
  }
  if (digits == 0) {
    return Status::InvalidArgument("expected digits after '.' in " + Quote(text));
  }
  return Status::Ok();
}

}  // namespace

std::string Quote(std::string_view text) {
  std::string out = "\"";
  const std::size_t n = std::min(text.size(), kQuotedBytesMax);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (text.size() > n) out += "...";
  out += "\"";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Date

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  if (m == 2 && IsLeapYear(y)) return 29;
  return kDays[static_cast<std::size_t>(m - 1)];
}

Status ValidateDate(const Date& date) {
  if (date.y < kYearMin || date.y > kYearMax) {
    return Status::InvalidArgument("year " + std::to_string(date.y) + " is outside " +
                                   std::to_string(kYearMin) + ".." + std::to_string(kYearMax));
  }
  if (date.m < 1 || date.m > 12) {
    return Status::InvalidArgument("month " + std::to_string(date.m) + " is not 1..12");
  }
  const int days = DaysInMonth(date.y, date.m);
  if (date.d < 1 || date.d > days) {
    return Status::InvalidArgument("day " + std::to_string(date.d) + " does not exist in " +
                                   std::string(kMonthNames[static_cast<std::size_t>(date.m - 1)]) +
                                   " " + std::to_string(date.y) + " (it has " +
                                   std::to_string(days) + " days)");
  }
  return Status::Ok();
}

bool IsValidDate(const Date& date) { return ValidateDate(date).ok(); }

Result<Date> MakeDate(int y, int m, int d) {
  const Date date{y, m, d};
  Status s = ValidateDate(date);
  if (!s.ok()) return s;
  return date;
}

Weekday DayOfWeek(const Date& date) {
  assert(IsValidDate(date));
  // 1970-01-01 was a Thursday (ISO 4).
  const std::int64_t days = DaysSinceEpoch(date);
  const std::int64_t index = ((days + 3) % 7 + 7) % 7;  // 0 = Monday
  return static_cast<Weekday>(index + 1);
}

std::string_view WeekdayName(Weekday day) {
  const int i = static_cast<int>(day) - 1;
  assert(i >= 0 && i < 7);
  return kWeekdayNames[static_cast<std::size_t>(i)];
}

Result<Weekday> ParseWeekday(std::string_view text) {
  for (std::size_t i = 0; i < kWeekdayNames.size(); ++i) {
    if (text == kWeekdayNames[i]) return static_cast<Weekday>(i + 1);
  }
  return Status::InvalidArgument("expected one of Mon Tue Wed Thu Fri Sat Sun, got " + Quote(text));
}

std::int64_t DaysSinceEpoch(const Date& date) {
  assert(IsValidDate(date));
  return DaysFromCivil(date.y, date.m, date.d);
}

Result<Date> DateFromDaysSinceEpoch(std::int64_t days) {
  if (days < kEpochDaysMin || days > kEpochDaysMax) {
    return Status::InvalidArgument("day " + std::to_string(days) +
                                   " since 1970-01-01 is outside years 0001..9999");
  }
  std::int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  return Date{static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)};
}

Result<Date> AddDays(const Date& date, std::int64_t days) {
  const std::int64_t base = DaysSinceEpoch(date);
  // Both bounds are tiny next to int64, so clamping `days` first keeps the sum exact.
  const std::int64_t span = kEpochDaysMax - kEpochDaysMin + 1;
  const std::int64_t clamped = std::clamp(days, -span, span);
  return DateFromDaysSinceEpoch(base + clamped);
}

std::string FormatDate(const Date& date) {
  assert(IsValidDate(date));
  std::string out;
  out.reserve(10);
  AppendPadded(out, date.y, 4);
  out += '-';
  AppendPadded(out, date.m, 2);
  out += '-';
  AppendPadded(out, date.d, 2);
  return out;
}

Result<Date> ParseDate(std::string_view text) {
  Date date;
  const bool shape_ok = text.size() == 10 && ReadDigits(text, 0, 4, &date.y) && text[4] == '-' &&
                        ReadDigits(text, 5, 2, &date.m) && text[7] == '-' &&
                        ReadDigits(text, 8, 2, &date.d);
  if (!shape_ok) {
    return Status::InvalidArgument("expected a date YYYY-MM-DD, got " + Quote(text));
  }
  Status s = ValidateDate(date);
  if (!s.ok()) return Status::InvalidArgument(Quote(text) + ": " + s.message());
  return date;
}

// ---------------------------------------------------------------------------------------------
// Time of day

Result<TimeOfDay> MakeTimeOfDay(int hour, int minute) {
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return Status::InvalidArgument("time " + std::to_string(hour) + ":" + std::to_string(minute) +
                                   " is not within 00:00..23:59");
  }
  return TimeOfDay{hour * kMinutesPerHour + minute};
}

Result<TimeOfDay> ParseTimeOfDay(std::string_view text) {
  int hh = 0, mm = 0;
  const bool shape_ok = text.size() == 5 && ReadDigits(text, 0, 2, &hh) && text[2] == ':' &&
                        ReadDigits(text, 3, 2, &mm);
  if (!shape_ok || hh > 23 || mm > 59) {
    return Status::InvalidArgument("expected HH:MM (00:00..23:59), got " + Quote(text));
  }
  return TimeOfDay{hh * kMinutesPerHour + mm};
}

std::string FormatTimeOfDay(TimeOfDay time) {
  assert(time.minutes >= 0 && time.minutes < kMinutesPerDay);
  std::string out;
  AppendPadded(out, time.minutes / kMinutesPerHour, 2);
  out += ':';
  AppendPadded(out, time.minutes % kMinutesPerHour, 2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Time zones

int UtcOffsetMinutes(TimeZone zone) {
  switch (zone) {
    case TimeZone::kWIB:
      return 7 * 60;
    case TimeZone::kWITA:
      return 8 * 60;
    case TimeZone::kWIT:
      return 9 * 60;
  }
  assert(false);
  return 0;
}

std::string_view TimeZoneName(TimeZone zone) {
  switch (zone) {
    case TimeZone::kWIB:
      return "WIB";
    case TimeZone::kWITA:
      return "WITA";
    case TimeZone::kWIT:
      return "WIT";
  }
  assert(false);
  return "?";
}

Result<TimeZone> ParseTimeZone(std::string_view text) {
  if (text == "WIB") return TimeZone::kWIB;
  if (text == "WITA") return TimeZone::kWITA;
  if (text == "WIT") return TimeZone::kWIT;
  return Status::InvalidArgument("expected a time zone WIB, WITA or WIT, got " + Quote(text));
}

// ---------------------------------------------------------------------------------------------
// Instants

Result<Instant> ParseRfc3339(std::string_view text) {
  if (text.size() > kRfc3339BytesMax) {
    return Status::InvalidArgument("timestamp longer than " + std::to_string(kRfc3339BytesMax) +
                                   " bytes: " + Quote(text));
  }
  if (text.size() < 20) {
    return Status::InvalidArgument(
        "expected an RFC 3339 timestamp like 2017-08-07T08:00:00+07:00"
        ", got " +
        Quote(text));
  }
  Result<Date> date = ParseDate(text.substr(0, 10));
  if (!date.ok()) return date.status();
  const char t = text[10];
  int hh = 0, mi = 0, ss = 0;
  const bool shape_ok = (t == 'T' || t == 't' || t == ' ') && ReadDigits(text, 11, 2, &hh) &&
                        text[13] == ':' && ReadDigits(text, 14, 2, &mi) && text[16] == ':' &&
                        ReadDigits(text, 17, 2, &ss);
  if (!shape_ok) {
    return Status::InvalidArgument("expected THH:MM:SS after the date in " + Quote(text));
  }
  if (hh > 23 || mi > 59 || ss > 59) {
    return Status::InvalidArgument("time of day out of range (leap seconds are not accepted) in " +
                                   Quote(text));
  }
  std::size_t pos = 19;
  int micros = 0;
  Status s = ParseFraction(text, &pos, &micros);
  if (!s.ok()) return s;
  Result<int> offset = ParseOffset(text.substr(pos), text);
  if (!offset.ok()) return offset.status();
  const std::int64_t local = DaysSinceEpoch(*date) * kMicrosPerDay +
                             (hh * kMinutesPerHour + mi) * kMicrosPerMinute +
                             ss * kMicrosPerSecond + micros;
  return Instant{local - *offset * kMicrosPerMinute};
}

Result<int> Rfc3339UtcOffsetMinutes(std::string_view text) {
  if (Result<Instant> valid = ParseRfc3339(text); !valid.ok()) return valid.status();
  const char last = text.back();
  return ParseOffset(
      last == 'Z' || last == 'z' ? text.substr(text.size() - 1) : text.substr(text.size() - 6),
      text);
}

std::string FormatRfc3339(Instant at, int utc_offset_minutes) {
  const int offset = std::clamp(utc_offset_minutes, -kUtcOffsetMinutesMax, kUtcOffsetMinutesMax);
  std::int64_t days = 0, rest = 0;
  SplitLocal(at, offset, &days, &rest);
  std::int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  const std::int64_t secs = rest / kMicrosPerSecond;
  const std::int64_t frac = rest % kMicrosPerSecond;
  std::string out;
  out.reserve(32);  // "2026-03-02T07:31:05.123456+07:00"
  AppendPadded(out, y, 4);
  out += '-';
  AppendPadded(out, m, 2);
  out += '-';
  AppendPadded(out, d, 2);
  out += 'T';
  AppendPadded(out, secs / 3600, 2);
  out += ':';
  AppendPadded(out, secs / 60 % 60, 2);
  out += ':';
  AppendPadded(out, secs % 60, 2);
  if (frac != 0) {
    out += '.';
    AppendPadded(out, frac, 6);
  }
  AppendOffset(out, offset);
  return out;
}

std::string FormatRfc3339(Instant at, TimeZone zone) {
  return FormatRfc3339(at, UtcOffsetMinutes(zone));
}

Result<LocalDateTime> ToLocal(Instant at, TimeZone zone) {
  std::int64_t days = 0, rest = 0;
  SplitLocal(at, UtcOffsetMinutes(zone), &days, &rest);
  Result<Date> date = DateFromDaysSinceEpoch(days);
  if (!date.ok()) return date.status();
  LocalDateTime local;
  local.date = *date;
  local.time.minutes = static_cast<int>(rest / kMicrosPerMinute);
  local.second = static_cast<int>(rest % kMicrosPerMinute / kMicrosPerSecond);
  local.microsecond = static_cast<int>(rest % kMicrosPerSecond);
  return local;
}

Result<Instant> ToInstant(const Date& date, TimeOfDay time, TimeZone zone) {
  Status s = ValidateDate(date);
  if (!s.ok()) return s;
  if (time.minutes < 0 || time.minutes >= kMinutesPerDay) {
    return Status::InvalidArgument("time of day " + std::to_string(time.minutes) +
                                   " minutes is outside 00:00..23:59");
  }
  const std::int64_t local = DaysSinceEpoch(date) * kMicrosPerDay + time.minutes * kMicrosPerMinute;
  return Instant{local - UtcOffsetMinutes(zone) * kMicrosPerMinute};
}

}  // namespace antrean::domain
