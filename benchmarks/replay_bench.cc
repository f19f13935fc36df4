// Replay benchmark (issue: the counter and the replay). On a ledger of --events N events (default
// ten million), measures in one run:
//   - reopening the ledger read-write (head + tail check): target under 2 s;
//   - a full rebuild of every projection from seq 1 (projections::Rebuild), events/s and peak
//     memory, beside plain RocksDB's sequential scan of the same events column family;
//   - the lookup of a phone with about a thousand events, from the index.
//
//   build/benchmarks/replay_bench [--dir DIR] [--events N] [--keep]
//
// The ledger is written once with raw appends of realistic events (registrations, replies,
// arrivals, forfeits, expiries, documents) so that preparing ten million events takes about a
// minute rather than the time of deciding them; --keep reuses it. Its rows of live state are not
// written, so this measures the rebuild, not the comparison (tests prove rebuilt == live).
// Figures and the exact command are in benchmarks/README.md.
#include <rocksdb/db.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/booking_code.h"
#include "events/codec.h"
#include "events/event_types.h"
#include "events/keys.h"
#include "projections/replay.h"
#include "store/ledger.h"

namespace {

namespace fs = std::filesystem;
using namespace antrean;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Peak and current resident memory, MiB, from /proc/self/status.
std::pair<double, double> MemoryMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  double hwm = 0, rss = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
  }
  return {hwm, rss};
}

// Resets VmHWM so that the rebuild's peak is not the preparation's (Linux: clear_refs 5).
void ResetPeakMemory() { std::ofstream("/proc/self/clear_refs") << "5"; }

constexpr int kOffices = 100;
constexpr char kKey[] = "replay-bench-booking-code-key";
// One phone that sends #syarat again and again: the heavy stream the lookup reads.
constexpr char kHeavyPhone[] = "6281999999999";
constexpr int kHeavyMessages = 340;  // x3 events each: ~1000 events under phone:kHeavyPhone

std::string Two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// The events of booking n: message, code, reply, and what happened at the counter.
void BookingEvents(std::uint64_t n, std::vector<events::Event>* out) {
  const std::string office = "office-" + std::to_string(n % kOffices);
  const int day = static_cast<int>(n / 15000);  // ~150 a day per office
  const std::string date = "2026-" + Two(1 + day / 28 % 12) + "-" + Two(1 + day % 28);
  const std::string session = n % 3 == 0 ? "08:00" : n % 3 == 1 ? "10:00" : "13:00";
  const std::string arrive_by = date + "T" + (n % 3 == 0 ? "07:30" : n % 3 == 1 ? "09:30" : "12:30") +
                                ":00+07:00";
  const std::string phone = "62812" + std::to_string(10'000'000 + n);
  const std::string msg = "wamid.bench." + std::to_string(n);
  const std::string code = app::DeriveBookingCode(kKey, office, date,
                                                  static_cast<std::uint32_t>(n % 150 + 1), 0);
  const std::string name = "PEMOHON " + std::to_string(n);
  out->push_back(events::MessageReceived{msg, office, phone, {}, {}, "text",
                                         "#" + name + "#25011987#" + date, {},
                                         date + "T06:00:00+07:00", "whatsapp"});
  out->push_back(events::BookingCodeIssued{code, office, date, session, arrive_by,
                                           static_cast<std::uint32_t>(n % 150 + 1), name,
                                           "1987-01-25", phone, "owner", msg});
  out->push_back(events::ReplyQueued{msg + "/reply", office, phone, "Kode booking: " + code, msg});
  const std::string at = date + "T07:00:00+07:00";
  switch (n % 20) {
    case 0:
      out->push_back(events::BookingExpired{code, office, date, arrive_by, date + "T23:00:00+07:00",
                                            phone});
      break;
    case 1:
      out->push_back(events::BookingForfeited{code, office, date, "late",
                                              date + "T13:00:00+07:00", arrive_by, phone});
      break;
    default:
      out->push_back(events::ApplicantArrived{code, office, date, session, at, arrive_by,
                                              static_cast<std::uint32_t>(n % 150 + 1)});
      out->push_back(events::DocumentsSubmitted{code, office, date});
  }
}

void HeavyPhoneEvents(int i, std::vector<events::Event>* out) {
  const std::string msg = "wamid.heavy." + std::to_string(i);
  out->push_back(events::MessageReceived{msg, "office-0", kHeavyPhone, {}, {}, "text", "#syarat",
                                         {}, "2026-01-05T08:00:00+07:00", "whatsapp"});
  out->push_back(events::InformationRequested{msg, "office-0", kHeavyPhone, "requirements", {}});
  out->push_back(events::ReplyQueued{msg + "/reply", "office-0", kHeavyPhone, "Persyaratan", msg});
}

void Prepare(const std::string& dir, std::uint64_t target) {
  fs::remove_all(dir);
  auto ledger = store::Ledger::Open(dir, {});
  if (!ledger.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), ledger.status().ToString().c_str());
    std::exit(1);
  }
  const auto start = Clock::now();
  std::uint64_t appended = 0, booking = 0;
  int heavy = 0;
  std::vector<events::Event> batch;
  while (appended < target) {
    batch.clear();
    while (batch.size() < 1000) {
      // Spread the heavy phone's messages through the whole ledger.
      if (heavy < kHeavyMessages && booking % (target / 5 / kHeavyMessages + 1) == 0) {
        HeavyPhoneEvents(heavy++, &batch);
      }
      BookingEvents(booking++, &batch);
    }
    store::AppendRequest req;
    for (const auto& e : batch) req.events.push_back(events::ToNewEvent(e));
    req.recorded_at_us = 1'767'225'600'000'000 + static_cast<std::int64_t>(appended);
    auto r = (*ledger)->Append(std::move(req));
    if (!r.ok()) {
      std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    appended += batch.size();
  }
  std::printf("prepared %llu events (%llu bookings) in %.1f s\n",
              static_cast<unsigned long long>(appended), static_cast<unsigned long long>(booking),
              Seconds(start));
}

double RawScan(const std::string& dir, std::uint64_t* count) {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"events", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, cfs, &handles, &db).ok()) {
    std::exit(1);
  }
  const auto start = Clock::now();
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 * 1024 * 1024;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[1]));
  std::uint64_t bytes = 0;
  *count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    bytes += it->value().size();
    ++*count;
  }
  const double s = Seconds(start);
  std::printf("  (raw scan read %.1f MiB)\n", static_cast<double>(bytes) / (1 << 20));
  it.reset();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string base = "var/bench";
  std::uint64_t target = 10'000'000;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) base = argv[++i];
    else if (a == "--events" && i + 1 < argc) target = std::stoull(argv[++i]);
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: replay_bench [--dir DIR] [--events N] [--keep]\n");
      return 2;
    }
  }
  const std::string dir = base + "/replay";
  fs::create_directories(base);
  if (!keep || !fs::exists(dir)) Prepare(dir, target);

  // Reopen, read-write: what a restarted service pays before it takes writes.
  auto open_start = Clock::now();
  std::uint64_t head = 0;
  {
    auto ledger = store::Ledger::Open(dir, {});
    if (!ledger.ok()) return 1;
    head = (*ledger)->GetHead().seq;
    std::printf("reopen (read-write, tail check): %.3f s for %llu events\n", Seconds(open_start),
                static_cast<unsigned long long>(head));
  }

  store::Ledger::Options ro;
  ro.read_only = true;
  auto ledger = store::Ledger::Open(dir, ro);
  if (!ledger.ok()) return 1;

  // The phone with ~1000 events: its whole stream, newest first, in pages of 200. First on the
  // ledger just opened (its table files are opened and their index and filter blocks read as the
  // lookup reaches them), then again, as a running service answers it.
  const auto lookup = [&](const char* when) {
    auto lookup_start = Clock::now();
    std::size_t found = 0;
    for (std::uint64_t cursor = 0;;) {
      auto page = (*ledger)->ReadByKey(events::PhoneKey(kHeavyPhone), store::Order::kNewestFirst,
                                       cursor, 200);
      if (!page.ok()) return false;
      found += page->events.size();
      cursor = page->next_cursor;
      if (cursor == 0) break;
    }
    std::printf("phone lookup (%s): %zu events of one phone in %.2f ms\n", when, found,
                Seconds(lookup_start) * 1000);
    return true;
  };
  if (!lookup("first, just opened") || !lookup("again")) return 1;

  std::uint64_t raw_count = 0;
  const double raw_seconds = RawScan(dir, &raw_count);
  const double raw_rate = static_cast<double>(raw_count) / raw_seconds;

  ResetPeakMemory();
  const auto before = MemoryMiB();
  projections::RebuildOptions options;
  options.scratch_dir = base + "/replay-scratch";
  auto rebuilt = projections::Rebuild(**ledger, options);
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "rebuild: %s\n", rebuilt.status().ToString().c_str());
    return 1;
  }
  const auto after = MemoryMiB();
  const auto& st = rebuilt->stats;
  auto digest_start = Clock::now();
  auto digests = projections::Digest(*rebuilt->state);
  const double digest_seconds = Seconds(digest_start);
  std::uint64_t rows = 0;
  if (digests.ok()) {
    for (const auto& [name, d] : *digests) rows += d.rows;
  }
  std::printf("\n%-44s %14s %14s %8s\n", "figure", "antrean", "plain RocksDB", "ratio");
  std::printf("%-44s %14.0f %14.0f %7.2fx\n", "replay: events/s (rebuild vs raw scan)",
              st.EventsPerSecond(), raw_rate, st.EventsPerSecond() / raw_rate);
  std::printf("\nrebuild: %llu events scanned, %llu folded, %.2f s; %llu rows; digests in %.2f s\n",
              static_cast<unsigned long long>(st.events_scanned),
              static_cast<unsigned long long>(st.events_folded), st.seconds,
              static_cast<unsigned long long>(rows), digest_seconds);
  std::printf("memory during rebuild: peak %.0f MiB (before %.0f MiB, after %.0f MiB)\n",
              after.first, before.second, after.second);
  return 0;
}
