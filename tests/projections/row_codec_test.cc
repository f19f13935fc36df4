// The state rows' encoding (projections/decision_state.h). Rows are written as JSON text without
// building a Boost.JSON tree first; these tests prove the bytes are exactly Boost.JSON's own
// serialization of the same object — so rows written by earlier versions, which did build the
// tree, still compare equal in `antrean replay` — and that every row reads back as it was. The
// detection's parts of the phone and person rows leave their defaults out, and still read as
// written whole.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "projections/decision_state.h"

namespace antrean::projections {
namespace {

namespace json = boost::json;

// Every byte value, so that each escape Boost.JSON makes (and each byte it leaves alone) is met.
std::string AllBytes() {
  std::string s;
  for (int c = 0; c < 256; ++c) s.push_back(static_cast<char>(c));
  return s;
}

// Boost.JSON's serialization of the object the encoded text parses to: member order, number
// and string forms are all its own.
std::string Reserialized(const std::string& encoded) {
  boost::system::error_code ec;
  json::parse_options lenient;
  lenient.allow_invalid_utf8 = true;  // AllBytes() is not UTF-8; the rows hold it as it is
  json::value v = json::parse(encoded, ec, {}, lenient);
  EXPECT_FALSE(ec) << ec.message() << " in " << encoded;
  return json::serialize(v);
}

template <class Row>
void ExpectBoostBytesAndRoundTrip(const Row& row) {
  const std::string bytes = Encode(row);
  EXPECT_EQ(bytes, Reserialized(bytes));
  Row back;
  ASSERT_TRUE(Decode(bytes, &back).ok()) << bytes;
  EXPECT_EQ(Encode(back), bytes);
}

TEST(RowCodec, StringsAreEscapedExactlyAsBoostJsonDoes) {
  PhoneRow r;
  r.owner = AllBytes();
  const std::string bytes = Encode(r);
  EXPECT_EQ(bytes, Reserialized(bytes));
  // The escapes themselves, spelled out.
  r.owner = std::string("a\"b\\c\b\f\n\r\t\x01\x1f\x7f/") + "\xc3\xa9";
  EXPECT_EQ(Encode(r),
            "{\"owner\":\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f/\xc3\xa9\","
            "\"blacklisted\":false}");
}

TEST(RowCodec, NumbersAtTheirLimitsAreBoostJsonsDecimals) {
  BookingRow b;
  b.queue_number = std::numeric_limits<std::uint32_t>::max();
  b.arrive_by_us = std::numeric_limits<std::int64_t>::min();
  ExpectBoostBytesAndRoundTrip(b);
  b.arrive_by_us = std::numeric_limits<std::int64_t>::max();
  ExpectBoostBytesAndRoundTrip(b);
  ForensicConfigRow c;
  c.utc_offset_minutes = -720;
  c.auto_blacklist_rules = {"burst", "ring"};
  ExpectBoostBytesAndRoundTrip(c);
  Sighting s{"62812", std::numeric_limits<std::int64_t>::min(),
             std::numeric_limits<std::uint64_t>::max()};
  BlockRow k;
  k.phones = {s, s};
  ExpectBoostBytesAndRoundTrip(k);
}

TEST(RowCodec, EveryRowTypeWithNestedListsMapsAndOptionalsMatchesBoostJson) {
  DayRow d;
  ExpectBoostBytesAndRoundTrip(d);  // an empty map
  d.issued = 7;
  d.sessions["08:00"] = SessionCounts{3, 2, 1, 0, 1, 1};
  d.sessions["13:30"].issued = 4;
  ExpectBoostBytesAndRoundTrip(d);

  ConfigRow c{"sha256:ab", {{"08:00", 50}, {"10:00", 40}}, 90};
  ExpectBoostBytesAndRoundTrip(c);
  ExpectBoostBytesAndRoundTrip(PersonRow{"K7Q2ABCD9X", {}});
  ExpectBoostBytesAndRoundTrip(ApplicationRow{"bogor", "photo_taken"});
  ExpectBoostBytesAndRoundTrip(OutboxRow{"bogor", "62812", "Kode: K7Q2\nDatang 07:30", "wamid.1", 2,
                                         1772380800000000, 1772380860000000});

  BlacklistRow bl;
  bl.in_force = true;
  bl.reason = "broker";
  bl.evidence = {1, 2, 3};
  ExpectBoostBytesAndRoundTrip(bl);

  FlagRow f;
  f.flag_id = "ring:p:62812";
  f.evidence = {9, 10};
  f.persons = {"BUDI|1987-01-25"};
  ExpectBoostBytesAndRoundTrip(f);  // offices absent: not written
  f.offices = std::vector<std::string>{};
  ExpectBoostBytesAndRoundTrip(f);  // present and empty
  f.offices = std::vector<std::string>{"bogor", "batam"};
  ExpectBoostBytesAndRoundTrip(f);

  ForensicPhoneRow p;
  ExpectBoostBytesAndRoundTrip(p);
  p.other_adults = {Sighting{"SITI|1990-02-01", 5, 6}};
  p.issued = 2;
  p.rush_day = "bogor|2026-03-02";
  p.rush_seqs = {11, 12};
  p.node = RingNode{"", 2, 3, {"p:62812", "i:SITI|1990-02-01"}, {4, 5}, true};
  ExpectBoostBytesAndRoundTrip(p);
  ForensicPersonRow i;
  i.phones = {Sighting{"62812", 1, 2}, Sighting{"62813", 3, 4}};
  i.node.parent = "p:62812";
  ExpectBoostBytesAndRoundTrip(i);
  ExpectBoostBytesAndRoundTrip(ForensicOfficeRow{100, 7});
}

TEST(RowCodec, DetectionPhoneAndPersonRowsLeaveTheirDefaultsOut) {
  EXPECT_EQ(Encode(ForensicPhoneRow{}), "{}");
  EXPECT_EQ(Encode(ForensicPersonRow{}), "{}");
  ForensicPhoneRow p;
  p.issued = 2;
  p.node.parent = "i:SITI|1990-02-01";
  EXPECT_EQ(Encode(p), R"({"issued":2,"node":{"parent":"i:SITI|1990-02-01"}})");
  ForensicPersonRow i;
  i.phones = {Sighting{"62812", 1, 2}};
  i.node = RingNode{"", 1, 1, {"i:SITI|1990-02-01", "p:62812"}, {2}, false};
  EXPECT_EQ(Encode(i),
            R"({"phones":[{"who":"62812","at_us":1,"seq":2}],)"
            R"("node":{"phones":1,"persons":1,"members":["i:SITI|1990-02-01","p:62812"],)"
            R"("seqs":[2]}})");
  // A field left out reads as its default; one of the wrong type is still damage.
  ForensicPhoneRow back;
  back.issued = 9;
  ASSERT_TRUE(Decode(R"({"node":{"flagged":true}})", &back).ok());
  EXPECT_EQ(back.issued, 0u);
  EXPECT_TRUE(back.node.flagged);
  EXPECT_TRUE(Decode(R"({"issued":"two"})", &back).IsCorruption());
  EXPECT_TRUE(Decode(R"({"node":{"seqs":"x"}})", &back).IsCorruption());
  // Written whole, as versions before 2026-11-22 did, the same row reads back.
  ForensicPhoneRow whole;
  ASSERT_TRUE(Decode(R"({"other_adults":[],"issued":2,"unused":0,"unused_seqs":[],"mismatches":0,)"
                     R"("mismatch_seqs":[],"rush_day":"","rush_seqs":[],"node":{"parent":)"
                     R"("i:SITI|1990-02-01","phones":0,"persons":0,"members":[],"seqs":[],)"
                     R"("flagged":false}})",
                     &whole)
                  .ok());
  EXPECT_EQ(Encode(whole), Encode(p));
  // Other rows keep every field: one missing is damage, not a default.
  PhoneRow owner;
  EXPECT_TRUE(Decode(R"({"owner":"SITI|1990-02-01"})", &owner).IsCorruption());
}

TEST(RowCodec, PhoneAndPersonRowsHoldTheDetectionsPartAfterTheStatesFields) {
  PhoneRow phone;
  phone.owner = "SITI|1990-02-01";
  // With detection off, or before the detection counted anything: the row as layout 1 wrote it.
  EXPECT_EQ(Encode(phone), R"({"owner":"SITI|1990-02-01","blacklisted":false})");
  phone.forensics.issued = 2;
  phone.forensics.node.parent = "i:SITI|1990-02-01";
  EXPECT_EQ(Encode(phone), R"({"owner":"SITI|1990-02-01","blacklisted":false,"issued":2,)"
                           R"("node":{"parent":"i:SITI|1990-02-01"}})");
  ExpectBoostBytesAndRoundTrip(phone);
  PhoneRow back;
  ASSERT_TRUE(Decode(Encode(phone), &back).ok());
  EXPECT_EQ(back, phone);
  // A layout-1 row reads with the detection's part at its defaults.
  ASSERT_TRUE(Decode(R"({"owner":"","blacklisted":true})", &back).ok());
  EXPECT_EQ(back.forensics, ForensicPhoneRow{});
  EXPECT_TRUE(back.blacklisted);
  // The detection's part is held to its types as its own row was.
  EXPECT_TRUE(Decode(R"({"owner":"","blacklisted":false,"issued":"two"})", &back).IsCorruption());

  PersonRow person;
  person.active_code = "K7Q2";
  person.forensics.phones = {Sighting{"62812", 1, 2}};
  EXPECT_EQ(Encode(person),
            R"({"active_code":"K7Q2","phones":[{"who":"62812","at_us":1,"seq":2}]})");
  ExpectBoostBytesAndRoundTrip(person);
  EXPECT_EQ(Encode(PersonRow{}), R"({"active_code":""})");
}

TEST(RowCodec, ADamagedRowIsReportedNotReadAsDefaults) {
  BookingRow b;
  EXPECT_TRUE(Decode("{\"code\":1}", &b).IsCorruption());
  EXPECT_TRUE(Decode("not json", &b).IsCorruption());
  EXPECT_TRUE(Decode("[]", &b).IsCorruption());
  // A row larger than the parser's stack buffer still reads.
  ForensicPersonRow big;
  for (int n = 0; n < 200; ++n) big.node.members.push_back("i:" + std::string(40, 'A') + "|2000");
  ForensicPersonRow back;
  ASSERT_TRUE(Decode(Encode(big), &back).ok());
  EXPECT_EQ(back.node.members, big.node.members);
}

}  // namespace
}  // namespace antrean::projections

namespace antrean::projections {
namespace {

// The no-show sweep scans dl/ in key order, so the instant must be 16 lower-case hex digits, zero
// padded, as printf's "%016" PRIx64 writes it (the format docs/PROJECTIONS.md gives).
TEST(RowKeys, ADeadlineKeyIsSixteenHexDigitsOfTheInstantThenTheCode) {
  EXPECT_EQ(DeadlineRowKey(0, "ABC"), "dl/0000000000000000|ABC");
  EXPECT_EQ(DeadlineRowKey(1'502'069'400'000'000, "7KQ2M9TXW4"), "dl/0005561fc903d600|7KQ2M9TXW4");
  EXPECT_EQ(DeadlineRowKey(std::numeric_limits<std::int64_t>::max(), ""), "dl/7fffffffffffffff|");
  EXPECT_EQ(DeadlineRowKey(-1, "X"), "dl/ffffffffffffffff|X");
  std::uint64_t v = 0x0123456789abcdefULL;
  for (int i = 0; i < 1000; ++i) {
    v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    char expected[40];
    std::snprintf(expected, sizeof expected, "dl/%016" PRIx64 "|C", v);
    ASSERT_EQ(DeadlineRowKey(static_cast<std::int64_t>(v), "C"), expected);
  }
  // And in time order.
  EXPECT_LT(DeadlineRowKey(0x0fffffffffff, "Z"), DeadlineRowKey(0x100000000000, "A"));
}

}  // namespace
}  // namespace antrean::projections
