// The ledger APIs beyond appending and reading events (src/store/ledger.h): derived state written
// with an append (AppendRequest::state_puts, GetState), FindIdempotent, GetStats, and the promise
// that every read stops at the acknowledged head. On a real RocksDB database in a temp directory.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"

namespace antrean::store {
namespace {

using support::BigEndian8;
using support::RawDb;

AppendRequest One(std::vector<std::string> keys, std::string payload = "{}") {
  AppendRequest req;
  req.events.push_back(NewEvent{"test_event.v1", std::move(keys), std::move(payload)});
  return req;
}

AppendRequest WithState(AppendRequest req,
                        std::vector<std::pair<std::string, std::string>> state_puts) {
  req.state_puts = std::move(state_puts);
  return req;
}

class LedgerStateTest : public support::LedgerFixture {
 protected:
  // The row under `key`, or "<absent>"; a failed read fails the test.
  std::string State(std::string_view key) {
    auto r = ledger_->GetState(key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "<error>";
    return r->has_value() ? **r : std::string("<absent>");
  }

  // Every seq Scan(from, to) hands to its callback.
  std::vector<std::uint64_t> ScanSeqs(std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> seqs;
    Status s = ledger_->Scan(from, to, [&](const EventView& v) {
      seqs.push_back(v.seq);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return seqs;
  }
};

// ---- state_puts and GetState
// ---------------------------------------------------------------------

TEST_F(LedgerStateTest, StatePutsAreReadableAfterTheAppend) {
  EXPECT_EQ(State("board:A"), "<absent>");
  AppendOk(WithState(One({"code:A"}), {{"board:A", "one"}, {"board:B", "two"}}));
  EXPECT_EQ(State("board:A"), "one");
  EXPECT_EQ(State("board:B"), "two");
  EXPECT_EQ(State("board:C"), "<absent>");
}

TEST_F(LedgerStateTest, LaterAppendReplacesAStateRow) {
  AppendOk(WithState(One({"code:A"}), {{"board:A", "old"}, {"board:B", "kept"}}));
  AppendOk(WithState(One({"code:A"}), {{"board:A", "new"}}));
  EXPECT_EQ(State("board:A"), "new");
  EXPECT_EQ(State("board:B"), "kept") << "a row the later append does not name is untouched";
}

TEST_F(LedgerStateTest, EmptyStateValueIsARowNotAnAbsence) {
  AppendOk(WithState(One({"code:A"}), {{"board:A", ""}}));
  auto r = ledger_->GetState("board:A");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, "");
}

TEST_F(LedgerStateTest, DuplicateAppendWritesNoStateRows) {
  AppendRequest first = WithState(One({"code:A"}), {{"board:A", "first"}});
  first.idempotency_key = "inbound:1";
  AppendOk(first);

  AppendRequest again = WithState(One({"code:A"}), {{"board:A", "second"}, {"board:B", "x"}});
  again.idempotency_key = "inbound:1";
  AppendResult r = AppendOk(again);
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(State("board:A"), "first");
  EXPECT_EQ(State("board:B"), "<absent>");
}

TEST_F(LedgerStateTest, DuplicatesInOneGroupWriteNoStateRows) {
  // Queued back to back, these likely share a group: the first is appended, the rest are
  // duplicates of it found within the group. Whichever way they are grouped, only the first
  // request's row may be written.
  constexpr int kRequests = 64;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  std::vector<Result<AppendResult>> results(kRequests, Status::Unavailable("unanswered"));
  for (int i = 0; i < kRequests; ++i) {
    AppendRequest req = WithState(One({"code:A"}), {{"board:A", "v" + std::to_string(i)}});
    req.idempotency_key = "inbound:same";
    ledger_->AppendAsync(std::move(req), [&, i](Result<AppendResult> r) {
      std::lock_guard lk(mu);
      results[i] = std::move(r);
      ++answered;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return answered == kRequests; });
  }
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_FALSE(results[0]->duplicate);
  for (int i = 1; i < kRequests; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    EXPECT_TRUE(results[i]->duplicate) << i;
    EXPECT_EQ(results[i]->first_seq, results[0]->first_seq) << i;
  }
  EXPECT_EQ(ledger_->GetHead().seq, 1u);
  EXPECT_EQ(State("board:A"), "v0");
}

TEST_F(LedgerStateTest, ConflictWritesNoStateRows) {
  AppendOk(WithState(One({"code:A"}), {{"board:A", "before"}}));
  AppendRequest req = WithState(One({"code:A"}), {{"board:A", "after"}, {"board:B", "x"}});
  req.expectations.push_back({"code:A", 0});  // the stream is at 1
  auto r = ledger_->Append(std::move(req));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_EQ(State("board:A"), "before");
  EXPECT_EQ(State("board:B"), "<absent>");
  EXPECT_EQ(ledger_->GetHead().seq, 1u);
}

TEST_F(LedgerStateTest, StateRowsSurviveReopen) {
  AppendOk(WithState(One({"code:A"}), {{"board:A", "one"}}));
  AppendOk(WithState(One({"code:B"}), {{"board:A", "two"}, {"board:B", "three"}}));
  Reopen();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(State("board:A"), "two");
  EXPECT_EQ(State("board:B"), "three");
}

TEST_F(LedgerStateTest, TooManyStatePutsAreRefusedAndNothingIsAppended) {
  std::vector<std::pair<std::string, std::string>> puts;
  for (std::size_t i = 0; i <= kStatePutsMax; ++i)
    puts.emplace_back("row:" + std::to_string(i), "v");
  auto r = ledger_->Append(WithState(One({"code:A"}), puts));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 0u);
  EXPECT_EQ(State("row:0"), "<absent>");

  puts.pop_back();  // exactly the limit is allowed
  AppendOk(WithState(One({"code:A"}), puts));
  EXPECT_EQ(State("row:" + std::to_string(kStatePutsMax - 1)), "v");
}

TEST_F(LedgerStateTest, TooLargeStateValueIsRefusedAndNothingIsAppended) {
  auto r = ledger_->Append(
      WithState(One({"code:A"}),
                {{"board:A", "ok"}, {"board:B", std::string(kStateValueBytesMax + 1, 'x')}}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 0u);
  EXPECT_EQ(State("board:A"), "<absent>") << "the request's other rows are not written either";

  AppendOk(WithState(One({"code:A"}), {{"board:B", std::string(kStateValueBytesMax, 'x')}}));
  EXPECT_EQ(State("board:B").size(), kStateValueBytesMax);
}

TEST_F(LedgerStateTest, EmptyStateKeyIsRefusedAndNothingIsAppended) {
  auto r = ledger_->Append(WithState(One({"code:A"}), {{"board:A", "ok"}, {"", "v"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 0u);
  EXPECT_EQ(State("board:A"), "<absent>");
}

TEST_F(LedgerStateTest, TooLongStateKeyIsRefusedAndNothingIsAppended) {
  auto r =
      ledger_->Append(WithState(One({"code:A"}), {{std::string(kIndexKeyBytesMax + 1, 'k'), "v"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 0u);
}

TEST_F(LedgerStateTest, VerifyIgnoresTheStateColumnFamily) {
  AppendOk(WithState(One({"code:A"}), {{"board:A", "one"}, {"board:B", "two"}}));
  AppendOk(WithState(One({"code:B"}), {{"board:A", "three"}}));
  ledger_.reset();
  {
    RawDb raw(LedgerDir());
    raw.Put(raw.state(), "board:A", "changed behind the ledger's back");
    raw.Delete(raw.state(), "board:B");
    raw.Put(raw.state(), "board:C", "never appended");
  }
  ledger_ = OpenOk();
  ASSERT_NE(ledger_, nullptr);
  // The change happened...
  EXPECT_EQ(State("board:A"), "changed behind the ledger's back");
  EXPECT_EQ(State("board:B"), "<absent>");
  EXPECT_EQ(State("board:C"), "never appended");
  // ...and verify does not read the state family.
  auto report = ledger_->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << VerifyReport::ProblemName(report->problem) << ": " << report->detail;
  EXPECT_EQ(report->events_checked, 2u);
}

// ---- state_checkpoint_key
// ---------------------------------------------------------------------------

TEST_F(LedgerStateTest, CheckpointKeyHoldsTheLastSeqBigEndian) {
  AppendOk(One({"code:A"}));
  AppendRequest req;
  for (int i = 0; i < 3; ++i) req.events.push_back(NewEvent{"test_event.v1", {"code:B"}, "{}"});
  req.state_puts = {{"board:B", "row"}};
  req.state_checkpoint_key = "checkpoint:board";
  AppendResult r = AppendOk(req);
  ASSERT_EQ(r.last_seq(), 4u);
  EXPECT_EQ(State("checkpoint:board"), BigEndian8(4)) << "the last event's seq, not the first's";
  EXPECT_EQ(State("board:B"), "row");

  AppendRequest next = One({"code:C"});
  next.state_checkpoint_key = "checkpoint:board";
  AppendOk(next);
  EXPECT_EQ(State("checkpoint:board"), BigEndian8(5)) << "a later append replaces the checkpoint";

  AppendOk(One({"code:C"}));  // seq 6, no checkpoint key
  EXPECT_EQ(State("checkpoint:board"), BigEndian8(5));

  Reopen();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(State("checkpoint:board"), BigEndian8(5));
}

// Appends in flight together are written as one group (one batch, its state writes sorted by key):
// each checkpoint still names the last event of the last request that named it, and of two writes
// of one row the later wins.
TEST_F(LedgerStateTest, AppendsInOneGroupKeepTheirCheckpointsAndTheLaterWriteOfARow) {
  constexpr int kPairs = 50;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  std::vector<std::uint64_t> board_seqs;
  auto done = [&](Result<AppendResult> r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::lock_guard lk(mu);
    ++answered;
    cv.notify_all();
  };
  for (int i = 0; i < kPairs; ++i) {
    AppendRequest board = WithState(One({"code:A"}), {{"row:shared", "put " + std::to_string(i)}});
    board.state_checkpoint_key = "checkpoint:board";
    ledger_->AppendAsync(std::move(board), done);
    AppendRequest other = One({"code:B"});  // names no checkpoint
    if (i == kPairs - 1) other.state_deletes = {"row:shared"};
    if (i % 2 == 0) other.state_checkpoint_key = "checkpoint:other";
    ledger_->AppendAsync(std::move(other), done);
  }
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return answered == 2 * kPairs; });
  // Pair i holds seqs 2i+1 (board) and 2i+2 (other).
  EXPECT_EQ(State("checkpoint:board"), BigEndian8(2 * kPairs - 1));
  EXPECT_EQ(State("checkpoint:other"), BigEndian8(2 * (kPairs - 2) + 2));
  EXPECT_EQ(State("row:shared"), "<absent>") << "deleted by the last request";
}

TEST_F(LedgerStateTest, CheckpointKeyIsNotWrittenForADuplicate) {
  AppendRequest first = One({"code:A"});
  first.idempotency_key = "inbound:1";
  AppendOk(first);            // seq 1, no checkpoint
  AppendOk(One({"code:B"}));  // seq 2

  AppendRequest again = One({"code:A"});
  again.idempotency_key = "inbound:1";
  again.state_checkpoint_key = "checkpoint:board";
  AppendResult r = AppendOk(again);
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(State("checkpoint:board"), "<absent>");
}

TEST_F(LedgerStateTest, CheckpointKeyIsNotWrittenForAConflict) {
  AppendOk(One({"code:A"}));
  AppendRequest req = One({"code:A"});
  req.expectations.push_back({"code:A", 0});  // the stream is at 1
  req.state_checkpoint_key = "checkpoint:board";
  auto r = ledger_->Append(std::move(req));
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_EQ(State("checkpoint:board"), "<absent>");
}

TEST_F(LedgerStateTest, TooLongCheckpointKeyIsRefusedAndNothingIsAppended) {
  AppendRequest req = One({"code:A"});
  req.state_checkpoint_key = std::string(kIndexKeyBytesMax + 1, 'k');
  auto r = ledger_->Append(std::move(req));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 0u);
}

// ---- FindIdempotent
// ------------------------------------------------------------------------------

TEST_F(LedgerStateTest, FindIdempotentOfAnUnknownKeyIsNullopt) {
  auto r = ledger_->FindIdempotent("inbound:never");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());

  AppendOk(One({"code:A"}));
  r = ledger_->FindIdempotent("inbound:never");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
}

TEST_F(LedgerStateTest, FindIdempotentReturnsTheFirstAppend) {
  AppendOk(One({"code:A"}));
  AppendRequest req;
  for (int i = 0; i < 3; ++i) req.events.push_back(NewEvent{"test_event.v1", {"code:B"}, "{}"});
  req.idempotency_key = "inbound:batch";
  AppendOk(req);              // seqs 2..4
  AppendOk(req);              // a duplicate: appends nothing
  AppendOk(One({"code:C"}));  // seq 5

  auto r = ledger_->FindIdempotent("inbound:batch");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->first_seq, 2u);
  EXPECT_EQ((*r)->count, 3u);
  EXPECT_TRUE((*r)->duplicate);

  Reopen();
  ASSERT_NE(ledger_, nullptr);
  r = ledger_->FindIdempotent("inbound:batch");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->first_seq, 2u);
  EXPECT_EQ((*r)->count, 3u);
}

TEST_F(LedgerStateTest, FindIdempotentOfAnEmptyKeyIsInvalidArgument) {
  auto r = ledger_->FindIdempotent("");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
}

TEST_F(LedgerStateTest, FindIdempotentOfAnOverlongKeyIsInvalidArgument) {
  auto r = ledger_->FindIdempotent(std::string(kCauseFieldBytesMax + 1, 'k'));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
}

// ---- GetStats
// ------------------------------------------------------------------------------------

TEST_F(LedgerStateTest, StatsOfAFreshLedgerAreZero) {
  const LedgerStats s = ledger_->GetStats();
  EXPECT_EQ(s.appends, 0u);
  EXPECT_EQ(s.events, 0u);
  EXPECT_EQ(s.groups, 0u);
  EXPECT_EQ(s.write_micros, 0u);
  EXPECT_EQ(s.failed_appends, 0u);
}

TEST_F(LedgerStateTest, StatsCountAppendsEventsAndGroups) {
  AppendOk(One({"code:A"}));
  AppendOk(One({"code:A"}));
  AppendRequest batch;
  for (int i = 0; i < 3; ++i) batch.events.push_back(NewEvent{"test_event.v1", {"code:B"}, "{}"});
  AppendOk(batch);
  const LedgerStats s = ledger_->GetStats();
  EXPECT_EQ(s.appends, 3u);
  EXPECT_EQ(s.events, 5u);
  EXPECT_GE(s.groups, 1u);
  EXPECT_LE(s.groups, 3u) << "each synchronous append needs at most one synced write";
  EXPECT_EQ(s.failed_appends, 0u);
}

TEST_F(LedgerStateTest, StatsReportTheMemoryHeldAgainstTheBudgets) {
  for (int i = 0; i < 50; ++i) AppendOk(One({"code:A"}));
  const LedgerStats written = ledger_->GetStats();
  EXPECT_GT(written.memtables_bytes, 0u) << "the appends are in the memtables";
  EXPECT_LE(written.memtables_bytes, kMemtablesBytesDefault);
  Reopen();  // a clean close flushes: the next reads come from table files, through the cache
  ASSERT_NE(ledger_, nullptr);
  for (std::uint64_t seq = 1; seq <= 50; ++seq) ASSERT_TRUE(ledger_->Get(seq).ok());
  const LedgerStats read = ledger_->GetStats();
  EXPECT_GT(read.block_cache_bytes, 0u) << "the blocks read are in the cache";
  EXPECT_LE(read.block_cache_bytes, kBlockCacheBytesDefault);
  EXPECT_LE(read.block_cache_pinned_bytes, read.block_cache_bytes);
}

TEST_F(LedgerStateTest, StatsCountADuplicateAsAnAppendWithoutEvents) {
  AppendRequest req = One({"code:A"});
  req.idempotency_key = "inbound:1";
  AppendOk(req);
  AppendResult r = AppendOk(req);
  ASSERT_TRUE(r.duplicate);
  const LedgerStats s = ledger_->GetStats();
  EXPECT_EQ(s.appends, 2u) << "duplicates are acknowledged appends";
  EXPECT_EQ(s.events, 1u);
  EXPECT_EQ(s.failed_appends, 0u);
}

TEST_F(LedgerStateTest, StatsCountAConflictAsAFailedAppend) {
  AppendOk(One({"code:A"}));
  AppendRequest req = One({"code:A"});
  req.expectations.push_back({"code:A", 0});
  auto r = ledger_->Append(std::move(req));
  ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
  const LedgerStats s = ledger_->GetStats();
  EXPECT_EQ(s.appends, 1u);
  EXPECT_EQ(s.events, 1u);
  EXPECT_EQ(s.failed_appends, 1u);
}

TEST_F(LedgerStateTest, StatsDoNotCountARefusedRequestAsAnAppend) {
  // Only what holds whether or not failed_appends counts requests refused before the writer:
  // see the report on LedgerStats::failed_appends.
  AppendOk(One({"code:A"}));
  auto r = ledger_->Append(AppendRequest{});  // no events
  ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  const LedgerStats s = ledger_->GetStats();
  EXPECT_EQ(s.appends, 1u);
  EXPECT_EQ(s.events, 1u);
}

TEST_F(LedgerStateTest, StatsStartOverOnReopen) {
  AppendOk(One({"code:A"}));
  Reopen();
  ASSERT_NE(ledger_, nullptr);
  const LedgerStats s = ledger_->GetStats();
  EXPECT_EQ(s.appends, 0u) << "counters are since open";
  EXPECT_EQ(s.events, 0u);
}

// ---- Reads are bounded by the acknowledged head -------------------------------------------------

TEST_F(LedgerStateTest, GetPastTheHeadIsNotFound) {
  auto r = ledger_->Get(1);
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  AppendOk(One({"code:A"}));
  AppendOk(One({"code:A"}));
  ASSERT_EQ(ledger_->GetHead().seq, 2u);
  EXPECT_TRUE(ledger_->Get(2).ok());
  r = ledger_->Get(3);
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  r = ledger_->Get(~std::uint64_t{0});
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  r = ledger_->Get(0);
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

TEST_F(LedgerStateTest, ScanPastTheHeadStopsAtTheHead) {
  EXPECT_TRUE(ScanSeqs(1, ~std::uint64_t{0}).empty());
  for (int i = 0; i < 4; ++i) AppendOk(One({"code:A"}));
  EXPECT_EQ(ScanSeqs(1, 100), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(ScanSeqs(3, ~std::uint64_t{0}), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_TRUE(ScanSeqs(5, 100).empty());
  EXPECT_TRUE(ScanSeqs(~std::uint64_t{0}, ~std::uint64_t{0}).empty());
}

TEST_F(LedgerStateTest, ReadByKeyNewestFirstWithACursorPastTheHeadStartsAtTheHead) {
  AppendOk(One({"code:A"}));  // 1
  AppendOk(One({"code:B"}));  // 2
  AppendOk(One({"code:A"}));  // 3
  AppendOk(One({"code:B"}));  // 4
  for (std::uint64_t cursor : {std::uint64_t{5}, std::uint64_t{1000}, ~std::uint64_t{0}}) {
    auto page = ledger_->ReadByKey("code:A", Order::kNewestFirst, cursor, 10);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::uint64_t> seqs;
    for (const auto& e : page->events) seqs.push_back(e.seq);
    EXPECT_EQ(seqs, (std::vector<std::uint64_t>{3, 1})) << "cursor " << cursor;
    EXPECT_EQ(page->next_cursor, 0u);
  }
}

TEST_F(LedgerStateTest, ReadByKeyOldestFirstWithACursorPastTheHeadIsEmpty) {
  AppendOk(One({"code:A"}));
  AppendOk(One({"code:A"}));
  auto page = ledger_->ReadByKey("code:A", Order::kOldestFirst, 3, 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->events.empty());
  EXPECT_EQ(page->next_cursor, 0u);
}

TEST_F(LedgerStateTest, StreamVersionIsTheNewestSeqUnderTheKey) {
  auto v = ledger_->StreamVersion("code:A");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, 0u);
  AppendOk(One({"code:A"}));            // 1
  AppendOk(One({"code:B"}));            // 2
  AppendOk(One({"code:A", "code:C"}));  // 3
  AppendOk(One({"code:B"}));            // 4
  v = ledger_->StreamVersion("code:A");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 3u);
  v = ledger_->StreamVersion("code:B");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 4u);
  EXPECT_LE(*v, ledger_->GetHead().seq);
}

// While appends go on, nothing a read returns may be newer than the head: take the head after the
// read (the head only grows), and everything read must be at or below it.
TEST_F(LedgerStateTest, ReadsDuringConcurrentAppendsNeverPassTheHead) {
  constexpr int kWriters = 4;
  constexpr int kAppendsEach = 150;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kAppendsEach; ++i) {
        AppendRequest req = One({"code:A", "code:W" + std::to_string(t)});
        req.idempotency_key = "w" + std::to_string(t) + ":" + std::to_string(i);
        auto r = ledger_->Append(std::move(req));
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  std::thread reader([&] {
    int rounds = 0;
    while (!done.load() || rounds < 10) {
      ++rounds;
      const std::uint64_t before = ledger_->GetHead().seq;
      std::uint64_t max_scanned = 0;
      std::uint64_t scanned = 0;
      EXPECT_TRUE(ledger_
                      ->Scan(1, ~std::uint64_t{0},
                             [&](const EventView& v) {
                               max_scanned = std::max(max_scanned, v.seq);
                               ++scanned;
                               return true;
                             })
                      .ok());
      auto version = ledger_->StreamVersion("code:A");
      auto page = ledger_->ReadByKey("code:A", Order::kNewestFirst, 0, 1);
      auto idem = ledger_->FindIdempotent("w0:" + std::to_string(rounds % kAppendsEach));
      const std::uint64_t after = ledger_->GetHead().seq;

      EXPECT_GE(max_scanned, before);
      EXPECT_LE(max_scanned, after);
      EXPECT_EQ(scanned, max_scanned) << "a scan from 1 is gap-free";
      ASSERT_TRUE(version.ok());
      EXPECT_GE(*version, before) << "every event carries code:A";
      EXPECT_LE(*version, after);
      ASSERT_TRUE(page.ok());
      if (!page->events.empty()) {
        EXPECT_LE(page->events[0].seq, after);
      }
      ASSERT_TRUE(idem.ok());
      if (idem->has_value()) {
        EXPECT_LE((*idem)->last_seq(), after);
      }
      if (before > 0) {
        EXPECT_TRUE(ledger_->Get(before).ok());
      }
    }
  });
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(ledger_->GetHead().seq, std::uint64_t{kWriters * kAppendsEach});
}

// ---- Concurrency of state_puts ------------------------------------------------------------------

TEST_F(LedgerStateTest, ConcurrentStatePutsLeaveTheRowOfTheHighestSeq) {
  constexpr int kThreads = 8;
  constexpr int kAppendsEach = 200;
  constexpr int kRows = 5;
  struct Outcome {
    std::uint64_t first_seq;
    std::vector<std::pair<std::string, std::string>> puts;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Outcome> outcomes;
  int answered = 0;
  int failed = 0;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsEach; ++i) {
        const std::string value = "t" + std::to_string(t) + "." + std::to_string(i);
        // Two overlapping rows per request, different pairs from different threads.
        std::vector<std::pair<std::string, std::string>> puts = {
            {"row:" + std::to_string(i % kRows), value},
            {"row:" + std::to_string((i + t + 1) % kRows), value + "b"}};
        if (puts[0].first == puts[1].first) puts.pop_back();
        AppendRequest req = WithState(One({"code:T" + std::to_string(t)}), puts);
        req.state_checkpoint_key = "checkpoint:rows";
        ledger_->AppendAsync(std::move(req), [&, puts](Result<AppendResult> r) {
          std::lock_guard lk(mu);
          if (r.ok()) {
            outcomes.push_back({r->first_seq, puts});
          } else {
            ++failed;
            ADD_FAILURE() << r.status().ToString();
          }
          ++answered;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return answered == kThreads * kAppendsEach; });
  }
  ASSERT_EQ(failed, 0);

  std::map<std::string, std::pair<std::uint64_t, std::string>> expected;  // key -> (seq, value)
  for (const auto& o : outcomes) {
    for (const auto& [k, v] : o.puts) {
      auto it = expected.find(k);
      if (it == expected.end() || it->second.first < o.first_seq) expected[k] = {o.first_seq, v};
    }
  }
  ASSERT_EQ(expected.size(), std::size_t{kRows});
  for (const auto& [k, seq_value] : expected) {
    EXPECT_EQ(State(k), seq_value.second) << k << " was last written by seq " << seq_value.first;
  }
  EXPECT_GE(ledger_->GetStats().groups, 1u);
  EXPECT_EQ(ledger_->GetHead().seq, std::uint64_t{kThreads * kAppendsEach});
  EXPECT_EQ(State("checkpoint:rows"), BigEndian8(kThreads * kAppendsEach))
      << "every append wrote the checkpoint; the newest one is the head";

  // The same after a reopen: the rows were written in the same batches as the events.
  Reopen();
  ASSERT_NE(ledger_, nullptr);
  for (const auto& [k, seq_value] : expected) EXPECT_EQ(State(k), seq_value.second) << k;
  EXPECT_EQ(State("checkpoint:rows"), BigEndian8(kThreads * kAppendsEach));
}

TEST_F(LedgerStateTest, AKeyPutAndErasedByManyAppendsOfOneGroupEndsAsTheLastAppendLeftIt) {
  // Appends submitted back to back are written in groups; the writer puts only the last change of
  // a key within a group into the batch. Whatever the grouping, the row must end as the append
  // with the highest seq left it, for puts and erases alike, and the same after a reopen.
  constexpr int kAppends = 600;
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  std::uint64_t last_seq = 0;
  std::string last_value;  // "<absent>" when the last change was an erase
  for (int i = 0; i < kAppends; ++i) {
    AppendRequest req = One({"code:G"});
    // Erase every third time, and put the other two with their own value.
    std::string value = "<absent>";
    if (i % 3 == 2) {
      req.state_deletes = {"row:g"};
    } else {
      value = "v" + std::to_string(i);
      req.state_puts = {{"row:g", value}, {"row:other", value}};
    }
    ledger_->AppendAsync(std::move(req), [&, value](Result<AppendResult> r) {
      std::lock_guard lk(mu);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok() && r->first_seq > last_seq) {
        last_seq = r->first_seq;
        last_value = value;
      }
      ++answered;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return answered == kAppends; });
  }
  EXPECT_EQ(last_seq, std::uint64_t{kAppends});
  EXPECT_EQ(last_value, "<absent>") << "append 600 (i = 599) erases";
  EXPECT_EQ(State("row:g"), "<absent>");
  EXPECT_EQ(State("row:other"), "v598");
  Reopen();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(State("row:g"), "<absent>");
  EXPECT_EQ(State("row:other"), "v598");

  // And the other way round: erased, then put again, within what is likely one group.
  for (int i = 0; i < 2; ++i) {
    AppendRequest req = One({"code:G"});
    if (i == 0)
      req.state_deletes = {"row:g2"};
    else
      req.state_puts = {{"row:g2", "back"}};
    ledger_->AppendAsync(std::move(req), [&](Result<AppendResult> r) {
      std::lock_guard lk(mu);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      ++answered;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return answered == kAppends + 2; });
  }
  EXPECT_EQ(State("row:g2"), "back");
}

}  // namespace
}  // namespace antrean::store
