// docs/FORMAT.md is the contract for auditors who check the ledger without this project's code.
// These tests hold it to that: RocksDB's own `ldb` dumps a ledger written through the real API and
// the auditor's script tools/verify_chain.py (which knows only FORMAT.md) must agree with the
// ledger about the head, and must name the first bad seq once the bytes are changed.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "store/ledger.h"

namespace antrean::store {
namespace {

namespace fs = std::filesystem;

bool OnPath(const std::string& program) {
  const char* path = getenv("PATH");
  if (path == nullptr) return false;
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Non-ASCII on purpose: the payload's UTF-8 must survive ldb's hex dump byte for byte.
constexpr char kOffice[] = "Kantor Imigrasi Kelas I Bogor – Pelayanan";

std::string Quote(const std::string& s) { return "'" + s + "'"; }

struct ShellRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

ShellRun Shell(const std::string& cmd) {
  ShellRun run;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << cmd;
    return run;
  }
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  const int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string EventKey(std::uint64_t seq) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((seq >> (8 * i)) & 0xFF));
  return k;
}

// Opens the ledger's RocksDB database directly (as an attacker would) and applies `change`.
void Tamper(const std::string& dir,
            const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle* events,
                                     rocksdb::ColumnFamilyHandle* index)>& change) {
  std::vector<std::string> names;  // every column family the database has must be opened
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto family = [&](const std::string& name) {
    for (auto* h : handles) {
      if (h->GetName() == name) return h;
    }
    ADD_FAILURE() << "no column family " << name;
    return handles[0];
  };
  change(db, family("events"), family("index"));
  for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  EXPECT_TRUE(db->Close().ok());
  delete db;
}

class FormatScript : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnPath("ldb") || !OnPath("python3")) {
      GTEST_SKIP() << "needs `ldb` (Debian package rocksdb-tools) and `python3` on PATH";
    }
    std::string tmpl = ::testing::TempDir() + "/format_script_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    work_ = tmpl;
    dir_ = work_ + "/ledger";
  }
  void TearDown() override {
    if (!work_.empty()) fs::remove_all(work_);
  }

  // 60 events in batches of 1..4, each under two index keys, some with idempotency keys, with
  // non-ASCII payloads; returns the head.
  Head Build() {
    auto ledger = Ledger::Open(dir_, {});
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    if (!ledger.ok()) return {};
    std::uint64_t seq = 0;
    for (int i = 0; seq < 60; ++i) {
      AppendRequest req;
      for (int j = 0; j <= i % 4; ++j) {
        ++seq;
        req.events.push_back(
            {"format_probe.v1",
             {"code:C" + std::to_string(seq % 7), "day:bogor|2026-03-0" + std::to_string(seq % 5)},
             "{\"n\":" + std::to_string(seq) + ",\"office\":\"" + kOffice + "\"}"});
      }
      req.cause = {"wamid." + std::to_string(i), i % 2 ? "officer:sari" : ""};
      if (i % 3 == 0) req.idempotency_key = "inbound:" + std::to_string(i);
      EXPECT_TRUE((*ledger)->Append(req).ok());
    }
    return (*ledger)->GetHead();
  }

  // ldb's scans of the events and index column families, then the script over them.
  ShellRun Script() {
    const std::string events = work_ + "/events.txt", index = work_ + "/index.txt";
    for (auto [family, file] : {std::pair{"events", events}, std::pair{"index", index}}) {
      ShellRun scan = Shell("ldb --db=" + Quote(dir_) + " --column_family=" + family +
                            " scan --hex > " + Quote(file));
      EXPECT_EQ(scan.exit_code, 0) << scan.out;
    }
    return Shell("python3 " + Quote(std::string(ANTREAN_SOURCE_DIR) + "/tools/verify_chain.py") +
                 " " + Quote(events) + " --index " + Quote(index));
  }

  std::string work_, dir_;
};

TEST_F(FormatScript, PrintsTheSameHeadAsTheLedger) {
  const Head head = Build();
  ASSERT_EQ(head.seq, 60u);
  ShellRun run = Script();
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, "{\"seq\":60,\"hash\":\"" + ToHex(head.hash) + "\"}\n");
  // The same line `antrean digest` prints.
  ShellRun digest = Shell(Quote(ANTREAN_BINARY) + " digest --ledger " + Quote(dir_));
  EXPECT_EQ(digest.out, run.out);
}

TEST_F(FormatScript, PrintsSeqZeroForAnEmptyLedger) {
  { ASSERT_TRUE(Ledger::Open(dir_, {}).ok()); }
  ShellRun run = Script();
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, "{\"seq\":0,\"hash\":\"" + std::string(64, '0') + "\"}\n");
}

TEST_F(FormatScript, NamesTheSeqOfAChangedPayloadByte) {
  Build();
  Tamper(dir_,
         [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, rocksdb::ColumnFamilyHandle*) {
           std::string record;
           ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), events, EventKey(37), &record).ok());
           record[record.size() - 32 - 5] ^= 0x20;  // a letter of the payload's "Pelayanan"
           ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), events, EventKey(37), record).ok());
         });
  ShellRun run = Script();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("first bad seq 37: hash_mismatch"), std::string::npos) << run.out;
}

TEST_F(FormatScript, NamesTheSeqOfADeletedEvent) {
  Build();
  Tamper(dir_,
         [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, rocksdb::ColumnFamilyHandle*) {
           ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), events, EventKey(12)).ok());
         });
  ShellRun run = Script();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("first bad seq 12: gap"), std::string::npos) << run.out;
}

TEST_F(FormatScript, NamesTheSeqOfAMissingIndexEntry) {
  Build();
  Tamper(dir_,
         [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle*, rocksdb::ColumnFamilyHandle* index) {
           const std::string entry =
               "code:C" + std::to_string(25 % 7) + std::string(1, '\0') + EventKey(25);
           ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), index, entry).ok());
         });
  ShellRun run = Script();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("first bad seq 25: index_missing"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace antrean::store
