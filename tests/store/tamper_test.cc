// Tampering: a ledger of 200 events is built through the API and closed; each test then changes
// its RocksDB database directly, as an attacker with access to the disk would, and checks that
// both `Ledger::Verify` and the real `antrean verify --json` name the exact first bad seq and the
// right problem (docs/FORMAT.md, "Verification by antrean verify").
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"
#include "tests/support/run_binary.h"

namespace antrean::store {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using support::BigEndian8;
using support::CliRun;
using support::Quote;
using support::RawDb;
using support::RunShell;
using support::TempDir;

constexpr std::uint64_t kEvents = 200;
// Events after this one are single appends without idempotency keys, so the tail can be cut at
// any of them without leaving an idempotency entry that points past the head.
constexpr std::uint64_t kPlainTailFrom = 181;

// The events column family's key of `seq`.
std::string EventKey(std::uint64_t seq) { return BigEndian8(seq); }

std::string IndexEntry(const std::string& key, std::uint64_t seq) {
  return key + std::string(1, '\0') + EventKey(seq);
}
std::vector<std::string> KeysOf(std::uint64_t seq) {
  return {"code:C" + std::to_string(seq % 17), "phone:628" + std::to_string(seq % 5)};
}
// Ends in a digit and '}', so flipping the digit's low bit keeps it the same length and valid JSON.
std::string PayloadOf(std::uint64_t seq) { return "{\"n\":" + std::to_string(seq) + "}"; }

// Runs the real `antrean` binary; stdout is captured, stderr goes to the test log.
CliRun RunCli(const std::string& args) { return RunShell(Quote(ANTREAN_BINARY) + " " + args); }

// The record's hash recomputed over its (changed) body, as docs/FORMAT.md defines it.
void Rehash(std::string* record) {
  const Hash256 h = Sha256(std::string_view(*record).substr(0, record->size() - 32));
  record->replace(record->size() - 32, 32, reinterpret_cast<const char*>(h.data()), 32);
}

// The attacker's view of the database: column families opened without compression.
rocksdb::ColumnFamilyOptions Uncompressed() {
  rocksdb::ColumnFamilyOptions cf;
  cf.compression = rocksdb::kNoCompression;
  return cf;
}

class TamperTest : public ::testing::Test {
 protected:
  // Builds the pristine ledger once; each test tampers with its own copy.
  static void SetUpTestSuite() {
    pristine_dir_ = new TempDir("tamper_test");
    pristine_ = new std::string(pristine_dir_->path() + "/ledger");
    idempotent_ = new std::map<std::string, AppendResult>();
    auto ledger = Ledger::Open(*pristine_, {});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    std::uint64_t head = 0;
    for (int i = 0; head < kEvents; ++i) {
      AppendRequest req;
      // Batches of 1..3 events up to kPlainTailFrom, single events after it.
      const std::uint64_t size =
          head + 1 >= kPlainTailFrom
              ? 1
              : std::min<std::uint64_t>(1 + i % 3, kPlainTailFrom - 1 - head);
      for (std::uint64_t seq = head + 1; seq <= head + size; ++seq) {
        req.events.push_back({"tamper_probe.v1", KeysOf(seq), PayloadOf(seq)});
      }
      req.cause = {"msg-" + std::to_string(i), ""};
      if (head + 1 < kPlainTailFrom && i % 4 == 1) {
        req.idempotency_key = "inbound:m" + std::to_string(i);
      }
      auto r = (*ledger)->Append(req);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->first_seq, head + 1);
      if (!req.idempotency_key.empty()) idempotent_->emplace(req.idempotency_key, *r);
      head = r->last_seq();
    }
    head_ = (*ledger)->GetHead();
    ASSERT_EQ(head_.seq, kEvents);
  }

  static void TearDownTestSuite() {
    delete pristine_;
    delete pristine_dir_;
    delete idempotent_;
  }

  void SetUp() override {
    work_ = work_dir_.path();
    dir_ = work_ + "/ledger";
    fs::copy(*pristine_, dir_, fs::copy_options::recursive);
    digest_file_ = work_ + "/digest.json";
    // The auditor's digest, kept before the tampering.
    CliRun digest = RunCli("digest --ledger " + Quote(dir_));
    ASSERT_EQ(digest.exit_code, 0);
    std::ofstream(digest_file_) << digest.out;
  }

  // An idempotent append from the middle of the ledger that stored more than one event.
  static std::pair<std::string, AppendResult> MiddleIdempotentAppend() {
    for (const auto& [key, r] : *idempotent_) {
      if (r.first_seq > 90 && r.count > 1) return {key, r};
    }
    ADD_FAILURE() << "no idempotent append of several events past seq 90";
    return {};
  }

  // Both the library and the CLI find the ledger intact; with_digest: also against the digest.
  void ExpectIntact(bool with_digest) {
    VerifyReport report = VerifyReadOnly(with_digest);
    EXPECT_TRUE(report.ok) << report.detail;
    CliRun run = RunCli("verify --ledger " + Quote(dir_) + " --json" +
                        (with_digest ? " --digest " + Quote(digest_file_) : ""));
    EXPECT_EQ(run.exit_code, 0) << run.out;
    json::value v = json::parse(run.out);
    EXPECT_TRUE(v.at("ok").as_bool()) << run.out;
  }

  // Both the library and the CLI (exit 1, JSON) name `problem` at `seq` first.
  void ExpectNotIntact(std::string_view problem, std::uint64_t seq, bool with_digest = false) {
    VerifyReport report = VerifyReadOnly(with_digest);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(VerifyReport::ProblemName(report.problem), problem) << report.detail;
    EXPECT_EQ(report.first_bad_seq, seq) << report.detail;

    CliRun run = RunCli("verify --ledger " + Quote(dir_) + " --json" +
                        (with_digest ? " --digest " + Quote(digest_file_) : ""));
    EXPECT_EQ(run.exit_code, 1) << run.out;
    boost::system::error_code ec;
    json::value v = json::parse(run.out, ec);
    ASSERT_FALSE(ec) << "not JSON: " << run.out;
    EXPECT_FALSE(v.at("ok").as_bool());
    EXPECT_EQ(v.at("problem").as_string(), problem) << run.out;
    EXPECT_EQ(v.at("first_bad_seq").to_number<std::uint64_t>(), seq) << run.out;
  }

  VerifyReport VerifyReadOnly(bool with_digest) {
    Ledger::Options options;
    options.read_only = true;
    options.create_if_missing = false;
    auto ledger = Ledger::Open(dir_, options);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (!ledger.ok()) return {};
    VerifyOptions verify;
    if (with_digest) verify.expected = head_;
    auto report = (*ledger)->Verify(verify);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerifyReport{};
  }

  // The attacker rewrites events from..to in place: `change` edits each stored record (hash
  // still attached), then its hash is recomputed, and each later record's prev_hash follows.
  void RewriteChain(std::uint64_t from, std::uint64_t to,
                    const std::function<void(std::uint64_t, std::string*)>& change) {
    RawDb db(dir_, Uncompressed());
    std::string prev_hash;
    for (std::uint64_t seq = from; seq <= to; ++seq) {
      std::string record = db.Get(db.events(), EventKey(seq));
      if (!prev_hash.empty()) record.replace(17, 32, prev_hash);
      change(seq, &record);
      Rehash(&record);
      prev_hash = record.substr(record.size() - 32);
      db.Put(db.events(), EventKey(seq), record);
    }
  }

  static TempDir* pristine_dir_;
  static std::string* pristine_;
  static std::map<std::string, AppendResult>* idempotent_;
  static Head head_;
  TempDir work_dir_{"tamper_test"};
  std::string work_, dir_, digest_file_;
};

TempDir* TamperTest::pristine_dir_ = nullptr;
std::string* TamperTest::pristine_ = nullptr;
std::map<std::string, AppendResult>* TamperTest::idempotent_ = nullptr;
Head TamperTest::head_;

TEST_F(TamperTest, IntactLedgerVerifiesAndExitsZero) {
  ExpectIntact(/*with_digest=*/false);
  ExpectIntact(/*with_digest=*/true);
}

TEST_F(TamperTest, DigestPrintsTheHeadSeqAndHash) {
  CliRun run = RunCli("digest --ledger " + Quote(dir_));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_TRUE(std::regex_match(run.out, std::regex(R"(\{"seq":200,"hash":"[0-9a-f]{64}"\}\n)")))
      << run.out;
  EXPECT_EQ(run.out, "{\"seq\":200,\"hash\":\"" + ToHex(head_.hash) + "\"}\n");
}

TEST_F(TamperTest, DumpPrintsOneJsonLinePerEventInTheRange) {
  CliRun run = RunCli("dump --ledger " + Quote(dir_) + " --from 5 --to 7");
  EXPECT_EQ(run.exit_code, 0);
  std::istringstream lines(run.out);
  std::string line;
  std::uint64_t seq = 5;
  Ledger::Options options;
  options.read_only = true;
  auto ledger = Ledger::Open(dir_, options);
  ASSERT_TRUE(ledger.ok());
  while (std::getline(lines, line)) {
    json::object o = json::parse(line).as_object();
    auto e = (*ledger)->Get(seq);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(o.at("seq").to_number<std::uint64_t>(), seq);
    EXPECT_EQ(o.at("type").as_string(), "tamper_probe.v1");
    EXPECT_EQ(o.at("keys"), json::value_from(KeysOf(seq)));
    EXPECT_EQ(o.at("payload"), json::parse(PayloadOf(seq)));
    EXPECT_EQ(o.at("hash").as_string(), ToHex(e->hash));
    EXPECT_EQ(o.at("prev_hash").as_string(), ToHex(e->prev_hash));
    EXPECT_TRUE(o.contains("recorded_at"));
    EXPECT_TRUE(o.contains("cause"));
    ++seq;
  }
  EXPECT_EQ(seq, 8u) << "three lines: seqs 5, 6 and 7";
}

TEST_F(TamperTest, ChangedPayloadByteIsHashMismatchAtThatSeq) {
  {
    RawDb db(dir_, Uncompressed());
    std::string record = db.Get(db.events(), EventKey(57));
    record[record.size() - 32 - 2] ^= 1;  // the last digit of {"n":57}
    db.Put(db.events(), EventKey(57), record);
  }
  ExpectNotIntact("hash_mismatch", 57);
}

TEST_F(TamperTest, DeletedEventIsGapAtThatSeq) {
  {
    RawDb db(dir_, Uncompressed());
    db.Delete(db.events(), EventKey(88));
  }
  ExpectNotIntact("gap", 88);
}

// Bytes that are no record at all, put after the head: the ledger still opens for reading, and
// verify says where the chain breaks (it would otherwise not open, with no report).
TEST_F(TamperTest, GarbageAfterTheHeadIsUndecodableAtThatSeq) {
  {
    RawDb db(dir_, Uncompressed());
    db.Put(db.events(), EventKey(head_.seq + 1), "\xDE\xAD\xBE\xEF");
  }
  ExpectNotIntact("undecodable", head_.seq + 1);
}

// An index entry without its seq suffix names no event: the report gives its key, in hex.
TEST_F(TamperTest, AMalformedIndexEntryIsNamedByItsKey) {
  {
    RawDb db(dir_, Uncompressed());
    db.Put(db.index(), "phone:62811", "");
  }
  const VerifyReport report = VerifyReadOnly(false);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, VerifyReport::Problem::kIndexDangling);
  EXPECT_NE(report.detail.find("0x" + ToHex(std::string_view("phone:62811"))), std::string::npos)
      << report.detail;
}

// Every reader of the log (a rebuild, the events feed, dump, the outbox) stops at a hole, naming
// the missing event, after the events before it.
TEST_F(TamperTest, AScanStopsAtADeletedEventNamingIt) {
  {
    RawDb db(dir_, Uncompressed());
    db.Delete(db.events(), EventKey(88));
  }
  Ledger::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  auto ledger = Ledger::Open(dir_, options);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  std::uint64_t last = 0;
  const Status s = (*ledger)->Scan(1, ~std::uint64_t{0}, [&](const EventView& v) {
    last = v.seq;
    return true;
  });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("event 88 is missing"), std::string::npos) << s.ToString();
  EXPECT_EQ(last, 87u);
  // A scan that starts past the hole is whole.
  std::uint64_t seen = 0;
  EXPECT_TRUE((*ledger)->Scan(89, 100, [&](const EventView&) { return ++seen, true; }).ok());
  EXPECT_EQ(seen, 12u);
}

TEST_F(TamperTest, SwappedEventsAreKeyMismatchAtTheLower) {
  {
    RawDb db(dir_, Uncompressed());
    const std::string a = db.Get(db.events(), EventKey(120));
    const std::string b = db.Get(db.events(), EventKey(121));
    db.Put(db.events(), EventKey(120), b);
    db.Put(db.events(), EventKey(121), a);
  }
  ExpectNotIntact("key_mismatch", 120);
}

TEST_F(TamperTest, ChangedPrevHashWithItsOwnHashRecomputedIsChainBroken) {
  RewriteChain(64, 64, [](std::uint64_t, std::string* r) { (*r)[17] ^= 1; });
  ExpectNotIntact("chain_broken", 64);
}

TEST_F(TamperTest, CutTailWithItsIndexEntriesPassesWithoutTheDigest) {
  {
    RawDb db(dir_, Uncompressed());
    for (std::uint64_t seq = 191; seq <= kEvents; ++seq) {
      db.Delete(db.events(), EventKey(seq));
      for (const auto& k : KeysOf(seq)) db.Delete(db.index(), IndexEntry(k, seq));
    }
  }
  // What is left is a consistent, shorter ledger: nothing in it says events existed past 190.
  // Only an auditor's kept digest can tell (next test).
  ExpectIntact(/*with_digest=*/false);
  EXPECT_EQ(VerifyReadOnly(false).head.seq, 190u);
}

TEST_F(TamperTest, CutTailWithItsIndexEntriesIsDigestMismatchAfterTheNewHead) {
  {
    RawDb db(dir_, Uncompressed());
    for (std::uint64_t seq = 191; seq <= kEvents; ++seq) {
      db.Delete(db.events(), EventKey(seq));
      for (const auto& k : KeysOf(seq)) db.Delete(db.index(), IndexEntry(k, seq));
    }
  }
  ExpectNotIntact("digest_mismatch", 191, /*with_digest=*/true);
}

TEST_F(TamperTest, CutTailLeavingItsIndexEntriesIsIndexDangling) {
  {
    RawDb db(dir_, Uncompressed());
    for (std::uint64_t seq = 191; seq <= kEvents; ++seq) db.Delete(db.events(), EventKey(seq));
  }
  ExpectNotIntact("index_dangling", 191);
}

TEST_F(TamperTest, RemovedIndexEntryIsIndexMissingAtThatSeq) {
  {
    RawDb db(dir_, Uncompressed());
    db.Delete(db.index(), IndexEntry(KeysOf(73)[1], 73));
  }
  ExpectNotIntact("index_missing", 73);
}

TEST_F(TamperTest, AddedIndexEntryForAnEventNotNamingItIsIndexDangling) {
  {
    RawDb db(dir_, Uncompressed());
    db.Put(db.index(), IndexEntry("phone:6289999999999", 42), "");
  }
  ExpectNotIntact("index_dangling", 42);
}

TEST_F(TamperTest, RemovedIdempotencyEntryIsIdempotencyBroken) {
  const auto [key, appended] = MiddleIdempotentAppend();
  {
    RawDb db(dir_, Uncompressed());
    db.Delete(db.idempotency(), key);
  }
  ExpectNotIntact("idempotency_broken", appended.first_seq);
}

TEST_F(TamperTest, AlteredIdempotencyEntryIsIdempotencyBroken) {
  const auto [key, appended] = MiddleIdempotentAppend();
  {
    RawDb db(dir_, Uncompressed());
    std::string value = db.Get(db.idempotency(), key);
    ASSERT_EQ(value.size(), 12u);
    value = EventKey(appended.first_seq + 1) + value.substr(8);  // first_seq moved up by one
    db.Put(db.idempotency(), key, value);
  }
  ExpectNotIntact("idempotency_broken", appended.first_seq);
}

TEST_F(TamperTest, ConsistentlyRehashedChainPassesWithoutTheDigest) {
  // The attacker rewrites the payload at 150 and recomputes every hash and link after it: each
  // record and link is then valid, so only a digest kept from before can tell (next test).
  RewriteChain(150, kEvents, [](std::uint64_t seq, std::string* r) {
    if (seq == 150) (*r)[r->size() - 32 - 2] ^= 1;  // the last digit of {"n":150}
  });
  ExpectIntact(/*with_digest=*/false);
  VerifyReport report = VerifyReadOnly(false);
  EXPECT_EQ(report.head.seq, kEvents);
  EXPECT_NE(report.head.hash, head_.hash) << "the chain was rewritten";
}

TEST_F(TamperTest, ConsistentlyRehashedChainIsDigestMismatchAtTheKeptSeq) {
  RewriteChain(150, kEvents, [](std::uint64_t seq, std::string* r) {
    if (seq == 150) (*r)[r->size() - 32 - 2] ^= 1;
  });
  // The digest proves that something up to its seq was rewritten, not where: it names its own seq.
  ExpectNotIntact("digest_mismatch", kEvents, /*with_digest=*/true);
}

TEST_F(TamperTest, ReadWriteOpenOfATamperedTailFailsNamingTheSeq) {
  {
    RawDb db(dir_, Uncompressed());
    std::string record = db.Get(db.events(), EventKey(195));
    record[record.size() - 32 - 2] ^= 1;
    db.Put(db.events(), EventKey(195), record);
  }
  auto ledger = Ledger::Open(dir_, {});
  ASSERT_FALSE(ledger.ok());
  EXPECT_TRUE(ledger.status().IsCorruption()) << ledger.status().ToString();
  EXPECT_NE(ledger.status().message().find("ledger tail does not verify at seq 195"),
            std::string::npos)
      << ledger.status().message();
}

TEST_F(TamperTest, MalformedDigestFileIsAUsageError) {
  std::ofstream(digest_file_, std::ios::trunc) << "{\"seq\":200}";
  CliRun run = RunCli("verify --ledger " + Quote(dir_) + " --digest " + Quote(digest_file_) +
                      " 2>/dev/null");
  EXPECT_EQ(run.exit_code, 2);
}

TEST_F(TamperTest, MissingLedgerExitsThree) {
  CliRun run = RunCli("verify --ledger " + Quote(work_ + "/no-such-ledger") + " 2>/dev/null");
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_FALSE(fs::exists(work_ + "/no-such-ledger"));
}

}  // namespace
}  // namespace antrean::store
