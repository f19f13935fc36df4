#include "projections/replay.h"

#include <openssl/evp.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/scratch_dir.h"
#include "common/string_map.h"
#include "events/codec.h"
#include "events/upcast.h"
#include "projections/decision_state.h"
#include "projections/fold.h"
#include "projections/forensics.h"

namespace antrean::projections {

namespace {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

std::string BigEndian8(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[7 - i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

}  // namespace

// ---- The scratch store ------------------------------------------------------------------------

class RebuiltState::Impl {
 public:
  ~Impl() {
    db_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  Status Open(std::string dir) {
    dir_ = std::move(dir);
    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    options.IncreaseParallelism(2);
    options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    options.write_buffer_size = 64 << 20;
    options.avoid_flush_during_shutdown = true;  // the directory is removed right after
    options.compression = rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions table;
    // The fold reads many rows that are not there yet (a new booking's code): a Bloom filter
    // answers those without a disk read.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // And the same for the memtable, where a missing key otherwise costs a walk down the skip list.
    options.memtable_prefix_bloom_size_ratio = 0.05;
    options.memtable_whole_key_filtering = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir_ + "/rows", &raw);
    if (!s.ok()) return FromRocks(s, "opening the scratch store in " + dir_);
    db_.reset(raw);
    return Status::Ok();
  }

  Result<std::optional<std::string>> Get(std::string_view key) const {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "reading scratch row " + std::string(key));
    return std::optional<std::string>(std::move(value));
  }

  Status Scan(std::string_view from, std::string_view to, const RowVisitor& fn) const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(rocksdb::Slice(from.data(), from.size())); it->Valid(); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (!to.empty() && key >= to) break;
      if (!fn(key, std::string_view(it->value().data(), it->value().size()))) break;
    }
    return FromRocks(it->status(), "scanning the scratch store");
  }

  // Writes without the WAL: the store is thrown away if anything goes wrong. Called on a thread
  // of its own (ScratchRows::Flush), which goes without RocksDB's per-thread counters too
  // (NoRocksCounters in src/store/rocks_ledger.cc says why).
  Status Write(rocksdb::WriteBatch& batch) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    wo.sync = false;
    return FromRocks(db_->Write(wo, &batch), "writing the scratch store");
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

RebuiltState::RebuiltState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RebuiltState::~RebuiltState() = default;
Result<std::optional<std::string>> RebuiltState::Get(std::string_view key) const {
  return impl_->Get(key);
}
Status RebuiltState::Scan(std::string_view from, std::string_view to, const RowVisitor& fn) const {
  return impl_->Scan(from, to, fn);
}
const std::string& RebuiltState::dir() const { return impl_->dir(); }

namespace {

// Which keys the scratch store may hold: a Bloom filter over every key ever written to it, blocked
// (a key's bits are in one cache line). Most reads that miss the windows are for rows never
// written (a new person's, a new phone's, a number block's first registration); the filter answers
// those "absent" without asking RocksDB, whose Get was 13% of the folding thread. A key the store
// holds was written through Hold, so it is in the filter: a "no" is always right, a "maybe" (all of
// the store's keys, and a few in a thousand of the others) asks the store.
class KeyFilter {
 public:
  // Sized for `keys` keys at 16 bits each; more only make "maybe" likelier.
  explicit KeyFilter(std::uint64_t keys)
      : blocks_(std::max<std::uint64_t>(keys / (kBlockBits / kBitsPerKey), 1024)) {}

  void Add(std::string_view key) {
    const std::uint64_t h = Hash(key);
    Block& b = blocks_[BlockOf(h)];
    const std::uint64_t p = Probes(h);
    for (int i = 0; i < kProbes; ++i) {
      const std::uint64_t bit = (p >> (i * 9)) & (kBlockBits - 1);
      b.words[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
  }
  bool MayContain(std::string_view key) const {
    const std::uint64_t h = Hash(key);
    const Block& b = blocks_[BlockOf(h)];
    const std::uint64_t p = Probes(h);
    for (int i = 0; i < kProbes; ++i) {
      const std::uint64_t bit = (p >> (i * 9)) & (kBlockBits - 1);
      if ((b.words[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) return false;
    }
    return true;
  }

 private:
  static constexpr std::uint64_t kBlockBits = 512;  // one 64-byte cache line
  static constexpr std::uint64_t kBitsPerKey = 16;
  static constexpr int kProbes = 6;  // each picks one of the block's 512 bits
  struct alignas(64) Block {
    std::uint64_t words[kBlockBits / 64] = {};
  };
  static std::uint64_t Hash(std::string_view key) {
    // std::hash is 64 bits here; mixed again so that every bit of it depends on every byte.
    std::uint64_t h = std::hash<std::string_view>{}(key);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }
  std::size_t BlockOf(std::uint64_t h) const { return h % blocks_.size(); }
  // 54 bits for the bits in the block, from the high half of a product of the hash, not from the
  // low bits that chose the block.
  static std::uint64_t Probes(std::uint64_t h) { return (h * 0x9e3779b97f4a7c15ULL) >> 10; }
  std::vector<Block> blocks_;
};

// The fold's rows during a rebuild: changed rows stay in memory (where reads find them first)
// until Flush hands them to a thread of their own, which writes them to the scratch store in one
// batch while the fold goes on. Until that write is done, reads find the rows in the map being
// written (it is no longer changed), then in the store. The rows the folds change most are held
// as they are (HeldRow) and encoded once, by the writing thread: the folds neither decode what
// they wrote nor encode a row each time they change it.
class ScratchRows final : public StateRows {
 public:
  // `keys`: about how many keys the rebuild may write (the filter's size).
  ScratchRows(RebuiltState::Impl& store, std::uint64_t keys) : store_(store), filter_(keys) {}
  ~ScratchRows() override {
    if (writing_.valid()) writing_.wait();  // the store outlives this, but not by much
  }

  Result<std::optional<std::string>> Read(std::string_view key) override {
    if (const HeldRow* held = Find(key)) return HeldBytes(*held);
    return ReadStored(key);
  }
  bool holds_rows() const override { return true; }
  Result<HeldRow> ReadHeld(std::string_view key) override {
    if (const HeldRow* held = Find(key)) return *held;
    auto bytes = ReadStored(key);
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) return HeldRow(ErasedRow{});
    return HeldRow(std::move(**bytes));
  }
  void Write(std::string key, std::string value) override {
    Hold(std::move(key), HeldRow(std::move(value)));
  }
  void Erase(std::string key) override { Hold(std::move(key), HeldRow(ErasedRow{})); }
  void Hold(std::string key, HeldRow row) override {
    // Approximately: each key once, with its entry, and the bytes written under it each time; a
    // held row's own strings and lists are not counted.
    const auto* bytes = std::get_if<std::string>(&row);
    const std::size_t size = bytes ? bytes->size() : 0;
    const std::size_t key_size = key.size();
    filter_.Add(key);
    if (dirty_.insert_or_assign(std::move(key), std::move(row)).second) {
      dirty_bytes_ += key_size + sizeof(Rows::value_type);
    }
    dirty_bytes_ += size;
  }

  HeldRow* HeldForChange(std::string_view key) override {
    auto it = dirty_.find(key);
    return it == dirty_.end() ? nullptr : &it->second;
  }

  std::size_t dirty_bytes() const { return dirty_bytes_; }
  // True while the window before is still being written.
  bool writing() const {
    return writing_.valid() &&
           writing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  }

  // Starts writing the rows changed since the last Flush, once the write before is done; its
  // error, if any, is returned here (the rebuild then stops). Two windows of rows are in
  // memory: the one being written and the one being folded (and, until the next writer frees
  // it, the one written before).
  Status Flush() {
    if (Status s = Wait(); !s.ok()) return s;
    if (dirty_.empty()) return Status::Ok();
    // The window written before is freed by the next writer, not by the folding thread.
    Rows done = std::move(written_);
    written_ = std::move(dirty_);
    dirty_ = Rows();
    dirty_.reserve(written_.size());
    dirty_bytes_ = 0;
    writing_ = std::async(std::launch::async, [this, done = std::move(done)]() mutable {
      Rows().swap(done);
      return WriteRows(written_, store_);
    });
    return Status::Ok();
  }
  // Flush, then wait for the write: every row is in the store.
  Status FlushAndWait() {
    if (Status s = Flush(); !s.ok()) return s;
    return Wait();
  }

 private:
  using Rows = StringMap<HeldRow>;  // looked up by string_view

  // The row under `key` in the window being folded or the one being written; nullptr if neither
  // has it. The window being written is only read, by both threads.
  const HeldRow* Find(std::string_view key) const {
    if (auto it = dirty_.find(key); it != dirty_.end()) return &it->second;
    if (auto it = written_.find(key); it != written_.end()) return &it->second;
    return nullptr;
  }

  // A row in neither window: absent when the filter knows it was never written, else the store's.
  Result<std::optional<std::string>> ReadStored(std::string_view key) const {
    if (!filter_.MayContain(key)) return std::optional<std::string>();
    return store_.Get(key);
  }

  // Waits for the write; the rows written stay readable (and in memory) until the next Flush.
  Status Wait() {
    if (!writing_.valid()) return Status::Ok();
    return writing_.get();
  }

  static Status WriteRows(const Rows& rows, RebuiltState::Impl& store) {
    // In key order: the memtable's skip list inserts a run of ascending keys much faster than
    // keys in hash order.
    std::vector<const Rows::value_type*> sorted;
    sorted.reserve(rows.size());
    for (const auto& row : rows) sorted.push_back(&row);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    rocksdb::WriteBatch batch;
    for (const auto* row : sorted) {
      rocksdb::Status s;
      if (const auto* bytes = std::get_if<std::string>(&row->second)) {
        s = batch.Put(row->first, *bytes);
      } else if (std::optional<std::string> encoded = HeldBytes(row->second)) {
        s = batch.Put(row->first, *encoded);
      } else {
        s = batch.Delete(row->first);
      }
      if (!s.ok()) return FromRocks(s, "batching scratch rows");
    }
    return store.Write(batch);
  }

  RebuiltState::Impl& store_;
  KeyFilter filter_;  // every key Hold was given
  Rows dirty_;
  std::size_t dirty_bytes_ = 0;
  Rows written_;                 // the rows being written by writing_; not changed meanwhile
  std::future<Status> writing_;  // valid while a write may be running
};

// Flush early when the rows changed since the last flush pass this many bytes (a log of nothing
// but bookings changes several rows per event).
constexpr std::size_t kDirtyBytesMax = 128 << 20;

// One event as the rebuild needs it, read and decoded ahead of the folds.
struct ReadEvent {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  bool included = false;               // within as_of (always, without it)
  std::string actor;                   // the envelope's cause actor
  std::optional<events::Event> event;  // decoded when a fold reads its type
  Status failed;                       // it does not decode: the rebuild stops at it
};

// Reads the log and decodes the events the folds read on a thread of its own, ahead of the
// folds, which must run one event after the other in seq order. Reading and decoding were a fifth
// of a single-threaded rebuild (benchmarks/README.md, "Replay"). Events come in batches, in seq
// order, at most kBatchesAhead batches ahead of the folds.
class EventReader {
 public:
  static constexpr std::size_t kBatchEvents = 256;
  static constexpr std::size_t kBatchesAhead = 16;

  EventReader(const store::Ledger& ledger, std::uint64_t until,
              std::optional<std::int64_t> as_of_us)
      : thread_([this, &ledger, until, as_of_us] { Run(ledger, until, as_of_us); }) {}
  ~EventReader() {
    {
      std::lock_guard lk(mu_);
      stopped_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // The next batch, in seq order; false when the log is read to its end (then status()).
  bool Next(std::vector<ReadEvent>* batch) {
    std::unique_lock lk(mu_);
    changed_.wait(lk, [&] { return !ready_.empty() || done_; });
    if (ready_.empty()) return false;
    *batch = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return true;
  }
  // The scan's own error (the ledger's, not an event's), once Next returned false.
  Status status() {
    std::lock_guard lk(mu_);
    return scanned_;
  }

 private:
  void Run(const store::Ledger& ledger, std::uint64_t until, std::optional<std::int64_t> as_of_us) {
    std::vector<ReadEvent> batch;
    batch.reserve(kBatchEvents);
    Status scanned = Status::Ok();
    if (until > 0) {
      // A hole in the log ends the scan with its error (store::Ledger::Scan): the folds stop
      // there, and the rebuild returns it.
      scanned = ledger.Scan(1, until, [&](const store::EventView& v) {
        ReadEvent& e = batch.emplace_back();
        e.seq = v.seq;
        e.recorded_at_us = v.recorded_at_us;
        e.included = !as_of_us || v.recorded_at_us <= *as_of_us;
        // Most events (messages, replies) change no row: they are skipped without decoding.
        // An old type name is decoded too: its upcast may be a type the folds read.
        if (e.included &&
            (FoldReads(v.type) || ForensicsReads(v.type) || events::IsOldType(v.type))) {
          e.actor.assign(v.cause_actor);
          auto event = events::DecodeEvent(v.type, v.payload);
          if (event.ok()) {
            e.event.emplace(std::move(*event));
          } else {
            e.failed =
                Status::Corruption("event " + std::to_string(v.seq) + " (" + std::string(v.type) +
                                   ") does not decode: " + event.status().message());
            Hand(batch);  // the folds stop at it: nothing after it is read
            return false;
          }
        }
        return batch.size() < kBatchEvents || Hand(batch);
      });
    }
    if (!batch.empty()) Hand(batch);
    std::lock_guard lk(mu_);
    scanned_ = scanned;
    done_ = true;
    changed_.notify_all();
  }

  // Queues the batch for the folds, waiting while they are kBatchesAhead behind; false once the
  // rebuild has stopped.
  bool Hand(std::vector<ReadEvent>& batch) {
    std::unique_lock lk(mu_);
    changed_.wait(lk, [&] { return ready_.size() < kBatchesAhead || stopped_; });
    if (stopped_) return false;
    ready_.push_back(std::move(batch));
    batch = {};
    batch.reserve(kBatchEvents);
    changed_.notify_all();
    return true;
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<ReadEvent>> ready_;
  bool done_ = false;     // the reading thread has finished
  bool stopped_ = false;  // the folds need no more
  Status scanned_;
  std::thread thread_;  // last: it starts once everything above is initialised
};

}  // namespace

Result<Rebuilt> Rebuild(const store::Ledger& ledger, const RebuildOptions& options) {
  auto dir = MakeScratchDir(options.scratch_dir, "antrean-replay");
  if (!dir.ok()) return dir.status();
  auto owned = std::make_unique<RebuiltState::Impl>();
  RebuiltState::Impl& store = *owned;
  // From here the scratch directory belongs to `state`, which removes it on every return.
  auto state = std::make_unique<RebuiltState>(std::move(owned));
  if (Status s = store.Open(*dir); !s.ok()) return s;
  // The folds read the scratch store from this thread (NoRocksCounters in src/store/
  // rocks_ledger.cc says why not to count); the reading thread's ledger.Scan says it itself.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  const auto started = std::chrono::steady_clock::now();

  Rebuilt out;
  RebuildStats& stats = out.stats;
  const std::uint64_t head = ledger.GetHead().seq;
  const std::uint64_t until = options.until_seq == 0 ? head : std::min(options.until_seq, head);
  const std::size_t flush_every = std::max<std::size_t>(options.flush_every_events, 1);
  // Declared after `state` and before the reader: on every return the reader stops first, then
  // the rows' last write is waited for, then the store goes.
  // A log of registrations makes about one new row per event (benchmarks/README.md).
  ScratchRows rows(store, until);
  // The offices' detection thresholds, decoded once for the whole rebuild: its fold is the only
  // writer of these rows, and tells the cache each configuration it folds.
  ThresholdsCache thresholds(ThresholdsCache::Trust::kSeesEveryWrite);
  EventReader reader(ledger, until, options.as_of_us);
  std::vector<ReadEvent> batch;
  bool flush_due = false;
  while (reader.Next(&batch)) {
    for (const ReadEvent& e : batch) {
      if (!e.failed.ok()) return e.failed;
      ++stats.events_scanned;
      if (e.included) {
        ++stats.events_included;
        stats.last_seq = e.seq;
        if (e.event) {
          // As the service does: the state's fold, then the detection's, event by event.
          Status folded = FoldAll(*e.event, e.seq, {e.actor, e.recorded_at_us}, rows, thresholds);
          if (folded.IsIOError()) return folded;  // the scratch store, not the event
          if (!folded.ok()) {
            // Named as stored, which for an upcast event is not the decoded event's type.
            auto stored = ledger.Get(e.seq);
            const std::string type =
                stored.ok() ? stored->type : std::string(events::TypeName(*e.event));
            return Status::Corruption("event " + std::to_string(e.seq) + " (" + type +
                                      ") does not fold: " + folded.ToString());
          }
          ++stats.events_folded;
        }
      }
      // A window is due every flush_every events; while the window before is still being
      // written it grows on rather than wait for that write, up to kDirtyBytesMax.
      flush_due = flush_due || stats.events_scanned % flush_every == 0;
      if ((flush_due && !rows.writing()) || rows.dirty_bytes() > kDirtyBytesMax) {
        if (Status s = rows.Flush(); !s.ok()) return s;
        flush_due = false;
      }
    }
  }
  if (Status s = reader.status(); !s.ok()) return s;
  // The checkpoint, as the service writes it with every append: the last event folded over.
  if (stats.last_seq > 0) rows.Write(std::string(kCheckpointKey), BigEndian8(stats.last_seq));
  if (Status s = rows.FlushAndWait(); !s.ok()) return s;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.state = std::move(state);
  return out;
}

// ---- Digests ----------------------------------------------------------------------------------

std::string ProjectionOf(std::string_view key) {
  if (key.substr(0, 11) == "checkpoint/") return std::string(key);
  return std::string(key.substr(0, key.find('/')));
}

const std::vector<std::string>& StateProjectionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"ap", "bk", "bl", "cf", "dl", "dy", "fl",
                                  "fx", "ob", "pe", "ph", "pm", std::string(kCheckpointKey)};
    std::sort(n.begin(), n.end());
    return n;
  }();
  return names;
}

struct DigestBuilder::Running {
  Running() : ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Running() { EVP_MD_CTX_free(ctx); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  EVP_MD_CTX* ctx;
  std::uint64_t rows = 0;
};

DigestBuilder::DigestBuilder() = default;
DigestBuilder::~DigestBuilder() = default;

namespace {
void UpdateWithLength(EVP_MD_CTX* ctx, std::string_view bytes) {
  const auto n = static_cast<std::uint32_t>(bytes.size());
  const unsigned char len[4] = {static_cast<unsigned char>(n >> 24),
                                static_cast<unsigned char>(n >> 16),
                                static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  EVP_DigestUpdate(ctx, len, sizeof len);
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
}
}  // namespace

void DigestBuilder::Add(std::string_view key, std::string_view value) {
  std::string name = ProjectionOf(key);
  auto it = running_.find(name);
  if (it == running_.end())
    it = running_.emplace(std::move(name), std::make_unique<Running>()).first;
  UpdateWithLength(it->second->ctx, key);
  UpdateWithLength(it->second->ctx, value);
  ++it->second->rows;
}

StateDigests DigestBuilder::Finish() {
  StateDigests out;
  for (const auto& name : StateProjectionNames()) out[name].sha256 = Sha256("");
  for (auto& [name, running] : running_) {
    ProjectionDigest& d = out[name];
    d.rows = running->rows;
    unsigned int len = 0;
    EVP_DigestFinal_ex(running->ctx, d.sha256.data(), &len);
  }
  running_.clear();
  return out;
}

Result<StateDigests> Digest(const StateScan& scan) {
  DigestBuilder builder;
  Status s = scan("", "", [&](std::string_view key, std::string_view value) {
    builder.Add(key, value);
    return true;
  });
  if (!s.ok()) return s;
  return builder.Finish();
}

namespace {
StateScan ScanOf(const RebuiltState& state) {
  return [&state](std::string_view from, std::string_view to, const RowVisitor& fn) {
    return state.Scan(from, to, fn);
  };
}
StateScan ScanOf(const store::Ledger& ledger) {
  return [&ledger](std::string_view from, std::string_view to, const RowVisitor& fn) {
    return ledger.ScanState(from, to, fn);
  };
}
}  // namespace

Result<StateDigests> Digest(const RebuiltState& state) { return Digest(ScanOf(state)); }
Result<StateDigests> DigestLive(const store::Ledger& ledger) { return Digest(ScanOf(ledger)); }

// ---- Compare ----------------------------------------------------------------------------------

std::string_view DifferenceName(ProjectionComparison::Difference d) {
  switch (d) {
    case ProjectionComparison::Difference::kNone:
      return "none";
    case ProjectionComparison::Difference::kOnlyLive:
      return "only_live";
    case ProjectionComparison::Difference::kOnlyRebuilt:
      return "only_rebuilt";
    case ProjectionComparison::Difference::kValue:
      return "value";
  }
  return "unknown";
}

namespace {

// Rows of a scan, a page at a time, so that two callback scans can be walked side by side.
class Pager {
 public:
  explicit Pager(const StateScan& scan) : scan_(scan) {}

  // The current row, or nullptr past the end.
  const std::pair<std::string, std::string>* Current(Status* status) {
    if (pos_ < page_.size()) return &page_[pos_];
    if (done_) return nullptr;
    page_.clear();
    pos_ = 0;
    *status = scan_(next_from_, "", [&](std::string_view k, std::string_view v) {
      page_.emplace_back(std::string(k), std::string(v));
      return page_.size() < kPageRows;
    });
    if (!status->ok()) return nullptr;
    if (page_.size() < kPageRows) done_ = true;
    if (page_.empty()) return nullptr;
    // The smallest key after the last one: resume there.
    next_from_ = page_.back().first;
    next_from_.push_back('\0');
    return &page_[0];
  }
  void Next() { ++pos_; }

 private:
  static constexpr std::size_t kPageRows = 4096;
  const StateScan& scan_;
  std::vector<std::pair<std::string, std::string>> page_;
  std::size_t pos_ = 0;
  std::string next_from_;
  bool done_ = false;
};

}  // namespace

Result<Comparison> Compare(const StateScan& live, const StateScan& rebuilt) {
  DigestBuilder live_digests, rebuilt_digests;
  std::map<std::string, ProjectionComparison> by_name;
  auto differ = [&](std::string_view key, ProjectionComparison::Difference how,
                    const std::string* live_value, const std::string* rebuilt_value) {
    ProjectionComparison& c = by_name[ProjectionOf(key)];
    if (!c.identical) return;  // only the first difference is kept
    c.identical = false;
    c.difference = how;
    c.first_key = std::string(key);
    if (live_value) c.live_value = *live_value;
    if (rebuilt_value) c.rebuilt_value = *rebuilt_value;
  };
  Pager l(live), r(rebuilt);
  Status ls, rs;
  for (;;) {
    const auto* a = l.Current(&ls);
    if (!ls.ok()) return ls;
    const auto* b = r.Current(&rs);
    if (!rs.ok()) return rs;
    if (a == nullptr && b == nullptr) break;
    if (b == nullptr || (a != nullptr && a->first < b->first)) {
      live_digests.Add(a->first, a->second);
      differ(a->first, ProjectionComparison::Difference::kOnlyLive, &a->second, nullptr);
      l.Next();
    } else if (a == nullptr || b->first < a->first) {
      rebuilt_digests.Add(b->first, b->second);
      differ(b->first, ProjectionComparison::Difference::kOnlyRebuilt, nullptr, &b->second);
      r.Next();
    } else {
      live_digests.Add(a->first, a->second);
      rebuilt_digests.Add(b->first, b->second);
      if (a->second != b->second) {
        differ(a->first, ProjectionComparison::Difference::kValue, &a->second, &b->second);
      }
      l.Next();
      r.Next();
    }
  }
  const StateDigests ld = live_digests.Finish();
  const StateDigests rd = rebuilt_digests.Finish();
  Comparison out;
  // Both digest maps hold every known projection, and a projection with rows on one side only
  // gets the digest of nothing on the other.
  for (const auto& [name, d] : ld) by_name[name].live = d;
  for (const auto& [name, d] : rd) by_name[name].rebuilt = d;
  for (auto& [name, c] : by_name) {
    if (c.live.rows == 0) c.live.sha256 = Sha256("");
    if (c.rebuilt.rows == 0) c.rebuilt.sha256 = Sha256("");
  }
  for (auto& [name, c] : by_name) {
    c.projection = name;
    if (!c.identical) out.identical = false;
    out.projections.push_back(std::move(c));
  }
  return out;
}

Result<Comparison> Compare(const store::Ledger& live, const RebuiltState& rebuilt) {
  return Compare(ScanOf(live), ScanOf(rebuilt));
}

}  // namespace antrean::projections
