// Rows held as they are (projections/decision_state.h, HeldRow): a StateRows that holds rows
// (replay's scratch rows) is handed the rows themselves by WriteRow and encodes them only when it
// writes them. What matters is that nobody can tell: a held row reads back as itself, reads as
// bytes as its encoding, and folding into held rows leaves exactly the bytes folding into bytes
// leaves.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/event_types.h"
#include "events/keys.h"
#include "projections/decision_state.h"
#include "projections/forensics.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::projections {
namespace {

// Rows in a map that holds rows as WriteRow hands them over, as replay's scratch rows do.
class HoldingRows final : public StateRows {
 public:
  Result<std::optional<std::string>> Read(std::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return std::optional<std::string>();
    return HeldBytes(it->second);
  }
  bool holds_rows() const override { return true; }
  Result<HeldRow> ReadHeld(std::string_view key) override {
    auto it = rows_.find(std::string(key));
    if (it == rows_.end()) return HeldRow(ErasedRow{});
    return it->second;
  }
  void Write(std::string key, std::string value) override { rows_[key] = std::move(value); }
  void Erase(std::string key) override { rows_[key] = ErasedRow{}; }
  void Hold(std::string key, HeldRow row) override { rows_[key] = std::move(row); }
  HeldRow* HeldForChange(std::string_view key) override {
    auto it = rows_.find(std::string(key));
    return it == rows_.end() ? nullptr : &it->second;
  }

  const std::map<std::string, HeldRow>& rows() const { return rows_; }
  // The bytes of every row, erased ones as nullopt: what the store would be written.
  std::map<std::string, std::optional<std::string>> Bytes() const {
    std::map<std::string, std::optional<std::string>> out;
    for (const auto& [key, row] : rows_) out.emplace(key, HeldBytes(row));
    return out;
  }

 private:
  std::map<std::string, HeldRow> rows_;
};

PhoneRow SomePhone() {
  PhoneRow p;
  p.owner = "BUDI|1987-01-25";
  p.forensics.issued = 2;
  p.forensics.other_adults = {Sighting{"SITI|1990-02-02", 1'700'000'000'000'000, 7}};
  p.forensics.node.parent = "i:BUDI|1987-01-25";
  return p;
}

TEST(HeldRows, ARowWrittenIsHeldAsItselfAndReadBackAsItself) {
  HoldingRows rows;
  WriteRow(rows, PhoneRowKey("6281234567890"), SomePhone());
  const HeldRow& held = rows.rows().at(PhoneRowKey("6281234567890"));
  ASSERT_TRUE(std::holds_alternative<PhoneRow>(held)) << "held as bytes, not as the row";
  auto back = ReadRow<PhoneRow>(rows, PhoneRowKey("6281234567890"));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, SomePhone());
}

TEST(HeldRows, AHeldRowReadAsBytesIsItsEncoding) {
  HoldingRows rows;
  DayRow day;
  day.issued = 3;
  day.sessions["08:00"].issued = 2;
  day.sessions["10:00"].issued = 1;
  WriteRow(rows, DayRowKey("bogor", "2017-08-07"), day);
  auto bytes = rows.Read(DayRowKey("bogor", "2017-08-07"));
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(bytes->has_value());
  EXPECT_EQ(**bytes, Encode(day));
}

TEST(HeldRows, AnErasedRowReadsAsAbsent) {
  HoldingRows rows;
  WriteRow(rows, OutboxRowKey("m1/reply"), OutboxRow{"bogor", "62811", "hi", "m1", 0, 1, 1});
  rows.Erase(OutboxRowKey("m1/reply"));
  auto row = ReadRow<OutboxRow>(rows, OutboxRowKey("m1/reply"));
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());
  auto bytes = rows.Read(OutboxRowKey("m1/reply"));
  ASSERT_TRUE(bytes.ok());
  EXPECT_FALSE(bytes->has_value());
}

TEST(HeldRows, BytesUnderAKeyAreDecodedWhenReadAsARow) {
  HoldingRows rows;
  PersonRow person;
  person.active_code = "ABCDE12345";
  rows.Write(PersonRowKey("BUDI|1987-01-25"), Encode(person));
  auto row = ReadRow<PersonRow>(rows, PersonRowKey("BUDI|1987-01-25"));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ(**row, person);
}

TEST(HeldRows, ARowOfAnotherKindUnderAKeyIsCorruptionNamingTheKey) {
  HoldingRows rows;
  WriteRow(rows, "bk/ABCDE12345", SomePhone());
  auto row = ReadRow<BookingRow>(rows, "bk/ABCDE12345");
  ASSERT_FALSE(row.ok());
  EXPECT_TRUE(row.status().IsCorruption()) << row.status().ToString();
  EXPECT_NE(row.status().message().find("bk/ABCDE12345"), std::string::npos)
      << row.status().message();
}

TEST(HeldRows, RowsThatDoNotHoldRowsAreWrittenTheEncodingAtOnce) {
  support::ScratchRows rows;  // bytes only, as the service's
  WriteRow(rows, PhoneRowKey("6281234567890"), SomePhone());
  ASSERT_EQ(rows.rows().count(PhoneRowKey("6281234567890")), 1u);
  EXPECT_EQ(rows.rows().at(PhoneRowKey("6281234567890")), Encode(SomePhone()));
  // And a StateRows' own Hold, for a caller that hands it a row: the bytes too.
  StateRows& plain = rows;
  plain.Hold(PersonRowKey("X|2000-01-01"), HeldRow(PersonRow{"CODE", {}}));
  EXPECT_EQ(rows.rows().at(PersonRowKey("X|2000-01-01")), Encode(PersonRow{"CODE", {}}));
  plain.Hold(PersonRowKey("X|2000-01-01"), HeldRow(ErasedRow{}));
  EXPECT_EQ(rows.rows().at(PersonRowKey("X|2000-01-01")), std::nullopt);
}

TEST(HeldRows, AnEditOfAHeldRowChangesItInPlace) {
  HoldingRows rows;
  WriteRow(rows, PhoneRowKey("6281234567890"), SomePhone());
  const PhoneRow* held = &std::get<PhoneRow>(rows.rows().at(PhoneRowKey("6281234567890")));
  auto edit = EditRow<PhoneRow>(rows, PhoneRowKey("6281234567890"));
  ASSERT_TRUE(edit.ok());
  EXPECT_EQ(&**edit, held) << "a copy, not the held row";
  (*edit)->blacklisted = true;
  std::move(*edit).Commit(rows);
  EXPECT_TRUE(std::get<PhoneRow>(rows.rows().at(PhoneRowKey("6281234567890"))).blacklisted);
}

TEST(HeldRows, AnEditOfARowNotHeldIsACopyWrittenOnlyByCommit) {
  support::ScratchRows rows;  // bytes only, as the service's
  WriteRow(rows, PhoneRowKey("6281234567890"), SomePhone());
  auto edit = EditRow<PhoneRow>(rows, PhoneRowKey("6281234567890"));
  ASSERT_TRUE(edit.ok());
  (*edit)->blacklisted = true;
  EXPECT_EQ(rows.rows().at(PhoneRowKey("6281234567890")), Encode(SomePhone()));
  std::move(*edit).Commit(rows);
  PhoneRow changed = SomePhone();
  changed.blacklisted = true;
  EXPECT_EQ(rows.rows().at(PhoneRowKey("6281234567890")), Encode(changed));
  // An absent row is edited as a default one, and exists only once committed.
  auto fresh = EditRow<PersonRow>(rows, PersonRowKey("X|2000-01-01"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(**fresh, PersonRow{});
  EXPECT_EQ(rows.rows().count(PersonRowKey("X|2000-01-01")), 0u);
}

// A booking's whole life and its detection, each row changed several times: the held rows,
// encoded at the end, are the bytes the fold leaves in rows that encode at every write.
TEST(HeldRows, FoldingIntoHeldRowsLeavesTheBytesFoldingIntoBytesLeaves) {
  boost::json::object config;
  config["sessions"] = boost::json::array{boost::json::object{{"start", "08:00"}, {"capacity", 2}},
                                          boost::json::object{{"start", "10:00"}, {"capacity", 2}}};
  config["daily_quota"] = 4;
  config["time_zone"] = "WIB";
  const std::string phone = "6281234567890";
  const std::string by = "2017-08-07T07:30:00+07:00";
  std::vector<events::Event> log = {
      events::OfficeConfigurationApplied{"bogor", config, "digest"},
      events::ReplyQueued{"m1/reply", "bogor", phone, "Kode booking", "m1"},
      events::BookingCodeIssued{"AAAAAAAAA1", "bogor", "2017-08-07", "08:00", by, 1, "BUDI",
                                "1987-01-25", phone, "owner", "m1"},
      events::BookingCodeIssued{"AAAAAAAAA2", "bogor", "2017-08-07", "08:00", by, 2, "ANAK",
                                "2016-01-01", phone, "toddler", "m2"},
      events::RegistrationRejected{"m3", "bogor", phone, "phone_registered_to_other_adult",
                                   "not the owner", "SITI", "1990-02-02", "2017-08-07",
                                   std::nullopt},
      events::ReplySent{"m1/reply", "wamid.1", 1},
      events::ApplicantArrived{"AAAAAAAAA1", "bogor", "2017-08-07", "08:00",
                               "2017-08-07T07:00:00+07:00", by, 1},
      events::IdentityChecked{"AAAAAAAAA1", "bogor", "2017-08-07", false, true, std::nullopt},
      events::DocumentsSubmitted{"AAAAAAAAA1", "bogor", "2017-08-07"},
      events::BookingExpired{"AAAAAAAAA2", "bogor", "2017-08-07", by, "2017-08-07T07:31:00+07:00",
                             phone},
      events::BookingCodeIssued{"AAAAAAAAA3", "bogor", "2017-08-08", "10:00",
                                "2017-08-08T09:30:00+07:00", 1, "BUDI", "1987-01-25", phone,
                                "owner", "m4"},
      events::BookingForfeited{"AAAAAAAAA3", "bogor", "2017-08-08", "late",
                               "2017-08-08T09:45:00+07:00", "2017-08-08T09:30:00+07:00", phone},
      events::PhoneBlacklisted{phone, "calo", {3, 4}, false, std::nullopt},
      events::PhoneUnblacklisted{phone, "appeal"},
      events::ReplyFailed{"m4/reply", 1, "HTTP 500", false, "2017-08-08T10:00:00Z"},
  };
  support::ScratchRows bytes;
  HoldingRows held;
  ThresholdsCache bytes_thresholds, held_thresholds;
  std::uint64_t seq = 0;
  for (const auto& event : log) {
    ++seq;
    const FoldContext ctx{"petugas-1", 1'502'000'000'000'000 + static_cast<std::int64_t>(seq)};
    ASSERT_TRUE(FoldAll(event, seq, ctx, bytes, bytes_thresholds).ok()) << seq;
    ASSERT_TRUE(FoldAll(event, seq, ctx, held, held_thresholds).ok()) << seq;
  }
  EXPECT_EQ(held.Bytes(), bytes.rows());
  // And the fold did hold its busiest rows as rows, not as bytes.
  EXPECT_TRUE(std::holds_alternative<DayRow>(held.rows().at(DayRowKey("bogor", "2017-08-07"))));
  EXPECT_TRUE(std::holds_alternative<BookingRow>(held.rows().at(BookingRowKey("AAAAAAAAA1"))));
  EXPECT_TRUE(std::holds_alternative<PhoneRow>(held.rows().at(PhoneRowKey(phone))));
  EXPECT_TRUE(std::holds_alternative<PersonRow>(held.rows().at(PersonRowKey("BUDI|1987-01-25"))));
}

}  // namespace
}  // namespace antrean::projections
