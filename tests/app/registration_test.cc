// The registration service's promises beyond single messages (src/app/service.h,
// src/app/registration.h, src/app/booking_code.h, projections/decision_state.h): every rejection
// reason is reachable, decisions are deterministic, message ids are idempotent, queue numbers are
// per office and day and never reused, booking codes catch typing errors, each office's
// configuration is recorded once, and the live decision rows equal a replay of the ledger.
// On a real RocksDB ledger in a temp directory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
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
#include <utility>
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
using support::BigEndian8;
using support::KecilOffice;
using support::Letters;
using support::LoadOffices;
using support::Msg;
using support::NumberedPhone;
using support::Ok;
using support::OpenLedger;
using support::SampleOfficesJson;
using support::ScratchRows;
using support::SubmitAll;
using support::TempDir;
using support::kTuesdayMorning;

constexpr char kKey[] = "registration-test-booking-code-key-A";
constexpr char kOtherKey[] = "registration-test-booking-code-key-B";
constexpr char kReceived[] = "message_received.v1";
constexpr char kConfigApplied[] = "office_configuration_applied.v1";

// The sample office file plus "kecil" (two sessions of one booking: a day fills at once).
// `horizon` changes Bogor's booking horizon, to make a different configuration.
domain::OfficeDirectory Offices(int bogor_horizon = 30) {
  json::value file = SampleOfficesJson();
  json::array& offices = file.as_object()["offices"].as_array();
  for (auto& o : offices) {
    if (o.as_object()["id"] == "bogor") o.as_object()["booking_horizon_days"] = bogor_horizon;
  }
  offices.push_back(KecilOffice());
  return LoadOffices(file, "offices+kecil");
}

const std::string kMorning = kTuesdayMorning;  // 2017-08-01 08:00 WIB, a Tuesday

// An officer's action at `at`: an event no command makes yet, appended with its rows.
void AppendFolded(store::Ledger& ledger, const events::Event& event, const std::string& at) {
  support::AppendFolded(ledger, event, {"officer-action", "petugas-01"}, At(at).micros_since_epoch);
}

void Blacklist(store::Ledger& ledger, const std::string& phone, const std::string& at) {
  events::PhoneBlacklisted e;
  e.phone = phone;
  e.reason = "iseng";
  e.evidence = {1};
  AppendFolded(ledger, e, at);
}

// The index of the message_received event: 0, or 1 after the office's configuration.
std::size_t ReceivedIndex(const CommandResult& r) {
  return !r.events.empty() && r.events[0].type == kConfigApplied ? 1 : 0;
}

std::string Phone(int n) { return NumberedPhone("62813", n); }

std::string Plus(const std::string& at, int seconds) {
  return domain::FormatRfc3339(
      domain::Instant{At(at).micros_since_epoch + seconds * domain::kMicrosPerSecond}, 420);
}

// 264 commands mixing every outcome: issued, repeated, rejected for many reasons (day_full
// included), information, recorded, unknown office, Batam with and without a photo, toddlers.
std::vector<InboundMessage> MixedStream() {
  const char* dates[] = {"07082017", "08082017", "09082017", "10082017", "11082017"};
  const char* info[] = {"#syarat", "#bayar", "halo kak", "1234567890123456", "#cek ABCDEFGHJK"};
  const char* bad[] = {"#Nama1#25011987#07082017", "#Nama#31021987#07082017", "#Nama#25011987",
                       "#Nama#25011987#32082017"};
  const char* dated[] = {"#Tolak {}#25011987#19082017", "#Tolak {}#25011987#31072017",
                         "#Tolak {}#25011987#04092017", "#Tolak {}#01012020#07082017"};
  std::vector<InboundMessage> out;
  for (int i = 0; i < 264; ++i) {
    const int round = i / 12, slot = i % 12;
    const std::string at = Plus(kMorning, i);
    const std::string id = "wamid.mixed." + std::to_string(i);
    auto person = [](int n) { return "Orang " + Letters(n); };
    auto registration = [&](int n) {
      return "#" + person(n) + "#25011987#" + dates[n % 5];
    };
    switch (slot) {
      case 0: case 1: case 2: case 3: {
        const int n = round * 4 + slot;
        out.push_back(Msg(id, "bogor", Phone(n), registration(n), at));
        break;
      }
      case 4:  // the same phone sends the same registration again
        out.push_back(Msg(id, "bogor", Phone(round * 4), registration(round * 4), at));
        break;
      case 5:  // someone else's phone registers that person
        out.push_back(Msg(id, "bogor", Phone(1000 + round), registration(round * 4 + 1), at));
        break;
      case 6:
        out.push_back(Msg(id, "bogor", Phone(round * 4 + 2), info[round % 5], at));
        break;
      case 7:
        out.push_back(Msg(id, "jakarta-pusat", Phone(3000 + round), bad[round % 4], at));
        break;
      case 8: {
        std::string text = dated[round % 4];
        text.replace(text.find("{}"), 2, Letters(round));
        out.push_back(Msg(id, "bogor", Phone(2000 + round), text, at));
        break;
      }
      case 9:
        out.push_back(Msg(id, "batam", Phone(5000 + round),
                          "BATAM " + Letters(round) + "#25011987#JL. ENGKU PUTRI " +
                              std::to_string(round),
                          at, round % 2 == 0));
        break;
      case 10:
        if (round % 3 == 0) {
          InboundMessage m = Msg(id, "bogor", Phone(round * 4 + 3), "\U0001F44D", at);
          m.kind = "reaction";
          out.push_back(m);
        } else if (round % 3 == 1) {
          out.push_back(Msg(id, "surabaya", Phone(round * 4 + 3), registration(round * 4 + 3), at));
        } else {
          out.push_back(Msg(id, "kecil", Phone(6000 + round),
                            "#Kecil " + Letters(round) + "#25011987#08082017", at));
        }
        break;
      case 11:
        out.push_back(Msg(id, "bogor", Phone(round * 4),
                          round % 2 == 0 ? "#Anak " + Letters(round) + "#01012015#07082017"
                                         : "#Lain " + Letters(round) + "#01011980#07082017",
                          at));
        break;
    }
  }
  return out;
}

// ---- (a) Every rejection reason is reachable -------------------------------------------------

TEST(Registration, EveryRejectionReasonOfTheCatalogueIsReachedAndItsMessageRecorded) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const std::string p1 = Phone(1), p2 = Phone(2), p3 = Phone(3), p4 = Phone(4);
  std::vector<CommandResult> results;
  int n = 0;
  auto send = [&](const std::string& office, const std::string& from, const std::string& text,
                  const std::string& at = kMorning, bool image = false) {
    results.push_back(
        Ok(service, Msg("wamid.reasons." + std::to_string(++n), office, from, text, at, image)));
  };
  send("bogor", p1, "#Budi#25011987#07082017");
  send("bogor", p4, "#Budi#25011987");                 // unreadable_message
  send("bogor", p4, "#Bud1#25011987#07082017");        // invalid_name
  send("bogor", p4, "#Budi#30021987#07082017");        // invalid_birth_date
  send("bogor", p4, "#Ani#01012018#07082017");         // birth_date_in_future
  send("bogor", p4, "#Ani#01011990#30022017");         // invalid_arrival_date
  send("bogor", p4, "#Ani#01011990#31072017");         // arrival_date_in_past
  send("bogor", p4, "#Ani#01011990#04092017");         // arrival_beyond_horizon
  send("bogor", p4, "#Ani#01011990#05082017");         // office_closed (a Saturday)
  send("batam", p4, "ANI#01011990#JL. A", "2017-08-01T11:00:00+07:00", true);  // window
  send("batam", p4, "ANI#01011990#JL. A", "2017-08-01T08:00:00+07:00", false);  // no photo
  send("bogor", p1, "#Dewi#05051990#07082017");        // phone_registered_to_other_adult
  send("bogor", p2, "#Budi#25011987#07082017");        // person_has_active_booking
  Blacklist(*ledger, p3, kMorning);
  send("bogor", p3, "#Cici#01011990#07082017");        // phone_blacklisted
  send("kecil", Phone(10), "#Satu#01011990#08082017");
  send("kecil", Phone(11), "#Dua#01011990#08082017");
  send("kecil", Phone(12), "#Tiga#01011990#08082017");  // day_full
  send("surabaya", p4, "#Ani#01011990#07082017");      // unknown_office

  std::set<std::string> reached;
  for (const CommandResult& r : results) {
    if (r.outcome.kind != Outcome::Kind::kRejected) continue;
    reached.insert(r.outcome.reason);
    SCOPED_TRACE(r.outcome.reason);
    ASSERT_GT(r.events.size(), ReceivedIndex(r) + 1);
    EXPECT_EQ(r.events[ReceivedIndex(r)].type, kReceived);
    EXPECT_EQ(r.events[ReceivedIndex(r) + 1].type, "registration_rejected.v2");
    auto stored = ledger->Get(r.events[ReceivedIndex(r) + 1].seq);
    ASSERT_TRUE(stored.ok());
    auto decoded = events::DecodeEvent(stored->type, stored->payload);
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << stored->payload;
    if (!decoded.ok()) continue;
    EXPECT_EQ(std::get<events::RegistrationRejected>(*decoded).reason, r.outcome.reason);
  }
  for (const auto& reason : events::kRegistrationRejectionReasons) {
    EXPECT_EQ(reached.count(std::string(reason.code)), 1u) << "never reached: " << reason.code;
  }
  EXPECT_EQ(reached.size(), events::kRegistrationRejectionReasons.size());
}

// ---- (b) Determinism -------------------------------------------------------------------------

TEST(Registration, TheMixedStreamProducesEveryKindOfOutcome) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const auto stream = MixedStream();
  ASSERT_GE(stream.size(), 200u);
  const auto results = SubmitAll(service, stream);
  std::set<Outcome::Kind> kinds;
  std::set<std::string> reasons;
  for (const auto& r : results) {
    kinds.insert(r.outcome.kind);
    if (!r.outcome.reason.empty()) reasons.insert(r.outcome.reason);
  }
  EXPECT_EQ(kinds.size(), 5u);
  for (const char* reason : {"unreadable_message", "invalid_name", "invalid_birth_date",
                             "invalid_arrival_date", "birth_date_in_future",
                             "arrival_date_in_past", "arrival_beyond_horizon", "office_closed",
                             "missing_ektp_photo", "phone_registered_to_other_adult",
                             "person_has_active_booking", "day_full", "unknown_office"}) {
    EXPECT_EQ(reasons.count(reason), 1u) << reason;
  }
}

TEST(Registration, TheSameCommandsIntoTwoFreshLedgersGiveTheSameHeadHash) {
  TempDir a, b;
  auto la = OpenLedger(a.path()), lb = OpenLedger(b.path());
  ASSERT_NE(la, nullptr);
  ASSERT_NE(lb, nullptr);
  const auto stream = MixedStream();
  std::vector<CommandResult> ra, rb;
  {
    Service sa(*la, Offices(), {kKey});
    ra = SubmitAll(sa, stream);
  }
  {
    Service sb(*lb, Offices(), {kKey});
    rb = SubmitAll(sb, stream);
  }
  EXPECT_GT(la->GetHead().seq, stream.size());
  EXPECT_EQ(la->GetHead(), lb->GetHead());
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].outcome.booking_code, rb[i].outcome.booking_code) << i;
    EXPECT_EQ(ra[i].outcome.reply, rb[i].outcome.reply) << i;
  }
}

TEST(Registration, AnotherBookingCodeKeyGivesOtherCodes) {
  TempDir a, c;
  auto la = OpenLedger(a.path()), lc = OpenLedger(c.path());
  ASSERT_NE(la, nullptr);
  ASSERT_NE(lc, nullptr);
  const auto stream = MixedStream();
  std::vector<CommandResult> ra, rc;
  {
    Service sa(*la, Offices(), {kKey});
    ra = SubmitAll(sa, stream);
  }
  {
    Service sc(*lc, Offices(), {kOtherKey});
    rc = SubmitAll(sc, stream);
  }
  std::size_t issued = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].outcome.kind, rc[i].outcome.kind) << i;
    EXPECT_EQ(ra[i].outcome.queue_number, rc[i].outcome.queue_number) << i;
    if (ra[i].outcome.kind != Outcome::Kind::kIssued) continue;
    ++issued;
    EXPECT_NE(ra[i].outcome.booking_code, rc[i].outcome.booking_code) << i;
  }
  EXPECT_GT(issued, 50u);
  EXPECT_EQ(la->GetHead().seq, lc->GetHead().seq);
  EXPECT_NE(la->GetHead().hash, lc->GetHead().hash);
}

// ---- (c) Idempotency by message id ---------------------------------------------------------------

TEST(Registration, TheSameMessageIdTwiceAppendsNothingAndReturnsTheOriginalBooking) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const InboundMessage m = Msg("wamid.dup.1", "bogor", Phone(1), "#Budi#25011987#07082017");
  const CommandResult first = Ok(service, m);
  const store::Head head = ledger->GetHead();
  const CommandResult again = Ok(service, m);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(ledger->GetHead(), head);
  ASSERT_EQ(again.events.size(), first.events.size());
  for (std::size_t i = 0; i < first.events.size(); ++i) {
    EXPECT_EQ(again.events[i].seq, first.events[i].seq);
    EXPECT_EQ(again.events[i].type, first.events[i].type);
  }
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kIssued);
  EXPECT_EQ(again.outcome.booking_code, first.outcome.booking_code);
  EXPECT_EQ(again.outcome.queue_number, first.outcome.queue_number);
  EXPECT_EQ(again.outcome.arrive_by, first.outcome.arrive_by);
  EXPECT_EQ(again.outcome.reply, first.outcome.reply);
}

TEST(Registration, ADuplicateWithOtherTextStillReturnsTheOriginalResult) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const CommandResult first =
      Ok(service, Msg("wamid.dup.2", "bogor", Phone(1), "#Budi#25011987#07082017"));
  const CommandResult again = Ok(service, Msg("wamid.dup.2", "bogor", Phone(1), "#syarat"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kIssued);
  EXPECT_EQ(again.outcome.booking_code, first.outcome.booking_code);
}

TEST(Registration, ADuplicateOfARejectionReturnsTheSameRejection) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  for (const std::string text : {"#Budi#25O11987#07082017", "#Budi#25011987#05082017"}) {
    SCOPED_TRACE(text);
    const InboundMessage m = Msg("wamid.dup." + text, "bogor", Phone(1), text);
    const CommandResult first = Ok(service, m);
    const CommandResult again = Ok(service, m);
    ASSERT_EQ(first.outcome.kind, Outcome::Kind::kRejected);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.outcome.kind, Outcome::Kind::kRejected);
    EXPECT_EQ(again.outcome.reason, first.outcome.reason);
    EXPECT_EQ(again.outcome.detail, first.outcome.detail);
    EXPECT_EQ(again.outcome.next_available_date, first.outcome.next_available_date);
    EXPECT_EQ(again.outcome.reply, first.outcome.reply);
  }
}

TEST(Registration, ADuplicateOfARepeatedRegistrationReturnsTheSameCodeAgain) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const CommandResult issued =
      Ok(service, Msg("wamid.rep.1", "bogor", Phone(1), "#Budi#25011987#07082017"));
  const InboundMessage m = Msg("wamid.rep.2", "bogor", Phone(1), "#Budi#25011987#07082017");
  const CommandResult first = Ok(service, m);
  ASSERT_EQ(first.outcome.kind, Outcome::Kind::kRepeated);
  const CommandResult again = Ok(service, m);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kRepeated);
  EXPECT_EQ(again.outcome.booking_code, issued.outcome.booking_code);
  EXPECT_EQ(again.outcome.queue_number, issued.outcome.queue_number);
  EXPECT_EQ(again.outcome.reply, first.outcome.reply);
}

TEST(Registration, ADuplicateOfAnInformationRequestReturnsTheSameAnswer) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const InboundMessage m = Msg("wamid.info.1", "bogor", Phone(1), "#bayar");
  const CommandResult first = Ok(service, m);
  ASSERT_EQ(first.outcome.information, "payment");
  const CommandResult again = Ok(service, m);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kInformation);
  EXPECT_EQ(again.outcome.information, "payment");
  EXPECT_EQ(again.outcome.reply, first.outcome.reply);
}

TEST(Registration, ADuplicateSubmittedWhileTheFirstIsInFlightGetsTheFirstResult) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const InboundMessage m = Msg("wamid.dup.3", "bogor", Phone(1), "#Budi#25011987#07082017");
  std::mutex mu;
  std::vector<CommandResult> results;
  for (int i = 0; i < 2; ++i) {
    service.Submit(Command(m), [&](CommandResult r) {
      std::lock_guard lk(mu);
      results.push_back(std::move(r));
    });
  }
  service.Drain();
  ASSERT_EQ(results.size(), 2u);
  const CommandResult& first = results[0].duplicate ? results[1] : results[0];
  const CommandResult& dup = results[0].duplicate ? results[0] : results[1];
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_TRUE(dup.status.ok());
  EXPECT_EQ(dup.outcome.booking_code, first.outcome.booking_code);
  ASSERT_EQ(dup.events.size(), first.events.size());
  for (std::size_t i = 0; i < first.events.size(); ++i) {
    EXPECT_EQ(dup.events[i].seq, first.events[i].seq);
  }
  EXPECT_EQ(ledger->GetHead().seq, first.events.size()) << "appended once";
}

TEST(Registration, ADuplicateAfterARestartReturnsTheOriginalResult) {
  TempDir dir;
  const InboundMessage m = Msg("wamid.dup.4", "bogor", Phone(1), "#Budi#25011987#07082017");
  CommandResult first;
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Service service(*ledger, Offices(), {kKey});
    first = Ok(service, m);
  }
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const CommandResult again = Ok(service, m);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.outcome.booking_code, first.outcome.booking_code);
  EXPECT_EQ(ledger->GetHead().seq, first.events.back().seq);
}

// ---- (d) Queue numbers ---------------------------------------------------------------------------

TEST(Registration, QueueNumbersCountFromOnePerOfficeAndDay) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  int n = 0;
  auto issue = [&](const std::string& office, const std::string& arrival) {
    ++n;
    const CommandResult r =
        Ok(service, Msg("wamid.q." + std::to_string(n), office, Phone(n),
                         "#Orang " + Letters(n) + "#25011987#" + arrival));
    EXPECT_EQ(r.outcome.kind, Outcome::Kind::kIssued) << r.outcome.reason;
    return r.outcome.queue_number;
  };
  EXPECT_EQ(issue("bogor", "07082017"), 1u);
  EXPECT_EQ(issue("bogor", "07082017"), 2u);
  EXPECT_EQ(issue("bogor", "08082017"), 1u);  // another day
  EXPECT_EQ(issue("jakarta-pusat", "07082017"), 1u);  // another office
  EXPECT_EQ(issue("bogor", "07082017"), 3u);
  EXPECT_EQ(issue("jakarta-pusat", "07082017"), 2u);
  EXPECT_EQ(issue("bogor", "08082017"), 2u);
}

TEST(Registration, AForfeitedNumberIsNeverReusedEvenWhenItsApplicantRegistersAgain) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  auto offices = Offices();
  std::vector<CommandResult> issued;
  {
    Service service(*ledger, offices, {kKey});
    for (int i = 1; i <= 3; ++i) {
      issued.push_back(Ok(service, Msg("wamid.f." + std::to_string(i), "bogor", Phone(i),
                                        "#Orang " + Letters(i) + "#25011987#07082017")));
      EXPECT_EQ(issued.back().outcome.queue_number, static_cast<std::uint32_t>(i));
    }
  }
  // Number 2 comes at 09:00, after its arrive-by time of 07:30: the code is void (rule 4).
  events::BookingForfeited forfeit;
  forfeit.code = issued[1].outcome.booking_code;
  forfeit.office = "bogor";
  forfeit.date = "2017-08-07";
  forfeit.reason = "late";
  forfeit.arrived_at = "2017-08-07T09:00:00+07:00";
  forfeit.arrive_by = issued[1].outcome.arrive_by;
  forfeit.phone = Phone(2);
  AppendFolded(*ledger, forfeit, forfeit.arrived_at);

  Service service(*ledger, offices, {kKey});  // after a restart, too
  const CommandResult again = Ok(service, Msg("wamid.f.again", "bogor", Phone(2),
                                               "#Orang " + Letters(2) + "#25011987#07082017",
                                               "2017-08-07T09:05:00+07:00"));
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kIssued) << again.outcome.reason;
  EXPECT_EQ(again.outcome.queue_number, 4u);
  EXPECT_EQ(again.outcome.session, "10:00") << "08:00 can no longer be reached";
  EXPECT_NE(again.outcome.booking_code, forfeit.code);
  const CommandResult next = Ok(service, Msg("wamid.f.next", "bogor", Phone(9),
                                              "#Orang Baru#25011987#07082017",
                                              "2017-08-07T09:06:00+07:00"));
  EXPECT_EQ(next.outcome.queue_number, 5u);
}

// ---- (e) Booking codes ---------------------------------------------------------------------------

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::vector<std::string> SomeCodes() {
  std::vector<std::string> codes;
  for (std::uint32_t q = 1; q <= 40; ++q) {
    codes.push_back(DeriveBookingCode(kKey, q % 2 ? "bogor" : "batam", "2017-08-07", q, 0));
  }
  return codes;
}

TEST(Registration, BookingCodesAreAtMostTenCharactersAndCarryAValidCheckCharacter) {
  for (const auto& code : SomeCodes()) {
    EXPECT_LE(code.size(), 10u) << code;
    EXPECT_EQ(CheckBookingCode(code), CodeCheck::kValid) << code;
  }
}

TEST(Registration, BookingCodesAreDerivedNotDrawn) {
  EXPECT_EQ(DeriveBookingCode(kKey, "bogor", "2017-08-07", 1, 0),
            DeriveBookingCode(kKey, "bogor", "2017-08-07", 1, 0));
  EXPECT_NE(DeriveBookingCode(kKey, "bogor", "2017-08-07", 1, 0),
            DeriveBookingCode(kKey, "bogor", "2017-08-07", 1, 1));
  EXPECT_NE(DeriveBookingCode(kKey, "bogor", "2017-08-07", 1, 0),
            DeriveBookingCode(kOtherKey, "bogor", "2017-08-07", 1, 0));
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const CommandResult r =
      Ok(service, Msg("wamid.code", "bogor", Phone(1), "#Budi#25011987#07082017"));
  EXPECT_EQ(r.outcome.booking_code, DeriveBookingCode(kKey, "bogor", "2017-08-07", 1, 0));
}

TEST(Registration, EverySingleCharacterChangeInABookingCodeIsABadCheckCharacter) {
  for (const auto& code : SomeCodes()) {
    for (std::size_t pos = 0; pos < code.size(); ++pos) {
      for (char c : kAlphabet) {
        if (c == code[pos]) continue;
        std::string typo = code;
        typo[pos] = c;
        EXPECT_EQ(CheckBookingCode(typo), CodeCheck::kBadCheckCharacter) << code << " -> " << typo;
      }
    }
  }
}

// Luhn mod 32 has one blind spot: it cannot tell "0Z" from "Z0" (values 0 and 31).
TEST(Registration, EveryAdjacentSwapInABookingCodeIsABadCheckCharacterExceptZeroAndZ) {
  std::size_t swaps = 0;
  for (const auto& code : SomeCodes()) {
    for (std::size_t pos = 0; pos + 1 < code.size(); ++pos) {
      const char a = code[pos], b = code[pos + 1];
      if (a == b || (a == '0' && b == 'Z') || (a == 'Z' && b == '0')) continue;
      std::string swapped = code;
      std::swap(swapped[pos], swapped[pos + 1]);
      EXPECT_EQ(CheckBookingCode(swapped), CodeCheck::kBadCheckCharacter)
          << code << " -> " << swapped;
      ++swaps;
    }
  }
  EXPECT_GT(swaps, 300u);
  EXPECT_EQ(CheckBookingCode("1234567Z01"), CheckBookingCode("12345670Z1")) << "the blind spot";
}

TEST(Registration, NormalizeBookingCodeReadsCodesAsPeopleTypeThem) {
  for (const auto& code : SomeCodes()) {
    std::string typed;
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (i == 3) typed += " - ";
      if (i == 6) typed += "  ";
      typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(code[i]))));
    }
    EXPECT_EQ(NormalizeBookingCode(typed), code) << typed;
  }
  EXPECT_EQ(NormalizeBookingCode("o0 O-i I l L1"), "00011111");
  EXPECT_EQ(NormalizeBookingCode("7kq2-m9xp a4"), "7KQ2M9XPA4");
}

TEST(Registration, MalformedBookingCodesAreNotMistakenForTypingErrors) {
  const std::string code = SomeCodes()[0];
  EXPECT_EQ(CheckBookingCode(code.substr(0, 9)), CodeCheck::kMalformed);
  EXPECT_EQ(CheckBookingCode(code + "0"), CodeCheck::kMalformed);
  EXPECT_EQ(CheckBookingCode(""), CodeCheck::kMalformed);
  std::string with_u = code;
  with_u[2] = 'U';  // not in Crockford base32
  EXPECT_EQ(CheckBookingCode(with_u), CodeCheck::kMalformed);
  std::string lower = code;
  lower[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[0])));
  if (lower != code) {
    EXPECT_EQ(CheckBookingCode(lower), CodeCheck::kMalformed);
  }
}

// ---- (f) The office configuration ---------------------------------------------------------------

TEST(Registration, TheFirstMessageForAnOfficeRecordsItsConfigurationOnce) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  const CommandResult first = Ok(service, Msg("wamid.c1", "bogor", Phone(1), "#syarat"));
  ASSERT_GE(first.events.size(), 2u);
  EXPECT_EQ(first.events[0].type, kConfigApplied);
  EXPECT_EQ(first.events[1].type, kReceived);
  auto stored = ledger->Get(first.events[0].seq);
  ASSERT_TRUE(stored.ok());
  auto decoded = events::DecodeEvent(stored->type, stored->payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(std::get<events::OfficeConfigurationApplied>(*decoded).office, "bogor");
  for (int i = 2; i <= 4; ++i) {
    const CommandResult later =
        Ok(service, Msg("wamid.c" + std::to_string(i), "bogor", Phone(i),
                         "#Orang " + Letters(i) + "#25011987#07082017"));
    ASSERT_FALSE(later.events.empty());
    EXPECT_EQ(later.events[0].type, kReceived);
    for (const auto& e : later.events) EXPECT_NE(e.type, kConfigApplied);
  }
}

TEST(Registration, EachOfficeRecordsItsOwnConfiguration) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(), {kKey});
  EXPECT_EQ(Ok(service, Msg("wamid.o1", "bogor", Phone(1), "#syarat")).events[0].type,
            kConfigApplied);
  EXPECT_EQ(Ok(service, Msg("wamid.o2", "jakarta-pusat", Phone(1), "#syarat")).events[0].type,
            kConfigApplied);
  EXPECT_EQ(Ok(service, Msg("wamid.o3", "bogor", Phone(1), "#bayar")).events[0].type, kReceived);
  // A number no office owns has no configuration to record.
  EXPECT_EQ(Ok(service, Msg("wamid.o4", "surabaya", Phone(1), "#bayar")).events[0].type,
            kReceived);
}

TEST(Registration, TheConfigurationIsNotRecordedAgainAfterARestartButIsWhenItChanged) {
  TempDir dir;
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Service service(*ledger, Offices(), {kKey});
    Ok(service, Msg("wamid.r1", "bogor", Phone(1), "#syarat"));
  }
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Service service(*ledger, Offices(), {kKey});
    EXPECT_EQ(Ok(service, Msg("wamid.r2", "bogor", Phone(1), "#syarat")).events[0].type,
              kReceived);
  }
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  Service service(*ledger, Offices(/*bogor_horizon=*/14), {kKey});
  const CommandResult changed = Ok(service, Msg("wamid.r3", "bogor", Phone(1), "#syarat"));
  EXPECT_EQ(changed.events[0].type, kConfigApplied);
  EXPECT_EQ(Ok(service, Msg("wamid.r4", "bogor", Phone(1), "#syarat")).events[0].type,
            kReceived);
}

// ---- (g) The decision state is a projection of the ledger --------------------------------------

TEST(Registration, TheLiveDecisionRowsEqualAReplayOfTheLedger) {
  TempDir dir;
  auto ledger = OpenLedger(dir.path());
  ASSERT_NE(ledger, nullptr);
  std::vector<CommandResult> results;
  {
    Service service(*ledger, Offices(), {kKey});
    results = SubmitAll(service, MixedStream());
  }
  Blacklist(*ledger, Phone(1000), kMorning);
  for (const auto& r : results) {
    if (r.outcome.kind != Outcome::Kind::kIssued || r.outcome.date != "2017-08-07") continue;
    events::BookingForfeited forfeit;
    forfeit.code = r.outcome.booking_code;
    forfeit.office = "bogor";
    forfeit.date = r.outcome.date;
    forfeit.reason = "late";
    forfeit.arrived_at = "2017-08-07T09:00:00+07:00";
    forfeit.arrive_by = r.outcome.arrive_by;
    forfeit.phone = Phone(0);  // not checked by the fold
    AppendFolded(*ledger, forfeit, forfeit.arrived_at);
    break;
  }
  {
    Service service(*ledger, Offices(), {kKey});
    SubmitAll(service, {Msg("wamid.g.1", "bogor", Phone(1000), "#Baru#01011990#09082017"),
                        Msg("wamid.g.2", "bogor", Phone(1001), "#Baru#01011990#09082017")});
  }

  ScratchRows replay;
  std::size_t undecodable = 0;
  const store::Head head = ledger->GetHead();
  Status scanned = ledger->Scan(1, head.seq, [&](const store::EventView& v) {
    auto decoded = events::DecodeEvent(v.type, v.payload);
    if (!decoded.ok()) {
      ++undecodable;
      ADD_FAILURE() << "seq " << v.seq << " does not decode: " << decoded.status().ToString();
      return true;
    }
    Status folded = projections::FoldAll(*decoded, v.seq, {v.cause_actor, v.recorded_at_us}, replay);
    EXPECT_TRUE(folded.ok()) << "seq " << v.seq << ": " << folded.ToString();
    return true;
  });
  ASSERT_TRUE(scanned.ok()) << scanned.ToString();
  EXPECT_EQ(undecodable, 0u);
  ASSERT_GT(replay.rows().size(), 100u);
  std::set<char> kinds;
  for (const auto& [key, value] : replay.rows()) {
    auto live = ledger->GetState(key);
    ASSERT_TRUE(live.ok()) << key;
    EXPECT_EQ(*live, value) << key;  // both absent when the fold erased the row
    if (value) kinds.insert(key[0]);
  }
  EXPECT_EQ(kinds, (std::set<char>{'b', 'c', 'd', 'f', 'o', 'p'}))
      << "bk/ cf/ dy/ fx/ ob/ pe/ and ph/ rows";
  auto checkpoint = ledger->GetState(projections::kCheckpointKey);
  ASSERT_TRUE(checkpoint.ok());
  ASSERT_TRUE(checkpoint->has_value());
  EXPECT_EQ(**checkpoint, BigEndian8(head.seq));
}

}  // namespace
}  // namespace antrean::app
