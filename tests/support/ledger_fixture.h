// Scaffolding shared by the tests that drive a real ledger: temp directories, opening a ledger,
// the sample offices, WhatsApp messages, submitting commands to app::Service and waiting for their
// results, and appending an event with its folded decision rows. One version of each, so that a
// test file reads as the list of behaviours it proves. Header-only; every helper reports its own
// failures through gtest (EXPECT/ADD_FAILURE) and returns an empty value.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "app/recheck.h"
#include "app/service.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "events/event.h"
#include "projections/decision_state.h"
#include "projections/fold.h"
#include "projections/forensics.h"
#include "store/ledger.h"

namespace antrean::support {

// ---- Files and directories ----------------------------------------------------------------------

// A fresh directory under the test temp dir, removed with its contents when it goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "antrean_test") {
    std::string tmpl = ::testing::TempDir() + "/" + prefix + ".XXXXXX";
    char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr) << "mkdtemp " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole content of a file ("" when it cannot be read).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `v` as 8 bytes big-endian: an events key, and the value of a checkpoint row.
inline std::string BigEndian8(std::uint64_t v) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

// ---- Ledgers ----------------------------------------------------------------------------------

// Opens (or creates) the ledger in `dir`; a failed open fails the test and gives nullptr.
inline std::unique_ptr<store::Ledger> OpenLedger(const std::string& dir,
                                                 const store::Ledger::Options& options = {}) {
  auto ledger = store::Ledger::Open(dir, options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? std::move(ledger).value() : nullptr;
}

// The options of a read-only open of a ledger that must already exist.
inline store::Ledger::Options ReadOnly() {
  store::Ledger::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  return options;
}

// A gtest fixture with a fresh ledger in a temp directory (ledger_), reopened at will.
class LedgerFixture : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = OpenOk(); }

  std::string LedgerDir() const { return dir_.path() + "/ledger"; }

  // Opens the fixture's ledger; a failed open fails the test and gives nullptr.
  std::unique_ptr<store::Ledger> OpenOk(store::Ledger::Options options = {}) {
    auto l = store::Ledger::Open(LedgerDir(), options);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? std::move(*l) : nullptr;
  }

  // Closes ledger_ and opens it again.
  void Reopen() {
    ledger_.reset();
    ledger_ = OpenOk();
  }

  // Appends to ledger_; the append must succeed.
  store::AppendResult AppendOk(store::AppendRequest req) {
    auto r = ledger_->Append(std::move(req));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : store::AppendResult{};
  }

  TempDir dir_;
  std::unique_ptr<store::Ledger> ledger_;
};

// ---- Offices and times --------------------------------------------------------------------------

// The sample office file: Bogor, Jakarta Pusat, Batam, Denpasar.
inline constexpr char kSampleOfficesPath[] = ANTREAN_SOURCE_DIR "/config/offices.json";

// The sample office file as JSON, to add or change offices before LoadOffices.
inline boost::json::value SampleOfficesJson() {
  return boost::json::parse(ReadFile(kSampleOfficesPath));
}

// An office directory from its JSON text; one that does not load fails the test (and is empty).
inline domain::OfficeDirectory LoadOffices(const std::string& text, const std::string& source) {
  auto loaded = domain::LoadOfficeDirectory(text, source);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? std::move(loaded).value() : domain::OfficeDirectory{};
}
inline domain::OfficeDirectory LoadOffices(const boost::json::value& file,
                                           const std::string& source) {
  return LoadOffices(boost::json::serialize(file), source);
}

// The sample offices, unchanged.
inline domain::OfficeDirectory SampleOffices() {
  return LoadOffices(ReadFile(kSampleOfficesPath), "offices.json");
}

// "kecil": two sessions of one booking each and a 7-day horizon, so that a day fills at once.
inline boost::json::value KecilOffice() {
  return boost::json::parse(R"json({
      "id": "kecil",
      "name": "Kantor Imigrasi Kecil (uji)",
      "whatsapp_numbers": [{"display": "0811 0000 0099"}],
      "sessions": [{"start": "08:00", "capacity": 1}, {"start": "10:00", "capacity": 1}],
      "daily_quota": 2,
      "booking_horizon_days": 7
  })json");
}

// An RFC 3339 time; text that does not parse fails the test.
inline domain::Instant At(const std::string& text) {
  auto at = domain::ParseRfc3339(text);
  EXPECT_TRUE(at.ok()) << text;
  return at.ok() ? *at : domain::Instant{};
}

// ---- People and messages ----------------------------------------------------------------------

// A name of letters only, distinct for each n.
inline std::string Letters(int n) {
  std::string s;
  do {
    s.push_back(static_cast<char>('A' + n % 26));
    n /= 26;
  } while (n > 0);
  return s;
}

// Phone number n of a test's own five-digit prefix ("62812" + n in eight digits).
inline std::string NumberedPhone(const char* prefix, int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%08d", prefix, n);
  return buf;
}

// 2017-08-01 08:00 WIB, a Tuesday: when the tests' registrations are sent, unless they say.
inline constexpr char kTuesdayMorning[] = "2017-08-01T08:00:00+07:00";

// An inbound WhatsApp text message; with `image`, a photo (an e-KTP) instead.
inline app::InboundMessage Msg(std::string id, std::string office, std::string from,
                               std::string text, domain::Instant at, bool image = false) {
  app::InboundMessage m;
  m.message_id = std::move(id);
  m.office = std::move(office);
  m.from = std::move(from);
  m.text = std::move(text);
  m.at = at;
  if (image) {
    m.kind = "image";
    m.media = events::Media{"image", "ektp-" + m.message_id, std::string("image/jpeg"),
                            std::nullopt};
  }
  return m;
}
// As above, sent at an RFC 3339 time.
inline app::InboundMessage Msg(std::string id, std::string office, std::string from,
                               std::string text, const std::string& at = kTuesdayMorning,
                               bool image = false) {
  return Msg(std::move(id), std::move(office), std::move(from), std::move(text), At(at), image);
}

// ---- The service ------------------------------------------------------------------------------

// What a failed command was, for failure messages: its type, and a message's id.
inline std::string Describe(const app::Command& command) {
  std::string what(app::CommandTypeName(command));
  if (const auto* m = std::get_if<app::InboundMessage>(&command)) what += " " + m->message_id;
  return what;
}

// Submits one command and waits for its result; the status is not checked.
inline app::CommandResult Try(app::Service& service, const app::Command& command) {
  std::mutex mu;
  std::optional<app::CommandResult> out;
  service.Submit(command, [&](app::CommandResult r) {
    std::lock_guard lk(mu);
    out = std::move(r);
  });
  service.Drain();
  std::lock_guard lk(mu);
  EXPECT_TRUE(out.has_value()) << "done was not called";
  return out.value_or(app::CommandResult{});
}

// As Try, and the command must have succeeded.
inline app::CommandResult Ok(app::Service& service, const app::Command& command) {
  app::CommandResult r = Try(service, command);
  EXPECT_TRUE(r.status.ok()) << Describe(command) << ": " << r.status.ToString();
  return r;
}

// Submits every message back to back (appends overlap), then drains; each must succeed.
inline std::vector<app::CommandResult> SubmitAll(app::Service& service,
                                                 const std::vector<app::InboundMessage>& ms) {
  std::mutex mu;
  std::vector<app::CommandResult> results(ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    service.Submit(app::Command(ms[i]), [&mu, &results, i](app::CommandResult r) {
      std::lock_guard lk(mu);
      results[i] = std::move(r);
    });
  }
  service.Drain();
  std::lock_guard lk(mu);
  for (std::size_t i = 0; i < ms.size(); ++i) {
    EXPECT_TRUE(results[i].status.ok())
        << ms[i].message_id << ": " << results[i].status.ToString();
  }
  return results;
}

// A gtest fixture with an app::Service (service_) over a fresh ledger (ledger_) in a temp
// directory, started in SetUp with the offices and booking code key the test passes in.
class ServiceFixture : public ::testing::Test {
 protected:
  ServiceFixture(domain::OfficeDirectory (*offices)(), std::string key)
      : offices_(offices), key_(std::move(key)) {}

  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  // Opens the ledger and starts the service on it; the open must succeed.
  void Start() {
    ledger_ = OpenLedger(dir_.path());
    ASSERT_NE(ledger_, nullptr);
    service_ = std::make_unique<app::Service>(*ledger_, offices_(), app::Service::Options{key_});
  }
  // Stops the service, then closes the ledger.
  void Stop() {
    service_.reset();
    ledger_.reset();
  }
  // As a process restart: stops, then starts again on the same ledger.
  void Restart() {
    Stop();
    Start();
  }

  TempDir dir_;
  std::unique_ptr<store::Ledger> ledger_;
  std::unique_ptr<app::Service> service_;

 private:
  domain::OfficeDirectory (*offices_)();
  std::string key_;
};

// ---- Decision rows ----------------------------------------------------------------------------

// Decision rows in a scratch map, over a ledger's rows or over nothing: every key the fold
// touched, with its value or nullopt once erased. Over a ledger, to append an event no command
// makes (a blacklisting, a forfeit) with its rows; over nothing, to replay the fold of a ledger.
class ScratchRows : public projections::StateRows {
 public:
  ScratchRows() = default;
  explicit ScratchRows(const store::Ledger& base) : base_(&base) {}

  Result<std::optional<std::string>> Read(std::string_view key) override {
    if (auto it = rows_.find(std::string(key)); it != rows_.end()) return it->second;
    if (base_ != nullptr) return base_->GetState(key);
    return std::optional<std::string>();
  }
  void Write(std::string key, std::string value) override { rows_[key] = std::move(value); }
  void Erase(std::string key) override { rows_[key] = std::nullopt; }

  // Every key touched, erased ones as nullopt.
  const std::map<std::string, std::optional<std::string>>& rows() const { return rows_; }
  // The rows that are present: the state the changes leave (over nothing).
  std::map<std::string, std::string> Present() const {
    std::map<std::string, std::string> present;
    for (const auto& [key, value] : rows_) {
      if (value) present.emplace(key, *value);
    }
    return present;
  }
  // The changes as an append request's state_puts and state_deletes.
  void AddTo(store::AppendRequest& request) const {
    for (const auto& [key, value] : rows_) {
      if (value) {
        request.state_puts.emplace_back(key, *value);
      } else {
        request.state_deletes.push_back(key);
      }
    }
  }

 private:
  const store::Ledger* base_ = nullptr;
  std::map<std::string, std::optional<std::string>> rows_;
};

// Appends `event` (it must validate) with its folded decision rows and the checkpoint in one
// batch, as the service would; the append must succeed. Returns its seq, or 0 if it failed.
inline std::uint64_t AppendFolded(store::Ledger& ledger, const events::Event& event,
                                  const store::Cause& cause, std::int64_t at_us) {
  const Status valid = events::Validate(event);
  if (!valid.ok()) {
    ADD_FAILURE() << "the event does not validate: " << valid.ToString();
    return 0;
  }
  ScratchRows rows(ledger);
  const Status folded =
      projections::FoldAll(event, ledger.GetHead().seq + 1, {cause.actor, at_us}, rows);
  if (!folded.ok()) {
    ADD_FAILURE() << "the event does not fold: " << folded.ToString();
    return 0;
  }
  store::AppendRequest request;
  request.events.push_back(events::ToNewEvent(event));
  request.recorded_at_us = at_us;
  request.cause = cause;
  rows.AddTo(request);
  request.state_checkpoint_key = std::string(projections::kCheckpointKey);
  auto appended = ledger.Append(std::move(request));
  EXPECT_TRUE(appended.ok()) << appended.status().ToString();
  return appended.ok() ? appended->first_seq : 0;
}

// ---- Recheck ----------------------------------------------------------------------------------

// `antrean recheck` of `ledger` (app/recheck.h) with the booking-code key its service ran with, its
// scratch ledger in a temp directory of its own; it must run (a difference is a result, checked by
// the caller). Events 1..until_seq, or all with 0.
inline app::RecheckReport RecheckOk(const store::Ledger& ledger, const std::string& code_key,
                                    std::uint64_t until_seq = 0) {
  TempDir scratch("recheck_scratch");
  app::RecheckOptions options;
  options.code_key = code_key;
  options.until_seq = until_seq;
  options.scratch_dir = scratch.path();
  auto report = app::Recheck(ledger, options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : app::RecheckReport{};
}

}  // namespace antrean::support
