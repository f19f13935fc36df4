// `antrean board`, `antrean show booking|phone|identity|blacklist|flags`, `antrean digest` and
// `antrean replay`
// (tools/cli/query_commands.cc, tools/cli/replay_command.cc), run as the real binary on a ledger
// built here through app::Service plus the counter's and the auditors' events: the text and --json
// outputs (the --json ones exactly the answers of app/queries.h), paging, time travel with --as-of,
// and the exit codes 0 / 1 / 2 / 3.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/queries.h"
#include "app/service.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "projections/fold.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/run_binary.h"

namespace antrean {
namespace {

namespace json = boost::json;
using support::At;
using support::CliRun;
using support::Msg;
using support::OpenLedger;
using support::RunAntrean;
using support::SampleOffices;
using support::SubmitAll;
using support::TempDir;

constexpr char kKey[] = "query-cli-test-booking-code-key-0123";

// An event of the counter or of an auditor at `at`, appended with its rows as the service would.
std::uint64_t AppendFolded(store::Ledger& ledger, const events::Event& event,
                           const std::string& actor, const std::string& at) {
  return support::AppendFolded(ledger, event, {"desk-" + at, actor}, At(at).micros_since_epoch);
}

constexpr char kPhoneA[] = "6281300000001";  // Budi's own phone; also books his toddler Adi
constexpr char kPhoneB[] = "6281300000002";  // tries to book Budi too
constexpr char kPhoneC[] = "6281300000003";  // Citra: forfeits
constexpr char kPhoneD[] = "6281300000004";  // Dewi: blacklisted later

// One ledger for the whole suite: bogor, Monday 2017-08-07, session 08:00.
//   queue 1 BUDI SANTOSO (A, owner): arrives 07:10, hands in documents 07:40
//   queue 2 ADI (A, toddler)
//   rejected: SITI from A (another adult), BUDI SANTOSO from B (holds a booking)
//   queue 3 CITRA (C): forfeited at 07:45
//   queue 4 DEWI (D); D blacklisted by an auditor; A flagged
//   C blacklisted, then lifted; C flagged, then cleared
class QueryCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ledger_dir_ = new std::string(dir_->path() + "/ledger");
    codes_ = new std::map<std::string, std::string>();
    auto ledger = OpenLedger(*ledger_dir_);
    ASSERT_NE(ledger, nullptr);
    struct M {
      const char* id;
      const char* phone;
      const char* text;
      const char* at;
    };
    const M messages[] = {
        {"wamid.q.1", kPhoneA, "#Budi Santoso#25011987#07082017", "2017-08-01T08:00:00+07:00"},
        {"wamid.q.2", kPhoneA, "#Adi#02022016#07082017", "2017-08-01T08:01:00+07:00"},
        {"wamid.q.3", kPhoneA, "#Siti#01012000#07082017", "2017-08-01T08:02:00+07:00"},
        {"wamid.q.4", kPhoneB, "#budi  santoso#25011987#07082017", "2017-08-01T08:03:00+07:00"},
        {"wamid.q.5", kPhoneC, "#Citra#03031990#07082017", "2017-08-01T08:04:00+07:00"},
        {"wamid.q.6", kPhoneD, "#Dewi#04041985#07082017", "2017-08-01T08:05:00+07:00"},
    };
    {
      app::Service service(*ledger, SampleOffices(), {kKey});
      std::vector<app::InboundMessage> ins;
      for (const auto& m : messages) ins.push_back(Msg(m.id, "bogor", m.phone, m.text, m.at));
      const auto results = SubmitAll(service, ins);
      for (std::size_t i = 0; i < ins.size(); ++i) {
        const std::string& code = results[i].outcome.booking_code;
        if (!code.empty()) (*codes_)[ins[i].message_id] = code;
      }
    }
    ASSERT_EQ(codes_->size(), 4u) << "BUDI, ADI, CITRA and DEWI are booked";
    auto booking = [&](const std::string& id) {
      projections::BookingRow b;
      auto bytes = ledger->GetState(projections::BookingRowKey(codes_->at(id)));
      EXPECT_TRUE(bytes.ok() && bytes->has_value());
      EXPECT_TRUE(projections::Decode(**bytes, &b).ok());
      return b;
    };
    const auto budi = booking("wamid.q.1");
    const auto citra = booking("wamid.q.5");
    AppendFolded(
        *ledger,
        events::ApplicantArrived{budi.code, "bogor", budi.date, budi.session,
                                 "2017-08-07T07:10:00+07:00", budi.arrive_by, budi.queue_number},
        "petugas-01", "2017-08-07T07:10:00+07:00");
    AppendFolded(*ledger, events::DocumentsSubmitted{budi.code, "bogor", budi.date}, "petugas-02",
                 "2017-08-07T07:40:00+07:00");
    AppendFolded(*ledger,
                 events::BookingForfeited{citra.code, "bogor", citra.date, "late",
                                          "2017-08-07T07:45:00+07:00", citra.arrive_by, kPhoneC},
                 "petugas-01", "2017-08-07T07:45:00+07:00");
    AppendFolded(*ledger, events::PhoneBlacklisted{kPhoneD, "iseng", {2, 3}, false, std::nullopt},
                 "auditor-01", "2017-08-08T09:00:00+07:00");
    AppendFolded(*ledger,
                 events::PhoneFlagged{"flag-1",
                                      kPhoneA,
                                      "many_persons_per_phone",
                                      700,
                                      {1, 5},
                                      {"ADI|2016-02-02"},
                                      {},
                                      "books for a toddler",
                                      {}},
                 "", "2017-08-08T09:05:00+07:00");
    AppendFolded(*ledger, events::PhoneBlacklisted{kPhoneC, "salah orang", {}, false, std::nullopt},
                 "auditor-01", "2017-08-08T09:10:00+07:00");
    AppendFolded(*ledger, events::PhoneUnblacklisted{kPhoneC, "appeal granted"}, "auditor-02",
                 "2017-08-08T09:20:00+07:00");
    AppendFolded(
        *ledger,
        events::PhoneFlagged{"flag-2", kPhoneC, "many_attempts", 300, {}, {}, {}, "tries", {}}, "",
        "2017-08-08T09:30:00+07:00");
    AppendFolded(*ledger, events::FlagCleared{"flag-2", kPhoneC, "a typing error"}, "auditor-02",
                 "2017-08-08T09:40:00+07:00");
    ledger->Close();
  }
  static void TearDownTestSuite() {
    delete codes_;
    delete ledger_dir_;
    delete dir_;
  }

  static const std::string& Ledger() { return *ledger_dir_; }
  static const std::string& Tmp() { return dir_->path(); }
  static const std::string& Code(const std::string& message_id) { return codes_->at(message_id); }

 private:
  static TempDir* dir_;
  static std::string* ledger_dir_;
  static std::map<std::string, std::string>* codes_;
};
TempDir* QueryCli::dir_ = nullptr;
std::string* QueryCli::ledger_dir_ = nullptr;
std::map<std::string, std::string>* QueryCli::codes_ = nullptr;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- board --------------------------------------------------------------------------------------

TEST_F(QueryCli, BoardJsonCountsEverySessionAndTheNextQueueNumber) {
  auto run = RunAntrean(
      {"board", "--ledger", Ledger(), "--office", "bogor", "--date", "2017-08-07", "--json"},
      Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::object o = run.Json();
  EXPECT_EQ(o["office"], "bogor");
  EXPECT_EQ(o["date"], "2017-08-07");
  EXPECT_EQ(o["next_queue_number"], 5);
  EXPECT_EQ(o["daily_quota"], 150);
  const auto& sessions = o["sessions"].as_array();
  ASSERT_EQ(sessions.size(), 3u);
  const auto& first = sessions[0].as_object();
  EXPECT_EQ(first.at("session"), "08:00");
  EXPECT_EQ(first.at("capacity"), 50);
  EXPECT_EQ(first.at("issued"), 4);
  EXPECT_EQ(first.at("arrived"), 1);
  EXPECT_EQ(first.at("forfeited"), 1);
  EXPECT_EQ(first.at("expired"), 0);
  EXPECT_EQ(first.at("completed"), 1);
  EXPECT_EQ(first.at("returned"), 0);
  EXPECT_EQ(first.at("remaining"), 46);
  EXPECT_EQ(sessions[1].as_object().at("issued"), 0);
  EXPECT_EQ(sessions[1].as_object().at("remaining"), 50);
  const auto& totals = o["totals"].as_object();
  EXPECT_EQ(totals.at("capacity"), 150);
  EXPECT_EQ(totals.at("issued"), 4);
  EXPECT_EQ(totals.at("remaining"), 146);
}

TEST_F(QueryCli, BoardTextIsATableWithTotals) {
  auto run =
      RunAntrean({"board", "--ledger", Ledger(), "--office", "bogor", "--date", "2017-08-07"}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "queue board: bogor, 2017-08-07 (Mon)")) << run.out;
  EXPECT_TRUE(Contains(run.out, "session    capacity     issued    arrived  forfeited")) << run.out;
  EXPECT_TRUE(Contains(run.out,
                       "08:00            50          4          1          1          0          1"
                       "          0         46"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "total           150          4")) << run.out;
  EXPECT_TRUE(Contains(run.out, "next queue number: 5")) << run.out;
}

TEST_F(QueryCli, BoardAsOfShowsTheBoardAsItStoodThen) {
  auto before_arrival =
      RunAntrean({"board", "--ledger", Ledger(), "--office", "bogor", "--date", "2017-08-07",
               "--as-of", "2017-08-07T07:20:00+07:00", "--json", "--scratch", Tmp() + "/scratch"},
              Tmp());
  ASSERT_EQ(before_arrival.exit_code, 0) << before_arrival.err;
  json::object o = before_arrival.Json();
  const auto& s = o["sessions"].as_array()[0].as_object();
  EXPECT_EQ(s.at("issued"), 4);
  EXPECT_EQ(s.at("arrived"), 1);
  EXPECT_EQ(s.at("completed"), 0);
  EXPECT_EQ(s.at("forfeited"), 0);
  EXPECT_EQ(o["as_of"], "2017-08-07T07:20:00+07:00");
  EXPECT_TRUE(std::filesystem::is_empty(Tmp() + "/scratch")) << "the scratch store is removed";

  auto early = RunAntrean({"board", "--ledger", Ledger(), "--office", "bogor", "--date", "2017-08-07",
                        "--as-of", "2017-08-01T08:02:30+07:00"},
                       Tmp());
  ASSERT_EQ(early.exit_code, 0) << early.err;
  EXPECT_TRUE(Contains(early.out, "as of 2017-08-01T08:02:30+07:00")) << early.out;
  EXPECT_TRUE(Contains(early.out, "next queue number: 3")) << early.out;

  auto before_anything = RunAntrean({"board", "--ledger", Ledger(), "--office", "bogor", "--date",
                                  "2017-08-07", "--as-of", "2017-08-01T07:00:00+07:00"},
                                 Tmp());
  EXPECT_EQ(before_anything.exit_code, 1) << "no configuration was recorded yet";
  EXPECT_TRUE(Contains(before_anything.err, "no configuration")) << before_anything.err;
}

TEST_F(QueryCli, BoardExitCodes) {
  EXPECT_EQ(
      RunAntrean({"board", "--ledger", Ledger(), "--office", "nowhere", "--date", "2017-08-07"}, Tmp())
          .exit_code,
      1);
  auto empty_day = RunAntrean(
      {"board", "--ledger", Ledger(), "--office", "bogor", "--date", "2017-08-08", "--json"},
      Tmp());
  EXPECT_EQ(empty_day.exit_code, 0);
  EXPECT_EQ(empty_day.Json()["next_queue_number"], 1);
  auto bad_date =
      RunAntrean({"board", "--ledger", Ledger(), "--office", "bogor", "--date", "07-08-2017"}, Tmp());
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_TRUE(Contains(bad_date.err, "--date")) << bad_date.err;
  EXPECT_EQ(RunAntrean({"board", "--ledger", Ledger(), "--date", "2017-08-07"}, Tmp()).exit_code, 2);
  EXPECT_EQ(RunAntrean({"board", "--ledger", Tmp() + "/missing", "--office", "bogor", "--date",
                     "2017-08-07"},
                    Tmp())
                .exit_code,
            3);
  EXPECT_EQ(RunAntrean({"board", "--help"}, Tmp()).exit_code, 0);
}

// ---- show booking -------------------------------------------------------------------------------

TEST_F(QueryCli, ShowBookingJsonHasTheRowAndEveryEventOfTheCodeOldestFirst) {
  const std::string code = Code("wamid.q.1");
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.insert(4, " ");
  auto run = RunAntrean({"show", "booking", typed, "--ledger", Ledger(), "--json"}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::object o = run.Json();
  EXPECT_EQ(o["code"], json::value(code));
  const auto& b = o["booking"].as_object();
  EXPECT_EQ(b.at("status"), "completed");
  EXPECT_EQ(b.at("queue_number"), 1);
  EXPECT_EQ(b.at("phone"), kPhoneA);
  EXPECT_EQ(b.at("person"), "BUDI SANTOSO|1987-01-25");
  const auto& events = o["events"].as_array();
  ASSERT_EQ(events.size(), 3u);
  std::vector<std::string> types, actors;
  std::uint64_t last = 0;
  for (const auto& e : events) {
    types.emplace_back(e.at("type").as_string());
    actors.emplace_back(e.at("actor").as_string());
    EXPECT_GT(e.at("seq").as_int64(), static_cast<std::int64_t>(last));
    last = static_cast<std::uint64_t>(e.at("seq").as_int64());
    EXPECT_FALSE(e.at("summary").as_string().empty());
    EXPECT_TRUE(e.at("payload").is_object());
  }
  EXPECT_EQ(types, (std::vector<std::string>{"booking_code_issued.v1", "applicant_arrived.v1",
                                             "documents_submitted.v1"}));
  EXPECT_EQ(actors, (std::vector<std::string>{"", "petugas-01", "petugas-02"}));
  EXPECT_EQ(events[1].at("recorded_at"), "2017-08-07T00:10:00Z");
}

TEST_F(QueryCli, ShowBookingText) {
  const std::string code = Code("wamid.q.5");
  auto run = RunAntrean({"show", "booking", code, "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "booking " + code)) << run.out;
  EXPECT_TRUE(Contains(run.out, "status:       forfeited")) << run.out;
  EXPECT_TRUE(Contains(run.out, "person:       CITRA, born 1990-03-03 (owner)")) << run.out;
  EXPECT_TRUE(Contains(run.out, "events (2, oldest first):")) << run.out;
  EXPECT_TRUE(Contains(run.out, "booking_forfeited.v1")) << run.out;
  EXPECT_TRUE(Contains(run.out, "petugas-01")) << run.out;
  EXPECT_TRUE(Contains(run.out, "forfeited (late): arrived at 2017-08-07T07:45:00+07:00"))
      << run.out;
}

TEST_F(QueryCli, ShowBookingOfAnUnknownCodeExits1) {
  auto run = RunAntrean({"show", "booking", "ZZZZZZZZZZ", "--ledger", Ledger()}, Tmp());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "ZZZZZZZZZZ")) << run.err;
  EXPECT_EQ(RunAntrean({"show", "booking", "--ledger", Ledger()}, Tmp()).exit_code, 2);
}

// ---- show phone ---------------------------------------------------------------------------------

TEST_F(QueryCli, ShowPhoneJsonInAnyWrittenForm) {
  for (const std::string written : {"0813-0000-0001", "+62 813 0000 0001", "6281300000001"}) {
    SCOPED_TRACE(written);
    auto run = RunAntrean({"show", "phone", written, "--ledger", Ledger(), "--json"}, Tmp());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    json::object o = run.Json();
    EXPECT_EQ(o["phone"], kPhoneA);
    EXPECT_EQ(o["owner"], "BUDI SANTOSO|1987-01-25");
    EXPECT_EQ(o["blacklisted"], false);
    EXPECT_TRUE(o["blacklist"].is_null());
    ASSERT_EQ(o["flags"].as_array().size(), 1u);
    EXPECT_EQ(o["flags"].as_array()[0].as_object().at("rule"), "many_persons_per_phone");
    std::map<std::string, json::object> persons;
    for (const auto& p : o["persons"].as_array()) {
      persons[std::string(p.at("person").as_string())] = p.as_object();
    }
    ASSERT_EQ(persons.size(), 3u);
    EXPECT_EQ(persons["BUDI SANTOSO|1987-01-25"]["relations"], json::array{"owner"});
    EXPECT_EQ(persons["BUDI SANTOSO|1987-01-25"]["codes"],
              json::array{json::string(Code("wamid.q.1"))});
    EXPECT_EQ(persons["ADI|2016-02-02"]["relations"], json::array{"toddler"});
    EXPECT_EQ(persons["ADI|2016-02-02"]["flags"], json::array{"flag-1"});
    EXPECT_EQ(persons["SITI|2000-01-01"]["rejections"],
              json::array{"phone_registered_to_other_adult"});
    const auto& timeline = o["timeline"].as_object();
    const auto& events = timeline.at("events").as_array();
    EXPECT_EQ(timeline.at("total_events").as_int64(), static_cast<std::int64_t>(events.size()));
    ASSERT_GE(events.size(), 10u);
    EXPECT_EQ(events[0].at("type"), "phone_flagged.v2") << "newest first";
    EXPECT_TRUE(timeline.at("next_cursor").is_null());
  }
}

TEST_F(QueryCli, ShowPhonePagesTheTimelineNewestFirstWithoutOverlap) {
  std::vector<std::int64_t> seqs;
  std::string cursor;
  int pages = 0;
  do {
    std::vector<std::string> args = {"show",   "phone",  "081300000001", "--ledger",
                                     Ledger(), "--json", "--limit",      "3"};
    if (!cursor.empty()) {
      args.push_back("--cursor");
      args.push_back(cursor);
    }
    auto run = RunAntrean(args, Tmp());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    json::object o = run.Json();
    const auto& t = o["timeline"].as_object();
    EXPECT_LE(t.at("events").as_array().size(), 3u);
    for (const auto& e : t.at("events").as_array()) seqs.push_back(e.at("seq").as_int64());
    cursor = t.at("next_cursor").is_null()
                 ? ""
                 : std::to_string(t.at("next_cursor").to_number<std::uint64_t>());
    ++pages;
  } while (!cursor.empty() && pages < 20);
  EXPECT_GE(pages, 3);
  ASSERT_FALSE(seqs.empty());
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i - 1], seqs[i]);
  auto all = RunAntrean(
      {"show", "phone", "081300000001", "--ledger", Ledger(), "--json", "--limit", "1000"}, Tmp());
  EXPECT_EQ(all.Json()["timeline"].as_object()["events"].as_array().size(), seqs.size());
}

TEST_F(QueryCli, ShowPhoneTextOfABlacklistedPhone) {
  auto run = RunAntrean({"show", "phone", "0813 0000 0004", "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "phone 6281300000004 (081300000004)")) << run.out;
  EXPECT_TRUE(Contains(run.out, "owner:        DEWI|1985-04-04")) << run.out;
  EXPECT_TRUE(Contains(run.out, "blacklisted:  yes")) << run.out;
  EXPECT_TRUE(Contains(run.out,
                       "blacklisting: in force; reason \"iseng\"; decided by auditor-01 at "
                       "2017-08-08T02:00:00Z; evidence seq 2,3"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "persons linked (1):")) << run.out;
  EXPECT_TRUE(Contains(run.out, "timeline (")) << run.out;
  EXPECT_TRUE(Contains(run.out, "phone_blacklisted.v1")) << run.out;
}

TEST_F(QueryCli, ShowPhoneExitCodes) {
  EXPECT_EQ(RunAntrean({"show", "phone", "0813 9999 9999", "--ledger", Ledger()}, Tmp()).exit_code, 1);
  auto bad = RunAntrean({"show", "phone", "not a phone", "--ledger", Ledger()}, Tmp());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "NUMBER")) << bad.err;
  EXPECT_EQ(
      RunAntrean({"show", "phone", kPhoneA, "--ledger", Ledger(), "--limit", "0"}, Tmp()).exit_code,
      2);
}

// ---- show identity ------------------------------------------------------------------------------

TEST_F(QueryCli, ShowIdentityNamesTheActiveBookingAndThePhonesLinked) {
  auto run = RunAntrean(
      {"show", "identity", "--ledger", Ledger(), "--name", "adi", "--dob", "2016-02-02", "--json"},
      Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::object o = run.Json();
  EXPECT_EQ(o["person"], "ADI|2016-02-02");
  EXPECT_EQ(o["active_code"], json::value(Code("wamid.q.2")));
  EXPECT_EQ(o["active_booking"].as_object()["relation"], "toddler");
  ASSERT_EQ(o["phones"].as_array().size(), 1u);
  EXPECT_EQ(o["phones"].as_array()[0].as_object().at("phone"), kPhoneA);

  auto budi = RunAntrean({"show", "identity", "--ledger", Ledger(), "--name", " budi   SANTOSO ",
                       "--dob", "1987-01-25", "--json"},
                      Tmp());
  ASSERT_EQ(budi.exit_code, 0) << budi.err;
  json::object b = budi.Json();
  EXPECT_TRUE(b["active_code"].is_null()) << "documents handed in: the booking is used";
  std::map<std::string, json::object> phones;
  for (const auto& p : b["phones"].as_array()) {
    phones[std::string(p.at("phone").as_string())] = p.as_object();
  }
  ASSERT_EQ(phones.size(), 2u);
  EXPECT_EQ(phones[kPhoneA]["relations"], json::array{"owner"});
  EXPECT_EQ(phones[kPhoneB]["rejections"], json::array{"person_has_active_booking"});
}

TEST_F(QueryCli, ShowIdentityTextAndExitCodes) {
  auto run = RunAntrean(
      {"show", "identity", "--ledger", Ledger(), "--name", "Budi Santoso", "--dob", "1987-01-25"},
      Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "person BUDI SANTOSO|1987-01-25")) << run.out;
  EXPECT_TRUE(Contains(run.out, "booking not yet used: none")) << run.out;
  EXPECT_TRUE(Contains(run.out, "phones linked (2):")) << run.out;
  EXPECT_TRUE(Contains(run.out, "rejected: person_has_active_booking")) << run.out;
  EXPECT_EQ(
      RunAntrean({"show", "identity", "--ledger", Ledger(), "--name", "Nobody", "--dob", "1987-01-25"},
              Tmp())
          .exit_code,
      1);
  EXPECT_EQ(
      RunAntrean({"show", "identity", "--ledger", Ledger(), "--name", "Budi", "--dob", "25011987"},
              Tmp())
          .exit_code,
      2);
  EXPECT_EQ(
      RunAntrean({"show", "identity", "--ledger", Ledger(), "--dob", "1987-01-25"}, Tmp()).exit_code,
      2);
}

// ---- show blacklist -----------------------------------------------------------------------------

// The answer of a query on the suite's ledger, opened read-only, as one line of JSON.
template <class Query>
std::string QueryLine(const std::string& dir, const Query& query) {
  auto ledger = OpenLedger(dir, support::ReadOnly());
  if (ledger == nullptr) return "";
  Result<json::object> answer = query(*ledger);
  EXPECT_TRUE(answer.ok()) << answer.status().ToString();
  return answer.ok() ? json::serialize(*answer) + "\n" : "";
}

TEST_F(QueryCli, ShowBlacklistListsThePhonesInForceAndWithAllTheLiftedOnes) {
  auto run = RunAntrean({"show", "blacklist", "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "blacklisted phones (1):\n"
            "  6281300000004     in force; reason \"iseng\"; decided by auditor-01 at "
            "2017-08-08T02:00:00Z; evidence seq 2,3\n");
  auto all = RunAntrean({"show", "blacklist", "--ledger", Ledger(), "--all"}, Tmp());
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(Contains(all.out, "blacklisted phones, lifted ones included (2):\n")) << all.out;
  EXPECT_TRUE(Contains(all.out,
                       "  6281300000003     lifted; reason \"salah orang\"; decided by auditor-01 "
                       "at 2017-08-08T02:10:00Z; evidence seq -; lifted by auditor-02: appeal "
                       "granted\n"))
      << all.out;
  EXPECT_LT(all.out.find(kPhoneC), all.out.find(kPhoneD)) << "in phone order";
}

TEST_F(QueryCli, ShowBlacklistJsonIsTheAnswerOfTheQuery) {
  auto run = RunAntrean({"show", "blacklist", "--ledger", Ledger(), "--all", "--json"}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, QueryLine(Ledger(), [](const store::Ledger& l) {
              return app::QueryBlacklist(l, true);
            }));
  EXPECT_EQ(run.Json()["blacklist"].as_array().size(), 2u);
}

TEST_F(QueryCli, ShowBlacklistPagesWithAMoreLine) {
  auto first =
      RunAntrean({"show", "blacklist", "--ledger", Ledger(), "--all", "--limit", "1"}, Tmp());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(Contains(first.out, "(1):\n  6281300000003 ")) << first.out;
  EXPECT_TRUE(Contains(first.out, "more: antrean show blacklist --ledger " + Ledger() +
                                      " --all --limit 1 --cursor 6281300000003\n"))
      << first.out;
  auto second = RunAntrean({"show", "blacklist", "--ledger", Ledger(), "--all", "--limit", "1",
                            "--cursor", "6281300000003"},
                           Tmp());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.out, "(1):\n  6281300000004 ")) << second.out;
  EXPECT_FALSE(Contains(second.out, "more:")) << second.out;
}

// ---- show flags ---------------------------------------------------------------------------------

TEST_F(QueryCli, ShowFlagsListsTheFlagsInForceAndWithAllTheClearedOnes) {
  const std::string flag1 =
      "  flag-1  many_persons_per_phone score 700  raised 2017-08-08T02:05:00Z  in force  "
      "(on 6281300000001)  books for a toddler\n";
  auto run = RunAntrean({"show", "flags", "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "flags (1):\n" + flag1);
  auto all = RunAntrean({"show", "flags", "--ledger", Ledger(), "--all"}, Tmp());
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out,
            "flags, cleared ones included (2):\n" + flag1 +
                "  flag-2  many_attempts score 300  raised 2017-08-08T02:30:00Z  cleared by "
                "auditor-02  (on 6281300000003)  tries\n");
}

TEST_F(QueryCli, ShowFlagsOfAPhoneInAnyWrittenForm) {
  auto run = RunAntrean(
      {"show", "flags", "--ledger", Ledger(), "--all", "--phone", "0813-0000-0001"}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "flags, cleared ones included, naming 6281300000001 (1):\n"
            "  flag-1  many_persons_per_phone score 700  raised 2017-08-08T02:05:00Z  in force  "
            "books for a toddler\n");
  auto none = RunAntrean({"show", "flags", "--ledger", Ledger(), "--phone", kPhoneC}, Tmp());
  ASSERT_EQ(none.exit_code, 0) << "no flag in force is not an error: " << none.err;
  EXPECT_EQ(none.out, "flags, naming 6281300000003 (0):\n");
}

TEST_F(QueryCli, ShowFlagsJsonIsTheAnswerOfTheQuery) {
  auto run = RunAntrean(
      {"show", "flags", "--ledger", Ledger(), "--all", "--phone", "+62 813 0000 0003", "--json"},
      Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, QueryLine(Ledger(), [](const store::Ledger& l) {
              return app::QueryFlags(l, true, kPhoneC);
            }));
  EXPECT_EQ(run.Json()["flags"].as_array()[0].as_object()["cleared_reason"], "a typing error");
}

TEST_F(QueryCli, ShowBlacklistAndFlagsExitCodes) {
  for (const char* what : {"blacklist", "flags"}) {
    SCOPED_TRACE(what);
    EXPECT_EQ(RunAntrean({"show", what}, Tmp()).exit_code, 2) << "--ledger is required";
    EXPECT_EQ(RunAntrean({"show", what, "--ledger", Ledger(), "--limit", "0"}, Tmp()).exit_code, 2);
    EXPECT_EQ(RunAntrean({"show", what, "--ledger", Ledger(), "extra"}, Tmp()).exit_code, 2);
    EXPECT_EQ(RunAntrean({"show", what, "--ledger", Tmp() + "/missing"}, Tmp()).exit_code, 3);
    auto help = RunAntrean({"show", what, "--help"}, Tmp());
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_TRUE(Contains(help.out, std::string("usage: antrean show ") + what)) << help.out;
  }
  auto bad = RunAntrean({"show", "flags", "--ledger", Ledger(), "--phone", "not a phone"}, Tmp());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "antrean show flags: --phone: ")) << bad.err;
}

// ---- digest -------------------------------------------------------------------------------------

TEST_F(QueryCli, DigestPrintsTheHeadOfQueryHeadWithoutItsTime) {
  auto run = RunAntrean({"digest", "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::object head = support::ParseJsonObject(
      QueryLine(Ledger(), [](const store::Ledger& l) { return app::QueryHead(l); }));
  EXPECT_EQ(head["recorded_at"], "2017-08-08T02:40:00Z") << "the flag cleared last";
  head.erase("recorded_at");
  EXPECT_EQ(run.Json(), head);
}

// ---- replay -------------------------------------------------------------------------------------

TEST_F(QueryCli, ReplayOfAnIntactLedgerExits0) {
  auto run = RunAntrean({"replay", "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out, "events/s")) << run.out;
  EXPECT_TRUE(Contains(run.out, "identical: the live state is exactly what the events say"))
      << run.out;
  EXPECT_FALSE(Contains(run.out, "DIFFERS")) << run.out;

  auto j = RunAntrean({"replay", "--ledger", Ledger(), "--json"}, Tmp());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json::object o = j.Json();
  EXPECT_EQ(o["identical"], true);
  std::set<std::string> names;
  for (const auto& p : o["projections"].as_array()) {
    const auto& po = p.as_object();
    names.insert(std::string(po.at("projection").as_string()));
    EXPECT_EQ(po.at("identical"), true);
    EXPECT_EQ(po.at("digest"), po.at("live_digest"));
    EXPECT_EQ(po.at("digest").as_string().size(), 64u);
  }
  EXPECT_EQ(names, (std::set<std::string>{"ap", "bk", "bl", "cf", "checkpoint/decision_state", "dl",
                                          "dy", "fl", "fx", "ob", "pe", "ph", "pm"}));
  EXPECT_EQ(o["events_scanned"], o["head_seq"]);
}

TEST_F(QueryCli, ReplayOfATamperedStateExits1NamingTheProjectionAndKey) {
  TempDir copy;
  const std::string dir = copy.path() + "/ledger";
  std::filesystem::copy(Ledger(), dir, std::filesystem::copy_options::recursive);
  const std::string key = projections::BookingRowKey(Code("wamid.q.6"));
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &db).ok());
    for (auto* h : handles) {
      if (h->GetName() == "state") {
        std::string v;
        ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), h, key, &v).ok());
        v.replace(v.find("\"issued\""), 8, "\"arrived\"");
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h, key, v).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    delete db;
  }
  auto run = RunAntrean({"replay", "--ledger", dir}, Tmp());
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(
      Contains(run.out, "DIFFERS: projection bk: first differing key " + key + ": values differ"))
      << run.out;
  auto j = RunAntrean({"replay", "--ledger", dir, "--json"}, Tmp());
  EXPECT_EQ(j.exit_code, 1);
  json::object o = j.Json();
  EXPECT_EQ(o["identical"], false);
  for (const auto& p : o["projections"].as_array()) {
    const auto& po = p.as_object();
    EXPECT_EQ(po.at("identical").as_bool(), po.at("projection") != "bk") << po.at("projection");
    if (po.at("projection") == "bk") {
      EXPECT_EQ(po.at("first_difference").as_object().at("key"), json::value(key));
      EXPECT_EQ(po.at("first_difference").as_object().at("kind"), "value");
    }
  }
}

TEST_F(QueryCli, ReplayUntilSeqAndAsOfPrintTheDigestsOfThatPoint) {
  // The first message (configuration, message, booking, reply): seq 1..4, recorded 08:00.
  auto until = RunAntrean({"replay", "--ledger", Ledger(), "--until-seq", "4", "--json"}, Tmp());
  ASSERT_EQ(until.exit_code, 0) << until.err;
  auto as_of = RunAntrean(
      {"replay", "--ledger", Ledger(), "--as-of", "2017-08-01T08:00:30+07:00", "--json"}, Tmp());
  ASSERT_EQ(as_of.exit_code, 0) << as_of.err;
  json::object u = until.Json(), a = as_of.Json();
  EXPECT_EQ(u["last_seq"], 4);
  EXPECT_EQ(a["last_seq"], 4);
  EXPECT_EQ(u["projections"], a["projections"]);
  for (const auto& p : u["projections"].as_array()) {
    const auto& po = p.as_object();
    const std::string name(po.at("projection").as_string());
    const std::int64_t rows = po.at("rows").as_int64();
    if (name == "bk" || name == "pe" || name == "ph" || name == "cf" || name == "dy" ||
        name == "dl" || name == "ob" || name == "checkpoint/decision_state") {
      EXPECT_EQ(rows, 1) << name;  // ph/ and pe/ with the detection's parts in them
    } else if (name == "fx") {
      EXPECT_EQ(rows, 2) << "the detection's thresholds and norm of bogor";
    } else {
      EXPECT_EQ(rows, 0) << name;
    }
  }
  auto text = RunAntrean({"replay", "--ledger", Ledger(), "--until-seq", "4"}, Tmp());
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_TRUE(Contains(text.out, "the state as of seq 4:")) << text.out;
}

TEST_F(QueryCli, ReplayUsageAndOpenErrors) {
  EXPECT_EQ(RunAntrean({"replay"}, Tmp()).exit_code, 2);
  EXPECT_EQ(RunAntrean({"replay", "--ledger", Ledger(), "--until-seq", "4", "--as-of",
                     "2017-08-01T08:00:30+07:00"},
                    Tmp())
                .exit_code,
            2);
  EXPECT_EQ(RunAntrean({"replay", "--ledger", Ledger(), "--as-of", "yesterday"}, Tmp()).exit_code, 2);
  EXPECT_EQ(RunAntrean({"replay", "--ledger", Ledger(), "--until-seq", "0"}, Tmp()).exit_code, 2);
  EXPECT_EQ(RunAntrean({"replay", "--ledger", Tmp() + "/missing"}, Tmp()).exit_code, 3);
  auto help = RunAntrean({"replay", "--help"}, Tmp());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Contains(help.out, "usage: antrean replay")) << help.out;
}

// ---- audit --------------------------------------------------------------------------------------

TEST_F(QueryCli, AuditRanksTheFlagsInForceWithTheirEvidenceInReadableForm) {
  auto run = RunAntrean({"audit", "--ledger", Ledger()}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "flags in force: 1 (many_persons_per_phone 1); showing 1")) << run.out;
  EXPECT_TRUE(Contains(run.out, "#1  many_persons_per_phone  score 700  phone 6281300000001"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "evidence (2 events):")) << run.out;
  EXPECT_TRUE(Contains(run.out, "seq 5        2017-08-01T01:01:00Z  message_received.v1"))
      << run.out;
  auto all = RunAntrean({"audit", "--ledger", Ledger(), "--all", "--json"}, Tmp());
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const json::object o = json::parse(all.out).as_object();
  EXPECT_EQ(o.at("total"), 2);
  ASSERT_EQ(o.at("flags").as_array().size(), 2u);
  EXPECT_EQ(o.at("flags").at(0).at("flag_id"), "flag-1") << "the higher score first";
  EXPECT_EQ(o.at("flags").at(1).at("cleared_by"), "auditor-02");
  EXPECT_EQ(o.at("flags").at(0).at("offices"), json::array{"bogor"});
}

TEST_F(QueryCli, AuditCsvIsOneLineAFlagForASpreadsheet) {
  auto run = RunAntrean({"audit", "--ledger", Ledger(), "--csv", "--all"}, Tmp());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "rank,rule,score,phone,phones,persons,offices,raised_at,in_force,cleared_by,flag_id,"
            "evidence_seqs,detail\r\n"
            "1,many_persons_per_phone,700,6281300000001,,ADI|2016-02-02,bogor,"
            "2017-08-08T02:05:00Z,yes,,flag-1,1 5,books for a toddler\r\n"
            "2,many_attempts,300,6281300000003,,,,2017-08-08T02:30:00Z,no,auditor-02,flag-2,,"
            "tries\r\n");
}

TEST_F(QueryCli, AuditFiltersByOfficeAndDateAndRefusesBadFlags) {
  auto none = RunAntrean({"audit", "--ledger", Ledger(), "--office", "bogor", "--from",
                          "2017-08-09", "--json"},
                         Tmp());
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(json::parse(none.out).at("total"), 0);
  auto on_the_day = RunAntrean({"audit", "--ledger", Ledger(), "--office", "bogor", "--from",
                                "2017-08-08", "--to", "2017-08-08", "--json"},
                               Tmp());
  EXPECT_EQ(json::parse(on_the_day.out).at("total"), 1);
  EXPECT_EQ(RunAntrean({"audit", "--ledger", Ledger(), "--office", "nowhere"}, Tmp()).exit_code, 1);
  auto bad_date = RunAntrean({"audit", "--ledger", Ledger(), "--from", "8/8/2017"}, Tmp());
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_TRUE(Contains(bad_date.err, "--from")) << bad_date.err;
  EXPECT_EQ(RunAntrean({"audit", "--ledger", Ledger(), "--limit", "0"}, Tmp()).exit_code, 2);
  EXPECT_EQ(RunAntrean({"audit", "--ledger", Ledger(), "--json", "--csv"}, Tmp()).exit_code, 2);
}

}  // namespace
}  // namespace antrean
