// The traffic simulator behind `antrean simulate` (docs/SIMULATOR.md): a command stream for
// `antrean ingest` that looks like real traffic — the rush when registration opens, families,
// typos, information requests, late arrivals and no-shows, identity checks and documents at the
// counter, the evening clock — with abusers of every kind the forensics rules look for mixed in,
// and the ground truth of who is who.
//
// The simulator drives a ledger in steps, one day at a time, through a Driver: it submits a day's
// commands, reads their results (the booking codes, queue days and arrive-by times the ledger
// decided) and only then writes the commands that need them (arrivals, identity checks,
// documents, registering again after a forfeit). The stream is exactly what it submitted, so the
// same stream ingested with the same booking-code key on a fresh ledger gives the same ledger.
//
// It also predicts every decision itself (issued, rejected and why, repeated, arrived, forfeited,
// how many bookings a tick expires) from its own model of the rules, and stops with an error when
// the ledger decides otherwise. That is what makes the truth trustworthy: each group's `rules`
// are computed from what the simulator made the group do, under the office file's thresholds,
// and the check proves the ledger saw the same behaviour. The truth is never read from the
// ledger's flags.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/civil_time.h"
#include "domain/forensics_thresholds.h"
#include "domain/office_config.h"

namespace antrean::sim {

struct Options {
  int offices = 20;
  int days = 30;
  std::uint64_t seed = 1;
  domain::Date start{2026, 3, 2};
  int bookings_per_day = 60;  // new applicants per office and service day, before families
};
// Limits on the flags, so that a mistyped number cannot ask for a year of a thousand offices.
inline constexpr int kSimOfficesMax = 1000;
inline constexpr int kSimDaysMax = 366;
inline constexpr int kSimDaysMin = 10;  // abusers need a few days to show their pattern
inline constexpr int kSimBookingsPerDayMax = 2000;

// One group of the ground truth: an applicant, a family, or an abuser with the phones and persons
// (`NAME|YYYY-MM-DD`, as the ledger names persons) it used.
struct TruthGroup {
  std::string group;
  std::string kind;
  std::string office;
  bool abusive = false;
  std::set<std::string> rules;  // the detection rules its behaviour meets by construction
  std::set<std::string> phones;
  std::set<std::string> persons;
};
boost::json::object TruthJson(const TruthGroup& g);
Result<TruthGroup> ParseTruthLine(std::string_view line);

// Submits a batch of command lines, in order, and returns one result object per line (the
// objects `antrean ingest` prints).
using Driver =
    std::function<Result<std::vector<boost::json::object>>(const std::vector<std::string>& lines)>;

struct Output {
  std::vector<std::string> commands;  // the stream, one JSON line per command
  std::vector<TruthGroup> truth;
  std::map<std::string, std::uint64_t> counts;  // outcomes and kinds, for the summary line
};

// Runs the simulation against `driver`. Fails when the office file has no office, a threshold is
// malformed, or the ledger decides a command otherwise than the simulator predicted.
Result<Output> Simulate(const domain::OfficeDirectory& offices, const Options& options,
                        const Driver& driver);

// Simulate against an in-process service on a fresh ledger in `scratch_dir` (which must not
// exist yet), with booking codes derived from `code_key`.
Result<Output> SimulateOnScratchLedger(const domain::OfficeDirectory& offices,
                                       const Options& options, const std::string& code_key,
                                       const std::string& scratch_dir);

// ---- The score

struct RuleScore {
  std::uint64_t flags = 0;            // flags of the rule
  std::uint64_t true_positives = 0;   // flags that hit a group whose rules hold the rule
  std::uint64_t false_positives = 0;  // flags that hit none
  std::uint64_t groups = 0;           // groups whose rules hold the rule
  std::uint64_t groups_found = 0;     // of those, hit by a flag of the rule
  double precision() const;           // 1 when there are no flags
  double recall() const;              // 1 when there are no groups
  std::uint64_t false_negatives() const { return groups - groups_found; }
};
struct Score {
  std::map<std::string, RuleScore> rules;  // every rule of domain::kDetectionRules, and any other the flags name
  std::uint64_t flags = 0;
  std::uint64_t groups = 0;
  std::uint64_t innocent_groups = 0;
  std::vector<std::string> innocent_groups_flagged;  // group ids
  // Flags hitting a group whose rules lack the flag's rule: "flag-7 burst -> g00012 (normal)".
  std::vector<std::string> false_positive_examples;
  std::vector<std::string> missed_examples;  // "ring: g00042 (calo_ring)"
};
// `flags_text`: JSON lines, each either a flag ({"rule": ..., "phone": ...}) or an object with a
// "flags" array of them (`antrean show flags --json` pages, `antrean audit --json`).
Result<Score> ScoreFlags(const std::vector<TruthGroup>& truth, std::string_view flags_text);
boost::json::object ScoreJson(const Score& score);
std::string ScoreText(const Score& score);

}  // namespace antrean::sim
