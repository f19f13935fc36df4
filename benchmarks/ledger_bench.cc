// Ledger benchmark (issue: ledger core). Prints our figures beside plain RocksDB measured in the
// same run on the same disk, then a summary with the ratios. Not a test: nothing is asserted.
//
//   build/benchmarks/ledger_bench [--dir DIR] [--verify-events N] [--gather-us N]
//                                 [google-benchmark flags]
//
// Concurrent appenders are measured two ways: as OS threads each blocking in Append (what plain
// RocksDB's synced Put needs), and as appends in flight through AppendAsync (how the service
// appends); both are printed beside plain RocksDB's synced Put from the same number of threads.
//
// Figures and the exact command we ran are in benchmarks/README.md.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "store/ledger.h"

namespace {

namespace fs = std::filesystem;
using antrean::store::AppendRequest;
using antrean::store::Ledger;
using antrean::store::NewEvent;

std::string g_dir = "var/bench";
std::uint64_t g_verify_events = 1'000'000;
constexpr std::size_t kPayloadBytes = 200;  // + envelope and keys: ~300 bytes stored per event

// An event of about 300 bytes, shaped like a booking: three index keys and a JSON payload.
NewEvent SampleEvent(std::uint64_t n) {
  NewEvent e;
  e.type = "booking_code_issued.v1";
  e.keys = {"code:K" + std::to_string(n), "phone:62812" + std::to_string(10'000'000 + n % 9'000'000),
            "day:bogor|2026-03-04"};
  std::string payload = "{\"code\":\"K" + std::to_string(n) + "\",\"office\":\"bogor\",\"note\":\"";
  payload.append(kPayloadBytes - payload.size() - 2, 'x');
  payload += "\"}";
  e.payload = std::move(payload);
  return e;
}

std::string Fresh(const std::string& name) {
  fs::path p = fs::path(g_dir) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p.string();
}

// The group-commit gather window under test (--gather-us; Ledger::Options::sync_gather_micros).
std::int64_t g_gather_us = Ledger::Options{}.sync_gather_micros;

std::unique_ptr<Ledger> OpenLedger(const std::string& dir) {
  Ledger::Options options;
  options.sync_gather_micros = g_gather_us;
  auto l = Ledger::Open(dir, options);
  if (!l.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), l.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(l).value();
}

// ---- Durable appends: our group commit -----------------------------------------------------------
std::unique_ptr<Ledger> g_append_ledger;
std::atomic<std::uint64_t> g_counter{0};

void BM_LedgerAppend(benchmark::State& state) {
  if (state.thread_index() == 0) g_append_ledger = OpenLedger(Fresh("append"));
  for (auto _ : state) {
    AppendRequest req;
    req.events.push_back(SampleEvent(g_counter.fetch_add(1)));
    auto r = g_append_ledger->Append(std::move(req));
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Every thread has left the loop (the framework waits for all before the teardown).
    auto st = g_append_ledger->GetStats();
    state.counters["events_per_sync"] =
        st.groups ? static_cast<double>(st.events) / static_cast<double>(st.groups) : 0;
    state.counters["sync_us"] =
        st.groups ? static_cast<double>(st.write_micros) / static_cast<double>(st.groups) : 0;
    g_append_ledger.reset();
  }
}

// ---- Durable appends: concurrent appenders as in-flight AppendAsync requests -------------------------
// How the service uses the ledger: N appenders, each with one append in flight, issuing its next
// from the previous one's completion. No OS thread per appender, so no scheduling of 64 threads
// on 2 cores between fsyncs.
void BM_LedgerAppendAsync(benchmark::State& state) {
  const auto appenders = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t total = appenders == 1 ? 5'000 : 200'000;
  auto ledger = OpenLedger(Fresh("append-async"));
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t issued = 0, done = 0;
    bool failed = false;
    std::function<void()> issue;
    issue = [&] {
      AppendRequest req;
      req.events.push_back(SampleEvent(g_counter.fetch_add(1)));
      ledger->AppendAsync(std::move(req), [&](antrean::Result<antrean::store::AppendResult> r) {
        std::lock_guard lk(mu);
        failed = failed || !r.ok();
        ++done;
        if (issued < total) {
          ++issued;
          issue();
        }
        // Only the last completion wakes the waiting thread: a notify per completion is a futex
        // wake and a thread switch per append, a cost of this harness, not of the ledger.
        if (done == total) cv.notify_one();
      });
    };
    const auto start = std::chrono::steady_clock::now();
    {
      std::lock_guard lk(mu);
      for (std::uint64_t i = 0; i < appenders; ++i) {
        ++issued;
        issue();
      }
    }
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return done == total; });
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (failed) state.SkipWithError("an append failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
  auto st = ledger->GetStats();
  state.counters["events_per_sync"] =
      st.groups ? static_cast<double>(st.events) / static_cast<double>(st.groups) : 0;
}

// ---- Durable appends: plain RocksDB, synced Put ----------------------------------------------------
rocksdb::DB* g_rocks = nullptr;

rocksdb::DB* OpenRocks(const std::string& dir) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.IncreaseParallelism(2);
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "rocksdb open: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return db;
}

void BM_RocksSyncPut(benchmark::State& state) {
  if (state.thread_index() == 0) g_rocks = OpenRocks(Fresh("rocks-put"));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const std::string value(300, 'v');
  for (auto _ : state) {
    char key[16];
    std::uint64_t n = g_counter.fetch_add(1);
    for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(n >> (56 - 8 * i));
    auto s = g_rocks->Put(wo, rocksdb::Slice(key, 8), value);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete g_rocks;
    g_rocks = nullptr;
  }
}

// ---- Verify and sequential reads over a prepared ledger ---------------------------------------------
std::string g_prepared;

const std::string& Prepared() {
  if (!g_prepared.empty()) return g_prepared;
  g_prepared = Fresh("prepared");
  auto l = OpenLedger(g_prepared);
  for (std::uint64_t n = 0; n < g_verify_events;) {
    AppendRequest req;
    for (std::size_t i = 0; i < antrean::store::kAppendEventsMax && n < g_verify_events; ++i, ++n) {
      req.events.push_back(SampleEvent(n));
    }
    if (auto r = l->Append(std::move(req)); !r.ok()) {
      std::fprintf(stderr, "prepare: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
  }
  return g_prepared;
}

std::unique_ptr<Ledger> OpenPreparedReadOnly() {
  Ledger::Options o;
  o.read_only = true;
  auto l = Ledger::Open(Prepared(), o);
  if (!l.ok()) std::exit(1);
  return std::move(l).value();
}

void BM_LedgerVerify(benchmark::State& state) {
  auto l = OpenPreparedReadOnly();
  for (auto _ : state) {
    auto r = l->Verify({});
    if (!r.ok() || !r->ok) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(g_verify_events));
}

void BM_LedgerScan(benchmark::State& state) {
  auto l = OpenPreparedReadOnly();
  for (auto _ : state) {
    std::uint64_t bytes = 0;
    auto s = l->Scan(1, ~std::uint64_t{0}, [&](const antrean::store::EventView& v) {
      bytes += v.payload.size();
      return true;
    });
    benchmark::DoNotOptimize(bytes);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(g_verify_events));
}

// Plain RocksDB: a sequential iterator over the same events column family, touching each value.
void BM_RocksScan(benchmark::State& state) {
  rocksdb::DBOptions dbo;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"events", {}}, {"index", {}}, {"idempotency", {}},
      {"state", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(dbo, Prepared(), cfs, &handles, &db).ok()) std::exit(1);
  for (auto _ : state) {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 2 * 1024 * 1024;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[1]));
    std::uint64_t bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->value().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(g_verify_events));
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

BENCHMARK(BM_LedgerAppend)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_LedgerAppendAsync)->Arg(1)->Arg(8)->Arg(64)->Iterations(1)->UseManualTime();
BENCHMARK(BM_RocksSyncPut)->Threads(1)->Threads(8)->Threads(64)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_LedgerVerify)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_LedgerScan)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_RocksScan)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// Collects items/s per benchmark name while still printing the usual console table.
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> rate;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rate[r.benchmark_name()] = it->second;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

void Row(const Collector& c, const char* what, const std::string& ours, const std::string& plain) {
  auto find = [&](const std::string& name) {
    auto it = c.rate.find(name);
    return it == c.rate.end() ? 0.0 : it->second;
  };
  double a = find(ours), b = find(plain);
  std::printf("%-34s %14.0f %14.0f %8.2fx\n", what, a, b, b > 0 ? a / b : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      g_dir = argv[++i];
    } else if (a == "--gather-us" && i + 1 < argc) {
      g_gather_us = std::stoll(argv[++i]);
    } else if (a == "--verify-events" && i + 1 < argc) {
      g_verify_events = std::stoull(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  std::printf("group-commit gather window: %lld us\n", static_cast<long long>(g_gather_us));
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  std::printf("\n%-34s %14s %14s %9s\n", "figure (per second)", "antrean", "plain RocksDB", "ratio");
  for (const char* t : {"1", "8", "64"}) {
    std::string suffix = std::string("/min_time:3.000/real_time/threads:") + t;
    Row(collector, (std::string("durable appends, ") + t + " threads").c_str(),
        "BM_LedgerAppend" + suffix, "BM_RocksSyncPut" + suffix);
  }
  for (const char* k : {"1", "8", "64"}) {
    Row(collector, (std::string("durable appends, ") + k + " async in flight").c_str(),
        std::string("BM_LedgerAppendAsync/") + k + "/iterations:1/manual_time",
        std::string("BM_RocksSyncPut/min_time:3.000/real_time/threads:") + k);
  }
  Row(collector, "verify events (vs raw scan)", "BM_LedgerVerify/min_time:2.000/real_time",
      "BM_RocksScan/min_time:2.000/real_time");
  Row(collector, "sequential read events (vs raw)", "BM_LedgerScan/min_time:2.000/real_time",
      "BM_RocksScan/min_time:2.000/real_time");
  benchmark::Shutdown();
  return 0;
}
