// The ledger directory as bad input (docs/HARDENING.md, "Bad input"): locked by another process,
// on a read-only file system, on a full disk, with a damaged RocksDB file. The service refuses
// with a message naming the ledger and the cause, answers 503 where Meta should retry, and loses
// nothing it acknowledged. The full and read-only file systems are real mounts (a small tmpfs, a
// read-only bind mount): the tests need root, as they have in CI and `tools/dev.sh test`, and say
// so when skipped.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/hardening/hardening.h"
#include "tests/support/run_binary.h"
#include "tests/support/serve_load.h"
#include "tests/support/server_process.h"

namespace antrean {
namespace {

namespace fs = std::filesystem;
using support::RunAntrean;

// A mount over `path` for the test's life: a tmpfs of `size`, or `path` bound read-only on itself.
class Mount {
 public:
  static Mount Tmpfs(const std::string& path, const std::string& size) {
    fs::create_directories(path);
    return Mount(path, mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0);
  }
  static Mount ReadOnlyBind(const std::string& path) {
    const bool ok = mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0;
    if (ok &&
        mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      umount2(path.c_str(), MNT_DETACH);
      return Mount(path, false);
    }
    return Mount(path, ok);
  }
  Mount(Mount&& o) noexcept : path_(std::move(o.path_)), ok_(std::exchange(o.ok_, false)) {}
  ~Mount() {
    if (ok_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  // Gives a tmpfs a new size (room again after the disk was full).
  bool Resize(const std::string& size) {
    return mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  Mount(std::string path, bool ok) : path_(std::move(path)), ok_(ok) {}
  std::string path_;
  bool ok_;
};

#define SKIP_UNLESS_MOUNTED(m) \
  if (!(m).ok()) GTEST_SKIP() << "mount(2) is not permitted here (the test needs root)"

// A ledger with a few events, written by `antrean ingest` and closed cleanly (its tables on disk).
void WriteLedger(const std::string& ledger, const std::string& tmp, int messages) {
  std::string lines;
  for (int i = 0; i < messages; ++i) {
    lines +=
        support::IngestMessage("m" + std::to_string(i), "bogor", support::NumberedPhone("62812", i),
                               "2026-03-02T07:31:05+07:00", "#ORANG#25011987#04032026") +
        "\n";
  }
  std::ofstream(tmp + "/in.jsonl") << lines;
  auto run = RunAntrean(
      {"ingest", "--ledger", ledger, "--config", support::SampleOfficeFile(), tmp + "/in.jsonl"},
      tmp, "ANTREAN_BOOKING_CODE_KEY=test-booking-code-key-0123456789");
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

// `antrean serve` on `ledger` when it is expected not to start: its exit code and message. A
// server that does start is stopped by timeout(1) and fails the test (exit 124).
support::CliRun ServeThatFails(const std::string& ledger, const std::string& secrets,
                               const std::string& tmp) {
  std::string cmd = "timeout 20 " + support::Quote(ANTREAN_BINARY) + " serve";
  for (const auto& a : support::ServeArgs(ledger, secrets)) cmd += " " + support::Quote(a);
  return support::RunShell(cmd + " 2>" + support::Quote(tmp + "/stderr.txt"), tmp + "/stderr.txt");
}

// The last line of `text` (a program's message after its log lines).
std::string LastLine(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

class LedgerDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    secrets_ = Path("secrets.json");
    support::WriteTestSecretsFile(secrets_);
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  support::CliRun Verify(const std::string& ledger) {
    return RunAntrean({"verify", "--ledger", ledger}, dir_.path());
  }

  support::TempDir dir_;
  std::string secrets_;
};

TEST_F(LedgerDisk, ALedgerLockedByARunningServerIsRefusedWithExitThreeAndReadOnlyToolsStillWork) {
  const std::string ledger = Path("ledger");
  support::ServerProcess server(support::ServeArgs(ledger, secrets_));
  ASSERT_TRUE(server.ok());
  const std::string locked = "ledger " + ledger +
                             " is locked by another process (IO error: While lock file: " + ledger +
                             "/LOCK: Resource temporarily unavailable)";
  auto second = ServeThatFails(ledger, secrets_, dir_.path());
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_EQ(LastLine(second.err), "antrean serve: " + locked);
  std::ofstream(Path("in.jsonl")) << support::IngestMessage("m1", "bogor", "6281234567890",
                                                            "2026-03-02T07:31:05+07:00", "halo")
                                  << "\n";
  auto ingest = RunAntrean({"ingest", "--ledger", ledger, "--config", support::SampleOfficeFile(),
                            "--secrets", secrets_, Path("in.jsonl")},
                           dir_.path());
  EXPECT_EQ(ingest.exit_code, 3);
  EXPECT_EQ(ingest.err, "antrean ingest: IO error: " + locked + "\n");
  // The auditor's tools open read-only, beside the writer.
  auto verify = Verify(ledger);
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out.rfind("intact: ", 0), 0u) << verify.out;
  EXPECT_EQ(server.Kill(SIGTERM), 0);
  EXPECT_EQ(Verify(ledger).out.rfind("intact: 0 events", 0), 0u)
      << "the refused ingest appended nothing";
}

TEST_F(LedgerDisk, AReadOnlyLedgerDirectoryIsRefusedByTheWritersAndReadByTheAuditorsTools) {
  const std::string ledger = Path("ledger");
  WriteLedger(ledger, dir_.path(), 5);
  Mount read_only = Mount::ReadOnlyBind(ledger);
  SKIP_UNLESS_MOUNTED(read_only);
  auto serve = ServeThatFails(ledger, secrets_, dir_.path());
  EXPECT_EQ(serve.exit_code, 3);
  // Not "locked by another process", which it said before (any message with "lock" in it).
  EXPECT_EQ(LastLine(serve.err), "antrean serve: opening ledger " + ledger +
                                     ": IO error: while open a file for lock: " + ledger +
                                     "/LOCK: Read-only file system");
  auto verify = Verify(ledger);
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  // The configuration, then per message its receipt, decision (one booking, then the same person
  // refused from four other phones) and reply, and the many_phones_per_person flag raised at the
  // third phone (docs/FORENSICS.md).
  EXPECT_EQ(verify.out.rfind("intact: 17 events", 0), 0u) << verify.out;
  auto replay = RunAntrean({"replay", "--ledger", ledger}, dir_.path());
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
}

TEST_F(LedgerDisk, AFullDiskAnswers503StopsTheServiceAndLosesNothingItAcknowledged) {
  const std::string mnt = Path("small");
  Mount disk = Mount::Tmpfs(mnt, "4m");
  SKIP_UNLESS_MOUNTED(disk);
  const std::string ledger = mnt + "/ledger";
  std::vector<std::string> acknowledged;
  std::string refused_id, refused_body;
  {
    support::TestNode node(ledger);
    support::TestClient client(node.url());
    // Long texts (cut by nothing: under 64 KiB) fill 4 MiB in a few hundred messages.
    for (int i = 0; i < 2000 && refused_id.empty(); ++i) {
      const std::string id = "wamid.full" + std::to_string(i);
      auto r = client.Webhook(
          support::TextWebhook(id, support::NumberedPhone("62812", i), std::string(15'000, 'A')));
      if (r.status == 200) {
        acknowledged.push_back(id);
      } else {
        refused_id = id;
        refused_body = std::to_string(r.status) + " " + r.body;
      }
    }
    ASSERT_FALSE(refused_id.empty()) << "the disk never filled";
    EXPECT_EQ(refused_body.rfind(
                  "503 {\"error\":\"writing to the ledger: IO error: No space left on device", 0),
              0u)
        << refused_body;
    // Fail-stop: not ready, and every later append is refused until a restart.
    auto ready = client.Get("/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(ready.body.find("the service stopped: IO error: writing to the ledger"),
              std::string::npos)
        << ready.body;
    auto later = client.Webhook(support::TextWebhook("wamid.later", "6281299999999", "halo"));
    EXPECT_EQ(later.status, 503);
    EXPECT_NE(later.body.find("the service stopped after a failed append"), std::string::npos)
        << later.body;
  }
  // Room again: everything acknowledged is there, and Meta's retry of the refused delivery is
  // recorded once.
  ASSERT_TRUE(disk.Resize("64m"));
  {
    support::TestNode node(ledger);
    support::TestClient client(node.url());
    std::set<std::string> received;
    for (const auto& e : support::OfType(client.Events(), "message_received.v1")) {
      received.emplace(e.at("payload").at("message_id").as_string());
    }
    for (const auto& id : acknowledged) EXPECT_EQ(received.count(id), 1u) << id;
    auto retry = client.Webhook(support::TextWebhook(refused_id, "6281288888888", "halo"));
    EXPECT_EQ(retry.status, 200) << retry.body;
    std::size_t copies = 0;
    for (const auto& e : support::OfType(client.Events(), "message_received.v1")) {
      copies += e.at("payload").at("message_id") == refused_id.c_str();
    }
    EXPECT_EQ(copies, 1u);
  }
  hardening::ExpectIntact(ledger);
}

// The largest table file of a cleanly closed ledger: the events' (their records are the bulk).
std::string LargestTable(const std::string& ledger) {
  std::string largest;
  std::uintmax_t size = 0;
  for (const auto& f : fs::directory_iterator(ledger)) {
    if (f.path().extension() == ".sst" && f.file_size() > size) {
      size = f.file_size();
      largest = f.path();
    }
  }
  return largest;
}

// Inverts 16 bytes of `file` at `offset`: damage a checksum catches, as a bad disk block would.
void Damage(const std::string& file, std::streamoff offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  char bytes[16];
  f.seekg(offset);
  f.read(bytes, sizeof bytes);
  for (char& b : bytes) b = static_cast<char>(~b);
  f.seekp(offset);
  f.write(bytes, sizeof bytes);
  ASSERT_TRUE(f.good()) << file;
}

TEST_F(LedgerDisk, ADamagedTableFileIsNamedByVerifyAndTheServiceRefusesToStart) {
  const std::string ledger = Path("ledger");
  WriteLedger(ledger, dir_.path(), 200);
  const std::string table = LargestTable(ledger);
  ASSERT_FALSE(table.empty());
  Damage(table, static_cast<std::streamoff>(fs::file_size(table) / 3));
  auto verify = Verify(ledger);
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_EQ(verify.out.rfind("NOT intact: first bad seq ", 0), 0u) << verify.out;
  EXPECT_NE(verify.out.find("undecodable: reading: Corruption: block checksum mismatch"),
            std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("in " + table), std::string::npos) << "names the file: " << verify.out;
  auto serve = ServeThatFails(ledger, secrets_, dir_.path());
  EXPECT_EQ(serve.exit_code, 3);
  EXPECT_EQ(LastLine(serve.err).rfind(
                "antrean serve: checking the ledger tail: Corruption: block checksum mismatch", 0),
            0u)
      << serve.err;
}

TEST_F(LedgerDisk, ADamagedCurrentOrManifestFileIsRefusedByEveryToolNamingIt) {
  const std::string ledger = Path("ledger");
  WriteLedger(ledger, dir_.path(), 5);
  std::string manifest;
  for (const auto& f : fs::directory_iterator(ledger)) {
    if (f.path().filename().string().rfind("MANIFEST-", 0) == 0) manifest = f.path();
  }
  ASSERT_FALSE(manifest.empty());
  Damage(manifest, 100);
  auto verify = Verify(ledger);
  EXPECT_EQ(verify.exit_code, 3);
  EXPECT_EQ(verify.err, "antrean verify: Corruption: opening ledger " + ledger +
                            ": Corruption: checksum mismatch in file " + manifest + "\n");
  auto serve = ServeThatFails(ledger, secrets_, dir_.path());
  EXPECT_EQ(serve.exit_code, 3);
  EXPECT_EQ(LastLine(serve.err), "antrean serve: opening ledger " + ledger +
                                     ": Corruption: checksum mismatch in file " + manifest);
  std::ofstream(ledger + "/CURRENT") << "garbage\n";
  auto current = Verify(ledger);
  EXPECT_EQ(current.exit_code, 3);
  EXPECT_EQ(current.err, "antrean verify: Corruption: opening ledger " + ledger +
                             ": Corruption: CURRENT file corrupted\n");
}

}  // namespace
}  // namespace antrean
