// crash_appender DIR RUN: the child process of tests/store/crash_test.cc.
//
// Opens the ledger in DIR, writes "ready", and appends from several threads until it is killed.
// After each append is acknowledged (Append returned, so the events are synced) it writes a line:
//
//   <first_seq> <count> <run> <thread> <n> <duplicate 0|1>
//
// in a single write(2), so a line the parent reads whole was acknowledged before the kill. The
// events of request (run, thread, n) are fully determined by those numbers (MakeRequest), so the
// parent can check every acknowledged event's payload after the crash.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "store/ledger.h"

namespace {

constexpr int kThreads = 4;

// Request n of a thread: 1..4 events; every third carries an idempotency key.
antrean::store::AppendRequest MakeRequest(unsigned long run, int thread, unsigned long n) {
  antrean::store::AppendRequest req;
  const std::size_t events = 1 + n % 4;
  for (std::size_t i = 0; i < events; ++i) {
    antrean::store::NewEvent e;
    e.type = "crash_probe.v1";
    e.keys = {"crash:t" + std::to_string(thread)};
    e.payload = "{\"run\":" + std::to_string(run) + ",\"t\":" + std::to_string(thread) +
                ",\"n\":" + std::to_string(n) + ",\"i\":" + std::to_string(i) + "}";
    req.events.push_back(std::move(e));
  }
  if (n % 3 == 0) {
    req.idempotency_key =
        "crash:" + std::to_string(run) + ":" + std::to_string(thread) + ":" + std::to_string(n);
  }
  req.cause.id = "crash-test";
  return req;
}

void WriteLine(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t w = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (w <= 0) std::_Exit(4);  // the parent went away
    done += static_cast<std::size_t>(w);
  }
}

void Ack(const antrean::store::AppendResult& r, unsigned long run, int thread, unsigned long n) {
  WriteLine(std::to_string(r.first_seq) + " " + std::to_string(r.count) + " " +
            std::to_string(run) + " " + std::to_string(thread) + " " + std::to_string(n) + " " +
            (r.duplicate ? "1" : "0") + "\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_appender DIR RUN\n");
    return 2;
  }
  const unsigned long run = std::strtoul(argv[2], nullptr, 10);
  auto ledger = antrean::store::Ledger::Open(argv[1], {});
  if (!ledger.ok()) {
    std::fprintf(stderr, "crash_appender: %s\n", ledger.status().ToString().c_str());
    return 3;
  }
  antrean::store::Ledger& l = **ledger;
  WriteLine("ready\n");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&l, run, t] {
      for (unsigned long n = 0;; ++n) {
        auto r = l.Append(MakeRequest(run, t, n));
        if (!r.ok()) {
          std::fprintf(stderr, "crash_appender: append failed: %s\n",
                       r.status().ToString().c_str());
          std::_Exit(5);
        }
        Ack(*r, run, t, n);
        // Every keyed request is sent a second time, as a client retrying after a lost reply
        // would: it must come back as a duplicate with the original sequence numbers.
        if (!r->duplicate && n % 6 == 0) {
          auto again = l.Append(MakeRequest(run, t, n));
          if (!again.ok() || !again->duplicate) {
            std::fprintf(stderr, "crash_appender: retry was not a duplicate\n");
            std::_Exit(6);
          }
          Ack(*again, run, t, n);
        }
      }
    });
  }
  for (auto& th : threads) th.join();  // never: the threads run until the process is killed
  return 0;
}
