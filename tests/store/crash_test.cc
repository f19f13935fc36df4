// Crash safety: a child process (tests/store/crash_appender.cc) appends from several threads and
// prints every acknowledged append; the test kills it with SIGKILL at random moments and, after
// each kill, reopens the ledger and checks that nothing acknowledged was lost or changed.
// Runtime: about 24 x (process start + 5..200 ms + reopen and verify), well under a minute.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/ledger.h"

extern char** environ;

namespace antrean::store {
namespace {

constexpr int kKills = 24;
constexpr int kDelayMinMs = 5;
constexpr int kDelayMaxMs = 200;

// One line of the child's output (see crash_appender.cc).
struct Ack {
  std::uint64_t first_seq = 0;
  std::uint32_t count = 0;
  unsigned long run = 0, thread = 0, n = 0;
  int duplicate = 0;
};

// The payload crash_appender gives event i of request (run, thread, n).
std::string PayloadOf(const Ack& a, std::uint32_t i) {
  return "{\"run\":" + std::to_string(a.run) + ",\"t\":" + std::to_string(a.thread) +
         ",\"n\":" + std::to_string(a.n) + ",\"i\":" + std::to_string(i) + "}";
}

// Starts crash_appender, lets it append for `delay` after it reported its ledger open (or, with
// during_open, after it started), kills it with SIGKILL and returns the acknowledgements it
// printed whole before it died.
std::vector<Ack> RunAndKill(const std::string& dir, int run, std::chrono::milliseconds delay,
                            bool during_open) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2";
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  const std::string run_arg = std::to_string(run);
  std::vector<char*> argv = {const_cast<char*>(CRASH_APPENDER_BINARY),
                             const_cast<char*>(dir.c_str()), const_cast<char*>(run_arg.c_str()),
                             nullptr};
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, CRASH_APPENDER_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    ADD_FAILURE() << "posix_spawn " << CRASH_APPENDER_BINARY << ": " << spawned;
    return {};
  }
  // Read while the child runs, so that a full pipe never holds back its acknowledgements.
  std::string out;
  std::promise<void> ready;  // set once "ready\n" arrived or the output ended
  std::future<void> opened = ready.get_future();
  std::thread reader([&out, &ready, fd = fds[0]] {
    char buf[65536];
    ssize_t n;
    bool signalled = false;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      if (!signalled && out.find('\n') != std::string::npos) {
        ready.set_value();
        signalled = true;
      }
    }
    if (!signalled) ready.set_value();
  });
  if (!during_open) opened.wait();
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  reader.join();
  close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "crash_appender stopped by itself (status " << status << "); see its stderr";

  std::vector<Ack> acks;
  std::size_t start = 0;
  // A last line without its newline was being written when the kill came: not acknowledged.
  for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    if (start == 0 && out.compare(0, end, "ready") == 0) continue;
    std::istringstream line(out.substr(start, end - start));
    Ack a;
    line >> a.first_seq >> a.count >> a.run >> a.thread >> a.n >> a.duplicate;
    EXPECT_TRUE(line && a.first_seq > 0 && a.count > 0) << "bad line: " << line.str();
    acks.push_back(a);
  }
  return acks;
}

TEST(CrashTest, EveryAcknowledgedAppendSurvivesSigkill) {
  std::string dir = ::testing::TempDir() + "/crash_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string ledger_dir = dir + "/ledger";
  {
    auto created = Ledger::Open(ledger_dir, {});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(kDelayMinMs, kDelayMaxMs);

  std::map<std::uint64_t, std::string> acked;  // seq -> payload, over every run so far
  std::uint64_t largest_acked = 0;
  for (int run = 1; run <= kKills && !HasFatalFailure(); ++run) {
    const int delay = delay_ms(rng);
    // Most runs are killed while appending; every sixth while still opening (recovering) the
    // ledger.
    const bool during_open = run % 6 == 0;
    SCOPED_TRACE("run " + std::to_string(run) + ", killed " + std::to_string(delay) + " ms after " +
                 (during_open ? "its start" : "opening the ledger"));
    const std::vector<Ack> acks =
        RunAndKill(ledger_dir, run, std::chrono::milliseconds(delay), during_open);
    std::map<std::string, Ack> keyed;  // idempotency key -> its acknowledged seqs
    for (const Ack& a : acks) {
      for (std::uint32_t i = 0; i < a.count; ++i) {
        auto it = acked.emplace(a.first_seq + i, PayloadOf(a, i)).first;
        EXPECT_EQ(it->second, PayloadOf(a, i))
            << "seq " << it->first << " acknowledged for two different events";
      }
      largest_acked = std::max(largest_acked, a.first_seq + a.count - 1);
      if (a.n % 3 == 0) {
        keyed[std::to_string(a.run) + ":" + std::to_string(a.thread) + ":" + std::to_string(a.n)] =
            a;
      }
    }

    // A read-write open re-checks the tail; it must succeed after every crash.
    auto ledger = Ledger::Open(ledger_dir, {});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    const Head head = (*ledger)->GetHead();
    ASSERT_GE(head.seq, largest_acked);
    auto report = (*ledger)->Verify({});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok) << report->detail;
    ASSERT_EQ(report->head, head);

    std::size_t matched = 0;
    ASSERT_TRUE((*ledger)
                    ->Scan(1, head.seq,
                           [&](const EventView& v) {
                             auto it = acked.find(v.seq);
                             if (it == acked.end()) return true;
                             EXPECT_EQ(v.payload, it->second) << "seq " << v.seq;
                             ++matched;
                             return true;
                           })
                    .ok());
    ASSERT_EQ(matched, acked.size()) << "an acknowledged event is missing";

    // Each acknowledged idempotency key survived: retrying it appends nothing.
    for (const auto& [key, a] : keyed) {
      AppendRequest retry;
      retry.events.push_back({"crash_probe.v1", {}, "{}"});
      retry.idempotency_key = "crash:" + key;
      auto r = (*ledger)->Append(std::move(retry));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->duplicate) << key;
      EXPECT_EQ(r->first_seq, a.first_seq) << key;
      EXPECT_EQ(r->count, a.count) << key;
    }
    EXPECT_EQ((*ledger)->GetHead(), head) << "the retries appended nothing";
  }
  EXPECT_GT(acked.size(), 0u) << "the child never acknowledged anything: the test proved nothing";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace antrean::store
