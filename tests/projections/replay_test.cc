// Replay (projections/replay.h): the state projection rebuilt from the events equals the live rows
// the service wrote beside them, projection by projection; a tampered live row is named with its
// projection and key; rebuilding to an earlier point (--until-seq, --as-of) gives exactly the
// state of a ledger that only ever received the commands up to that point (time travel).
// On real RocksDB ledgers in temp directories, fed through app::Service.
#include "projections/replay.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "app/service.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "events/event.h"
#include "events/keys.h"
#include "projections/decision_state.h"
#include "projections/fold.h"
#include "projections/forensics.h"
#include "projections/state_upgrade.h"
#include "store/ledger.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/raw_db.h"
#include "tests/support/state_layout1.h"

namespace antrean::projections {
namespace {

namespace json = boost::json;
using support::Letters;
using support::Msg;
using support::NumberedPhone;
using support::OpenLedger;
using support::RawDb;
using support::ReadOnly;
using support::SampleOffices;
using support::TempDir;

constexpr char kKey[] = "replay-test-booking-code-key-0123456";

// ---- The stream -------------------------------------------------------------------------------

// 2017-08-01 (a Tuesday) 07:00 WIB; every step is 17 minutes after the one before, so the steps
// cover about five days and each has its own instant.
constexpr std::int64_t kStartUs = 1501545600LL * 1'000'000;  // 2017-08-01T00:00:00Z
constexpr std::int64_t kStepUs = 17 * domain::kMicrosPerMinute;

std::int64_t StepAt(int i) { return kStartUs + i * kStepUs; }

std::string Phone(int n) { return NumberedPhone("62813", n); }

// "DDMMYYYY", `days` after the step's local (WIB) date.
std::string ArrivalText(int step, int days) {
  auto local = domain::ToLocal(domain::Instant{StepAt(step)}, domain::TimeZone::kWIB);
  auto date = domain::AddDays(local->date, days);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%04d", date->d, date->m, date->y);
  return buf;
}

// An officer or auditor action: an event appended outside the service, with its rows folded and
// written in the same batch, the way the counter's commands will be.
void AppendFolded(store::Ledger& ledger, const events::Event& event, const std::string& actor,
                  std::int64_t at_us) {
  support::AppendFolded(ledger, event, {"counter-" + std::to_string(at_us), actor}, at_us);
}

std::vector<BookingRow> Bookings(const store::Ledger& ledger, const std::string& status) {
  std::vector<BookingRow> out;
  EXPECT_TRUE(ledger
                  .ScanState("bk/", "bk0",
                             [&](std::string_view, std::string_view v) {
                               BookingRow b;
                               EXPECT_TRUE(Decode(v, &b).ok());
                               if (b.status == status) out.push_back(b);
                               return true;
                             })
                  .ok());
  return out;
}

// Step i of the stream: a WhatsApp message (most steps) or, every sixth step, something at the
// office: a counter command (arrival, documents), the clock's no-show sweep, an application's
// progress, all through the service; or an auditor's blacklisting or flag, which no command makes
// yet: the service is stopped, the event appended with its folded rows, and the service started
// again (a restart re-reads the ledger, so its row cache is never stale). Counter actions pick
// their booking from the state so far, so the same prefix of the stream always does the same.
class Stream {
 public:
  static constexpr int kSteps = 330;

  explicit Stream(store::Ledger& ledger) : ledger_(ledger) {
    service_.emplace(ledger, SampleOffices(), app::Service::Options{kKey});
  }
  ~Stream() { service_.reset(); }

  void Run(int steps) {
    for (int i = 0; i < steps; ++i) Step(i);
    service_->Drain();
    ASSERT_EQ(failures_, 0) << first_failure_;
  }

 private:
  // `refusable`: a counter command the rules may refuse (nothing is appended then).
  void Submit(app::Command c, bool refusable = false) {
    service_->Submit(std::move(c), [this, refusable](app::CommandResult r) {
      std::lock_guard lk(mu_);
      if (!r.status.ok() && !refusable && failures_++ == 0) first_failure_ = r.status.ToString();
    });
  }

  void Message(int n, const std::string& office, const std::string& phone,
               const std::string& text) {
    Submit(Msg("wamid.replay." + std::to_string(step_) + "." + std::to_string(n), office, phone,
               text, domain::Instant{StepAt(step_)}));
  }

  app::CounterContext Desk(const std::string& office, const std::string& officer) {
    return {domain::Instant{StepAt(step_)}, office, officer, "desk-" + std::to_string(step_), {}};
  }

  void Auditor(const events::Event& e, const std::string& actor) {
    service_.reset();  // drains, and forgets its cached rows
    AppendFolded(ledger_, e, actor, StepAt(step_));
    service_.emplace(ledger_, SampleOffices(), app::Service::Options{kKey});
  }

  void Step(int i) {
    step_ = i;
    const char* offices[] = {"bogor", "jakarta-pusat", "denpasar"};
    const int round = i / 6, slot = i % 6;
    const std::string office = offices[round % 3];
    const std::string arrival = ArrivalText(i, 1 + round % 4);
    auto person = [](int n) { return "Orang " + Letters(n); };
    switch (slot) {
      case 0:
      case 1: {
        const int n = round * 2 + slot;
        Message(n, office, Phone(n), "#" + person(n) + "#25011987#" + arrival + "#");
        break;
      }
      case 2:  // a toddler from the same phone, or the same registration again
        if (round % 2 == 0) {
          Message(0, office, Phone(round * 2), "#Anak " + Letters(round) + "#01012016#" + arrival);
        } else {
          Message(0, office, Phone(round * 2),
                  "#" + person(round * 2) + "#25011987#" + ArrivalText(i, 1 + round % 4));
        }
        break;
      case 3:  // another phone for someone who holds a booking; information; a typo
        if (round % 3 == 0) {
          Message(0, office, Phone(5000 + round),
                  "#" + person(round * 2 + 1) + "#25011987#" + arrival);
        } else if (round % 3 == 1) {
          Message(0, office, Phone(round * 2 + 1), round % 2 ? "#syarat" : "1234567890123456");
        } else {
          Message(0, office, Phone(7000 + round), "#Nama1#25011987#" + arrival);
        }
        break;
      case 4:  // a phone registering a second adult (rejected, kept as evidence)
        Message(0, office, Phone(round * 2), "#Lain " + Letters(round) + "#02021990#" + arrival);
        break;
      case 5:
        OfficeStep(round);
        break;
    }
  }

  // The bookings of today (the step's local date), in key order.
  std::vector<BookingRow> Today(const std::string& status) {
    auto local = domain::ToLocal(domain::Instant{StepAt(step_)}, domain::TimeZone::kWIB);
    const std::string today = domain::FormatDate(local->date);
    std::vector<BookingRow> out;
    for (auto& b : Bookings(ledger_, status)) {
      if (b.date == today && b.office != "denpasar") out.push_back(std::move(b));
    }
    return out;
  }

  // The outbox's reports on two waiting replies (sent, failed and retried, or failed for good),
  // and WhatsApp's status of the one sent.
  void ReplyOutcomes(int round) {
    service_->Drain();
    std::vector<std::pair<std::string, projections::OutboxRow>> waiting;
    ASSERT_TRUE(ledger_
                    .ScanState("ob/", "ob0",
                               [&](std::string_view key, std::string_view value) {
                                 projections::OutboxRow row;
                                 EXPECT_TRUE(projections::Decode(value, &row).ok());
                                 waiting.emplace_back(std::string(key.substr(3)), row);
                                 return waiting.size() < 2;
                               })
                    .ok());
    const domain::Instant at{StepAt(step_)};
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      const auto& [id, row] = waiting[k];
      app::ReplyOutcomeCommand c{at, id, row.attempts + 1, false, {}, {}, false, {}};
      const int kind = (round + static_cast<int>(k)) % 3;
      if (kind == 0) {
        c.sent = true;
        c.provider_message_id = "wamid.out." + std::to_string(step_) + "." + std::to_string(k);
        Submit(c);
        Submit(app::DeliveryStatusCommand{at, c.provider_message_id, "delivered", row.to, {}, {}});
      } else {
        c.error = "HTTP 500: (#2) Service temporarily unavailable";
        c.final = kind == 2;
        if (!c.final) c.retry_at = domain::Instant{at.micros_since_epoch + 60'000'000};
        Submit(c);
      }
    }
  }

  void OfficeStep(int round) {
    service_->Drain();  // the bookings listed below include every command before this step
    auto pick = [round](const std::vector<BookingRow>& v) -> const BookingRow* {
      return v.empty() ? nullptr : &v[static_cast<std::size_t>(round) % v.size()];
    };
    switch (round % 8) {
      case 0:
      case 1:
      case 4: {  // an arrival: on time before 07:30, late (forfeited) after
        auto today = Today("issued");
        if (const BookingRow* b = pick(today)) {
          Submit(app::ArrivalCommand{Desk(b->office, "petugas-0" + std::to_string(round % 3)),
                                     b->code});
        } else {
          auto any = Bookings(ledger_, "issued");  // another day: refused, recorded
          if (const BookingRow* other = pick(any)) {
            Submit(app::ArrivalCommand{Desk(other->office, "petugas-01"), other->code});
          }
        }
        break;
      }
      case 2:
        Submit(app::ClockTickCommand{domain::Instant{StepAt(step_)}});
        break;
      case 3:
        Submit(app::ClockTickCommand{domain::Instant{StepAt(step_)}});
        ReplyOutcomes(round);
        break;
      case 5: {
        auto arrived = Bookings(ledger_, "arrived");
        if (const BookingRow* b = pick(arrived)) {
          const bool returned = round % 16 == 5;
          Submit(app::DocumentsCommand{Desk(b->office, "petugas-02"), b->code, returned,
                                       returned ? "akta kelahiran fotokopi" : ""},
                 /*refusable=*/true);
        }
        break;
      }
      case 6: {
        const std::string phone = Phone(7000 + round - 4);
        if (round % 16 == 6) {
          Auditor(events::PhoneBlacklisted{phone, "iseng", {1, 2}, false, std::nullopt},
                  "auditor-01");
        } else {
          Auditor(
              events::PhoneBlacklisted{
                  phone, "too many persons", {3}, true, std::string("many_persons_per_phone")},
              "");
        }
        Auditor(events::PhoneFlagged{"flag-" + std::to_string(round),
                                     Phone(round * 2),
                                     "many_persons_per_phone",
                                     700,
                                     {4, 5},
                                     {"ORANG " + Letters(round * 2) + "|1987-01-25"},
                                     {Phone(5000 + round)},
                                     "books for others",
                                     {}},
                "");
        break;
      }
      case 7:
        Auditor(events::PhoneUnblacklisted{Phone(7000 + round - 5), "appeal granted"},
                "auditor-02");
        Auditor(events::FlagCleared{"flag-" + std::to_string(round - 1), Phone(round * 2 - 2),
                                    "family"},
                "auditor-02");
        Submit(app::ApplicationProgressCommand{Desk(round % 2 ? "bogor" : "denpasar", "petugas-03"),
                                               "12345678901234" + std::to_string(10 + round),
                                               "printed", std::nullopt});
        break;
    }
  }

  store::Ledger& ledger_;
  std::optional<app::Service> service_;
  int step_ = 0;
  std::mutex mu_;
  int failures_ = 0;
  std::string first_failure_;
};

void Feed(store::Ledger& ledger, int steps) {
  Stream stream(ledger);
  stream.Run(steps);
}

std::string Hex(const ProjectionDigest& d) {
  return std::to_string(d.rows) + ":" + ToHex(d.sha256);
}

// One ledger fed with the whole stream, shared by the tests that only read it.
class Replay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto ledger = OpenLedger(dir_->path());
    ASSERT_NE(ledger, nullptr);
    Feed(*ledger, Stream::kSteps);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static const std::string& Dir() { return dir_->path(); }

 private:
  static TempDir* dir_;
};
TempDir* Replay::dir_ = nullptr;

Rebuilt MustRebuild(const store::Ledger& ledger, RebuildOptions options = {}) {
  auto r = Rebuild(ledger, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Rebuilt{};
}

StateDigests MustDigest(const RebuiltState& state) {
  auto d = Digest(state);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : StateDigests{};
}

TEST_F(Replay, TheRebuiltStateIsIdenticalToTheLiveRowsInEveryProjection) {
  auto ledger = OpenLedger(Dir(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  const std::uint64_t head = ledger->GetHead().seq;
  Rebuilt rebuilt = MustRebuild(*ledger);
  ASSERT_NE(rebuilt.state, nullptr);
  EXPECT_EQ(rebuilt.stats.events_scanned, head);
  EXPECT_EQ(rebuilt.stats.events_included, head);
  EXPECT_EQ(rebuilt.stats.last_seq, head);
  EXPECT_GT(rebuilt.stats.events_folded, 100u);
  // Exactly the events a fold reads are decoded; messages and queued replies are not.
  std::uint64_t read = 0;
  ASSERT_TRUE(ledger
                  ->Scan(1, head,
                         [&read](const store::EventView& v) {
                           read += FoldReads(v.type) || ForensicsReads(v.type);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(rebuilt.stats.events_folded, read);
  EXPECT_FALSE(FoldReads("message_received.v1") || ForensicsReads("message_received.v1"));
  EXPECT_FALSE(FoldReads("reply_delivery_status.v1") || ForensicsReads("reply_delivery_status.v1"));

  auto cmp = Compare(*ledger, *rebuilt.state);
  ASSERT_TRUE(cmp.ok()) << cmp.status().ToString();
  EXPECT_TRUE(cmp->identical);
  std::map<std::string, std::uint64_t> rows;
  for (const auto& c : cmp->projections) {
    EXPECT_TRUE(c.identical) << c.projection << ": " << DifferenceName(c.difference) << " at "
                             << c.first_key << "\n live:    " << c.live_value
                             << "\n rebuilt: " << c.rebuilt_value;
    EXPECT_EQ(c.live, c.rebuilt) << c.projection;
    rows[c.projection] = c.rebuilt.rows;
  }
  // Every projection the fold writes has rows in this stream.
  for (const auto& name : StateProjectionNames()) {
    EXPECT_GT(rows[name], 0u) << name << " has no rows: the stream does not exercise it";
  }
  EXPECT_EQ(rows[std::string(kCheckpointKey)], 1u);
  // ... and every counter of the board moves.
  SessionCounts sum;
  std::set<std::string> offices;
  ASSERT_TRUE(ledger
                  ->ScanState("dy/", "dy0",
                              [&](std::string_view k, std::string_view v) {
                                DayRow day;
                                EXPECT_TRUE(Decode(v, &day).ok());
                                offices.insert(std::string(k.substr(3, k.find('|') - 3)));
                                for (const auto& [start, c] : day.sessions) sum += c;
                                return true;
                              })
                  .ok());
  EXPECT_EQ(offices, (std::set<std::string>{"bogor", "denpasar", "jakarta-pusat"}));
  EXPECT_GT(sum.issued, 50u);
  EXPECT_GT(sum.arrived, 0u);
  EXPECT_GT(sum.forfeited, 0u);
  EXPECT_GT(sum.expired, 0u);
  EXPECT_GT(sum.completed, 0u);
  EXPECT_GT(sum.returned, 0u);
  std::printf(
      "stream: %llu events; board totals: issued %u arrived %u forfeited %u expired %u "
      "completed %u returned %u\n",
      static_cast<unsigned long long>(head), sum.issued, sum.arrived, sum.forfeited, sum.expired,
      sum.completed, sum.returned);
  EXPECT_EQ(rows.size(), StateProjectionNames().size()) << "no rows outside the known projections";

  // The digests of each side on its own are the ones Compare reports.
  auto live = DigestLive(*ledger);
  ASSERT_TRUE(live.ok());
  const StateDigests rebuilt_digests = MustDigest(*rebuilt.state);
  EXPECT_EQ(*live, rebuilt_digests);
  for (const auto& c : cmp->projections) EXPECT_EQ(Hex(live->at(c.projection)), Hex(c.live));
}

TEST_F(Replay, TheCheckpointRowIsTheLastSeqBigEndianAsTheServiceWritesIt) {
  auto ledger = OpenLedger(Dir(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  RebuildOptions options;
  options.until_seq = 77;
  Rebuilt rebuilt = MustRebuild(*ledger, options);
  auto cp = rebuilt.state->Get(kCheckpointKey);
  ASSERT_TRUE(cp.ok());
  ASSERT_TRUE(cp->has_value());
  EXPECT_EQ(**cp, std::string("\0\0\0\0\0\0\0\x4d", 8));
  EXPECT_EQ(rebuilt.stats.events_scanned, 77u);
}

TEST_F(Replay, FlushingEveryFewEventsGivesTheSameRowsAsFlushingOnce) {
  auto ledger = OpenLedger(Dir(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  const StateDigests once = MustDigest(*MustRebuild(*ledger).state);
  for (std::size_t every : {1u, 7u, 64u}) {
    RebuildOptions options;
    options.flush_every_events = every;
    EXPECT_EQ(MustDigest(*MustRebuild(*ledger, options).state), once) << "every " << every;
  }
}

TEST_F(Replay, TheScratchStoreIsRemovedWithTheRebuiltState) {
  auto ledger = OpenLedger(Dir(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  TempDir base;
  const std::string scratch = base.path() + "/not/yet/there";
  std::string used;
  {
    RebuildOptions options;
    options.scratch_dir = scratch;
    Rebuilt rebuilt = MustRebuild(*ledger, options);
    used = rebuilt.state->dir();
    EXPECT_EQ(used.rfind(scratch + "/", 0), 0u) << used;
    EXPECT_TRUE(std::filesystem::exists(used));
  }
  EXPECT_FALSE(std::filesystem::exists(used));
  EXPECT_TRUE(std::filesystem::is_empty(scratch)) << "nothing else is left behind";
}

TEST_F(Replay, TwoRebuildsOfTheSameLedgerGiveTheSameDigests) {
  auto ledger = OpenLedger(Dir(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(MustDigest(*MustRebuild(*ledger).state), MustDigest(*MustRebuild(*ledger).state));
}

// ---- Tampering ---------------------------------------------------------------------------------

// A copy of the shared ledger (closed), to tamper with.
std::string CopyOf(const std::string& from, const TempDir& to) {
  const std::string dir = to.path() + "/ledger";
  std::filesystem::copy(from, dir, std::filesystem::copy_options::recursive);
  return dir;
}

std::string FirstKey(const store::Ledger& ledger, const std::string& prefix, int nth = 0) {
  std::string found;
  EXPECT_TRUE(ledger
                  .ScanState(prefix, "",
                             [&](std::string_view k, std::string_view) {
                               if (k.substr(0, prefix.size()) != prefix) return false;
                               if (nth-- > 0) return true;
                               found = std::string(k);
                               return false;
                             })
                  .ok());
  EXPECT_FALSE(found.empty()) << "no row under " << prefix;
  return found;
}

TEST_F(Replay, ATamperedLiveRowIsNamedWithItsProjectionAndKey) {
  TempDir copy;
  const std::string dir = CopyOf(Dir(), copy);
  std::string changed, removed, added;
  std::string original;
  {
    auto ledger = OpenLedger(dir, ReadOnly());
    ASSERT_NE(ledger, nullptr);
    changed = FirstKey(*ledger, "dy/", 2);
    original = ledger->GetState(changed)->value();
    removed = FirstKey(*ledger, "pe/", 3);
    added = "fl/zz-forged";
  }
  {
    RawDb raw(dir);
    std::string forged = original;
    forged.replace(forged.find("\"issued\":"), 9, "\"issued\":9");  // one more digit
    raw.Put(raw.state(), changed, forged);
    raw.Delete(raw.state(), removed);
    raw.Put(raw.state(), added, "{}");
  }
  auto ledger = OpenLedger(dir, ReadOnly());
  ASSERT_NE(ledger, nullptr);
  Rebuilt rebuilt = MustRebuild(*ledger);
  auto cmp = Compare(*ledger, *rebuilt.state);
  ASSERT_TRUE(cmp.ok()) << cmp.status().ToString();
  EXPECT_FALSE(cmp->identical);
  std::map<std::string, const ProjectionComparison*> by;
  for (const auto& c : cmp->projections) by[c.projection] = &c;
  ASSERT_TRUE(by.count("dy") && by.count("pe") && by.count("fl"));
  EXPECT_FALSE(by["dy"]->identical);
  EXPECT_EQ(by["dy"]->first_key, changed);
  EXPECT_EQ(by["dy"]->difference, ProjectionComparison::Difference::kValue);
  EXPECT_EQ(by["dy"]->rebuilt_value, original);
  EXPECT_NE(by["dy"]->live_value, original);
  EXPECT_EQ(by["dy"]->live.rows, by["dy"]->rebuilt.rows);
  EXPECT_NE(by["dy"]->live.sha256, by["dy"]->rebuilt.sha256);

  EXPECT_FALSE(by["pe"]->identical);
  EXPECT_EQ(by["pe"]->first_key, removed);
  EXPECT_EQ(by["pe"]->difference, ProjectionComparison::Difference::kOnlyRebuilt);
  EXPECT_EQ(by["pe"]->live.rows + 1, by["pe"]->rebuilt.rows);

  EXPECT_FALSE(by["fl"]->identical);
  EXPECT_EQ(by["fl"]->first_key, added);
  EXPECT_EQ(by["fl"]->difference, ProjectionComparison::Difference::kOnlyLive);

  for (const auto& c : cmp->projections) {
    if (c.projection == "dy" || c.projection == "pe" || c.projection == "fl") continue;
    EXPECT_TRUE(c.identical) << c.projection << " was not touched";
  }
}

// A detection part as versions before 2026-11-22 wrote it: every field, in order, defaults too.
std::string WrittenWhole(const std::string& sparse, bool phone_row) {
  const json::object node_defaults = {{"parent", ""},          {"phones", 0},
                                      {"persons", 0},          {"members", json::array()},
                                      {"seqs", json::array()}, {"flagged", false}};
  const json::object phone_defaults = {{"other_adults", json::array()},
                                       {"issued", 0},
                                       {"unused", 0},
                                       {"unused_seqs", json::array()},
                                       {"mismatches", 0},
                                       {"mismatch_seqs", json::array()},
                                       {"rush_day", ""},
                                       {"rush_seqs", json::array()},
                                       {"node", json::object()}};
  const json::object person_defaults = {{"phones", json::array()}, {"node", json::object()}};
  const auto whole = [](const json::object& given, const json::object& defaults) {
    json::object out;
    for (const auto& [k, v] : defaults) out[k] = given.contains(k) ? given.at(k) : v;
    return out;
  };
  const json::object given = json::parse(sparse).as_object();
  json::object row = whole(given, phone_row ? phone_defaults : person_defaults);
  const json::value* node = given.if_contains("node");
  row["node"] = whole(node != nullptr ? node->as_object() : json::object(), node_defaults);
  return json::serialize(row);
}

// The ledger's state in layout 1 (support::SplitIntoLayout1), every other detection part
// written whole, as versions before 2026-11-22 did.
template <class Row>
std::uint64_t SplitIntoLayout1(const std::string& dir, std::string_view prefix,
                               std::string_view legacy_prefix) {
  return support::SplitIntoLayout1<Row>(
      dir, prefix, legacy_prefix, [](std::size_t i, const std::string& part) {
        return i % 2 == 0 ? part : WrittenWhole(part, std::is_same_v<Row, PhoneRow>);
      });
}

TEST_F(Replay, TheStateOfLayout1IsUpgradedIntoThePhoneAndPersonRowsAndThenReplaysIdentical) {
  TempDir copy;
  const std::string dir = CopyOf(Dir(), copy);
  const std::uint64_t phones = SplitIntoLayout1<PhoneRow>(dir, "ph/", kLegacyForensicPhonePrefix);
  const std::uint64_t persons =
      SplitIntoLayout1<PersonRow>(dir, "pe/", kLegacyForensicPersonPrefix);
  ASSERT_GT(phones, 0u);
  ASSERT_GT(persons, 0u);
  {
    // Compared as it is, a layout-1 state differs from what the events fold to.
    auto ledger = OpenLedger(dir, ReadOnly());
    ASSERT_NE(ledger, nullptr);
    EXPECT_TRUE(*NeedsStateUpgrade(*ledger));
    auto cmp = Compare(*ledger, *MustRebuild(*ledger).state);
    ASSERT_TRUE(cmp.ok());
    EXPECT_FALSE(cmp->identical);
    EXPECT_TRUE(UpgradeState(*ledger).status().IsUnavailable()) << "read-only: nothing moves";
  }
  {
    auto ledger = OpenLedger(dir);
    ASSERT_NE(ledger, nullptr);
    const store::Head head = ledger->GetHead();
    auto report = UpgradeState(*ledger);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->phones, phones);
    EXPECT_EQ(report->persons, persons);
    EXPECT_FALSE(*NeedsStateUpgrade(*ledger));
    EXPECT_EQ(ledger->GetHead().seq, head.seq) << "no event is appended";
    // Once upgraded, there is nothing more to do.
    auto again = UpgradeState(*ledger);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->upgraded());
  }
  auto ledger = OpenLedger(dir, ReadOnly());
  ASSERT_NE(ledger, nullptr);
  auto cmp = Compare(*ledger, *MustRebuild(*ledger).state);
  ASSERT_TRUE(cmp.ok()) << cmp.status().ToString();
  for (const auto& c : cmp->projections) {
    EXPECT_TRUE(c.identical) << c.projection << ": " << c.first_key << ": " << c.live_value;
  }
  EXPECT_TRUE(cmp->identical);
  auto verified = ledger->Verify({});
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << "the events are untouched";
}

TEST_F(Replay, AnUpgradeRefusesARowWhoseDetectionPartIsKeptTwiceAndMovesNothing) {
  TempDir copy;
  const std::string dir = CopyOf(Dir(), copy);
  std::string phone_key, phone_bytes;
  {
    auto ledger = OpenLedger(dir, ReadOnly());
    ASSERT_NE(ledger, nullptr);
    ASSERT_TRUE(ledger
                    ->ScanState("ph/", "ph0",
                                [&](std::string_view k, std::string_view v) {
                                  PhoneRow row;
                                  if (Decode(v, &row).ok() &&
                                      !(row.forensics == ForensicPhoneRow{})) {
                                    phone_key = std::string(k);
                                    phone_bytes = std::string(v);
                                    return false;
                                  }
                                  return true;
                                })
                    .ok());
  }
  ASSERT_FALSE(phone_key.empty());
  const std::string legacy_key = "fx/p/" + phone_key.substr(3);
  {
    RawDb raw(dir);
    raw.Put(raw.state(), legacy_key, R"({"issued":1})");
  }
  auto ledger = OpenLedger(dir);
  ASSERT_NE(ledger, nullptr);
  auto report = UpgradeState(*ledger);
  ASSERT_TRUE(report.status().IsCorruption());
  EXPECT_NE(report.status().message().find(phone_key), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(ledger->GetState(phone_key)->value(), phone_bytes);
  EXPECT_TRUE(ledger->GetState(legacy_key)->has_value());
}

TEST_F(Replay, ARowUnderAnUnknownPrefixIsAProjectionThatDiffers) {
  TempDir copy;
  const std::string dir = CopyOf(Dir(), copy);
  {
    RawDb raw(dir);
    raw.Put(raw.state(), "zz/stray", "1");
  }
  auto ledger = OpenLedger(dir, ReadOnly());
  ASSERT_NE(ledger, nullptr);
  auto cmp = Compare(*ledger, *MustRebuild(*ledger).state);
  ASSERT_TRUE(cmp.ok());
  EXPECT_FALSE(cmp->identical);
  ASSERT_EQ(cmp->projections.back().projection, "zz");
  EXPECT_EQ(cmp->projections.back().first_key, "zz/stray");
  EXPECT_EQ(cmp->projections.back().difference, ProjectionComparison::Difference::kOnlyLive);
}

TEST_F(Replay, AStaleCheckpointIsNamed) {
  TempDir copy;
  const std::string dir = CopyOf(Dir(), copy);
  {
    RawDb raw(dir);
    raw.Put(raw.state(), std::string(kCheckpointKey), std::string("\0\0\0\0\0\0\0\x01", 8));
  }
  auto ledger = OpenLedger(dir, ReadOnly());
  ASSERT_NE(ledger, nullptr);
  auto cmp = Compare(*ledger, *MustRebuild(*ledger).state);
  ASSERT_TRUE(cmp.ok());
  EXPECT_FALSE(cmp->identical);
  for (const auto& c : cmp->projections) {
    EXPECT_EQ(c.identical, c.projection != kCheckpointKey) << c.projection;
    if (!c.identical) {
      EXPECT_EQ(c.first_key, kCheckpointKey);
    }
  }
}

// ---- Time travel --------------------------------------------------------------------------------

TEST_F(Replay, AsOfAndUntilSeqEqualALedgerThatStoppedThere) {
  TempDir a_dir;
  {
    auto a = OpenLedger(a_dir.path());
    ASSERT_NE(a, nullptr);
    Feed(*a, Stream::kSteps);
  }
  auto a = OpenLedger(a_dir.path(), ReadOnly());
  ASSERT_NE(a, nullptr);
  for (int k : {1, 6, 61, 200, Stream::kSteps}) {
    SCOPED_TRACE("the first " + std::to_string(k) + " steps");
    TempDir b_dir;
    {
      auto b = OpenLedger(b_dir.path());
      ASSERT_NE(b, nullptr);
      Feed(*b, k);
    }
    auto b = OpenLedger(b_dir.path(), ReadOnly());
    ASSERT_NE(b, nullptr);
    const StateDigests b_rebuilt = MustDigest(*MustRebuild(*b).state);
    auto b_live = DigestLive(*b);
    ASSERT_TRUE(b_live.ok());
    EXPECT_EQ(b_rebuilt, *b_live) << "B's own replay";

    RebuildOptions as_of;
    as_of.as_of_us = StepAt(k - 1);
    Rebuilt a_then = MustRebuild(*a, as_of);
    EXPECT_EQ(a_then.stats.last_seq, b->GetHead().seq);
    EXPECT_EQ(a_then.stats.events_included, b->GetHead().seq);
    EXPECT_EQ(a_then.stats.events_scanned, a->GetHead().seq);
    const StateDigests a_as_of = MustDigest(*a_then.state);
    EXPECT_EQ(a_as_of, b_rebuilt);
    for (const auto& [name, d] : b_rebuilt) {
      EXPECT_EQ(Hex(a_as_of.at(name)), Hex(d)) << name;
    }
    // Compare the rows themselves, not just the digests: A as of then against B's live rows.
    auto cmp = Compare(*b, *a_then.state);
    ASSERT_TRUE(cmp.ok());
    EXPECT_TRUE(cmp->identical);

    RebuildOptions until;
    until.until_seq = b->GetHead().seq;
    Rebuilt a_until = MustRebuild(*a, until);
    EXPECT_EQ(a_until.stats.events_scanned, b->GetHead().seq);
    EXPECT_EQ(MustDigest(*a_until.state), b_rebuilt);
  }
}

TEST_F(Replay, AsOfBeforeTheFirstEventIsTheEmptyState) {
  TempDir dir;
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Feed(*ledger, 12);
  }
  auto ledger = OpenLedger(dir.path(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  RebuildOptions options;
  options.as_of_us = StepAt(0) - 1;
  Rebuilt rebuilt = MustRebuild(*ledger, options);
  EXPECT_EQ(rebuilt.stats.events_included, 0u);
  EXPECT_EQ(rebuilt.stats.last_seq, 0u);
  for (const auto& [name, d] : MustDigest(*rebuilt.state)) {
    EXPECT_EQ(d.rows, 0u) << name;
    EXPECT_EQ(d.sha256, Sha256("")) << name;
  }
}

TEST_F(Replay, AnEmptyLedgerRebuildsToNothingAndIsIdentical) {
  TempDir dir;
  { ASSERT_NE(OpenLedger(dir.path()), nullptr); }
  auto ledger = OpenLedger(dir.path(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  Rebuilt rebuilt = MustRebuild(*ledger);
  EXPECT_EQ(rebuilt.stats.events_scanned, 0u);
  auto cmp = Compare(*ledger, *rebuilt.state);
  ASSERT_TRUE(cmp.ok());
  EXPECT_TRUE(cmp->identical);
  EXPECT_EQ(cmp->projections.size(), StateProjectionNames().size());
}

TEST_F(Replay, AnEventTheFoldNeedsThatDoesNotDecodeIsCorruptionNamingItsSeq) {
  TempDir dir;
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Feed(*ledger, 3);
    store::AppendRequest request;
    request.events.push_back({std::string(events::BookingCodeIssued::kType), {"code:X"}, "{}"});
    ASSERT_TRUE(ledger->Append(std::move(request)).ok());
  }
  auto ledger = OpenLedger(dir.path(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  const std::uint64_t bad = ledger->GetHead().seq;
  auto rebuilt = Rebuild(*ledger, {});
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_TRUE(rebuilt.status().IsCorruption()) << rebuilt.status().ToString();
  EXPECT_NE(rebuilt.status().message().find("event " + std::to_string(bad)), std::string::npos)
      << rebuilt.status().ToString();
  // An event the fold does not read is never decoded: the same bytes as a reply do no harm.
  RebuildOptions before;
  before.until_seq = bad - 1;
  EXPECT_TRUE(Rebuild(*ledger, before).ok());
}

// The events are read and decoded ahead of the folds, on a thread of their own, in batches: an
// event that does not decode, with many batches of events before and after it, still stops the
// rebuild naming that very event, and the reading thread stops with it (the test would not end
// otherwise); the log up to the event before it rebuilds, with exact counts, flushing many times.
TEST_F(Replay, AnEventThatDoesNotDecodeFarIntoTheLogStopsTheRebuildThereAndNotBefore) {
  TempDir dir;
  std::uint64_t bad = 0;
  // Events of a type no fold reads: read, never decoded nor folded (so "{}" does no harm).
  std::string unread;
  for (std::string_view name : events::kEventTypeNames) {
    if (!FoldReads(name) && !ForensicsReads(name)) unread = name;
  }
  ASSERT_FALSE(unread.empty());
  const auto unread_events = [&](store::Ledger& ledger, int appends) {
    for (int i = 0; i < appends; ++i) {
      store::AppendRequest more;
      for (int j = 0; j < 500; ++j) more.events.push_back({unread, {"phone:6281200000000"}, "{}"});
      ASSERT_TRUE(ledger.Append(std::move(more)).ok());
    }
  };
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Feed(*ledger, 3);
    unread_events(*ledger, 20);
    store::AppendRequest request;
    request.events.push_back({std::string(events::BookingCodeIssued::kType), {"code:X"}, "{}"});
    auto appended = ledger->Append(std::move(request));
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    bad = appended->first_seq;
    unread_events(*ledger, 20);
  }
  auto ledger = OpenLedger(dir.path(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  ASSERT_GT(bad, 10'000u);
  ASSERT_GT(ledger->GetHead().seq, bad + 9'000);
  auto rebuilt = Rebuild(*ledger, {});
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_TRUE(rebuilt.status().IsCorruption()) << rebuilt.status().ToString();
  EXPECT_NE(rebuilt.status().message().find("event " + std::to_string(bad) +
                                            " (booking_code_issued.v1) does not decode"),
            std::string::npos)
      << rebuilt.status().ToString();
  // Up to the event before, the same ledger rebuilds, flushing many times on the way.
  RebuildOptions before;
  before.until_seq = bad - 1;
  before.flush_every_events = 1'000;
  auto upto = Rebuild(*ledger, before);
  ASSERT_TRUE(upto.ok()) << upto.status().ToString();
  EXPECT_EQ(upto->stats.events_scanned, bad - 1);
  EXPECT_EQ(upto->stats.last_seq, bad - 1);
}

// An event deleted behind the ledger's back leaves a hole in the log. The rebuild does not fold
// on over it (and then call the state identical to one built from every event): it stops at the
// missing seq and names it.
TEST_F(Replay, AnEventMissingFromTheLogStopsTheRebuildNamingIt) {
  TempDir dir;
  {
    auto ledger = OpenLedger(dir.path());
    ASSERT_NE(ledger, nullptr);
    Feed(*ledger, 3);
  }
  std::uint64_t head = 0;
  {
    auto ledger = OpenLedger(dir.path(), ReadOnly());
    ASSERT_NE(ledger, nullptr);
    head = ledger->GetHead().seq;
    ASSERT_GT(head, 4u);
  }
  const std::uint64_t missing = head / 2;
  {
    support::RawDb raw(dir.path());
    std::string key(8, '\0');  // docs/FORMAT.md: the seq, 8 bytes big-endian
    for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>((missing >> (8 * i)) & 0xff);
    raw.Delete(raw.events(), key);
  }
  auto ledger = OpenLedger(dir.path(), ReadOnly());
  ASSERT_NE(ledger, nullptr);
  auto rebuilt = Rebuild(*ledger, {});
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_TRUE(rebuilt.status().IsCorruption()) << rebuilt.status().ToString();
  EXPECT_NE(rebuilt.status().message().find("event " + std::to_string(missing) + " is missing"),
            std::string::npos)
      << rebuilt.status().ToString();
  RebuildOptions before;
  before.until_seq = missing - 1;
  EXPECT_TRUE(Rebuild(*ledger, before).ok()) << "the log up to the hole is whole";
}

// Compare walks both sides a page at a time; differences past the first pages are still found,
// and only the first one per projection is reported.
TEST_F(Replay, CompareFindsTheFirstDifferenceBeyondManyPages) {
  std::map<std::string, std::string> live, rebuilt;
  char key[32];
  for (int i = 0; i < 20000; ++i) {
    std::snprintf(key, sizeof key, "bk/%06d", i);
    live[key] = rebuilt[key] = "v" + std::to_string(i);
    std::snprintf(key, sizeof key, "dy/%06d", i);
    live[key] = rebuilt[key] = "d" + std::to_string(i);
  }
  live["bk/012345"] = "changed";
  live["bk/019999"] = "changed too";  // a later difference: not the first
  rebuilt.erase("dy/017000");
  rebuilt["ph/only-rebuilt"] = "x";
  auto scan_of = [](const std::map<std::string, std::string>& rows) -> StateScan {
    return [&rows](std::string_view from, std::string_view to, const RowVisitor& fn) {
      for (auto it = rows.lower_bound(std::string(from)); it != rows.end(); ++it) {
        if (!to.empty() && it->first >= to) break;
        if (!fn(it->first, it->second)) break;
      }
      return Status::Ok();
    };
  };
  auto cmp = Compare(scan_of(live), scan_of(rebuilt));
  ASSERT_TRUE(cmp.ok());
  EXPECT_FALSE(cmp->identical);
  std::map<std::string, ProjectionComparison> by;
  for (const auto& c : cmp->projections) by[c.projection] = c;
  EXPECT_EQ(by["bk"].first_key, "bk/012345");
  EXPECT_EQ(by["bk"].live_value, "changed");
  EXPECT_EQ(by["bk"].rebuilt_value, "v12345");
  EXPECT_EQ(by["bk"].live.rows, 20000u);
  EXPECT_EQ(by["dy"].first_key, "dy/017000");
  EXPECT_EQ(by["dy"].difference, ProjectionComparison::Difference::kOnlyLive);
  EXPECT_EQ(by["dy"].rebuilt.rows, 19999u);
  EXPECT_EQ(by["ph"].first_key, "ph/only-rebuilt");
  EXPECT_EQ(by["ph"].difference, ProjectionComparison::Difference::kOnlyRebuilt);
  EXPECT_TRUE(by["pe"].identical);
  EXPECT_EQ(by["pe"].live.sha256, Sha256(""));

  // The digest: SHA-256 over u32-length-prefixed key and value, row after row.
  std::map<std::string, std::string> one = {{"ap/1234", "{}"}};
  auto digests = Digest(scan_of(one));
  ASSERT_TRUE(digests.ok());
  EXPECT_EQ(digests->at("ap").sha256, Sha256(std::string("\0\0\0\7ap/1234\0\0\0\2{}", 17)));
  EXPECT_EQ(digests->at("ap").rows, 1u);
}

TEST_F(Replay, ProjectionNamesAreThePrefixOrTheWholeCheckpointKey) {
  EXPECT_EQ(ProjectionOf("bk/K7Q2M9XPA"), "bk");
  EXPECT_EQ(ProjectionOf("dy/bogor|2017-08-07"), "dy");
  EXPECT_EQ(ProjectionOf("checkpoint/decision_state"), "checkpoint/decision_state");
  EXPECT_EQ(ProjectionOf("noslash"), "noslash");
}

}  // namespace
}  // namespace antrean::projections
