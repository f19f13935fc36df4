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
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"
#include "tests/support/run_binary.h"

namespace antrean::store {
namespace {

using support::BigEndian8;
using support::CliRun;
using support::Quote;
using support::RawDb;
using support::RunShell;
using support::TempDir;

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

// Runs `cmd` through the shell; its stdout and stderr are both in `out`.
CliRun Shell(const std::string& cmd) { return RunShell(cmd + " 2>&1"); }

// The events column family's key of `seq`.
std::string EventKey(std::uint64_t seq) { return BigEndian8(seq); }

class FormatScript : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnPath("ldb") || !OnPath("python3")) {
      GTEST_SKIP() << "needs `ldb` (Debian package rocksdb-tools) and `python3` on PATH";
    }
    work_ = work_dir_.path();
    dir_ = work_ + "/ledger";
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
  CliRun Script() {
    const std::string events = work_ + "/events.txt", index = work_ + "/index.txt";
    for (auto [family, file] : {std::pair{"events", events}, std::pair{"index", index}}) {
      CliRun scan = Shell("ldb --db=" + Quote(dir_) + " --column_family=" + family +
                            " scan --hex > " + Quote(file));
      EXPECT_EQ(scan.exit_code, 0) << scan.out;
    }
    return Shell("python3 " + Quote(std::string(ANTREAN_SOURCE_DIR) + "/tools/verify_chain.py") +
                 " " + Quote(events) + " --index " + Quote(index));
  }

  TempDir work_dir_{"format_script_test"};
  std::string work_, dir_;
};

TEST_F(FormatScript, PrintsTheSameHeadAsTheLedger) {
  const Head head = Build();
  ASSERT_EQ(head.seq, 60u);
  CliRun run = Script();
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, "{\"seq\":60,\"hash\":\"" + ToHex(head.hash) + "\"}\n");
  // The same line `antrean digest` prints.
  CliRun digest = Shell(Quote(ANTREAN_BINARY) + " digest --ledger " + Quote(dir_));
  EXPECT_EQ(digest.out, run.out);
}

TEST_F(FormatScript, PrintsSeqZeroForAnEmptyLedger) {
  { ASSERT_TRUE(Ledger::Open(dir_, {}).ok()); }
  CliRun run = Script();
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, "{\"seq\":0,\"hash\":\"" + std::string(64, '0') + "\"}\n");
}

TEST_F(FormatScript, NamesTheSeqOfAChangedPayloadByte) {
  Build();
  {
    RawDb db(dir_);  // as an attacker would
    std::string record = db.Get(db.events(), EventKey(37));
    record[record.size() - 32 - 5] ^= 0x20;  // a letter of the payload's "Pelayanan"
    db.Put(db.events(), EventKey(37), record);
  }
  CliRun run = Script();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("first bad seq 37: hash_mismatch"), std::string::npos) << run.out;
}

TEST_F(FormatScript, NamesTheSeqOfADeletedEvent) {
  Build();
  {
    RawDb db(dir_);
    db.Delete(db.events(), EventKey(12));
  }
  CliRun run = Script();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("first bad seq 12: gap"), std::string::npos) << run.out;
}

TEST_F(FormatScript, NamesTheSeqOfAMissingIndexEntry) {
  Build();
  {
    RawDb db(dir_);
    db.Delete(db.index(), "code:C" + std::to_string(25 % 7) + std::string(1, '\0') + EventKey(25));
  }
  CliRun run = Script();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("first bad seq 25: index_missing"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace antrean::store
