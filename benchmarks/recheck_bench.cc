// Recheck benchmark: how fast `antrean recheck` decides a ledger's commands again and compares
// them with the record (app/recheck.h), beside plain RocksDB on the same disk in the same run:
//
//   (a) app::Recheck over the whole ledger, as `antrean recheck` runs it: events and commands per
//       second, peak memory (VmHWM).
//   (b) plain RocksDB, reading: a sequential iterator over the same ledger's `events` column
//       family (the floor of reading the record once).
//   (c) plain RocksDB, writing: every event's bytes read in (b) put under its 8-byte key in
//       WriteBatches of 1000 written with sync=true into a fresh database (the floor of writing
//       what recheck's scratch ledger writes, without its index entries, state rows or hashes).
//
// The ledger must have been written by the service with the key given, e.g.:
//
//   export ANTREAN_BOOKING_CODE_KEY=recheck-bench-booking-code-key-0123456789
//   antrean simulate --offices 20 --days 60 --seed 7 --start 2026-01-05
//       --config-out var/bench/rc/offices.json --out var/bench/rc/stream.jsonl
//       --truth var/bench/rc/truth.jsonl
//   antrean ingest --ledger var/bench/rc/ledger --config var/bench/rc/offices.json
//       var/bench/rc/stream.jsonl > /dev/null
//   build/benchmarks/recheck_bench --ledger var/bench/rc/ledger --scratch var/bench/rc
//
// Not a test: nothing is asserted. Figures and the exact commands: benchmarks/README.md.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/recheck.h"
#include "app/secrets.h"
#include "common/scratch_dir.h"
#include "store/ledger.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace antrean;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "recheck_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

struct Plain {
  std::uint64_t events = 0;
  double read_seconds = 0;
  double write_seconds = 0;
};

// (b) and (c): the events read with a plain iterator, then written with plain synced batches.
Plain PlainRocksDb(const std::string& ledger_dir, const std::string& scratch) {
  Plain p;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                      {"events", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), ledger_dir, cfs, &handles, &raw),
        "opening the ledger read-only");
  std::vector<std::pair<std::string, std::string>> events;
  auto start = Clock::now();
  {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 2 * 1024 * 1024;
    std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(ro, handles[1]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      events.emplace_back(it->key().ToString(), it->value().ToString());
    }
    Check(it->status(), "scanning");
  }
  p.read_seconds = Seconds(start);
  p.events = events.size();
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;

  auto dir = MakeScratchDir(scratch, "recheck-bench-plain");
  if (!dir.ok()) Die(dir.status().ToString());
  const ScratchDirRemover remover(*dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::DB* out = nullptr;
  Check(rocksdb::DB::Open(options, *dir + "/db", &out), "opening the plain database");
  std::unique_ptr<rocksdb::DB> db(out);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  start = Clock::now();
  for (std::size_t i = 0; i < events.size(); i += 1000) {
    rocksdb::WriteBatch batch;
    for (std::size_t j = i; j < std::min(events.size(), i + 1000); ++j) {
      batch.Put(events[j].first, events[j].second);
    }
    Check(db->Write(wo, &batch), "writing");
  }
  p.write_seconds = Seconds(start);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ledger_dir, scratch, secrets_path = "var/secrets.json";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--ledger") {
      ledger_dir = next();
    } else if (a == "--scratch") {
      scratch = next();
    } else if (a == "--secrets") {
      secrets_path = next();
    } else {
      Die("usage: recheck_bench --ledger DIR [--scratch DIR] [--secrets FILE]");
    }
  }
  if (ledger_dir.empty()) Die("--ledger DIR is required");
  auto secrets = app::LoadSecrets(secrets_path);
  if (!secrets.ok()) Die(secrets.status().ToString());

  std::uint64_t head = 0;
  app::RecheckReport report;
  {
    store::Ledger::Options open;
    open.read_only = true;
    open.create_if_missing = false;
    open.block_cache_bytes = app::kRecheckRecordCacheBytes;  // as `antrean recheck` opens it
    auto ledger = store::Ledger::Open(ledger_dir, open);
    if (!ledger.ok()) Die(ledger.status().ToString());
    head = (*ledger)->GetHead().seq;
    app::RecheckOptions options;
    options.code_key = secrets->booking_code_key;
    options.scratch_dir = scratch;
    auto r = app::Recheck(**ledger, options);
    if (!r.ok()) Die(r.status().ToString());
    report = *r;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);  // ru_maxrss: the peak resident set (VmHWM), in KiB
  const Plain plain = PlainRocksDb(ledger_dir, scratch);

  const double ours = report.EventsPerSecond();
  const auto rate = [](std::uint64_t n, double s) {
    return s > 0 ? static_cast<double>(n) / s : 0;
  };
  const double read = rate(plain.events, plain.read_seconds);
  const double write = rate(plain.events, plain.write_seconds);
  std::printf("ledger: %llu events; recheck: %s, %llu events checked, %llu commands, %.2f s\n",
              static_cast<unsigned long long>(head),
              report.explained() ? "every event explained" : "a difference",
              static_cast<unsigned long long>(report.events_checked),
              static_cast<unsigned long long>(report.commands), report.seconds);
  if (!report.explained()) {
    std::printf("  first difference at seq %llu: %s\n",
                static_cast<unsigned long long>(report.difference->seq),
                report.difference->what.c_str());
  }
  std::printf("peak memory of the recheck (VmHWM): %.0f MiB\n",
              static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::printf("| figure (per second) | antrean recheck | plain RocksDB | ratio |\n");
  std::printf("|---|---:|---:|---:|\n");
  std::printf("| events, against a sequential scan | %.0f | %.0f | %.3fx |\n", ours, read,
              read > 0 ? ours / read : 0);
  std::printf("| events, against synced batches of 1000 | %.0f | %.0f | %.3fx |\n", ours, write,
              write > 0 ? ours / write : 0);
  std::printf("| commands | %.0f | | |\n", rate(report.commands, report.seconds));
  return 0;
}
