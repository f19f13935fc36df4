// The RocksDB implementation of Ledger. Internal: include store/ledger.h instead, unless you are
// the ledger's own code (this header pulls in RocksDB).
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/ledger.h"

namespace antrean::store {

inline constexpr char kFormatKey[] = "format";
inline constexpr char kFormatValue[] = "antrean-ledger 1";
inline constexpr char kEventsFamily[] = "events";
inline constexpr char kIndexFamily[] = "index";
inline constexpr char kIdempotencyFamily[] = "idempotency";
inline constexpr char kStateFamily[] = "state";

class RocksLedger final : public Ledger {
 public:
  ~RocksLedger() override;

  static Result<std::unique_ptr<Ledger>> OpenRocks(const std::string& dir, const Options& options);

  Result<AppendResult> Append(AppendRequest request) override;
  void AppendAsync(AppendRequest request, AppendCallback done) override;
  Head GetHead() const override;
  LedgerStats GetStats() const override;
  Status Scan(std::uint64_t from_seq, std::uint64_t to_seq,
              const std::function<bool(const EventView&)>& fn) const override;
  Result<RecordedEvent> Get(std::uint64_t seq) const override;
  Result<KeyPage> ReadByKey(std::string_view key, Order order, std::uint64_t cursor,
                            std::size_t limit) const override;
  Result<std::uint64_t> StreamVersion(std::string_view key) const override;
  Result<std::optional<AppendResult>> FindIdempotent(std::string_view key) const override;
  Result<std::optional<std::string>> GetState(std::string_view key) const override;
  Status ScanState(std::string_view from, std::string_view to,
                   const std::function<bool(std::string_view, std::string_view)>& fn)
      const override;
  Status RewriteState(const std::vector<std::pair<std::string, std::string>>& puts,
                      const std::vector<std::string>& deletes) override;
  Result<VerifyReport> Verify(const VerifyOptions& options) const override;
  void Close() override;

 private:
  struct Pending;
  RocksLedger() = default;

  Status LoadHead();
  Status CheckTail(std::size_t events);
  struct Written;
  void WriterLoop();
  void SyncLoop();
  bool IdleFor(std::size_t appends);
  void GatherMore(std::deque<Written>& batch);
  void AckLoop();
  Written WriteGroup(std::vector<std::unique_ptr<Pending>>& group);
  void SyncAndPublish(std::deque<Written>& batch);
  void Publish(std::deque<Written>& written, const Status& sync_status, bool synced,
               std::uint64_t sync_micros);
  void Answer(std::deque<Written>& written);
  Result<std::uint64_t> LastSeqUnder(std::string_view key, std::uint64_t max_seq) const;

  std::string dir_;
  bool read_only_ = false;
  std::int64_t sync_gather_micros_ = 0;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
  std::shared_ptr<rocksdb::Cache> block_cache_;        // every column family's
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* idempotency_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;

  mutable std::mutex head_mu_;
  Head head_;          // the newest acknowledged (synced) event; guarded by head_mu_
  LedgerStats stats_;  // guarded by head_mu_

  // The append pipeline (docs/FORMAT.md, "Durability"): appenders queue requests; the writer
  // thread chains them and writes each group to the WAL unsynced; the sync thread fsyncs the WAL
  // and only then publishes the new head for every group written before that sync began; the
  // ack thread runs their callbacks. The writer never waits for the disk, so
  // each fsync covers all that arrived while the previous one ran. An idle ledger is the
  // exception: there the writer syncs and answers its group itself (WriterLoop), since no other
  // append could share the fsync and each hand-over is a thread wake-up on the append's path.
  Head written_head_;  // the newest written event; only the writer thread touches it
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;  // guarded by queue_mu_
  bool stopping_ = false;                       // guarded by queue_mu_
  Status failed_;                               // sticky write failure; guarded by queue_mu_
  std::thread writer_;

  // What the sync thread watches to decide whether more appends are about to be written: see
  // GatherMore in rocks_ledger.cc.
  std::atomic<std::size_t> queued_{0};  // appends in queue_
  std::atomic<bool> writing_{false};    // the writer holds a group it has not handed on yet
  std::atomic<bool> acking_{false};     // the ack thread is running callbacks
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<Written> written_;  // groups written but not yet synced; guarded by sync_mu_
  bool syncing_ = false;         // the sync thread holds groups it has not handed on; by sync_mu_
  bool writer_done_ = false;     // guarded by sync_mu_
  // Appends the last round of callbacks answered: while fewer than that come back in one group,
  // more are on their way, and the writer hands its group to the sync thread (WriterLoop).
  std::atomic<std::size_t> last_answered_{0};
  // Appends queued since the ledger opened, and whether any came while the last fsync ran: a
  // stream of appends, which the pipeline serves better than a writer syncing itself.
  std::atomic<std::uint64_t> arrivals_{0};
  std::atomic<bool> busy_during_sync_{false};
  std::thread syncer_;

  // Synced groups wait here for the ack thread, which runs their callbacks in order: waking
  // dozens of appenders takes longer than an fsync, and must not delay the next one.
  std::mutex ack_mu_;
  std::condition_variable ack_cv_;
  std::deque<Written> acks_;  // guarded by ack_mu_
  bool syncer_done_ = false;  // guarded by ack_mu_
  std::thread acker_;
  std::once_flag close_once_;

  friend class LedgerVerifier;
};

}  // namespace antrean::store
