// The decision step end to end, as a table: inbound WhatsApp messages, each with its office,
// sender, time and text, run in order through a real app::Service on a fresh RocksDB ledger, and
// what each must give (issued / repeated / rejected with its reason / information / recorded).
// Every row also proves that the message itself was recorded first (message_received.v1, also
// for rejected and malformed messages), that a reply was queued exactly where one is owed, and
// that every appended event decodes.
//
// Offices: config/offices.json (Bogor, Jakarta Pusat, Batam, Denpasar) plus one inline office,
// "kecil", with two sessions of one booking each, so that a day fills up.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/booking_code.h"
#include "app/service.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "projections/fold.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::app {
namespace {

namespace json = boost::json;
using support::At;
using support::KecilOffice;
using support::LoadOffices;
using support::Msg;
using support::OpenLedger;
using support::SampleOfficesJson;
using support::TempDir;
using support::Try;

constexpr char kCodeKey[] = "registration-table-test-key-0123456789";
constexpr char kReceived[] = "message_received.v1";
constexpr char kConfigApplied[] = "office_configuration_applied.v1";
constexpr char kReplyQueued[] = "reply_queued.v1";
constexpr char kIssuedType[] = "booking_code_issued.v1";
constexpr char kRejectedType[] = "registration_rejected.v2";

// The sample office file plus "kecil": tiny sessions (1 + 1 bookings a day) to reach day_full.
domain::OfficeDirectory Offices() {
  json::value file = SampleOfficesJson();
  file.as_object()["offices"].as_array().push_back(KecilOffice());
  return LoadOffices(file, "offices+kecil");
}

// An officer blacklists `phone`: the event and its decision rows, appended in one batch.
void Blacklist(store::Ledger& ledger, const std::string& phone, const std::string& at) {
  events::PhoneBlacklisted e;
  e.phone = phone;
  e.reason = "iseng: pendaftaran palsu berulang";
  e.evidence = {1};
  support::AppendFolded(ledger, e, {"blacklist-" + phone, "petugas-01"},
                        At(at).micros_since_epoch);
}

enum class Want { kIssued, kRepeated, kRejected, kInformation, kRecorded, kBlacklistPhone };

// One row. `what` is the relation (issued), the label of the row whose code comes back
// (repeated), the reason (rejected), or the information command (information). In `text`,
// "{code:LABEL}" is the code issued at row LABEL and "{messy:LABEL}" the same code as a person
// might type it (lower case, a dash, a space).
struct Row {
  std::string office;
  std::string from;
  std::string at;
  std::string text;
  Want want = Want::kRecorded;
  std::string what;
  std::string label;
  std::string kind = "text";
  std::optional<events::Media> media;
  std::string date;
  std::uint32_t queue = 0;
  std::string session;
  std::string arrive_by;
  std::string next;      // rejected: the next available date
  std::string reply_has;  // a piece the reply must contain

  Row Label(std::string l) const { Row r = *this; r.label = std::move(l); return r; }
  Row Image() const {
    Row r = *this;
    r.kind = "image";
    r.media = events::Media{"image", "media-ektp-" + from, std::string("image/jpeg"), std::nullopt};
    return r;
  }
  Row Media(std::string k) const {
    Row r = *this;
    r.kind = k;
    r.media = events::Media{k, "media-" + k + "-" + from, std::nullopt, std::nullopt};
    return r;
  }
  Row Kind(std::string k) const { Row r = *this; r.kind = std::move(k); return r; }
  Row Session(std::string s) const { Row r = *this; r.session = std::move(s); return r; }
  Row ArriveBy(std::string a) const { Row r = *this; r.arrive_by = std::move(a); return r; }
  Row Next(std::string n) const { Row r = *this; r.next = std::move(n); return r; }
  Row ReplyHas(std::string s) const { Row r = *this; r.reply_has = std::move(s); return r; }
};

Row Make(std::string office, std::string from, std::string at, std::string text, Want want,
         std::string what) {
  Row r;
  r.office = std::move(office);
  r.from = std::move(from);
  r.at = std::move(at);
  r.text = std::move(text);
  r.want = want;
  r.what = std::move(what);
  return r;
}
Row Issued(std::string office, std::string from, std::string at, std::string text,
           std::string relation, std::string date, std::uint32_t queue) {
  Row r = Make(std::move(office), std::move(from), std::move(at), std::move(text), Want::kIssued,
               std::move(relation));
  r.date = std::move(date);
  r.queue = queue;
  return r;
}
Row Repeated(std::string office, std::string from, std::string at, std::string text,
             std::string of_label) {
  return Make(std::move(office), std::move(from), std::move(at), std::move(text),
              Want::kRepeated, std::move(of_label));
}
Row Rejected(std::string office, std::string from, std::string at, std::string text,
             std::string reason) {
  return Make(std::move(office), std::move(from), std::move(at), std::move(text),
              Want::kRejected, std::move(reason));
}
Row Info(std::string office, std::string from, std::string at, std::string text,
         std::string command) {
  return Make(std::move(office), std::move(from), std::move(at), std::move(text),
              Want::kInformation, std::move(command));
}
Row Recorded(std::string office, std::string from, std::string at, std::string text) {
  return Make(std::move(office), std::move(from), std::move(at), std::move(text),
              Want::kRecorded, "");
}
// Not a message: an officer blacklists `phone` (appended directly; no command exists yet).
Row BlacklistPhone(std::string phone, std::string at) {
  return Make("", std::move(phone), std::move(at), "", Want::kBlacklistPhone, "");
}

// Phones, normalised (digits with country code).
const std::string P01 = "6281200000001";  // BUDI 25-01-1987, and his family
const std::string P02 = "6281200000002";  // SITI AMINAH
const std::string P03 = "6281200000003";  // someone else typing SITI AMINAH
const std::string P04 = "6281200000004";  // BUDI SANTOSO
const std::string P05 = "6281200000005";  // ANDI
const std::string P06 = "6281200000006";  // someone else typing BUDI
const std::string P07 = "6281200000007";  // DEWI
const std::string P08 = "6281200000008";  // EKO
const std::string P09 = "6281200000009";  // blacklisted
const std::string P10 = "6281200000010";  // SARI (Batam)
const std::string P11 = "6281200000011";  // RUDI (Batam)
const std::string P12 = "6281200000012";  // TONO (Batam)
const std::string P20 = "6281200000020";  // ANTON, and typing errors
const std::string P21 = "6281200000021";  // WATI
const std::string P30 = "6281200000030", P31 = "6281200000031", P32 = "6281200000032",
                  P33 = "6281200000033", P34 = "6281200000034", P35 = "6281200000035",
                  P36 = "6281200000036";
const std::string P40 = "6281200000040", P41 = "6281200000041", P42 = "6281200000042";
const std::string P50 = "6281200000050", P51 = "6281200000051", P52 = "6281200000052",
                  P53 = "6281200000053", P54 = "6281200000054", P55 = "6281200000055";

const std::string JP = "jakarta-pusat", BG = "bogor", BT = "batam", DP = "denpasar",
                  KC = "kecil";

std::vector<Row> Table() {
  const std::string jp = "2017-07-10T09:00:00+07:00";  // a Monday; horizon to 09-08-2017
  const std::string bt = "2017-07-20T08:00:00+07:00";  // a Thursday, inside Batam's window
  const std::string bg = "2017-08-01T08:00:00+07:00";  // a Tuesday; horizon to 31-08-2017
  const std::string dp = "2018-03-12T09:00:00+08:00";  // a Monday, WITA; horizon 14 days
  const std::string kc = "2018-03-14T09:00:00+07:00";  // a Wednesday
  return {
      // ---- Jakarta Pusat: the seed's example, then what people really type.
      Issued(JP, P01, jp, "#BUDI#25011987#14072017", "owner", "2017-07-14", 1)
          .Label("jp-budi")
          .Session("08:00")
          .ArriveBy("2017-07-14T07:30:00+07:00"),
      Repeated(JP, P01, jp, "#BUDI#25011987#14072017#", "jp-budi"),  // the trailing '#'
      Repeated(JP, P01, jp, "#budi#25011987#14072017", "jp-budi"),
      Issued(JP, P02, jp, "#Siti Aminah#12031990#14072017", "owner", "2017-07-14", 2),
      Rejected(JP, P03, jp, "#SITI AMINAH#12031990#14072017", "person_has_active_booking"),
      Issued(JP, P04, jp, "  budi santoso # 25-01-1987 # 13-07-2017  ", "owner", "2017-07-13", 1),
      Rejected(JP, P05, jp, "#Andi#01021985#15072017", "office_closed")  // Saturday
          .Next("2017-07-17")
          .ReplyHas("15-07-2017"),
      Rejected(JP, P05, jp, "#Andi#01021985#16072017", "office_closed"),  // Sunday
      Rejected(JP, P05, jp, "#Andi#01021985#07072017", "arrival_date_in_past"),
      Rejected(JP, P05, jp, "#Andi#01021985#10082017", "arrival_beyond_horizon"),
      Issued(JP, P05, jp, "#Andi#01021985#09082017", "owner", "2017-08-09", 1),   // last day
      Rejected(JP, P20, jp, "#Anton#31021985#14072017", "invalid_birth_date"),    // 31 February
      Rejected(JP, P20, jp, "#Anton#01021985#31062017", "invalid_arrival_date"),  // 31 June
      Rejected(JP, P20, jp, "#Anton#01021985#29022018", "invalid_arrival_date"),  // not leap
      Rejected(JP, P20, jp, "#Anton#11072017#14072017", "birth_date_in_future"),  // tomorrow
      Rejected(JP, P20, jp, "#Anton#01012030#14072017", "birth_date_in_future"),
      Rejected(JP, P20, jp, "#Anton3#01021985#14072017", "invalid_name"),
      Rejected(JP, P20, jp, "#Budi 2#25011987#14072017", "invalid_name"),
      Rejected(JP, P20, jp, "#Anton#01021985", "unreadable_message")
          .ReplyHas("#Nama#Tanggal Lahir#Tanggal Kedatangan#"),
      Rejected(JP, P20, jp, "Anton 01021985 14072017", "unreadable_message"),
      Rejected(JP, P20, jp, "#Anton#01021985#14072017#lagi", "unreadable_message"),
      Issued(JP, P20, jp, "#Anton#01/02/1985#14/07/2017", "owner", "2017-07-14", 3),
      Issued(JP, P21, jp, "#Wati#02.03.1991#14.07.2017", "owner", "2017-07-14", 4),
      Info(JP, P21, jp, "#syarat", "requirements").ReplyHas("e-KTP asli"),
      Info(JP, P21, jp, "#bayar", "payment").ReplyHas("PNBP"),
      Info(JP, P21, jp, "halo, mau tanya cara daftar", "help")
          .ReplyHas("#Nama#Tanggal Lahir#Tanggal Kedatangan#"),

      // ---- Batam: no arrival date (the next open day with room), an e-KTP photo, 07:30-10:00.
      Rejected(BT, P10, "2017-07-20T07:29:59+07:00", "SARI#12121992#JL. SUDIRMAN 5, BATAM",
               "outside_registration_window")
          .Image()
          .ReplyHas("07:30-10:00 WIB"),
      Issued(BT, P10, "2017-07-20T07:30:00+07:00", "SARI#12121992#JL. SUDIRMAN 5, BATAM", "owner",
             "2017-07-21", 1)
          .Image(),
      Issued(BT, P01, bt, "BUDI#25011987#JL. ENGKU PUTRI NO. 1, BATAM CENTRE", "owner",
             "2017-07-21", 2)
          .Image()
          .Session("08:00"),
      Rejected(BT, P11, "2017-07-20T08:05:00+07:00", "RUDI#01011980#JL. RAJA ALI HAJI 3",
               "missing_ektp_photo"),
      Rejected(BT, P11, "2017-07-20T08:06:00+07:00", "RUDI#01011980#JL. RAJA ALI HAJI 3",
               "missing_ektp_photo")
          .Media("document"),  // a document is not a photo
      Issued(BT, P11, "2017-07-20T08:07:00+07:00", "  rudi # 01-01-1980 # jl. raja ali haji 3 ",
             "owner", "2017-07-21", 3)
          .Image(),
      Rejected(BT, P12, "2017-07-20T08:10:00+07:00", "TONO#01012020#JL. HANG TUAH 8",
               "birth_date_in_future")
          .Image(),
      Rejected(BT, P12, "2017-07-20T08:11:00+07:00", "TONO 2#01011980#JL. HANG TUAH 8",
               "invalid_name")
          .Image(),
      Rejected(BT, P12, "2017-07-20T10:00:00+07:00", "TONO#01011980#JL. HANG TUAH 8",
               "outside_registration_window")
          .Image(),  // the window's end is exclusive
      Info(BT, P12, "2017-07-20T11:00:00+07:00", "#syarat", "requirements"),

      // ---- Bogor: the seed's example at a 2017 time, then the personal-number rule.
      Issued(BG, P01, bg, "#Budi#25011987#07082017", "owner", "2017-08-07", 1).Label("bg-budi"),
      Repeated(BG, P01, bg, "Budi#25011987#07082017", "bg-budi"),  // no leading '#'
      Repeated(BG, P01, bg, "#BUDI#25.01.1987#07.08.2017#", "bg-budi"),
      Rejected(JP, P06, bg, "#Budi#25011987#08082017", "person_has_active_booking"),
      Repeated(JP, P01, bg, "#Budi#25011987#07082017", "bg-budi"),  // other office, same code
      Issued(BG, P01, bg, "#Rina#10032015#07082017", "toddler", "2017-08-07", 2),
      Issued(BG, P01, bg, "#Sukarni#17081945#07082017", "elderly", "2017-08-07", 3),
      Rejected(BG, P01, bg, "#Dewi#05051990#07082017", "phone_registered_to_other_adult")
          .ReplyHas("BUDI"),
      Rejected(BG, P01, bg, "#Bayu#07082012#07082017", "phone_registered_to_other_adult"),  // 5
      Issued(BG, P01, bg, "#Bagus#08082012#07082017", "toddler", "2017-08-07", 4),          // 4
      Issued(BG, P01, bg, "#Sri#07081957#07082017", "elderly", "2017-08-07", 5),            // 60
      Rejected(BG, P01, bg, "#Slamet#08081957#07082017", "phone_registered_to_other_adult"),
      Issued(BG, P07, bg, "#Dewi#05051990#07082017", "owner", "2017-08-07", 6).Label("bg-dewi"),
      Repeated(BG, P07, bg, "#Dewi#05051990#08082017", "bg-dewi"),      // one booking per person
      Rejected(BG, P08, bg, "#Eko#01011980#17082017", "office_closed")  // Independence Day
          .Next("2017-08-18")
          .ReplyHas("17-08-2017"),
      Rejected(BG, P08, bg, "#Eko#01011980#19082017", "office_closed"),  // Saturday
      Issued(BG, P08, bg, "#Eko#01011980#18082017", "owner", "2017-08-18", 1)
          .Label("bg-eko")
          .Image(),  // a photo with the registration as its caption
      Info(BG, P08, bg, "#cek {code:bg-eko}", "check_booking").ReplyHas("terdaftar"),
      Info(BG, P08, bg, "#cek {messy:bg-eko}", "check_booking").ReplyHas("terdaftar"),
      Info(BG, P07, bg, "#cek {code:bg-eko}", "check_booking").ReplyHas("tidak ditemukan"),
      Info(BG, P08, bg, "#cek ABCDEFGHJK", "check_booking").ReplyHas("tidak ditemukan"),
      Info(BG, P08, bg, "1234567890123456", "application_status").ReplyHas("1234567890123456"),
      Info(BG, P08, bg, "1234 5678 9012 3456", "application_status"),
      Info(BG, P08, bg, "#help", "help").ReplyHas("#NAMA#TGLLAHIR#TGLKEDATANGAN"),
      Info(BG, P08, bg, "Selamat pagi, bagaimana cara daftar paspor", "help"),
      Info(BG, P08, bg, "", "help"),
      Recorded(BG, P08, bg, "\U0001F44D").Kind("reaction"),
      Info(BG, P08, bg, "", "help").Media("audio"),
      Info(BG, P08, bg, "#SYARAT", "requirements"),
      Info(BG, P08, bg, "#Bayar", "payment"),
      Rejected("surabaya", P08, bg, "#Eko#01011980#18082017", "unknown_office"),
      Repeated(BG, P08, bg, "#Eko#01011980#18082017", "bg-eko"),
      // Messy forms, one new applicant each, for Tuesday 08-08-2017.
      Issued(BG, P30, bg, "#Fajar Nugroho#25/01/1987#08082017", "owner", "2017-08-08", 1),
      Issued(BG, P31, bg, "##Gita#25-01-1987#08-08-2017##", "owner", "2017-08-08", 2),
      Issued(BG, P32, bg, "\n#Hadi\n#25.01.1987\n#08.08.2017\n", "owner", "2017-08-08", 3),
      Issued(BG, P33, bg, "＃Ｉｎｄｒａ＃２５０１１９８７＃０８０８２０１７", "owner", "2017-08-08",
             4),
      Issued(BG, P34, bg, "#Joko   Widodo  #25 01 1987# 8-8-2017", "owner", "2017-08-08", 5),
      Issued(BG, P35, bg, "#Kartini#1987-01-25#2017-08-08", "owner", "2017-08-08", 6),
      Rejected(BG, P36, bg, "#Lina#31021987#08082017", "invalid_birth_date"),
      Rejected(BG, P36, bg, "#Lina#01011987#32082017", "invalid_arrival_date"),
      Rejected(BG, P36, bg, "#Lina#01011987#31072017", "arrival_date_in_past"),
      Rejected(BG, P36, bg, "#Lina#01011987#04092017", "arrival_beyond_horizon"),
      Issued(BG, P36, bg, "#Lina#01011987#31082017", "owner", "2017-08-31", 1),
      // A blacklisted phone may not register anyone, but is still answered information.
      BlacklistPhone(P09, bg),
      Rejected(BG, P09, bg, "#Maman#01011980#08082017", "phone_blacklisted"),
      Rejected(BG, P09, bg, "#Nina#01012016#08082017", "phone_blacklisted"),  // a toddler too
      Info(BG, P09, bg, "#syarat", "requirements"),

      // ---- Denpasar: WITA decides today, the sessions and the reply's times.
      Issued(DP, P40, dp, "#Made#01011990#13032018", "owner", "2018-03-13", 1)
          .Session("08:30")
          .ArriveBy("2018-03-13T08:00:00+08:00")
          .ReplyHas("08:00 WITA"),
      Rejected(DP, P41, dp, "#Ketut#01011990#17032018", "office_closed"),  // Nyepi, Saturday
      Rejected(DP, P41, dp, "#Ketut#01011990#27032018", "arrival_beyond_horizon"),
      Issued(DP, P41, dp, "#Ketut#01011990#26032018", "owner", "2018-03-26", 1),
      // 16:30 UTC is already 00:30 on 13 March in Bali: 12 March has passed there.
      Rejected(DP, P42, "2018-03-12T16:30:00Z", "#Wayan#01011990#12032018", "arrival_date_in_past"),

      // ---- Kecil: two bookings a day, then day_full with the next day that has room.
      Issued(KC, P50, kc, "#Ani#01011990#15032018", "owner", "2018-03-15", 1).Session("08:00"),
      Issued(KC, P51, kc, "#Bima#01011991#15032018", "owner", "2018-03-15", 2).Session("10:00"),
      Rejected(KC, P52, kc, "#Citra#01011992#15032018", "day_full")
          .Next("2018-03-16")
          .ReplyHas("16-03-2018"),
      Issued(KC, P52, kc, "#Citra#01011992#16032018", "owner", "2018-03-16", 1).Session("08:00"),
      // On the day itself, 08:00 can no longer be reached in time; 10:00 still can.
      Issued(KC, P53, "2018-03-16T09:00:00+07:00", "#Dodi#01011993#16032018", "owner", "2018-03-16",
             2)
          .Session("10:00"),
      Rejected(KC, P54, "2018-03-16T09:01:00+07:00", "#Eka#01011994#16032018", "day_full")
          .Next("2018-03-19"),  // Saturday and Sunday are closed
      // Today with both places left, but 10:00's arrive-by (09:30) has passed: not full, too late.
      Rejected(KC, P55, "2018-03-19T09:31:00+07:00", "#Fajar#01011995#19032018",
               "arrival_date_in_past")
          .Next("2018-03-20")
          .ReplyHas("20-03-2018"),
  };
}

std::string Messy(const std::string& code) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i == 4) out += "-";
    if (i == 7) out += " ";
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(code[i]))));
  }
  return out;
}

// Replaces {code:LABEL} and {messy:LABEL}.
std::string Fill(std::string text, const std::map<std::string, std::string>& codes) {
  for (const std::string tag : {"{code:", "{messy:"}) {
    for (auto pos = text.find(tag); pos != std::string::npos; pos = text.find(tag)) {
      const auto end = text.find('}', pos);
      const std::string label = text.substr(pos + tag.size(), end - pos - tag.size());
      auto it = codes.find(label);
      EXPECT_NE(it, codes.end()) << "no code issued at row " << label;
      const std::string code = it == codes.end() ? "" : it->second;
      text.replace(pos, end - pos + 1, tag == "{code:" ? code : Messy(code));
    }
  }
  return text;
}

bool HasType(const CommandResult& r, std::string_view type) {
  for (const auto& e : r.events) {
    if (e.type == type) return true;
  }
  return false;
}

TEST(RegistrationTable, EveryMessageGetsItsOutcomeAndIsRecordedBeforeAnythingIsDecided) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path() + "/ledger");
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kCodeKey});

  const std::vector<Row> table = Table();
  std::map<std::string, std::string> codes;  // label -> booking code
  std::set<std::string> configured;          // offices whose configuration was recorded
  std::size_t messages = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const Row& row = table[i];
    SCOPED_TRACE("row " + std::to_string(i + 1) + ": " + row.office + " " + row.from + " " +
                 row.at + " " + json::serialize(json::value(row.text)));
    if (row.want == Want::kBlacklistPhone) {
      Blacklist(*ledger, row.from, row.at);
      continue;
    }
    ++messages;
    InboundMessage m = Msg("wamid.table." + std::to_string(i + 1), row.office, row.from,
                           Fill(row.text, codes), row.at);
    m.kind = row.kind;
    m.media = row.media;
    const CommandResult r = Try(service, m);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_FALSE(r.duplicate);
    ASSERT_FALSE(r.events.empty());

    // The message is recorded first; only the office's configuration may precede it, once.
    std::size_t first = 0;
    const bool known_office = service.offices().FindById(row.office) != nullptr;
    if (known_office && configured.insert(row.office).second) {
      EXPECT_EQ(r.events[0].type, kConfigApplied) << "the office's first message";
      first = 1;
    }
    ASSERT_GT(r.events.size(), first);
    EXPECT_EQ(r.events[first].type, kReceived);
    for (std::size_t k = first + 1; k < r.events.size(); ++k) {
      EXPECT_NE(r.events[k].type, kConfigApplied);
      EXPECT_NE(r.events[k].type, kReceived);
    }
    // Every event decodes; the recorded message is the message sent.
    for (const auto& e : r.events) {
      auto stored = ledger->Get(e.seq);
      ASSERT_TRUE(stored.ok()) << stored.status().ToString();
      EXPECT_EQ(stored->type, e.type);
      auto decoded = events::DecodeEvent(stored->type, stored->payload);
      EXPECT_TRUE(decoded.ok()) << "seq " << e.seq << " " << e.type
                                << " does not decode: " << decoded.status().ToString()
                                << "\npayload: " << stored->payload;
      if (!decoded.ok()) continue;
      if (const auto* rec = std::get_if<events::MessageReceived>(&*decoded)) {
        EXPECT_EQ(rec->message_id, m.message_id);
        EXPECT_EQ(rec->from, m.from);
        EXPECT_EQ(rec->text, m.text);
        EXPECT_EQ(rec->media, m.media);
      }
      if (const auto* issued = std::get_if<events::BookingCodeIssued>(&*decoded)) {
        EXPECT_EQ(issued->relation, row.what);
      }
    }

    // A reply is queued for everything but a reaction and a message to an unknown number.
    const bool reply_owed = row.want != Want::kRecorded && row.what != "unknown_office";
    EXPECT_EQ(HasType(r, kReplyQueued), reply_owed);
    EXPECT_EQ(!r.outcome.reply.empty(), reply_owed);
    // The decision's events end with its reply; the detection's flags (docs/FORENSICS.md), if
    // the message revealed a pattern, follow in the same append.
    std::size_t decided = r.events.size();
    while (decided > 0 && (r.events[decided - 1].type == "phone_flagged.v2" ||
                           r.events[decided - 1].type == "phone_blacklisted.v1")) {
      --decided;
    }
    if (reply_owed) {
      ASSERT_GT(decided, 0u);
      EXPECT_EQ(r.events[decided - 1].type, kReplyQueued);
    }
    if (!row.reply_has.empty()) {
      EXPECT_NE(r.outcome.reply.find(row.reply_has), std::string::npos) << r.outcome.reply;
    }

    const Outcome& o = r.outcome;
    switch (row.want) {
      case Want::kIssued:
        EXPECT_EQ(o.kind, Outcome::Kind::kIssued) << o.reason << " " << o.detail;
        EXPECT_TRUE(HasType(r, kIssuedType));
        EXPECT_EQ(CheckBookingCode(o.booking_code), CodeCheck::kValid) << o.booking_code;
        EXPECT_EQ(o.date, row.date);
        EXPECT_EQ(o.queue_number, row.queue);
        if (!row.session.empty()) {
          EXPECT_EQ(o.session, row.session);
        }
        if (!row.arrive_by.empty()) {
          EXPECT_EQ(o.arrive_by, row.arrive_by);
        }
        EXPECT_NE(o.reply.find(o.booking_code), std::string::npos) << o.reply;
        EXPECT_EQ(codes.count(o.booking_code), 0u) << "a code issued twice";
        codes[row.label.empty() ? "#" + std::to_string(i + 1) : row.label] = o.booking_code;
        break;
      case Want::kRepeated:
        EXPECT_EQ(o.kind, Outcome::Kind::kRepeated) << o.reason << " " << o.detail;
        EXPECT_FALSE(HasType(r, kIssuedType));
        EXPECT_FALSE(HasType(r, kRejectedType));
        EXPECT_EQ(o.booking_code, codes[row.what]);
        EXPECT_NE(o.reply.find(codes[row.what]), std::string::npos) << o.reply;
        break;
      case Want::kRejected:
        EXPECT_EQ(o.kind, Outcome::Kind::kRejected);
        EXPECT_EQ(o.reason, row.what) << o.detail;
        EXPECT_TRUE(HasType(r, kRejectedType));
        EXPECT_FALSE(HasType(r, kIssuedType));
        EXPECT_TRUE(o.booking_code.empty());
        if (!row.next.empty()) {
          EXPECT_EQ(o.next_available_date, row.next);
        }
        break;
      case Want::kInformation:
        EXPECT_EQ(o.kind, Outcome::Kind::kInformation) << o.reason;
        EXPECT_EQ(o.information, row.what);
        EXPECT_FALSE(HasType(r, kIssuedType));
        EXPECT_FALSE(HasType(r, kRejectedType));
        break;
      case Want::kRecorded:
        EXPECT_EQ(o.kind, Outcome::Kind::kRecorded);
        EXPECT_EQ(r.events.size(), first + 1) << "a reaction is only recorded";
        break;
      case Want::kBlacklistPhone:
        break;
    }
  }
  EXPECT_GE(messages, 80u);
  service.Drain();
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->detail;
}

}  // namespace
}  // namespace antrean::app
