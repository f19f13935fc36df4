// HTTP service benchmark (issue: the service). The real `antrean serve` binary, started as a
// subprocess on a fresh ledger, takes signed WhatsApp webhook registrations over loopback from a
// load generator of our own, beside nginx returning a fixed 200 to the same requests from the
// same generator in the same run: the ceiling of HTTP on this machine.
//
//   build/benchmarks/http_bench [--antrean PATH] [--dir DIR] [--config FILE]
//                               [--connections 1,8,64] [--threads N] [--server-threads N]
//                               [--warmup-s S] [--duration-s S] [--requests N] [--bodies N]
//                               [--offices N] [--no-nginx] [--nginx PATH] [--nginx-workers N]
//                               [--perf FILE] [--keep]
//
// A 200 from the webhook means the delivery's events are durable (fsynced), so 200s per second
// are durable registrations per second. Not a test: nothing is asserted, but the run ends with a
// check of the ledger (`antrean verify`) against the responses. Figures: benchmarks/README.md.
//
// The load generator: N connections (HTTP/1.1, kept alive), each sending its next request as
// soon as the previous response has arrived (a closed loop, like wrk), on --threads threads
// (default 1: the machine has two cores and the server needs the other). Each phase runs
// --warmup-s (default 2) and then --duration-s (default 10); or, with --requests N, the first N
// requests sent after the warm-up. A request is measured when it was sent inside the measured
// window; the rate is measured responses over the time from the window's start to the last
// measured response. Every request body and signature is built before the first phase, so
// neither JSON nor HMAC is timed in the client.
//
// The requests: POST /webhooks/whatsapp, a text webhook as Meta sends it (BuildTextWebhook),
// signed with the app secret of a secrets file made by `antrean secrets init`. Each carries a
// unique message id, a unique sender (62812 + 8 digits) and a unique person registering
// `#NAME#DDMMYYYY#DDMMYYYY` for an open day 1..360 days ahead at one of --offices offices (clones
// of config/offices.json's "bogor" with sessions of 10,000 places and a 365-day horizon, written
// to a generated office file), so that no day fills and each registration is issued.
//
// nginx (`nginx-light`): a generated config in the run directory, `return 200 "ok"` on every
// location (POST included, the body discarded), access log off, keep-alive without a request cap;
// the same requests, the same generator. Skipped, with a note, when no nginx binary is found.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/secrets.h"
#include "benchmarks/cpu_time.h"
#include "common/sha256.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "http/client.h"
#include "tools/cli/office_clones.h"
#include "whatsapp/webhook.h"

#ifndef ANTREAN_BINARY
#define ANTREAN_BINARY "build/tools/antrean"
#endif

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace antrean;

// ---- Options and limits
// ---------------------------------------------------------------------------
struct BenchOptions {
  std::string antrean = ANTREAN_BINARY;
  std::string dir = "var/bench";
  std::string config = "config/offices.json";
  std::vector<int> connections = {1, 8, 64};
  int threads = 1;         // the load generator's threads
  int server_threads = 2;  // `antrean serve --threads`
  double warmup_s = 2;
  double duration_s = 10;
  std::uint64_t requests = 0;  // > 0: measure this many requests per phase instead of a duration
  std::uint64_t bodies = 400'000;
  int offices = 10;
  bool nginx = true;
  std::string nginx_binary = "nginx";
  int nginx_workers = 1;
  std::string perf_file;  // perf record the server during the measured part of the widest phase
  bool keep = false;
};

constexpr int kConnectionsMax = 10'000;
constexpr std::size_t kResponseBodyBytesMax = 1 << 20;
// A phase whose responses stop coming is cut off this long after its measured window.
constexpr double kPhaseGraceSeconds = 30;
// A count-mode phase (--requests) is cut off after this long, whatever it has done.
constexpr double kCountPhaseSecondsMax = 600;
// Transport errors (resets, refused connections) after which a connection gives up.
constexpr std::uint64_t kConnectionErrorsMax = 100;
constexpr double kStartSecondsMax = 30;  // for the server to print its address, nginx to listen
constexpr double kStopSecondsMax = 120;  // for the server to drain and close the ledger
constexpr int kSessionCapacity = 10'000;  // domain::kSessionCapacityMax: no day fills
constexpr int kBookingHorizonDays = 365;  // domain::kBookingHorizonDaysMax
constexpr int kArrivalDaysAheadMax = 360;
constexpr int kEventsPerRegistration = 3;  // message_received, booking_code_issued, reply_queued

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "http_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
Clock::duration FromSeconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Die("cannot write " + path);
}

// "12,345" for a count or a rate.
std::string Commas(double v) {
  const auto n = static_cast<long long>(std::llround(v));
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string LoadAverage() {
  std::string s = ReadFile("/proc/loadavg");
  std::istringstream in(s);
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---- Processes
// ------------------------------------------------------------------------------------
// Starts argv[0] (looked up in PATH) with standard output and error to the given files and
// standard input from /dev/null. Only async-signal-safe calls between fork and exec: the load
// generator's threads may be running.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) Die("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// The exit code, -1 when killed by a signal, nullopt while it runs.
std::optional<int> Exited(pid_t pid) {
  int status = 0;
  const pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  if (r < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Waits up to `seconds`, then kills it (SIGKILL) and says so.
int WaitExit(pid_t pid, double seconds, const std::string& what) {
  const auto deadline = Clock::now() + FromSeconds(seconds);
  while (Clock::now() < deadline) {
    if (auto code = Exited(pid)) return *code;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr, "http_bench: %s did not exit within %.0f s: killed\n", what.c_str(),
               seconds);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return -1;
}

struct Captured {
  int exit_code = -1;
  std::string out, err;
};

Captured RunCapture(const std::vector<std::string>& argv, const std::string& scratch) {
  const std::string out = scratch + ".out", err = scratch + ".err";
  const pid_t pid = Spawn(argv, out, err);
  Captured c;
  c.exit_code = WaitExit(pid, 600, argv[0]);
  c.out = ReadFile(out);
  c.err = ReadFile(err);
  return c;
}

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
double ProcessCpuSeconds(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(stat.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string s; in >> s;) f.push_back(s);
  // After the command: field 3 (state) is f[0], so utime (14) is f[11] and stime (15) f[12].
  if (f.size() < 13) return 0;
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::uint16_t FreeLoopbackPort() {
  net::io_context io;
  tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

bool Connectable(std::uint16_t port) {
  net::io_context io;
  tcp::socket s(io);
  beast::error_code ec;
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

// ---- The office file and the requests
// -------------------------------------------------------------
// `count` clones of the config's "bogor" with room for every request: three sessions of
// kSessionCapacity, a 365-day horizon, no holidays.
std::string BenchOfficeFile(const std::string& config_path, int count) {
  std::string error;
  std::string file = cli::CloneOffices(
      ReadFile(config_path),
      {count, "bench-", "0811 30", "3000000", "benchmarks/http_bench.cc", kSessionCapacity,
       kBookingHorizonDays},
      &error);
  if (file.empty()) Die(config_path + ": " + error + " (run from the repository root)");
  return file;
}

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Person i's name: two words of consonant-vowel syllables spelling i in base 80 (unique for
// 80^4 persons, no digit), as ingest_bench does.
std::string PersonName(std::uint64_t i) {
  static constexpr char kConsonants[] = "bcdghjklmnprstwy";
  static constexpr char kVowels[] = "aiueo";
  auto syl = [&](int k) {
    std::uint64_t s = i;
    for (int j = 0; j < k; ++j) s /= 80;
    s %= 80;
    return std::string{kConsonants[s / 5], kVowels[s % 5]};
  };
  std::string first = syl(0) + syl(1), last = syl(2) + syl(3);
  first[0] = static_cast<char>(first[0] - 'a' + 'A');
  last[0] = static_cast<char>(last[0] - 'a' + 'A');
  return first + " " + last;
}

// Person i's phone: 62812 and eight digits, a bijection of i (7919 is prime to 10^8).
std::string PersonPhone(std::uint64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "62812%08llu",
                static_cast<unsigned long long>((i * 7919 + 12'345'678) % 100'000'000));
  return buf;
}

std::string Ddmmyyyy(const domain::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%04d", d.d, d.m, d.y);
  return buf;
}

// The wire bytes of every request, built once: headers, signature and body.
struct RequestPool {
  std::vector<std::string> wire;
  std::size_t body_bytes = 0;  // average
  double build_seconds = 0;
};

RequestPool BuildRequests(const domain::OfficeDirectory& offices, const std::string& app_secret,
                          std::uint64_t count) {
  RequestPool pool;
  const auto t0 = Clock::now();
  const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  // Open days 1..kArrivalDaysAheadMax days after today in WIB (the clones' zone).
  auto local = domain::ToLocal(domain::Instant{now_s * 1'000'000}, domain::TimeZone::kWIB);
  if (!local.ok()) Die("the clock: " + local.status().ToString());
  std::vector<domain::Date> days;
  const auto& office0 = offices.offices().front();
  for (int ahead = 1; ahead <= kArrivalDaysAheadMax; ++ahead) {
    auto d = domain::AddDays(local->date, ahead);
    if (d.ok() && office0.IsOpenOn(*d)) days.push_back(*d);
  }
  const std::string run = ToHex(RandomBytes(4));  // message ids differ between runs
  pool.wire.reserve(count);
  std::uint64_t body_total = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto& office = offices.offices()[i % offices.offices().size()];
    const auto& number = office.whatsapp_numbers.front();
    const std::uint64_t h = SplitMix(i);
    const domain::Date& arrival = days[h % days.size()];
    const domain::Date birth{1960 + static_cast<int>((h >> 16) % 40),
                             1 + static_cast<int>((h >> 24) % 12),
                             1 + static_cast<int>((h >> 32) % 28)};
    const std::string name = PersonName(i);
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    whatsapp::TextWebhookSpec spec;
    spec.phone_number_id = number.phone_number_id;
    spec.display_phone_number = number.digits;
    spec.from = PersonPhone(i);
    spec.profile_name = name;
    spec.message_id = "wamid.bench." + run + "." + std::to_string(i);
    spec.text = "#" + upper + "#" + Ddmmyyyy(birth) + "#" + Ddmmyyyy(arrival);
    spec.timestamp_s = now_s;
    const std::string body = whatsapp::BuildTextWebhook(spec);
    body_total += body.size();
    std::string w;
    w.reserve(body.size() + 256);
    w += "POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    w += "Content-Type: application/json\r\nX-Hub-Signature-256: ";
    w += whatsapp::SignatureHeader(body, app_secret);
    w += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    w += body;
    pool.wire.push_back(std::move(w));
  }
  pool.body_bytes = count ? body_total / count : 0;
  pool.build_seconds = Seconds(Clock::now() - t0);
  return pool;
}

// ---- The load generator
// -----------------------------------------------------------------------------
struct LoadOptions {
  int connections = 64;
  int threads = 1;
  double warmup_s = 2;
  double duration_s = 10;
  std::uint64_t requests = 0;  // > 0: count mode
  bool classify = false;       // read antrean's webhook answers (outcome, events)
  bool cycle = false;          // reuse the pool from its start when it runs out (nginx only)
};

// What one connection saw; merged into a LoadResult at the end.
struct ConnStats {
  std::vector<std::uint32_t> latencies_us;  // measured requests only
  std::map<int, std::uint64_t> status;      // every response
  std::map<int, std::uint64_t> status_measured;
  std::uint64_t sent = 0, answered = 0, errors = 0, reconnects = 0;
  std::string first_error, first_unexpected_body;
  Clock::time_point last_measured_done{};
  // antrean only, from 200 bodies: outcome (and rejection reason), events appended.
  std::map<std::string, std::uint64_t> outcomes;
  std::uint64_t events = 0, configs = 0, duplicates = 0, max_seq = 0;
};

struct LoadResult {
  std::vector<std::uint32_t> latencies_us;  // sorted
  ConnStats total;                          // merged (latencies moved out)
  double seconds = 0;                       // measured window: start to last measured response
  std::uint64_t measured = 0;
  bool exhausted = false;  // the request pool ran out
  bool cut_off = false;    // responses stopped coming: the phase was cut off
  double Rate() const { return seconds > 0 ? static_cast<double>(measured) / seconds : 0; }
  double Percentile(double q) const {
    if (latencies_us.empty()) return 0;
    std::size_t k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies_us.size())));
    k = std::clamp<std::size_t>(k, 1, latencies_us.size());
    return latencies_us[k - 1] / 1000.0;  // ms
  }
};

struct Shared {
  const std::vector<std::string>* pool = nullptr;
  std::atomic<std::size_t> next{0};
  tcp::endpoint endpoint;
  LoadOptions options;
  Clock::time_point window_start, window_end;  // window_end: max() in count mode
  std::atomic<std::uint64_t> measured_sent{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> exhausted{false};
};

// The value of `"name":"` in a JSON text, up to the next quote; "" when absent. Our own answers
// are compact Boost.JSON: no space after the colon.
std::string_view JsonStringField(std::string_view body, std::string_view key) {
  const auto at = body.find(key);
  if (at == std::string_view::npos) return {};
  const auto start = at + key.size();
  const auto end = body.find('"', start);
  return end == std::string_view::npos ? std::string_view() : body.substr(start, end - start);
}

// One kept-alive connection running a closed loop. Its socket lives on its own strand, so every
// handler of one connection runs in order whatever the number of threads.
class Connection {
 public:
  Connection(net::io_context& io, Shared& shared)
      : shared_(shared), socket_(net::make_strand(io)) {
    stats_.latencies_us.reserve(1 << 16);
  }

  void Start() { Connect(); }
  // From any thread: closes the socket on its strand, which ends the loop.
  void Abort() {
    net::post(socket_.get_executor(), [this] {
      aborted_ = true;
      beast::error_code ec;
      socket_.close(ec);
    });
  }
  ConnStats& stats() { return stats_; }

 private:
  void Connect() {
    socket_.async_connect(shared_.endpoint, [this](beast::error_code ec) {
      if (ec) return Fail("connect", ec);
      socket_.set_option(tcp::no_delay(true), ec);
      SendNext();
    });
  }

  void SendNext() {
    if (shared_.stop.load(std::memory_order_relaxed)) return Close();
    const auto now = Clock::now();
    measured_ = false;
    if (now >= shared_.window_start) {
      if (shared_.options.requests > 0) {
        if (shared_.measured_sent.fetch_add(1) >= shared_.options.requests) {
          shared_.stop = true;
          return Close();
        }
      } else if (now >= shared_.window_end) {
        shared_.stop = true;
        return Close();
      }
      measured_ = true;
    }
    std::size_t index = shared_.next.fetch_add(1);
    if (shared_.options.cycle) index %= shared_.pool->size();
    if (index >= shared_.pool->size()) {
      shared_.exhausted = true;
      shared_.stop = true;
      return Close();
    }
    sent_at_ = now;
    ++stats_.sent;
    net::async_write(socket_, net::buffer((*shared_.pool)[index]),
                     [this](beast::error_code ec, std::size_t) {
                       if (ec) return Fail("write", ec);
                       parser_.emplace();
                       parser_->body_limit(kResponseBodyBytesMax);
                       bhttp::async_read(socket_, buffer_, *parser_,
                                         [this](beast::error_code rec, std::size_t) { OnRead(rec); });
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Fail("read", ec);
    const auto done = Clock::now();
    const auto& res = parser_->get();
    const int status = res.result_int();
    ++stats_.answered;
    ++stats_.status[status];
    if (measured_) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(done - sent_at_).count();
      stats_.latencies_us.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(us, UINT32_MAX)));
      ++stats_.status_measured[status];
      stats_.last_measured_done = std::max(stats_.last_measured_done, done);
    }
    if (status != 200 && stats_.first_unexpected_body.empty()) {
      stats_.first_unexpected_body = std::to_string(status) + " " + res.body().substr(0, 400);
    }
    if (status == 200 && shared_.options.classify) Classify(res.body());
    if (!parser_->keep_alive()) {
      ++stats_.reconnects;
      beast::error_code ignored;
      socket_.close(ignored);
      buffer_.clear();
      return Connect();
    }
    SendNext();
  }

  // The webhook's answer: {"results":[{"ok":true,"type":...,"events":[{"seq":N,"type":T},..],
  // "outcome":"issued",...}],"problems":[]}. One message per request, so one result.
  void Classify(std::string_view body) {
    std::string key(JsonStringField(body, "\"outcome\":\""));
    if (key.empty()) key = body.find("\"ok\":false") != std::string_view::npos ? "error" : "?";
    if (auto reason = JsonStringField(body, "\"reason\":\""); !reason.empty()) {
      key += ": " + std::string(reason);
    }
    ++stats_.outcomes[key];
    if (body.find("\"duplicate\":true") != std::string_view::npos) ++stats_.duplicates;
    constexpr std::string_view kSeq = "\"seq\":";
    for (auto at = body.find(kSeq); at != std::string_view::npos; at = body.find(kSeq, at + 1)) {
      ++stats_.events;
      stats_.max_seq = std::max<std::uint64_t>(
          stats_.max_seq, std::strtoull(body.data() + at + kSeq.size(), nullptr, 10));
    }
    for (auto at = body.find("office_configuration_applied"); at != std::string_view::npos;
         at = body.find("office_configuration_applied", at + 1)) {
      ++stats_.configs;
    }
  }

  void Fail(const char* what, beast::error_code ec) {
    beast::error_code ignored;
    socket_.close(ignored);
    buffer_.clear();
    if (aborted_) return;  // cut off: counted as such, not as errors
    ++stats_.errors;
    if (stats_.first_error.empty()) stats_.first_error = std::string(what) + ": " + ec.message();
    if (shared_.stop.load() || stats_.errors >= kConnectionErrorsMax) return;
    ++stats_.reconnects;
    Connect();
  }

  void Close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Shared& shared_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  Clock::time_point sent_at_;
  bool measured_ = false;
  bool aborted_ = false;  // on the strand
  ConnStats stats_;
};

void Merge(ConnStats& into, ConnStats& from) {
  into.latencies_us.insert(into.latencies_us.end(), from.latencies_us.begin(),
                           from.latencies_us.end());
  for (auto [k, v] : from.status) into.status[k] += v;
  for (auto [k, v] : from.status_measured) into.status_measured[k] += v;
  for (auto& [k, v] : from.outcomes) into.outcomes[k] += v;
  into.sent += from.sent;
  into.answered += from.answered;
  into.errors += from.errors;
  into.reconnects += from.reconnects;
  into.events += from.events;
  into.configs += from.configs;
  into.duplicates += from.duplicates;
  into.max_seq = std::max(into.max_seq, from.max_seq);
  into.last_measured_done = std::max(into.last_measured_done, from.last_measured_done);
  if (into.first_error.empty()) into.first_error = from.first_error;
  if (into.first_unexpected_body.empty()) into.first_unexpected_body = from.first_unexpected_body;
}

// Runs one phase against 127.0.0.1:port with requests pool[first..]. `at_window_start` is called
// on the calling thread when the measured window opens (for perf).
LoadResult RunLoad(std::uint16_t port, const std::vector<std::string>& pool, std::size_t first,
                   const LoadOptions& o, const std::function<void()>& at_window_start) {
  net::io_context io(o.threads);
  Shared shared;
  shared.pool = &pool;
  shared.next = first;
  shared.endpoint = tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
  shared.options = o;
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < o.connections; ++i) conns.push_back(std::make_unique<Connection>(io, shared));
  const auto t0 = Clock::now();
  shared.window_start = t0 + FromSeconds(o.warmup_s);
  shared.window_end = o.requests > 0 ? Clock::time_point::max()
                                     : shared.window_start + FromSeconds(o.duration_s);
  const auto cut_off_at = o.requests > 0
                              ? t0 + FromSeconds(o.warmup_s + kCountPhaseSecondsMax)
                              : shared.window_end + FromSeconds(kPhaseGraceSeconds);
  for (auto& c : conns) c->Start();
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&io, &finished] {
      io.run();
      ++finished;
    });
  }
  // The calling thread only watches the clock: the window's start, and the cut-off. io.run()
  // returns in every thread once every connection has closed its socket.
  bool called = false, cut_off = false;
  while (finished.load() < o.threads) {
    const auto now = Clock::now();
    if (!called && now >= shared.window_start) {
      called = true;
      if (at_window_start) at_window_start();
    }
    if (!cut_off && now >= cut_off_at) {
      cut_off = true;
      shared.stop = true;
      for (auto& c : conns) c->Abort();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& t : threads) t.join();
  LoadResult r;
  r.cut_off = cut_off;
  r.exhausted = shared.exhausted.load();
  for (auto& c : conns) Merge(r.total, c->stats());
  r.latencies_us = std::move(r.total.latencies_us);
  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  r.measured = r.latencies_us.size();
  if (r.measured > 0) r.seconds = Seconds(r.total.last_measured_done - shared.window_start);
  return r;
}

// ---- The servers under test
// -------------------------------------------------------------------------
struct Paths {
  std::string run, ledger, secrets, offices, serve_log, serve_err, nginx;
  explicit Paths(const std::string& dir)
      : run(fs::absolute(fs::path(dir) / "http").lexically_normal().string()),
        ledger(run + "/ledger"),
        secrets(run + "/secrets.json"),
        offices(run + "/offices.json"),
        serve_log(run + "/serve.log"),
        serve_err(run + "/serve.err"),
        nginx(run + "/nginx") {}
};

struct Process {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

// CPU seconds of a process and of its children (nginx's workers).
double TreeCpuSeconds(pid_t pid) {
  double total = ProcessCpuSeconds(pid);
  std::istringstream children(ReadFile("/proc/" + std::to_string(pid) + "/task/" +
                                       std::to_string(pid) + "/children"));
  for (pid_t child; children >> child;) total += ProcessCpuSeconds(child);
  return total;
}

// `antrean serve` on a fresh ledger and a free port, which it prints on standard output:
// "listening on http://127.0.0.1:PORT". Its log (one line per reply queued: there is no
// --graph-url) goes to serve.log.
Process StartAntrean(const BenchOptions& o, const Paths& p) {
  const std::vector<std::string> argv = {o.antrean,
                                         "serve",
                                         "--ledger",
                                         p.ledger,
                                         "--config",
                                         p.offices,
                                         "--secrets",
                                         p.secrets,
                                         "--listen",
                                         "127.0.0.1:0",
                                         "--threads",
                                         std::to_string(o.server_threads),
                                         "--tick-seconds",
                                         "0",
                                         "--no-access-log"};
  Process s;
  s.pid = Spawn(argv, p.serve_log, p.serve_err);
  constexpr std::string_view kListening = "listening on http://";
  const auto deadline = Clock::now() + FromSeconds(kStartSecondsMax);
  while (Clock::now() < deadline) {
    const std::string log = ReadFile(p.serve_log);
    for (auto at = log.find(kListening); at != std::string::npos;
         at = log.find(kListening, at + 1)) {
      // The line itself, not spdlog's "antrean serve: listening on ..." before it.
      if (at != 0 && log[at - 1] != '\n') continue;
      const auto end = log.find('\n', at);
      if (end == std::string::npos) break;
      const std::string address = log.substr(at + kListening.size(), end - at - kListening.size());
      s.port = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
      return s;
    }
    if (auto code = Exited(s.pid)) {
      Die("antrean serve exited with " + std::to_string(*code) + ": " + ReadFile(p.serve_err));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(s.pid, SIGKILL);
  Die("antrean serve printed no address within " + std::to_string(kStartSecondsMax) + " s");
}

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return fs::exists(name) ? name : "";
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin:/sbin";
  std::istringstream dirs(path);
  for (std::string d; std::getline(dirs, d, ':');) {
    if (!d.empty() && access((fs::path(d) / name).c_str(), X_OK) == 0) {
      return (fs::path(d) / name).string();
    }
  }
  return "";
}

std::string NginxConfig(const std::string& dir, std::uint16_t port, int workers) {
  std::string c;
  c += "daemon off;\n";
  c += workers == 1 ? "master_process off;\n" : "master_process on;\n";
  c += "worker_processes " + std::to_string(workers) + ";\n";
  c += "pid " + dir + "/nginx.pid;\n";
  c += "error_log " + dir + "/error.log warn;\n";
  c += "events { worker_connections 4096; }\n";
  c += "http {\n";
  c += "  access_log off;\n";
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    c += "  " + std::string(t) + "_temp_path " + dir + "/" + t + ";\n";
  }
  // No cap on requests per connection (the default closes after 1000), as in our server.
  c += "  keepalive_requests 1000000000;\n";
  c += "  keepalive_timeout 300s;\n";
  c += "  server {\n";
  c += "    listen 127.0.0.1:" + std::to_string(port) + ";\n";
  c += "    location / { return 200 \"ok\\n\"; }\n";
  c += "  }\n";
  c += "}\n";
  return c;
}

std::optional<Process> StartNginx(const BenchOptions& o, const Paths& p) {
  const std::string binary = FindProgram(o.nginx_binary);
  if (binary.empty()) {
    std::printf("nginx: no \"%s\" found (apt-get install nginx-light): its column is skipped\n",
                o.nginx_binary.c_str());
    return std::nullopt;
  }
  fs::create_directories(p.nginx);
  Process n;
  n.port = FreeLoopbackPort();
  const std::string conf = p.nginx + "/nginx.conf";
  WriteFile(conf, NginxConfig(p.nginx, n.port, o.nginx_workers));
  n.pid = Spawn({binary, "-p", p.nginx + "/", "-e", p.nginx + "/error.log", "-c", conf},
                p.nginx + "/stdout.log", p.nginx + "/stderr.log");
  const auto deadline = Clock::now() + FromSeconds(kStartSecondsMax);
  while (Clock::now() < deadline) {
    if (Connectable(n.port)) return n;
    if (auto code = Exited(n.pid)) {
      std::printf("nginx: exited with %d (%s): its column is skipped\n", *code,
                  (ReadFile(p.nginx + "/stderr.log") + ReadFile(p.nginx + "/error.log")).c_str());
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(n.pid, SIGKILL);
  WaitExit(n.pid, 5, "nginx");
  std::printf("nginx: not listening after %.0f s: its column is skipped\n", kStartSecondsMax);
  return std::nullopt;
}

// The ledger's counters from antrean's /metrics.
struct LedgerCounters {
  double events = 0, syncs = 0, sync_seconds = 0;
};

LedgerCounters ScrapeMetrics(std::uint16_t port) {
  LedgerCounters c;
  http::Client client({"http", "127.0.0.1", std::to_string(port), ""}, std::chrono::seconds(10));
  auto r = client.Send("GET", "/metrics");
  if (!r.ok() || r->status != 200) return c;
  std::istringstream lines(r->body);
  for (std::string line; std::getline(lines, line);) {
    auto value = [&](std::string_view name, double* out) {
      if (line.rfind(std::string(name) + " ", 0) == 0) *out = std::stod(line.substr(name.size() + 1));
    };
    value("antrean_ledger_events_total", &c.events);
    value("antrean_ledger_syncs_total", &c.syncs);
    value("antrean_ledger_sync_seconds_total", &c.sync_seconds);
  }
  return c;
}

// ---- Phases and the report
// ---------------------------------------------------------------------------
struct Phase {
  std::string target;  // "antrean" or "nginx"
  int connections = 0;
  LoadResult load;
  double wall_s = 0;  // the whole phase: warm-up, window, tail
  double server_cpu_s = 0, client_cpu_s = 0;
  LedgerCounters ledger;  // antrean: the phase's share
  std::string load_average;
};

Phase RunPhase(const std::string& target, const Process& server, const std::vector<std::string>& pool,
               std::size_t first, const LoadOptions& lo, const std::function<void()>& at_window) {
  Phase ph;
  ph.target = target;
  ph.connections = lo.connections;
  const bool ours = target == "antrean";
  const LedgerCounters before = ours ? ScrapeMetrics(server.port) : LedgerCounters{};
  const double server0 = TreeCpuSeconds(server.pid), client0 = bench::SelfCpuSeconds();
  const auto t0 = Clock::now();
  ph.load = RunLoad(server.port, pool, first, lo, at_window);
  ph.wall_s = Seconds(Clock::now() - t0);
  ph.server_cpu_s = TreeCpuSeconds(server.pid) - server0;
  ph.client_cpu_s = bench::SelfCpuSeconds() - client0;
  if (ours) {
    const LedgerCounters after = ScrapeMetrics(server.port);
    ph.ledger = {after.events - before.events, after.syncs - before.syncs,
                 after.sync_seconds - before.sync_seconds};
  }
  ph.load_average = LoadAverage();
  return ph;
}

std::string StatusList(const std::map<int, std::uint64_t>& status) {
  std::string s;
  for (auto [code, n] : status) s += (s.empty() ? "" : ", ") + std::to_string(code) + ": " + Commas(static_cast<double>(n));
  return s.empty() ? "none" : s;
}

std::uint64_t Non200(const std::map<int, std::uint64_t>& status) {
  std::uint64_t n = 0;
  for (auto [code, count] : status) {
    if (code != 200) n += count;
  }
  return n;
}

void PrintPhase(const Phase& ph) {
  const LoadResult& r = ph.load;
  const double answered = static_cast<double>(std::max<std::uint64_t>(r.total.answered, 1));
  std::printf(
      "%-7s %3d conn: %9s req/s  p50 %6.2f  p90 %6.2f  p99 %6.2f  max %7.2f ms  (%s measured "
      "in %.2f s; status %s; errors %s)\n",
      ph.target.c_str(), ph.connections, Commas(r.Rate()).c_str(), r.Percentile(0.50),
      r.Percentile(0.90), r.Percentile(0.99), r.latencies_us.empty() ? 0.0 : r.latencies_us.back() / 1000.0,
      Commas(static_cast<double>(r.measured)).c_str(), r.seconds,
      StatusList(r.total.status_measured).c_str(), Commas(static_cast<double>(r.total.errors)).c_str());
  std::printf(
      "        server CPU %.2f cores, %.1f us/request; client CPU %.2f cores, %.1f us/request; "
      "load average %s\n",
      ph.server_cpu_s / ph.wall_s, 1e6 * ph.server_cpu_s / answered, ph.client_cpu_s / ph.wall_s,
      1e6 * ph.client_cpu_s / answered, ph.load_average.c_str());
  if (ph.ledger.syncs > 0) {
    std::printf("        ledger: %s events, %s fsyncs (%.1f events each, %.0f us each, %.0f%% of the phase in sync)\n",
                Commas(ph.ledger.events).c_str(), Commas(ph.ledger.syncs).c_str(),
                ph.ledger.events / ph.ledger.syncs, 1e6 * ph.ledger.sync_seconds / ph.ledger.syncs,
                100 * ph.ledger.sync_seconds / ph.wall_s);
  }
  if (r.exhausted) std::printf("        NOTE: the request pool ran out (raise --bodies)\n");
  if (r.cut_off) std::printf("        NOTE: responses stopped coming: the phase was cut off\n");
  if (!r.total.first_error.empty()) std::printf("        first error: %s\n", r.total.first_error.c_str());
  if (!r.total.first_unexpected_body.empty()) {
    std::printf("        first non-200: %s\n", r.total.first_unexpected_body.c_str());
  }
  std::fflush(stdout);
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    const int n = std::stoi(part);
    if (n < 1 || n > kConnectionsMax) Die("--connections: each from 1 to " + std::to_string(kConnectionsMax));
    out.push_back(n);
  }
  if (out.empty()) Die("--connections: at least one");
  return out;
}

BenchOptions ParseOptions(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--antrean") o.antrean = value();
    else if (a == "--dir") o.dir = value();
    else if (a == "--config") o.config = value();
    else if (a == "--connections") o.connections = ParseList(value());
    else if (a == "--threads") o.threads = std::stoi(value());
    else if (a == "--server-threads") o.server_threads = std::stoi(value());
    else if (a == "--warmup-s") o.warmup_s = std::stod(value());
    else if (a == "--duration-s") o.duration_s = std::stod(value());
    else if (a == "--requests") o.requests = std::stoull(value());
    else if (a == "--bodies") o.bodies = std::stoull(value());
    else if (a == "--offices") o.offices = std::stoi(value());
    else if (a == "--no-nginx") o.nginx = false;
    else if (a == "--nginx") o.nginx_binary = value();
    else if (a == "--nginx-workers") o.nginx_workers = std::stoi(value());
    else if (a == "--perf") o.perf_file = value();
    else if (a == "--keep") o.keep = true;
    else {
      std::fprintf(stderr,
                   "usage: http_bench [--antrean PATH] [--dir DIR] [--config FILE]\n"
                   "                  [--connections 1,8,64] [--threads N] [--server-threads N]\n"
                   "                  [--warmup-s S] [--duration-s S] [--requests N] [--bodies N]\n"
                   "                  [--offices N] [--no-nginx] [--nginx PATH] [--nginx-workers N]\n"
                   "                  [--perf FILE] [--keep]\n");
      std::exit(2);
    }
  }
  if (o.threads < 1 || o.threads > 64 || o.server_threads < 1 || o.server_threads > 64) {
    Die("--threads and --server-threads: 1 to 64");
  }
  if (o.offices < 1 || o.offices > 1000 || o.nginx_workers < 1 || o.nginx_workers > 64) {
    Die("--offices 1 to 1000, --nginx-workers 1 to 64");
  }
  if (o.warmup_s < 0 || o.duration_s <= 0 || o.bodies == 0) Die("bad --warmup-s, --duration-s or --bodies");
  return o;
}

// The ledger after the run: intact, and as long as the answers say.
void CheckLedger(const BenchOptions& o, const Paths& p, const std::vector<Phase>& phases) {
  ConnStats all;
  for (const auto& ph : phases) {
    if (ph.target != "antrean") continue;
    ConnStats copy = ph.load.total;
    Merge(all, copy);
  }
  const Captured v = RunCapture({o.antrean, "verify", "--ledger", p.ledger, "--json"}, p.run + "/verify");
  boost::system::error_code ec;
  const json::value report = json::parse(v.out, ec);
  if (ec || !report.is_object()) {
    std::printf("verify: exit %d, no JSON report: %s%s\n", v.exit_code, v.out.c_str(), v.err.c_str());
    return;
  }
  const auto& r = report.as_object();
  const bool intact = r.at("ok").as_bool();
  const std::uint64_t head = r.at("head").as_object().at("seq").to_number<std::uint64_t>();
  const std::uint64_t ok200 = all.status.count(200) ? all.status.at(200) : 0;
  const std::uint64_t fresh = ok200 - all.duplicates;
  const std::uint64_t expected = kEventsPerRegistration * fresh + all.configs;
  std::printf("ledger check (antrean verify --ledger %s --json): %s, head seq %s, %s events checked in %.1f s\n",
              p.ledger.c_str(), intact ? "intact" : "NOT INTACT", Commas(static_cast<double>(head)).c_str(),
              Commas(r.at("events_checked").to_number<double>()).c_str(),
              r.at("seconds").to_number<double>());
  if (!intact) std::printf("  %s\n", v.out.c_str());
  std::printf("  200 answers: %s (duplicates among them: %s); non-200: %s; transport errors: %s\n",
              Commas(static_cast<double>(ok200)).c_str(), Commas(static_cast<double>(all.duplicates)).c_str(),
              Commas(static_cast<double>(Non200(all.status))).c_str(), Commas(static_cast<double>(all.errors)).c_str());
  std::printf("  events listed in the 200 answers: %s (highest seq %s); %d x %s registrations + %s "
              "office_configuration_applied = %s\n",
              Commas(static_cast<double>(all.events)).c_str(), Commas(static_cast<double>(all.max_seq)).c_str(),
              kEventsPerRegistration, Commas(static_cast<double>(fresh)).c_str(),
              Commas(static_cast<double>(all.configs)).c_str(), Commas(static_cast<double>(expected)).c_str());
  const bool consistent = head == all.events && head == expected && head == all.max_seq;
  std::printf("  head seq %s the answers: %s\n", consistent ? "==" : "!=",
              consistent ? "consistent (every 200 is in the ledger, nothing else is)"
                         : "NOT consistent (see the counts above)");
  std::printf("  outcomes of the 200 answers:\n");
  for (const auto& [k, n] : all.outcomes) std::printf("    %-40s %12s\n", k.c_str(), Commas(static_cast<double>(n)).c_str());
}

void PrintSummary(const BenchOptions& o, const std::vector<Phase>& phases) {
  auto find = [&](const std::string& target, int c) -> const Phase* {
    for (const auto& ph : phases) {
      if (ph.target == target && ph.connections == c) return &ph;
    }
    return nullptr;
  };
  std::printf("\n%-34s %12s %12s %8s\n", "figure", "antrean", "nginx", "ratio");
  for (int c : o.connections) {
    const Phase* ours = find("antrean", c);
    const Phase* ng = find("nginx", c);
    auto row = [&](const char* what, double (*get)(const Phase&), bool count) {
      auto text = [count](double v) {
        if (count) return Commas(v);
        char t[32];
        std::snprintf(t, sizeof t, "%.2f", v);
        return std::string(t);
      };
      const double a = ours ? get(*ours) : 0, b = ng ? get(*ng) : 0;
      const std::string label = std::to_string(c) + " conn: " + what;
      std::printf("%-34s %12s %12s", label.c_str(), ours ? text(a).c_str() : "-",
                  ng ? text(b).c_str() : "-");
      if (ours && ng && b > 0) std::printf(" %7.2fx\n", a / b);
      else std::printf(" %8s\n", "-");
    };
    row("requests/s", [](const Phase& p) { return p.load.Rate(); }, true);
    row("p50 ms", [](const Phase& p) { return p.load.Percentile(0.50); }, false);
    row("p90 ms", [](const Phase& p) { return p.load.Percentile(0.90); }, false);
    row("p99 ms", [](const Phase& p) { return p.load.Percentile(0.99); }, false);
    row("max ms", [](const Phase& p) { return p.load.latencies_us.empty() ? 0.0 : p.load.latencies_us.back() / 1000.0; }, false);
    row("non-200", [](const Phase& p) { return static_cast<double>(Non200(p.load.total.status_measured)); }, true);
  }
  const int widest = *std::max_element(o.connections.begin(), o.connections.end());
  if (const Phase* ours = find("antrean", widest); ours != nullptr && widest == 64) {
    const double rate = ours->load.Rate(), p99 = ours->load.Percentile(0.99);
    std::printf("\ntarget at 64 connections: >= 20,000 durable registrations/s: %s (%s/s); p99 < 50 ms: %s (%.2f ms)\n",
                rate >= 20'000 ? "met" : "NOT met", Commas(rate).c_str(), p99 < 50 ? "met" : "NOT met", p99);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const BenchOptions o = ParseOptions(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  if (access(o.antrean.c_str(), X_OK) != 0) Die("no antrean binary at " + o.antrean + " (--antrean)");
  const Paths p(o.dir);
  fs::remove_all(p.run);
  fs::create_directories(p.run);

  // The secrets, as an operator makes them; we sign with the app secret from the file.
  const Captured init = RunCapture({o.antrean, "secrets", "init", "--secrets", p.secrets}, p.run + "/secrets-init");
  if (init.exit_code != 0) Die("antrean secrets init: " + init.err);
  auto secrets = app::LoadSecrets(p.secrets);
  if (!secrets.ok() || secrets->whatsapp_app_secret.empty()) Die("no app secret in " + p.secrets);
  WriteFile(p.offices, BenchOfficeFile(o.config, o.offices));
  auto offices = domain::LoadOfficeDirectoryFile(p.offices);
  if (!offices.ok()) Die(offices.status().ToString());

  std::printf("http_bench: %d offices, connections %s, client threads %d, server threads %d, "
              "warm-up %.1f s, %s\n",
              o.offices, [&] { std::string s; for (int c : o.connections) s += (s.empty() ? "" : ",") + std::to_string(c); return s; }().c_str(),
              o.threads, o.server_threads, o.warmup_s,
              (o.requests > 0 ? "then " + Commas(static_cast<double>(o.requests)) + " requests"
                              : "then " + Commas(o.duration_s) + " s measured")
                  .c_str());
  std::printf("machine: %u cores; load average at start %s\n", std::thread::hardware_concurrency(),
              LoadAverage().c_str());
  const RequestPool pool = BuildRequests(*offices, secrets->whatsapp_app_secret, o.bodies);
  std::printf("requests: %s built and signed in %.2f s (body %zu B, %zu B on the wire)\n",
              Commas(static_cast<double>(pool.wire.size())).c_str(), pool.build_seconds, pool.body_bytes,
              pool.wire.empty() ? 0 : pool.wire.front().size());

  const Process server = StartAntrean(o, p);
  std::printf("antrean serve: pid %d on 127.0.0.1:%u, ledger %s\n", static_cast<int>(server.pid),
              server.port, p.ledger.c_str());
  std::optional<Process> nginx;
  if (o.nginx) nginx = StartNginx(o, p);
  if (nginx) std::printf("nginx: pid %d on 127.0.0.1:%u, %d worker(s)\n", static_cast<int>(nginx->pid), nginx->port, o.nginx_workers);
  std::printf("\n");
  std::fflush(stdout);

  std::vector<Phase> phases;
  std::size_t cursor = 0;  // antrean takes each request once; nginx reuses them from the start
  const int widest = *std::max_element(o.connections.begin(), o.connections.end());
  for (int c : o.connections) {
    LoadOptions lo{c, o.threads, o.warmup_s, o.duration_s, o.requests, true};
    pid_t perf = -1;
    std::function<void()> at_window;
    if (!o.perf_file.empty() && c == widest) {
      at_window = [&] {
        const double seconds = o.requests > 0 ? 10.0 : o.duration_s;
        perf = Spawn({"perf", "record", "-F", "499", "--call-graph", "dwarf", "-p",
                      std::to_string(server.pid), "-o", o.perf_file, "--", "sleep",
                      std::to_string(seconds)},
                     p.run + "/perf.out", p.run + "/perf.err");
      };
    }
    phases.push_back(RunPhase("antrean", server, pool.wire, cursor, lo, at_window));
    cursor += phases.back().load.total.sent;
    PrintPhase(phases.back());
    if (perf > 0) {
      const int code = WaitExit(perf, 120, "perf");
      std::printf("        perf record: exit %d, %s\n", code, o.perf_file.c_str());
    }
    if (nginx) {
      lo.classify = false;
      lo.cycle = true;  // nginx answers the same bytes the same way, unique or not
      phases.push_back(RunPhase("nginx", *nginx, pool.wire, 0, lo, nullptr));
      PrintPhase(phases.back());
    }
  }

  kill(server.pid, SIGTERM);
  const int server_exit = WaitExit(server.pid, kStopSecondsMax, "antrean serve");
  if (nginx) {
    kill(nginx->pid, SIGQUIT);
    WaitExit(nginx->pid, 30, "nginx");
  }
  std::printf("\nantrean serve: exit %d after SIGTERM; its log %s: %s bytes; stderr: %s\n", server_exit,
              p.serve_log.c_str(), Commas(static_cast<double>(fs::file_size(p.serve_log))).c_str(),
              fs::file_size(p.serve_err) == 0 ? "empty" : ReadFile(p.serve_err).substr(0, 2000).c_str());
  CheckLedger(o, p, phases);
  PrintSummary(o, phases);
  std::printf("load average at the end: %s\n", LoadAverage().c_str());
  if (!o.keep) fs::remove_all(p.run);
  return 0;
}
