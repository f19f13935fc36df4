// replay: the state projection rebuilt from the events alone (projections/replay.h), and checked
// against the live rows. Opens the ledger read-only, so it runs beside a live service.
#include <boost/json.hpp>
#include <ostream>

#include "domain/civil_time.h"
#include "projections/replay.h"
#include "projections/state_upgrade.h"
#include "store/ledger.h"
#include "tools/cli/command.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;
using projections::ProjectionComparison;

constexpr char kReplayUsage[] =
    "usage: antrean replay --ledger DIR [--json] [--until-seq N | --as-of TIME] [--scratch DIR]\n"
    "\n"
    "Folds the whole log, from seq 1, into a scratch store with the same fold the\n"
    "service applies when it appends (docs/PROJECTIONS.md), and compares the result\n"
    "with the live state rows, projection by projection (ph pe dy bk cf ap dl bl fl\n"
    "ob pm and the checkpoint). Prints the replay rate and, per projection, its rows, the\n"
    "SHA-256 digest of its rows and whether the two sides are identical.\n"
    "\n"
    "  --until-seq N   rebuild only events 1..N\n"
    "  --as-of TIME    rebuild only events recorded at or before TIME (RFC 3339 with\n"
    "                  an offset, e.g. 2026-03-02T08:00:00+07:00)\n"
    "                  Either prints the digests of the state as it stood then;\n"
    "                  there is nothing to compare them with.\n"
    "  --scratch DIR   where the scratch store goes (a fresh subdirectory, removed\n"
    "                  afterwards); default $TMPDIR or /tmp\n"
    "  --json          one JSON object\n"
    "\n"
    "Exit 0: identical (or, with --until-seq/--as-of, rebuilt). Exit 1: a projection\n"
    "differs (the first differing key is named), or an event cannot be folded.\n"
    "Exit 2: usage. Exit 3: the ledger or the scratch store could not be used.\n";

json::object DigestJson(const projections::ProjectionDigest& d) {
  return {{"rows", d.rows}, {"digest", ToHex(d.sha256)}};
}

json::object StatsJson(const projections::RebuildStats& s) {
  return {{"events_scanned", s.events_scanned},
          {"events_included", s.events_included},
          {"events_folded", s.events_folded},
          {"last_seq", s.last_seq},
          {"seconds", s.seconds},
          {"events_per_second", s.EventsPerSecond()}};
}

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// A value for a terminal line: at most 160 bytes.
std::string Clip(std::string_view v) {
  if (v.size() <= 160) return std::string(v);
  return std::string(v.substr(0, 157)) + "...";
}

std::string DifferenceText(const ProjectionComparison& c) {
  switch (c.difference) {
    case ProjectionComparison::Difference::kOnlyLive:
      return "only in the live state";
    case ProjectionComparison::Difference::kOnlyRebuilt:
      return "missing from the live state (the events make it)";
    case ProjectionComparison::Difference::kValue:
      return "values differ";
    case ProjectionComparison::Difference::kNone:
      break;
  }
  return "";
}

void PrintStats(std::ostream& out, const projections::RebuildStats& s, std::uint64_t head) {
  out << "replayed " << s.events_scanned << " events (" << s.events_folded
      << " folded) of head seq " << head << " in " << s.seconds << " s ("
      << static_cast<std::uint64_t>(s.EventsPerSecond()) << " events/s)";
  if (s.events_included != s.events_scanned) {
    out << "; " << s.events_included << " within --as-of";
  }
  out << "; checkpoint seq " << s.last_seq << "\n";
}

int RunReplay(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  std::string error;
  auto args = Args::Parse(argv, {"ledger", "until-seq", "as-of", "scratch"}, {"json"}, &error);
  if (args && !args->Has("ledger")) error = "--ledger DIR is required";
  if (args && error.empty() && !args->positionals().empty()) {
    error = "unexpected argument \"" + args->positionals()[0] + "\"";
  }
  if (args && error.empty() && args->Has("until-seq") && args->Has("as-of")) {
    error = "give --until-seq or --as-of, not both";
  }
  projections::RebuildOptions options;
  if (args && error.empty()) {
    if (auto v = args->Get("until-seq")) {
      auto n = ParseUint(*v);
      if (!n || *n == 0) {
        error = "--until-seq: expected a sequence number from 1, got \"" + *v + "\"";
      } else {
        options.until_seq = *n;
      }
    }
    if (auto v = args->Get("as-of")) {
      auto at = domain::ParseRfc3339(*v);
      if (!at.ok()) {
        error = "--as-of: " + at.status().message();
      } else {
        options.as_of_us = at->micros_since_epoch;
      }
    }
    if (auto v = args->Get("scratch")) options.scratch_dir = *v;
  }
  if (!error.empty()) {
    err << "antrean replay: " << error << "\n\n" << kReplayUsage;
    return kExitUsage;
  }
  const bool as_json = args->Has("json");
  const bool time_travel = args->Has("until-seq") || args->Has("as-of");

  store::Ledger::Options open;
  open.read_only = true;
  open.create_if_missing = false;
  auto ledger = store::Ledger::Open(*args->Get("ledger"), open);
  if (!ledger.ok()) {
    err << "antrean replay: " << ledger.status().ToString() << "\n";
    return kExitError;
  }
  // A ledger last written by a version of state layout 1 holds the same rows under other keys;
  // compared as they are, every phone and person would differ.
  if (!time_travel) {
    auto old = projections::NeedsStateUpgrade(**ledger);
    if (!old.ok()) {
      err << "antrean replay: " << old.status().ToString() << "\n";
      return kExitError;
    }
    if (*old) {
      err << "antrean replay: the live state is of layout 1 (the detection's fx/p/ and fx/i/ "
             "rows): `antrean serve` or `antrean ingest` moves them into the ph/ and pe/ rows "
             "when it next opens the ledger; replay compares the state after that\n";
      return kExitError;
    }
  }
  const std::uint64_t head = (*ledger)->GetHead().seq;
  auto rebuilt = projections::Rebuild(**ledger, options);
  if (!rebuilt.ok()) {
    err << "antrean replay: " << rebuilt.status().ToString() << "\n";
    return rebuilt.status().code() == Status::Code::kCorruption ? kExitFailed : kExitError;
  }

  if (time_travel) {
    auto digests = projections::Digest(*rebuilt->state);
    if (!digests.ok()) {
      err << "antrean replay: " << digests.status().ToString() << "\n";
      return kExitError;
    }
    if (as_json) {
      json::object o = StatsJson(rebuilt->stats);
      o["head_seq"] = head;
      if (options.until_seq != 0) o["until_seq"] = options.until_seq;
      if (auto v = args->Get("as-of")) o["as_of"] = *v;
      json::array ps;
      for (const auto& [name, d] : *digests) {
        json::object p = DigestJson(d);
        p["projection"] = name;
        ps.push_back(std::move(p));
      }
      o["projections"] = std::move(ps);
      out << json::serialize(o) << "\n";
    } else {
      PrintStats(out, rebuilt->stats, head);
      out << "the state as of "
          << (options.until_seq != 0 ? "seq " + std::to_string(options.until_seq)
                                     : *args->Get("as-of"))
          << ":\n";
      out << "  " << Pad("projection", 28) << Pad("rows", 10) << "digest (SHA-256)\n";
      for (const auto& [name, d] : *digests) {
        out << "  " << Pad(name, 28) << Pad(std::to_string(d.rows), 10) << ToHex(d.sha256) << "\n";
      }
    }
    return kExitOk;
  }

  auto comparison = projections::Compare(**ledger, *rebuilt->state);
  if (!comparison.ok()) {
    err << "antrean replay: " << comparison.status().ToString() << "\n";
    return kExitError;
  }
  const auto& cmp = *comparison;
  if (as_json) {
    json::object o = StatsJson(rebuilt->stats);
    o["head_seq"] = head;
    o["identical"] = cmp.identical;
    json::array ps;
    for (const auto& c : cmp.projections) {
      json::object p{{"projection", c.projection}, {"identical", c.identical},
                     {"rows", c.rebuilt.rows},     {"digest", ToHex(c.rebuilt.sha256)},
                     {"live_rows", c.live.rows},   {"live_digest", ToHex(c.live.sha256)}};
      if (!c.identical) {
        json::object d{{"key", c.first_key}, {"kind", projections::DifferenceName(c.difference)}};
        if (c.difference != ProjectionComparison::Difference::kOnlyRebuilt)
          d["live"] = c.live_value;
        if (c.difference != ProjectionComparison::Difference::kOnlyLive) {
          d["rebuilt"] = c.rebuilt_value;
        }
        p["first_difference"] = std::move(d);
      }
      ps.push_back(std::move(p));
    }
    o["projections"] = std::move(ps);
    out << json::serialize(o) << "\n";
  } else {
    PrintStats(out, rebuilt->stats, head);
    out << "  " << Pad("projection", 28) << Pad("rows", 10) << Pad("digest (SHA-256)", 66)
        << "live state\n";
    for (const auto& c : cmp.projections) {
      out << "  " << Pad(c.projection, 28) << Pad(std::to_string(c.rebuilt.rows), 10)
          << Pad(ToHex(c.rebuilt.sha256), 66)
          << (c.identical ? "identical" : "DIFFERS (" + std::to_string(c.live.rows) + " rows)")
          << "\n";
    }
    if (cmp.identical) {
      out << "identical: the live state is exactly what the events say\n";
    }
    for (const auto& c : cmp.projections) {
      if (c.identical) continue;
      out << "DIFFERS: projection " << c.projection << ": first differing key " << c.first_key
          << ": " << DifferenceText(c) << "\n";
      if (c.difference != ProjectionComparison::Difference::kOnlyRebuilt) {
        out << "  live:    " << Clip(c.live_value) << "\n";
      }
      if (c.difference != ProjectionComparison::Difference::kOnlyLive) {
        out << "  rebuilt: " << Clip(c.rebuilt_value) << "\n";
      }
    }
  }
  return cmp.identical ? kExitOk : kExitFailed;
}

}  // namespace

std::vector<Command> ReplayCommands() {
  return {{"replay", "rebuild the state from the events and compare it with the live rows",
           kReplayUsage, &RunReplay}};
}

}  // namespace antrean::cli
