// Forensics benchmark (issue: calo and joki forensics). What detection costs, and how fast the
// auditor's list answers, over a simulated stream of national traffic:
//
//   (a) ingest the stream with detection OFF into a fresh ledger (app::Service::Options::detect),
//   (b) ingest the same stream with detection ON into another fresh ledger — both exactly as
//       `antrean ingest` does: each line parsed with app::ParseCommand, submitted to the service
//       with at most 8192 in flight, its result line built with app::ResultJson. Commands/s,
//       events/s, and the cost of detection: 1 - on/off.
//   (c) plain RocksDB: every event of (b) (type + payload bytes, read back from that ledger) put
//       under its 8-byte sequence number in WriteBatches of 1000 written with sync=true: the
//       storage floor for the same bytes.
//   (d) the auditor's list over (b)'s whole ledger, opened read-only as `antrean audit` does:
//       app::QueryAudit with its defaults (the top 100, 10 evidence events each), with every flag
//       shown, and for one office; each timed over 3 runs.
//
//   antrean simulate --offices 120 --days 365 --seed 7 --config-out var/bench/year-offices.json
//       --out var/bench/year.jsonl --truth var/bench/year-truth.jsonl --secrets
//       var/bench/secrets.json
//   build/benchmarks/forensics_bench --stream var/bench/year.jsonl
//       --config var/bench/year-offices.json --secrets var/bench/secrets.json --dir var/bench
//
// Not a test: nothing is asserted. Figures and the exact commands: benchmarks/README.md.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/queries.h"
#include "app/result_json.h"
#include "app/secrets.h"
#include "app/service.h"
#include "benchmarks/cpu_time.h"
#include "domain/office_config.h"
#include "store/ledger.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace antrean;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kInFlightMax = 8192;  // as `antrean ingest`
constexpr std::size_t kRocksBatchEvents = 1000;
constexpr int kAuditRuns = 3;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "forensics_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Options {
  std::string stream;
  std::string config;
  std::string secrets = "var/secrets.json";
  std::string dir = "var/bench";
  bool keep = false;
  int rounds = 1;    // off then on, this many times: the figures are the medians
  std::string only;  // "off" or "on": that phase alone, once (for profiling)
};

struct IngestFigures {
  std::uint64_t commands = 0;
  std::uint64_t refused = 0;
  std::uint64_t events = 0;
  double seconds = 0;
  // CPU time of the whole process (user + system, every thread: the service's, the ledger's and
  // RocksDB's background work) from opening the ledger to closing it. On a shared machine this is
  // the steadier figure: wall time also counts waiting for cores other work holds.
  double cpu_seconds = 0;
  std::uint64_t syncs = 0;        // the ledger's group commits (fsyncs)
  std::uint64_t sync_micros = 0;  // time spent in them
  std::uint64_t batches = 0;      // the ledger's write batches (its writer's groups)
};

// `antrean ingest` of the stream, with detection on or off.
IngestFigures Ingest(const Options& o, const std::string& dir, bool detect) {
  auto offices = domain::LoadOfficeDirectoryFile(o.config);
  if (!offices.ok()) Die(offices.status().ToString());
  auto secrets = app::LoadSecrets(o.secrets);
  if (!secrets.ok()) Die(secrets.status().ToString());
  fs::remove_all(dir);
  fs::create_directories(fs::path(dir).parent_path());
  const double cpu0 = bench::SelfCpuSeconds();
  const auto threads0 = bench::ThreadCpuSeconds();
  auto ledger = store::Ledger::Open(dir, {});
  if (!ledger.ok()) Die("open " + dir + ": " + ledger.status().ToString());
  std::ifstream in(o.stream);
  if (!in) Die("cannot read " + o.stream);

  IngestFigures f;
  std::mutex mu;
  std::condition_variable cv;
  std::size_t in_flight = 0;
  std::uint64_t result_bytes = 0;  // the result lines are built, as ingest does, and counted
  const auto t0 = Clock::now();
  {
    app::Service service(**ledger, std::move(offices).value(),
                         app::Service::Options{secrets->booking_code_key, detect});
    std::string line;
    for (std::uint64_t n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      ++f.commands;
      auto command = app::ParseCommand(line);
      if (!command.ok()) Die("line " + std::to_string(n) + ": " + command.status().ToString());
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return in_flight < kInFlightMax; });
        ++in_flight;
      }
      const std::string type(app::CommandTypeName(*command));
      service.Submit(*command, [&, n, type](app::CommandResult r) {
        const std::size_t bytes = json::serialize(app::ResultJson(n, type, r)).size();
        std::lock_guard lk(mu);
        result_bytes += bytes;
        if (!r.status.ok()) ++f.refused;
        f.events += r.events.size();
        --in_flight;
        cv.notify_all();
      });
    }
    service.Drain();
  }
  f.seconds = Seconds(Clock::now() - t0);
  const store::LedgerStats stats = (*ledger)->GetStats();
  f.syncs = stats.groups;
  f.sync_micros = stats.write_micros;
  f.batches = stats.batches;
  // Per thread, before Close stops the ledger's own: where the phase's CPU went.
  std::string per_thread;
  for (const auto& [name, seconds] : bench::ThreadCpuSeconds()) {
    const auto before = threads0.find(name);
    const double spent = seconds - (before == threads0.end() ? 0.0 : before->second);
    if (spent < 0.005) continue;
    char item[96];
    std::snprintf(item, sizeof item, "%s%s %.2f", per_thread.empty() ? "" : ", ", name.c_str(),
                  spent);
    per_thread += item;
  }
  (*ledger)->Close();
  f.cpu_seconds = bench::SelfCpuSeconds() - cpu0;
  std::printf(
      "  %s: %llu commands (%llu refused), %llu events, %.2f s, %.2f CPU s, %llu fsyncs (%.0f us "
      "each, %.1f events each), %llu write batches; %llu bytes of results\n",
      detect ? "on " : "off", static_cast<unsigned long long>(f.commands),
      static_cast<unsigned long long>(f.refused), static_cast<unsigned long long>(f.events),
      f.seconds, f.cpu_seconds, static_cast<unsigned long long>(f.syncs),
      f.syncs > 0 ? static_cast<double>(f.sync_micros) / static_cast<double>(f.syncs) : 0.0,
      f.syncs > 0 ? static_cast<double>(f.events) / static_cast<double>(f.syncs) : 0.0,
      static_cast<unsigned long long>(f.batches), static_cast<unsigned long long>(result_bytes));
  std::printf("       CPU s per thread: %s\n", per_thread.c_str());
  std::fflush(stdout);
  return f;
}

struct PlainFigures {
  std::uint64_t values = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
};

// Every event of `ledger_dir`, as plain key-values with sync writes of kRocksBatchEvents.
PlainFigures PlainRocks(const std::string& ledger_dir, const std::string& dir) {
  store::Ledger::Options lo;
  lo.read_only = true;
  auto ledger = store::Ledger::Open(ledger_dir, lo);
  if (!ledger.ok()) Die("open " + ledger_dir + ": " + ledger.status().ToString());
  std::vector<std::string> values;
  const std::uint64_t head = (*ledger)->GetHead().seq;
  values.reserve(head);
  Status scanned = (*ledger)->Scan(1, head, [&](const store::EventView& v) {
    values.push_back(std::string(v.type) + std::string(v.payload));
    return true;
  });
  if (!scanned.ok()) Die("scan: " + scanned.ToString());
  fs::remove_all(dir);
  rocksdb::Options ro;
  ro.create_if_missing = true;
  ro.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(ro, dir, &raw); !s.ok()) Die("rocksdb open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  PlainFigures f;
  const auto t0 = Clock::now();
  rocksdb::WriteBatch batch;
  for (std::uint64_t n = 0; n < values.size(); ++n) {
    char key[8];
    for (int i = 0; i < 8; ++i) key[i] = static_cast<char>((n + 1) >> (56 - 8 * i));
    batch.Put(rocksdb::Slice(key, 8), values[n]);
    f.bytes += values[n].size();
    if (batch.Count() == kRocksBatchEvents || n + 1 == values.size()) {
      if (auto s = db->Write(wo, &batch); !s.ok()) Die("rocksdb write: " + s.ToString());
      batch.Clear();
    }
  }
  f.seconds = Seconds(Clock::now() - t0);
  f.values = values.size();
  return f;
}

// The audit's best and worst time of kAuditRuns, and what it answered.
void TimeAudit(const store::Ledger& ledger, const char* what, const app::AuditQuery& q) {
  double best = 1e9, worst = 0;
  json::object answer;
  for (int i = 0; i < kAuditRuns; ++i) {
    const auto t0 = Clock::now();
    auto a = app::QueryAudit(ledger, q);
    const double s = Seconds(Clock::now() - t0);
    if (!a.ok()) Die(std::string("audit: ") + a.status().ToString());
    best = std::min(best, s);
    worst = std::max(worst, s);
    answer = std::move(*a);
  }
  std::printf("  %-44s %8.3f s best, %8.3f s worst of %d; %s flags, %zu shown; by rule %s\n", what,
              best, worst, kAuditRuns, json::serialize(answer.at("total")).c_str(),
              answer.at("flags").as_array().size(), json::serialize(answer.at("by_rule")).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--stream")
      o.stream = value();
    else if (a == "--config")
      o.config = value();
    else if (a == "--secrets")
      o.secrets = value();
    else if (a == "--dir")
      o.dir = value();
    else if (a == "--keep")
      o.keep = true;
    else if (a == "--rounds")
      o.rounds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--only")
      o.only = value();
    else
      Die("unknown flag " + a +
          " (--stream FILE --config FILE [--secrets FILE] [--dir DIR] [--keep] [--rounds N]"
          " [--only off|on])");
  }
  if (o.stream.empty() || o.config.empty()) Die("--stream FILE and --config FILE are required");
  // Read the stream once so that both runs read it from the page cache.
  {
    std::ifstream in(o.stream, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    }
  }
  const std::string off_dir = (fs::path(o.dir) / "forensics-off").string();
  const std::string on_dir = (fs::path(o.dir) / "forensics-on").string();
  if (!o.only.empty()) {
    if (o.only != "off" && o.only != "on") Die("--only takes off or on");
    const std::string dir = o.only == "on" ? on_dir : off_dir;
    Ingest(o, dir, o.only == "on");
    if (!o.keep) fs::remove_all(dir);
    return 0;
  }
  std::printf("(a) and (b): ingest %s, detection off, then on; %d round(s)\n", o.stream.c_str(),
              o.rounds);
  // Rounds alternate the two phases, so that a change in the machine's load between them weighs
  // on both alike; each figure below is the median over the rounds.
  std::vector<IngestFigures> offs, ons;
  for (int round = 0; round < o.rounds; ++round) {
    offs.push_back(Ingest(o, off_dir, false));
    if (!o.keep || round + 1 < o.rounds) fs::remove_all(off_dir);
    ons.push_back(Ingest(o, on_dir, true));
    if (round + 1 < o.rounds) fs::remove_all(on_dir);
  }
  const auto median = [](std::vector<IngestFigures> v, double IngestFigures::*field) {
    std::sort(v.begin(), v.end(), [field](const IngestFigures& a, const IngestFigures& b) {
      return a.*field < b.*field;
    });
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2].*field : (v[n / 2 - 1].*field + v[n / 2].*field) / 2;
  };
  IngestFigures off = offs.back(), on = ons.back();
  off.seconds = median(offs, &IngestFigures::seconds);
  on.seconds = median(ons, &IngestFigures::seconds);
  off.cpu_seconds = median(offs, &IngestFigures::cpu_seconds);
  on.cpu_seconds = median(ons, &IngestFigures::cpu_seconds);
  std::printf("(c) plain RocksDB: the events of (b)\n");
  const PlainFigures plain = PlainRocks(on_dir, (fs::path(o.dir) / "forensics-rocks").string());
  if (!o.keep) fs::remove_all((fs::path(o.dir) / "forensics-rocks").string());

  std::printf("(d) the auditor's list over (b)'s ledger\n");
  {
    store::Ledger::Options lo;
    lo.read_only = true;
    const auto t0 = Clock::now();
    auto ledger = store::Ledger::Open(on_dir, lo);
    if (!ledger.ok()) Die("open " + on_dir + ": " + ledger.status().ToString());
    std::printf("  %-44s %8.3f s\n", "opening the ledger read-only", Seconds(Clock::now() - t0));
    app::AuditQuery q;
    TimeAudit(**ledger, "audit (top 100, 10 evidence events each)", q);
    app::AuditQuery all;
    all.limit = app::kAuditLimitMax;
    TimeAudit(**ledger, "audit --limit 100000 (every flag)", all);
    auto offices = domain::LoadOfficeDirectoryFile(o.config);
    if (offices.ok() && !offices->offices().empty()) {
      app::AuditQuery one;
      one.office = offices->offices().front().id;
      TimeAudit(**ledger, ("audit --office " + *one.office).c_str(), one);
    }
  }
  if (!o.keep) fs::remove_all(on_dir);

  const auto per_s = [](std::uint64_t n, double s) {
    return s > 0 ? static_cast<double>(n) / s : 0;
  };
  std::printf("\n%-34s %14s %14s %14s\n", "figure (per second)", "detection off", "detection on",
              "plain RocksDB");
  std::printf("%-34s %14.0f %14.0f %14s\n", "commands/s", per_s(off.commands, off.seconds),
              per_s(on.commands, on.seconds), "-");
  std::printf("%-34s %14.0f %14.0f %14.0f\n", "events/s", per_s(off.events, off.seconds),
              per_s(on.events, on.seconds), per_s(plain.values, plain.seconds));
  std::printf(
      "events: %llu without detection, %llu with (%llu flags and automatic blacklistings)\n",
      static_cast<unsigned long long>(off.events), static_cast<unsigned long long>(on.events),
      static_cast<unsigned long long>(on.events - off.events));
  const double cost = 1.0 - per_s(on.commands, on.seconds) / per_s(off.commands, off.seconds);
  std::printf("cost of detection: %.1f%% of ingest throughput (target: at most 20%%)\n",
              100 * cost);
  std::printf("CPU seconds (whole process): %.2f off, %.2f on; cost in CPU: %.1f%%\n",
              off.cpu_seconds, on.cpu_seconds, 100 * (1.0 - off.cpu_seconds / on.cpu_seconds));
  if (o.rounds > 1) {
    std::printf("per round, off -> on:");
    for (std::size_t i = 0; i < offs.size(); ++i) {
      std::printf(" %.0f -> %.0f/s (%.2f -> %.2f CPU s)%s",
                  per_s(offs[i].commands, offs[i].seconds), per_s(ons[i].commands, ons[i].seconds),
                  offs[i].cpu_seconds, ons[i].cpu_seconds, i + 1 < offs.size() ? ";" : "\n");
    }
  }
  return 0;
}
