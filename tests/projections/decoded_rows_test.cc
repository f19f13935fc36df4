// DecodedRows (projections/decision_state.h): decoded day and booking rows kept beside their
// bytes, so that reads of unchanged rows skip the JSON decoding. What matters is that a kept row
// can never be answered for bytes other than its own.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "projections/decision_state.h"

namespace antrean::projections {
namespace {

// Rows in a map, keeping decoded rows when asked to; counts the reads.
class Rows final : public StateRows {
 public:
  explicit Rows(bool keep) : keep_(keep) {}
  Result<std::optional<std::string>> Read(std::string_view key) override {
    ++reads;
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  void Write(std::string key, std::string value) override { rows_[key] = std::move(value); }
  void Erase(std::string key) override { rows_.erase(key); }
  DecodedRows* decoded() override { return keep_ ? &decoded_ : nullptr; }

  int reads = 0;
  DecodedRows decoded_;

 private:
  bool keep_;
  std::map<std::string, std::string> rows_;
};

// Text of any Unicode scalar values (the rows' strings come from events, which are UTF-8).
std::string RandomUtf8(std::mt19937_64& rng) {
  std::string s;
  const int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) {
    std::uint32_t c = 0;
    switch (rng() % 4) {
      case 0:
        c = static_cast<std::uint32_t>(rng() % 0x80);
        break;
      case 1:
        c = 0x80 + static_cast<std::uint32_t>(rng() % (0x800 - 0x80));
        break;
      case 2:
        c = 0xE000 + static_cast<std::uint32_t>(rng() % 0x1000);
        break;
      default:
        c = 0x10000 + static_cast<std::uint32_t>(rng() % 0x100000);
        break;
    }
    if (c < 0x80) {
      s.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (c >> 6)));
      s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (c >> 12)));
      s.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (c >> 18)));
      s.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return s;
}

BookingRow RandomBooking(std::mt19937_64& rng) {
  BookingRow b;
  for (std::string* f : {&b.code, &b.office, &b.date, &b.session, &b.phone, &b.person, &b.name,
                         &b.birth_date, &b.relation, &b.status, &b.arrive_by, &b.message_id}) {
    *f = RandomUtf8(rng);
  }
  b.queue_number = static_cast<std::uint32_t>(rng());
  b.arrive_by_us = static_cast<std::int64_t>(rng());
  return b;
}

DayRow RandomDay(std::mt19937_64& rng) {
  DayRow d;
  d.issued = static_cast<std::uint32_t>(rng());
  const int sessions = static_cast<int>(rng() % 5);
  for (int i = 0; i < sessions; ++i) {
    SessionCounts& c = d.sessions[RandomUtf8(rng)];
    for (std::uint32_t* n :
         {&c.issued, &c.arrived, &c.forfeited, &c.expired, &c.completed, &c.returned}) {
      *n = static_cast<std::uint32_t>(rng());
    }
  }
  return d;
}

TEST(DecodedRows, KeptRowTypesDecodeBackToTheRowTheyWereEncodedFrom) {
  // WriteRow keeps a row as what its encoding decodes to: that must be the row itself.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const BookingRow b = RandomBooking(rng);
    BookingRow b2;
    ASSERT_TRUE(Decode(Encode(b), &b2).ok()) << Encode(b);
    ASSERT_EQ(b2, b) << Encode(b);
    const DayRow d = RandomDay(rng);
    DayRow d2;
    ASSERT_TRUE(Decode(Encode(d), &d2).ok()) << Encode(d);
    ASSERT_EQ(d2, d) << Encode(d);
  }
  BookingRow limits;
  limits.queue_number = std::numeric_limits<std::uint32_t>::max();
  limits.arrive_by_us = std::numeric_limits<std::int64_t>::min();
  BookingRow back;
  ASSERT_TRUE(Decode(Encode(limits), &back).ok());
  EXPECT_EQ(back, limits);
}

TEST(DecodedRows, AWrittenRowIsKeptAndReadBackAsItself) {
  Rows rows(true);
  BookingRow b;
  b.code = "K7Q2M9XPA";
  b.status = "arrived";
  WriteRow(rows, BookingRowKey(b.code), b);
  EXPECT_NE(rows.decoded_.Find<BookingRow>(BookingRowKey(b.code), Encode(b)), nullptr);
  auto read = ReadRow<BookingRow>(rows, BookingRowKey(b.code));
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, b);
}

TEST(DecodedRows, RowsWrittenAsBytesByOthersAreReadAsThoseBytesNeverAsTheKeptRow) {
  Rows rows(true);
  DayRow before;
  before.issued = 3;
  WriteRow(rows, DayRowKey("bogor", "2026-03-02"), before);
  // Another writer (a fold that encodes the row itself, a restore) changes the bytes.
  DayRow after;
  after.issued = 4;
  after.sessions["08:00"].issued = 4;
  rows.Write(DayRowKey("bogor", "2026-03-02"), Encode(after));
  auto read = ReadRow<DayRow>(rows, DayRowKey("bogor", "2026-03-02"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(**read, after);
  // Erased: absent, whatever was kept.
  rows.Erase(DayRowKey("bogor", "2026-03-02"));
  auto gone = ReadRow<DayRow>(rows, DayRowKey("bogor", "2026-03-02"));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST(DecodedRows, ADamagedRowIsReportedEvenWhenItsKeyHasARowKept) {
  Rows rows(true);
  BookingRow b;
  b.code = "K7Q2M9XPA";
  WriteRow(rows, BookingRowKey(b.code), b);
  rows.Write(BookingRowKey(b.code), "{\"code\":");
  auto read = ReadRow<BookingRow>(rows, BookingRowKey(b.code));
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().IsCorruption());
  EXPECT_NE(read.status().message().find("bk/K7Q2M9XPA"), std::string::npos);
}

TEST(DecodedRows, ManyKeysSharingSlotsAllReadTheirOwnRowsWithOrWithoutKeeping) {
  // More keys than slots: each slot is taken over again and again.
  Rows kept(true), plain(false);
  std::mt19937_64 rng(11);
  std::map<std::string, BookingRow> want;
  for (std::size_t i = 0; i < 3 * kDecodedRowSlots; ++i) {
    BookingRow b = RandomBooking(rng);
    b.code = "C" + std::to_string(i);
    want[BookingRowKey(b.code)] = b;
    WriteRow(kept, BookingRowKey(b.code), b);
    WriteRow(plain, BookingRowKey(b.code), b);
  }
  for (const auto& [key, b] : want) {
    auto a = ReadRow<BookingRow>(kept, key);
    auto p = ReadRow<BookingRow>(plain, key);
    ASSERT_TRUE(a.ok() && p.ok());
    ASSERT_EQ(**a, b) << key;
    ASSERT_EQ(**p, b) << key;
  }
}

TEST(DecodedRows, OtherRowTypesAreWrittenAsTheirEncodingAndReadBack) {
  Rows rows(true);
  PhoneRow phone;
  phone.owner = "BUDI|1987-01-25";
  phone.blacklisted = true;
  phone.forensics.issued = 3;
  WriteRow(rows, PhoneRowKey("62812"), phone);
  auto bytes = rows.Read(PhoneRowKey("62812"));
  ASSERT_TRUE(bytes.ok() && bytes->has_value());
  EXPECT_EQ(**bytes, Encode(phone));
  auto read = ReadRow<PhoneRow>(rows, PhoneRowKey("62812"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(**read, phone);
}

}  // namespace
}  // namespace antrean::projections
