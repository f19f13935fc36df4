// Ingest benchmark (issue: WhatsApp registration). One long run, three phases, one summary:
//
//   (a) ingest: N generated WhatsApp registration commands, each built as a JSON line, parsed with
//       app::ParseCommand and submitted to app::Service (ordered results, bounded in flight, as
//       `antrean ingest` does), into a fresh durable ledger. Commands/s, events/s, and peak RSS
//       (VmHWM) sampled at 25/50/75/100% of the run, to show whether memory grows with history.
//   (b) the ledger's raw append rate: AppendAsync of as many ~300-byte events as (a) appended, one
//       event per request, at most 8192 in flight, into another fresh ledger: our storage ceiling.
//   (c) plain RocksDB: the same number of ~300-byte values in WriteBatches of 1000, each written
//       with sync=true (roughly what one group commit does), the raw figure printed beside.
//
//   build-bench/benchmarks/ingest_bench [--commands N] [--offices N] [--dir DIR]
//                                       [--config FILE] [--seed S] [--keep] [--ingest-only]
//
// --ingest-only skips (b) and (c), for profiling (a) alone.
//
// Not a test: nothing is asserted. Figures and the exact command we ran: benchmarks/README.md.
//
// The generator is deterministic (seeded). Offices: --offices clones (default 100) of the "bogor"
// office of --config (default config/offices.json), ids office-000.., invented numbers, no
// holidays. Calendar: registrations from Sunday 2026-03-01 on, for arrival 1..7 days later (most
// the next day); each (office, arrival day) gets a demand of 72..98% of its capacity (Mondays
// 1.2 times that), so most registrations are issued and some meet a full day. Within a day most
// messages come in the morning rush, minutes after 07:00 WIB. Besides the registrations (about 87%
// of commands): ~5% WhatsApp retries of a registration (same message_id), ~3% the same phone
// sending the same registration again, ~3% typos (31 February, a 32nd day, a digit in the name)
// each sent before the corrected message, ~2% "#syarat". Every person and phone is unique; names
// are built from syllables (no digits). The generator keeps only one registration day in memory.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/registration.h"
#include "app/result_json.h"
#include "app/service.h"
#include "common/splitmix.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "store/ledger.h"
#include "tools/cli/office_clones.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace antrean;
using Clock = std::chrono::steady_clock;

// ---- Options
// -------------------------------------------------------------------------------------
struct BenchOptions {
  std::uint64_t commands = 1'000'000;
  int offices = 100;
  std::string dir = "var/bench";
  std::string config = "config/offices.json";
  std::uint64_t seed = 20170801;
  bool keep = false;         // keep the ledgers and the RocksDB directory after the run
  bool ingest_only = false;  // skip (b) and (c): for profiling the ingest alone
};

// Invented, not a secret: booking codes in a benchmark ledger need no protection.
constexpr char kBenchCodeKey[] = "ingest-bench-booking-code-key-not-a-secret";
constexpr std::size_t kIngestInFlightMax = 8192;  // as `antrean ingest`
constexpr std::size_t kRawInFlightMax = 8192;
constexpr std::size_t kRocksBatchEvents = 1000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ingest_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---- Memory
// --------------------------------------------------------------------------------------
struct Memory {
  std::uint64_t hwm_kib = 0;  // VmHWM: peak resident set so far
  std::uint64_t rss_kib = 0;  // VmRSS: resident now
};

Memory ReadMemory() {
  Memory m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    auto field = [&](std::string_view name, std::uint64_t* out) {
      if (line.rfind(name, 0) == 0) *out = std::strtoull(line.c_str() + name.size(), nullptr, 10);
    };
    field("VmHWM:", &m.hwm_kib);
    field("VmRSS:", &m.rss_kib);
  }
  return m;
}

std::uint64_t DirectoryBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

std::string Fresh(const BenchOptions& o, const std::string& name) {
  fs::path p = fs::path(o.dir) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p.string();
}

// ---- Deterministic randomness (SplitMix64, common/splitmix.h)
// --------------------------------------------------------------------

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t Next() { return SplitMix(s_++); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  bool Chance(double p) { return Uniform() < p; }

 private:
  std::uint64_t s_;
};

// ---- The office file
// ----------------------------------------------------------------------------- `count` clones of
// config's "bogor" office, with the defaults minus national holidays, so that every Monday..Friday
// is open and the demand per day is predictable.
std::string GeneratedOfficeFile(const std::string& config_path, int count) {
  std::ifstream in(config_path);
  if (!in) Die("cannot read " + config_path + " (run from the repository root or pass --config)");
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  std::string file = cli::CloneOffices(
      text.str(), {count, "office-", "0811 20", "2000000", "benchmarks/ingest_bench.cc", 0, 0},
      &error);
  if (file.empty()) Die(config_path + ": " + error);
  return file;
}

// ---- The command generator
// -----------------------------------------------------------------------
constexpr std::array<char, 16> kConsonants = {'b', 'c', 'd', 'g', 'h', 'j', 'k', 'l',
                                              'm', 'n', 'p', 'r', 's', 't', 'w', 'y'};
constexpr std::array<char, 5> kVowels = {'a', 'i', 'u', 'e', 'o'};
constexpr std::array<std::string_view, 8> kSurnameEnds = {"",   "no", "to",    "wati",
                                                          "ni", "di", "yanti", "man"};

// Person i's name: two words of consonant-vowel syllables; the first four syllables spell i in
// base 80, so names are unique (up to 80^4 persons) and hold no digit.
std::string PersonName(std::uint64_t i) {
  auto syl = [&](int k) {
    std::uint64_t s = i;
    for (int j = 0; j < k; ++j) s /= 80;
    s %= 80;
    return std::string{kConsonants[s / 5], kVowels[s % 5]};
  };
  std::string first = syl(0) + syl(1);
  std::string last = syl(2) + syl(3) + std::string(kSurnameEnds[SplitMix(i) % kSurnameEnds.size()]);
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

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Ddmmyyyy(const domain::Date& d, char sep) {
  char buf[16];
  if (sep == 0)
    std::snprintf(buf, sizeof buf, "%02d%02d%04d", d.d, d.m, d.y);
  else
    std::snprintf(buf, sizeof buf, "%02d%c%02d%c%04d", d.d, sep, d.m, sep, d.y);
  return buf;
}

enum class Kind : std::uint8_t { kRegistration, kRetry, kAgain, kTypo, kRequirements };
constexpr std::array<std::string_view, 5> kKindNames = {
    "registration", "whatsapp retry", "same registration again", "typo", "#syarat"};

// One message of a registration day, before it becomes a JSON line.
struct Pending {
  std::int64_t at_us = 0;
  std::uint64_t order = 0;    // tie-break: generation order
  std::uint64_t message = 0;  // message number: its id is derived from it
  std::uint64_t person = 0;
  int office = 0;
  Kind kind = Kind::kRegistration;
  std::string text;
};

class Generator {
 public:
  // Per registration, the chance of each extra message; as shares of all commands they come to
  // about 5% retries, 3% again, 3% typos, 2% #syarat (13% extras, 87% registrations).
  static constexpr double kRegistrationShare = 0.87;
  static constexpr double kRetry = 0.05 / kRegistrationShare;
  static constexpr double kAgain = 0.03 / kRegistrationShare;
  static constexpr double kTypo = 0.03 / kRegistrationShare;
  static constexpr double kRequirements = 0.02 / kRegistrationShare;
  static constexpr int kLeadDaysMax = 7;

  Generator(const domain::OfficeDirectory& offices, std::uint64_t seed, std::uint64_t limit)
      : offices_(offices), rng_(seed), limit_(limit) {
    capacity_ = offices_.offices().front().DailyCapacity();
    start_ = *domain::MakeDate(2026, 3, 1);  // a Sunday
    for (const auto& o : offices_.offices()) {
      ids_.push_back(o.id);
      to_.push_back(o.whatsapp_numbers.front().digits);
    }
  }

  // The next command line; false after `limit` lines.
  bool Next(std::string* line) {
    if (emitted_ == limit_) return false;
    while (cursor_ == day_.size()) FillDay();
    const Pending& p = day_[cursor_++];
    ++emitted_;
    ++kind_counts_[static_cast<int>(p.kind)];
    Render(p, line);
    return true;
  }

  const std::array<std::uint64_t, 5>& kind_counts() const { return kind_counts_; }
  int days() const { return reg_day_; }

 private:
  // Demand per (arrival day, office), split by lead (days between registering and arriving).
  using Split = std::array<int, kLeadDaysMax + 1>;

  const std::vector<Split>& DemandFor(int arrival_day) {
    auto it = demand_.find(arrival_day);
    if (it != demand_.end()) return it->second;
    std::vector<Split> per_office(ids_.size(), Split{});
    const domain::Date date = *domain::AddDays(start_, arrival_day);
    const bool open = domain::DayOfWeek(date) <= domain::Weekday::kFriday;
    if (open) {
      Rng r(SplitMix(seed_mix_ ^ static_cast<std::uint64_t>(arrival_day) * 0x51ed27ULL));
      const bool monday = domain::DayOfWeek(date) == domain::Weekday::kMonday;
      static constexpr std::array<double, kLeadDaysMax> kLeadWeights = {0.35, 0.20, 0.15, 0.10,
                                                                        0.08, 0.07, 0.05};
      for (auto& split : per_office) {
        double share = 0.72 + 0.26 * r.Uniform();
        if (monday) share *= 1.2;
        const int n = static_cast<int>(share * capacity_ + 0.5);
        for (int k = 0; k < n; ++k) {
          double u = r.Uniform(), acc = 0;
          int lead = kLeadDaysMax;
          for (int l = 0; l < kLeadDaysMax; ++l) {
            acc += kLeadWeights[l];
            if (u < acc) {
              lead = l + 1;
              break;
            }
          }
          // Registrations that would have been made before the run are not made: the first
          // week's days get less demand.
          if (lead <= arrival_day) ++split[lead];
        }
      }
    }
    return demand_.emplace(arrival_day, std::move(per_office)).first->second;
  }

  // Local 07:00 WIB on registration day `day`, in microseconds since the epoch.
  std::int64_t MorningUs(int day) const {
    const std::int64_t days = domain::DaysSinceEpoch(start_) + day;
    // 07:00 WIB is 00:00 UTC.
    return days * 24 * 3600 * std::int64_t{1'000'000};
  }

  // When a registration of the day is sent: mostly the morning rush (minutes after 07:00),
  // the rest spread over 07:00..21:00.
  std::int64_t SendTime(int day) {
    double offset_s;
    if (rng_.Chance(0.75)) {
      offset_s = -180.0 * std::log(1.0 - rng_.Uniform());  // exponential, mean 3 minutes
      offset_s = std::min(offset_s, 4.0 * 3600);
    } else {
      offset_s = 14.0 * 3600 * rng_.Uniform();
    }
    return MorningUs(day) + static_cast<std::int64_t>(offset_s * 1e6);
  }

  void Add(std::int64_t at_us, std::uint64_t person, int office, Kind kind, std::string text,
           std::uint64_t message) {
    Pending p;
    p.at_us = at_us;
    p.order = order_++;
    p.message = message;
    p.person = person;
    p.office = office;
    p.kind = kind;
    p.text = std::move(text);
    day_.push_back(std::move(p));
  }

  void FillDay() {
    day_.clear();
    cursor_ = 0;
    const int day = reg_day_++;
    for (auto it = demand_.begin(); it != demand_.end() && it->first <= day;) {
      it = demand_.erase(it);  // arrival days that can get no more registrations
    }
    const domain::Date today = *domain::AddDays(start_, day);
    // 23:00 WIB
    const std::int64_t day_end = MorningUs(day) + std::int64_t{16} * 3600 * 1'000'000;
    for (int lead = 1; lead <= kLeadDaysMax; ++lead) {
      const int arrival_day = day + lead;
      const auto& demand = DemandFor(arrival_day);
      const domain::Date arrival = *domain::AddDays(start_, arrival_day);
      for (std::size_t o = 0; o < ids_.size(); ++o) {
        for (int k = 0; k < demand[o][lead]; ++k) {
          AddPerson(day, today, arrival, static_cast<int>(o), day_end);
        }
      }
    }
    std::sort(day_.begin(), day_.end(), [](const Pending& a, const Pending& b) {
      return a.at_us != b.at_us ? a.at_us < b.at_us : a.order < b.order;
    });
  }

  // One person's messages: the registration and, by chance, a #syarat and a typo before it, a
  // WhatsApp retry and the same registration again after it.
  void AddPerson(int day, const domain::Date& today, const domain::Date& arrival, int office,
                 std::int64_t day_end) {
    const std::uint64_t person = persons_++;
    const std::string name = PersonName(person);
    const int age = 18 + static_cast<int>(rng_.Below(41));  // 18..58: registers for themself
    const domain::Date birth{today.y - age - 1, 1 + static_cast<int>(rng_.Below(12)),
                             1 + static_cast<int>(rng_.Below(28))};
    // How people type: mostly as the format says, some in lower case or with separators.
    const double style = rng_.Uniform();
    std::string shown_name = style < 0.6 ? Upper(name) : style < 0.8 ? name : Lower(name);
    const char sep = rng_.Chance(0.1) ? '-' : 0;
    std::string text = "#" + shown_name + "#" + Ddmmyyyy(birth, sep) + "#" + Ddmmyyyy(arrival, sep);
    if (rng_.Chance(0.05))
      text = shown_name + " # " + Ddmmyyyy(birth, 0) + " # " + Ddmmyyyy(arrival, 0);

    const std::int64_t at = SendTime(day);
    if (rng_.Chance(kRequirements)) {
      const std::int64_t before = static_cast<std::int64_t>(rng_.Below(3600)) * 1'000'000;
      Add(std::max(at - before, MorningUs(day) - std::int64_t{3600} * 1'000'000), person, office,
          Kind::kRequirements, rng_.Chance(0.5) ? "#syarat" : "#SYARAT", messages_++);
    }
    if (rng_.Chance(kTypo)) {
      std::string typo;
      switch (rng_.Below(3)) {
        case 0: {  // a birth date that does not exist: 31 February
          domain::Date bad = birth;
          bad.d = 31;
          bad.m = 2;
          typo = "#" + shown_name + "#" + Ddmmyyyy(bad, 0) + "#" + Ddmmyyyy(arrival, 0);
          break;
        }
        case 1: {  // an arrival day 32
          domain::Date bad = arrival;
          bad.d = 32;
          typo = "#" + shown_name + "#" + Ddmmyyyy(birth, 0) + "#" + Ddmmyyyy(bad, 0);
          break;
        }
        default: {  // a digit typed into the name (S -> 5, or O -> 0)
          std::string bad = Upper(name);
          bad[bad.size() / 2] = '5';
          typo = "#" + bad + "#" + Ddmmyyyy(birth, 0) + "#" + Ddmmyyyy(arrival, 0);
          break;
        }
      }
      const std::int64_t before = static_cast<std::int64_t>(30 + rng_.Below(90)) * 1'000'000;
      Add(at - before, person, office, Kind::kTypo, std::move(typo), messages_++);
    }
    const std::uint64_t message = messages_++;
    if (rng_.Chance(kRetry)) {  // the webhook again, same message id, seconds later
      const std::int64_t after = static_cast<std::int64_t>(1 + rng_.Below(30)) * 1'000'000;
      Add(at + after, person, office, Kind::kRetry, text, message);
    }
    if (rng_.Chance(kAgain)) {  // "did it work?": the same text again, minutes to hours later
      const std::int64_t after = static_cast<std::int64_t>(300 + rng_.Below(3 * 3600)) * 1'000'000;
      Add(std::min(at + after, day_end), person, office, Kind::kAgain, text, messages_++);
    }
    Add(at, person, office, Kind::kRegistration, std::move(text), message);
  }

  void Render(const Pending& p, std::string* line) const {
    char id[40];
    std::snprintf(id, sizeof id, "wamid.HBgM%016llX",
                  static_cast<unsigned long long>(SplitMix(p.message ^ seed_mix_)));
    const std::string at = domain::FormatRfc3339(domain::Instant{p.at_us}, domain::TimeZone::kWIB);
    const std::string name = PersonName(p.person);
    line->clear();
    *line += R"({"type":"whatsapp.message","at":")";
    *line += at;
    *line += R"(","office":")";
    *line += ids_[p.office];
    *line += R"(","message_id":")";
    *line += id;
    *line += R"(","from":")";
    *line += PersonPhone(p.person);
    *line += R"(","to":")";
    *line += to_[p.office];
    *line += R"(","profile_name":")";
    *line += name.substr(0, name.find(' '));
    *line += R"(","text":")";
    *line += p.text;
    *line += R"("})";
  }

  const domain::OfficeDirectory& offices_;
  Rng rng_;
  std::uint64_t seed_mix_ = SplitMix(20170801);
  std::uint64_t limit_;
  int capacity_ = 0;
  domain::Date start_;
  std::vector<std::string> ids_, to_;
  std::map<int, std::vector<Split>> demand_;
  std::vector<Pending> day_;
  std::size_t cursor_ = 0;
  int reg_day_ = 0;
  std::uint64_t persons_ = 0, messages_ = 0, order_ = 0, emitted_ = 0;
  std::array<std::uint64_t, 5> kind_counts_{};
};

// ---- Ordered results to a discarding sink -------------------------------------------------------
// As `antrean ingest`: each command's result is serialized to a JSON line and released in input
// order; at most kIngestInFlightMax wait. Here the lines are counted, not printed, and the
// outcomes are tallied.
struct Tally {
  std::map<std::string, std::uint64_t> outcomes;  // "issued", "rejected: day_full", ...
  std::uint64_t duplicates = 0;
  std::uint64_t errors = 0;
  std::uint64_t result_bytes = 0;
  std::string first_error;
};

struct Slot {
  std::string text;
  std::string key;  // the tally key
  bool duplicate = false;
  bool ready = false;
  bool ok = true;
};

class OrderedSink {
 public:
  std::shared_ptr<Slot> Reserve() {
    auto slot = std::make_shared<Slot>();
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return slots_.size() < kIngestInFlightMax || FrontReady(); });
    FlushLocked();
    slots_.push_back(slot);
    return slot;
  }
  void Fill(const std::shared_ptr<Slot>& slot, std::string text, std::string key, bool duplicate,
            bool ok) {
    std::lock_guard lk(mu_);
    slot->text = std::move(text);
    slot->key = std::move(key);
    slot->duplicate = duplicate;
    slot->ok = ok;
    slot->ready = true;
    cv_.notify_all();
  }
  Tally Finish() {
    std::lock_guard lk(mu_);
    FlushLocked();
    return tally_;
  }

 private:
  bool FrontReady() const { return !slots_.empty() && slots_.front()->ready; }
  void FlushLocked() {
    while (FrontReady()) {
      const Slot& s = *slots_.front();
      tally_.result_bytes += s.text.size() + 1;  // the discarding sink: count, do not print
      if (!s.ok) {
        ++tally_.errors;
        if (tally_.first_error.empty()) tally_.first_error = s.text;
      } else if (s.duplicate) {
        ++tally_.duplicates;
      } else {
        ++tally_.outcomes[s.key];
      }
      slots_.pop_front();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Slot>> slots_;
  Tally tally_;
};

std::string OutcomeKey(const app::CommandResult& r) {
  std::string key(app::OutcomeKindName(r.outcome.kind));
  if (!r.outcome.reason.empty()) key += ": " + r.outcome.reason;
  if (!r.outcome.information.empty()) key += ": " + r.outcome.information;
  return key;
}

// ---- (a) ingest
// ----------------------------------------------------------------------------------
struct IngestFigures {
  std::uint64_t commands = 0;
  std::uint64_t events = 0;
  std::uint64_t groups = 0;
  std::uint64_t write_micros = 0;
  double seconds = 0;
  std::array<Memory, 4> memory{};  // at 25, 50, 75, 100%
  std::array<std::uint64_t, 4> memory_at{};
  std::uint64_t disk_bytes = 0;
  Tally tally;
  std::array<std::uint64_t, 5> kinds{};
  int days = 0;
};

IngestFigures RunIngest(const BenchOptions& o, const domain::OfficeDirectory& offices) {
  IngestFigures f;
  const std::string dir = Fresh(o, "ingest");
  auto ledger = store::Ledger::Open(dir, {});
  if (!ledger.ok()) Die("open " + dir + ": " + ledger.status().ToString());
  Generator gen(offices, o.seed, o.commands);
  OrderedSink sink;
  std::string line;
  int next_sample = 0;
  const auto t0 = Clock::now();
  {
    app::Service service(**ledger, offices, {kBenchCodeKey});
    for (std::uint64_t n = 1; gen.Next(&line); ++n) {
      auto slot = sink.Reserve();
      auto command = app::ParseCommand(line);
      if (!command.ok()) {
        app::CommandResult r;
        r.status = command.status();
        sink.Fill(slot, json::serialize(app::ResultJson(n, "", r)), "", false, false);
      } else {
        service.Submit(*command, [&sink, slot, n](app::CommandResult r) {
          const bool ok = r.status.ok();
          sink.Fill(slot, json::serialize(app::ResultJson(n, "whatsapp.message", r)), OutcomeKey(r),
                    r.duplicate, ok);
        });
      }
      // Samples at 25, 50 and 75% of the commands submitted; 100% is taken after the drain.
      if (next_sample < 3 && n == o.commands * static_cast<std::uint64_t>(next_sample + 1) / 4) {
        f.memory[next_sample] = ReadMemory();
        f.memory_at[next_sample] = n;
        ++next_sample;
      }
      f.commands = n;
    }
    service.Drain();
  }
  f.seconds = Seconds(Clock::now() - t0);
  f.memory[3] = ReadMemory();
  f.memory_at[3] = f.commands;
  f.tally = sink.Finish();
  const auto stats = (*ledger)->GetStats();
  f.events = stats.events;
  f.groups = stats.groups;
  f.write_micros = stats.write_micros;
  f.kinds = gen.kind_counts();
  f.days = gen.days();
  (*ledger)->Close();
  ledger->reset();
  f.disk_bytes = DirectoryBytes(dir);
  if (!o.keep) fs::remove_all(dir);
  return f;
}

// ---- (b) raw ledger appends
// ----------------------------------------------------------------------
constexpr std::size_t kPayloadBytes = 200;  // + envelope and keys: ~300 bytes stored per event

// As ledger_bench: an event of about 300 bytes shaped like a booking, three index keys.
store::NewEvent SampleEvent(std::uint64_t n) {
  store::NewEvent e;
  e.type = "booking_code_issued.v1";
  e.keys = {"code:K" + std::to_string(n),
            "phone:62812" + std::to_string(10'000'000 + n % 9'000'000), "day:bogor|2026-03-04"};
  std::string payload = "{\"code\":\"K" + std::to_string(n) + "\",\"office\":\"bogor\",\"note\":\"";
  payload.append(kPayloadBytes - payload.size() - 2, 'x');
  payload += "\"}";
  e.payload = std::move(payload);
  return e;
}

struct RateFigures {
  std::uint64_t events = 0;
  double seconds = 0;
  std::uint64_t groups = 0;
  std::uint64_t write_micros = 0;
  std::uint64_t bytes = 0;  // of values written (plain RocksDB)
};

RateFigures RunRawAppends(const BenchOptions& o, std::uint64_t events) {
  RateFigures f;
  const std::string dir = Fresh(o, "ingest-raw");
  auto ledger = store::Ledger::Open(dir, {});
  if (!ledger.ok()) Die("open " + dir + ": " + ledger.status().ToString());
  std::mutex mu;
  std::condition_variable cv;
  std::size_t in_flight = 0;
  std::uint64_t failed = 0;
  const auto t0 = Clock::now();
  for (std::uint64_t n = 0; n < events; ++n) {
    store::AppendRequest req;
    req.events.push_back(SampleEvent(n));
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return in_flight < kRawInFlightMax; });
      ++in_flight;
    }
    (*ledger)->AppendAsync(std::move(req), [&](Result<store::AppendResult> r) {
      std::lock_guard lk(mu);
      if (!r.ok()) ++failed;
      --in_flight;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return in_flight == 0; });
  }
  f.seconds = Seconds(Clock::now() - t0);
  if (failed != 0) Die("raw appends: " + std::to_string(failed) + " failed");
  const auto stats = (*ledger)->GetStats();
  f.events = stats.events;
  f.groups = stats.groups;
  f.write_micros = stats.write_micros;
  (*ledger)->Close();
  ledger->reset();
  if (!o.keep) fs::remove_all(dir);
  return f;
}

// ---- (c) plain RocksDB
// ---------------------------------------------------------------------------
RateFigures RunPlainRocks(const BenchOptions& o, std::uint64_t events) {
  RateFigures f;
  const std::string dir = Fresh(o, "ingest-rocks");
  rocksdb::Options ro;
  ro.create_if_missing = true;
  ro.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(ro, dir, &raw); !s.ok()) Die("rocksdb open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto t0 = Clock::now();
  rocksdb::WriteBatch batch;
  for (std::uint64_t n = 0; n < events; ++n) {
    // The same event's bytes as one value under its 8-byte big-endian sequence number.
    store::NewEvent e = SampleEvent(n);
    std::string value = e.type;
    for (const auto& k : e.keys) value += k;
    value += e.payload;
    char key[8];
    for (int i = 0; i < 8; ++i) key[i] = static_cast<char>((n + 1) >> (56 - 8 * i));
    batch.Put(rocksdb::Slice(key, 8), value);
    f.bytes += value.size();
    if (batch.Count() == kRocksBatchEvents || n + 1 == events) {
      if (auto s = db->Write(wo, &batch); !s.ok()) Die("rocksdb write: " + s.ToString());
      batch.Clear();
      ++f.groups;
    }
  }
  f.seconds = Seconds(Clock::now() - t0);
  f.events = events;
  db.reset();
  if (!o.keep) fs::remove_all(dir);
  return f;
}

// ---- Report
// --------------------------------------------------------------------------------------
double PerSecond(std::uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }

void Row(const char* what, double ours, double plain) {
  std::printf("%-40s %14.0f %14.0f %8.2fx\n", what, ours, plain, plain > 0 ? ours / plain : 0.0);
}

double Mib(std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--commands")
      o.commands = std::stoull(value());
    else if (a == "--offices")
      o.offices = std::stoi(value());
    else if (a == "--dir")
      o.dir = value();
    else if (a == "--config")
      o.config = value();
    else if (a == "--seed")
      o.seed = std::stoull(value());
    else if (a == "--keep")
      o.keep = true;
    else if (a == "--ingest-only")
      o.ingest_only = true;
    else {
      std::fprintf(stderr,
                   "usage: ingest_bench [--commands N] [--offices N] [--dir DIR] [--config FILE] "
                   "[--seed S] [--keep] [--ingest-only]\n");
      return 2;
    }
  }
  if (o.commands == 0 || o.offices < 1 || o.offices > 1000) Die("bad --commands or --offices");

  const std::string office_file = GeneratedOfficeFile(o.config, o.offices);
  auto offices = domain::LoadOfficeDirectory(office_file, "generated");
  if (!offices.ok()) Die(offices.status().ToString());

  // The generator alone (building the JSON lines), timed so that its share of (a) is known.
  double gen_seconds = 0;
  {
    Generator gen(*offices, o.seed, o.commands);
    std::string line;
    std::uint64_t bytes = 0;
    const auto t0 = Clock::now();
    while (gen.Next(&line)) bytes += line.size();
    gen_seconds = Seconds(Clock::now() - t0);
    benchmark::DoNotOptimize(bytes);
  }
  const Memory before = ReadMemory();

  std::printf("ingest_bench: %llu commands, %d offices, seed %llu, dir %s\n",
              static_cast<unsigned long long>(o.commands), o.offices,
              static_cast<unsigned long long>(o.seed), o.dir.c_str());
  std::fflush(stdout);
  const IngestFigures in = RunIngest(o, *offices);
  std::printf("(a) ingest done in %.2f s\n", in.seconds);
  std::fflush(stdout);
  RateFigures raw, plain;
  if (!o.ingest_only) {
    raw = RunRawAppends(o, in.events);
    std::printf("(b) raw ledger appends done in %.2f s\n", raw.seconds);
    std::fflush(stdout);
    plain = RunPlainRocks(o, in.events);
    std::printf("(c) plain RocksDB done in %.2f s\n", plain.seconds);
  }
  std::printf("\n");

  const double cmd_rate = PerSecond(in.commands, in.seconds);
  const double ev_rate = PerSecond(in.events, in.seconds);
  const double raw_rate = PerSecond(raw.events, raw.seconds);
  const double plain_rate = PerSecond(plain.events, plain.seconds);

  if (!o.ingest_only) {
    std::printf("%-40s %14s %14s %9s\n", "figure (per second)", "antrean", "plain RocksDB",
                "ratio");
    Row("ingest: commands", cmd_rate, plain_rate);
    Row("ingest: events appended", ev_rate, plain_rate);
    Row("ledger AppendAsync: ~300 B events", raw_rate, plain_rate);
    std::printf("(plain RocksDB: %llu values of ~%llu B, WriteBatch of %zu, sync=true)\n\n",
                static_cast<unsigned long long>(plain.events),
                static_cast<unsigned long long>(plain.events ? plain.bytes / plain.events : 0),
                kRocksBatchEvents);
  }
  std::printf("ingest: %llu commands in %.2f s = %.0f commands/s (target 100000: %s)\n",
              static_cast<unsigned long long>(in.commands), in.seconds, cmd_rate,
              cmd_rate >= 100'000 ? "met" : "NOT met");
  std::printf("  generator alone (JSON lines, no parse): %.2f s, %.1f%% of the ingest time\n",
              gen_seconds, in.seconds > 0 ? 100 * gen_seconds / in.seconds : 0);
  std::printf(
      "  events %llu (%.2f per command), %.0f events/s; synced writes %llu "
      "(%.0f events each, %.0f us each, %.1f%% of the run in sync)\n",
      static_cast<unsigned long long>(in.events),
      in.commands ? static_cast<double>(in.events) / static_cast<double>(in.commands) : 0, ev_rate,
      static_cast<unsigned long long>(in.groups),
      in.groups ? static_cast<double>(in.events) / static_cast<double>(in.groups) : 0,
      in.groups ? static_cast<double>(in.write_micros) / static_cast<double>(in.groups) : 0,
      in.seconds > 0 ? static_cast<double>(in.write_micros) / 1e4 / in.seconds : 0);
  std::printf(
      "  ledger on disk after close: %.1f MiB (%.0f B per command); registration days %d\n",
      static_cast<double>(in.disk_bytes) / (1 << 20),
      in.commands ? static_cast<double>(in.disk_bytes) / static_cast<double>(in.commands) : 0,
      in.days);
  if (!o.ingest_only) {
    std::printf(
        "raw ledger appends: %llu events in %.2f s = %.0f events/s; synced writes %llu "
        "(%.0f events each, %.0f us each)\n",
        static_cast<unsigned long long>(raw.events), raw.seconds, raw_rate,
        static_cast<unsigned long long>(raw.groups),
        raw.groups ? static_cast<double>(raw.events) / static_cast<double>(raw.groups) : 0,
        raw.groups ? static_cast<double>(raw.write_micros) / static_cast<double>(raw.groups) : 0);
    std::printf("plain RocksDB: %llu values in %.2f s = %.0f values/s\n",
                static_cast<unsigned long long>(plain.events), plain.seconds, plain_rate);
  }
  std::printf("\n");
  std::printf("generated commands by kind:\n");
  for (std::size_t k = 0; k < kKindNames.size(); ++k) {
    std::printf("  %-28s %9llu  %5.2f%%\n", std::string(kKindNames[k]).c_str(),
                static_cast<unsigned long long>(in.kinds[k]),
                100.0 * static_cast<double>(in.kinds[k]) / static_cast<double>(in.commands));
  }
  std::printf("outcomes (in input order):\n");
  for (const auto& [key, count] : in.tally.outcomes) {
    std::printf("  %-44s %9llu  %5.2f%%\n", key.c_str(), static_cast<unsigned long long>(count),
                100.0 * static_cast<double>(count) / static_cast<double>(in.commands));
  }
  std::printf("  %-44s %9llu  %5.2f%%\n", "duplicate (same message id)",
              static_cast<unsigned long long>(in.tally.duplicates),
              100.0 * static_cast<double>(in.tally.duplicates) / static_cast<double>(in.commands));
  std::printf("  %-44s %9llu\n", "errors", static_cast<unsigned long long>(in.tally.errors));
  if (in.tally.errors != 0) std::printf("  first error: %s\n", in.tally.first_error.c_str());
  std::printf("  result lines (discarded): %.1f MiB\n\n",
              static_cast<double>(in.tally.result_bytes) / (1 << 20));

  std::printf("memory: before ingest VmRSS %.1f MiB, VmHWM %.1f MiB\n", Mib(before.rss_kib),
              Mib(before.hwm_kib));
  const char* marks[] = {"25%", "50%", "75%", "100%"};
  for (int i = 0; i < 4; ++i) {
    std::printf("  ingest %-4s (%8llu commands): VmHWM %7.1f MiB  VmRSS %7.1f MiB\n", marks[i],
                static_cast<unsigned long long>(in.memory_at[i]), Mib(in.memory[i].hwm_kib),
                Mib(in.memory[i].rss_kib));
  }
  const Memory end = ReadMemory();
  std::printf("  end of run (after (b) and (c)): VmHWM %.1f MiB  VmRSS %.1f MiB\n",
              Mib(end.hwm_kib), Mib(end.rss_kib));
  return 0;
}
