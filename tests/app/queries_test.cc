// The read side (src/app/queries.h), called directly as the HTTP staff API calls it, on a real
// ledger built through app::Service plus the counter's and the auditors' events: the board (live
// and as of a time), a booking, a phone in any written form, a person, the blacklist, the flags,
// the head; paging without overlap or gap; NotFound for what the ledger does not know and
// InvalidArgument naming the field for bad input.
#include "app/queries.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/service.h"
#include "common/sha256.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::app {
namespace {

namespace json = boost::json;
using support::At;
using support::Msg;
using support::TempDir;

constexpr char kKey[] = "queries-test-booking-code-key-012345";

constexpr char kPhoneA[] = "6281400000001";  // Budi's own phone; also books his toddler Adi
constexpr char kPhoneB[] = "6281400000002";  // tries to book Budi too; a ring with A
constexpr char kPhoneC[] = "6281400000003";  // Citra: blacklisted, then lifted
constexpr char kPhoneD[] = "6281400000004";  // Dewi: blacklisted by an auditor
constexpr char kPhoneE[] = "6281400000005";  // Eko: blacklisted by a rule
constexpr char kDay[] = "2017-08-07";        // a Monday: the day booked at bogor
// The last event appended, and so the head.
constexpr char kLastAt[] = "2017-08-09T09:00:00+07:00";

// An event of the counter or of an auditor at `at`, appended with its rows as the service would.
std::uint64_t Append(store::Ledger& ledger, const events::Event& event, const std::string& actor,
                     const std::string& at) {
  return support::AppendFolded(ledger, event, {"desk-" + at, actor}, At(at).micros_since_epoch);
}

// One ledger for the whole suite, kept open read-write as the staff API's would be:
//   bogor, Monday 2017-08-07, session 08:00
//   queue 1 BUDI SANTOSO (A, owner): arrives 07:10, hands in documents 07:40
//   queue 2 ADI (A, toddler); queue 3 CITRA (C); queue 4 DEWI (D); queue 5 EKO (E)
//   rejected: SITI from A (another adult), BUDI SANTOSO from B (holds a booking)
//   blacklist: C (lifted), D (auditor-01), E (rule never_arrives)
//   flags: flag-1 on A naming ADI; flag-2 on B, a ring of A and B; flag-3 on C, cleared
class Queries : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    codes_ = new std::map<std::string, std::string>();
    ledger_ = support::OpenLedger(dir_->path() + "/ledger").release();
    ASSERT_NE(ledger_, nullptr);
    {
      Service service(*ledger_, support::SampleOffices(), {kKey});
      const std::vector<InboundMessage> messages = {
          Msg("wamid.1", "bogor", kPhoneA, "#Budi Santoso#25011987#07082017"),
          Msg("wamid.2", "bogor", kPhoneA, "#Adi#02022016#07082017", "2017-08-01T08:01:00+07:00"),
          Msg("wamid.3", "bogor", kPhoneA, "#Siti#01012000#07082017", "2017-08-01T08:02:00+07:00"),
          Msg("wamid.4", "bogor", kPhoneB, "#budi  santoso#25011987#07082017",
              "2017-08-01T08:03:00+07:00"),
          Msg("wamid.5", "bogor", kPhoneC, "#Citra#03031990#07082017", "2017-08-01T08:04:00+07:00"),
          Msg("wamid.6", "bogor", kPhoneD, "#Dewi#04041985#07082017", "2017-08-01T08:05:00+07:00"),
          Msg("wamid.7", "bogor", kPhoneE, "#Eko#05051980#07082017", "2017-08-01T08:06:00+07:00"),
      };
      const auto results = support::SubmitAll(service, messages);
      for (std::size_t i = 0; i < messages.size(); ++i) {
        const std::string& code = results[i].outcome.booking_code;
        if (!code.empty()) (*codes_)[messages[i].message_id] = code;
      }
    }
    ASSERT_EQ(codes_->size(), 5u) << "BUDI, ADI, CITRA, DEWI and EKO are booked";
    const std::string budi = Code("wamid.1");
    Append(*ledger_,
           events::ApplicantArrived{budi, "bogor", kDay, "08:00", "2017-08-07T07:10:00+07:00",
                                    "2017-08-07T07:30:00+07:00", 1},
           "petugas-01", "2017-08-07T07:10:00+07:00");
    Append(*ledger_, events::DocumentsSubmitted{budi, "bogor", kDay}, "petugas-02",
           "2017-08-07T07:40:00+07:00");
    Append(*ledger_, events::PhoneBlacklisted{kPhoneC, "salah orang", {}, false, std::nullopt},
           "auditor-01", "2017-08-08T08:00:00+07:00");
    Append(*ledger_, events::PhoneBlacklisted{kPhoneD, "iseng", {2, 3}, false, std::nullopt},
           "auditor-01", "2017-08-08T08:30:00+07:00");
    Append(*ledger_,
           events::PhoneBlacklisted{kPhoneE, "never came", {5}, true, std::string("never_arrives")},
           "", "2017-08-08T08:45:00+07:00");
    Append(*ledger_,
           events::PhoneFlagged{"flag-1",
                                kPhoneA,
                                "many_persons_per_phone",
                                700,
                                {1, 5},
                                {"ADI|2016-02-02"},
                                {},
                                "books for a toddler",
                                std::vector<std::string>{"bogor"}},
           "", "2017-08-08T09:05:00+07:00");
    Append(*ledger_,
           events::PhoneFlagged{"flag-2",
                                kPhoneB,
                                "ring",
                                900,
                                {4},
                                {},
                                {kPhoneA, kPhoneB},
                                "two phones, one person",
                                std::nullopt},
           "", "2017-08-08T09:06:00+07:00");
    Append(*ledger_,
           events::PhoneFlagged{"flag-3", kPhoneC, "many_attempts", 300, {}, {}, {}, "tries", {}},
           "", "2017-08-08T09:07:00+07:00");
    Append(*ledger_, events::FlagCleared{"flag-3", kPhoneC, "a typing error"}, "auditor-02",
           "2017-08-08T10:00:00+07:00");
    Append(*ledger_, events::PhoneUnblacklisted{kPhoneC, "appeal granted"}, "auditor-02", kLastAt);
  }
  static void TearDownTestSuite() {
    delete ledger_;
    delete codes_;
    delete dir_;
  }

  static const store::Ledger& L() { return *ledger_; }
  static const std::string& Code(const std::string& message_id) { return codes_->at(message_id); }
  static const std::string& Tmp() { return dir_->path(); }

 private:
  static TempDir* dir_;
  static store::Ledger* ledger_;
  static std::map<std::string, std::string>* codes_;
};
TempDir* Queries::dir_ = nullptr;
store::Ledger* Queries::ledger_ = nullptr;
std::map<std::string, std::string>* Queries::codes_ = nullptr;

// The answer, which must be there.
json::object Ok(const Result<json::object>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json::object{};
}

// The answer must be InvalidArgument naming `field`.
void ExpectBadField(const Result<json::object>& r, const std::string& field) {
  ASSERT_FALSE(r.ok()) << "accepted: " << json::serialize(*r);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(r.status().message().rfind("field \"" + field + "\": ", 0), 0u) << r.status().message();
}

// A member that must be an array / a string.
const json::array& Arr(const json::object& o, const char* key) { return o.at(key).as_array(); }
std::string Str(const json::value& v, const char* key) {
  return std::string(v.as_object().at(key).as_string());
}

// The values of one member of each object in an array.
std::vector<std::string> Column(const json::array& a, const char* key) {
  std::vector<std::string> out;
  for (const auto& v : a) out.push_back(Str(v, key));
  return out;
}

// D's blacklisting, as show phone and the blacklist show it.
json::object DewiBlacklisting() {
  return {{"in_force", true},
          {"reason", "iseng"},
          {"evidence", {2, 3}},
          {"automatic", false},
          {"rule", ""},
          {"decided_by", "auditor-01"},
          {"decided_at", "2017-08-08T01:30:00Z"},
          {"lifted_by", ""},
          {"lifted_reason", ""}};
}

// Every timeline seq of a phone or person, page by page of `limit`; also counts the pages.
template <class Query>
std::vector<std::uint64_t> AllPages(const Query& query, std::size_t limit, int* pages) {
  std::vector<std::uint64_t> seqs;
  std::uint64_t cursor = 0;
  *pages = 0;
  do {
    json::object o = Ok(query(limit, cursor));
    const json::object& t = o.at("timeline").as_object();
    EXPECT_LE(t.at("events").as_array().size(), limit);
    for (const auto& e : t.at("events").as_array()) {
      seqs.push_back(e.at("seq").to_number<std::uint64_t>());
    }
    cursor = t.at("next_cursor").is_null() ? 0 : t.at("next_cursor").to_number<std::uint64_t>();
    ++*pages;
  } while (cursor != 0 && *pages < 100);
  return seqs;
}

// ---- board
// ----------------------------------------------------------------------------------------

TEST_F(Queries, BoardCountsEverySessionWithTotalsAndTheNextQueueNumber) {
  json::object o = Ok(QueryBoard(L(), "bogor", kDay, std::nullopt, Tmp()));
  EXPECT_EQ(o.at("office"), "bogor");
  EXPECT_EQ(o.at("date"), kDay);
  EXPECT_EQ(o.at("next_queue_number"), 6);
  EXPECT_EQ(o.at("daily_quota"), 150);
  EXPECT_EQ(o.at("config_digest").as_string().size(), 64u);
  EXPECT_FALSE(o.contains("as_of"));
  const json::array& sessions = Arr(o, "sessions");
  EXPECT_EQ(Column(sessions, "session"), (std::vector<std::string>{"08:00", "10:00", "13:00"}));
  EXPECT_EQ(sessions[0], (json::value{{"issued", 5},
                                      {"arrived", 1},
                                      {"forfeited", 0},
                                      {"expired", 0},
                                      {"completed", 1},
                                      {"returned", 0},
                                      {"session", "08:00"},
                                      {"capacity", 50},
                                      {"remaining", 45}}));
  EXPECT_EQ(sessions[1].at("issued"), 0);
  EXPECT_EQ(sessions[1].at("remaining"), 50);
  EXPECT_EQ(o.at("totals"), (json::value{{"issued", 5},
                                         {"arrived", 1},
                                         {"forfeited", 0},
                                         {"expired", 0},
                                         {"completed", 1},
                                         {"returned", 0},
                                         {"capacity", 150},
                                         {"remaining", 145}}));
}

TEST_F(Queries, BoardOfADayWithoutBookingsHasEveryConfiguredSessionEmpty) {
  json::object o = Ok(QueryBoard(L(), "bogor", "2017-08-08", std::nullopt, Tmp()));
  EXPECT_EQ(o.at("next_queue_number"), 1);
  EXPECT_EQ(Arr(o, "sessions").size(), 3u);
  EXPECT_EQ(o.at("totals").at("issued"), 0);
  EXPECT_EQ(o.at("totals").at("remaining"), 150);
}

TEST_F(Queries, BoardAsOfIsTheBoardAsItStoodThenAndLeavesNoScratchBehind) {
  const std::string scratch = Tmp() + "/scratch";
  json::object o = Ok(QueryBoard(L(), "bogor", kDay, "2017-08-07T07:20:00+07:00", scratch));
  EXPECT_EQ(o.at("as_of"), "2017-08-07T07:20:00+07:00");
  const auto& first = Arr(o, "sessions")[0];
  EXPECT_EQ(first.at("issued"), 5);
  EXPECT_EQ(first.at("arrived"), 1) << "arrived at 07:10";
  EXPECT_EQ(first.at("completed"), 0) << "documents handed in at 07:40";
  auto arrival = L().ReadByKey("code:" + Code("wamid.1"), store::Order::kNewestFirst, 0, 2);
  ASSERT_TRUE(arrival.ok());
  ASSERT_EQ(arrival->events.size(), 2u);
  EXPECT_EQ(o.at("rebuilt_to_seq"), arrival->events[1].seq) << "the arrival is the last included";
  EXPECT_TRUE(std::filesystem::is_empty(scratch)) << "the scratch store is removed";

  json::object early = Ok(QueryBoard(L(), "bogor", kDay, "2017-08-01T08:02:30+07:00", scratch));
  EXPECT_EQ(early.at("next_queue_number"), 3) << "Budi and Adi were booked by then";
}

TEST_F(Queries, BoardOfAnOfficeWithoutConfigurationIsNotFound) {
  auto nowhere = QueryBoard(L(), "nowhere", kDay, std::nullopt, Tmp());
  ASSERT_FALSE(nowhere.ok());
  EXPECT_TRUE(nowhere.status().IsNotFound()) << nowhere.status().ToString();
  EXPECT_EQ(nowhere.status().message(), "office \"nowhere\" has no configuration in the ledger");
  auto before = QueryBoard(L(), "bogor", kDay, "2017-08-01T07:00:00+07:00", Tmp());
  ASSERT_FALSE(before.ok());
  EXPECT_TRUE(before.status().IsNotFound()) << before.status().ToString();
  EXPECT_NE(before.status().message().find("as of 2017-08-01T07:00:00+07:00"), std::string::npos);
}

TEST_F(Queries, BoardRefusesBadInputNamingTheField) {
  ExpectBadField(QueryBoard(L(), "", kDay, std::nullopt, Tmp()), "office");
  ExpectBadField(QueryBoard(L(), "bogor", "07-08-2017", std::nullopt, Tmp()), "date");
  ExpectBadField(QueryBoard(L(), "bogor", "2017-02-30", std::nullopt, Tmp()), "date");
  ExpectBadField(QueryBoard(L(), "bogor", kDay, "yesterday", Tmp()), "as_of");
}

// ---- booking
// --------------------------------------------------------------------------------------

TEST_F(Queries, BookingHasItsRowAndEveryEventOfTheCodeOldestFirst) {
  const std::string code = Code("wamid.1");
  json::object o = Ok(QueryBooking(L(), code));
  EXPECT_EQ(o.at("code"), json::value(code));
  const auto& b = o.at("booking").as_object();
  EXPECT_EQ(b.at("status"), "completed");
  EXPECT_EQ(b.at("queue_number"), 1);
  EXPECT_EQ(b.at("phone"), kPhoneA);
  EXPECT_EQ(b.at("person"), "BUDI SANTOSO|1987-01-25");
  const json::array& events = Arr(o, "events");
  EXPECT_EQ(Column(events, "type"),
            (std::vector<std::string>{"booking_code_issued.v1", "applicant_arrived.v1",
                                      "documents_submitted.v1"}));
  EXPECT_EQ(Column(events, "actor"), (std::vector<std::string>{"", "petugas-01", "petugas-02"}));
  EXPECT_LT(events[0].at("seq").to_number<std::uint64_t>(),
            events[1].at("seq").to_number<std::uint64_t>());
  EXPECT_EQ(events[1].at("recorded_at"), "2017-08-07T00:10:00Z");
  EXPECT_EQ(events[0].at("cause_id"), "wamid.1");
  EXPECT_EQ(Str(events[1], "summary").rfind("arrived at 2017-08-07T07:10:00+07:00", 0), 0u)
      << events[1].at("summary");
  EXPECT_EQ(events[0].at("payload").at("code"), json::value(code));
}

TEST_F(Queries, BookingCodeMayBeTypedInLowerCaseWithSpaces) {
  const std::string code = Code("wamid.5");
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.insert(3, " ");
  EXPECT_EQ(Ok(QueryBooking(L(), typed)), Ok(QueryBooking(L(), code)));
  // As the counter reads it: dashes, and the letters people type for the digits 0 and 1.
  std::string misread = code;
  for (char& c : misread) c = c == '0' ? 'O' : c == '1' ? 'I' : c;
  misread.insert(5, "-");
  EXPECT_EQ(Ok(QueryBooking(L(), misread)), Ok(QueryBooking(L(), code))) << misread;
}

TEST_F(Queries, BookingOfAnUnknownCodeIsNotFoundAndAnEmptyOneRefused) {
  auto unknown = QueryBooking(L(), "ZZZZZZZZZZ");
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().IsNotFound()) << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("ZZZZZZZZZZ"), std::string::npos);
  ExpectBadField(QueryBooking(L(), "  "), "code");
}

// ---- phone
// ----------------------------------------------------------------------------------------

TEST_F(Queries, PhoneAnswersTheSameInEveryWrittenForm) {
  const json::object canonical = Ok(QueryPhone(L(), kPhoneA));
  EXPECT_EQ(canonical.at("phone"), kPhoneA);
  EXPECT_EQ(canonical.at("national"), "081400000001");
  for (const char* written : {"0814-0000-0001", "+62 814 0000 0001", "(0814) 0000.0001"}) {
    EXPECT_EQ(Ok(QueryPhone(L(), written)), canonical) << written;
  }
}

TEST_F(Queries, PhoneLinksThePersonsItBookedTriedToBookOrWasFlaggedFor) {
  json::object o = Ok(QueryPhone(L(), kPhoneA));
  EXPECT_EQ(o.at("owner"), "BUDI SANTOSO|1987-01-25");
  EXPECT_EQ(o.at("blacklisted"), false);
  EXPECT_TRUE(o.at("blacklist").is_null());
  EXPECT_EQ(Column(Arr(o, "flags"), "flag_id"), (std::vector<std::string>{"flag-1", "flag-2"}))
      << "its own flag, and the ring it is part of";
  std::map<std::string, json::object> persons;
  for (const auto& p : Arr(o, "persons")) persons[Str(p, "person")] = p.as_object();
  ASSERT_EQ(persons.size(), 3u);
  EXPECT_EQ(persons["BUDI SANTOSO|1987-01-25"]["relations"], json::array{"owner"});
  EXPECT_EQ(persons["BUDI SANTOSO|1987-01-25"]["codes"],
            json::array{json::string(Code("wamid.1"))});
  EXPECT_EQ(persons["ADI|2016-02-02"]["relations"], json::array{"toddler"});
  EXPECT_EQ(persons["ADI|2016-02-02"]["flags"], json::array{"flag-1"});
  EXPECT_EQ(persons["SITI|2000-01-01"]["rejections"],
            json::array{"phone_registered_to_other_adult"});
  EXPECT_TRUE(persons["SITI|2000-01-01"]["codes"].as_array().empty());
}

TEST_F(Queries, PhoneOfABlacklistingNamesWhoDecidedAndWhoLiftedIt) {
  json::object d = Ok(QueryPhone(L(), kPhoneD));
  EXPECT_EQ(d.at("blacklisted"), true);
  EXPECT_EQ(d.at("blacklist"), DewiBlacklisting());
  json::object c = Ok(QueryPhone(L(), kPhoneC));
  EXPECT_EQ(c.at("blacklisted"), false);
  EXPECT_EQ(c.at("blacklist").at("in_force"), false);
  EXPECT_EQ(c.at("blacklist").at("lifted_by"), "auditor-02");
  EXPECT_EQ(c.at("blacklist").at("lifted_reason"), "appeal granted");
  EXPECT_EQ(Arr(c, "flags")[0].at("cleared_by"), "auditor-02") << "cleared flags are shown";
}

TEST_F(Queries, PhoneTimelinePagesNewestFirstWithoutOverlapOrGap) {
  json::object whole = Ok(QueryPhone(L(), kPhoneA, kQueryLimitMax));
  const auto total = whole.at("timeline").at("total_events").to_number<std::size_t>();
  const json::array& all = whole.at("timeline").at("events").as_array();
  ASSERT_EQ(all.size(), total);
  ASSERT_GE(total, 10u);
  EXPECT_TRUE(whole.at("timeline").at("next_cursor").is_null());
  EXPECT_EQ(all[0].at("type"), "phone_flagged.v2") << "the newest first";
  int pages = 0;
  const auto seqs =
      AllPages([](std::size_t limit,
                  std::uint64_t cursor) { return QueryPhone(L(), "081400000001", limit, cursor); },
               3, &pages);
  EXPECT_EQ(pages, static_cast<int>((total + 2) / 3));
  ASSERT_EQ(seqs.size(), total);
  for (std::size_t i = 0; i < total; ++i) {
    EXPECT_EQ(seqs[i], all[i].at("seq").to_number<std::uint64_t>()) << i;
  }
}

TEST_F(Queries, PhoneTheLedgerKnowsNothingOfIsNotFound) {
  auto r = QueryPhone(L(), "0814 9999 9999");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "the ledger knows nothing of 6281499999999");
}

TEST_F(Queries, PhoneRefusesBadInputNamingTheField) {
  ExpectBadField(QueryPhone(L(), "not a phone"), "phone");
  ExpectBadField(QueryPhone(L(), "+1 555 01"), "phone");  // 6 digits: too short anywhere
  ExpectBadField(QueryPhone(L(), kPhoneA, 0), "limit");
  ExpectBadField(QueryPhone(L(), kPhoneA, kQueryLimitMax + 1), "limit");
}

// ---- identity
// -------------------------------------------------------------------------------------

TEST_F(Queries, IdentityNamesTheBookingNotYetUsedAndThePhonesLinked) {
  json::object adi = Ok(QueryIdentity(L(), "adi", "2016-02-02"));
  EXPECT_EQ(adi.at("person"), "ADI|2016-02-02");
  EXPECT_EQ(adi.at("active_code"), json::value(Code("wamid.2")));
  EXPECT_EQ(adi.at("active_booking").at("relation"), "toddler");
  EXPECT_EQ(adi.at("active_booking").at("status"), "issued");
  EXPECT_EQ(Column(Arr(adi, "phones"), "phone"), (std::vector<std::string>{kPhoneA}));

  json::object budi = Ok(QueryIdentity(L(), "Budi Santoso", "1987-01-25"));
  EXPECT_TRUE(budi.at("active_code").is_null()) << "documents handed in: the booking is used";
  EXPECT_TRUE(budi.at("active_booking").is_null());
  std::map<std::string, json::object> phones;
  for (const auto& p : Arr(budi, "phones")) phones[Str(p, "phone")] = p.as_object();
  ASSERT_EQ(phones.size(), 2u);
  EXPECT_EQ(phones[kPhoneA]["relations"], json::array{"owner"});
  EXPECT_EQ(phones[kPhoneB]["rejections"], json::array{"person_has_active_booking"});
}

TEST_F(Queries, IdentityIgnoresCaseAndSpacingOfTheName) {
  EXPECT_EQ(Ok(QueryIdentity(L(), " budi   SANTOSO ", "1987-01-25")),
            Ok(QueryIdentity(L(), "BUDI SANTOSO", "1987-01-25")));
}

TEST_F(Queries, IdentityTimelinePagesNewestFirstWithoutOverlapOrGap) {
  json::object whole = Ok(QueryIdentity(L(), "Budi Santoso", "1987-01-25", kQueryLimitMax));
  const json::array& all = whole.at("timeline").at("events").as_array();
  ASSERT_GE(all.size(), 2u) << "booked from A, refused from B";
  int pages = 0;
  const auto seqs = AllPages(
      [](std::size_t limit, std::uint64_t cursor) {
        return QueryIdentity(L(), "Budi Santoso", "1987-01-25", limit, cursor);
      },
      1, &pages);
  EXPECT_EQ(pages, static_cast<int>(all.size()));
  ASSERT_EQ(seqs.size(), all.size());
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], all[i].at("seq").to_number<std::uint64_t>()) << i;
  }
}

TEST_F(Queries, IdentityTheLedgerKnowsNothingOfIsNotFound) {
  auto r = QueryIdentity(L(), "Nobody", "1987-01-25");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "the ledger knows nothing of NOBODY|1987-01-25");
}

TEST_F(Queries, IdentityRefusesBadInputNamingTheField) {
  ExpectBadField(QueryIdentity(L(), "Budi", "25011987"), "dob");
  ExpectBadField(QueryIdentity(L(), "   ", "1987-01-25"), "name");
  ExpectBadField(QueryIdentity(L(), "Budi Santoso", "1987-01-25", 0), "limit");
}

// ---- blacklist
// ------------------------------------------------------------------------------------

TEST_F(Queries, BlacklistHasThePhonesInForceInPhoneOrder) {
  json::object o = Ok(QueryBlacklist(L(), false));
  EXPECT_EQ(o.at("include_lifted"), false);
  const json::array& rows = Arr(o, "blacklist");
  EXPECT_EQ(Column(rows, "phone"), (std::vector<std::string>{kPhoneD, kPhoneE}));
  json::object dewi{{"phone", kPhoneD}, {"national", "081400000004"}};
  for (const auto& [k, v] : DewiBlacklisting()) dewi[k] = v;
  EXPECT_EQ(rows[0], dewi);
  EXPECT_EQ(rows[1].at("automatic"), true);
  EXPECT_EQ(rows[1].at("decided_by"), "rule:never_arrives");
  EXPECT_TRUE(o.at("next_cursor").is_null());
}

TEST_F(Queries, BlacklistWithLiftedOnesHasEveryBlacklistingEver) {
  json::object o = Ok(QueryBlacklist(L(), true));
  EXPECT_EQ(o.at("include_lifted"), true);
  const json::array& rows = Arr(o, "blacklist");
  EXPECT_EQ(Column(rows, "phone"), (std::vector<std::string>{kPhoneC, kPhoneD, kPhoneE}));
  EXPECT_EQ(rows[0].at("in_force"), false);
  EXPECT_EQ(rows[0].at("lifted_by"), "auditor-02");
}

TEST_F(Queries, BlacklistPagesByPhoneAndTheLastPageHasNoCursor) {
  json::object first = Ok(QueryBlacklist(L(), true, 2));
  EXPECT_EQ(Column(Arr(first, "blacklist"), "phone"), (std::vector<std::string>{kPhoneC, kPhoneD}));
  EXPECT_EQ(first.at("next_cursor"), kPhoneD);
  json::object second = Ok(QueryBlacklist(L(), true, 2, kPhoneD));
  EXPECT_EQ(Column(Arr(second, "blacklist"), "phone"), (std::vector<std::string>{kPhoneE}));
  EXPECT_TRUE(second.at("next_cursor").is_null());

  json::object exact = Ok(QueryBlacklist(L(), true, 3));
  EXPECT_EQ(Arr(exact, "blacklist").size(), 3u);
  EXPECT_TRUE(exact.at("next_cursor").is_null()) << "a full page that is the last has no cursor";
  json::object in_force = Ok(QueryBlacklist(L(), false, 1));
  EXPECT_EQ(in_force.at("next_cursor"), kPhoneD) << "the lifted C is skipped, not counted";
}

TEST_F(Queries, BlacklistRefusesABadLimitOrCursor) {
  ExpectBadField(QueryBlacklist(L(), false, 0), "limit");
  ExpectBadField(QueryBlacklist(L(), false, kQueryLimitMax + 1), "limit");
  ExpectBadField(QueryBlacklist(L(), false, 1, std::string(kQueryCursorBytesMax + 1, '6')),
                 "cursor");
}

// ---- flags
// ----------------------------------------------------------------------------------------

TEST_F(Queries, FlagsInForceByDefaultAndClearedOnesOnRequest) {
  json::object in_force = Ok(QueryFlags(L(), false, std::nullopt));
  EXPECT_EQ(in_force.at("include_cleared"), false);
  EXPECT_TRUE(in_force.at("phone").is_null());
  EXPECT_EQ(Column(Arr(in_force, "flags"), "flag_id"),
            (std::vector<std::string>{"flag-1", "flag-2"}));
  const json::value& ring = Arr(in_force, "flags")[1];
  EXPECT_EQ(ring.at("phones"), (json::array{kPhoneA, kPhoneB}));
  EXPECT_EQ(ring.at("score"), 900);
  EXPECT_EQ(Arr(in_force, "flags")[0].at("persons"), json::array{"ADI|2016-02-02"});

  json::object all = Ok(QueryFlags(L(), true, std::nullopt));
  EXPECT_EQ(Column(Arr(all, "flags"), "flag_id"),
            (std::vector<std::string>{"flag-1", "flag-2", "flag-3"}));
  EXPECT_EQ(Arr(all, "flags")[2].at("in_force"), false);
  EXPECT_EQ(Arr(all, "flags")[2].at("cleared_reason"), "a typing error");
}

TEST_F(Queries, FlagsNamingAPhoneIncludeTheRingsItIsPartOfInAnyWrittenForm) {
  json::object a = Ok(QueryFlags(L(), false, "0814-0000-0001"));
  EXPECT_EQ(a.at("phone"), kPhoneA);
  EXPECT_EQ(Column(Arr(a, "flags"), "flag_id"), (std::vector<std::string>{"flag-1", "flag-2"}));
  EXPECT_EQ(Column(Arr(Ok(QueryFlags(L(), false, kPhoneB)), "flags"), "flag_id"),
            (std::vector<std::string>{"flag-2"}));
  EXPECT_TRUE(Arr(Ok(QueryFlags(L(), false, kPhoneC)), "flags").empty());
  EXPECT_EQ(Arr(Ok(QueryFlags(L(), true, kPhoneC)), "flags").size(), 1u);
}

TEST_F(Queries, FlagsPageByFlagId) {
  std::vector<std::string> ids;
  std::string cursor;
  int pages = 0;
  do {
    json::object o = Ok(QueryFlags(L(), true, std::nullopt, 1, cursor));
    for (const auto& id : Column(Arr(o, "flags"), "flag_id")) ids.push_back(id);
    cursor = o.at("next_cursor").is_null() ? "" : Str(o, "next_cursor");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids, (std::vector<std::string>{"flag-1", "flag-2", "flag-3"}));
}

TEST_F(Queries, FlagsRefuseBadInputNamingTheField) {
  ExpectBadField(QueryFlags(L(), false, "not a phone"), "phone");
  ExpectBadField(QueryFlags(L(), false, std::nullopt, 0), "limit");
  ExpectBadField(
      QueryFlags(L(), false, std::nullopt, 1, std::string(kQueryCursorBytesMax + 1, 'f')),
      "cursor");
}

// ---- head
// -----------------------------------------------------------------------------------------

TEST_F(Queries, HeadIsTheNewestEventItsHashAndWhenItWasRecorded) {
  const store::Head head = L().GetHead();
  json::object o = Ok(QueryHead(L()));
  EXPECT_EQ(o.at("seq"), head.seq);
  EXPECT_EQ(o.at("hash"), json::value(ToHex(head.hash)));
  EXPECT_EQ(o.at("recorded_at"), "2017-08-09T02:00:00Z") << "the unblacklisting at " << kLastAt;
  json::object digest = HeadJson(head);
  EXPECT_EQ(digest, (json::object{{"seq", head.seq}, {"hash", ToHex(head.hash)}}));
}

TEST(QueriesOfAnEmptyLedger, HeadIsSeqZeroAndBlacklistAndFlagsAreEmpty) {
  TempDir dir;
  auto ledger = support::OpenLedger(dir.path() + "/ledger");
  ASSERT_NE(ledger, nullptr);
  json::object head = Ok(QueryHead(*ledger));
  EXPECT_EQ(head.at("seq"), 0);
  EXPECT_EQ(head.at("hash"), json::value(std::string(64, '0')));
  EXPECT_TRUE(head.at("recorded_at").is_null());
  EXPECT_TRUE(Arr(Ok(QueryBlacklist(*ledger, true)), "blacklist").empty());
  EXPECT_TRUE(Arr(Ok(QueryFlags(*ledger, true, std::nullopt)), "flags").empty());
  auto board = QueryBoard(*ledger, "bogor", kDay, std::nullopt, dir.path());
  EXPECT_TRUE(board.status().IsNotFound()) << board.status().ToString();
}

// WhatsApp delivers messages from any country, and a name may come with its accent as a separate
// combining mark. Whatever booked must be found again, and one person is one person.
TEST(QueriesOfSendersFromAnywhere, AForeignNumberAndAnAccentTypedTwoWaysAreFoundAndAreOne) {
  TempDir dir;
  auto ledger = support::OpenLedger(dir.path() + "/ledger");
  ASSERT_NE(ledger, nullptr);
  const std::string foreign = "16505551234";  // a wa_id: digits with country code
  {
    Service service(*ledger, support::SampleOffices(), {kKey});
    const auto results = support::SubmitAll(
        service, {Msg("wamid.us", "bogor", foreign, "#Jos\u00e9#01011985#07082017"),
                  Msg("wamid.nfd", "bogor", kPhoneB, "#jose\u0301#01011985#07082017",
                      "2017-08-01T08:01:00+07:00")});
    ASSERT_EQ(results.size(), 2u);
    EXPECT_FALSE(results[0].outcome.booking_code.empty());
    EXPECT_EQ(results[1].outcome.reason, "person_has_active_booking")
        << "JOS\u00c9 with the accent composed and as a combining mark is one person";
  }
  for (const char* written : {"+1 650 555 1234", "+16505551234", "001 650 555 1234"}) {
    json::object phone = Ok(QueryPhone(*ledger, written));
    EXPECT_EQ(phone.at("phone"), json::value(foreign)) << written;
    EXPECT_EQ(phone.at("national"), "+16505551234") << written;
  }
  auto bare = QueryPhone(*ledger, foreign);
  ASSERT_FALSE(bare.ok()) << "bare digits are read as Indonesian or refused, never guessed";
  EXPECT_NE(bare.status().message().find("+ and its country code"), std::string::npos)
      << bare.status().message();
  json::object person = Ok(QueryIdentity(*ledger, "jos\u00e9", "1985-01-01"));
  EXPECT_EQ(person.at("person"), "JOS\u00c9|1985-01-01");
  EXPECT_EQ(Ok(QueryIdentity(*ledger, "JOSE\u0301", "1985-01-01")), person);
}

}  // namespace
}  // namespace antrean::app
