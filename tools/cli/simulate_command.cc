// antrean simulate: simulated traffic with abusers mixed in, and the ground truth
// (docs/SIMULATOR.md); antrean simulate score: the detection's flags against that truth.
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/secrets.h"
#include "domain/office_config.h"
#include "tools/cli/command.h"
#include "tools/cli/office_clones.h"
#include "tools/cli/simulation.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr char kSimulateUsage[] =
    "usage: antrean simulate --config-out FILE --out FILE --truth FILE --offices N --days D\n"
    "                        --seed S [--start YYYY-MM-DD] [--bookings-per-day K]\n"
    "                        [--config FILE] [--secrets FILE] [--scratch DIR]\n\n"
    "Writes an office file of N offices (clones of --config's offices, default\n"
    "config/offices.json, with its forensics thresholds), a command stream of D days of\n"
    "traffic for `antrean ingest` (--out), and the ground truth, one JSON line per group\n"
    "of applicants or abusers (--truth). The simulator drives a scratch ledger day by day\n"
    "to learn the booking codes it needs; the stream is exactly what it submitted, so\n"
    "ingesting it with the same booking-code key (--secrets FILE, default var/secrets.json,\n"
    "or ANTREAN_BOOKING_CODE_KEY) on a fresh ledger gives the same ledger. --scratch DIR\n"
    "keeps that ledger (DIR must not exist); otherwise a temporary one is removed.\n"
    "The same flags give the same files. K (default 60) is the new applicants per office\n"
    "and service day. Prints one JSON summary line. Exit 0 done; 1 the ledger decided a\n"
    "command otherwise than the simulator predicted; 2 usage; 3 could not run.\n"
    "See docs/SIMULATOR.md.\n";

constexpr char kScoreUsage[] =
    "usage: antrean simulate score --truth FILE --flags FILE [--json]\n\n"
    "Scores flags (JSON lines: flags, or objects with a \"flags\" array such as\n"
    "`antrean show flags --json` pages or `antrean audit --json`) against the ground truth\n"
    "`antrean simulate` wrote: per rule the flags, true and false positives, the groups\n"
    "meeting the rule, those found and missed, precision and recall, and the innocent\n"
    "groups flagged. A flag hits a group when its phone, phones or persons intersect the\n"
    "group's. Exit 0 done; 2 usage; 3 a file could not be read.\n";

std::optional<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// The thresholds the simulated offices carry: config's defaults.forensics, every key the
// simulator builds behaviour for made explicit (the documented default where config has none),
// and automatic blacklisting off: a blacklisted abuser's later registrations would be refused
// for a reason the simulator's plan did not choose, and the score is of the flags, not of
// blacklisting.
json::object ForensicsOverrides(const std::string& config_text) {
  boost::system::error_code ec;
  json::value root = json::parse(config_text, ec);
  json::object given;
  if (!ec && root.is_object()) {
    if (auto* d = root.as_object().if_contains("defaults"); d != nullptr && d->is_object()) {
      if (auto* f = d->as_object().if_contains("forensics"); f != nullptr && f->is_object()) {
        given = f->as_object();
      }
    }
  }
  const domain::ForensicsThresholds t;
  json::object defaults{{"window_days", t.window_days},
                        {"other_adults_per_phone", t.other_adults_per_phone},
                        {"phones_per_person", t.phones_per_person},
                        {"unused_bookings_min", t.unused_bookings_min},
                        {"unused_rate_min_percent", t.unused_rate_min_percent},
                        {"unused_rate_norm_factor", t.unused_rate_norm_factor},
                        {"identity_mismatches", t.identity_mismatches},
                        {"rush_minutes", t.rush_minutes},
                        {"burst_per_phone", t.burst_per_phone},
                        {"burst_per_block", t.burst_per_block},
                        {"block_digits", t.block_digits},
                        {"ring_phones_min", t.ring_phones_min},
                        {"ring_persons_min", t.ring_persons_min}};
  json::object overrides;
  for (const auto& [k, v] : defaults) {
    if (!given.contains(k)) overrides[k] = v;
  }
  overrides["auto_blacklist_rules"] = json::array{};
  overrides["auto_blacklist_no_shows"] = 0;
  return overrides;
}

std::optional<int> IntFlag(const Args& args, const char* flag, int lo, int hi, int fallback,
                           std::string* error) {
  auto v = args.Get(flag);
  if (!v) return fallback;
  auto n = ParseUint(*v);
  if (!n || *n < static_cast<std::uint64_t>(lo) || *n > static_cast<std::uint64_t>(hi)) {
    *error = std::string("--") + flag + ": expected " + std::to_string(lo) + ".." +
             std::to_string(hi) + ", got \"" + *v + "\"";
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

int RunSimulate(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "simulate", kSimulateUsage,
                           {"config-out", "out", "truth", "offices", "days", "seed", "start",
                            "secrets", "bookings-per-day", "config", "scratch"},
                           {}, err, 0, false);
  if (!args) return kExitUsage;
  std::string error;
  for (const char* required : {"config-out", "out", "truth", "offices", "days", "seed"}) {
    if (!args->Has(required) && error.empty())
      error = std::string("--") + required + " is required";
  }
  sim::Options options;
  if (error.empty()) {
    auto offices = IntFlag(*args, "offices", 1, sim::kSimOfficesMax, 0, &error);
    auto days = IntFlag(*args, "days", sim::kSimDaysMin, sim::kSimDaysMax, 0, &error);
    auto per_day = IntFlag(*args, "bookings-per-day", 1, sim::kSimBookingsPerDayMax,
                           options.bookings_per_day, &error);
    auto seed = ParseUint(args->Get("seed").value_or(""));
    if (!seed && error.empty()) error = "--seed: expected an unsigned number";
    if (error.empty()) {
      options.offices = *offices;
      options.days = *days;
      options.bookings_per_day = *per_day;
      options.seed = *seed;
    }
  }
  if (error.empty() && args->Has("start")) {
    auto start = domain::ParseDate(*args->Get("start"));
    if (!start.ok()) {
      error = "--start: expected YYYY-MM-DD";
    } else {
      options.start = *start;
    }
  }
  if (!error.empty()) {
    err << "antrean simulate: " << error << "\n\n" << kSimulateUsage;
    return kExitUsage;
  }

  const std::string config_path = args->Get("config").value_or("config/offices.json");
  auto config_text = ReadAll(config_path);
  if (!config_text) {
    err << "antrean simulate: cannot read " << config_path << "\n";
    return kExitError;
  }
  OfficeClones spec;
  spec.count = options.offices;
  spec.id_prefix = "sim-";
  spec.display_prefix = "0811 40";
  spec.phone_number_id_base = "4000000";
  spec.generator = "antrean simulate (docs/SIMULATOR.md)";
  spec.sources = {};  // every office of the file in turn: WIB and WITA, Batam's window and photo
  spec.keep_holidays = true;
  spec.forensics_overrides = ForensicsOverrides(*config_text);
  std::string office_file = CloneOffices(*config_text, spec, &error);
  if (office_file.empty()) {
    err << "antrean simulate: " << config_path << ": " << error << "\n";
    return kExitError;
  }
  auto offices = domain::LoadOfficeDirectory(office_file, *args->Get("config-out"));
  if (!offices.ok()) {
    err << "antrean simulate: " << offices.status().message() << "\n";
    return kExitError;
  }
  auto secrets = app::LoadSecrets(args->Get("secrets").value_or("var/secrets.json"));
  if (!secrets.ok()) {
    err << "antrean simulate: " << secrets.status().message() << "\n";
    return kExitError;
  }

  const bool keep = args->Has("scratch");
  const std::string scratch =
      keep ? *args->Get("scratch")
           : (fs::temp_directory_path() / ("antrean-simulate-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(options.seed)))
                 .string();
  auto output = sim::SimulateOnScratchLedger(*offices, options, secrets->booking_code_key, scratch);
  if (!keep) {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
  if (!output.ok()) {
    err << "antrean simulate: " << output.status().message() << "\n";
    return output.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailed;
  }
  std::string stream, truth;
  for (const auto& line : output->commands) stream += line + "\n";
  for (const auto& g : output->truth) truth += json::serialize(sim::TruthJson(g)) + "\n";
  for (const auto& [path, text] :
       {std::pair{*args->Get("config-out"), office_file + "\n"},
        std::pair{*args->Get("out"), stream}, std::pair{*args->Get("truth"), truth}}) {
    if (!WriteAll(path, text)) {
      err << "antrean simulate: cannot write " << path << "\n";
      return kExitError;
    }
  }
  json::object summary;
  for (const auto& [k, v] : output->counts) summary[k] = v;
  out << json::serialize(summary) << "\n";
  return kExitOk;
}

int RunScore(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "simulate score", kScoreUsage, {"truth", "flags"}, {"json"}, err,
                           0, false);
  if (!args) return kExitUsage;
  if (!args->Has("truth") || !args->Has("flags")) {
    err << "antrean simulate score: --truth FILE and --flags FILE are required\n\n" << kScoreUsage;
    return kExitUsage;
  }
  auto truth_text = ReadAll(*args->Get("truth"));
  auto flags_text = ReadAll(*args->Get("flags"));
  if (!truth_text || !flags_text) {
    err << "antrean simulate score: cannot read "
        << (!truth_text ? *args->Get("truth") : *args->Get("flags")) << "\n";
    return kExitError;
  }
  std::vector<sim::TruthGroup> truth;
  std::istringstream lines(*truth_text);
  std::uint64_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.empty()) continue;
    auto g = sim::ParseTruthLine(line);
    if (!g.ok()) {
      err << "antrean simulate score: " << *args->Get("truth") << " line " << n << ": "
          << g.status().message() << "\n";
      return kExitError;
    }
    truth.push_back(std::move(g).value());
  }
  auto score = sim::ScoreFlags(truth, *flags_text);
  if (!score.ok()) {
    err << "antrean simulate score: " << *args->Get("flags") << ": " << score.status().message()
        << "\n";
    return kExitError;
  }
  if (args->Has("json")) {
    out << json::serialize(sim::ScoreJson(*score)) << "\n";
  } else {
    out << sim::ScoreText(*score);
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> SimulateCommands() {
  return {{"simulate", "simulated traffic with abusers, and the ground truth (docs/SIMULATOR.md)",
           kSimulateUsage, &RunSimulate},
          {"simulate score", "scores flags against a simulation's ground truth", kScoreUsage,
           &RunScore}};
}

}  // namespace antrean::cli
