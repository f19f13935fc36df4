// The counter's promises (src/app/counter.h, docs/COMMANDS.md "Counter commands", DOMAIN.md rules
// 3-5), through the real Service on a real RocksDB ledger, with bookings made by real WhatsApp
// registrations: the 30-minute rule at its edges, every arrival rejection reason, every attempt
// recorded with the officer as its cause actor, codes as people type them, identity checks,
// documents only after arrival, request-id idempotency, registering again after a booking is used
// up (with a new, higher queue number), and application progress answered over WhatsApp.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app/booking_code.h"
#include "app/result_json.h"
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
using support::Msg;
using support::NumberedPhone;
using support::Ok;
using support::SampleOffices;
using support::Try;
using support::kTuesdayMorning;

constexpr char kKey[] = "counter-test-booking-code-key-0123456";
constexpr char kOfficer[] = "petugas-bogor-07";
constexpr char kArrived[] = "applicant_arrived.v1";
constexpr char kForfeited[] = "booking_forfeited.v1";
constexpr char kRejected[] = "arrival_rejected.v1";
constexpr char kReply[] = "reply_queued.v1";

// Offices: the sample office file; Bogor has sessions 08:00/10:00/13:00 and arrives 30 minutes
// early.
const std::string kBooked = kTuesdayMorning;  // registrations are sent then
const std::string kDay = "2017-08-07";        // a Monday: the service day booked
const std::string kDayText = "07082017";

std::string Phone(int n) { return NumberedPhone("62812", n); }

std::string Person(int n) { return "#Orang " + Letters(n) + "#25011987#"; }

CounterContext Ctx(const std::string& at, const std::string& request_id = "",
                   const std::string& office = "bogor") {
  return CounterContext{At(at), office, kOfficer, request_id, {}};
}

ArrivalCommand Arrival(const std::string& code, const std::string& at,
                       const std::string& request_id = "", const std::string& office = "bogor") {
  return ArrivalCommand{Ctx(at, request_id, office), code};
}

DocumentsCommand Documents(const std::string& code, const std::string& at, bool returned = false,
                           const std::string& request_id = "") {
  return DocumentsCommand{Ctx(at, request_id), code, returned,
                          returned ? "Kartu Keluarga bukan asli" : ""};
}

// The ledger's event at `seq`, decoded.
events::Event EventAt(store::Ledger& ledger, std::uint64_t seq, store::RecordedEvent* raw = nullptr) {
  auto stored = ledger.Get(seq);
  EXPECT_TRUE(stored.ok()) << "seq " << seq << ": " << stored.status().ToString();
  if (!stored.ok()) return events::Event{};
  if (raw != nullptr) *raw = *stored;
  auto decoded = events::DecodeEvent(stored->type, stored->payload);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << stored->payload;
  return decoded.ok() ? std::move(decoded).value() : events::Event{};
}

std::optional<projections::BookingRow> Booking(store::Ledger& ledger, const std::string& code) {
  auto bytes = ledger.GetState(projections::BookingRowKey(code));
  EXPECT_TRUE(bytes.ok());
  if (!bytes.ok() || !bytes->has_value()) return std::nullopt;
  projections::BookingRow row;
  EXPECT_TRUE(projections::Decode(**bytes, &row).ok());
  return row;
}

std::string Status_(store::Ledger& ledger, const std::string& code) {
  auto b = Booking(ledger, code);
  return b ? b->status : "(none)";
}

class Counter : public support::ServiceFixture {
 protected:
  Counter() : ServiceFixture(SampleOffices, kKey) {}

  // Person n registers from their own phone for `day_text` (DDMMYYYY) at `at`.
  CommandResult Register(int n, const std::string& at = kBooked,
                         const std::string& day_text = kDayText) {
    CommandResult r = Ok(*service_, Msg("wamid.counter." + std::to_string(++messages_), "bogor",
                                        Phone(n), Person(n) + day_text, at));
    EXPECT_EQ(r.outcome.kind, Outcome::Kind::kIssued) << n << ": " << r.outcome.reason;
    return r;
  }
  std::string Code(int n) { return Register(n).outcome.booking_code; }

  std::uint64_t Head() const { return ledger_->GetHead().seq; }

  int messages_ = 0;
};

// ---- The 30-minute rule (rule 4) ----------------------------------------------------------------

TEST_F(Counter, ArrivingAtExactlyArriveByIsOnTime) {
  const CommandResult booked = Register(1);
  ASSERT_EQ(booked.outcome.session, "08:00");
  ASSERT_EQ(booked.outcome.arrive_by, "2017-08-07T07:30:00+07:00");
  const CommandResult r =
      Ok(*service_, Arrival(booked.outcome.booking_code, "2017-08-07T07:30:00+07:00"));
  EXPECT_EQ(r.outcome.kind, Outcome::Kind::kArrived);
  EXPECT_EQ(r.outcome.booking_code, booked.outcome.booking_code);
  EXPECT_EQ(r.outcome.queue_number, booked.outcome.queue_number);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, kArrived);
  auto e = std::get<events::ApplicantArrived>(EventAt(*ledger_, r.events[0].seq));
  EXPECT_EQ(e.code, booked.outcome.booking_code);
  EXPECT_EQ(e.arrived_at, "2017-08-07T07:30:00+07:00");
  EXPECT_EQ(Status_(*ledger_, booked.outcome.booking_code), "arrived");
}

TEST_F(Counter, ArrivingOneSecondAfterArriveByForfeitsTheCodeAndTellsTheBookingsPhone) {
  const CommandResult booked = Register(1);
  const std::string code = booked.outcome.booking_code;
  const CommandResult r = Ok(*service_, Arrival(code, "2017-08-07T07:30:01+07:00", "req-late-1"));
  EXPECT_EQ(r.outcome.kind, Outcome::Kind::kForfeited);
  EXPECT_EQ(r.outcome.reason, "late");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].type, kForfeited);
  EXPECT_EQ(r.events[1].type, kReply);
  auto f = std::get<events::BookingForfeited>(EventAt(*ledger_, r.events[0].seq));
  EXPECT_EQ(f.code, code);
  EXPECT_EQ(f.reason, "late");
  EXPECT_EQ(f.arrive_by, "2017-08-07T07:30:00+07:00");
  EXPECT_EQ(f.phone, Phone(1));
  auto reply = std::get<events::ReplyQueued>(EventAt(*ledger_, r.events[1].seq));
  EXPECT_EQ(reply.to, Phone(1)) << "the reply goes to the phone that booked";
  EXPECT_EQ(reply.office, "bogor");
  EXPECT_NE(reply.text.find(code), std::string::npos) << reply.text;
  EXPECT_NE(reply.text.find("hangus"), std::string::npos) << "the code is void: " << reply.text;
  EXPECT_NE(reply.text.find("07:30"), std::string::npos) << reply.text;
  EXPECT_EQ(r.outcome.reply, reply.text);
  EXPECT_EQ(Status_(*ledger_, code), "forfeited");
}

TEST_F(Counter, TheLaterSessionsHaveTheirOwnArriveBy) {
  // 50 fill 08:00; the 51st is at 10:00 (arrive by 09:30).
  std::vector<InboundMessage> ms;
  for (int n = 1; n <= 51; ++n) {
    ms.push_back(Msg("wamid.fill." + std::to_string(n), "bogor", Phone(n), Person(n) + kDayText));
  }
  CommandResult last;
  for (const auto& m : ms) last = Ok(*service_, m);
  ASSERT_EQ(last.outcome.session, "10:00");
  ASSERT_EQ(last.outcome.arrive_by, "2017-08-07T09:30:00+07:00");
  EXPECT_EQ(Ok(*service_, Arrival(last.outcome.booking_code, "2017-08-07T09:30:00+07:00"))
                .outcome.kind,
            Outcome::Kind::kArrived);
}

// ---- Every arrival rejection reason is reached, and every attempt recorded ----------------------

TEST_F(Counter, EveryArrivalRejectionReasonIsReachedAndEveryAttemptIsRecordedWithTheOfficer) {
  const std::string a = Code(1), b = Code(2), c = Code(3), d = Code(4), e = Code(5);
  // F books the next day, to be expired by a tick.
  const std::string f = Register(6, kBooked, "08082017").outcome.booking_code;

  std::vector<std::pair<std::string, CommandResult>> attempts;  // expected reason, result
  auto attempt = [&](const std::string& reason, const ArrivalCommand& command) {
    const std::uint64_t before = Head();
    CommandResult r = Ok(*service_, command);
    EXPECT_EQ(Head(), before + r.events.size());
    attempts.emplace_back(reason, std::move(r));
  };
  const std::string early = "2017-08-07T07:00:00+07:00";

  // Well formed, right check character, but no booking has it.
  const std::string nobody = DeriveBookingCode(kKey, "bogor", kDay, 999, 0);
  ASSERT_EQ(CheckBookingCode(nobody), CodeCheck::kValid);
  attempt("unknown_code", Arrival(nobody, early));
  attempt("unknown_code", Arrival("HELLO!?", early));  // garbage
  attempt("unknown_code", Arrival("", early));
  std::string typo = a;
  typo.back() = typo.back() == '0' ? '1' : '0';
  attempt("bad_check_character", Arrival(typo, early));
  attempt("other_office", Arrival(a, early, "", "jakarta-pusat"));
  attempt("other_day", Arrival(a, "2017-08-06T07:00:00+07:00"));  // a day early
  ASSERT_EQ(Ok(*service_, Arrival(a, early)).outcome.kind, Outcome::Kind::kArrived);
  attempt("already_arrived", Arrival(a, "2017-08-07T07:05:00+07:00"));
  ASSERT_EQ(Ok(*service_, Arrival(b, "2017-08-07T07:45:00+07:00")).outcome.kind,
            Outcome::Kind::kForfeited);
  attempt("booking_forfeited", Arrival(b, "2017-08-07T07:46:00+07:00"));
  ASSERT_EQ(Ok(*service_, Arrival(c, early)).outcome.kind, Outcome::Kind::kArrived);
  ASSERT_TRUE(Ok(*service_, Documents(c, "2017-08-07T08:10:00+07:00")).status.ok());
  attempt("booking_completed", Arrival(c, "2017-08-07T08:11:00+07:00"));
  ASSERT_EQ(Ok(*service_, Arrival(d, early)).outcome.kind, Outcome::Kind::kArrived);
  ASSERT_TRUE(Ok(*service_, Documents(d, "2017-08-07T08:20:00+07:00", true)).status.ok());
  attempt("booking_returned", Arrival(d, "2017-08-07T08:21:00+07:00"));
  const CommandResult tick = Ok(*service_, ClockTickCommand{At("2017-08-08T07:31:00+07:00")});
  EXPECT_EQ(tick.outcome.expired, 2u) << "E (07-08, never came) and F (08-08, 07:30)";
  EXPECT_EQ(Status_(*ledger_, e), "expired");
  attempt("booking_expired", Arrival(f, "2017-08-08T07:40:00+07:00"));

  std::set<std::string> reached;
  for (const auto& [reason, r] : attempts) {
    SCOPED_TRACE(reason);
    EXPECT_EQ(r.outcome.kind, Outcome::Kind::kArrivalRejected);
    EXPECT_EQ(r.outcome.reason, reason);
    // Every attempt is recorded; the first command at an office records its configuration first.
    ASSERT_EQ(r.events.size(), reason == "other_office" ? 2u : 1u);
    if (r.events.size() == 2) {
      EXPECT_EQ(r.events[0].type, "office_configuration_applied.v1");
    }
    EXPECT_EQ(r.events.back().type, kRejected);
    store::RecordedEvent raw;
    auto event = EventAt(*ledger_, r.events.back().seq, &raw);
    EXPECT_EQ(raw.cause.actor, kOfficer);
    const auto& rejected = std::get<events::ArrivalRejected>(event);
    EXPECT_EQ(rejected.reason, reason);
    reached.insert(rejected.reason);
    if (reason == "other_office") {
      EXPECT_EQ(rejected.office, "jakarta-pusat");
      EXPECT_EQ(rejected.booking_office, std::optional<std::string>("bogor"));
      EXPECT_EQ(rejected.booking_date, std::optional<std::string>(kDay));
    }
    if (reason == "unknown_code" || reason == "bad_check_character") {
      EXPECT_EQ(rejected.booking_office, std::nullopt);
    }
  }
  for (const auto& reason : events::kArrivalRejectionReasons) {
    EXPECT_EQ(reached.count(std::string(reason.code)), 1u) << "never reached: " << reason.code;
  }
  EXPECT_EQ(reached.size(), events::kArrivalRejectionReasons.size());
  // A rejected attempt changes no booking.
  EXPECT_EQ(Status_(*ledger_, a), "arrived");
  EXPECT_EQ(Status_(*ledger_, b), "forfeited");
  EXPECT_EQ(Status_(*ledger_, c), "completed");
  EXPECT_EQ(Status_(*ledger_, d), "returned");
  EXPECT_EQ(Status_(*ledger_, f), "expired");
}

TEST_F(Counter, ArrivedAndForfeitedEventsNameTheOfficerAsTheirCause) {
  const std::string a = Code(1), b = Code(2);
  const CommandResult on_time = Ok(*service_, Arrival(a, "2017-08-07T07:10:00+07:00"));
  const CommandResult late = Ok(*service_, Arrival(b, "2017-08-07T07:50:00+07:00", "req-b"));
  for (const auto* r : {&on_time, &late}) {
    for (const auto& e : r->events) {
      store::RecordedEvent raw;
      EventAt(*ledger_, e.seq, &raw);
      EXPECT_EQ(raw.cause.actor, kOfficer) << e.type;
    }
  }
  store::RecordedEvent raw;
  EventAt(*ledger_, late.events[0].seq, &raw);
  EXPECT_EQ(raw.cause.id, "req-b");
}

TEST_F(Counter, CodesTypedInLowerCaseWithSpacesAndDashesAreAccepted) {
  const std::string code = Code(1);
  std::string typed;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i == 3) typed += " - ";
    if (i == 6) typed += "  -";
    typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(code[i]))));
  }
  ASSERT_NE(typed, code);
  const CommandResult r = Ok(*service_, Arrival(" " + typed + " ", "2017-08-07T07:15:00+07:00"));
  EXPECT_EQ(r.outcome.kind, Outcome::Kind::kArrived) << r.outcome.reason;
  EXPECT_EQ(r.outcome.booking_code, code);
  const CommandResult id = Ok(*service_, IdentityCheckCommand{Ctx("2017-08-07T07:16:00+07:00"),
                                                              typed, true, true, std::nullopt});
  EXPECT_EQ(id.outcome.booking_code, code);
  const CommandResult docs = Ok(*service_, Documents(typed, "2017-08-07T08:05:00+07:00"));
  EXPECT_EQ(docs.outcome.booking_code, code);
  EXPECT_EQ(Status_(*ledger_, code), "completed");
}

// ---- Identity check (rule 3) -------------------------------------------------------------------

TEST_F(Counter, TheIdentityCheckRecordsWhetherPersonAndPhoneMatch) {
  const std::string code = Code(1);
  ASSERT_EQ(Ok(*service_, Arrival(code, "2017-08-07T07:15:00+07:00")).outcome.kind,
            Outcome::Kind::kArrived);
  struct Case {
    bool person, phone;
    std::optional<std::string> note;
  };
  bool flagged = false;
  for (const Case& c : {Case{true, true, std::nullopt}, Case{false, true, "orang lain (joki?)"},
                        Case{true, false, "HP milik kakaknya"}, Case{false, false, "calo"}}) {
    const CommandResult r = Ok(*service_, IdentityCheckCommand{Ctx("2017-08-07T07:20:00+07:00"),
                                                               code, c.person, c.phone, c.note});
    EXPECT_EQ(r.outcome.kind, Outcome::Kind::kRecorded);
    // The first failed check also raises the identity_mismatch flag (docs/FORENSICS.md), once.
    const bool flags_now = !flagged && !(c.person && c.phone);
    flagged = flagged || flags_now;
    ASSERT_EQ(r.events.size(), flags_now ? 2u : 1u);
    if (flags_now) {
      EXPECT_EQ(r.events[1].type, "phone_flagged.v2");
    }
    EXPECT_EQ(r.events[0].type, "identity_checked.v1");
    store::RecordedEvent raw;
    auto checked = std::get<events::IdentityChecked>(EventAt(*ledger_, r.events[0].seq, &raw));
    EXPECT_EQ(checked.code, code);
    EXPECT_EQ(checked.office, "bogor");
    EXPECT_EQ(checked.date, kDay);
    EXPECT_EQ(checked.person_matches, c.person);
    EXPECT_EQ(checked.phone_matches, c.phone);
    EXPECT_EQ(checked.note, c.note);
    EXPECT_EQ(raw.cause.actor, kOfficer);
  }
  EXPECT_EQ(Status_(*ledger_, code), "arrived") << "evidence only: the status does not change";
}

TEST_F(Counter, AnIdentityCheckOfAnUnknownCodeIsNotFoundAndAppendsNothing) {
  Code(1);
  const std::uint64_t head = Head();
  for (const std::string& code :
       {DeriveBookingCode(kKey, "bogor", kDay, 77, 0), std::string("garbage!"), std::string()}) {
    const CommandResult r = Try(*service_, IdentityCheckCommand{Ctx("2017-08-07T07:20:00+07:00"),
                                                                code, true, true, std::nullopt});
    EXPECT_EQ(r.status.code(), Status::Code::kNotFound) << code << ": " << r.status.ToString();
    EXPECT_TRUE(r.events.empty());
  }
  EXPECT_EQ(Head(), head);
}

// ---- Documents (rule 5, rule 6) -----------------------------------------------------------------

TEST_F(Counter, DocumentsAreTakenOnlyAfterArrivalAndOtherwiseRefusedNamingTheStatus) {
  const std::string issued = Code(1), late = Code(2), ok = Code(3);
  ASSERT_EQ(Ok(*service_, Arrival(late, "2017-08-07T08:00:00+07:00")).outcome.kind,
            Outcome::Kind::kForfeited);
  std::uint64_t head = Head();
  for (bool returned : {false, true}) {
    SCOPED_TRACE(returned ? "returned" : "submitted");
    CommandResult r = Try(*service_, Documents(issued, "2017-08-07T07:10:00+07:00", returned));
    EXPECT_EQ(r.status.code(), Status::Code::kInvalidArgument) << r.status.ToString();
    EXPECT_NE(r.status.message().find("is issued"), std::string::npos) << r.status.ToString();
    r = Try(*service_, Documents(late, "2017-08-07T08:01:00+07:00", returned));
    EXPECT_EQ(r.status.code(), Status::Code::kInvalidArgument) << r.status.ToString();
    EXPECT_NE(r.status.message().find("is forfeited"), std::string::npos) << r.status.ToString();
    r = Try(*service_, Documents(DeriveBookingCode(kKey, "bogor", kDay, 77, 0),
                                 "2017-08-07T08:01:00+07:00", returned));
    EXPECT_EQ(r.status.code(), Status::Code::kNotFound) << r.status.ToString();
  }
  EXPECT_EQ(Head(), head) << "a refusal appends nothing";
  EXPECT_EQ(Status_(*ledger_, issued), "issued");

  ASSERT_EQ(Ok(*service_, Arrival(ok, "2017-08-07T07:20:00+07:00")).outcome.kind,
            Outcome::Kind::kArrived);
  const CommandResult submitted = Ok(*service_, Documents(ok, "2017-08-07T08:10:00+07:00"));
  ASSERT_EQ(submitted.events.size(), 1u);
  EXPECT_EQ(submitted.events[0].type, "documents_submitted.v1");
  EXPECT_EQ(Status_(*ledger_, ok), "completed");
  head = Head();
  // Once completed, nothing more is taken.
  const CommandResult again = Try(*service_, Documents(ok, "2017-08-07T08:11:00+07:00", true));
  EXPECT_EQ(again.status.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(again.status.message().find("is completed: its documents were already handed in"),
            std::string::npos)
      << again.status.ToString();
  EXPECT_EQ(Head(), head);
}

TEST_F(Counter, ReturnedDocumentsRecordTheReason) {
  const std::string code = Code(1);
  ASSERT_EQ(Ok(*service_, Arrival(code, "2017-08-07T07:20:00+07:00")).outcome.kind,
            Outcome::Kind::kArrived);
  const CommandResult r = Ok(*service_, Documents(code, "2017-08-07T08:10:00+07:00", true));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, "documents_returned.v1");
  auto e = std::get<events::DocumentsReturned>(EventAt(*ledger_, r.events[0].seq));
  EXPECT_EQ(e.reason, "Kartu Keluarga bukan asli");
  EXPECT_EQ(Status_(*ledger_, code), "returned");
}

// ---- Request-id idempotency --------------------------------------------------------------------

TEST_F(Counter, TheSameRequestIdTwiceIsADuplicateAndAppendsNothing) {
  const std::string a = Code(1), b = Code(2);
  struct Case {
    std::string name;
    Command command;
    Outcome::Kind kind;
  };
  const std::vector<Case> cases = {
      {"arrival", Arrival(a, "2017-08-07T07:10:00+07:00", "req-1"), Outcome::Kind::kArrived},
      {"rejected arrival", Arrival("NOPE", "2017-08-07T07:11:00+07:00", "req-2"),
       Outcome::Kind::kArrivalRejected},
      {"late arrival", Arrival(b, "2017-08-07T07:40:00+07:00", "req-3"), Outcome::Kind::kForfeited},
      {"identity check",
       IdentityCheckCommand{Ctx("2017-08-07T07:12:00+07:00", "req-4"), a, true, false, "x"},
       Outcome::Kind::kRecorded},
      {"documents", Documents(a, "2017-08-07T08:12:00+07:00", false, "req-5"),
       Outcome::Kind::kRecorded},
      {"progress",
       ApplicationProgressCommand{Ctx("2017-08-07T09:00:00+07:00", "req-6"), "3201234567890123",
                                  "wawancara", std::nullopt},
       Outcome::Kind::kRecorded},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CommandResult first = Ok(*service_, c.command);
    EXPECT_FALSE(first.duplicate);
    EXPECT_EQ(first.outcome.kind, c.kind);
    ASSERT_FALSE(first.events.empty());
    const store::Head head = ledger_->GetHead();
    const CommandResult again = Ok(*service_, c.command);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(ledger_->GetHead(), head) << "nothing appended";
    EXPECT_EQ(again.outcome.kind, c.kind);
    ASSERT_EQ(again.events.size(), first.events.size());
    for (std::size_t i = 0; i < first.events.size(); ++i) {
      EXPECT_EQ(again.events[i].seq, first.events[i].seq);
      EXPECT_EQ(again.events[i].type, first.events[i].type);
    }
    if (c.kind == Outcome::Kind::kArrivalRejected) {
      EXPECT_EQ(again.outcome.reason, first.outcome.reason);
    }
    if (c.kind == Outcome::Kind::kForfeited) {
      EXPECT_EQ(again.outcome.reason, "late");
      EXPECT_EQ(again.outcome.reply, first.outcome.reply);
    }
  }
  // The same arrival under a new request id is a new attempt: recorded, and rejected.
  const CommandResult other = Ok(*service_, Arrival(b, "2017-08-07T07:41:00+07:00", "req-7"));
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.outcome.reason, "booking_forfeited");
}

// "duplicate: true ... the rest is the first result" (docs/COMMANDS.md, "Results"): also after a
// restart, when the answer is rebuilt from the events the first one appended.
TEST_F(Counter, ADuplicateAfterARestartAnswersTheWholeFirstResult) {
  const std::string a = Code(1), b = Code(2);
  const std::vector<Command> commands = {
      Arrival(a, "2017-08-07T07:10:00+07:00", "dup-1"),
      Arrival("NOPE", "2017-08-07T07:11:00+07:00", "dup-2"),
      Arrival(b, "2017-08-07T07:40:00+07:00", "dup-3"),
      IdentityCheckCommand{Ctx("2017-08-07T07:12:00+07:00", "dup-4"), a, true, false, "x"},
      Documents(a, "2017-08-07T08:12:00+07:00", false, "dup-5"),
      ApplicationProgressCommand{Ctx("2017-08-07T09:00:00+07:00", "dup-6"), "3201234567890123",
                                 "wawancara", std::nullopt},
      Msg("wamid.dup.7", "bogor", Phone(900), Person(900) + kDayText, kBooked),
      Msg("wamid.dup.8", "bogor", Phone(900), Person(900) + kDayText, kBooked),  // repeated
      Msg("wamid.dup.9", "bogor", Phone(901), "#Orang A#31022000#" + kDayText, kBooked),
      Msg("wamid.dup.10", "bogor", Phone(901), "#syarat", kBooked),
  };
  std::vector<json::object> firsts;
  for (const Command& c : commands) {
    firsts.push_back(ResultJson(0, CommandTypeName(c), Ok(*service_, c)));
  }
  ASSERT_NO_FATAL_FAILURE(Restart());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE(json::serialize(firsts[i]));
    json::object again = ResultJson(0, CommandTypeName(commands[i]), Ok(*service_, commands[i]));
    EXPECT_EQ(again["duplicate"], true);
    again.erase("duplicate");  // (moves the last member into its place: compare as objects)
    EXPECT_TRUE(again == firsts[i]) << json::serialize(again);
  }
}

TEST_F(Counter, ARequestIdIsADuplicateAfterARestartToo) {
  const std::string a = Code(1);
  const CommandResult first = Ok(*service_, Arrival(a, "2017-08-07T07:10:00+07:00", "req-r"));
  ASSERT_NO_FATAL_FAILURE(Restart());
  const store::Head head = ledger_->GetHead();
  const CommandResult again = Ok(*service_, Arrival(a, "2017-08-07T07:10:00+07:00", "req-r"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.outcome.kind, Outcome::Kind::kArrived);
  EXPECT_EQ(ledger_->GetHead(), head);
  ASSERT_EQ(again.events.size(), 1u);
  EXPECT_EQ(again.events[0].seq, first.events[0].seq);
}

// ---- Registering again after the booking is used up (rules 4 and 5) ----------------------------

TEST_F(Counter, AfterForfeitExpiryOrCompletionThePersonRegistersAgainWithANewHigherNumber) {
  const CommandResult f = Register(1), x = Register(2), c = Register(3);
  std::uint32_t highest = std::max({f.outcome.queue_number, x.outcome.queue_number,
                                    c.outcome.queue_number});
  // Still in use: the same registration gets the same code back (repeated), no new number.
  const CommandResult repeated =
      Ok(*service_, Msg("wamid.rep", "bogor", Phone(1), Person(1) + kDayText,
                        "2017-08-02T09:00:00+07:00"));
  EXPECT_EQ(repeated.outcome.kind, Outcome::Kind::kRepeated);
  EXPECT_EQ(repeated.outcome.booking_code, f.outcome.booking_code);

  // Forfeited (late), expired (never came), completed (documents handed in).
  ASSERT_EQ(Ok(*service_, Arrival(f.outcome.booking_code, "2017-08-07T07:31:00+07:00")).outcome.kind,
            Outcome::Kind::kForfeited);
  ASSERT_EQ(Ok(*service_, Arrival(c.outcome.booking_code, "2017-08-07T07:00:00+07:00")).outcome.kind,
            Outcome::Kind::kArrived);
  ASSERT_EQ(Ok(*service_, ClockTickCommand{At("2017-08-07T07:32:00+07:00")}).outcome.expired, 1u);
  EXPECT_EQ(Status_(*ledger_, x.outcome.booking_code), "expired");
  ASSERT_TRUE(Ok(*service_, Documents(c.outcome.booking_code, "2017-08-07T07:40:00+07:00"))
                  .status.ok());

  for (const auto& [n, old] : {std::pair{1, &f}, std::pair{2, &x}, std::pair{3, &c}}) {
    SCOPED_TRACE(n);
    const CommandResult again = Register(n, "2017-08-07T07:45:00+07:00");  // same day, 10:00
    EXPECT_EQ(again.outcome.kind, Outcome::Kind::kIssued);
    EXPECT_NE(again.outcome.booking_code, old->outcome.booking_code);
    EXPECT_EQ(again.outcome.date, kDay);
    EXPECT_EQ(again.outcome.session, "10:00");
    EXPECT_GT(again.outcome.queue_number, highest) << "queue numbers are never reused";
    highest = again.outcome.queue_number;
    // The old booking keeps its history; the new one is the person's active booking.
    EXPECT_NE(Status_(*ledger_, old->outcome.booking_code), "issued");
    EXPECT_EQ(Status_(*ledger_, again.outcome.booking_code), "issued");
  }
  EXPECT_EQ(highest, 6u);
  auto day = ledger_->GetState(projections::DayRowKey("bogor", kDay));
  ASSERT_TRUE(day.ok() && day->has_value());
  projections::DayRow row;
  ASSERT_TRUE(projections::Decode(**day, &row).ok());
  EXPECT_EQ(row.issued, 6u);
}

// ---- Application progress (SIGAP, rule 9) --------------------------------------------------------

TEST_F(Counter, ApplicationProgressIsWhatTheSixteenDigitWhatsAppQueryAnswers) {
  const std::string number = "3201234567890123";
  auto ask = [&](const std::string& id, const std::string& at) {
    const CommandResult r = Ok(*service_, Msg(id, "bogor", Phone(1), number, at));
    EXPECT_EQ(r.outcome.kind, Outcome::Kind::kInformation);
    EXPECT_EQ(r.outcome.information, "application_status");
    return r.outcome.reply;
  };
  const std::string before = ask("wamid.app.0", "2017-08-07T08:00:00+07:00");
  EXPECT_NE(before.find(number), std::string::npos) << before;
  EXPECT_NE(before.find("belum ada data"), std::string::npos) << before;

  const CommandResult r =
      Ok(*service_, ApplicationProgressCommand{Ctx("2017-08-07T09:00:00+07:00", "req-app-1"),
                                               number, "wawancara selesai", "loket 3"});
  EXPECT_EQ(r.outcome.kind, Outcome::Kind::kRecorded);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().type, "application_progress_recorded.v1");
  store::RecordedEvent raw;
  auto e = std::get<events::ApplicationProgressRecorded>(EventAt(*ledger_, r.events.back().seq, &raw));
  EXPECT_EQ(e.application_number, number);
  EXPECT_EQ(e.stage, "wawancara selesai");
  EXPECT_EQ(raw.cause.actor, kOfficer);
  const std::string during = ask("wamid.app.1", "2017-08-07T09:05:00+07:00");
  EXPECT_NE(during.find("Progres permohonan " + number + ": wawancara selesai"), std::string::npos)
      << during;

  Ok(*service_, ApplicationProgressCommand{Ctx("2017-08-09T10:00:00+07:00", "req-app-2"), number,
                                           "paspor siap diambil", std::nullopt});
  const std::string after = ask("wamid.app.2", "2017-08-09T10:05:00+07:00");
  EXPECT_NE(after.find("paspor siap diambil"), std::string::npos) << after;
  EXPECT_EQ(after.find("wawancara"), std::string::npos) << "the latest stage only: " << after;
}

TEST_F(Counter, AnApplicationNumberThatIsNotSixteenDigitsIsRefusedAndAppendsNothing) {
  Code(1);
  const std::uint64_t head = Head();
  for (const char* number : {"320123456789012", "32012345678901234", "320123456789012X"}) {
    const CommandResult r = Try(*service_, ApplicationProgressCommand{
                                               Ctx("2017-08-07T09:00:00+07:00"), number, "x", {}});
    EXPECT_EQ(r.status.code(), Status::Code::kInvalidArgument) << number;
  }
  const CommandResult empty = Try(*service_, ApplicationProgressCommand{
                                                 Ctx("2017-08-07T09:00:00+07:00"),
                                                 "3201234567890123", "", {}});
  EXPECT_EQ(empty.status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Head(), head);
}

TEST_F(Counter, ACounterCommandForAnUnknownOfficeIsRefused) {
  const std::string a = Code(1);
  const std::uint64_t head = Head();
  const CommandResult r = Try(*service_, Arrival(a, "2017-08-07T07:10:00+07:00", "", "surabaya"));
  EXPECT_EQ(r.status.code(), Status::Code::kInvalidArgument) << r.status.ToString();
  EXPECT_EQ(Head(), head);
}

// ---- Reply ids and refused requests -------------------------------------------------------------

// Without a request id the cause names the command's subject (its code), so two late arrivals in
// the same second (two counters, or two offices in one time zone) queue replies with distinct ids.
TEST_F(Counter, TwoLateArrivalsInTheSameSecondQueueRepliesWithDistinctIds) {
  const std::string a = Code(1), b = Code(2);
  const CommandResult ra = Ok(*service_, Arrival(a, "2017-08-07T07:45:00+07:00"));
  const CommandResult rb = Ok(*service_, Arrival(b, "2017-08-07T07:45:00+07:00"));
  ASSERT_EQ(ra.events.size(), 2u);
  ASSERT_EQ(rb.events.size(), 2u);
  auto qa = std::get<events::ReplyQueued>(EventAt(*ledger_, ra.events[1].seq));
  auto qb = std::get<events::ReplyQueued>(EventAt(*ledger_, rb.events[1].seq));
  EXPECT_NE(qa.reply_id, qb.reply_id);
}

// A refused command appends nothing, so its request id is not remembered: the same request may be
// sent again once it can succeed (docs/COMMANDS.md), and then it is applied once.
TEST_F(Counter, ARefusedRequestMayBeSentAgainOnceItCanSucceedAndIsAppliedOnce) {
  const std::string a = Code(1);
  const std::uint64_t before = Head();
  EXPECT_FALSE(
      Try(*service_, Documents(a, "2017-08-07T07:10:00+07:00", false, "req-doc")).status.ok());
  EXPECT_EQ(Head(), before);
  Ok(*service_, Arrival(a, "2017-08-07T07:11:00+07:00", "req-arr"));
  const std::uint64_t arrived = Head();
  EXPECT_TRUE(
      Try(*service_, Documents(a, "2017-08-07T07:12:00+07:00", false, "req-doc")).status.ok());
  EXPECT_EQ(Head(), arrived + 1);
  const CommandResult again = Try(*service_, Documents(a, "2017-08-07T07:13:00+07:00", false,
                                                       "req-doc"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(Head(), arrived + 1);
}

}  // namespace
}  // namespace antrean::app
