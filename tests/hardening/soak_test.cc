// The soak (docs/HARDENING.md, "Soak"): the real `antrean serve`, a child process, under steady
// signed webhook load and staff API load (counter writes and auditor reads) from several client
// threads, with its outbox sending to a Graph-API-like receiver on loopback, is SIGKILLed at a
// random moment and restarted, again and again. At the end: every request answered with success
// has its events, the chain verifies, the projections equal a full replay, every queued reply was
// sent or is still held, and the server's memory did not grow from one incarnation to the next:
// under load it stays within its budgets plus a working part that does not depend on the ledger's
// size, restarts of an unchanged ledger add nothing, and a start after a clean stop holds what a
// fresh server holds, however large the ledger.
//
// Short by default (CI); as long as asked with ANTREAN_SOAK_SECONDS:
//   ANTREAN_SOAK_SECONDS=3600 build/tests/antrean_tests --gtest_filter='Soak*'
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/sanitizers.h"
#include "projections/decision_state.h"
#include "tests/support/fake_graph.h"
#include "tests/support/http_node.h"
#include "tests/support/run_binary.h"
#include "tests/support/serve_load.h"
#include "tests/support/server_process.h"

namespace antrean {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// The short form's length: CI runs the whole suite twice (normal and ASan/UBSan) in 30 minutes.
#if defined(ANTREAN_UNDER_ASAN)
constexpr int kDefaultSoakSeconds = 35;
#else
constexpr int kDefaultSoakSeconds = 45;
#endif

int SoakSeconds() {
  const char* s = std::getenv("ANTREAN_SOAK_SECONDS");
  const int n = s != nullptr ? std::atoi(s) : 0;
  return n > 0 ? n : kDefaultSoakSeconds;
}

// Load runs this long in each incarnation before its memory is read: the comparable point.
constexpr auto kSampleAfter = std::chrono::milliseconds(1000);
// After the sample, the kill comes at a random moment within this.
constexpr int kKillWithinMs = 2000;
// The server runs with small memory budgets (`--cache-mib`, `--memtables-mib`), so that even the
// short form fills them and what is measured after that is the flat line, not the warming. The
// defaults (256 MiB each) bound memory the same way, higher.
constexpr long kCacheMib = 16;
constexpr long kMemtablesMib = 16;
// Beyond the budgets the server holds working memory that does not grow with restarts but comes
// and goes with RocksDB's flushes and compactions (whose buffers follow the table files' sizes),
// and what the allocator keeps of freed memory. Over the hour the resident set one second into
// an incarnation peaked at 243 MiB with 16 MiB budgets (docs/HARDENING.md); this is its room above
// a fresh server besides the budgets. Not checked under AddressSanitizer, whose allocator keeps
// freed memory on purpose (there /metrics has no heap figures either).
constexpr long kResidentWorkingPartKiB = 288 * 1024;
// Restarts of an unchanged ledger replay the same WAL: none may hold more than the first of them
// plus this. (The first may hold more than the later ones: RocksDB finishes the compactions the
// load left.)
constexpr long kSameLedgerSlackKiB = 8 * 1024;
// Restarts of an unchanged ledger made, after the load.
constexpr int kSameLedgerRestarts = 6;
// A start after a clean stop may hold this much more than a fresh server, besides the block cache
// (opening reads the tail of the chain and the newest table files' index and filter blocks).
constexpr long kCleanStartSlackKiB = 16 * 1024;

// VmRSS and VmHWM (KiB) of a process, from /proc/PID/status; and, when read, what the server's
// /metrics says the ledger holds of it (KiB; -1 when not read).
struct Memory {
  long rss_kib = 0, hwm_kib = 0;
  long cache_kib = -1, memtables_kib = -1, readers_kib = -1;
  long heap_in_use_kib = -1, heap_free_kib = -1;
};
Memory ReadMemory(pid_t pid) {
  Memory m;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kib = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_kib = std::atol(line.c_str() + 6);
  }
  return m;
}

// What the clients saw: every success they were answered (what must be in the ledger) and counts.
struct Tally {
  std::mutex mu;
  std::set<std::string> acked_keys;  // idempotency keys: "wa:<message id>", "req:<request id>"
  std::vector<std::string> codes;    // booking codes issued, for the counter and the reads
  long webhook_ok = 0, staff_writes_ok = 0, reads_ok = 0;
  long no_response = 0;  // the server was killed under the request: the client cannot know
  long unexpected = 0;   // an answer that is neither success nor the expected refusal
  std::string first_unexpected;

  void Ack(const std::string& key, long& counter) {
    std::lock_guard lk(mu);
    acked_keys.insert(key);
    ++counter;
  }
  void Count(long& counter) {
    std::lock_guard lk(mu);
    ++counter;
  }
  void Unexpected(const std::string& what) {
    std::lock_guard lk(mu);
    if (unexpected++ == 0) first_unexpected = what;
  }
  std::string AnyCode(std::mt19937& random) {
    std::lock_guard lk(mu);
    return codes.empty() ? std::string() : codes[random() % codes.size()];
  }
};

// The server's /metrics text ("" when it cannot be read).
std::string MetricsText(const std::string& url) {
  http::Client client(*http::ParseUrl(url), std::chrono::seconds(5));
  auto r = client.Send("GET", "/metrics");
  return r.ok() ? r->body : std::string();
}

// A gauge of a /metrics text (-1 when it is not there).
double Gauge(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atof(metrics.c_str() + at + name.size() + 2);
}

// The outbox's depth as /metrics says it (-1 when it cannot be read).
long OutboxDepth(const std::string& url) {
  return static_cast<long>(Gauge(MetricsText(url), "antrean_outbox_depth"));
}

// What the ledger and the heap hold of the server's memory, as one reading of /metrics says.
void ReadLedgerMemory(const std::string& url, Memory* m) {
  const std::string metrics = MetricsText(url);
  const auto kib = [&](const char* name) {
    const double bytes = Gauge(metrics, name);
    return bytes < 0 ? -1L : static_cast<long>(bytes / 1024);
  };
  m->cache_kib = kib("antrean_ledger_block_cache_bytes");
  m->memtables_kib = kib("antrean_ledger_memtables_bytes");
  m->readers_kib = kib("antrean_ledger_table_readers_bytes");
  m->heap_in_use_kib = kib("antrean_process_heap_in_use_bytes");
  m->heap_free_kib = kib("antrean_process_heap_free_bytes");
}

class Soak : public ::testing::Test {
 protected:
  void SetUp() override {
    secrets_ = dir_.path() + "/secrets.json";
    support::WriteTestSecretsFile(secrets_);
  }
  std::string Ledger() const { return dir_.path() + "/ledger"; }

  // `antrean serve` on `ledger` with the soak's memory budgets; replies go to graph_url if set.
  std::vector<std::string> Args(const std::string& ledger, const std::string& graph_url) const {
    auto args = support::ServeArgs(ledger, secrets_, graph_url);
    args.insert(args.end(), {"--cache-mib", std::to_string(kCacheMib), "--memtables-mib",
                             std::to_string(kMemtablesMib)});
    return args;
  }

  // Webhook client: registrations from fresh phones, and every fourth message a text that is not
  // one (answered with the help text): each queues a reply.
  void Webhooks(const std::string& url, const std::string& prefix, std::atomic<bool>& stop) {
    support::PostWebhooksUntil(
        url, support::kAppSecret,
        {prefix, [&](int) { return support::NumberedPhone("62813", next_phone_++); },
         [](int i) {
           return i % 4 == 3 ? std::string("halo, apa syaratnya?") : support::RegistrationText(i);
         },
         [&](const std::string& id, const std::string& body) {
           tally_.Ack("wa:" + id, tally_.webhook_ok);
           const auto results = support::ParseJsonObject(body).at("results").as_array();
           if (!results.empty() && results[0].as_object().contains("booking_code")) {
             std::lock_guard lk(tally_.mu);
             tally_.codes.emplace_back(results[0].at("booking_code").as_string());
           }
         }},
        stop);
  }

  // Officer client: identity checks (200) and arrivals of bookings for a later day (409
  // other_day, recorded) on codes issued, each with a request id.
  void Counter(const std::string& url, const std::string& prefix, std::atomic<bool>& stop) {
    http::Client client(*http::ParseUrl(url), std::chrono::seconds(5));
    std::mt19937 random(std::hash<std::string>{}(prefix));
    const http::Headers auth = {{"Authorization", std::string("Bearer ") + support::kOfficerToken}};
    for (int i = 0; !stop; ++i) {
      const std::string code = tally_.AnyCode(random);
      if (code.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      const bool arrival = i % 2 == 1;
      const std::string request_id = prefix + std::to_string(i);
      json::object body{{"office", "bogor"}, {"code", code}, {"request_id", request_id}};
      if (!arrival) {
        body["person_matches"] = true;
        body["phone_matches"] = i % 10 != 0;
      }
      auto r = client.Send("POST",
                           arrival ? "/api/v1/counter/arrival" : "/api/v1/counter/identity_check",
                           json::serialize(body), auth);
      if (!r.ok()) {
        tally_.Count(tally_.no_response);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } else if (r->status == (arrival ? 409 : 200)) {
        tally_.Ack("req:" + request_id, tally_.staff_writes_ok);
      } else {
        tally_.Unexpected(std::to_string(r->status) + " " + r->body);
      }
    }
  }

  // Auditor client: the reads an auditor makes, on what the load has written.
  void Reads(const std::string& url, std::atomic<bool>& stop) {
    http::Client client(*http::ParseUrl(url), std::chrono::seconds(5));
    std::mt19937 random(7);
    const http::Headers auth = {{"Authorization", std::string("Bearer ") + support::kAuditorToken}};
    const std::string board =
        "/api/v1/offices/bogor/board?date=" + DashedDate(support::NextServiceDay(1));
    for (int i = 0; !stop; ++i) {
      // Until a booking exists (the first incarnation's first moments) there is only the head to
      // read: the board of an office with no configuration recorded yet is 404.
      const std::string code = tally_.AnyCode(random);
      std::string target = "/api/v1/ledger/head";
      if (!code.empty() && i % 4 == 1) target = board;
      if (!code.empty() && i % 4 == 2) target = "/api/v1/bookings/" + code;
      if (!code.empty() && i % 4 == 3) target = "/api/v1/phones/6281300000001";
      auto r = client.Send("GET", target, "", auth);
      if (!r.ok()) {
        tally_.Count(tally_.no_response);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } else if (r->status == 200 ||
                 (r->status == 404 && target.find("/phones/") != std::string::npos)) {
        tally_.Count(tally_.reads_ok);
      } else {
        tally_.Unexpected(target + ": " + std::to_string(r->status) + " " + r->body);
      }
    }
  }

  static std::string DashedDate(const domain::Date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.y, d.m, d.d);
    return buf;
  }

  // One incarnation: load from every client until a random moment, then SIGKILL. Returns the
  // server's memory at the sample point.
  Memory Incarnation(int n, const std::string& graph_url, std::mt19937& random) {
    support::ServerProcess server(Args(Ledger(), graph_url));
    EXPECT_TRUE(server.ok());
    if (!server.ok()) return {};
    const std::string round = std::to_string(n);
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back([&, t] {
        Webhooks(server.url(), "wamid.s" + round + "." + std::to_string(t) + ".", stop);
      });
    }
    clients.emplace_back([&] { Counter(server.url(), "soak-" + round + ".", stop); });
    clients.emplace_back([&] { Reads(server.url(), stop); });
    std::this_thread::sleep_for(kSampleAfter);
    Memory memory = ReadMemory(server.pid());
    ReadLedgerMemory(server.url(), &memory);
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % kKillWithinMs));
    EXPECT_EQ(server.Kill(SIGKILL), -SIGKILL);
    stop = true;
    for (auto& c : clients) c.join();
    return memory;
  }

  // An incarnation without load and without the outbox, so that it writes nothing: its memory
  // 1 s after it is ready, then `signal`. Returns the memory and sets `exit_status`.
  Memory Idle(const std::string& ledger, int signal, int* exit_status = nullptr) {
    support::ServerProcess server(Args(ledger, ""));
    EXPECT_TRUE(server.ok());
    if (!server.ok()) return {};
    std::this_thread::sleep_for(kSampleAfter);
    Memory memory = ReadMemory(server.pid());
    ReadLedgerMemory(server.url(), &memory);
    const int status = server.Kill(signal);
    if (exit_status != nullptr) *exit_status = status;
    return memory;
  }

  support::TempDir dir_;
  std::string secrets_;
  std::atomic<int> next_phone_{1};
  Tally tally_;
};

// What the ledger holds after the run, read from the ledger itself (read-only, the server gone).
struct Holdings {
  std::set<std::string> keys;                          // idempotency keys of every event
  std::set<std::string> queued, sent, given_up, held;  // reply ids
  std::uint64_t events = 0;
};
Holdings ReadHoldings(const std::string& ledger_dir) {
  Holdings h;
  auto ledger = support::OpenLedger(ledger_dir, support::ReadOnly());
  if (!ledger) return h;
  const Status scanned = ledger->Scan(1, ledger->GetHead().seq, [&](const store::EventView& e) {
    ++h.events;
    if (!e.idempotency_key.empty()) h.keys.emplace(e.idempotency_key);
    const bool queued = e.type == "reply_queued.v1", sent = e.type == "reply_sent.v1",
               failed = e.type == "reply_failed.v1";
    if (!queued && !sent && !failed) return true;
    const json::object p = json::parse(e.payload).as_object();
    const std::string id(p.at("reply_id").as_string());
    if (queued) h.queued.insert(id);
    if (sent) h.sent.insert(id);
    if (failed && p.at("final").as_bool()) h.given_up.insert(id);
    return true;
  });
  EXPECT_TRUE(scanned.ok()) << scanned.ToString();
  const std::string prefix(projections::kOutboxPrefix);
  const Status rows = ledger->ScanState(prefix, "ob0", [&](std::string_view key, std::string_view) {
    h.held.emplace(key.substr(prefix.size()));
    return true;
  });
  EXPECT_TRUE(rows.ok()) << rows.ToString();
  return h;
}

TEST_F(Soak, RepeatedSigkillsUnderWebhookAndStaffLoadLoseNothingAndMemoryStaysFlat) {
  support::FakeGraph graph(0, /*keep_requests=*/false);
  std::mt19937 random(20260307);
  // What a fresh server holds: the yardstick for the start after a clean stop.
  const Memory fresh = Idle(dir_.path() + "/fresh", SIGTERM);
  const auto until = Clock::now() + std::chrono::seconds(SoakSeconds());
  std::vector<Memory> memory;
  while (Clock::now() < until || memory.size() < 4) {
    memory.push_back(Incarnation(static_cast<int>(memory.size()), graph.url(), random));
    if (::testing::Test::HasFatalFailure()) return;
  }
  const auto kills = memory.size();

  // Restarts of the ledger as the last kill left it, each killed in turn: nothing is written, so
  // each replays the same WAL and must hold the same.
  std::vector<Memory> same;
  for (int i = 0; i < kSameLedgerRestarts; ++i) same.push_back(Idle(Ledger(), SIGKILL));

  // The last incarnation runs without load until the outbox has sent what it holds, then stops.
  long depth = -1;
  {
    support::ServerProcess server(Args(Ledger(), graph.url()));
    ASSERT_TRUE(server.ok());
    support::Eventually([&] { return (depth = OutboxDepth(server.url())) == 0; },
                        std::chrono::seconds(60));
    EXPECT_EQ(server.Kill(SIGTERM), 0) << "SIGTERM drains and exits 0";
  }
  // After that clean stop, a start holds what a fresh server holds, whatever the ledger's size.
  int clean_exit = -1;
  const Memory clean = Idle(Ledger(), SIGTERM, &clean_exit);
  EXPECT_EQ(clean_exit, 0);
  const Holdings h = ReadHoldings(Ledger());
  std::size_t lost_requests = 0, lost_replies = 0;
  for (const auto& key : tally_.acked_keys) {
    if (h.keys.count(key) == 0) {
      if (lost_requests++ == 0) ADD_FAILURE() << "acknowledged but not in the ledger: " << key;
    }
  }
  for (const auto& id : h.queued) {
    if (h.sent.count(id) == 0 && h.held.count(id) == 0 && h.given_up.count(id) == 0) {
      if (lost_replies++ == 0) ADD_FAILURE() << "queued reply neither sent nor held: " << id;
    }
  }
  std::size_t held_unsent = 0;
  for (const auto& id : h.held) held_unsent += h.sent.count(id) == 0;

  std::printf("soak: %d s asked, %zu kills (SIGKILL) and %zu restarts\n", SoakSeconds(), kills,
              kills);
  std::printf(
      "soak: requests ok: %ld webhook, %ld staff writes, %ld staff reads; %ld without "
      "response (killed under them); %ld unexpected\n",
      tally_.webhook_ok, tally_.staff_writes_ok, tally_.reads_ok, tally_.no_response,
      tally_.unexpected);
  std::printf(
      "soak: ledger: %llu events; replies queued %zu, sent %zu, held %zu (unsent %zu), "
      "given up %zu; Graph receiver got %ld sends (resends after a kill included)\n",
      static_cast<unsigned long long>(h.events), h.queued.size(), h.sent.size(), h.held.size(),
      held_unsent, h.given_up.size(), graph.received());
  std::printf("soak: losses: %zu acknowledged requests, %zu replies\n", lost_requests,
              lost_replies);
  const auto print = [](const char* what, const std::vector<Memory>& ms) {
    std::printf(
        "soak: server memory %lld ms into %s, KiB VmRSS/VmHWM (block cache, memtables, "
        "table readers; heap in use, heap free):",
        static_cast<long long>(kSampleAfter.count()), what);
    for (const auto& m : ms) {
      std::printf(" %ld/%ld(%ld,%ld,%ld;%ld,%ld)", m.rss_kib, m.hwm_kib, m.cache_kib,
                  m.memtables_kib, m.readers_kib, m.heap_in_use_kib, m.heap_free_kib);
    }
    std::printf("\n");
  };
  print("a fresh server", {fresh});
  print("each loaded incarnation", memory);
  print("each restart of the unchanged ledger", same);
  print("the start after the clean stop", {clean});

  EXPECT_GT(tally_.webhook_ok, 100) << "the webhook load did not get going";
  EXPECT_GT(tally_.staff_writes_ok, 10) << "the staff load did not get going";
  EXPECT_EQ(tally_.unexpected, 0) << "first: " << tally_.first_unexpected;
  EXPECT_EQ(lost_requests, 0u);
  EXPECT_EQ(lost_replies, 0u);
  EXPECT_EQ(depth, 0) << "the outbox did not drain";
  EXPECT_GT(h.sent.size(), 0u);

  // Memory. Under load, while the ledger grows, every incarnation stays within a fresh server's
  // memory plus the budgets plus the working part: a leak, or state held per booking, would not.
  const auto rss = [](const Memory& a, const Memory& b) { return a.rss_kib < b.rss_kib; };
  const auto heap = [](const Memory& a, const Memory& b) {
    return a.heap_in_use_kib < b.heap_in_use_kib;
  };
  ASSERT_GT(fresh.rss_kib, 0) << "no memory read";
  const long bound = fresh.rss_kib + (kCacheMib + kMemtablesMib) * 1024 + kResidentWorkingPartKiB;
  const long loaded = std::max_element(memory.begin(), memory.end(), rss)->rss_kib;
  const long live = std::max_element(memory.begin(), memory.end(), heap)->heap_in_use_kib;
#if defined(ANTREAN_UNDER_ASAN)
  constexpr bool kBoundChecked = false;
#else
  constexpr bool kBoundChecked = true;
  EXPECT_GT(fresh.heap_in_use_kib, 0) << "no heap figure in /metrics";
  EXPECT_LE(loaded, bound) << "VmRSS under load went past the budgets: " << loaded << " KiB";
#endif
  // Restarts add nothing: no restart of the unchanged ledger holds more than the first.
  const auto high = std::max_element(same.begin(), same.end(), rss);
  EXPECT_GT(same.front().rss_kib, 0) << "no memory read";
  EXPECT_LE(high->rss_kib, same.front().rss_kib + kSameLedgerSlackKiB)
      << "VmRSS grew across restarts of an unchanged ledger";
  // And a start after a clean stop is a fresh start, however many events the ledger holds.
  EXPECT_GT(clean.rss_kib, 0) << "no memory read";
  EXPECT_LE(clean.rss_kib, fresh.rss_kib + kCacheMib * 1024 + kCleanStartSlackKiB)
      << "a clean start holds more than a fresh server";
  std::printf(
      "soak: under load, heap in use at most %ld KiB, VmRSS at most %ld KiB (bound %ld%s); "
      "unchanged-ledger restarts: first %ld KiB, largest %ld KiB; clean start %ld KiB against "
      "fresh %ld KiB\n",
      live, loaded, bound, kBoundChecked ? "" : ", not checked", same.front().rss_kib,
      high->rss_kib, clean.rss_kib, fresh.rss_kib);

  const std::string tmp = dir_.path();
  auto verify = support::RunAntrean({"verify", "--ledger", Ledger()}, tmp);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out.rfind("intact: ", 0), 0u) << verify.out;
  auto replay = support::RunAntrean({"replay", "--ledger", Ledger()}, tmp);
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("identical: the live state is exactly what the events say"),
            std::string::npos)
      << replay.out;
  std::printf("soak: %s", verify.out.c_str());
  // For a look afterwards: ANTREAN_SOAK_KEEP=DIR keeps a copy of the ledger (DIR must not exist).
  if (const char* keep = std::getenv("ANTREAN_SOAK_KEEP"); keep != nullptr && *keep != '\0') {
    std::filesystem::copy(Ledger(), keep, std::filesystem::copy_options::recursive);
    std::printf("soak: the ledger is kept in %s\n", keep);
  }
}

}  // namespace
}  // namespace antrean
