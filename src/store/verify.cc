// `Ledger::Verify`: the whole chain, every index entry and every idempotency entry
// (docs/FORMAT.md, "Verification by antrean verify").
//
// The fast path is three sequential passes under one snapshot: the events (split into ranges
// hashed on parallel threads, their links stitched after), the index and the idempotency entries.
// The events pass sums a keyed hash of every (index key, seq) and (idempotency key, seq) the events
// name; the other two passes sum the same over what is stored. Equal sums mean the column families
// agree; only when they differ does a slow pass look entry by entry to name the first bad seq.
#include <rocksdb/db.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <thread>

#include "common/sha256.h"
#include "common/siphash.h"
#include "store/chain.h"
#include "store/record.h"
#include "store/rocks_ledger.h"

namespace antrean::store {

namespace {

using Problem = VerifyReport::Problem;

// Below this many events one thread does the chain: threads cost more than they save.
constexpr std::uint64_t kEventsPerThreadMin = 50'000;
constexpr unsigned kVerifyThreadsMax = 16;

// An order-independent fingerprint of a multiset of byte strings: two keyed 64-bit sums and a
// count. Adding the same strings in any order gives the same fingerprint.
struct Fingerprint {
  std::uint64_t a = 0, b = 0, count = 0;
  void Add(const SipKey& ka, const SipKey& kb, std::string_view bytes) {
    a += SipHash24(ka, bytes);
    b += SipHash24(kb, bytes);
    ++count;
  }
  void Merge(const Fingerprint& o) {
    a += o.a;
    b += o.b;
    count += o.count;
  }
  bool operator==(const Fingerprint&) const = default;
};

void EntryBytes(std::string* buf, std::string_view key, std::uint64_t seq) {
  buf->assign(key);
  buf->push_back('\0');
  record::PutFixed64BE(buf, seq);
}

struct RangeResult {
  ChainFault fault;
  Hash256 first_prev{};
  Hash256 last_hash{};
  Fingerprint index;
  Fingerprint idem;
  std::uint64_t events = 0;
};

void KeepFirst(ChainFault* best, ChainFault candidate) {
  if (candidate.ok()) return;
  if (best->ok() || candidate.seq < best->seq) *best = std::move(candidate);
}

}  // namespace

class LedgerVerifier {
 public:
  LedgerVerifier(const RocksLedger& ledger, const VerifyOptions& options)
      : l_(ledger), options_(options) {
    std::random_device rd;
    auto r64 = [&rd] { return (std::uint64_t{rd()} << 32) | rd(); };
    ka_ = {r64(), r64()};
    kb_ = {r64(), r64()};
  }

  ~LedgerVerifier() {
    if (snapshot_ != nullptr) l_.db_->ReleaseSnapshot(snapshot_);
  }

  Result<VerifyReport> Run();

 private:
  rocksdb::ReadOptions Reads() const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    ro.readahead_size = 2 * 1024 * 1024;
    return ro;
  }
  Result<Head> FindHead();
  RangeResult CheckRange(std::uint64_t from, std::uint64_t to) const;
  Result<Fingerprint> IndexPass(ChainFault* fault) const;
  Result<Fingerprint> IdempotencyPass(std::uint64_t head_seq, ChainFault* fault) const;
  ChainFault DiagnoseIndex() const;
  ChainFault DiagnoseIdempotency() const;
  ChainFault CheckDigest(const Head& head) const;
  Result<EventView> ReadEvent(std::uint64_t seq, std::string* buf) const;

  const RocksLedger& l_;
  VerifyOptions options_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  SipKey ka_, kb_;
};

Result<VerifyReport> RocksLedger::Verify(const VerifyOptions& options) const {
  LedgerVerifier verifier(*this, options);
  return verifier.Run();
}

Result<Head> LedgerVerifier::FindHead() {
  std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.events_));
  it->SeekToLast();
  if (!it->status().ok()) return Status::IOError("reading the head: " + it->status().ToString());
  Head head;
  if (!it->Valid()) return head;
  if (!record::ParseEventKey({it->key().data(), it->key().size()}, &head.seq)) {
    return Status::Corruption("the last key of the events column family is not 8 bytes");
  }
  EventView v;
  if (record::Decode({it->value().data(), it->value().size()}, &v).ok()) {
    std::memcpy(head.hash.data(), v.hash.data(), 32);
  }
  return head;
}

RangeResult LedgerVerifier::CheckRange(std::uint64_t from, std::uint64_t to) const {
  static const Hash256 kZero{};
  RangeResult r;
  ChainWalker walker(from, from == 1 ? &kZero : nullptr);
  rocksdb::ReadOptions ro = Reads();
  const std::string upper = record::EventKey(to + 1);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(ro, l_.events_));
  std::string buf;
  for (it->Seek(record::EventKey(from)); it->Valid(); it->Next()) {
    std::uint64_t key_seq = 0;
    if (!record::ParseEventKey({it->key().data(), it->key().size()}, &key_seq)) {
      r.fault = {Problem::kUndecodable, walker.next_seq(),
                 "a key of the events column family is not 8 bytes (near seq " +
                     std::to_string(walker.next_seq()) + ")"};
      return r;
    }
    EventView v;
    if (!walker.Feed(key_seq, {it->value().data(), it->value().size()}, &v)) {
      r.fault = walker.fault();
      return r;
    }
    for (std::size_t i = 0; i < v.key_count; ++i) {
      EntryBytes(&buf, v.keys[i], v.seq);
      r.index.Add(ka_, kb_, buf);
    }
    if (!v.idempotency_key.empty()) {
      EntryBytes(&buf, v.idempotency_key, v.seq);
      r.idem.Add(ka_, kb_, buf);
    }
    ++r.events;
  }
  if (!it->status().ok()) {
    r.fault = {Problem::kUndecodable, walker.next_seq(), "reading: " + it->status().ToString()};
    return r;
  }
  if (walker.next_seq() != to + 1) {
    r.fault = {Problem::kGap, walker.next_seq(),
               "event " + std::to_string(walker.next_seq()) + " is missing"};
    return r;
  }
  r.first_prev = walker.first_prev();
  r.last_hash = walker.last_hash();
  return r;
}

Result<Fingerprint> LedgerVerifier::IndexPass(ChainFault* fault) const {
  Fingerprint fp;
  std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.index_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key;
    std::uint64_t seq = 0;
    std::string_view entry(it->key().data(), it->key().size());
    if (!record::ParseIndexEntryKey(entry, &key, &seq)) {
      // It names no event, so there is no seq to give: 0, and the entry's key itself, in hex
      // (`ldb --column_family=index --hex` shows it so), says which one.
      KeepFirst(fault, {Problem::kIndexDangling, 0,
                        "index entry 0x" + ToHex(entry.substr(0, kIndexKeyBytesMax)) +
                            " is malformed: it has no 0x00 and 8-byte seq suffix, so it names "
                            "no event (seq 0 here)"});
      continue;
    }
    fp.Add(ka_, kb_, entry);
  }
  if (!it->status().ok()) return Status::IOError("reading the index: " + it->status().ToString());
  return fp;
}

Result<Fingerprint> LedgerVerifier::IdempotencyPass(std::uint64_t head_seq,
                                                    ChainFault* fault) const {
  Fingerprint fp;
  std::string buf;
  std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.idempotency_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::uint64_t first = 0;
    std::uint32_t count = 0;
    if (!record::ParseIdempotencyValue({it->value().data(), it->value().size()}, &first,
                                       &count) ||
        first == 0 || count == 0 || first > head_seq || count > head_seq - first + 1) {
      KeepFirst(fault, {Problem::kIdempotencyBroken, std::min(first == 0 ? 1 : first, head_seq + 1),
                        "idempotency entry \"" + std::string(key) +
                            "\" points outside the ledger or is malformed"});
      continue;
    }
    for (std::uint64_t s = first; s < first + count; ++s) {
      EntryBytes(&buf, key, s);
      fp.Add(ka_, kb_, buf);
    }
  }
  if (!it->status().ok()) {
    return Status::IOError("reading the idempotency entries: " + it->status().ToString());
  }
  return fp;
}

Result<EventView> LedgerVerifier::ReadEvent(std::uint64_t seq, std::string* buf) const {
  rocksdb::Status s = l_.db_->Get(Reads(), l_.events_, record::EventKey(seq), buf);
  if (!s.ok()) return Status::NotFound("no event " + std::to_string(seq));
  EventView v;
  if (auto st = record::Decode(*buf, &v); !st.ok()) return st;
  return v;
}

ChainFault LedgerVerifier::DiagnoseIndex() const {
  ChainFault best;
  // Events naming a key that has no entry.
  {
    std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.events_));
    std::string value;
    for (it->SeekToFirst(); it->Valid() && best.ok(); it->Next()) {
      EventView v;
      if (!record::Decode({it->value().data(), it->value().size()}, &v).ok()) continue;
      for (std::size_t i = 0; i < v.key_count; ++i) {
        auto s = l_.db_->Get(Reads(), l_.index_, record::IndexEntryKey(v.keys[i], v.seq), &value);
        if (s.IsNotFound()) {
          best = {Problem::kIndexMissing, v.seq,
                  "event " + std::to_string(v.seq) + " names index key \"" +
                      std::string(v.keys[i]) + "\" but the index has no entry for it"};
          break;
        }
      }
    }
  }
  // Entries pointing to no event, or to one that does not name their key.
  std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.index_));
  std::string buf;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key;
    std::uint64_t seq = 0;
    if (!record::ParseIndexEntryKey({it->key().data(), it->key().size()}, &key, &seq)) continue;
    if (!best.ok() && seq >= best.seq) continue;
    auto v = ReadEvent(seq, &buf);
    bool named = false;
    if (v.ok()) {
      for (std::size_t i = 0; i < v->key_count; ++i) named = named || v->keys[i] == key;
    }
    if (!named) {
      KeepFirst(&best, {Problem::kIndexDangling, seq,
                        "index entry \"" + std::string(key) + "\" points to event " +
                            std::to_string(seq) +
                            (v.ok() ? ", which does not name that key" : ", which does not exist")});
    }
  }
  return best;
}

ChainFault LedgerVerifier::DiagnoseIdempotency() const {
  ChainFault best;
  std::string value;
  {
    std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.events_));
    for (it->SeekToFirst(); it->Valid() && best.ok(); it->Next()) {
      EventView v;
      if (!record::Decode({it->value().data(), it->value().size()}, &v).ok() ||
          v.idempotency_key.empty()) {
        continue;
      }
      std::uint64_t first = 0;
      std::uint32_t count = 0;
      auto s = l_.db_->Get(Reads(), l_.idempotency_,
                           rocksdb::Slice(v.idempotency_key.data(), v.idempotency_key.size()),
                           &value);
      if (!s.ok() || !record::ParseIdempotencyValue(value, &first, &count) || v.seq < first ||
          v.seq >= first + count) {
        best = {Problem::kIdempotencyBroken, v.seq,
                "event " + std::to_string(v.seq) + " carries idempotency key \"" +
                    std::string(v.idempotency_key) + "\" but no idempotency entry covers it"};
      }
    }
  }
  std::unique_ptr<rocksdb::Iterator> it(l_.db_->NewIterator(Reads(), l_.idempotency_));
  std::string buf;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::uint64_t first = 0;
    std::uint32_t count = 0;
    if (!record::ParseIdempotencyValue({it->value().data(), it->value().size()}, &first, &count)) {
      continue;
    }
    for (std::uint64_t s = first; s < first + count; ++s) {
      if (!best.ok() && s >= best.seq) break;
      auto v = ReadEvent(s, &buf);
      if (!v.ok() || v->idempotency_key != key) {
        KeepFirst(&best, {Problem::kIdempotencyBroken, s,
                          "idempotency entry \"" + std::string(key) + "\" covers event " +
                              std::to_string(s) + ", which does not carry that key"});
        break;
      }
    }
  }
  return best;
}

ChainFault LedgerVerifier::CheckDigest(const Head& head) const {
  if (!options_.expected) return {};
  const Head& kept = *options_.expected;
  if (kept.seq == 0) return {};
  if (kept.seq > head.seq) {
    return {Problem::kDigestMismatch, head.seq + 1,
            "the ledger ends at seq " + std::to_string(head.seq) + " but the kept digest is of seq " +
                std::to_string(kept.seq) + ": events " + std::to_string(head.seq + 1) + ".." +
                std::to_string(kept.seq) + " were cut off"};
  }
  std::string buf;
  auto v = ReadEvent(kept.seq, &buf);
  if (!v.ok() || std::memcmp(v->hash.data(), kept.hash.data(), 32) != 0) {
    return {Problem::kDigestMismatch, kept.seq,
            "event " + std::to_string(kept.seq) + " no longer has the kept hash " +
                ToHex(kept.hash) + ": the chain up to it was rewritten"};
  }
  return {};
}

Result<VerifyReport> LedgerVerifier::Run() {
  const auto start = std::chrono::steady_clock::now();
  snapshot_ = l_.db_->GetSnapshot();
  auto head = FindHead();
  if (!head.ok()) return head.status();
  VerifyReport report;
  report.head = *head;

  unsigned threads = options_.threads != 0 ? options_.threads : std::thread::hardware_concurrency();
  threads = std::clamp<unsigned>(threads, 1, kVerifyThreadsMax);
  const std::uint64_t ranges = std::clamp<std::uint64_t>(head->seq / kEventsPerThreadMin, 1, threads);
  std::vector<std::future<RangeResult>> parts;
  const std::uint64_t per = head->seq / ranges;
  for (std::uint64_t i = 0; i < ranges && head->seq > 0; ++i) {
    const std::uint64_t from = 1 + i * per;
    const std::uint64_t to = i + 1 == ranges ? head->seq : (i + 1) * per;
    parts.push_back(std::async(std::launch::async, [this, from, to] { return CheckRange(from, to); }));
  }
  ChainFault fault;
  auto index_fp = std::async(std::launch::async, [this] {
    ChainFault f;
    auto fp = IndexPass(&f);
    return std::make_pair(std::move(fp), f);
  });
  Fingerprint events_index, events_idem;
  std::vector<RangeResult> results;
  for (auto& p : parts) results.push_back(p.get());
  for (std::size_t i = 0; i < results.size(); ++i) {
    KeepFirst(&fault, results[i].fault);
    events_index.Merge(results[i].index);
    events_idem.Merge(results[i].idem);
    report.events_checked += results[i].events;
    // Stitch: each range's first prev_hash must be the previous range's last hash.
    if (i > 0 && results[i].fault.ok() && results[i - 1].fault.ok() &&
        results[i].first_prev != results[i - 1].last_hash) {
      const std::uint64_t seq = 1 + i * per;
      KeepFirst(&fault, {Problem::kChainBroken, seq,
                         "event " + std::to_string(seq) + ": prev_hash is not the hash of event " +
                             std::to_string(seq - 1)});
    }
  }
  auto [index_stored, index_fault] = index_fp.get();
  if (!index_stored.ok()) return index_stored.status();
  KeepFirst(&fault, index_fault);
  report.index_entries_checked = index_stored->count;
  auto idem_stored = IdempotencyPass(head->seq, &fault);
  if (!idem_stored.ok()) return idem_stored.status();
  report.idempotency_entries_checked = idem_stored->count;

  // Sums over events that failed to decode are incomplete; only compare when the chain is whole.
  if (fault.ok() && !(*index_stored == events_index)) {
    ChainFault d = DiagnoseIndex();
    if (d.ok()) d = {Problem::kIndexDangling, 0, "the index and the events disagree"};
    KeepFirst(&fault, d);
  }
  if (fault.ok() && !(*idem_stored == events_idem)) {
    ChainFault d = DiagnoseIdempotency();
    if (d.ok()) d = {Problem::kIdempotencyBroken, 0, "the idempotency entries and events disagree"};
    KeepFirst(&fault, d);
  }
  if (fault.ok()) KeepFirst(&fault, CheckDigest(*head));

  if (!fault.ok()) {
    report.ok = false;
    report.problem = fault.problem;
    report.first_bad_seq = fault.seq;
    report.detail = fault.detail;
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace antrean::store
