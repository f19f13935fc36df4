// Keys: the index key builders and the keys each event is indexed under.

#include "events/keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/codec.h"

namespace antrean::events {
namespace {

using Keys = std::vector<std::string>;

TEST(Keys, CodeKeyUpperCasesAndDropsWhitespace) {
  EXPECT_EQ(CodeKey("K7Q2M9XPA"), "code:K7Q2M9XPA");
  EXPECT_EQ(CodeKey(" k7q2 m9xpa\t"), "code:K7Q2M9XPA");
}

TEST(Keys, PhoneKeyKeepsDigitsAndReadsLeadingZeroAsIndonesia) {
  EXPECT_EQ(PhoneKey("6281234567890"), "phone:6281234567890");
  EXPECT_EQ(PhoneKey("+62 812-3456-7890"), "phone:6281234567890");
  EXPECT_EQ(PhoneKey("0812 3456 7890"), "phone:6281234567890");
  EXPECT_EQ(PhoneKey("08 1111 00 333"), "phone:628111100333");
  EXPECT_EQ(PhoneKey("0044 20 7946 0000"), "phone:00442079460000");  // not a trunk 0
}

TEST(Keys, PersonKeyUpperCasesCollapsesAndTrimsTheName) {
  EXPECT_EQ(PersonKey("Budi", "1987-01-25"), "person:BUDI|1987-01-25");
  EXPECT_EQ(PersonKey("  budi \t  santoso\n", " 1987-01-25 "), "person:BUDI SANTOSO|1987-01-25");
  EXPECT_EQ(PersonKey("BUDI SANTOSO", "1987-01-25"), PersonKey("budi  Santoso", "1987-01-25"));
  EXPECT_EQ(PersonKey("a|b", "1987-01-25"), "person:A B|1987-01-25");
  EXPECT_EQ(PersonRef("siti  aminah", "1990-12-01"), "SITI AMINAH|1990-12-01");
}

TEST(Keys, PersonKeyFromRefSplitsAtTheLastBar) {
  EXPECT_EQ(PersonKeyFromRef("siti aminah|1990-12-01"), "person:SITI AMINAH|1990-12-01");
  EXPECT_EQ(PersonKeyFromRef("NOBAR"), "person:NOBAR|");
}

TEST(Keys, OtherBuildersJoinPrefixAndIdentifier) {
  EXPECT_EQ(DayKey("bogor", "2026-03-04"), "day:bogor|2026-03-04");
  EXPECT_EQ(OfficeKey("bogor"), "office:bogor");
  EXPECT_EQ(ApplicationKey("1234567890123456"), "app:1234567890123456");
  EXPECT_EQ(ReplyKey("42"), "reply:42");
}

TEST(Keys, NulBytesAreRemovedFromEveryKey) {
  const std::string_view nul("ab\0c", 4);
  EXPECT_EQ(CodeKey(nul), "code:ABC");
  EXPECT_EQ(PhoneKey(std::string_view("62\0"
                                      "81",
                                      5)),
            "phone:6281");
  EXPECT_EQ(PersonKey(nul, std::string_view("1987\0-01-25", 11)), "person:ABC|1987-01-25");
  EXPECT_EQ(DayKey(nul, nul), "day:abc|abc");
  EXPECT_EQ(OfficeKey(nul), "office:abc");
  EXPECT_EQ(ApplicationKey(nul), "app:abc");
  EXPECT_EQ(ReplyKey(nul), "reply:abc");
  EXPECT_EQ(OfficeKey(std::string(600, '\0')), "office:");
}

TEST(Keys, LongInputIsCutToTheLimitAtACharacterBoundary) {
  const std::string key = ReplyKey(std::string(1000, 'x'));
  EXPECT_EQ(key.size(), store::kIndexKeyBytesMax);
  EXPECT_EQ(key.rfind("reply:xxx", 0), 0u);
  // "é" is two bytes; "reply:" is 6, so a cut at 512 would fall inside the 254th "é".
  std::string accents;
  for (int i = 0; i < 400; ++i) accents += "\xC3\xA9";
  const std::string cut = ReplyKey(accents);
  EXPECT_EQ(cut.size(), store::kIndexKeyBytesMax);
  const std::string cut_odd = ReplyKey("x" + accents);
  EXPECT_EQ(cut_odd.size(), store::kIndexKeyBytesMax - 1);
  EXPECT_EQ(static_cast<unsigned char>(cut_odd.back()), 0xA9);
}

TEST(Keys, BookingCodeIssuedIsIndexedByCodePhonePersonAndDay) {
  const BookingCodeIssued e{
      "K7Q2M9XPA", "bogor",        "2026-03-04", "08:00",         "2026-03-04T07:30:00+07:00",
      17,          "Budi Santoso", "1987-01-25", "6281234567890", "owner",
      "wamid.1"};
  EXPECT_EQ(IndexKeys(e), (Keys{"code:K7Q2M9XPA", "phone:6281234567890",
                                "person:BUDI SANTOSO|1987-01-25", "day:bogor|2026-03-04"}));
}

TEST(Keys, MessagesAndRejectionsAreIndexedByPhone) {
  MessageReceived m;
  m.from = "6281234567890";
  EXPECT_EQ(IndexKeys(m), (Keys{"phone:6281234567890"}));
  RegistrationRejected r;
  r.office = "bogor";
  r.phone = "6281234567890";
  EXPECT_EQ(IndexKeys(r), (Keys{"phone:6281234567890"}));
  r.name = "budi";
  r.birth_date = "1987-01-25";
  r.arrival_date = "2026-03-04";
  EXPECT_EQ(IndexKeys(r),
            (Keys{"phone:6281234567890", "person:BUDI|1987-01-25", "day:bogor|2026-03-04"}));
}

TEST(Keys, RepliesAreIndexedByReplyAndRecipient) {
  EXPECT_EQ(IndexKeys(ReplyQueued{"42", "bogor", "6281234567890", "t", "m"}),
            (Keys{"reply:42", "phone:6281234567890"}));
  EXPECT_EQ(IndexKeys(ReplySent{"42", "p", 1}), (Keys{"reply:42"}));
  EXPECT_EQ(IndexKeys(ReplyFailed{"42", 1, "e", true, {}}), (Keys{"reply:42"}));
  ReplyDeliveryStatus s{{}, "p", "read", "2026-03-02T07:31:09+07:00", "6281234567890", {}, {}};
  EXPECT_EQ(IndexKeys(s), (Keys{"phone:6281234567890"}));
  s.reply_id = "42";
  EXPECT_EQ(IndexKeys(s), (Keys{"reply:42", "phone:6281234567890"}));
}

TEST(Keys, CounterEventsAreIndexedByCodeAndServiceDay) {
  EXPECT_EQ(IndexKeys(ApplicantArrived{"K7", "bogor", "2026-03-04", "08:00", "", "", 1}),
            (Keys{"code:K7", "day:bogor|2026-03-04"}));
  EXPECT_EQ(IndexKeys(ArrivalRejected{
                "k7 ", "bogor", "unknown_code", "2026-03-04T07:12:44+07:00", {}, {}}),
            (Keys{"code:K7", "day:bogor|2026-03-04"}));
  EXPECT_EQ(IndexKeys(IdentityChecked{"K7", "bogor", "2026-03-04", true, true, {}}),
            (Keys{"code:K7", "day:bogor|2026-03-04"}));
  EXPECT_EQ(IndexKeys(BookingForfeited{"K7", "bogor", "2026-03-04", "late", "", "", "628123"}),
            (Keys{"code:K7", "phone:628123", "day:bogor|2026-03-04"}));
  EXPECT_EQ(IndexKeys(BookingExpired{"K7", "bogor", "2026-03-04", "", "", "628123"}),
            (Keys{"code:K7", "phone:628123", "day:bogor|2026-03-04"}));
  EXPECT_EQ(IndexKeys(DocumentsSubmitted{"K7", "bogor", "2026-03-04"}),
            (Keys{"code:K7", "day:bogor|2026-03-04"}));
  EXPECT_EQ(IndexKeys(DocumentsReturned{"K7", "bogor", "2026-03-04", "r"}),
            (Keys{"code:K7", "day:bogor|2026-03-04"}));
}

TEST(Keys, ApplicationPhoneAndOfficeEvents) {
  EXPECT_EQ(IndexKeys(ApplicationProgressRecorded{"1234567890123456", "bogor", "printed", {}}),
            (Keys{"app:1234567890123456"}));
  EXPECT_EQ(IndexKeys(FlagCleared{"f", "628123", "r"}), (Keys{"phone:628123"}));
  EXPECT_EQ(IndexKeys(PhoneBlacklisted{"628123", "r", {}, false, {}}), (Keys{"phone:628123"}));
  EXPECT_EQ(IndexKeys(PhoneUnblacklisted{"628123", "r"}), (Keys{"phone:628123"}));
  EXPECT_EQ(IndexKeys(OfficeConfigurationApplied{"bogor", {}, ""}), (Keys{"office:bogor"}));
}

TEST(Keys, PhoneFlaggedIndexesTheRingWithoutDuplicates) {
  const PhoneFlagged f{
      "f", "628111", "ring", 900, {1}, {"budi|1987-01-25"}, {"628222", "628111", "628222"}, "", {}};
  EXPECT_EQ(IndexKeys(f), (Keys{"phone:628111", "phone:628222", "person:BUDI|1987-01-25"}));
}

TEST(Keys, PhoneFlaggedKeepsAtMostTheStoreLimit) {
  PhoneFlagged f{"f", "628000", "ring", 900, {}, {}, {}, "", {}};
  for (int i = 0; i < 30; ++i) f.phones.push_back("6281" + std::to_string(1000 + i));
  const Keys keys = IndexKeys(f);
  ASSERT_EQ(keys.size(), store::kIndexKeysPerEventMax);
  EXPECT_EQ(keys.front(), "phone:628000");
  EXPECT_EQ(keys.back(), "phone:62811014");
}

TEST(Keys, EveryKeyFitsTheStore) {
  BookingCodeIssued e;
  e.code = std::string(2000, 'k');
  e.phone = std::string("62\0", 3) + std::string(900, '1');
  e.name = std::string(3000, 'n');
  e.office = std::string(700, '\0') + "x";
  for (const std::string& key : ToNewEvent(e).keys) {
    EXPECT_LE(key.size(), store::kIndexKeyBytesMax);
    EXPECT_EQ(key.find('\0'), std::string::npos);
  }
}

}  // namespace
}  // namespace antrean::events
