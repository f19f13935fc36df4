// The scored run on a small but real scale (docs/SIMULATOR.md): `antrean simulate`, `antrean
// ingest` of its stream into a fresh ledger, `antrean audit --json` for the flags in force, and
// the score against the ground truth — at least 0.95 precision and recall for every rule and no
// innocent group flagged. The real binary throughout. Under the sanitizers (the suite's second
// run in CI) the simulation is smaller, so that it stays within the suite's time.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/sanitizers.h"
#include "domain/forensics_thresholds.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/run_binary.h"
#include "tools/cli/simulation.h"

namespace antrean {
namespace {

using support::CliRun;
using support::ReadFile;
using support::RunAntrean;
using support::TempDir;

constexpr char kKeyEnv[] = "ANTREAN_BOOKING_CODE_KEY=scored-run-test-booking-code-key-0123";
// A smaller month under AddressSanitizer, which runs the ingest several times slower.
#ifdef ANTREAN_UNDER_ASAN
constexpr char kOffices[] = "4", kDays[] = "12", kPerDay[] = "10";
#else
constexpr char kOffices[] = "8", kDays[] = "21", kPerDay[] = "30";
#endif

TEST(SimulateScoredRunTest, EveryRuleAtLeast95PercentPrecisionAndRecallNoInnocentFlagged) {
  TempDir dir("scored_run");
  const std::string config = dir.path() + "/offices.json", stream = dir.path() + "/stream.jsonl",
                    truth_path = dir.path() + "/truth.jsonl", ledger = dir.path() + "/ledger",
                    flags_path = dir.path() + "/flags.jsonl";
  CliRun sim = RunAntrean({"simulate", "--config", support::kSampleOfficesPath, "--config-out",
                           config, "--out", stream, "--truth", truth_path, "--offices", kOffices,
                           "--days", kDays, "--seed", "20260302", "--bookings-per-day", kPerDay},
                          dir.path(), kKeyEnv);
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  CliRun ingest =
      RunAntrean({"ingest", "--ledger", ledger, "--config", config, stream}, dir.path(), kKeyEnv);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  // Every flag in force: the audit shows the top 100 unless asked for more.
  CliRun audit = RunAntrean(
      {"audit", "--ledger", ledger, "--json", "--limit", "100000", "--evidence", "0"}, dir.path());
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  // The live rows, the detection's included, are exactly what a replay of the events gives.
  CliRun replay = RunAntrean({"replay", "--ledger", ledger}, dir.path());
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  { std::ofstream(flags_path) << audit.out; }

  std::vector<sim::TruthGroup> truth;
  std::istringstream lines(ReadFile(truth_path));
  for (std::string line; std::getline(lines, line);) {
    auto g = sim::ParseTruthLine(line);
    ASSERT_TRUE(g.ok()) << line;
    truth.push_back(*g);
  }
  auto score = sim::ScoreFlags(truth, audit.out);
  ASSERT_TRUE(score.ok()) << score.status().message();
  const std::string report = sim::ScoreText(*score);
  for (std::string_view rule : domain::kDetectionRules) {
    const sim::RuleScore& r = score->rules.at(std::string(rule));
    EXPECT_GE(r.groups, 2u) << rule << ": the simulation must hold groups meeting it\n" << report;
    EXPECT_GE(r.precision(), 0.95) << rule << "\n" << report;
    EXPECT_GE(r.recall(), 0.95) << rule << "\n" << report;
  }
  EXPECT_TRUE(score->innocent_groups_flagged.empty()) << report;

  // The command prints the same score.
  CliRun scored =
      RunAntrean({"simulate", "score", "--truth", truth_path, "--flags", flags_path}, dir.path());
  EXPECT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_EQ(scored.out, report);
}

}  // namespace
}  // namespace antrean
