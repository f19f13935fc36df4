#include "store/rocks_ledger.h"

#include <pthread.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <unordered_map>

#include "store/chain.h"
#include "store/record.h"

namespace antrean::store {

struct RocksLedger::Pending {
  AppendRequest request;
  std::vector<std::string> records;  // unsealed, one per event, encoded on the caller's thread
  std::size_t bytes = 0;
  AppendCallback done;
  Result<AppendResult> result = Status::Unavailable("not committed");
  bool depends_on_group = false;  // a duplicate of an append made earlier in the same group
};

namespace {

rocksdb::Slice AsSlice(std::string_view s) { return {s.data(), s.size()}; }

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsBusy() || s.IsTryAgain()) return Status::Busy(msg);
  return Status::IOError(msg);
}

const Hash256 kZeroHash{};

// The limits of derived-state rows (docs/FORMAT.md, "Limits"), for every path that writes them.
Status CheckStateRows(const std::vector<std::pair<std::string, std::string>>& puts,
                      const std::vector<std::string>& deletes) {
  for (const auto& [k, v] : puts) {
    if (k.empty() || k.size() > kIndexKeyBytesMax || v.size() > kStateValueBytesMax) {
      return Status::InvalidArgument("a derived-state row's key is empty or a row is too large");
    }
  }
  for (const auto& k : deletes) {
    if (k.empty() || k.size() > kIndexKeyBytesMax) {
      return Status::InvalidArgument("a derived-state key to delete is empty or too long");
    }
  }
  return Status::Ok();
}

// RocksDB counts every key comparison, block read and more in a thread-local PerfContext unless
// the thread says not to. In Debian's shared library each count is two calls through the PLT to
// __tls_get_addr (the level, then the context): 12.6% of the ledger writer's time, nearly all of
// it in the memtable's key comparisons (benchmarks/README.md). With the level at kDisable only
// the level is read. Nothing here reads those counters. The level is per thread, so each thread
// that calls RocksDB says it: ours when they start, a caller's at the reads it makes most.
void NoRocksCounters() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }

std::int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Memory does not grow with the ledger's size: every column family's data, index and filter
// blocks share the ledger's one bounded cache (Options::block_cache_bytes), and all memtables
// together are capped by one write-buffer manager (Options::memtables_bytes).
constexpr std::size_t kColumnFamilies = 5;

rocksdb::ColumnFamilyOptions FamilyOptions(bool point_lookups, const Ledger::Options& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compression = rocksdb::kLZ4Compression;
  // Each family flushes at its share of the budget. The write-buffer manager alone would not
  // bound recovery: replaying the WAL after a crash fills memtables up to this size, not its cap.
  cf.write_buffer_size = std::max<std::size_t>(options.memtables_bytes / kColumnFamilies, 1u << 20);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Index and idempotency lookups are point or prefix seeks by key: a Bloom filter saves the disk
  // read for keys that are not there, which is the common case for a new idempotency key.
  if (point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // The same for the memtable, where the newest keys are: most lookups there miss too.
    cf.memtable_prefix_bloom_size_ratio = 0.05;
    cf.memtable_whole_key_filtering = true;
    // Filters and indexes in blocks of about 4 KiB, each cached by itself, under a small top
    // level that stays pinned. A whole-file filter of a 64 MiB table of these small keys is
    // several MiB, larger than a shard of the block cache (1/64 of it): cached whole, it was
    // evicted almost at once, and read again from the file for every lookup. Over the year's
    // stream that came to be up to a third of the deciding thread's time, growing with the ledger
    // (benchmarks/README.md, "Filters read again and again").
    table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
    table.partition_filters = true;
    table.metadata_block_size = 4096;
    table.pin_top_level_index_and_filter = true;
  }
  table.block_size = 16 * 1024;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// Event keys only ever grow: with an insert hint (a zero-length prefix, so one hint for all keys)
// the memtable inserts each after the previous one instead of searching the skiplist from the top.
rocksdb::ColumnFamilyOptions EventsFamilyOptions(const Ledger::Options& options,
                                                 const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf = FamilyOptions(false, options, cache);
  cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(0));
  return cf;
}

Status CheckMemoryBudget(std::string_view name, std::size_t bytes) {
  if (bytes >= kMemoryBudgetBytesMin && bytes <= kMemoryBudgetBytesMax) return Status::Ok();
  return Status::InvalidArgument(std::string(name) + " of " + std::to_string(bytes) +
                                 " bytes is outside " + std::to_string(kMemoryBudgetBytesMin) +
                                 ".." + std::to_string(kMemoryBudgetBytesMax));
}

Status CheckKeyArgument(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("index key is empty");
  if (key.size() > kIndexKeyBytesMax) return Status::InvalidArgument("index key is too long");
  if (key.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("index key contains a NUL byte");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir, const Options& options) {
  return RocksLedger::OpenRocks(dir, options);
}

// RocksDB's own log goes to standard error (never standard output, which carries the tools'
// results), not to a LOG file in the ledger directory: on a full disk, once a write to that file
// failed, RocksDB 7.8 (Debian builds it with assertions on) aborts the process at the next log
// line (WritableFileWriter's "sync_without_flush_called_"), so the service could neither answer
// 503 nor even open the ledger again to say why.
namespace {
// At most 15 characters (the kernel's limit for a thread's name).
void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

class RocksLog : public rocksdb::Logger {
 public:
  // Errors only: its warnings repeat what the ledger reports itself ("DB::Open() failed: ...").
  RocksLog() : rocksdb::Logger(rocksdb::InfoLogLevel::ERROR_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};
}  // namespace

Result<std::unique_ptr<Ledger>> RocksLedger::OpenRocks(const std::string& dir,
                                                       const Options& options) {
  std::unique_ptr<RocksLedger> ledger(new RocksLedger());
  ledger->dir_ = dir;
  ledger->read_only_ = options.read_only;
  if (options.sync_gather_micros < 0 || options.sync_gather_micros > kSyncGatherMicrosMax) {
    return Status::InvalidArgument("sync_gather_micros must be 0.." +
                                   std::to_string(kSyncGatherMicrosMax));
  }
  ledger->sync_gather_micros_ = options.sync_gather_micros;
  for (auto [name, bytes] : {std::pair{"block_cache_bytes", options.block_cache_bytes},
                             std::pair{"memtables_bytes", options.memtables_bytes}}) {
    if (Status s = CheckMemoryBudget(name, bytes); !s.ok()) return s;
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing && !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = 512;
  // Readers must never see a torn write, and the WAL is the durability promise: recover up to the
  // last complete synced batch, never past a damaged record.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  db_options.info_log = std::make_shared<RocksLog>();
  // Reopening after a crash replays the WAL into memtables; writing them out as files first would
  // make a restart take seconds. (A clean Close flushes, so there is no WAL to replay then.)
  db_options.avoid_flush_during_recovery = true;
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.memtables_bytes);
  // The WAL files still needed are at most about the memtables' budget: past it, the families
  // holding the oldest file are flushed. RocksDB's default (four times all write buffers) let the
  // WAL grow to tens of times the data in memtables when the service was killed again and again
  // (a family that writes little keeps old files alive), and every restart read all of it.
  db_options.max_total_wal_size = options.memtables_bytes;

  const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(false, options, cache)},
      {kEventsFamily, EventsFamilyOptions(options, cache)},
      {kIndexFamily, FamilyOptions(true, options, cache)},
      {kIdempotencyFamily, FamilyOptions(true, options, cache)},
      {kStateFamily, FamilyOptions(true, options, cache)},
  };
  assert(families.size() == kColumnFamilies);  // each takes its share of memtables_bytes
  // RocksDB logs an error when it creates a missing directory; creating it first keeps a new
  // ledger's first open quiet. A failure here is reported by the open below.
  if (db_options.create_if_missing) {
    std::error_code ignored;
    std::filesystem::create_directory(dir, ignored);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, families, &ledger->handles_, &raw)
          : rocksdb::DB::Open(db_options, dir, families, &ledger->handles_, &raw);
  if (!s.ok()) {
    // Only the lock itself being held is "locked" (RocksDB: "While lock file: DIR/LOCK:
    // Resource temporarily unavailable" from another process, "lock hold by current process"
    // from this one); failing to create the LOCK file (a read-only file system: "while open a
    // file for lock") is an I/O error like any other.
    const std::string why = s.ToString();
    if (s.IsIOError() && (why.find("While lock file") != std::string::npos ||
                          why.find("lock hold by current process") != std::string::npos)) {
      return Status::IOError("ledger " + dir + " is locked by another process (" + s.ToString() +
                             ")");
    }
    return FromRocks(s, "opening ledger " + dir);
  }
  ledger->db_.reset(raw);
  ledger->block_cache_ = cache;
  ledger->events_ = ledger->handles_[1];
  ledger->index_ = ledger->handles_[2];
  ledger->idempotency_ = ledger->handles_[3];
  ledger->state_ = ledger->handles_[4];

  // The format marker: written once at creation, checked on every open.
  std::string format;
  s = raw->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  if (s.IsNotFound() && !options.read_only) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = raw->Put(wo, kFormatKey, kFormatValue);
    if (!s.ok()) return FromRocks(s, "writing the format marker");
  } else if (!s.ok()) {
    return FromRocks(s, "reading the format marker of " + dir);
  } else if (format != kFormatValue) {
    return Status::Corruption(dir + " is not an antrean ledger of format 1 (format marker \"" +
                              format + "\")");
  }

  if (auto st = ledger->LoadHead(); !st.ok()) return st;
  if (!options.read_only) {
    if (auto st = ledger->CheckTail(options.tail_check_events); !st.ok()) return st;
    ledger->written_head_ = ledger->GetHead();
    // Named, so that `top -H`, `perf` and the benchmarks' per-thread CPU show which stage is busy.
    ledger->acker_ = std::thread([l = ledger.get()] {
      NameThisThread("ledger-ack");
      NoRocksCounters();
      l->AckLoop();
    });
    ledger->syncer_ = std::thread([l = ledger.get()] {
      NameThisThread("ledger-sync");
      NoRocksCounters();
      l->SyncLoop();
    });
    ledger->writer_ = std::thread([l = ledger.get()] {
      NameThisThread("ledger-writer");
      NoRocksCounters();
      l->WriterLoop();
    });
  }
  return std::unique_ptr<Ledger>(std::move(ledger));
}

RocksLedger::~RocksLedger() {
  Close();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_.reset();
}

void RocksLedger::Close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard lk(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lk(sync_mu_);
      writer_done_ = true;
    }
    sync_cv_.notify_all();
    if (syncer_.joinable()) syncer_.join();
    {
      std::lock_guard lk(ack_mu_);
      syncer_done_ = true;
    }
    ack_cv_.notify_all();
    if (acker_.joinable()) acker_.join();
    if (!read_only_ && db_) {
      // Everything is durable already (synced WAL); flushing the memtables now only spares the
      // next open the WAL replay.
      rocksdb::FlushOptions fo;
      db_->Flush(fo, handles_);
    }
  });
}

Status RocksLedger::LoadHead() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), "reading the ledger head");
  Head head;
  if (it->Valid()) {
    EventView v;
    if (!record::ParseEventKey({it->key().data(), it->key().size()}, &head.seq)) {
      return Status::Corruption("the last key of the events column family is not 8 bytes");
    }
    if (auto s = record::Decode({it->value().data(), it->value().size()}, &v); s.ok()) {
      std::memcpy(head.hash.data(), v.hash.data(), 32);
    } else if (!read_only_) {
      return Status::Corruption("seq " + std::to_string(head.seq) + ": " + s.message());
    }
    // Read-only, a last record that does not decode leaves the head's hash zero: readers stop at
    // it with an error of their own, and `verify` can still walk the chain and say where it
    // breaks, instead of the ledger not opening at all.
  }
  std::lock_guard lk(head_mu_);
  head_ = head;
  return Status::Ok();
}

Status RocksLedger::CheckTail(std::size_t events) {
  const Head head = GetHead();
  if (head.seq == 0 || events == 0) return Status::Ok();
  const std::uint64_t from = head.seq > events ? head.seq - events + 1 : 1;
  // The first event of the window is checked on its own; its link to the one before it is not,
  // which is what a full `antrean verify` is for.
  ChainWalker walker(from, from == 1 ? &kZeroHash : nullptr);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
  for (it->Seek(record::EventKey(from)); it->Valid(); it->Next()) {
    std::uint64_t key_seq = 0;
    EventView v;
    if (!record::ParseEventKey({it->key().data(), it->key().size()}, &key_seq) ||
        !walker.Feed(key_seq, {it->value().data(), it->value().size()}, &v)) {
      const auto& f = walker.fault();
      return Status::Corruption("ledger tail does not verify at seq " +
                                std::to_string(f.ok() ? walker.next_seq() : f.seq) + ": " +
                                (f.ok() ? "malformed key" : f.detail) +
                                "; run `antrean verify` and restore from a copy");
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "checking the ledger tail");
  return Status::Ok();
}

Head RocksLedger::GetHead() const {
  std::lock_guard lk(head_mu_);
  return head_;
}

LedgerStats RocksLedger::GetStats() const {
  LedgerStats stats;
  {
    std::lock_guard lk(head_mu_);
    stats = stats_;
  }
  if (block_cache_) {
    stats.block_cache_bytes = block_cache_->GetUsage();
    stats.block_cache_pinned_bytes = block_cache_->GetPinnedUsage();
  }
  if (db_) {
    for (rocksdb::ColumnFamilyHandle* family : handles_) {
      std::uint64_t v = 0;
      if (db_->GetIntProperty(family, rocksdb::DB::Properties::kSizeAllMemTables, &v)) {
        stats.memtables_bytes += v;
      }
      if (db_->GetIntProperty(family, rocksdb::DB::Properties::kEstimateTableReadersMem, &v)) {
        stats.table_readers_bytes += v;
      }
    }
  }
  return stats;
}

Result<AppendResult> RocksLedger::Append(AppendRequest request) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(request),
              [&promise](Result<AppendResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void RocksLedger::AppendAsync(AppendRequest request, AppendCallback done) {
  if (read_only_) {
    done(Status::Unavailable("ledger " + dir_ + " is open read-only"));
    return;
  }
  if (request.events.empty()) {
    done(Status::InvalidArgument("an append needs at least one event"));
    return;
  }
  if (request.events.size() > kAppendEventsMax) {
    done(Status::InvalidArgument("an append holds " + std::to_string(request.events.size()) +
                                 " events; the limit is " + std::to_string(kAppendEventsMax)));
    return;
  }
  if (request.expectations.size() > kExpectationsMax) {
    done(Status::InvalidArgument("too many expectations in one append"));
    return;
  }
  for (const auto& e : request.expectations) {
    if (auto s = CheckKeyArgument(e.key); !s.ok()) {
      done(Status::InvalidArgument("expectation: " + s.message()));
      return;
    }
  }
  if (request.state_puts.size() + request.state_deletes.size() > kStatePutsMax) {
    done(Status::InvalidArgument("too many derived-state rows in one append"));
    return;
  }
  if (request.state_checkpoint_key.size() > kIndexKeyBytesMax) {
    done(Status::InvalidArgument("the state checkpoint key is too long"));
    return;
  }
  if (Status s = CheckStateRows(request.state_puts, request.state_deletes); !s.ok()) {
    done(s);
    return;
  }
  auto pending = std::make_unique<Pending>();
  const std::int64_t at = request.recorded_at_us != 0 ? request.recorded_at_us : NowMicros();
  pending->records.reserve(request.events.size());
  for (std::size_t i = 0; i < request.events.size(); ++i) {
    if (auto s = record::ValidateEvent(request.events[i], request); !s.ok()) {
      done(Status::InvalidArgument("event " + std::to_string(i) + ": " + s.message()));
      return;
    }
    pending->records.push_back(record::EncodeUnsealed(request.events[i], request, at));
    pending->bytes += pending->records.back().size();
  }
  // The payloads now live in the records; keep only what the writer still needs.
  for (auto& e : request.events) {
    std::string().swap(e.payload);
  }
  pending->request = std::move(request);
  pending->done = std::move(done);
  {
    std::unique_lock lk(queue_mu_);
    Status refused;
    if (stopping_) refused = Status::Unavailable("ledger " + dir_ + " is closing");
    else if (!failed_.ok()) refused = failed_;
    else if (queue_.size() >= kPendingAppendsMax)
      refused = Status::Busy("too many appends waiting for the disk");
    if (!refused.ok()) {
      lk.unlock();
      pending->done(refused);
      return;
    }
    queue_.push_back(std::move(pending));
    queued_.fetch_add(1);
    arrivals_.fetch_add(1);
  }
  queue_cv_.notify_one();
}

struct RocksLedger::Written {
  std::vector<std::unique_ptr<Pending>> group;
  Head head;           // the written head after this group
  bool wrote = false;  // false: nothing to sync (all duplicates, conflicts or errors)
};

void RocksLedger::WriterLoop() {
  std::vector<std::unique_ptr<Pending>> group;
  for (;;) {
    {
      std::unique_lock lk(queue_mu_);
      queue_cv_.wait(lk, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      std::size_t bytes = 0;
      writing_.store(true);
      while (!queue_.empty() && group.size() < kGroupCommitRequestsMax &&
             (group.empty() || bytes + queue_.front()->bytes <= kGroupCommitBytesMax)) {
        bytes += queue_.front()->bytes;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_.fetch_sub(group.size());
    }
    Written w = WriteGroup(group);
    group.clear();
    bool here = false;
    {
      std::lock_guard lk(sync_mu_);
      here = IdleFor(w.group.size());
      if (!here) written_.push_back(std::move(w));
      writing_.store(false);
    }
    if (!here) {
      sync_cv_.notify_one();
      continue;
    }
    std::deque<Written> batch;
    batch.push_back(std::move(w));
    SyncAndPublish(batch);
    Answer(batch);
  }
}

// Whether the writer should sync and answer a group of `appends` itself; sync_mu_ held. An idle
// ledger: nothing queued behind this group, nothing being synced or answered, every appender the
// last sync answered back in this group, and no append arrived while the last fsync ran. Then no
// fsync could cover more, and handing the group on would only add two thread wake-ups to its
// latency. Otherwise (a stream of appends: ingest, a busy service; or many appenders) the sync
// thread takes it and the writer writes the next group during that fsync: a writer that waited
// for its own fsyncs made ingest 10% slower.
bool RocksLedger::IdleFor(std::size_t appends) {
  if (syncing_ || !written_.empty() || queued_.load() != 0 || busy_during_sync_.load() ||
      appends < last_answered_.load()) {
    return false;
  }
  std::lock_guard ak(ack_mu_);
  return acks_.empty() && !acking_.load();
}

void RocksLedger::SyncLoop() {
  std::deque<Written> batch;
  for (;;) {
    {
      std::unique_lock lk(sync_mu_);
      sync_cv_.wait(lk, [this] { return !written_.empty() || writer_done_; });
      if (written_.empty()) return;  // the writer has stopped and every group is acknowledged
      batch.swap(written_);
      syncing_ = true;
    }
    GatherMore(batch);
    SyncAndPublish(batch);
    {
      std::lock_guard lk(ack_mu_);
      for (auto& w : batch) acks_.push_back(std::move(w));
    }
    ack_cv_.notify_one();
    batch.clear();
    {
      // Only now: the writer sees either this flag or the groups waiting for the ack thread.
      std::lock_guard lk(sync_mu_);
      syncing_ = false;
    }
  }
}

// Syncs the WAL, covering every group of `batch` (each written before this call), and publishes
// the outcome: the new head and the counts, or a failure that stops the ledger's writes.
void RocksLedger::SyncAndPublish(std::deque<Written>& batch) {
  bool any = false;
  for (const auto& w : batch) any = any || w.wrote;
  Status status;
  {
    // After any failed write or sync, nothing more is acknowledged: a group written since may
    // hold a duplicate of an append that was lost, and would otherwise be answered as if its
    // original were on disk. Callers retry with the same idempotency key after a restart.
    std::lock_guard lk(queue_mu_);
    status = failed_;
  }
  std::uint64_t micros = 0;
  if (any && status.ok()) {
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t arrivals = arrivals_.load();
    // Syncs everything written before this call; groups written meanwhile wait for the next.
    rocksdb::Status s = db_->SyncWAL();
    busy_during_sync_.store(arrivals_.load() != arrivals);
    micros = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::steady_clock::now() - start)
                                            .count());
    if (!s.ok()) status = FromRocks(s, "syncing the ledger");
  }
  Publish(batch, status, any && status.ok(), micros);
}

// Group commit across the pipeline: when appenders are being answered right now, or appends are
// queued or being written, their groups are moments away; waiting for them (at most
// Options::sync_gather_micros) lets one fsync cover them too, instead of each fsync covering only
// half of the appenders while the other half is still on its way. An idle ledger never waits.
void RocksLedger::GatherMore(std::deque<Written>& batch) {
  if (sync_gather_micros_ == 0) return;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(sync_gather_micros_);
  std::unique_lock lk(sync_mu_);
  auto busy = [this] { return acking_.load() || writing_.load() || queued_.load() > 0; };
  while (busy() && !writer_done_ && std::chrono::steady_clock::now() < deadline) {
    sync_cv_.wait_until(lk, deadline);
    for (auto& w : written_) batch.push_back(std::move(w));
    written_.clear();
  }
  for (auto& w : written_) batch.push_back(std::move(w));
  written_.clear();
}

void RocksLedger::Publish(std::deque<Written>& written, const Status& sync_status, bool synced,
                          std::uint64_t sync_micros) {
  if (!sync_status.ok()) {
    // Nothing written since the last good sync is acknowledged, duplicates included (their
    // original may be among the lost). After a failed fsync the disk's state is unknown: the
    // ledger takes no more writes, and only a reopen re-reads what is really there.
    std::lock_guard lk(queue_mu_);
    failed_ = sync_status;
  }
  {
    std::lock_guard lk(head_mu_);
    for (auto& w : written) {
      if (sync_status.ok() && w.wrote) head_ = w.head;
      if (w.wrote) ++stats_.batches;
      for (auto& p : w.group) {
        if (!sync_status.ok() && p->result.ok()) p->result = sync_status;
        if (!p->result.ok()) {
          ++stats_.failed_appends;
          continue;
        }
        ++stats_.appends;
        if (!p->result->duplicate) stats_.events += p->result->count;
      }
    }
    if (synced) {
      ++stats_.groups;
      stats_.write_micros += sync_micros;
    }
  }
}

// Runs the callbacks of `written`'s appends, in order, and remembers how many were answered.
void RocksLedger::Answer(std::deque<Written>& written) {
  std::size_t answered = 0;
  for (auto& w : written) {
    for (auto& p : w.group) p->done(std::move(p->result));
    answered += w.group.size();
  }
  last_answered_.store(answered);
}

void RocksLedger::AckLoop() {
  std::deque<Written> batch;
  for (;;) {
    {
      std::unique_lock lk(ack_mu_);
      ack_cv_.wait(lk, [this] { return !acks_.empty() || syncer_done_; });
      if (acks_.empty()) return;  // the sync thread has stopped and every group is answered
      batch.swap(acks_);
      acking_.store(true);  // under ack_mu_: the writer sees either this or the groups
    }
    Answer(batch);
    batch.clear();
    {
      std::lock_guard lk(sync_mu_);
      acking_.store(false);
    }
    sync_cv_.notify_one();
  }
}

Result<std::uint64_t> RocksLedger::LastSeqUnder(std::string_view key,
                                                std::uint64_t max_seq) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
  const std::string bound = record::IndexEntryKey(key, max_seq);
  it->SeekForPrev(bound);
  if (!it->status().ok()) return FromRocks(it->status(), "reading the index");
  if (!it->Valid()) return std::uint64_t{0};
  std::string_view found_key;
  std::uint64_t seq = 0;
  if (!record::ParseIndexEntryKey({it->key().data(), it->key().size()}, &found_key, &seq) ||
      found_key != key) {
    return std::uint64_t{0};
  }
  return seq;
}

Result<std::uint64_t> RocksLedger::StreamVersion(std::string_view key) const {
  if (auto s = CheckKeyArgument(key); !s.ok()) return s;
  return LastSeqUnder(key, GetHead().seq);
}

Result<std::optional<AppendResult>> RocksLedger::FindIdempotent(std::string_view key) const {
  if (key.empty() || key.size() > kCauseFieldBytesMax) {
    return Status::InvalidArgument("idempotency key is empty or too long");
  }
  NoRocksCounters();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), idempotency_, AsSlice(key), &value);
  if (s.IsNotFound()) return std::optional<AppendResult>();
  if (!s.ok()) return FromRocks(s, "reading the idempotency index");
  AppendResult r;
  if (!record::ParseIdempotencyValue(value, &r.first_seq, &r.count)) {
    return Status::Corruption("idempotency entry for \"" + std::string(key) + "\" is malformed");
  }
  // An append written but not yet synced is not known yet: its caller has not been answered.
  if (r.last_seq() > GetHead().seq) return std::optional<AppendResult>();
  r.duplicate = true;
  return std::optional<AppendResult>(r);
}

Result<std::optional<std::string>> RocksLedger::GetState(std::string_view key) const {
  NoRocksCounters();  // the deciding thread's reads: the service's, not one of ours
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), state_, AsSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading derived state");
  return std::optional<std::string>(std::move(value));
}

Status RocksLedger::ScanState(
    std::string_view from, std::string_view to,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(to.data(), to.size());
  if (!to.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, state_));
  for (it->Seek(AsSlice(from)); it->Valid(); it->Next()) {
    if (!fn({it->key().data(), it->key().size()}, {it->value().data(), it->value().size()})) {
      return Status::Ok();
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning derived state");
  return Status::Ok();
}

Status RocksLedger::RewriteState(const std::vector<std::pair<std::string, std::string>>& puts,
                                 const std::vector<std::string>& deletes) {
  if (read_only_) return Status::Unavailable("ledger " + dir_ + " is open read-only");
  {
    std::lock_guard lk(queue_mu_);
    if (!failed_.ok()) return failed_;
    if (stopping_) return Status::Unavailable("ledger " + dir_ + " is closing");
    // Rows rewritten under an append in flight could be overwritten by its older rows.
    if (!queue_.empty() || writing_.load()) {
      return Status::Busy("derived state is rewritten only while no append is in flight");
    }
  }
  if (Status s = CheckStateRows(puts, deletes); !s.ok()) return s;
  rocksdb::WriteBatch batch;
  for (const auto& [k, v] : puts) batch.Put(state_, AsSlice(k), AsSlice(v));
  for (const auto& k : deletes) batch.Delete(state_, AsSlice(k));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "rewriting derived state");
}

RocksLedger::Written RocksLedger::WriteGroup(std::vector<std::unique_ptr<Pending>>& group) {
  Status failed;
  {
    std::lock_guard lk(queue_mu_);
    failed = failed_;
  }
  if (!failed.ok()) {
    for (auto& p : group) p->result = failed;
  }
  Written w;
  Head head = written_head_;
  rocksdb::WriteBatch batch;
  // The random-key families' writes of the whole group, put into the batch sorted by key once the
  // group is decided: the memtable then inserts each key near the one before it instead of
  // searching its skiplist from the top (its remembered insert position is reused). The sort is
  // stable, so that of two writes of one state key the later is the one kept (see below); and the
  // checkpoint is written once per group, with the seq the last request naming it would have
  // written.
  std::vector<std::string> index_keys;
  std::vector<std::pair<std::string, std::optional<std::string>>> state_writes;
  std::vector<std::pair<std::string, std::string>> idempotency_writes;
  // Per checkpoint key, the last event of the last request naming it.
  std::map<std::string, std::uint64_t, std::less<>> checkpoints;
  std::unordered_map<std::string, AppendResult> idem_in_group;
  std::unordered_map<std::string, std::uint64_t> stream_in_group;
  bool wrote = false;

  for (auto& p : group) {
    if (!failed.ok()) break;
    AppendRequest& req = p->request;
    if (!req.idempotency_key.empty()) {
      if (auto it = idem_in_group.find(req.idempotency_key); it != idem_in_group.end()) {
        AppendResult dup = it->second;
        dup.duplicate = true;
        p->result = dup;
        p->depends_on_group = true;
        continue;
      }
      std::string value;
      rocksdb::Status s =
          db_->Get(rocksdb::ReadOptions(), idempotency_, AsSlice(req.idempotency_key), &value);
      if (s.ok()) {
        AppendResult dup;
        if (!record::ParseIdempotencyValue(value, &dup.first_seq, &dup.count)) {
          p->result = Status::Corruption("idempotency entry for \"" + req.idempotency_key +
                                         "\" is malformed");
          continue;
        }
        dup.duplicate = true;
        p->result = dup;
        continue;
      }
      if (!s.IsNotFound()) {
        p->result = FromRocks(s, "reading the idempotency index");
        continue;
      }
    }
    Status conflict;
    for (const auto& e : req.expectations) {
      std::uint64_t version = 0;
      if (auto it = stream_in_group.find(e.key); it != stream_in_group.end()) {
        version = it->second;
      } else if (auto v = LastSeqUnder(e.key, ~std::uint64_t{0}); v.ok()) {
        version = *v;
      } else {
        conflict = v.status();
        break;
      }
      if (version != e.last_seq) {
        conflict = Status::Conflict("stream \"" + e.key + "\" is at version " +
                                    std::to_string(version) + ", the append expected " +
                                    std::to_string(e.last_seq));
        break;
      }
    }
    if (!conflict.ok()) {
      p->result = conflict;
      continue;
    }
    AppendResult result;
    result.first_seq = head.seq + 1;
    result.count = static_cast<std::uint32_t>(p->records.size());
    for (std::size_t i = 0; i < p->records.size(); ++i) {
      const std::uint64_t seq = head.seq + 1;
      head.hash = record::Seal(&p->records[i], seq, head.hash);
      head.seq = seq;
      const std::string key = record::EventKey(seq);
      batch.Put(events_, key, p->records[i]);
      for (const auto& k : req.events[i].keys) {
        index_keys.push_back(record::IndexEntryKey(k, seq));
        stream_in_group[k] = seq;
      }
    }
    for (auto& [k, v] : req.state_puts) state_writes.emplace_back(std::move(k), std::move(v));
    for (auto& k : req.state_deletes) state_writes.emplace_back(std::move(k), std::nullopt);
    if (!req.state_checkpoint_key.empty()) checkpoints[req.state_checkpoint_key] = head.seq;
    if (!req.idempotency_key.empty()) {
      idempotency_writes.emplace_back(req.idempotency_key,
                                      record::IdempotencyValue(result.first_seq, result.count));
      idem_in_group.emplace(req.idempotency_key, result);
    }
    p->result = result;
    p->depends_on_group = true;
    wrote = true;
  }
  if (wrote) {
    std::sort(index_keys.begin(), index_keys.end());
    for (const auto& k : index_keys) batch.Put(index_, k, rocksdb::Slice());
    std::stable_sort(state_writes.begin(), state_writes.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < state_writes.size(); ++i) {
      const auto& [k, v] = state_writes[i];
      // Of several writes of one key in the group only the last is put in the batch: the batch is
      // written whole or not at all, so no reader could ever see the earlier ones. Hot rows (an
      // office's day board, its detection counts) are written by most appends of a group.
      if (i + 1 < state_writes.size() && state_writes[i + 1].first == k) continue;
      if (v) batch.Put(state_, k, *v);
      else batch.Delete(state_, k);
    }
    for (const auto& [key, seq] : checkpoints) batch.Put(state_, key, record::EventKey(seq));
    std::sort(idempotency_writes.begin(), idempotency_writes.end());
    for (const auto& [k, v] : idempotency_writes) batch.Put(idempotency_, AsSlice(k), v);
    rocksdb::WriteOptions wo;
    wo.sync = false;  // the sync thread fsyncs the WAL before anything here is acknowledged
    rocksdb::Status s = db_->Write(wo, &batch);
    if (!s.ok()) {
      Status err = FromRocks(s, "writing to the ledger");
      for (auto& p : group) {
        if (p->depends_on_group) p->result = err;
      }
      std::lock_guard lk(queue_mu_);
      failed_ = err;
      wrote = false;
    } else {
      written_head_ = head;
    }
  }
  w.group = std::move(group);
  w.head = head;
  w.wrote = wrote;
  return w;
}

Status RocksLedger::Scan(std::uint64_t from_seq, std::uint64_t to_seq,
                         const std::function<bool(const EventView&)>& fn) const {
  // Events written but not yet synced are in RocksDB already; nobody may see them before they
  // are acknowledged, so every read stops at the published head.
  to_seq = std::min(to_seq, GetHead().seq);
  if (from_seq == 0) from_seq = 1;
  if (from_seq > to_seq) return Status::Ok();
  NoRocksCounters();
  rocksdb::ReadOptions ro;
  const std::string upper = record::EventKey(to_seq == ~std::uint64_t{0} ? to_seq : to_seq + 1);
  rocksdb::Slice upper_slice(upper);
  if (to_seq != ~std::uint64_t{0}) ro.iterate_upper_bound = &upper_slice;
  ro.readahead_size = 2 * 1024 * 1024;  // scans are sequential: read ahead in large steps
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_));
  std::uint64_t expected = from_seq;
  for (it->Seek(record::EventKey(from_seq)); it->Valid(); it->Next(), ++expected) {
    EventView v;
    std::uint64_t key_seq = 0;
    if (!record::ParseEventKey({it->key().data(), it->key().size()}, &key_seq)) {
      return Status::Corruption("an events key is not 8 bytes");
    }
    // A log with a hole is not the ledger's history: a reader going on (a rebuild, a follower)
    // would build on events that are not all there.
    if (key_seq != expected) {
      return Status::Corruption("event " + std::to_string(expected) +
                                " is missing (the log goes from " + std::to_string(expected - 1) +
                                " to " + std::to_string(key_seq) +
                                "); run `antrean verify` and restore the ledger from a copy");
    }
    if (auto s = record::Decode({it->value().data(), it->value().size()}, &v); !s.ok()) {
      return Status::Corruption("seq " + std::to_string(key_seq) + ": " + s.message());
    }
    if (!fn(v)) return Status::Ok();
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning events");
  return Status::Ok();
}

Result<RecordedEvent> RocksLedger::Get(std::uint64_t seq) const {
  if (seq == 0 || seq > GetHead().seq) {
    return Status::NotFound("no event with seq " + std::to_string(seq));
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), events_, record::EventKey(seq), &value);
  if (s.IsNotFound()) return Status::NotFound("no event with seq " + std::to_string(seq));
  if (!s.ok()) return FromRocks(s, "reading seq " + std::to_string(seq));
  EventView v;
  if (auto st = record::Decode(value, &v); !st.ok()) {
    return Status::Corruption("seq " + std::to_string(seq) + ": " + st.message());
  }
  return v.ToOwned();
}

Result<KeyPage> RocksLedger::ReadByKey(std::string_view key, Order order, std::uint64_t cursor,
                                       std::size_t limit) const {
  if (auto s = CheckKeyArgument(key); !s.ok()) return s;
  if (limit == 0) return Status::InvalidArgument("limit must be at least 1");
  std::vector<std::uint64_t> seqs;
  KeyPage page;
  const std::uint64_t head = GetHead().seq;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_));
    const bool forward = order == Order::kOldestFirst;
    if (forward) {
      it->Seek(record::IndexEntryKey(key, cursor == 0 ? 1 : cursor));
    } else {
      it->SeekForPrev(record::IndexEntryKey(key, cursor == 0 ? head : std::min(cursor, head)));
    }
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      std::string_view found;
      std::uint64_t seq = 0;
      if (!record::ParseIndexEntryKey({it->key().data(), it->key().size()}, &found, &seq) ||
          found != key || seq > head) {
        break;
      }
      if (seqs.size() == limit) {
        page.next_cursor = seq;
        break;
      }
      seqs.push_back(seq);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the index");
  }
  std::vector<std::string> keys;
  keys.reserve(seqs.size());
  for (auto seq : seqs) keys.push_back(record::EventKey(seq));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values(keys.size());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), events_);
  std::vector<rocksdb::Status> statuses =
      db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
  page.events.reserve(seqs.size());
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    if (!statuses[i].ok()) {
      return Status::Corruption("index entry \"" + std::string(key) + "\" points to seq " +
                                std::to_string(seqs[i]) + ", which cannot be read: " +
                                statuses[i].ToString());
    }
    EventView v;
    if (auto s = record::Decode(values[i], &v); !s.ok()) {
      return Status::Corruption("seq " + std::to_string(seqs[i]) + ": " + s.message());
    }
    page.events.push_back(v.ToOwned());
  }
  return page;
}

}  // namespace antrean::store
