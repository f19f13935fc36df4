#include "domain/civil_time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <random>
#include <string>

namespace antrean::domain {
namespace {

TEST(CivilTimeDate, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2023, 2), 28);
  EXPECT_EQ(DaysInMonth(2023, 13), 0);
}

TEST(CivilTimeDate, RejectsImpossibleDatesWithReason) {
  Result<Date> d = MakeDate(1987, 2, 31);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("February 1987"), std::string::npos);
  EXPECT_FALSE(MakeDate(2023, 2, 29).ok());
  EXPECT_TRUE(MakeDate(2024, 2, 29).ok());
  EXPECT_FALSE(MakeDate(2017, 13, 1).ok());
  EXPECT_FALSE(MakeDate(2017, 4, 31).ok());
  EXPECT_FALSE(MakeDate(0, 1, 1).ok());
  EXPECT_FALSE(MakeDate(99999, 1, 1).ok());
  EXPECT_FALSE(MakeDate(std::numeric_limits<int>::min(), 1, 1).ok());
}

TEST(CivilTimeDate, DayOfWeek) {
  EXPECT_EQ(DayOfWeek({2017, 8, 7}), Weekday::kMonday);   // launch day, "Senin (7/8/2017)"
  EXPECT_EQ(DayOfWeek({2017, 7, 14}), Weekday::kFriday);  // "Jumat (14/7/2017)"
  EXPECT_EQ(DayOfWeek({1970, 1, 1}), Weekday::kThursday);
  EXPECT_EQ(DayOfWeek({1, 1, 1}), Weekday::kMonday);
  EXPECT_EQ(DayOfWeek({9999, 12, 31}), Weekday::kFriday);
}

TEST(CivilTimeDate, AddDaysAcrossMonthsYearsAndRange) {
  EXPECT_EQ(*AddDays({2024, 2, 28}, 1), (Date{2024, 2, 29}));
  EXPECT_EQ(*AddDays({2023, 2, 28}, 1), (Date{2023, 3, 1}));
  EXPECT_EQ(*AddDays({2017, 12, 31}, 1), (Date{2018, 1, 1}));
  EXPECT_EQ(*AddDays({2018, 1, 1}, -1), (Date{2017, 12, 31}));
  EXPECT_EQ(*AddDays({2017, 8, 7}, 30), (Date{2017, 9, 6}));
  EXPECT_FALSE(AddDays({9999, 12, 31}, 1).ok());
  EXPECT_FALSE(AddDays({1, 1, 1}, -1).ok());
  EXPECT_FALSE(AddDays({2017, 1, 1}, std::numeric_limits<std::int64_t>::max()).ok());
  EXPECT_FALSE(AddDays({2017, 1, 1}, std::numeric_limits<std::int64_t>::min()).ok());
}

TEST(CivilTimeDate, DaysSinceEpochRoundTrips) {
  for (std::int64_t day = -719162; day <= 2932896; day += 997) {
    Result<Date> d = DateFromDaysSinceEpoch(day);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(DaysSinceEpoch(*d), day);
  }
  EXPECT_FALSE(DateFromDaysSinceEpoch(2932897).ok());
  EXPECT_FALSE(DateFromDaysSinceEpoch(-719163).ok());
}

TEST(CivilTimeDate, CompareOrdersChronologically) {
  EXPECT_LT((Date{2017, 8, 7}), (Date{2017, 8, 8}));
  EXPECT_LT((Date{2017, 8, 31}), (Date{2017, 9, 1}));
  EXPECT_LT((Date{2016, 12, 31}), (Date{2017, 1, 1}));
}

TEST(CivilTimeDate, FormatAndParse) {
  EXPECT_EQ(FormatDate({2017, 8, 7}), "2017-08-07");
  EXPECT_EQ(*ParseDate("2017-08-07"), (Date{2017, 8, 7}));
  EXPECT_FALSE(ParseDate("2017-8-7").ok());
  EXPECT_FALSE(ParseDate("07-08-2017").ok());
  EXPECT_FALSE(ParseDate("2017-02-30").ok());
  EXPECT_FALSE(ParseDate("").ok());
  EXPECT_FALSE(ParseDate("2017-08-07 ").ok());
  EXPECT_FALSE(ParseDate("+017-08-07").ok());
  EXPECT_NE(ParseDate("2017-02-30").status().message().find("2017-02-30"), std::string::npos);
}

TEST(CivilTimeDate, WeekdayNames) {
  EXPECT_EQ(*ParseWeekday("Mon"), Weekday::kMonday);
  EXPECT_EQ(*ParseWeekday("Sun"), Weekday::kSunday);
  EXPECT_FALSE(ParseWeekday("mon").ok());
  EXPECT_FALSE(ParseWeekday("Monday").ok());
  EXPECT_EQ(WeekdayName(Weekday::kSaturday), "Sat");
}

TEST(CivilTimeTimeOfDay, ParseAndFormat) {
  EXPECT_EQ(ParseTimeOfDay("07:30")->minutes, 450);
  EXPECT_EQ(ParseTimeOfDay("23:59")->minutes, 1439);
  EXPECT_EQ(FormatTimeOfDay({450}), "07:30");
  for (const char* bad :
       {"24:00", "25:00", "7:30", "07:60", "07.30", "0730", "", "07:30 ", "aa:bb"}) {
    Result<TimeOfDay> t = ParseTimeOfDay(bad);
    EXPECT_FALSE(t.ok()) << bad;
  }
  EXPECT_NE(ParseTimeOfDay("25:00").status().message().find("\"25:00\""), std::string::npos);
  EXPECT_FALSE(MakeTimeOfDay(24, 0).ok());
  EXPECT_EQ(MakeTimeOfDay(10, 0)->minutes, 600);
}

TEST(CivilTimeZone, OffsetsAndNames) {
  EXPECT_EQ(UtcOffsetMinutes(TimeZone::kWIB), 420);
  EXPECT_EQ(UtcOffsetMinutes(TimeZone::kWITA), 480);
  EXPECT_EQ(UtcOffsetMinutes(TimeZone::kWIT), 540);
  EXPECT_EQ(*ParseTimeZone("WITA"), TimeZone::kWITA);
  EXPECT_EQ(TimeZoneName(TimeZone::kWIT), "WIT");
  EXPECT_FALSE(ParseTimeZone("wib").ok());
  EXPECT_FALSE(ParseTimeZone("UTC+7").ok());
}

TEST(CivilTimeInstant, ParsesOffsetsZuluAndFractions) {
  Result<Instant> wib = ParseRfc3339("2017-08-07T08:00:00+07:00");
  Result<Instant> utc = ParseRfc3339("2017-08-07T01:00:00Z");
  ASSERT_TRUE(wib.ok());
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(*wib, *utc);
  EXPECT_EQ(utc->micros_since_epoch, 1502067600LL * 1000000);
  EXPECT_EQ(ParseRfc3339("2017-08-07t01:00:00z")->micros_since_epoch, utc->micros_since_epoch);
  EXPECT_EQ(ParseRfc3339("2017-08-07 01:00:00Z")->micros_since_epoch, utc->micros_since_epoch);
  EXPECT_EQ(ParseRfc3339("2017-08-07T01:00:00.5Z")->micros_since_epoch,
            utc->micros_since_epoch + 500000);
  EXPECT_EQ(ParseRfc3339("2017-08-07T01:00:00.123456789Z")->micros_since_epoch,
            utc->micros_since_epoch + 123456);
  EXPECT_EQ(ParseRfc3339("2017-08-06T20:00:00-05:00")->micros_since_epoch, utc->micros_since_epoch);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59.999999Z")->micros_since_epoch, -1);
}

TEST(CivilTimeInstant, TheOffsetATimestampIsWrittenAt) {
  EXPECT_EQ(Rfc3339UtcOffsetMinutes("2017-08-07T07:30:00+07:00").value(), 420);
  EXPECT_EQ(Rfc3339UtcOffsetMinutes("2017-08-07T08:00:00.5+08:00").value(), 480);
  EXPECT_EQ(Rfc3339UtcOffsetMinutes("2017-08-07T00:30:00Z").value(), 0);
  EXPECT_EQ(Rfc3339UtcOffsetMinutes("2017-08-07T00:30:00-03:30").value(), -210);
  EXPECT_FALSE(Rfc3339UtcOffsetMinutes("2017-08-07T07:30:00").ok());
  EXPECT_FALSE(Rfc3339UtcOffsetMinutes("+07:00").ok());
}

TEST(CivilTimeInstant, RejectsGarbageSayingWhat) {
  for (const char* bad :
       {"", "2017-08-07", "2017-08-07T08:00:00", "2017-08-07T08:00:00+7:00",
        "2017-08-07T08:00:00+07", "2017-08-07T24:00:00Z", "2017-08-07T23:59:60Z",
        "2017-02-30T08:00:00Z", "2017-08-07T08:00:00.Z", "2017-08-07T08:00:00.1234567890Z",
        "2017-08-07T08:00:00+24:00", "2017-08-07T08:00:00Zjunk", "99999-08-07T08:00:00Z",
        "0000-01-01T00:00:00Z", "2017-08-07X08:00:00Z", "２０１７-08-07T08:00:00Z"}) {
    Result<Instant> r = ParseRfc3339(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  EXPECT_FALSE(ParseRfc3339(std::string(1000, '9')).ok());
}

TEST(CivilTimeInstant, ExtremesOfTheRange) {
  Result<Instant> lo = ParseRfc3339("0001-01-01T00:00:00+23:59");
  Result<Instant> hi = ParseRfc3339("9999-12-31T23:59:59.999999-23:59");
  ASSERT_TRUE(lo.ok());
  ASSERT_TRUE(hi.ok());
  EXPECT_LT(*lo, *hi);
  EXPECT_EQ(FormatRfc3339(*hi, 0).substr(0, 5), "10000");  // beyond 9999 in UTC, no UB
}

TEST(CivilTimeInstant, FormatsInAnOffset) {
  const Instant at = *ParseRfc3339("2017-08-07T01:00:00Z");
  EXPECT_EQ(FormatRfc3339(at, 0), "2017-08-07T01:00:00Z");
  EXPECT_EQ(FormatRfc3339(at, TimeZone::kWIB), "2017-08-07T08:00:00+07:00");
  EXPECT_EQ(FormatRfc3339(at, TimeZone::kWIT), "2017-08-07T10:00:00+09:00");
  EXPECT_EQ(FormatRfc3339(at, -330), "2017-08-06T19:30:00-05:30");
  EXPECT_EQ(FormatRfc3339(Instant{at.micros_since_epoch + 42}, 0), "2017-08-07T01:00:00.000042Z");
  EXPECT_EQ(FormatRfc3339(Instant{-1}, 0), "1969-12-31T23:59:59.999999Z");
}

// The formatting is written out by hand (no snprintf, for speed): checked against the C
// library's calendar (gmtime_r) over random instants of years 1..9999 in random offsets, and at
// the ends of Instant's range, where the year has more digits or a sign.
TEST(CivilTimeInstant, FormatAgreesWithTheCLibraryCalendar) {
  std::mt19937_64 rng(20170807);
  constexpr std::int64_t kLo = -62135596800000000, kHi = 253402300799999999;  // 0001..9999 UTC
  for (int i = 0; i < 100000; ++i) {
    const std::int64_t us = kLo + static_cast<std::int64_t>(rng() % (kHi - kLo));
    const int offset = static_cast<int>(rng() % (2 * 1439 + 1)) - 1439;
    const std::int64_t local_us = us + std::int64_t{offset} * 60'000'000;
    const std::int64_t secs =
        local_us >= 0 ? local_us / 1'000'000 : (local_us - 999'999) / 1'000'000;
    const std::int64_t frac = local_us - secs * 1'000'000;
    const time_t t = static_cast<time_t>(secs);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char want[80];
    std::size_t n = static_cast<std::size_t>(
        std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec));
    if (frac != 0) {
      n += static_cast<std::size_t>(
          std::snprintf(want + n, sizeof want - n, ".%06lld", static_cast<long long>(frac)));
    }
    const int abs = offset < 0 ? -offset : offset;
    if (offset == 0) {
      std::snprintf(want + n, sizeof want - n, "Z");
    } else {
      std::snprintf(want + n, sizeof want - n, "%c%02d:%02d", offset < 0 ? '-' : '+', abs / 60,
                    abs % 60);
    }
    ASSERT_EQ(FormatRfc3339(Instant{us}, offset), want) << us << " " << offset;
    const Date date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    if (date.y >= 1 && date.y <= 9999) {
      ASSERT_EQ(FormatDate(date), std::string(want, 10));
    }
    ASSERT_EQ(FormatTimeOfDay({tm.tm_hour * 60 + tm.tm_min}), std::string(want + 11, 5));
  }
  EXPECT_EQ(FormatRfc3339(Instant{std::numeric_limits<std::int64_t>::min()}, -330),
            "-290308-12-21T14:29:05.224192-05:30");
  EXPECT_EQ(FormatRfc3339(Instant{std::numeric_limits<std::int64_t>::max()}, 0),
            "294247-01-10T04:00:54.775807Z");
  EXPECT_EQ(FormatDate({7, 3, 9}), "0007-03-09");
}

TEST(CivilTimeInstant, FormatNeverOverflows) {
  for (std::int64_t us : {std::numeric_limits<std::int64_t>::min(),
                          std::numeric_limits<std::int64_t>::max(), std::int64_t{0}}) {
    for (int offset : {-100000, -1439, 0, 540, 100000}) {
      EXPECT_FALSE(FormatRfc3339(Instant{us}, offset).empty());
    }
    Result<LocalDateTime> local = ToLocal(Instant{us}, TimeZone::kWIT);
    EXPECT_EQ(local.ok(), us == 0);
  }
}

TEST(CivilTimeInstant, RoundTripsThroughText) {
  for (std::int64_t us :
       {std::int64_t{0}, std::int64_t{1502067600000001}, std::int64_t{-86400000000},
        std::int64_t{253402300799999999}, std::int64_t{-62135596800000000}}) {
    for (int offset : {0, 420, 480, 540, -60}) {
      const std::string text = FormatRfc3339(Instant{us}, offset);
      Result<Instant> back = ParseRfc3339(text);
      if (us == 253402300799999999 && offset > 0) continue;  // year 10000 locally
      if (us == -62135596800000000 && offset < 0) continue;  // year 0 locally
      ASSERT_TRUE(back.ok()) << text << " " << back.status().ToString();
      EXPECT_EQ(back->micros_since_epoch, us) << text;
    }
  }
}

TEST(CivilTimeLocal, LocalDateAndTimeOfAnInstant) {
  // 23:30 UTC on 6 August is already 7 August in all three zones.
  const Instant at = *ParseRfc3339("2017-08-06T23:30:15.25Z");
  Result<LocalDateTime> wib = ToLocal(at, TimeZone::kWIB);
  ASSERT_TRUE(wib.ok());
  EXPECT_EQ(wib->date, (Date{2017, 8, 7}));
  EXPECT_EQ(FormatTimeOfDay(wib->time), "06:30");
  EXPECT_EQ(wib->second, 15);
  EXPECT_EQ(wib->microsecond, 250000);
  EXPECT_EQ(FormatTimeOfDay(ToLocal(at, TimeZone::kWITA)->time), "07:30");
  EXPECT_EQ(FormatTimeOfDay(ToLocal(at, TimeZone::kWIT)->time), "08:30");
  // 16:59 UTC is still the same day in WIB but the next in WIT.
  const Instant evening = *ParseRfc3339("2017-08-07T16:59:00Z");
  EXPECT_EQ(ToLocal(evening, TimeZone::kWIB)->date, (Date{2017, 8, 7}));
  EXPECT_EQ(ToLocal(evening, TimeZone::kWIT)->date, (Date{2017, 8, 8}));
}

TEST(CivilTimeLocal, InstantOfALocalTime) {
  Result<Instant> at = ToInstant({2017, 8, 7}, {8 * 60}, TimeZone::kWIB);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(FormatRfc3339(*at, 0), "2017-08-07T01:00:00Z");
  Result<Instant> bali = ToInstant({2017, 8, 7}, {8 * 60}, TimeZone::kWITA);
  EXPECT_EQ(at->micros_since_epoch - bali->micros_since_epoch, kMicrosPerMinute * 60);
  EXPECT_FALSE(ToInstant({2017, 2, 30}, {0}, TimeZone::kWIB).ok());
  EXPECT_FALSE(ToInstant({2017, 2, 1}, {kMinutesPerDay}, TimeZone::kWIB).ok());
  EXPECT_FALSE(ToInstant({2017, 2, 1}, {-1}, TimeZone::kWIB).ok());
  Result<LocalDateTime> back = ToLocal(*at, TimeZone::kWIB);
  EXPECT_EQ(back->date, (Date{2017, 8, 7}));
  EXPECT_EQ(back->time.minutes, 8 * 60);
}

TEST(CivilTimeQuote, EscapesAndTruncates) {
  EXPECT_EQ(Quote("ab"), "\"ab\"");
  EXPECT_EQ(Quote(std::string_view("a\0\"", 3)), "\"a\\x00\\x22\"");
  EXPECT_EQ(Quote(std::string(100, 'x')).size(), kQuotedBytesMax + 5);
}

}  // namespace
}  // namespace antrean::domain
