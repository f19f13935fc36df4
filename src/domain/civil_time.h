// Civil dates, times of day, Indonesia's three time zones, and instants on the UTC time line.
//
// Pure functions, no I/O, no exceptions. Everything that reads text is strict: it accepts exactly
// the documented grammar and says what is wrong otherwise. Absurd input (year 99999, 40-digit
// numbers) is rejected, never undefined behaviour: all arithmetic stays within int64.
//
// Range: dates from 0001-01-01 to 9999-12-31 (proleptic Gregorian calendar). Instants are only
// produced for that range, which is far inside int64 microseconds (about ±292,000 years).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace antrean::domain {

inline constexpr int kYearMin = 1;
inline constexpr int kYearMax = 9999;

inline constexpr int kMinutesPerHour = 60;
inline constexpr int kMinutesPerDay = 24 * kMinutesPerHour;
inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;
inline constexpr std::int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr std::int64_t kMicrosPerDay = kMinutesPerDay * kMicrosPerMinute;

// For error messages: `text` in double quotes, non-printable bytes as \xNN, cut after
// kQuotedBytesMax bytes with "..." so that garbage input cannot bloat a message.
inline constexpr std::size_t kQuotedBytesMax = 40;
std::string Quote(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Date

struct Date {
  int y = 1970;
  int m = 1;  // 1..12
  int d = 1;  // 1..DaysInMonth(y, m)
  friend auto operator<=>(const Date&, const Date&) = default;
};

bool IsLeapYear(int y);
// 28..31, or 0 when m is not 1..12.
int DaysInMonth(int y, int m);
// OK, or InvalidArgument naming the wrong part ("day 31 does not exist in February 1987").
Status ValidateDate(const Date& date);
bool IsValidDate(const Date& date);
Result<Date> MakeDate(int y, int m, int d);

// ISO numbering: Monday = 1 ... Sunday = 7.
enum class Weekday : int {
  kMonday = 1,
  kTuesday,
  kWednesday,
  kThursday,
  kFriday,
  kSaturday,
  kSunday
};
// Requires a valid date.
Weekday DayOfWeek(const Date& date);
// "Mon", "Tue", ... "Sun": the spelling used in the office file.
std::string_view WeekdayName(Weekday day);
// Exactly one of "Mon".."Sun" (case-sensitive, like every name in the office file).
Result<Weekday> ParseWeekday(std::string_view text);

// Days since 1970-01-01 (negative before). Requires a valid date.
std::int64_t DaysSinceEpoch(const Date& date);
// Fails when the day falls outside kYearMin..kYearMax.
Result<Date> DateFromDaysSinceEpoch(std::int64_t days);
// Fails when the result falls outside kYearMin..kYearMax. Requires a valid date.
Result<Date> AddDays(const Date& date, std::int64_t days);

// "YYYY-MM-DD". Requires a valid date.
std::string FormatDate(const Date& date);
// Exactly "YYYY-MM-DD" with a valid calendar date.
Result<Date> ParseDate(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Time of day (minute resolution: sessions, registration windows)

struct TimeOfDay {
  int minutes = 0;  // 0..kMinutesPerDay-1 since local midnight
  friend auto operator<=>(const TimeOfDay&, const TimeOfDay&) = default;
};

Result<TimeOfDay> MakeTimeOfDay(int hour, int minute);
// "HH:MM", 00:00..23:59, exactly two digits each.
Result<TimeOfDay> ParseTimeOfDay(std::string_view text);
// "HH:MM". Requires 0 <= minutes < kMinutesPerDay.
std::string FormatTimeOfDay(TimeOfDay time);

// ---------------------------------------------------------------------------------------------
// Time zones: Indonesia has three, none with daylight saving time.

enum class TimeZone { kWIB, kWITA, kWIT };

int UtcOffsetMinutes(TimeZone zone);           // +420, +480, +540
std::string_view TimeZoneName(TimeZone zone);  // "WIB", "WITA", "WIT"
// Exactly "WIB", "WITA" or "WIT".
Result<TimeZone> ParseTimeZone(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Instants

struct Instant {
  std::int64_t micros_since_epoch = 0;  // since 1970-01-01T00:00:00Z, leap seconds not counted
  friend auto operator<=>(const Instant&, const Instant&) = default;
};

// RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". 'T' may also be 't'
// or a space, 'Z' may be 'z'. The fraction has 1..9 digits; digits beyond microseconds are
// truncated. Leap seconds (:60) are rejected: the ledger cannot represent them.
inline constexpr std::size_t kRfc3339BytesMax = 64;  // longer input is rejected unread
Result<Instant> ParseRfc3339(std::string_view text);
// The offset from UTC, in minutes, that a valid RFC 3339 timestamp is written at ("…+07:00" ->
// 420, "…Z" -> 0). Errors as ParseRfc3339's.
Result<int> Rfc3339UtcOffsetMinutes(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)" at the given offset from UTC (0 prints "Z"). The
// fraction is printed, with six digits, only when it is not zero. Offsets are clamped to
// ±23:59. For instants outside kYearMin..kYearMax the year is printed as is, which is not valid
// RFC 3339; callers that care check the range with ToLocal first.
std::string FormatRfc3339(Instant at, int utc_offset_minutes);
std::string FormatRfc3339(Instant at, TimeZone zone);

// A wall-clock reading in one zone.
struct LocalDateTime {
  Date date;
  TimeOfDay time;
  int second = 0;       // 0..59
  int microsecond = 0;  // 0..999999
  friend auto operator<=>(const LocalDateTime&, const LocalDateTime&) = default;
};

// Fails when the local date falls outside kYearMin..kYearMax.
Result<LocalDateTime> ToLocal(Instant at, TimeZone zone);
// The instant at which the wall clock in `zone` shows `date` `time`:00. No DST, so every local
// time exists exactly once. Fails on an invalid date or time.
Result<Instant> ToInstant(const Date& date, TimeOfDay time, TimeZone zone);

}  // namespace antrean::domain
