// Recheck (app/recheck.h, `antrean recheck`): every command read back from the events and decided
// again on a scratch ledger must give the recorded events byte for byte. A ledger the service
// wrote is explained whole, through every kind of command, a change of office rules and requests
// with and without request ids; a booking issued on a tampered state row, which verify and replay
// both pass, is named with the rule's answer; so are another booking-code key, an event no
// command begins with, and the command line's exit codes.
#include "app/recheck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/service.h"
#include "events/event_types.h"
#include "projections/decision_state.h"
#include "projections/replay.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"
#include "tests/support/run_binary.h"

namespace antrean {
namespace {

namespace json = boost::json;
using support::Msg;
using support::Ok;
using support::TempDir;

constexpr char kKey[] = "recheck-test-booking-code-key-0123456789";

domain::OfficeDirectory Sample() { return support::SampleOffices(); }

app::Command Parse(const json::object& line) {
  auto c = app::ParseCommand(json::serialize(line));
  EXPECT_TRUE(c.ok()) << json::serialize(line) << ": " << c.status().ToString();
  return c.ok() ? *c : app::Command{};
}

class RecheckTest : public support::ServiceFixture {
 protected:
  RecheckTest() : ServiceFixture(&Sample, kKey) {}

  // The payload of the first event of `type` among a result's events.
  json::object Payload(const app::CommandResult& r, std::string_view type) {
    for (const auto& e : r.events) {
      if (e.type != type) continue;
      auto stored = ledger_->Get(e.seq);
      EXPECT_TRUE(stored.ok());
      return stored.ok() ? json::parse(stored->payload).as_object() : json::object{};
    }
    ADD_FAILURE() << "no " << type << " among the command's events";
    return {};
  }
  std::uint64_t SeqOf(const app::CommandResult& r, std::string_view type) {
    for (const auto& e : r.events) {
      if (e.type == type) return e.seq;
    }
    ADD_FAILURE() << "no " << type << " among the command's events";
    return 0;
  }

  app::RecheckReport RecheckOk(const std::string& key = kKey, std::uint64_t until_seq = 0) {
    service_->Drain();
    return support::RecheckOk(*ledger_, key, until_seq);
  }

  TempDir scratch_;
};

TEST_F(RecheckTest, ALedgerTheServiceWroteIsExplainedThroughEveryKindOfCommand) {
  const auto issued = Ok(*service_, Msg("wamid.r1", "bogor", "6281234567890",
                                        "#BUDI#25011987#04032026", "2026-03-02T07:31:05+07:00"));
  const std::string code = issued.outcome.booking_code;
  ASSERT_FALSE(code.empty());
  Ok(*service_, Msg("wamid.r2", "bogor", "6281234567890", "#budi # 25-01-1987 # 04/03/2026",
                    "2026-03-02T07:32:00+07:00"));  // the same registration: its code again
  const auto typo = Ok(*service_, Msg("wamid.r3", "bogor", "6281299990000",
                                      "#SITI#31021990#04032026", "2026-03-02T07:33:00+07:00"));
  Ok(*service_, Msg("wamid.r4", "bogor", "6281299990000", "#syarat", "2026-03-02T07:34:00+07:00"));
  const auto toddler = Ok(*service_, Msg("wamid.r5", "bogor", "6281234567890",
                                         "#ADI#02022024#04032026", "2026-03-02T07:35:00+07:00"));
  const auto jakarta = Ok(*service_, Msg("wamid.r6", "jakarta-pusat", "6285711112222",
                                         "#RINA#01011990#04032026", "2026-03-02T07:36:00+07:00"));
  Ok(*service_, Msg("wamid.r7", "nowhere", "6285711113333", "#RUDI#01011990#04032026",
                    "2026-03-02T07:37:00+07:00"));  // a number no office owns

  // The counter: the code typed in lower case without a request id (the cause is the command
  // itself, with the code as typed), an identity check with one, documents, a late arrival.
  std::string typed = code;
  std::transform(typed.begin(), typed.end(), typed.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Ok(*service_, Parse({{"type", "counter.arrival"},
                       {"at", "2026-03-04T07:10:00+07:00"},
                       {"office", "bogor"},
                       {"officer", "petugas-1"},
                       {"code", typed}}));
  const auto check = Ok(*service_, Parse({{"type", "counter.identity_check"},
                                          {"at", "2026-03-04T07:12:00+07:00"},
                                          {"office", "bogor"},
                                          {"officer", "petugas-1"},
                                          {"request_id", "idc-1"},
                                          {"code", code},
                                          {"person_matches", true},
                                          {"phone_matches", false}}));
  Ok(*service_, Parse({{"type", "counter.documents_submitted"},
                       {"at", "2026-03-04T07:20:00+07:00"},
                       {"office", "bogor"},
                       {"officer", "petugas-2"},
                       {"code", code}}));
  Ok(*service_, Parse({{"type", "counter.arrival"},
                       {"at", "2026-03-04T07:45:00+07:00"},
                       {"office", "bogor"},
                       {"officer", "petugas-1"},
                       {"code", toddler.outcome.booking_code}}));  // late: forfeited
  Ok(*service_, Parse({{"type", "counter.arrival"},
                       {"at", "2026-03-04T07:50:00+07:00"},
                       {"office", "bogor"},
                       {"officer", "petugas-1"},
                       {"request_id", "scan-9"},
                       {"code", "NOTACODE"}}));  // rejected
  Ok(*service_, Parse({{"type", "office.application_progress"},
                       {"at", "2026-03-04T09:00:00+07:00"},
                       {"office", "bogor"},
                       {"officer", "petugas-3"},
                       {"application_number", "1234567890123456"},
                       {"stage", "interview"}}));
  const auto tick =
      Ok(*service_, Parse({{"type", "clock.tick"}, {"at", "2026-03-05T00:00:00+07:00"}}));
  EXPECT_EQ(tick.outcome.expired, 1u);  // Jakarta's booking: a no-show

  // Replies and their statuses, as the outbox and WhatsApp report them.
  const std::string reply =
      json::value_to<std::string>(Payload(issued, "reply_queued.v1").at("reply_id"));
  Ok(*service_, Parse({{"type", "reply.sent"},
                       {"at", "2026-03-02T07:31:07+07:00"},
                       {"reply_id", reply},
                       {"attempt", 1},
                       {"provider_message_id", "wamid.out.1"}}));
  Ok(*service_, Parse({{"type", "whatsapp.status"},
                       {"at", "2026-03-02T07:31:09+07:00"},
                       {"provider_message_id", "wamid.out.1"},
                       {"status", "delivered"},
                       {"recipient", "6281234567890"}}));
  const std::string other =
      json::value_to<std::string>(Payload(typo, "reply_queued.v1").at("reply_id"));
  Ok(*service_, Parse({{"type", "reply.failed"},
                       {"at", "2026-03-02T07:33:02+07:00"},
                       {"reply_id", other},
                       {"attempt", 1},
                       {"error", "timeout"},
                       {"final", false},
                       {"retry_at", "2026-03-02T07:33:32+07:00"}}));

  // The auditor's review.
  Ok(*service_, Parse({{"type", "audit.blacklist"},
                       {"at", "2026-03-05T10:00:00+07:00"},
                       {"auditor", "auditor-1"},
                       {"phone", "6285711112222"},
                       {"reason", "calo"},
                       {"evidence", json::array{SeqOf(jakarta, "message_received.v1")}}}));
  Ok(*service_, Parse({{"type", "audit.unblacklist"},
                       {"at", "2026-03-05T11:00:00+07:00"},
                       {"auditor", "auditor-1"},
                       {"request_id", "unbl-1"},
                       {"phone", "6285711112222"},
                       {"reason", "a mistake"}}));
  std::string flag;
  for (const auto& e : check.events) {
    if (e.type == "phone_flagged.v2")
      flag = json::value_to<std::string>(Payload(check, e.type).at("flag_id"));
  }
  ASSERT_FALSE(flag.empty()) << "a phone that does not match its booking is flagged";
  Ok(*service_, Parse({{"type", "audit.clear_flag"},
                       {"at", "2026-03-05T12:00:00+07:00"},
                       {"auditor", "auditor-2"},
                       {"flag_id", flag},
                       {"reason", "the phone was lost"}}));

  // New rules for Bogor (a reloaded office file): recorded with its next decision. Then a file
  // without Jakarta: a message still addressed to it is answered as addressed to no office.
  json::value file = support::SampleOfficesJson();
  json::array& offices = file.at("offices").as_array();
  for (auto& o : offices) {
    if (o.at("id").as_string() == "bogor") o.as_object()["booking_horizon_days"] = 20;
  }
  service_->SetOffices(support::LoadOffices(file, "offices-v2.json"));
  const auto after = Ok(*service_, Msg("wamid.r8", "bogor", "6281277778888",
                                       "#WATI#05051975#06032026", "2026-03-05T08:00:00+07:00"));
  EXPECT_NE(SeqOf(after, "office_configuration_applied.v1"), 0u);
  Ok(*service_, Msg("wamid.r8b", "jakarta-pusat", "6285799991111", "#SARI#02021992#06032026",
                    "2026-03-05T08:05:00+07:00"));  // still waiting when Jakarta is taken out
  offices.erase(std::remove_if(
                    offices.begin(), offices.end(),
                    [](const json::value& o) { return o.at("id").as_string() == "jakarta-pusat"; }),
                offices.end());
  service_->SetOffices(support::LoadOffices(file, "offices-v3.json"));
  const auto closed = Ok(*service_, Msg("wamid.r9", "jakarta-pusat", "6285799990000",
                                        "#DEWI#01011990#06032026", "2026-03-05T08:10:00+07:00"));
  EXPECT_EQ(closed.outcome.reason, "unknown_office");
  Ok(*service_, Msg("wamid.r10", "bogor", "6281277779999", "#EKO#05051975#06032026",
                    "2026-03-05T08:20:00+07:00"));
  const auto night =
      Ok(*service_, Parse({{"type", "clock.tick"}, {"at", "2026-03-07T00:00:00+07:00"}}));
  EXPECT_EQ(night.outcome.expired, 3u);  // Wati's, Eko's, and Sari's in Jakarta's own time

  const app::RecheckReport report = RecheckOk();
  EXPECT_TRUE(report.explained()) << report.difference->what;
  EXPECT_EQ(report.last_seq, ledger_->GetHead().seq);
  EXPECT_EQ(report.events_checked, ledger_->GetHead().seq);
  EXPECT_EQ(report.commands, 25u);
}

TEST_F(RecheckTest, ABookingIssuedOnATamperedStateRowIsNamedWithWhatTheRulesDecide) {
  const auto first = Ok(*service_, Msg("wamid.t1", "bogor", "6281234567890",
                                       "#BUDI#25011987#04032026", "2026-03-02T07:31:05+07:00"));
  ASSERT_FALSE(first.outcome.booking_code.empty());
  Stop();
  {
    // Behind the service's back: Budi's booking not yet used is erased from his row.
    support::RawDb raw(dir_.path());
    const std::string key = projections::PersonRowKey("BUDI|1987-01-25");
    auto row = projections::DecodeRowAt<projections::PersonRow>(key, raw.Get(raw.state(), key));
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    EXPECT_EQ(row->active_code, first.outcome.booking_code);
    row->active_code.clear();
    raw.Put(raw.state(), key, projections::Encode(*row));
  }
  Start();
  const auto second = Ok(*service_, Msg("wamid.t2", "bogor", "6281299990000",
                                        "#BUDI#25011987#05032026", "2026-03-02T07:40:00+07:00"));
  ASSERT_EQ(second.outcome.kind, app::Outcome::Kind::kIssued) << "the tamper took effect";
  const std::uint64_t forged = SeqOf(second, "booking_code_issued.v1");
  service_->Drain();

  // The chain is intact, and the state is exactly what the events say: neither sees it.
  auto verified = ledger_->Verify({});
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->detail;
  projections::RebuildOptions rebuild;
  rebuild.scratch_dir = scratch_.path();
  auto rebuilt = projections::Rebuild(*ledger_, rebuild);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  auto compared = projections::Compare(*ledger_, *rebuilt->state);
  ASSERT_TRUE(compared.ok());
  EXPECT_TRUE(compared->identical) << "the next write of the row hid the tamper from replay";

  const app::RecheckReport report = RecheckOk();
  ASSERT_FALSE(report.explained());
  const app::RecheckDifference& d = *report.difference;
  EXPECT_EQ(d.seq, forged);
  EXPECT_EQ(report.events_checked, forged - 1);
  ASSERT_TRUE(d.recorded && d.decided);
  EXPECT_EQ(d.recorded->type, "booking_code_issued.v1");
  EXPECT_EQ(d.decided->type, "registration_rejected.v2");
  EXPECT_NE(d.decided->payload.find("person_has_active_booking"), std::string::npos)
      << d.decided->payload;
  EXPECT_NE(d.what.find("where the rules give registration_rejected.v2"), std::string::npos)
      << d.what;
  EXPECT_NE(d.command.find("whatsapp.message"), std::string::npos) << d.command;
  EXPECT_NE(d.command.find("wamid.t2"), std::string::npos) << d.command;
  EXPECT_EQ(d.command_seq, SeqOf(second, "message_received.v1"));
}

TEST_F(RecheckTest, AnotherBookingCodeKeyPartsAtTheFirstCode) {
  const auto issued = Ok(*service_, Msg("wamid.k1", "bogor", "6281234567890",
                                        "#BUDI#25011987#04032026", "2026-03-02T07:31:05+07:00"));
  const app::RecheckReport report = RecheckOk("another-booking-code-key-0123456789abcdef");
  ASSERT_FALSE(report.explained());
  EXPECT_EQ(report.difference->seq, SeqOf(issued, "booking_code_issued.v1"));
  EXPECT_NE(report.difference->what.find("payload member \"code\""), std::string::npos)
      << report.difference->what;
  EXPECT_NE(report.difference->what.find(issued.outcome.booking_code), std::string::npos);
  EXPECT_NE(report.difference->what.find("is it the key the service ran with?"), std::string::npos);
}

TEST_F(RecheckTest, AnEventNoCommandBeginsWithIsNamed) {
  Ok(*service_, Msg("wamid.n1", "bogor", "6281234567890", "#BUDI#25011987#04032026",
                    "2026-03-02T07:31:05+07:00"));
  service_->Drain();
  // Written straight to the ledger, as only a tool with the disk in hand could.
  events::PhoneBlacklisted forged;
  forged.phone = "6281234567890";
  forged.reason = "forged";
  forged.automatic = true;
  forged.rule = "many_persons_per_phone";
  const std::uint64_t seq =
      support::AppendFolded(*ledger_, forged, {"nobody", ""},
                            support::At("2026-03-02T08:00:00+07:00").micros_since_epoch);
  ASSERT_NE(seq, 0u);
  const app::RecheckReport report = RecheckOk();
  ASSERT_FALSE(report.explained());
  EXPECT_EQ(report.difference->seq, seq);
  EXPECT_EQ(report.events_checked, seq - 1);
  EXPECT_NE(report.difference->what.find("automatic blacklisting"), std::string::npos)
      << report.difference->what;
  ASSERT_TRUE(report.difference->recorded.has_value());
  EXPECT_FALSE(report.difference->decided.has_value());
}

TEST_F(RecheckTest, UntilSeqRechecksTheBeginningOnly) {
  Ok(*service_, Msg("wamid.u1", "bogor", "6281234567890", "#BUDI#25011987#04032026",
                    "2026-03-02T07:31:05+07:00"));
  Ok(*service_, Msg("wamid.u2", "bogor", "6281299990000", "#SITI#01011990#04032026",
                    "2026-03-02T07:32:05+07:00"));
  const app::RecheckReport report = RecheckOk(kKey, 5);
  EXPECT_TRUE(report.explained());
  EXPECT_EQ(report.last_seq, 5u);
  EXPECT_EQ(report.events_checked, 5u);
}

TEST(RecheckCliTest, ASimulatedFortnightIsExplainedAndTheExitCodesSayWhy) {
  TempDir dir("recheck_cli");
  const std::string env = "ANTREAN_BOOKING_CODE_KEY=recheck-cli-test-key-0123456789abcdef";
  const std::string offices = dir.path() + "/offices.json", stream = dir.path() + "/stream.jsonl";
  const std::string ledger = dir.path() + "/ledger";
  auto simulated = support::RunAntrean(
      {"simulate", "--config", support::kSampleOfficesPath, "--config-out", offices, "--out",
       stream, "--truth", dir.path() + "/truth.jsonl", "--offices", "3", "--days", "10", "--seed",
       "11", "--start", "2026-03-02", "--bookings-per-day", "10"},
      dir.path(), env);
  ASSERT_EQ(simulated.exit_code, 0) << simulated.err;
  auto ingested = support::RunAntrean({"ingest", "--ledger", ledger, "--config", offices, stream},
                                      dir.path(), env);
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;

  auto run = support::RunAntrean({"recheck", "--ledger", ledger, "--json"}, dir.path(), env);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  json::object report = support::ParseJsonObject(run.out);
  EXPECT_EQ(report.at("explained"), true);
  EXPECT_EQ(report.at("events_checked"), report.at("last_seq"));
  EXPECT_GT(report.at("commands").as_int64(), 500);

  auto text = support::RunAntrean({"recheck", "--ledger", ledger}, dir.path(), env);
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("every event is what the rules give"), std::string::npos) << text.out;

  auto wrong = support::RunAntrean({"recheck", "--ledger", ledger, "--json"}, dir.path(),
                                   "ANTREAN_BOOKING_CODE_KEY=not-the-key-0123456789abcdefghij");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
  json::object differs = support::ParseJsonObject(wrong.out);
  EXPECT_EQ(differs.at("explained"), false);
  EXPECT_EQ(differs.at("difference").as_object().at("recorded").as_object().at("type").as_string(),
            "booking_code_issued.v1");

  EXPECT_EQ(support::RunAntrean({"recheck"}, dir.path(), env).exit_code, 2);
  EXPECT_EQ(
      support::RunAntrean({"recheck", "--ledger", ledger, "--until-seq", "0"}, dir.path(), env)
          .exit_code,
      2);
  // No key anywhere: the secrets file named does not exist.
  EXPECT_EQ(support::RunAntrean(
                {"recheck", "--ledger", ledger, "--secrets", dir.path() + "/none.json"}, dir.path())
                .exit_code,
            3);
  EXPECT_EQ(support::RunAntrean({"recheck", "--ledger", dir.path() + "/missing"}, dir.path(), env)
                .exit_code,
            3);

  // A hole in the record is a finding (exit 1), named, as for replay.
  {
    support::RawDb raw(ledger);
    raw.Delete(raw.events(), support::BigEndian8(100));
  }
  auto holed = support::RunAntrean({"recheck", "--ledger", ledger}, dir.path(), env);
  EXPECT_EQ(holed.exit_code, 1) << holed.out << holed.err;
  EXPECT_NE(holed.err.find("event 100 is missing"), std::string::npos) << holed.err;
}

}  // namespace
}  // namespace antrean
