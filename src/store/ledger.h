// The ledger: an append-only, hash-chained event store.
//
// Every event gets a gap-free sequence number starting at 1 and a SHA-256 hash over its canonical
// bytes, which include the previous event's hash (docs/FORMAT.md has the byte layout). There is no
// update and no delete anywhere in this interface: a correction is a new event that refers to the
// old one.
//
// Thread safety: every method may be called from any thread at any time. Appends from many threads
// are gathered by one writer thread into one synced RocksDB write (group commit).
//
// This header deliberately includes no RocksDB or Boost header, so that code that only appends or
// reads does not pay for them at compile time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"

namespace antrean::store {

// ---- Limits (docs/FORMAT.md, "Limits"). A request over any of them is InvalidArgument. ----------
inline constexpr std::size_t kEventTypeBytesMax = 64;
inline constexpr std::size_t kIndexKeyBytesMax = 512;
inline constexpr std::size_t kIndexKeysPerEventMax = 16;
inline constexpr std::size_t kCauseFieldBytesMax = 512;      // cause id, actor, idempotency key
inline constexpr std::size_t kPayloadBytesMax = 1024 * 1024;  // one event's JSON payload
inline constexpr std::size_t kAppendEventsMax = 1024;         // events in one append request
inline constexpr std::size_t kExpectationsMax = 16;           // stream expectations per request
inline constexpr std::size_t kStatePutsMax = 4096;            // derived-state rows per request
inline constexpr std::size_t kStateValueBytesMax = 64 * 1024;
// Group commit: the writer gathers at most this much into one synced write.
inline constexpr std::size_t kGroupCommitRequestsMax = 4096;
inline constexpr std::size_t kGroupCommitBytesMax = 16 * 1024 * 1024;
// How long the sync thread may wait, at most, for appends already on their way before an fsync
// (Ledger::Options::sync_gather_micros).
inline constexpr std::int64_t kSyncGatherMicrosMax = 10'000;
// Back-pressure: appends waiting for the writer beyond this are refused with Busy.
inline constexpr std::size_t kPendingAppendsMax = 65536;
// Memory (Ledger::Options): RocksDB's block cache and all memtables together are each bounded by a
// budget, so that an open ledger's memory does not grow with its size or with restarts.
inline constexpr std::size_t kBlockCacheBytesDefault = std::size_t{256} << 20;
inline constexpr std::size_t kMemtablesBytesDefault = std::size_t{256} << 20;
inline constexpr std::size_t kMemoryBudgetBytesMin = std::size_t{4} << 20;   // each budget
inline constexpr std::size_t kMemoryBudgetBytesMax = std::size_t{64} << 30;  // each budget

// What caused an event: the inbound message id or API request id, and the acting officer or
// auditor where there is one (empty otherwise).
struct Cause {
  std::string id;
  std::string actor;
  bool operator==(const Cause&) const = default;
};

// An event as the caller hands it in. The store does not interpret type or payload; it checks
// sizes and that index keys hold no NUL byte.
struct NewEvent {
  std::string type;               // stable versioned type name, e.g. "booking_code_issued.v1"
  std::vector<std::string> keys;  // index keys, e.g. "code:K7Q2M9XPA" (events/keys.h names them)
  std::string payload;            // the event's canonical JSON
};

// Optimistic concurrency: the append goes ahead only if the newest event under `key` has sequence
// number `last_seq` (0: no event under the key yet).
struct Expectation {
  std::string key;
  std::uint64_t last_seq = 0;
};

struct AppendRequest {
  std::vector<NewEvent> events;  // 1..kAppendEventsMax, appended atomically and contiguously
  // When the fact happened by the caller's clock, microseconds since the Unix epoch (UTC). Decisions
  // pass their command's time so that replaying the same commands gives the same bytes. 0: the
  // store takes the wall clock at append time.
  std::int64_t recorded_at_us = 0;
  Cause cause;
  // Non-empty: appending the same key again, at any later time, appends nothing and returns the
  // sequence numbers of the first append (AppendResult::duplicate is then true).
  std::string idempotency_key;
  std::vector<Expectation> expectations;
  // Derived state written in the same atomic batch as the events: the rows of a projection and its
  // checkpoint (docs/FORMAT.md, "Derived state"). They go to the `state` column family, which,
  // unlike the ledger's own column families, holds views that can be rebuilt from the events at
  // any time, so a row may be replaced by a newer one. Not written for a duplicate or a conflict.
  std::vector<std::pair<std::string, std::string>> state_puts;
  // Derived-state rows to remove in the same batch (after the puts): a view's row that no longer
  // applies, e.g. the check-in deadline of a booking that was used. Never touches the ledger's
  // own column families.
  std::vector<std::string> state_deletes;
  // If non-empty, the store also writes the sequence number of the request's last event (8 bytes,
  // big-endian) under this key in the `state` column family, in the same batch: the checkpoint of
  // the projection whose rows are in state_puts.
  std::string state_checkpoint_key;
};

struct AppendResult {
  std::uint64_t first_seq = 0;  // the first event's sequence number
  std::uint32_t count = 0;      // events appended (or, for a duplicate, appended the first time)
  bool duplicate = false;       // true: the idempotency key was known and nothing was appended
  std::uint64_t last_seq() const { return first_seq + count - 1; }
};

struct Head {
  std::uint64_t seq = 0;  // 0 for an empty ledger
  Hash256 hash{};         // all zero for an empty ledger
  bool operator==(const Head&) const = default;
};

// One stored event, owned.
struct RecordedEvent {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  std::string type;
  std::string idempotency_key;
  Cause cause;
  std::vector<std::string> keys;
  std::string payload;
  Hash256 prev_hash{};
  Hash256 hash{};
};

// One stored event, borrowed: the views are valid only during the callback that receives it.
// Scans use it so that a full replay does not allocate per event.
struct EventView {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  std::string_view type;
  std::string_view idempotency_key;
  std::string_view cause_id;
  std::string_view cause_actor;
  std::uint8_t key_count = 0;
  std::string_view keys[kIndexKeysPerEventMax];
  std::string_view payload;
  std::string_view prev_hash;  // 32 bytes
  std::string_view hash;       // 32 bytes
  std::string_view record;     // the whole stored value
  RecordedEvent ToOwned() const;
};

enum class Order { kOldestFirst, kNewestFirst };

// Counters of the writer since open, for metrics and benchmarks. Monotonic.
struct LedgerStats {
  std::uint64_t appends = 0;          // acknowledged append requests (duplicates included)
  std::uint64_t events = 0;           // events appended
  std::uint64_t groups = 0;           // WAL syncs (group commits)
  std::uint64_t write_micros = 0;     // time spent in WAL syncs, summed
  std::uint64_t batches = 0;          // RocksDB write batches: the writer's groups, each one Write
  // Requests the writer answered with an error (Conflict, a failed write or sync). Requests
  // refused before they are queued (InvalidArgument, Busy, Unavailable) are not counted.
  std::uint64_t failed_appends = 0;
  // Memory RocksDB holds now, against Options::block_cache_bytes and memtables_bytes.
  std::uint64_t block_cache_bytes = 0;         // in the block cache, pinned blocks included
  std::uint64_t block_cache_pinned_bytes = 0;  // of which pinned (in use, or L0 index/filter)
  std::uint64_t memtables_bytes = 0;           // all memtables: active, immutable, pinned
  std::uint64_t table_readers_bytes = 0;       // open table files' readers, outside the cache
};

struct KeyPage {
  std::vector<RecordedEvent> events;
  // Pass back as `cursor` to get the next page; 0 when there is no more.
  std::uint64_t next_cursor = 0;
};

// What `Verify` found. `ok` is true only when every check passed.
struct VerifyReport {
  enum class Problem {
    kNone,
    kGap,               // a sequence number is missing between 1 and the head
    kKeyMismatch,       // the record's own seq differs from the key it is stored under
    kUndecodable,       // the record's bytes do not follow docs/FORMAT.md
    kHashMismatch,      // SHA-256 of the record's body differs from its stored hash
    kChainBroken,       // prev_hash differs from the previous event's hash
    kIndexMissing,      // an event names an index key that has no entry for it
    kIndexDangling,     // an index entry points to no event, or to one that does not name it
    kIdempotencyBroken, // an idempotency entry and the events carrying its key disagree
    kDigestMismatch,    // the ledger does not contain the expected head unchanged
  };
  bool ok = true;
  Problem problem = Problem::kNone;
  std::uint64_t first_bad_seq = 0;  // the first sequence number at fault (0 if none applies)
  std::string detail;               // one sentence naming what is wrong and where
  std::uint64_t events_checked = 0;
  std::uint64_t index_entries_checked = 0;
  std::uint64_t idempotency_entries_checked = 0;
  Head head;
  double seconds = 0;
  static std::string_view ProblemName(Problem p);
};

struct VerifyOptions {
  // If set: also prove the ledger still contains this head unchanged (an auditor's saved digest).
  std::optional<Head> expected;
  // Threads hashing in parallel (the chain links are checked after). 0: one per core.
  unsigned threads = 0;
};

class Ledger {
 public:
  struct Options {
    // Read-only opens do not take the directory lock, so an auditor can verify or dump a ledger
    // while the service runs; they see the ledger as it was when opened.
    bool read_only = false;
    bool create_if_missing = true;
    // On a read-write open, this many events at the tail are re-hashed and their links checked;
    // a tail that does not verify makes Open fail with Corruption naming the sequence number.
    std::size_t tail_check_events = 1024;
    // Group commit: before an fsync, while appenders are being answered or appends are queued or
    // being written (their groups are moments away), wait up to this long so that one fsync covers
    // them too. 0: sync at once. At most kSyncGatherMicrosMax. An idle ledger never waits.
    std::int64_t sync_gather_micros = 500;
    // The ledger's own block cache: data, index and filter blocks of every column family (RocksDB
    // would otherwise keep every table file's index and filter blocks in memory, outside any cache,
    // growing with history).
    std::size_t block_cache_bytes = kBlockCacheBytesDefault;
    // All memtables together, through one write-buffer manager; each column family flushes at its
    // share, so that replaying the WAL after a crash fits in it too. Both budgets must be within
    // kMemoryBudgetBytesMin..kMemoryBudgetBytesMax.
    std::size_t memtables_bytes = kMemtablesBytesDefault;
  };

  // Opens (or creates) the ledger in `dir`. Errors: IOError (locked by another process, read-only
  // or missing directory, disk), Corruption (the tail does not verify; the message names the seq).
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir, const Options& options);

  virtual ~Ledger() = default;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Appends the request's events atomically, after every earlier acknowledged append, and returns
  // only once they are synced to disk. Errors: InvalidArgument (a limit or a malformed key; nothing
  // appended), Conflict (an expectation failed; nothing appended), IOError (a write or sync failed:
  // the append is not acknowledged and may or may not be on disk; the ledger refuses further
  // appends until reopened, after which a retry with the same idempotency key tells which), Busy
  // (too many pending), Unavailable (read-only or closed).
  virtual Result<AppendResult> Append(AppendRequest request) = 0;

  // As Append, but returns at once; `done` runs on one of the ledger's threads once the outcome is
  // known, in the order the appends were written, and must not block (it may call AppendAsync,
  // never Append). Used by the HTTP service so that no I/O thread waits for a disk sync.
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  // The newest acknowledged event.
  virtual Head GetHead() const = 0;

  virtual LedgerStats GetStats() const = 0;

  // Calls `fn` for each event with from_seq <= seq <= to_seq, in order, until it returns false.
  // Errors: Corruption when a stored record cannot be decoded, or when an event is missing (a
  // hole left by deleting it behind the ledger's back), naming the seq; the events before it have
  // been given to `fn`.
  virtual Status Scan(std::uint64_t from_seq, std::uint64_t to_seq,
                      const std::function<bool(const EventView&)>& fn) const = 0;

  // One event. NotFound if seq is 0 or past the head.
  virtual Result<RecordedEvent> Get(std::uint64_t seq) const = 0;

  // Events indexed under `key`, a page at a time. `cursor` 0 starts at the oldest (kOldestFirst) or
  // newest (kNewestFirst) event; pass KeyPage::next_cursor to continue.
  virtual Result<KeyPage> ReadByKey(std::string_view key, Order order, std::uint64_t cursor,
                                    std::size_t limit) const = 0;

  // The sequence number of the newest event under `key`, 0 if none: the version Expectation checks.
  virtual Result<std::uint64_t> StreamVersion(std::string_view key) const = 0;

  // The first append made with this idempotency key, or nullopt if there was none.
  virtual Result<std::optional<AppendResult>> FindIdempotent(std::string_view key) const = 0;

  // A row of derived state (see AppendRequest::state_puts); nullopt if absent. Sees rows written
  // by appends not yet acknowledged, so that the one decision thread that writes them can read its
  // own writes.
  virtual Result<std::optional<std::string>> GetState(std::string_view key) const = 0;

  // Calls `fn` for each derived-state row with from <= key < to (to empty: no upper bound), in key
  // order, until it returns false. Like GetState, it sees rows of appends not yet acknowledged.
  virtual Status ScanState(std::string_view from, std::string_view to,
                           const std::function<bool(std::string_view key, std::string_view value)>&
                               fn) const = 0;

  // Replaces and removes derived-state rows outside any append, in one synced batch of the `state`
  // column family alone, leaving the checkpoint as it is: for a version that stores the same
  // derived rows under other keys (projections/state_upgrade.h). The ledger's own column families
  // are never touched. Only before this process's first append, while nothing is queued: the rows
  // must stay those the appended events fold to. Unavailable when read-only or after a failure.
  virtual Status RewriteState(const std::vector<std::pair<std::string, std::string>>& puts,
                              const std::vector<std::string>& deletes) = 0;

  // Walks the whole chain, every index entry and every idempotency entry. A ledger that fails gets
  // ok=false in the report, not an error Status; an error Status means verify itself could not run.
  virtual Result<VerifyReport> Verify(const VerifyOptions& options) const = 0;

  // Stops accepting appends, finishes those already queued, and syncs. Idempotent; the destructor
  // calls it.
  virtual void Close() = 0;

 protected:
  Ledger() = default;
};

}  // namespace antrean::store
