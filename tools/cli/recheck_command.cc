// recheck: every decision in the ledger made again and compared with the record (app/recheck.h).
// Opens the ledger read-only, so it runs beside a live service.
#include <boost/json.hpp>
#include <ostream>

#include "app/recheck.h"
#include "app/secrets.h"
#include "store/ledger.h"
#include "tools/cli/command.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;

constexpr char kRecheckUsage[] =
    "usage: antrean recheck --ledger DIR [--secrets FILE] [--until-seq N] [--scratch DIR]\n"
    "                       [--json]\n"
    "\n"
    "Decides every recorded command again and checks that the rules give exactly the\n"
    "recorded events. The commands are read back from the events (a message received\n"
    "is the message, an arrival or a rejected arrival the officer's scan, ...) and\n"
    "given, in order and at their recorded times, to a fresh service on a scratch\n"
    "ledger, with the office rules the ledger recorded in force at each point and the\n"
    "booking-code key; the scratch ledger must come out the same, event by event, hash\n"
    "by hash. `verify` proves that no event changed after it was written; recheck\n"
    "proves that each was what the rules decide: a booking issued on a tampered state\n"
    "row (a person's active booking erased behind the service's back) shows here. The\n"
    "rules are this build's: a ledger written by a version whose rules changed differs\n"
    "where they changed. See docs/COMMANDS.md.\n"
    "\n"
    "  --secrets FILE  where the booking-code key is (default var/secrets.json, or\n"
    "                  ANTREAN_BOOKING_CODE_KEY): codes are decided again too\n"
    "  --until-seq N   recheck events 1..N only\n"
    "  --scratch DIR   where the scratch ledger goes (a fresh subdirectory, removed\n"
    "                  afterwards); default $TMPDIR or /tmp\n"
    "  --json          one JSON object\n"
    "\n"
    "Exit 0: every event is what the rules give. Exit 1: the first event where the\n"
    "ledger and the rules part is named, with the command and both versions of the\n"
    "event; or the record cannot be read (a missing or damaged event). Exit 2: usage.\n"
    "Exit 3: the ledger, the secrets or the scratch ledger could not be used.\n";

json::object SideJson(const app::RecheckEvent& e) {
  json::object o{
      {"type", e.type}, {"cause", e.cause_id}, {"actor", e.actor}, {"recorded_at", e.recorded_at}};
  boost::system::error_code ec;
  json::value payload = json::parse(e.payload, ec);
  o["payload"] = ec ? json::value(e.payload) : std::move(payload);
  return o;
}

void PrintSide(std::ostream& out, std::string_view label, const app::RecheckEvent& e) {
  out << "  " << label << e.type << " (cause \"" << e.cause_id << "\"";
  if (!e.actor.empty()) out << " by \"" << e.actor << "\"";
  // A terminal line, not the record: --json has the whole payload.
  constexpr std::size_t kShown = 400;
  out << ", at " << e.recorded_at << ")\n      " << e.payload.substr(0, kShown)
      << (e.payload.size() > kShown ? "..." : "") << "\n";
}

int RunRecheck(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "recheck", kRecheckUsage,
                           {"ledger", "secrets", "until-seq", "scratch"}, {"json"}, err);
  if (!args) return kExitUsage;
  app::RecheckOptions options;
  if (auto v = args->Get("until-seq")) {
    auto n = ParseUint(*v);
    if (!n || *n == 0) {
      err << "antrean recheck: --until-seq: expected a sequence number from 1, got \"" << *v
          << "\"\n\n"
          << kRecheckUsage;
      return kExitUsage;
    }
    options.until_seq = *n;
  }
  if (auto v = args->Get("scratch")) options.scratch_dir = *v;
  auto secrets = app::LoadSecrets(args->Get("secrets").value_or("var/secrets.json"));
  if (!secrets.ok()) {
    err << "antrean recheck: " << secrets.status().message() << "\n";
    return kExitError;
  }
  options.code_key = secrets->booking_code_key;
  store::Ledger::Options open;
  open.read_only = true;  // beside a live service, without its lock
  open.create_if_missing = false;
  open.block_cache_bytes = app::kRecheckRecordCacheBytes;
  auto ledger = store::Ledger::Open(*args->Get("ledger"), open);
  if (!ledger.ok()) {
    err << "antrean recheck: " << ledger.status().ToString() << "\n";
    return kExitError;
  }
  auto report = app::Recheck(**ledger, options);
  if (!report.ok()) {
    // A record that cannot be read (a hole, a damaged record) is a finding, as for replay.
    err << "antrean recheck: " << report.status().ToString() << "\n";
    return report.status().code() == Status::Code::kCorruption ? kExitFailed : kExitError;
  }
  const app::RecheckReport& r = *report;
  if (args->Has("json")) {
    json::object o{{"explained", r.explained()},
                   {"last_seq", r.last_seq},
                   {"events_checked", r.events_checked},
                   {"commands", r.commands},
                   {"seconds", r.seconds},
                   {"events_per_second", r.EventsPerSecond()}};
    if (r.difference) {
      const app::RecheckDifference& d = *r.difference;
      json::object diff{{"seq", d.seq}, {"what", d.what}};
      if (!d.command.empty()) {
        diff["command"] = d.command;
        diff["command_seq"] = d.command_seq;
      }
      diff["recorded"] = d.recorded ? json::value(SideJson(*d.recorded)) : json::value(nullptr);
      diff["decided"] = d.decided ? json::value(SideJson(*d.decided)) : json::value(nullptr);
      o["difference"] = std::move(diff);
    }
    out << json::serialize(o) << "\n";
  } else {
    if (r.difference) {
      const app::RecheckDifference& d = *r.difference;
      out << "seq " << d.seq << ": " << d.what << "\n";
      if (!d.command.empty()) {
        out << "  the command decided again (its events from seq " << d.command_seq
            << "): " << d.command << "\n";
      }
      if (d.recorded) PrintSide(out, "the ledger records: ", *d.recorded);
      if (d.decided) PrintSide(out, "the rules give:     ", *d.decided);
    }
    out << "rechecked " << r.events_checked << " of " << r.last_seq << " events (" << r.commands
        << " commands decided again) in " << r.seconds << " s ("
        << static_cast<std::uint64_t>(r.EventsPerSecond()) << " events/s): "
        << (r.explained() ? "every event is what the rules give"
                          : "the first difference is at seq " + std::to_string(r.difference->seq))
        << "\n";
  }
  return r.explained() ? kExitOk : kExitFailed;
}

}  // namespace

std::vector<Command> RecheckCommands() {
  return {{"recheck", "decide every recorded command again and compare with the ledger",
           kRecheckUsage, &RunRecheck}};
}

}  // namespace antrean::cli
