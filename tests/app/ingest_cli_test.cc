// `antrean ingest` (tools/cli/ingest_command.cc), run as the real binary on a temp file of
// commands: one JSON result line per non-blank input line, in order; malformed lines are refused
// by line and field without stopping the rest; exit codes 0 / 1 / 2 / 3; the resulting ledger
// verifies; a ledger whose derived state is of layout 1 is upgraded before the first command.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "projections/decision_state.h"
#include "projections/state_upgrade.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"
#include "tests/support/run_binary.h"
#include "tests/support/state_layout1.h"

namespace antrean {
namespace {

namespace json = boost::json;
using support::IngestMessage;
using support::JsonObjectLines;
using support::kSampleOfficesPath;
using support::RunAntrean;
using support::TempDir;

constexpr char kKey[] = "ingest-cli-test-booking-code-key-0123";

// A run whose standard output was read as one JSON object per line, in `lines`.
struct CliRun : support::CliRun {
  std::vector<json::object> lines;
};

// Runs `env ENV antrean ARGS`; stdout is captured (and, for `json_lines`, parsed as one JSON
// object per line), stderr read from a file.
CliRun Antrean(const std::string& env, const std::vector<std::string>& args,
               const std::string& tmp, bool json_lines = true) {
  CliRun run;
  static_cast<support::CliRun&>(run) = RunAntrean(args, tmp, env);
  if (json_lines) run.lines = JsonObjectLines(run.out);
  return run;
}

std::string WithKey() { return "ANTREAN_BOOKING_CODE_KEY=" + std::string(kKey); }

class Ingest : public ::testing::Test {
 protected:
  std::string Write(const std::vector<std::string>& lines) {
    const std::string path = dir_.path() + "/commands.jsonl";
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
    return path;
  }
  std::vector<std::string> Args(const std::string& input) const {
    return {"ingest",    "--ledger", ledger(), "--config", kSampleOfficesPath,
            "--secrets", dir_.path() + "/no-secrets.json", input};
  }
  std::string ledger() const { return dir_.path() + "/ledger"; }
  CliRun Ingest_(const std::string& env, const std::vector<std::string>& lines) {
    return Antrean(env, Args(Write(lines)), dir_.path());
  }

  TempDir dir_;
};

const std::string kAt = "2017-08-01T08:00:00+07:00";

std::int64_t Int(const json::value& v) { return v.to_number<std::int64_t>(); }

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

TEST_F(Ingest, PrintsOneResultLinePerNonBlankLineInOrder) {
  const CliRun run = Ingest_(WithKey(), {
      IngestMessage("m1", "bogor", "0812 3456 7801", kAt, "#Budi#25011987#07082017"),
      "",
      "   ",
      IngestMessage("m2", "bogor", "0812 3456 7802", kAt, "#syarat"),
      IngestMessage("m3", "bogor", "0812 3456 7803", kAt, "#Andi#01021985#19082017"),
  });
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(run.lines.size(), 3u) << run.out;
  // `line` is the input line number: blank lines are skipped, not renumbered.
  EXPECT_EQ(Int(run.lines[0].at("line")), 1);
  EXPECT_EQ(Int(run.lines[1].at("line")), 4);
  EXPECT_EQ(Int(run.lines[2].at("line")), 5);
  for (const auto& l : run.lines) {
    EXPECT_TRUE(l.at("ok").as_bool());
    EXPECT_EQ(Str(l, "type"), "whatsapp.message");
  }
  EXPECT_EQ(Str(run.lines[1], "outcome"), "information");
  EXPECT_EQ(Str(run.lines[1], "information"), "requirements");
}

TEST_F(Ingest, ARegistrationLineCarriesItsEventsCodeQueueNumberScheduleAndReply) {
  const CliRun run = Ingest_(WithKey(), {IngestMessage("m1", "bogor", "0812 3456 7801", kAt,
                                          "#Budi#25011987#07082017")});
  ASSERT_EQ(run.lines.size(), 1u) << run.out << run.err;
  const json::object& l = run.lines[0];
  EXPECT_TRUE(l.at("ok").as_bool());
  EXPECT_EQ(Str(l, "outcome"), "issued");
  const json::array& events = l.at("events").as_array();
  ASSERT_EQ(events.size(), 4u) << json::serialize(events);
  const char* types[] = {"office_configuration_applied.v1", "message_received.v1",
                         "booking_code_issued.v1", "reply_queued.v1"};
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(Int(events[i].as_object().at("seq")), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(events[i].as_object().at("type").as_string(), types[i]);
  }
  const std::string code = Str(l, "booking_code");
  EXPECT_EQ(code.size(), 10u) << code;
  EXPECT_EQ(Int(l.at("queue_number")), 1);
  EXPECT_EQ(Str(l, "date"), "2017-08-07");
  EXPECT_EQ(Str(l, "session"), "08:00");
  EXPECT_EQ(Str(l, "arrive_by"), "2017-08-07T07:30:00+07:00");
  EXPECT_NE(Str(l, "reply").find(code), std::string::npos) << Str(l, "reply");
}

TEST_F(Ingest, ARejectionLineCarriesItsReasonAndReply) {
  const CliRun run = Ingest_(WithKey(), {IngestMessage("m1", "bogor", "0812 3456 7801", kAt,
                                          "#Budi#31021987#07082017")});
  EXPECT_EQ(run.exit_code, 0) << "a rejected registration is a command that went fine";
  ASSERT_EQ(run.lines.size(), 1u) << run.out << run.err;
  const json::object& l = run.lines[0];
  EXPECT_TRUE(l.at("ok").as_bool());
  EXPECT_EQ(Str(l, "outcome"), "rejected");
  EXPECT_EQ(Str(l, "reason"), "invalid_birth_date");
  EXPECT_FALSE(Str(l, "reply").empty());
  EXPECT_FALSE(l.contains("booking_code"));
}

TEST_F(Ingest, AMalformedLineIsRefusedByLineAndFieldAndTheRestStillRuns) {
  const CliRun run = Ingest_(WithKey(), {
      IngestMessage("m1", "bogor", "0812 3456 7801", kAt, "#Budi#25011987#07082017"),
      R"({"type":"whatsapp.message","at":"2017-08-01 08:00","office":"bogor","message_id":"m2","from":"081234567802","text":"#syarat"})",
      IngestMessage("m3", "bogor", "0812 3456 7803", kAt, "#Siti#12031990#07082017"),
  });
  EXPECT_EQ(run.exit_code, 1) << run.err;
  ASSERT_EQ(run.lines.size(), 3u) << run.out;
  const json::object& bad = run.lines[1];
  EXPECT_FALSE(bad.at("ok").as_bool());
  const std::string error = Str(bad, "error");
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_NE(error.find("\"at\""), std::string::npos) << error;
  EXPECT_EQ(Str(bad, "type"), "whatsapp.message") << "which command was refused";
  EXPECT_TRUE(run.lines[2].at("ok").as_bool());
  EXPECT_EQ(Str(run.lines[2], "outcome"), "issued");
  EXPECT_EQ(Int(run.lines[2].at("queue_number")), 2);
}

TEST_F(Ingest, NotJsonIsRefusedAndTheRestStillRuns) {
  const CliRun run = Ingest_(WithKey(), {
      "#Budi#25011987#07082017",
      IngestMessage("m2", "bogor", "0812 3456 7802", kAt, "#bayar"),
  });
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_EQ(run.lines.size(), 2u) << run.out;
  EXPECT_FALSE(run.lines[0].at("ok").as_bool());
  EXPECT_NE(Str(run.lines[0], "error").find("line 1"), std::string::npos);
  EXPECT_TRUE(run.lines[1].at("ok").as_bool());
}

// Editors on Windows save UTF-8 with a byte-order mark; it is not part of the first command.
TEST_F(Ingest, AByteOrderMarkBeforeTheFirstLineIsNotPartOfIt) {
  const CliRun run = Ingest_(
      WithKey(), {"\xEF\xBB\xBF" + IngestMessage("m1", "bogor", "0812 3456 7801", kAt, "#syarat"),
                  "\xEF\xBB\xBF" + IngestMessage("m2", "bogor", "0812 3456 7802", kAt, "#bayar")});
  ASSERT_EQ(run.lines.size(), 2u) << run.out;
  EXPECT_TRUE(run.lines[0].at("ok").as_bool()) << run.out;
  EXPECT_FALSE(run.lines[1].at("ok").as_bool()) << "only the file's first bytes may be a mark";
}

TEST_F(Ingest, ExitsZeroWhenEveryLineWasAccepted) {
  const CliRun run = Ingest_(WithKey(), {IngestMessage("m1", "batam", "0812 3456 7801",
                                          "2017-07-20T08:00:00+07:00", "#syarat")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(Ingest, ExitsThreeWithoutABookingCodeKeyAndSaysHowToSetIt) {
  const CliRun run = Ingest_("-u ANTREAN_BOOKING_CODE_KEY",
                          {IngestMessage("m1", "bogor", "0812 3456 7801", kAt, "#syarat")});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_TRUE(run.lines.empty()) << run.out;
  EXPECT_NE(run.err.find("ANTREAN_BOOKING_CODE_KEY"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("booking_code_key"), std::string::npos) << run.err;
}

TEST_F(Ingest, ExitsTwoForAnUnknownFlag) {
  const CliRun run = Antrean(
      WithKey(), {"ingest", "--ledger", ledger(), "--config", kSampleOfficesPath, "--bogus", "1"},
      dir_.path());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("usage"), std::string::npos) << run.err;
}

TEST_F(Ingest, ExitsTwoWithoutTheLedgerFlag) {
  const CliRun run = Antrean(WithKey(), {"ingest", "--config", kSampleOfficesPath}, dir_.path());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--ledger"), std::string::npos) << run.err;
}

TEST_F(Ingest, TheLedgerItWroteVerifies) {
  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i) {
    const std::string phone = "0812 3456 78" + std::to_string(10 + i);
    const std::string name = std::string("Orang ") + static_cast<char>('A' + i % 26) +
                             static_cast<char>('A' + i / 26);
    lines.push_back(IngestMessage("v" + std::to_string(i), i % 3 == 0 ? "jakarta-pusat" : "bogor", phone,
                        kAt, "#" + name + "#25011987#0" + std::to_string(7 + i % 3) + "082017"));
  }
  lines.push_back(IngestMessage("v-bad", "bogor", "0812 3456 7899", kAt, "#Budi#25011987#17082017"));
  const CliRun run = Ingest_(WithKey(), lines);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(run.lines.size(), lines.size());
  const CliRun verify = Antrean("", {"verify", "--ledger", ledger()}, dir_.path(), false);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(Ingest, IngestingTheSameFileAgainAppendsNothingAndReportsDuplicates) {
  const std::vector<std::string> lines = {
      IngestMessage("m1", "bogor", "0812 3456 7801", kAt, "#Budi#25011987#07082017")};
  const CliRun first = Ingest_(WithKey(), lines);
  const CliRun again = Ingest_(WithKey(), lines);
  ASSERT_EQ(first.lines.size(), 1u);
  ASSERT_EQ(again.lines.size(), 1u);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_TRUE(again.lines[0].contains("duplicate"));
  EXPECT_EQ(Str(again.lines[0], "booking_code"), Str(first.lines[0], "booking_code"));
  EXPECT_EQ(json::serialize(again.lines[0].at("events")),
            json::serialize(first.lines[0].at("events")));
}

TEST_F(Ingest, ALedgerOfStateLayout1IsUpgradedBeforeTheFirstCommandAndThenReplaysIdentical) {
  const CliRun first = Ingest_(
      WithKey(), {
                     IngestMessage("u1", "bogor", "0812 3456 7801", kAt, "#Budi#25011987#07082017"),
                     IngestMessage("u2", "bogor", "0812 3456 7802", kAt, "#Siti#01021985#07082017"),
                 });
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // The detection's part of every phone row in an fx/p/ row of its own, as state layout 1 kept it.
  const std::uint64_t split = support::SplitIntoLayout1<projections::PhoneRow>(
      ledger(), "ph/", projections::kLegacyForensicPhonePrefix);
  ASSERT_EQ(split, 2u);

  // Not yet upgraded: replay says so instead of reporting every phone as different.
  const CliRun before = Antrean("", {"replay", "--ledger", ledger()}, dir_.path(), false);
  EXPECT_EQ(before.exit_code, 3) << before.out << before.err;
  EXPECT_NE(before.err.find("layout 1"), std::string::npos) << before.err;

  const CliRun next = Ingest_(
      WithKey(), {
                     IngestMessage("u3", "bogor", "0812 3456 7803", kAt, "#Andi#01021985#07082017"),
                 });
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_NE(next.err.find("derived state upgraded to this version's layout (2 phone and 0 person"),
            std::string::npos)
      << next.err;
  ASSERT_EQ(next.lines.size(), 1u);
  EXPECT_TRUE(next.lines[0].at("ok").as_bool());

  const CliRun after = Antrean("", {"replay", "--ledger", ledger()}, dir_.path(), false);
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_NE(after.out.find("identical: the live state is exactly what the events say"),
            std::string::npos)
      << after.out;
  // Upgraded once: the next run has nothing to move.
  const CliRun again = Ingest_(WithKey(), {});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("upgraded"), std::string::npos) << again.err;
}

TEST_F(Ingest, AnUpgradeThatFindsADetectionPartKeptTwiceDecidesNothingAndExitsThree) {
  const CliRun first = Ingest_(
      WithKey(), {
                     IngestMessage("d1", "bogor", "0812 3456 7801", kAt, "#Budi#25011987#07082017"),
                 });
  ASSERT_EQ(first.exit_code, 0) << first.err;
  {
    // The phone's row already holds the detection's part; a layout-1 row holds another.
    support::RawDb raw(ledger());
    raw.Put(raw.state(), "fx/p/6281234567801", R"({"issued":5})");
  }
  const CliRun next = Ingest_(
      WithKey(), {
                     IngestMessage("d2", "bogor", "0812 3456 7802", kAt, "#Siti#01021985#07082017"),
                 });
  EXPECT_EQ(next.exit_code, 3) << next.out << next.err;
  EXPECT_TRUE(next.lines.empty()) << next.out;
  EXPECT_NE(next.err.find("ph/6281234567801 already holds the detection's part"), std::string::npos)
      << next.err;
  const CliRun verify = Antrean("", {"verify", "--ledger", ledger()}, dir_.path(), false);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace antrean
