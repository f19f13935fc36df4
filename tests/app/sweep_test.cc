// The no-show sweep (clock.tick, src/app/service.cc SubmitTick, app::DecideExpiries) and the queue
// board (dy/ rows, projections/decision_state.h), through the real Service on a real RocksDB
// ledger: a tick expires exactly the issued bookings whose arrive_by is strictly before it, a second
// tick finds nothing and appends nothing, a sweep of more than 512 bookings is made of several
// appends, and the board counts every transition of a mixed day per session.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>

#include <algorithm>
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

#include "app/service.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "events/event.h"
#include "events/event_types.h"
#include "projections/decision_state.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::app {
namespace {

namespace json = boost::json;
using support::At;
using support::Letters;
using support::LoadOffices;
using support::Msg;
using support::NumberedPhone;
using support::Ok;
using support::SampleOfficesJson;
using support::kTuesdayMorning;

constexpr char kKey[] = "sweep-test-booking-code-key-0123456789";
constexpr char kOfficer[] = "petugas-uji-01";

// The sample office file plus "uji" (three sessions of two: 08:00, 10:00, 13:00) and "besar"
// (one session of 1500: a sweep of more than 512 in one tick).
domain::OfficeDirectory Offices() {
  json::value file = SampleOfficesJson();
  json::array& offices = file.as_object()["offices"].as_array();
  offices.push_back(json::parse(R"json({
      "id": "uji",
      "name": "Kantor Imigrasi Uji",
      "whatsapp_numbers": [{"display": "0811 0000 0101"}],
      "sessions": [{"start": "08:00", "capacity": 2}, {"start": "10:00", "capacity": 2},
                   {"start": "13:00", "capacity": 2}],
      "daily_quota": 6
  })json"));
  offices.push_back(json::parse(R"json({
      "id": "besar",
      "name": "Kantor Imigrasi Besar (uji)",
      "whatsapp_numbers": [{"display": "0811 0000 0102"}],
      "sessions": [{"start": "08:00", "capacity": 1500}],
      "daily_quota": 1500
  })json"));
  return LoadOffices(file, "offices+uji+besar");
}

domain::Instant Micros(const domain::Instant& at, std::int64_t micros) {
  return domain::Instant{at.micros_since_epoch + micros};
}

const std::string kBooked = kTuesdayMorning;
const std::string kDay = "2017-08-07";  // a Monday
const std::string kDayText = "07082017";

std::string Phone(int n) { return NumberedPhone("62857", n); }

InboundMessage Registration(int n, const std::string& office, const std::string& day_text,
                            const std::string& at = kBooked) {
  return Msg("wamid.sweep." + office + "." + std::to_string(n) + "." + day_text + "." + at, office,
             Phone(n), "#Orang " + Letters(n) + "#25011987#" + day_text, at);
}

// Submits every registration back to back (appends overlap), then drains; each must be issued.
std::vector<CommandResult> SubmitAll(Service& service, const std::vector<InboundMessage>& ms) {
  std::vector<CommandResult> results = support::SubmitAll(service, ms);
  for (std::size_t i = 0; i < ms.size(); ++i) {
    EXPECT_EQ(results[i].outcome.kind, Outcome::Kind::kIssued)
        << ms[i].message_id << ": " << results[i].outcome.reason;
  }
  return results;
}

CounterContext Ctx(const std::string& office, const std::string& at) {
  return CounterContext{At(at), office, kOfficer, "", {}};
}

std::string StatusOf(store::Ledger& ledger, const std::string& code) {
  auto bytes = ledger.GetState(projections::BookingRowKey(code));
  EXPECT_TRUE(bytes.ok());
  if (!bytes.ok() || !bytes->has_value()) return "(none)";
  projections::BookingRow row;
  EXPECT_TRUE(projections::Decode(**bytes, &row).ok());
  return row.status;
}

projections::DayRow Board(store::Ledger& ledger, const std::string& office,
                          const std::string& date) {
  auto bytes = ledger.GetState(projections::DayRowKey(office, date));
  EXPECT_TRUE(bytes.ok());
  projections::DayRow row;
  if (!bytes.ok() || !bytes->has_value()) {
    ADD_FAILURE() << "no board row for " << office << " " << date;
    return row;
  }
  Status s = projections::Decode(**bytes, &row);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return row;
}

// The codes of the deadline rows (dl/), sorted.
std::vector<std::string> Deadlines(store::Ledger& ledger) {
  std::vector<std::string> codes;
  Status s = ledger.ScanState(projections::kDeadlinePrefix, "dl0",
                              [&codes](std::string_view, std::string_view code) {
                                codes.emplace_back(code);
                                return true;
                              });
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::sort(codes.begin(), codes.end());
  return codes;
}

std::vector<std::string> Sorted(std::vector<std::string> codes) {
  std::sort(codes.begin(), codes.end());
  return codes;
}

projections::SessionCounts Counts(std::uint32_t issued, std::uint32_t arrived,
                                  std::uint32_t forfeited, std::uint32_t expired,
                                  std::uint32_t completed, std::uint32_t returned) {
  return projections::SessionCounts{issued, arrived, forfeited, expired, completed, returned};
}

std::string Show(const projections::SessionCounts& c) {
  return "issued " + std::to_string(c.issued) + " arrived " + std::to_string(c.arrived) +
         " forfeited " + std::to_string(c.forfeited) + " expired " + std::to_string(c.expired) +
         " completed " + std::to_string(c.completed) + " returned " + std::to_string(c.returned);
}

class Sweep : public support::ServiceFixture {
 protected:
  Sweep() : ServiceFixture(Offices, kKey) {}
};

TEST_F(Sweep, ATickExpiresExactlyTheIssuedBookingsWhoseArriveByIsStrictlyBeforeIt) {
  std::vector<InboundMessage> ms;
  for (int n = 1; n <= 6; ++n) ms.push_back(Registration(n, "uji", kDayText));
  const auto booked = SubmitAll(*service_, ms);
  // 1, 2: 08:00 (arrive by 07:30); 3, 4: 10:00 (09:30); 5, 6: 13:00 (12:30).
  const char* sessions[] = {"08:00", "08:00", "10:00", "10:00", "13:00", "13:00"};
  std::vector<std::string> code;
  for (std::size_t i = 0; i < booked.size(); ++i) {
    EXPECT_EQ(booked[i].outcome.session, sessions[i]) << i;
    code.push_back(booked[i].outcome.booking_code);
  }
  ASSERT_EQ(Deadlines(*ledger_).size(), 6u);
  // 1 arrives in time; 3 arrives before its own deadline, too.
  ASSERT_EQ(Ok(*service_, ArrivalCommand{Ctx("uji", "2017-08-07T07:20:00+07:00"), code[0]})
                .outcome.kind,
            Outcome::Kind::kArrived);
  ASSERT_EQ(Ok(*service_, ArrivalCommand{Ctx("uji", "2017-08-07T09:00:00+07:00"), code[2]})
                .outcome.kind,
            Outcome::Kind::kArrived);
  EXPECT_EQ(Deadlines(*ledger_), Sorted({code[1], code[3], code[4], code[5]}))
      << "an arrival removes the booking's deadline row";

  // At exactly 09:30: 2 (07:30) is past; 4 (09:30) is not yet past.
  const domain::Instant at = At("2017-08-07T09:30:00+07:00");
  const std::uint64_t head = ledger_->GetHead().seq;
  const CommandResult tick = Ok(*service_, ClockTickCommand{at});
  EXPECT_EQ(tick.outcome.kind, Outcome::Kind::kExpired);
  EXPECT_EQ(tick.outcome.expired, 1u);
  ASSERT_EQ(tick.events.size(), 1u);
  EXPECT_EQ(tick.events[0].type, "booking_expired.v1");
  EXPECT_EQ(ledger_->GetHead().seq, head + 1);
  auto stored = ledger_->Get(tick.events[0].seq);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->cause.actor, "clock");
  auto decoded = events::DecodeEvent(stored->type, stored->payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& expired = std::get<events::BookingExpired>(*decoded);
  EXPECT_EQ(expired.code, code[1]);
  EXPECT_EQ(expired.office, "uji");
  EXPECT_EQ(expired.date, kDay);
  EXPECT_EQ(expired.arrive_by, "2017-08-07T07:30:00+07:00");
  EXPECT_EQ(expired.expired_at, "2017-08-07T09:30:00+07:00");
  EXPECT_EQ(expired.phone, Phone(2));
  const std::vector<std::string> want = {"arrived", "expired", "arrived", "issued", "issued",
                                         "issued"};
  for (std::size_t i = 0; i < code.size(); ++i) EXPECT_EQ(StatusOf(*ledger_, code[i]), want[i]) << i;
  EXPECT_EQ(Deadlines(*ledger_), Sorted({code[3], code[4], code[5]}));

  // The same tick again: nothing left to expire, nothing appended.
  const store::Head before = ledger_->GetHead();
  const CommandResult again = Ok(*service_, ClockTickCommand{at});
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kExpired);
  EXPECT_EQ(again.outcome.expired, 0u);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(ledger_->GetHead(), before);

  // One microsecond later, 4's deadline is past.
  const CommandResult later = Ok(*service_, ClockTickCommand{Micros(at, 1)});
  EXPECT_EQ(later.outcome.expired, 1u);
  EXPECT_EQ(StatusOf(*ledger_, code[3]), "expired");
  EXPECT_EQ(StatusOf(*ledger_, code[4]), "issued");
  // A tick earlier than the last one finds nothing either.
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T08:00:00+07:00")}).outcome.expired, 0u);
  // The end of the day expires the 13:00 no-shows.
  const CommandResult night = Ok(*service_, ClockTickCommand{At("2017-08-07T23:00:00+07:00")});
  EXPECT_EQ(night.outcome.expired, 2u);
  EXPECT_TRUE(Deadlines(*ledger_).empty());
  EXPECT_EQ(StatusOf(*ledger_, code[0]), "arrived") << "an arrived booking is never expired";
  EXPECT_EQ(StatusOf(*ledger_, code[2]), "arrived");
  const store::Head end = ledger_->GetHead();
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-08T23:00:00+07:00")}).outcome.expired, 0u);
  EXPECT_EQ(ledger_->GetHead(), end);
}

TEST_F(Sweep, ATickInAnotherTimeZoneComparesInstantsNotLocalTimes) {
  // Denpasar (WITA, UTC+8): 08:30 session, arrive by 08:00 WITA = 07:00 WIB.
  InboundMessage m = Registration(1, "denpasar", kDayText, "2017-08-01T08:00:00+08:00");
  const auto booked = SubmitAll(*service_, {m});
  ASSERT_EQ(booked[0].outcome.arrive_by, "2017-08-07T08:00:00+08:00");
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T07:00:00+07:00")}).outcome.expired, 0u);
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T07:00:01+07:00")}).outcome.expired, 1u);
  auto stored = ledger_->Get(ledger_->GetHead().seq);
  ASSERT_TRUE(stored.ok());
  auto decoded = events::DecodeEvent(stored->type, stored->payload);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<events::BookingExpired>(*decoded).expired_at, "2017-08-07T08:00:01+08:00")
      << "in the office's own offset";
}

TEST_F(Sweep, AnOfficeTakenOutOfTheOfficeFileStillHasItsBookingsExpiredInItsOwnTime) {
  InboundMessage m = Registration(2, "denpasar", kDayText, "2017-08-01T08:00:00+08:00");
  ASSERT_EQ(SubmitAll(*service_, {m})[0].outcome.kind, Outcome::Kind::kIssued);
  // A reloaded office file without Denpasar: its waiting booking still expires, told in WITA.
  json::value file = SampleOfficesJson();
  json::array& offices = file.as_object()["offices"].as_array();
  offices.erase(
      std::remove_if(offices.begin(), offices.end(),
                     [](const json::value& o) { return o.at("id").as_string() == "denpasar"; }),
      offices.end());
  service_->SetOffices(LoadOffices(file, "offices-without-denpasar.json"));
  ASSERT_EQ(service_->offices().FindById("denpasar"), nullptr);
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T12:00:00+07:00")}).outcome.expired, 1u);
  auto stored = ledger_->Get(ledger_->GetHead().seq);
  ASSERT_TRUE(stored.ok());
  auto decoded = events::DecodeEvent(stored->type, stored->payload);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<events::BookingExpired>(*decoded).expired_at, "2017-08-07T13:00:00+08:00");
}

TEST_F(Sweep, ASweepOfMoreThan512BookingsExpiresThemAllInSeveralAppends) {
  constexpr int kBookings = 1100;  // more than one append could hold (store::kAppendEventsMax)
  static_assert(kBookings > static_cast<int>(store::kAppendEventsMax));
  std::vector<InboundMessage> ms;
  for (int n = 1; n <= kBookings; ++n) {
    ms.push_back(Registration(n, "besar", kDayText, "2017-08-01T08:00:00+07:00"));
  }
  const auto booked = SubmitAll(*service_, ms);
  // And a few on other days, not yet due.
  const auto later = SubmitAll(*service_, {Registration(5001, "besar", "08082017"),
                                           Registration(5002, "uji", "08082017")});
  ASSERT_EQ(Deadlines(*ledger_).size(), static_cast<std::size_t>(kBookings + 2));

  const std::uint64_t appends = ledger_->GetStats().appends;
  const std::uint64_t head = ledger_->GetHead().seq;
  const CommandResult tick = Ok(*service_, ClockTickCommand{At("2017-08-07T23:00:00+07:00")});
  EXPECT_EQ(tick.outcome.expired, static_cast<std::uint32_t>(kBookings));
  ASSERT_EQ(tick.events.size(), static_cast<std::size_t>(kBookings));
  EXPECT_EQ(ledger_->GetHead().seq, head + kBookings);
  EXPECT_EQ(ledger_->GetStats().appends - appends, 3u) << "512 + 512 + 76";
  std::set<std::uint64_t> seqs;
  for (const auto& e : tick.events) {
    EXPECT_EQ(e.type, "booking_expired.v1");
    seqs.insert(e.seq);
  }
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kBookings));
  EXPECT_EQ(*seqs.begin(), head + 1);
  EXPECT_EQ(*seqs.rbegin(), head + kBookings);
  for (const auto& r : booked) {
    ASSERT_EQ(StatusOf(*ledger_, r.outcome.booking_code), "expired") << r.outcome.booking_code;
  }
  EXPECT_EQ(StatusOf(*ledger_, later[0].outcome.booking_code), "issued");
  EXPECT_EQ(StatusOf(*ledger_, later[1].outcome.booking_code), "issued");
  EXPECT_EQ(Deadlines(*ledger_).size(), 2u);
  const projections::DayRow board = Board(*ledger_, "besar", kDay);
  EXPECT_EQ(board.issued, static_cast<std::uint32_t>(kBookings));
  EXPECT_EQ(board.sessions.at("08:00"), Counts(kBookings, 0, 0, kBookings, 0, 0))
      << Show(board.sessions.at("08:00"));
  // The checkpoint follows the last chunk.
  auto checkpoint = ledger_->GetState(projections::kCheckpointKey);
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  std::uint64_t cp = 0;
  for (unsigned char ch : **checkpoint) cp = (cp << 8) | ch;
  EXPECT_EQ(cp, head + kBookings);

  // Everyone may register again (here for the next day, whose first number is taken).
  const CommandResult again = Ok(*service_, Registration(1, "besar", "08082017",
                                                         "2017-08-07T23:05:00+07:00"));
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kIssued) << again.outcome.reason;
  EXPECT_EQ(again.outcome.queue_number, 2u) << "08-08's second booking";
  // A second tick finds nothing.
  const store::Head before = ledger_->GetHead();
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T23:00:00+07:00")}).outcome.expired, 0u);
  EXPECT_EQ(ledger_->GetHead(), before);
}

TEST_F(Sweep, TheBoardCountsEachSessionsTransitionsAfterAMixedDay) {
  // Bogor: 50 seats at 08:00, then 10:00. 53 bookings: 1..50 at 08:00, 51..53 at 10:00.
  std::vector<InboundMessage> ms;
  for (int n = 1; n <= 53; ++n) ms.push_back(Registration(n, "bogor", kDayText));
  const auto booked = SubmitAll(*service_, ms);
  auto code = [&](int n) { return booked[static_cast<std::size_t>(n - 1)].outcome.booking_code; };
  ASSERT_EQ(booked[49].outcome.session, "08:00");
  ASSERT_EQ(booked[50].outcome.session, "10:00");
  auto arrive = [&](int n, const std::string& at) {
    return Ok(*service_, ArrivalCommand{Ctx("bogor", at), code(n)}).outcome.kind;
  };
  auto documents = [&](int n, bool returned) {
    Ok(*service_, DocumentsCommand{Ctx("bogor", "2017-08-07T11:00:00+07:00"), code(n), returned,
                                   returned ? "akta kelahiran tidak ada" : ""});
  };
  // 08:00: 1..20 arrive (1..8 complete, 9..12 are returned), 21..25 come late, 26..50 never come.
  for (int n = 1; n <= 20; ++n) ASSERT_EQ(arrive(n, "2017-08-07T07:00:00+07:00"), Outcome::Kind::kArrived);
  for (int n = 21; n <= 25; ++n) ASSERT_EQ(arrive(n, "2017-08-07T07:45:00+07:00"), Outcome::Kind::kForfeited);
  for (int n = 1; n <= 8; ++n) documents(n, false);
  for (int n = 9; n <= 12; ++n) documents(n, true);
  // 10:00: 51 arrives and completes, 52 is late, 53 never comes.
  ASSERT_EQ(arrive(51, "2017-08-07T09:30:00+07:00"), Outcome::Kind::kArrived);
  documents(51, false);
  ASSERT_EQ(arrive(52, "2017-08-07T09:30:01+07:00"), Outcome::Kind::kForfeited);
  // Rejected attempts change no counter.
  ASSERT_EQ(arrive(1, "2017-08-07T07:01:00+07:00"), Outcome::Kind::kArrivalRejected);
  ASSERT_EQ(arrive(21, "2017-08-07T07:46:00+07:00"), Outcome::Kind::kArrivalRejected);
  // 21 registers again at 07:50: the 10:00 session, number 54; and arrives in time.
  const CommandResult again =
      Ok(*service_, Registration(21, "bogor", kDayText, "2017-08-07T07:50:00+07:00"));
  ASSERT_EQ(again.outcome.kind, Outcome::Kind::kIssued) << again.outcome.reason;
  EXPECT_EQ(again.outcome.queue_number, 54u);
  EXPECT_EQ(again.outcome.session, "10:00");
  ASSERT_EQ(Ok(*service_, ArrivalCommand{Ctx("bogor", "2017-08-07T09:00:00+07:00"),
                                         again.outcome.booking_code})
                .outcome.kind,
            Outcome::Kind::kArrived);

  // Midday: the 08:00 and 10:00 no-shows expire.
  EXPECT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T12:00:00+07:00")}).outcome.expired, 26u);
  projections::DayRow board = Board(*ledger_, "bogor", kDay);
  EXPECT_EQ(board.issued, 54u);
  ASSERT_EQ(board.sessions.size(), 2u);
  EXPECT_EQ(board.sessions["08:00"], Counts(50, 20, 5, 25, 8, 4)) << Show(board.sessions["08:00"]);
  EXPECT_EQ(board.sessions["10:00"], Counts(4, 2, 1, 1, 1, 0)) << Show(board.sessions["10:00"]);
  // The counts add up: issued = arrived + forfeited + expired + still waiting.
  for (const auto& [session, c] : board.sessions) {
    EXPECT_EQ(c.issued, c.arrived + c.forfeited + c.expired) << session;
    EXPECT_LE(c.completed + c.returned, c.arrived) << session;
  }
  // Another office's and another day's boards are untouched.
  auto other = ledger_->GetState(projections::DayRowKey("bogor", "2017-08-08"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  auto jakarta = ledger_->GetState(projections::DayRowKey("jakarta-pusat", kDay));
  ASSERT_TRUE(jakarta.ok());
  EXPECT_FALSE(jakarta->has_value());
  // Status rows agree with the board.
  std::map<std::string, int> statuses;
  for (int n = 1; n <= 53; ++n) ++statuses[StatusOf(*ledger_, code(n))];
  ++statuses[StatusOf(*ledger_, again.outcome.booking_code)];
  EXPECT_EQ(statuses, (std::map<std::string, int>{{"arrived", 9},  // 13..20, 54
                                                   {"completed", 9},
                                                   {"returned", 4},
                                                   {"forfeited", 6},
                                                   {"expired", 26}}))
      << "arrived " << statuses["arrived"];
}

}  // namespace
}  // namespace antrean::app
