// `antrean simulate` and `antrean simulate score` (tools/cli/simulation.*, docs/SIMULATOR.md):
// the same flags give the same files; the stream ingests, every command ok, into exactly the
// ledger the simulator drove; the truth covers every rule and kind, innocent groups meet none,
// groups share no phone or person; the family cases are really in the ledger; the scorer counts
// as documented.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "domain/forensics_thresholds.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/run_binary.h"
#include "tools/cli/simulation.h"

namespace antrean {
namespace {

namespace json = boost::json;
using support::CliRun;
using support::ReadFile;
using support::RunAntrean;
using support::TempDir;

constexpr char kKeyEnv[] = "ANTREAN_BOOKING_CODE_KEY=simulate-test-booking-code-key-0123";

// A small simulation: 4 offices (one of each source office: WIB, Batam's window and photo, WITA),
// 12 days.
struct Simulated {
  CliRun run;
  std::string config, stream, truth, scratch;
};
Simulated RunSimulate(const TempDir& dir, const std::string& name, std::uint64_t seed) {
  Simulated s;
  s.config = dir.path() + "/" + name + "-offices.json";
  s.stream = dir.path() + "/" + name + "-stream.jsonl";
  s.truth = dir.path() + "/" + name + "-truth.jsonl";
  s.scratch = dir.path() + "/" + name + "-ledger";
  s.run = RunAntrean({"simulate",     "--config",   support::kSampleOfficesPath,
                      "--config-out", s.config,     "--out",
                      s.stream,       "--truth",    s.truth,
                      "--offices",    "4",          "--days",
                      "12",           "--seed",     std::to_string(seed),
                      "--start",      "2026-03-02", "--bookings-per-day",
                      "12",           "--scratch",  s.scratch},
                     dir.path(), kKeyEnv);
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  return s;
}

std::vector<sim::TruthGroup> Truth(const std::string& path) {
  std::vector<sim::TruthGroup> groups;
  std::istringstream lines(ReadFile(path));
  for (std::string line; std::getline(lines, line);) {
    auto g = sim::ParseTruthLine(line);
    EXPECT_TRUE(g.ok()) << line;
    if (g.ok()) groups.push_back(*g);
  }
  return groups;
}

class SimulateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("simulate_test");
    first_ = new Simulated(RunSimulate(*dir_, "a", 7));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete dir_;
  }
  static TempDir* dir_;
  static Simulated* first_;
};
TempDir* SimulateTest::dir_ = nullptr;
Simulated* SimulateTest::first_ = nullptr;

TEST_F(SimulateTest, SameFlagsGiveSameFiles) {
  Simulated again = RunSimulate(*dir_, "b", 7);
  EXPECT_EQ(ReadFile(first_->config), ReadFile(again.config));
  EXPECT_EQ(ReadFile(first_->stream), ReadFile(again.stream));
  EXPECT_EQ(ReadFile(first_->truth), ReadFile(again.truth));
  EXPECT_EQ(first_->run.out, again.run.out);
  Simulated other = RunSimulate(*dir_, "c", 8);
  EXPECT_NE(ReadFile(first_->stream), ReadFile(other.stream)) << "the seed changes the traffic";
}

TEST_F(SimulateTest, StreamIngestsEveryLineOkIntoTheLedgerTheSimulatorDrove) {
  const std::string ledger = dir_->path() + "/ingested";
  CliRun ingest =
      RunAntrean({"ingest", "--ledger", ledger, "--config", first_->config, first_->stream},
                 dir_->path(), kKeyEnv);
  EXPECT_EQ(ingest.exit_code, 0) << ingest.err;
  std::size_t lines = 0;
  for (const auto& r : support::JsonObjectLines(ingest.out)) {
    ++lines;
    ASSERT_TRUE(r.at("ok").as_bool()) << json::serialize(r);
  }
  const std::string stream = ReadFile(first_->stream);
  EXPECT_EQ(lines, static_cast<std::size_t>(std::count(stream.begin(), stream.end(), '\n')));
  EXPECT_GT(lines, 1000u);
  // The same head: the same events, byte for byte, hash-chained.
  CliRun a = RunAntrean({"digest", "--ledger", first_->scratch}, dir_->path());
  CliRun b = RunAntrean({"digest", "--ledger", ledger}, dir_->path());
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  CliRun verify = RunAntrean({"verify", "--ledger", ledger}, dir_->path());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(SimulateTest, TruthCoversEveryRuleAndKindAndInnocentGroupsMeetNone) {
  const auto truth = Truth(first_->truth);
  std::map<std::string, int> kinds, rules;
  std::set<std::string> phones, persons;
  for (const auto& g : truth) {
    ++kinds[g.kind];
    for (const auto& r : g.rules) ++rules[r];
    EXPECT_EQ(g.abusive, !g.rules.empty()) << g.group << " " << g.kind;
    for (const auto& p : g.phones) EXPECT_TRUE(phones.insert(p).second) << "shared phone " << p;
    for (const auto& p : g.persons) EXPECT_TRUE(persons.insert(p).second) << "shared person " << p;
  }
  for (std::string_view r : domain::kDetectionRules) EXPECT_GE(rules[std::string(r)], 2) << r;
  for (const char* k :
       {"calo_phone", "joki_many_phones", "hoarder", "iseng", "joki_code", "bot_burst",
        "block_burst", "calo_ring", "calo_ring_adults", "normal", "normal_no_show", "normal_late",
        "family_toddlers", "family_elderly", "family_elderly_two_phones", "family_shared_phone",
        "family_sim_block", "family_some_no_shows"}) {
    EXPECT_GE(kinds[k], 1) << k;
  }
  // The office file states the thresholds the truth was computed with, and automatic
  // blacklisting off.
  json::value file = json::parse(ReadFile(first_->config));
  const json::object& f = file.at("defaults").at("forensics").as_object();
  EXPECT_EQ(f.at("other_adults_per_phone").as_int64(), 3);
  EXPECT_EQ(f.at("auto_blacklist_no_shows").as_int64(), 0);
  EXPECT_EQ(file.at("offices").as_array().size(), 4u);
}

TEST_F(SimulateTest, RealisticRatesOfNoShowsLateArrivalsTyposAndQuestions) {
  json::object counts = json::parse(first_->run.out).as_object();
  auto n = [&](const char* k) {
    return counts.contains(k) ? static_cast<double>(counts.at(k).to_number<std::uint64_t>()) : 0.0;
  };
  const double issued = n("outcome.issued");
  ASSERT_GT(issued, 300);
  const double unused = (n("bookings_expired") + n("outcome.forfeited.late")) / issued;
  // Bookings whose day is past the simulated days are neither used nor unused: the rate is of
  // all issued, so it sits a little under the 8 % + 4 % drawn for applicants (plus abusers').
  EXPECT_GT(unused, 0.04);
  EXPECT_LT(unused, 0.20);
  EXPECT_GT(n("outcome.forfeited.late"), 0);
  EXPECT_GT(n("outcome.arrived"), issued / 2);
  EXPECT_GT(n("outcome.information"), 0);
  EXPECT_GT(n("outcome.repeated"), 0);
  EXPECT_GT(n("typo"), 0);
  EXPECT_GT(n("outcome.rejected.unreadable_message"), 0);
  EXPECT_GT(n("outcome.rejected.phone_registered_to_other_adult"), 0);
  EXPECT_GT(n("outcome.rejected.person_has_active_booking"), 0);
}

// The family cases as the ledger recorded them (`antrean show phone --json` on the ledger the
// simulator drove).
TEST_F(SimulateTest, FamilyCasesAreInTheLedger) {
  const auto truth = Truth(first_->truth);
  auto relations_on = [&](const std::string& phone) {
    std::multiset<std::string> relations;
    std::multiset<std::string> rejections;
    CliRun r =
        RunAntrean({"show", "phone", phone, "--ledger", first_->scratch, "--json"}, dir_->path());
    if (r.exit_code != 0) return std::pair{relations, rejections};
    json::object o = r.Json();
    for (const auto& p : o.at("persons").as_array()) {
      for (const auto& rel : p.at("relations").as_array()) {
        relations.insert(std::string(rel.as_string()));
      }
      for (const auto& rej : p.at("rejections").as_array()) {
        rejections.insert(rej.is_string() ? std::string(rej.as_string()) : json::serialize(rej));
      }
    }
    return std::pair{relations, rejections};
  };
  int toddlers = 0, elderly = 0, shared = 0;
  for (const auto& g : truth) {
    if (g.kind == "family_toddlers") {
      for (const auto& p : g.phones) toddlers += relations_on(p).first.count("toddler") >= 2;
    } else if (g.kind == "family_elderly") {
      for (const auto& p : g.phones) elderly += relations_on(p).first.count("elderly") >= 1;
    } else if (g.kind == "family_shared_phone") {
      bool refused = false;
      int owners = 0;
      for (const auto& p : g.phones) {
        auto [rel, rej] = relations_on(p);
        owners += static_cast<int>(rel.count("owner"));
        for (const auto& r : rej) refused |= r.find("phone_registered_to_other_adult") != r.npos;
      }
      shared += refused && owners >= 2;
    }
  }
  EXPECT_GE(toddlers, 1);
  EXPECT_GE(elderly, 1);
  EXPECT_GE(shared, 1);
}

TEST(SimulateScoreTest, CountsHitsByPhonePhonesAndPersons) {
  std::vector<sim::TruthGroup> truth(3);
  truth[0] = {"g1", "calo_phone", "o", true, {"many_persons_per_phone"}, {"621"}, {"A|2000-01-01"}};
  truth[1] = {"g2", "calo_ring", "o", true, {"ring"}, {"622", "623"}, {"B|2000-01-01"}};
  truth[2] = {"g3", "family_toddlers", "o", false, {}, {"624"}, {"C|2000-01-01"}};
  const std::string flags =
      R"({"flag_id":"f1","rule":"many_persons_per_phone","phone":"621"})"
      "\n"
      R"({"flags":[{"flag_id":"f2","rule":"ring","phone":"699","phones":["623"]},)"
      R"({"flag_id":"f3","rule":"burst","phone":"624"},)"
      R"({"flag_id":"f4","rule":"ring","phone":"698","persons":["C|2000-01-01"]}]})"
      "\n";
  auto score = sim::ScoreFlags(truth, flags);
  ASSERT_TRUE(score.ok()) << score.status().message();
  const auto& mpp = score->rules.at("many_persons_per_phone");
  EXPECT_EQ(mpp.true_positives, 1u);
  EXPECT_EQ(mpp.groups_found, 1u);
  const auto& ring = score->rules.at("ring");
  EXPECT_EQ(ring.flags, 2u);
  EXPECT_EQ(ring.true_positives, 1u);
  EXPECT_EQ(ring.false_positives, 1u);
  EXPECT_DOUBLE_EQ(ring.precision(), 0.5);
  EXPECT_DOUBLE_EQ(ring.recall(), 1.0);
  const auto& burst = score->rules.at("burst");
  EXPECT_EQ(burst.false_positives, 1u);
  EXPECT_EQ(burst.groups, 0u);
  EXPECT_EQ(score->rules.at("identity_mismatch").flags, 0u);
  EXPECT_DOUBLE_EQ(score->rules.at("identity_mismatch").precision(), 1.0);
  ASSERT_EQ(score->innocent_groups_flagged.size(), 1u);
  EXPECT_EQ(score->innocent_groups_flagged[0], "g3");
  // A group with a rule and no flag of it is a false negative.
  truth[0].rules.insert("burst");
  score = sim::ScoreFlags(truth, flags);
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->rules.at("burst").false_negatives(), 1u);
  EXPECT_DOUBLE_EQ(score->rules.at("burst").recall(), 0.0);
  EXPECT_FALSE(sim::ScoreFlags(truth, "not json\n").ok());
}

TEST(SimulateScoreTest, TheCommandPrintsTheSameScore) {
  TempDir dir("simulate_score");
  const std::string truth = dir.path() + "/truth.jsonl", flags = dir.path() + "/flags.jsonl";
  {
    std::ofstream(truth) << json::serialize(sim::TruthJson(
                                {"g1", "bot_burst", "o", true, {"burst"}, {"621"}, {}}))
                         << "\n";
    std::ofstream(flags) << R"({"flag_id":"f1","rule":"burst","phone":"621"})"
                         << "\n";
  }
  CliRun r =
      RunAntrean({"simulate", "score", "--truth", truth, "--flags", flags, "--json"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::object o = r.Json();
  EXPECT_EQ(o.at("rules").at("burst").at("true_positives").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(o.at("innocent_groups_flagged").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(RunAntrean({"simulate", "score", "--truth", truth}, dir.path()).exit_code, 2);
}

TEST(SimulateThresholdsTest, ReadsKnownKeysAndRefusesWrongTypes) {
  // The simulator reads an office's thresholds with the detection's own parser, unknown keys
  // left to the detector.
  auto t = domain::ParseForensicsThresholds(
      json::parse(R"({"burst_per_phone":6,"rush_opens_at":"07:00","some_other_key":true})")
          .as_object(),
      true);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->burst_per_phone, 6);
  EXPECT_EQ(*t->rush_opens_at, 7 * 60);
  EXPECT_EQ(t->window_days, 30);
  EXPECT_FALSE(
      domain::ParseForensicsThresholds(json::parse(R"({"window_days":"30"})").as_object(), true)
          .ok());
  EXPECT_FALSE(
      domain::ParseForensicsThresholds(json::parse(R"({"rush_opens_at":"7"})").as_object(), true)
          .ok());
}

}  // namespace
}  // namespace antrean
