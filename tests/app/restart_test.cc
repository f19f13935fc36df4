// The live decision rows survive a crash (docs/DECISIONS.md, projections/fold.h): the real
// `antrean ingest` runs a multi-office, multi-day command stream as a child process, is SIGKILLed
// at random moments and restarted on the same file until a run completes. After every kill the
// ledger verifies and its state column family is exactly the fold of its events (checkpoint
// included); at the end its decisions equal those of one uninterrupted run (same head hash).
//
// The stream is built in two phases: the registrations are ingested once into a scratch ledger to
// learn their booking codes; the counter commands (arrivals on time, at the deadline, late, with
// typos; identity checks; documents; progress) and clock ticks are then built from those codes.
// Every counter command carries a request id, so a restart that reads the file again appends
// nothing twice; a clock tick has no id and simply finds nothing more to expire.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "domain/civil_time.h"
#include "events/codec.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "projections/fold.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/run_binary.h"

extern char** environ;

namespace antrean {
namespace {

namespace json = boost::json;
using support::At;
using support::BigEndian8;
using support::IngestMessage;
using support::kSampleOfficesPath;
using support::Letters;
using support::NumberedPhone;
using support::OpenLedger;
using support::ParseJsonObject;
using support::ReadOnly;
using support::ScratchRows;
using support::TempDir;

constexpr char kKey[] = "restart-test-booking-code-key-0123456789";

// ---- Child processes ------------------------------------------------------------------------------

// A running `antrean` with its standard output on a pipe (read line by line) and its standard
// error in a file.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& err_file) {
    int fds[2];
    if (pipe(fds) != 0) {
      ADD_FAILURE() << "pipe";
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<std::string> argv_s;
    argv_s.push_back(ANTREAN_BINARY);
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).starts_with("ANTREAN_BOOKING_CODE_KEY=")) continue;
      env_s.emplace_back(*e);
    }
    env_s.push_back(std::string("ANTREAN_BOOKING_CODE_KEY=") + kKey);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, ANTREAN_BINARY, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << ANTREAN_BINARY << ": " << rc;
      close(fds[0]);
      pid_ = -1;
      return;
    }
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (pid_ > 0) Kill();
    if (out_ != nullptr) fclose(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line of standard output; nullopt at its end.
  std::optional<std::string> ReadLine() {
    if (out_ == nullptr) return std::nullopt;
    char* buf = nullptr;
    std::size_t cap = 0;
    const ssize_t n = getline(&buf, &cap, out_);
    std::optional<std::string> line;
    if (n >= 0) {
      line.emplace(buf, static_cast<std::size_t>(n));
      if (!line->empty() && line->back() == '\n') line->pop_back();
    }
    free(buf);
    return line;
  }
  // SIGKILL, then reap. Returns the wait status.
  int Kill() {
    ::kill(pid_, SIGKILL);
    return Wait();
  }
  // Reaps the child; its exit code, or -1 if it did not exit normally.
  int Wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

struct CliRun {
  int exit_code = -1;
  std::vector<std::string> lines;
};

// Runs `antrean ARGS` to the end.
CliRun RunToEnd(const std::vector<std::string>& args, const std::string& err_file) {
  CliRun run;
  Child child(args, err_file);
  while (auto line = child.ReadLine()) run.lines.push_back(std::move(*line));
  run.exit_code = child.Wait();
  return run;
}

std::vector<std::string> IngestArgs(const std::string& ledger, const std::string& input,
                                    const std::string& tmp) {
  return {"ingest", "--ledger", ledger, "--config", kSampleOfficesPath, "--secrets",
          tmp + "/no-secrets.json", input};
}

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// ---- The command stream -----------------------------------------------------------------------------

struct Office {
  const char* id;
  int offset;    // minutes east of UTC
  int per_day;   // registrations per service day: more than the first session holds
};
constexpr Office kOffices[] = {{"bogor", 420, 55}, {"jakarta-pusat", 420, 30}, {"denpasar", 480, 45}};
const char* const kDays[] = {"2017-08-07", "2017-08-08", "2017-08-09"};  // Mon, Tue, Wed

std::string Local(std::int64_t micros, int offset) {
  return domain::FormatRfc3339(domain::Instant{micros}, offset);
}

std::string DayText(const std::string& iso) {  // 2017-08-07 -> 07082017
  return iso.substr(8, 2) + iso.substr(5, 2) + iso.substr(0, 4);
}

std::string Phone(int n) { return NumberedPhone("62878", n); }

struct Registered {
  int person = 0;
  const Office* office = nullptr;
  std::string day;  // the day asked for
};

// Phase 1: registrations on 1 August for three offices and three days, with some noise (requests
// for information, unreadable messages, a repeated registration).
std::vector<std::string> Phase1(std::vector<std::optional<Registered>>* registered) {
  std::vector<std::string> lines;
  int person = 0, second = 0, noise = 0;
  for (const char* day : kDays) {
    for (int i = 0;; ++i) {
      bool any = false;
      for (const Office& o : kOffices) {
        if (i >= o.per_day) continue;
        any = true;
        ++person;
        const std::string at = Local(At("2017-08-01T00:00:00Z").micros_since_epoch +
                                         (3600 + second++) * domain::kMicrosPerSecond,
                                     o.offset);
        lines.push_back(IngestMessage("wamid.r." + std::to_string(person), o.id, Phone(person), at,
                                "#Orang " + Letters(person) + "#25011987#" + DayText(day)));
        registered->push_back(Registered{person, &o, day});
        if (person % 17 == 0) {
          const char* texts[] = {"#syarat", "#bayar", "#Orang#2501", "halo"};
          ++noise;
          lines.push_back(IngestMessage("wamid.n." + std::to_string(noise), o.id, Phone(person), at,
                                  texts[noise % 4]));
          registered->push_back(std::nullopt);
        }
        if (person % 23 == 0) {  // the same registration again: the same code (repeated)
          lines.push_back(IngestMessage("wamid.again." + std::to_string(person), o.id, Phone(person), at,
                                  "#Orang " + Letters(person) + "#25011987#" + DayText(day)));
          registered->push_back(std::nullopt);
        }
      }
      if (!any) break;
    }
  }
  return lines;
}

struct Booking {
  std::string code;
  const Office* office = nullptr;
  std::string day;
  int person = 0;
  std::int64_t arrive_by_us = 0;
  int index = 0;  // within its office and day
};

struct Timed {
  std::int64_t at_us;
  std::size_t order;
  std::string line;
  bool operator<(const Timed& o) const { return std::tie(at_us, order) < std::tie(o.at_us, o.order); }
};

std::string Typo(std::string code) {
  code.back() = code.back() == '0' ? '1' : '0';
  return code;
}

std::string AsTyped(const std::string& code) {  // "7kq-2m9-xpa4"
  std::string typed;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i == 3 || i == 6) typed += '-';
    typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(code[i]))));
  }
  return typed;
}

// Phase 2: what happens at the counters, and the clock, from the codes phase 1 issued.
std::vector<std::string> Phase2(const std::vector<Booking>& bookings) {
  std::vector<Timed> out;
  int request = 0;
  auto add = [&](std::int64_t at_us, json::object o) {
    out.push_back(Timed{at_us, out.size(), json::serialize(o)});
  };
  auto counter = [&](const char* type, const Booking& b, std::int64_t at_us, json::object extra) {
    json::object o{{"type", type},
                   {"at", Local(at_us, b.office->offset)},
                   {"office", b.office->id},
                   {"officer", std::string("petugas-") + b.office->id + "-" + std::to_string(b.index % 3)},
                   {"request_id", "req-" + std::to_string(++request)}};
    for (auto& kv : extra) o[kv.key()] = kv.value();
    add(at_us, std::move(o));
  };
  constexpr std::int64_t kMin = domain::kMicrosPerMinute, kSec = domain::kMicrosPerSecond;
  int again = 0;
  for (const Booking& b : bookings) {
    const std::int64_t by = b.arrive_by_us;
    switch (b.index % 7) {
      case 0:  // on time, identity fine, documents handed in
        counter("counter.arrival", b, by - 20 * kMin, {{"code", b.code}});
        counter("counter.identity_check", b, by - 19 * kMin,
                {{"code", b.code}, {"person_matches", true}, {"phone_matches", true}});
        counter("counter.documents_submitted", b, by + 60 * kMin, {{"code", b.code}});
        break;
      case 1:  // on time, someone else in person (a joki), documents returned
        counter("counter.arrival", b, by - 5 * kMin, {{"code", b.code}});
        counter("counter.identity_check", b, by - 4 * kMin,
                {{"code", b.code}, {"person_matches", false}, {"phone_matches", true},
                 {"note", "bukan orang yang terdaftar"}});
        counter("counter.documents_returned", b, by + 70 * kMin,
                {{"code", b.code}, {"reason", "akta kelahiran tidak asli"}});
        break;
      case 2:  // at the deadline exactly
        counter("counter.arrival", b, by, {{"code", b.code}});
        break;
      case 3: {  // one second late: forfeited; registers again ten minutes later (same day)
        counter("counter.arrival", b, by + kSec, {{"code", b.code}});
        const std::int64_t at = by + 10 * kMin;
        add(at, ParseJsonObject(IngestMessage("wamid.again2." + std::to_string(++again), b.office->id,
                              Phone(b.person), Local(at, b.office->offset),
                              "#Orang " + Letters(b.person) + "#25011987#" + DayText(b.day))));
        break;
      }
      case 4:  // a typing error first, then the code as typed by a hurried officer
        counter("counter.arrival", b, by - 30 * kMin, {{"code", Typo(b.code)}});
        counter("counter.arrival", b, by - 29 * kMin, {{"code", AsTyped(b.code)}});
        break;
      case 5:  // never comes: the clock expires it
        break;
      case 6:  // on time, the phone shown is not the one that booked; shows up twice
        counter("counter.arrival", b, by - kMin, {{"code", b.code}});
        counter("counter.identity_check", b, by - kMin + kSec,
                {{"code", b.code}, {"person_matches", true}, {"phone_matches", false}});
        counter("counter.arrival", b, by + 5 * kMin, {{"code", b.code}});  // already_arrived
        break;
    }
  }
  // Application progress at Bogor, and applicants asking for it over WhatsApp.
  for (int i = 0; i < 12; ++i) {
    const std::string number = "32010" + std::to_string(10000000000LL + i);
    const std::int64_t at = At(std::string(kDays[i % 3]) + "T09:00:00+07:00").micros_since_epoch +
                            i * kMin;
    add(at, json::object{{"type", "office.application_progress"}, {"at", Local(at, 420)},
                         {"office", "bogor"}, {"officer", "petugas-sigap"},
                         {"request_id", "req-app-" + std::to_string(i)},
                         {"application_number", number},
                         {"stage", i % 2 ? "wawancara" : "paspor siap diambil"}});
    add(at + 5 * kMin, ParseJsonObject(IngestMessage("wamid.app." + std::to_string(i), "bogor", Phone(9000 + i),
                                     Local(at + 5 * kMin, 420), number)));
  }
  // The clock: at noon (the morning no-shows) and at night, each day.
  for (const char* day : kDays) {
    for (const char* time : {"T12:00:00+07:00", "T23:00:00+07:00"}) {
      const std::int64_t at = At(std::string(day) + time).micros_since_epoch;
      add(at, json::object{{"type", "clock.tick"}, {"at", Local(at, 420)}});
    }
  }
  std::stable_sort(out.begin(), out.end());
  std::vector<std::string> lines;
  for (auto& t : out) lines.push_back(std::move(t.line));
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
}

// ---- The ledger, read back ----------------------------------------------------------------------------

struct Snapshot {
  store::Head head;
  std::map<std::string, std::string> live;    // the state column family
  std::map<std::string, std::string> replay;  // the fold of every event, and the checkpoint
};

Snapshot Read(const std::string& dir) {
  Snapshot s;
  auto ledger = OpenLedger(dir, ReadOnly());
  if (ledger == nullptr) return s;
  s.head = ledger->GetHead();
  ScratchRows replay;
  Status scanned = ledger->Scan(1, s.head.seq, [&](const store::EventView& v) {
    auto decoded = events::DecodeEvent(v.type, v.payload);
    if (!decoded.ok()) {
      ADD_FAILURE() << "seq " << v.seq << " does not decode: " << decoded.status().ToString();
      return true;
    }
    Status folded = projections::FoldAll(*decoded, v.seq, {v.cause_actor, v.recorded_at_us}, replay);
    EXPECT_TRUE(folded.ok()) << "seq " << v.seq << ": " << folded.ToString();
    return true;
  });
  EXPECT_TRUE(scanned.ok()) << scanned.ToString();
  if (s.head.seq > 0) replay.Write(std::string(projections::kCheckpointKey), BigEndian8(s.head.seq));
  s.replay = replay.Present();
  Status live = ledger->ScanState("", "", [&s](std::string_view key, std::string_view value) {
    s.live.emplace(std::string(key), std::string(value));
    return true;
  });
  EXPECT_TRUE(live.ok()) << live.ToString();
  return s;
}

// Both ways: every live row is the replay's, and every replayed row is live.
void ExpectSameRows(const std::map<std::string, std::string>& live,
                    const std::map<std::string, std::string>& replay, const std::string& what) {
  int shown = 0;
  for (const auto& [key, value] : live) {
    auto it = replay.find(key);
    if (it == replay.end()) {
      if (shown++ < 10) ADD_FAILURE() << what << ": live row " << key << " is not in the replay";
    } else if (it->second != value) {
      if (shown++ < 10) {
        ADD_FAILURE() << what << ": row " << key << " differs\n live:   " << value
                      << "\n replay: " << it->second;
      }
    }
  }
  for (const auto& [key, value] : replay) {
    if (!live.contains(key) && shown++ < 10) {
      ADD_FAILURE() << what << ": replayed row " << key << " is missing from the live rows";
    }
  }
  EXPECT_EQ(shown, 0) << what << ": " << shown << " rows differ";
  EXPECT_EQ(live.size(), replay.size()) << what;
}

std::string Hex(const Hash256& h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto b : h) {
    s.push_back(kHex[static_cast<unsigned char>(b) >> 4]);
    s.push_back(kHex[static_cast<unsigned char>(b) & 15]);
  }
  return s;
}

// ---- The test -----------------------------------------------------------------------------------------

TEST(Restart, KilledAndRestartedIngestKeepsLiveRowsEqualToAReplayAndEndsAsOneUninterruptedRun) {
  TempDir dir;
  const std::string tmp = dir.path();

  // Phase 1 into a scratch ledger: the booking codes.
  std::vector<std::optional<Registered>> registered;
  const std::vector<std::string> phase1 = Phase1(&registered);
  ASSERT_EQ(phase1.size(), registered.size());
  WriteLines(tmp + "/phase1.jsonl", phase1);
  const CliRun probe = RunToEnd(IngestArgs(tmp + "/probe", tmp + "/phase1.jsonl", tmp),
                             tmp + "/probe.err");
  ASSERT_EQ(probe.exit_code, 0) << "see " << tmp << "/probe.err";
  ASSERT_EQ(probe.lines.size(), phase1.size());
  std::vector<Booking> bookings;
  std::map<std::pair<std::string, std::string>, int> per_office_day;
  std::set<std::string> sessions;
  for (std::size_t i = 0; i < phase1.size(); ++i) {
    const json::object r = ParseJsonObject(probe.lines[i]);
    ASSERT_EQ(r.at("line").to_number<std::size_t>(), i + 1);
    if (!registered[i]) continue;
    ASSERT_EQ(Str(r, "outcome"), "issued") << probe.lines[i];
    Booking b;
    b.code = Str(r, "booking_code");
    b.office = registered[i]->office;
    b.day = Str(r, "date");
    ASSERT_EQ(b.day, registered[i]->day);
    b.person = registered[i]->person;
    b.arrive_by_us = At(Str(r, "arrive_by")).micros_since_epoch;
    b.index = per_office_day[{b.office->id, b.day}]++;
    sessions.insert(std::string(b.office->id) + " " + Str(r, "session"));
    bookings.push_back(std::move(b));
  }
  ASSERT_EQ(bookings.size(), 3u * (55 + 30 + 45));
  EXPECT_EQ(sessions, (std::set<std::string>{"bogor 08:00", "bogor 10:00", "jakarta-pusat 08:00",
                                             "denpasar 08:30", "denpasar 10:30"}));

  std::vector<std::string> all = phase1;
  const std::vector<std::string> phase2 = Phase2(bookings);
  all.insert(all.end(), phase2.begin(), phase2.end());
  const std::string stream = tmp + "/stream.jsonl";
  WriteLines(stream, all);
  const std::size_t total = all.size();

  // One uninterrupted run into a fresh ledger: the reference.
  const auto started = std::chrono::steady_clock::now();
  const CliRun clean = RunToEnd(IngestArgs(tmp + "/clean", stream, tmp), tmp + "/clean.err");
  const auto clean_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  ASSERT_EQ(clean.exit_code, 0) << "every command is accepted; see " << tmp << "/clean.err";
  ASSERT_EQ(clean.lines.size(), total);
  std::map<std::string, int> outcomes, reasons;
  for (const auto& line : clean.lines) {
    const json::object r = ParseJsonObject(line);
    ++outcomes[Str(r, "outcome")];
    if (!Str(r, "reason").empty()) ++reasons[Str(r, "reason")];
  }
  for (const char* kind : {"issued", "repeated", "rejected", "information", "recorded", "arrived",
                           "forfeited", "arrival_rejected", "expired"}) {
    EXPECT_GT(outcomes[kind], 0) << "the stream has no " << kind << " outcome";
  }
  for (const char* reason : {"late", "bad_check_character", "already_arrived"}) {
    EXPECT_GT(reasons[reason], 0) << reason;
  }
  const Snapshot reference = Read(tmp + "/clean");
  ExpectSameRows(reference.live, reference.replay, "uninterrupted run");

  // The run that is killed: at least 5 times, at random points, then left to finish.
  std::random_device device;
  const unsigned seed = device();
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed) + ", " + std::to_string(total) + " commands, " +
               "uninterrupted run " + std::to_string(clean_ms) + " ms");
  constexpr int kKills = 6;
  std::vector<std::size_t> kill_after;  // result lines read before the kill, increasing
  {
    std::uniform_int_distribution<std::size_t> pick(total / 20, total - total / 20);
    std::set<std::size_t> points;
    while (points.size() < kKills) points.insert(pick(random));
    kill_after.assign(points.begin(), points.end());
  }
  const std::string ledger = tmp + "/killed";
  std::uint64_t last_head = 0;
  int kills = 0;
  CliRun final_run;
  for (std::size_t round = 0;; ++round) {
    Child child(IngestArgs(ledger, stream, tmp), tmp + "/killed.err");
    if (round >= kill_after.size()) {  // the run that completes
      while (auto line = child.ReadLine()) final_run.lines.push_back(std::move(*line));
      final_run.exit_code = child.Wait();
      break;
    }
    std::size_t read = 0;
    bool ended = false;
    while (read < kill_after[round]) {
      if (!child.ReadLine()) {
        ended = true;
        break;
      }
      ++read;
    }
    ASSERT_FALSE(ended) << "the run ended after " << read << " lines before its kill";
    // A random moment a little later: appends in flight, output not yet printed.
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20'000)(random)));
    child.Kill();
    ++kills;
    SCOPED_TRACE("after kill " + std::to_string(kills) + " (" + std::to_string(read) +
                 " result lines read)");

    const CliRun verify = RunToEnd({"verify", "--ledger", ledger}, tmp + "/verify.err");
    EXPECT_EQ(verify.exit_code, 0) << (verify.lines.empty() ? "" : verify.lines[0]);
    const Snapshot s = Read(ledger);
    EXPECT_GE(s.head.seq, last_head) << "the ledger never loses acknowledged events";
    EXPECT_GT(s.head.seq, 0u);
    last_head = s.head.seq;
    ExpectSameRows(s.live, s.replay, "after kill " + std::to_string(kills));
    auto checkpoint = s.live.find(std::string(projections::kCheckpointKey));
    ASSERT_NE(checkpoint, s.live.end());
    EXPECT_EQ(checkpoint->second, BigEndian8(s.head.seq));
    if (::testing::Test::HasFailure()) return;  // the later rounds would only repeat it
  }
  EXPECT_GE(kills, 5);
  EXPECT_EQ(final_run.exit_code, 0) << "see " << tmp << "/killed.err";
  ASSERT_EQ(final_run.lines.size(), total);

  const Snapshot end = Read(ledger);
  ExpectSameRows(end.live, end.replay, "after the completed run");
  EXPECT_EQ(end.head.seq, reference.head.seq);
  EXPECT_EQ(Hex(end.head.hash), Hex(reference.head.hash)) << "the ledger is deterministic";
  ExpectSameRows(end.live, reference.live, "killed run against the uninterrupted run");
  // The final run's answers are the first answers (clock ticks, which have no id, excepted).
  for (std::size_t i = 0; i < total; ++i) {
    const json::object a = ParseJsonObject(final_run.lines[i]), b = ParseJsonObject(clean.lines[i]);
    EXPECT_EQ(a.at("ok"), json::value(true)) << final_run.lines[i];
    if (Str(a, "type") == "clock.tick") continue;
    EXPECT_EQ(Str(a, "outcome"), Str(b, "outcome")) << "line " << i + 1;
    EXPECT_EQ(a.if_contains("events") ? *a.if_contains("events") : json::value(),
              b.if_contains("events") ? *b.if_contains("events") : json::value())
        << "line " << i + 1;
  }
  const CliRun verify = RunToEnd({"verify", "--ledger", ledger}, tmp + "/verify.err");
  EXPECT_EQ(verify.exit_code, 0);
}

}  // namespace
}  // namespace antrean
