// The ledger's public interface (src/store/ledger.h): what Append, Get, Scan, ReadByKey,
// StreamVersion and Verify promise, on a real RocksDB database in a temporary directory.
#include "store/ledger.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/sha256.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::store {
namespace {

NewEvent Event(std::string type, std::vector<std::string> keys, std::string payload) {
  return NewEvent{std::move(type), std::move(keys), std::move(payload)};
}

AppendRequest One(std::vector<std::string> keys, std::string payload = "{}") {
  AppendRequest req;
  req.events.push_back(Event("test_event.v1", std::move(keys), std::move(payload)));
  return req;
}

// The bytes docs/FORMAT.md prescribes, written out independently of src/store/record.cc.
void Be(std::string* out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void Str(std::string* out, std::string_view s) {
  Be(out, s.size(), 2);
  out->append(s);
}

class LedgerTest : public support::LedgerFixture {
 protected:
  // Appends `n` single-event requests, event i under keys[i % keys.size()], payload {"n":i}.
  void AppendMany(int n, const std::vector<std::string>& keys) {
    for (int i = 0; i < n; ++i) {
      AppendOk(One({keys[i % keys.size()]}, "{\"n\":" + std::to_string(i) + "}"));
    }
  }

  std::vector<std::uint64_t> Seqs(const KeyPage& page) {
    std::vector<std::uint64_t> seqs;
    for (const auto& e : page.events) seqs.push_back(e.seq);
    return seqs;
  }

  VerifyReport VerifyOk(const VerifyOptions& options = {}) {
    auto r = ledger_->Verify(options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }
};

TEST_F(LedgerTest, EmptyLedgerHasZeroHead) {
  EXPECT_EQ(ledger_->GetHead(), (Head{0, Hash256{}}));
  VerifyReport report = VerifyOk();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.events_checked, 0u);
  EXPECT_EQ(report.head, (Head{0, Hash256{}}));
}

TEST_F(LedgerTest, AppendedEventReadsBackEveryEnvelopeField) {
  AppendRequest req;
  req.events.push_back(Event("booking_code_issued.v1", {"code:K7Q2M9XPA", "phone:6281234567890"},
                             R"({"code":"K7Q2M9XPA"})"));
  req.recorded_at_us = 1'772'411'465'123'456;
  req.cause = {"wamid.HBgM", "officer:budi"};
  req.idempotency_key = "inbound:wamid.HBgM";
  AppendResult r = AppendOk(req);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.count, 1u);
  EXPECT_FALSE(r.duplicate);

  auto e = ledger_->Get(1);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->seq, 1u);
  EXPECT_EQ(e->recorded_at_us, 1'772'411'465'123'456);
  EXPECT_EQ(e->type, "booking_code_issued.v1");
  EXPECT_EQ(e->keys, (std::vector<std::string>{"code:K7Q2M9XPA", "phone:6281234567890"}));
  EXPECT_EQ(e->cause, (Cause{"wamid.HBgM", "officer:budi"}));
  EXPECT_EQ(e->idempotency_key, "inbound:wamid.HBgM");
  EXPECT_EQ(e->payload, R"({"code":"K7Q2M9XPA"})");
  EXPECT_EQ(e->prev_hash, Hash256{}) << "seq 1 chains to 32 zero bytes";

  // The stored record is exactly docs/FORMAT.md's body followed by SHA-256(body).
  std::string body;
  body.push_back('\x01');
  Be(&body, 1, 8);
  Be(&body, 1'772'411'465'123'456, 8);
  body.append(32, '\0');
  Str(&body, "booking_code_issued.v1");
  Str(&body, "inbound:wamid.HBgM");
  Str(&body, "wamid.HBgM");
  Str(&body, "officer:budi");
  body.push_back('\x02');
  Str(&body, "code:K7Q2M9XPA");
  Str(&body, "phone:6281234567890");
  Be(&body, 20, 4);
  body.append(R"({"code":"K7Q2M9XPA"})");
  EXPECT_EQ(e->hash, Sha256(body));
  EXPECT_EQ(ledger_->GetHead(), (Head{1, Sha256(body)}));
  std::string stored;
  ASSERT_TRUE(ledger_
                  ->Scan(1, 1,
                         [&](const EventView& v) {
                           stored = std::string(v.record);
                           return true;
                         })
                  .ok());
  const Hash256 h = Sha256(body);
  EXPECT_EQ(ToHex(stored), ToHex(body + std::string(h.begin(), h.end())));
}

TEST_F(LedgerTest, EachEventChainsToThePreviousHash) {
  AppendOk(One({"code:A"}));
  AppendOk(One({"code:B"}));
  auto first = ledger_->Get(1);
  auto second = ledger_->Get(2);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_NE(second->hash, first->hash);
  EXPECT_EQ(ledger_->GetHead(), (Head{2, second->hash}));
}

TEST_F(LedgerTest, ZeroRecordedAtTakesTheWallClock) {
  const auto now = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now();
  AppendOk(One({"code:A"}));
  const std::int64_t after = now();
  auto e = ledger_->Get(1);
  ASSERT_TRUE(e.ok());
  EXPECT_GE(e->recorded_at_us, before);
  EXPECT_LE(e->recorded_at_us, after);
}

TEST_F(LedgerTest, BatchAppendIsContiguous) {
  AppendOk(One({"code:A"}));
  AppendRequest batch;
  for (int i = 0; i < 5; ++i) {
    batch.events.push_back(Event("batch.v1", {"code:B"}, "{\"i\":" + std::to_string(i) + "}"));
  }
  AppendResult r = AppendOk(batch);
  EXPECT_EQ(r.first_seq, 2u);
  EXPECT_EQ(r.count, 5u);
  EXPECT_EQ(r.last_seq(), 6u);
  for (std::uint64_t seq = 2; seq <= 6; ++seq) {
    auto e = ledger_->Get(seq);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->payload, "{\"i\":" + std::to_string(seq - 2) + "}");
  }
  EXPECT_EQ(ledger_->GetHead().seq, 6u);
}

TEST_F(LedgerTest, IdempotentAppendReturnsOriginalSeqs) {
  AppendOk(One({"code:A"}));
  AppendRequest req;
  req.events = {Event("a.v1", {"code:B"}, "{}"), Event("b.v1", {"code:B"}, "{}")};
  req.idempotency_key = "inbound:m1";
  AppendResult first = AppendOk(req);
  const Head head = ledger_->GetHead();

  AppendResult again = AppendOk(req);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.first_seq, first.first_seq);
  EXPECT_EQ(again.count, 2u);
  EXPECT_EQ(ledger_->GetHead(), head) << "a duplicate appends nothing";
}

TEST_F(LedgerTest, IdempotentAppendIsRecognisedAfterReopen) {
  AppendRequest req = One({"code:A"});
  req.idempotency_key = "inbound:m1";
  AppendResult first = AppendOk(req);
  Reopen();
  AppendResult again = AppendOk(req);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.first_seq, first.first_seq);
  EXPECT_EQ(again.count, first.count);
  EXPECT_EQ(ledger_->GetHead().seq, 1u);
}

TEST_F(LedgerTest, DuplicatesRacingInOneGroupCommitAppendOnce) {
  // A large append keeps the writer busy while the duplicates queue up behind it, so that they are
  // gathered into the same group commit (the outcome must be the same either way).
  AppendRequest big;
  for (int i = 0; i < 1024; ++i)
    big.events.push_back(Event("filler.v1", {}, std::string(4096, 'x')));
  std::promise<Result<AppendResult>> big_done;
  ledger_->AppendAsync(std::move(big), [&](Result<AppendResult> r) { big_done.set_value(r); });

  constexpr int kCopies = 8;
  std::vector<std::promise<Result<AppendResult>>> done(kCopies);
  for (int i = 0; i < kCopies; ++i) {
    AppendRequest req;
    req.events = {Event("a.v1", {"code:A"}, "{}"), Event("b.v1", {"code:A"}, "{}")};
    req.idempotency_key = "inbound:same";
    ledger_->AppendAsync(std::move(req), [&done, i](Result<AppendResult> r) {
      done[static_cast<std::size_t>(i)].set_value(r);
    });
  }
  ASSERT_TRUE(big_done.get_future().get().ok());
  int originals = 0;
  std::set<std::uint64_t> first_seqs;
  for (auto& d : done) {
    auto r = d.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (!r->duplicate) ++originals;
    first_seqs.insert(r->first_seq);
    EXPECT_EQ(r->count, 2u);
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(first_seqs, (std::set<std::uint64_t>{1025}));
  EXPECT_EQ(ledger_->GetHead().seq, 1026u);
  EXPECT_TRUE(VerifyOk().ok);
}

TEST_F(LedgerTest, ExpectedVersionMismatchIsConflictAndAppendsNothing) {
  AppendOk(One({"code:A"}));
  AppendOk(One({"code:A"}));
  AppendRequest req = One({"code:A"});
  req.expectations = {{"code:A", 1}};
  auto r = ledger_->Append(req);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 2u);
}

TEST_F(LedgerTest, ExpectedVersionMatchAppends) {
  AppendRequest first = One({"code:A"});
  first.expectations = {{"code:A", 0}};  // 0: the stream is new
  EXPECT_EQ(AppendOk(first).first_seq, 1u);
  AppendOk(One({"code:B"}));
  AppendRequest second = One({"code:A"});
  second.expectations = {{"code:A", 1}, {"code:B", 2}};
  EXPECT_EQ(AppendOk(second).first_seq, 3u);
}

TEST_F(LedgerTest, StreamVersionIsTheNewestSeqUnderTheKey) {
  AppendOk(One({"code:A"}));
  AppendOk(One({"code:B"}));
  AppendOk(One({"code:A", "code:C"}));
  EXPECT_EQ(*ledger_->StreamVersion("code:A"), 3u);
  EXPECT_EQ(*ledger_->StreamVersion("code:B"), 2u);
  EXPECT_EQ(*ledger_->StreamVersion("code:C"), 3u);
  EXPECT_EQ(*ledger_->StreamVersion("code:none"), 0u);
}

TEST_F(LedgerTest, ReadByKeyOldestFirstPagesWithCursor) {
  AppendMany(10, {"code:A", "code:B"});  // code:A holds 1, 3, 5, 7, 9
  auto page = ledger_->ReadByKey("code:A", Order::kOldestFirst, 0, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{1, 3}));
  page = ledger_->ReadByKey("code:A", Order::kOldestFirst, page->next_cursor, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{5, 7}));
  page = ledger_->ReadByKey("code:A", Order::kOldestFirst, page->next_cursor, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{9}));
  EXPECT_EQ(page->next_cursor, 0u) << "no more pages";
  EXPECT_EQ(page->events[0].payload, "{\"n\":8}");
}

TEST_F(LedgerTest, ReadByKeyNewestFirstPagesWithCursor) {
  AppendMany(10, {"code:A", "code:B"});  // code:B holds 2, 4, 6, 8, 10
  auto page = ledger_->ReadByKey("code:B", Order::kNewestFirst, 0, 3);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{10, 8, 6}));
  page = ledger_->ReadByKey("code:B", Order::kNewestFirst, page->next_cursor, 3);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{4, 2}));
  EXPECT_EQ(page->next_cursor, 0u);
}

TEST_F(LedgerTest, ReadByKeyDoesNotMatchLongerKeysWithTheSamePrefix) {
  AppendOk(One({"phone:62812"}));
  AppendOk(One({"phone:6281"}));
  AppendOk(One({"phone:628"}));
  auto page = ledger_->ReadByKey("phone:6281", Order::kOldestFirst, 0, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{2}));
  page = ledger_->ReadByKey("phone:6281", Order::kNewestFirst, 0, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Seqs(*page), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(*ledger_->StreamVersion("phone:6281"), 2u);
}

TEST_F(LedgerTest, ReadByKeyOfUnknownKeyIsEmpty) {
  AppendOk(One({"code:A"}));
  auto page = ledger_->ReadByKey("code:none", Order::kOldestFirst, 0, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->events.empty());
  EXPECT_EQ(page->next_cursor, 0u);
}

TEST_F(LedgerTest, ScanVisitsTheInclusiveRangeInOrder) {
  AppendMany(10, {"code:A"});
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(ledger_
                  ->Scan(3, 7,
                         [&](const EventView& v) {
                           seen.push_back(v.seq);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{3, 4, 5, 6, 7}));
  seen.clear();
  ASSERT_TRUE(ledger_
                  ->Scan(0, ~std::uint64_t{0},
                         [&](const EventView& v) {
                           seen.push_back(v.seq);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen.front(), 1u);
  EXPECT_EQ(seen.back(), 10u);
}

TEST_F(LedgerTest, ScanStopsWhenTheCallbackReturnsFalse) {
  AppendMany(10, {"code:A"});
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(ledger_
                  ->Scan(1, 10,
                         [&](const EventView& v) {
                           seen.push_back(v.seq);
                           return v.seq < 4;
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST_F(LedgerTest, ScanPastTheHeadVisitsNothing) {
  AppendMany(3, {"code:A"});
  int calls = 0;
  ASSERT_TRUE(ledger_->Scan(4, 100, [&](const EventView&) { return ++calls, true; }).ok());
  ASSERT_TRUE(ledger_->Scan(3, 2, [&](const EventView&) { return ++calls, true; }).ok());
  EXPECT_EQ(calls, 0);
}

TEST_F(LedgerTest, GetOfSeqZeroOrPastTheHeadIsNotFound) {
  AppendOk(One({"code:A"}));
  EXPECT_TRUE(ledger_->Get(0).status().IsNotFound());
  EXPECT_TRUE(ledger_->Get(2).status().IsNotFound());
}

// Each limit refuses the whole request with InvalidArgument naming the field; nothing is appended.
class LedgerLimitTest : public LedgerTest {
 protected:
  void ExpectRejected(AppendRequest req, std::string_view names) {
    AppendOk(One({"code:A"}));
    auto r = ledger_->Append(std::move(req));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_NE(r.status().message().find(names), std::string::npos)
        << "\"" << r.status().message() << "\" should name " << names;
    EXPECT_EQ(ledger_->GetHead().seq, 1u);
  }
};

TEST_F(LedgerLimitTest, TooManyIndexKeysRejected) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i <= kIndexKeysPerEventMax; ++i) keys.push_back("k:" + std::to_string(i));
  ExpectRejected(One(keys), "index keys");
}

TEST_F(LedgerLimitTest, NulByteInIndexKeyRejected) {
  ExpectRejected(One({std::string("code:A\0B", 8)}), "NUL");
}

TEST_F(LedgerLimitTest, OversizePayloadRejected) {
  ExpectRejected(One({"code:A"}, std::string(kPayloadBytesMax + 1, 'x')), "payload");
}

TEST_F(LedgerLimitTest, OversizeIndexKeyRejected) {
  ExpectRejected(One({"code:" + std::string(kIndexKeyBytesMax, 'x')}), "index key");
}

TEST_F(LedgerLimitTest, OversizeIdempotencyKeyRejected) {
  AppendRequest req = One({"code:A"});
  req.idempotency_key = std::string(kCauseFieldBytesMax + 1, 'k');
  ExpectRejected(std::move(req), "idempotency key");
}

TEST_F(LedgerLimitTest, EmptyAppendRejected) {
  ExpectRejected(AppendRequest{}, "at least one event");
}

TEST_F(LedgerLimitTest, TooManyEventsInOneAppendRejected) {
  AppendRequest req;
  for (std::size_t i = 0; i <= kAppendEventsMax; ++i) req.events.push_back(Event("e.v1", {}, "{}"));
  ExpectRejected(std::move(req), "events");
}

TEST_F(LedgerLimitTest, OneBadEventRejectsTheWholeAppend) {
  AppendRequest req;
  req.events = {Event("ok.v1", {"code:A"}, "{}"), Event("bad.v1", {std::string(1, '\0')}, "{}")};
  ExpectRejected(std::move(req), "event 1");
}

TEST_F(LedgerTest, ConcurrentAppendsGetGapFreeUniqueSeqsHoldingTheirOwnEvents) {
  constexpr int kThreads = 16;
  constexpr int kAppendsPerThread = 200;
  struct Acked {
    AppendResult result;
    int thread, n;
  };
  std::vector<std::vector<Acked>> acked(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kAppendsPerThread; ++n) {
        AppendRequest req;
        const int events = 1 + (n + t) % 5;
        for (int i = 0; i < events; ++i) {
          req.events.push_back(
              Event("concurrent.v1", {"thread:" + std::to_string(t)},
                    std::to_string(t) + "/" + std::to_string(n) + "/" + std::to_string(i)));
        }
        auto r = ledger_->Append(std::move(req));
        if (!r.ok() || r->count != static_cast<std::uint32_t>(events)) {
          ++failures;
          continue;
        }
        acked[static_cast<std::size_t>(t)].push_back({*r, t, n});
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  std::map<std::uint64_t, std::string> expected;  // seq -> payload its append put there
  for (const auto& per_thread : acked) {
    std::uint64_t last = 0;
    for (const auto& a : per_thread) {
      EXPECT_GT(a.result.first_seq, last) << "one thread's appends are ordered";
      last = a.result.last_seq();
      for (std::uint32_t i = 0; i < a.result.count; ++i) {
        const bool fresh =
            expected
                .emplace(a.result.first_seq + i, std::to_string(a.thread) + "/" +
                                                     std::to_string(a.n) + "/" + std::to_string(i))
                .second;
        EXPECT_TRUE(fresh) << "seq " << a.result.first_seq + i << " acknowledged twice";
      }
    }
  }
  const std::uint64_t head = ledger_->GetHead().seq;
  ASSERT_EQ(expected.size(), head) << "every seq from 1 to the head belongs to exactly one append";
  ASSERT_EQ(expected.begin()->first, 1u);
  ASSERT_EQ(expected.rbegin()->first, head);
  std::uint64_t next = 1;
  ASSERT_TRUE(ledger_
                  ->Scan(1, head,
                         [&](const EventView& v) {
                           EXPECT_EQ(v.seq, next++);
                           EXPECT_EQ(v.payload, expected[v.seq]) << "seq " << v.seq;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(next, head + 1);
  VerifyReport report = VerifyOk();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.events_checked, head);
}

TEST_F(LedgerTest, ReadOnlyOpenRefusesAppendAndSeesTheData) {
  AppendMany(3, {"code:A"});
  Ledger::Options options;
  options.read_only = true;
  auto reader = OpenOk(options);  // beside the open read-write ledger: no lock is taken
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->GetHead(), ledger_->GetHead());
  auto e = reader->Get(2);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->payload, "{\"n\":1}");
  auto r = reader->Append(One({"code:A"}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_EQ(ledger_->GetHead().seq, 3u);
}

TEST_F(LedgerTest, SecondReadWriteOpenFailsBecauseLocked) {
  auto second = Ledger::Open(LedgerDir(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsIOError()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("locked"), std::string::npos)
      << second.status().message();
}

TEST_F(LedgerTest, MemoryBudgetsOutsideTheirLimitsAreRefusedNamingWhich) {
  Ledger::Options small;
  small.block_cache_bytes = kMemoryBudgetBytesMin - 1;
  auto a = Ledger::Open(dir_.path() + "/a", small);
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(a.status().IsInvalidArgument()) << a.status().ToString();
  EXPECT_EQ(a.status().message().rfind("block_cache_bytes of 4194303 bytes is outside", 0), 0u)
      << a.status().message();
  Ledger::Options large;
  large.memtables_bytes = kMemoryBudgetBytesMax + 1;
  auto b = Ledger::Open(dir_.path() + "/b", large);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message().rfind("memtables_bytes of ", 0), 0u) << b.status().message();
}

// With the smallest budgets the memtables flush many times over; every event is still there.
TEST_F(LedgerTest, TheSmallestMemoryBudgetsFlushOftenAndKeepEveryEvent) {
  ledger_.reset();
  Ledger::Options options;
  options.block_cache_bytes = kMemoryBudgetBytesMin;
  options.memtables_bytes = kMemoryBudgetBytesMin;
  ledger_ = OpenOk(options);
  ASSERT_NE(ledger_, nullptr);
  const std::string filler(900, 'x');
  constexpr int kRequests = 200, kPerRequest = 100;  // ~20 MiB: five times the memtables' budget
  for (int r = 0; r < kRequests; ++r) {
    AppendRequest req;
    for (int i = 0; i < kPerRequest; ++i) {
      const int n = r * kPerRequest + i;
      req.events.push_back(Event("test_event.v1", {"phone:" + std::to_string(n % 977)},
                                 "{\"n\":" + std::to_string(n) + ",\"f\":\"" + filler + "\"}"));
    }
    AppendOk(std::move(req));
  }
  // The budget made the memtables flush while appending: table files exist before any close.
  int tables = 0;
  for (const auto& f : std::filesystem::directory_iterator(LedgerDir())) {
    tables += f.path().extension() == ".sst";
  }
  EXPECT_GE(tables, 3);
  ledger_.reset();
  ledger_ = OpenOk(options);
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(ledger_->GetHead().seq, std::uint64_t{kRequests * kPerRequest});
  const VerifyReport report = VerifyOk();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.events_checked, std::uint64_t{kRequests * kPerRequest});
  auto last = ledger_->Get(kRequests * kPerRequest);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->payload.rfind("{\"n\":19999,", 0), 0u);
}

TEST_F(LedgerTest, ReadOnlyOpenOfMissingLedgerFails) {
  Ledger::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  auto l = Ledger::Open(dir_.path() + "/nothing-here", options);
  EXPECT_FALSE(l.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/nothing-here"));
}

TEST_F(LedgerTest, AppendAsyncCallbackGetsTheResult) {
  AppendOk(One({"code:A"}));
  std::promise<Result<AppendResult>> done;
  ledger_->AppendAsync(One({"code:B"}), [&](Result<AppendResult> r) { done.set_value(r); });
  auto r = done.get_future().get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first_seq, 2u);
  EXPECT_EQ(r->count, 1u);
  EXPECT_EQ(ledger_->GetHead().seq, 2u);
}

// An idle ledger syncs and answers an append on its writer thread; a busy one hands groups on to
// the sync and ack threads (rocks_ledger.cc, WriterLoop). Either way: callbacks come in the order
// the appends were written, and each sees its events already published as the head.
TEST_F(LedgerTest, AsyncCallbacksComeInWriteOrderAfterTheHeadWhetherIdleOrBusy) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> order;  // first_seq of each answer, in the order answered
  int answered = 0, failures = 0, head_behind = 0;
  auto callback = [&](Result<AppendResult> r) {
    const std::uint64_t head = ledger_->GetHead().seq;
    std::lock_guard lk(mu);
    if (!r.ok()) {
      ++failures;
    } else {
      order.push_back(r->first_seq);
      if (head < r->last_seq()) ++head_behind;
    }
    ++answered;
    cv.notify_all();
  };
  auto wait_for = [&](int n) {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return answered >= n; });
  };
  int issued = 0;
  // Idle: one append at a time.
  for (int i = 0; i < 20; ++i) {
    ledger_->AppendAsync(One({"k:idle"}), callback);
    wait_for(++issued);
  }
  // Busy: bursts of 200 from four threads at once, then one at a time again, twice.
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) ledger_->AppendAsync(One({"k:busy"}), callback);
      });
    }
    for (auto& th : threads) th.join();
    issued += 200;
    for (int i = 0; i < 5; ++i) {
      ledger_->AppendAsync(One({"k:idle"}), callback);
      ++issued;
    }
    wait_for(issued);
    for (int i = 0; i < 5; ++i) {
      ledger_->AppendAsync(One({"k:idle"}), callback);
      wait_for(++issued);
    }
  }
  std::lock_guard lk(mu);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(head_behind, 0) << "a callback ran before its events were the published head";
  ASSERT_EQ(order.size(), static_cast<std::size_t>(issued));
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(order[i], i + 1) << "answer " << i << " is out of the order of the writes";
  }
  EXPECT_EQ(ledger_->GetHead().seq, static_cast<std::uint64_t>(issued));
}

// A callback may append again (the service issues its next append from a completion): on the
// idle path that append is queued from the writer thread itself, and must still be written.
TEST_F(LedgerTest, AnAppendIssuedFromACallbackIsWrittenAndAnswered) {
  constexpr int kChain = 100;
  std::promise<void> all_done;
  std::atomic<int> answered{0};
  std::atomic<bool> failed{false};
  std::function<void()> next = [&] {
    ledger_->AppendAsync(One({"k:chain"}), [&](Result<AppendResult> r) {
      if (!r.ok() || r->first_seq != static_cast<std::uint64_t>(answered.load() + 1)) {
        failed = true;
      }
      if (++answered == kChain) {
        all_done.set_value();
      } else {
        next();
      }
    });
  };
  next();
  ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "the chain stalled after " << answered.load() << " appends";
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(ledger_->GetHead().seq, static_cast<std::uint64_t>(kChain));
  VerifyReport report = VerifyOk();
  EXPECT_TRUE(report.ok) << report.detail;
}

TEST_F(LedgerTest, AppendAsyncCallbackGetsTheRejection) {
  std::promise<Result<AppendResult>> done;
  ledger_->AppendAsync(AppendRequest{}, [&](Result<AppendResult> r) { done.set_value(r); });
  EXPECT_TRUE(done.get_future().get().status().IsInvalidArgument());
}

TEST_F(LedgerTest, ClosedLedgerRefusesAppend) {
  ledger_->Close();
  auto r = ledger_->Append(One({"code:A"}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
}

TEST_F(LedgerTest, ReopenKeepsTheHeadAndContinuesTheChain) {
  AppendMany(5, {"code:A"});
  const Head head = ledger_->GetHead();
  Reopen();
  EXPECT_EQ(ledger_->GetHead(), head);
  EXPECT_EQ(AppendOk(One({"code:A"})).first_seq, 6u);
  auto e = ledger_->Get(6);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->prev_hash, head.hash);
  EXPECT_TRUE(VerifyOk().ok);
}

TEST_F(LedgerTest, VerifyCountsEveryEntry) {
  AppendOk(One({"code:A", "phone:1"}));
  AppendRequest keyed;
  keyed.events = {Event("a.v1", {"code:A"}, "{}"), Event("b.v1", {}, "{}")};
  keyed.idempotency_key = "inbound:m1";
  AppendOk(keyed);
  VerifyReport report = VerifyOk();
  EXPECT_TRUE(report.ok) << report.detail;
  EXPECT_EQ(report.events_checked, 3u);
  EXPECT_EQ(report.index_entries_checked, 3u);
  EXPECT_EQ(report.idempotency_entries_checked, 2u) << "one per event the key covers";
  EXPECT_EQ(report.head, ledger_->GetHead());
  EXPECT_EQ(report.problem, VerifyReport::Problem::kNone);
}

TEST_F(LedgerTest, VerifyWithTheCurrentHeadAsExpectedIsOk) {
  AppendMany(5, {"code:A"});
  VerifyOptions options;
  options.expected = ledger_->GetHead();
  VerifyReport report = VerifyOk(options);
  EXPECT_TRUE(report.ok) << report.detail;
}

TEST_F(LedgerTest, VerifyWithAnEarlierHeadAsExpectedIsOk) {
  AppendMany(3, {"code:A"});
  const Head earlier = ledger_->GetHead();
  AppendMany(3, {"code:A"});
  VerifyOptions options;
  options.expected = earlier;
  VerifyReport report = VerifyOk(options);
  EXPECT_TRUE(report.ok) << report.detail;
}

TEST_F(LedgerTest, VerifyWithAnExpectedHashTheLedgerLacksIsDigestMismatch) {
  AppendMany(5, {"code:A"});
  VerifyOptions options;
  options.expected = Head{3, ledger_->GetHead().hash};  // seq 3 with seq 5's hash
  VerifyReport report = VerifyOk(options);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, VerifyReport::Problem::kDigestMismatch);
  EXPECT_EQ(report.first_bad_seq, 3u);
}

TEST_F(LedgerTest, VerifyWithAnExpectedSeqPastTheHeadIsDigestMismatch) {
  AppendMany(5, {"code:A"});
  VerifyOptions options;
  options.expected = Head{8, ledger_->GetHead().hash};
  VerifyReport report = VerifyOk(options);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, VerifyReport::Problem::kDigestMismatch);
  EXPECT_EQ(report.first_bad_seq, 6u) << "the first seq that was cut off";
}

}  // namespace
}  // namespace antrean::store
