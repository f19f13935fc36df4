// The application service: the one place commands become decisions and decisions become appended
// events. `antrean ingest` and the HTTP service both call it (docs/DECISIONS.md).
//
// Decisions run one at a time on the caller's thread, against the decision state plus the rows of
// decisions whose appends are still in flight (read-your-writes), so the caller need not wait for
// one append's fsync before deciding the next command: group commit batches them. Results are
// reported through a callback once the command's events are durable.
//
// Fail-stop: if an append fails, the service refuses every further command (Unavailable). Later
// decisions may have read rows of the failed one; only a restart, which reads the ledger as it
// really is, can be trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/registration.h"
#include "domain/office_config.h"
#include "projections/state_upgrade.h"
#include "store/ledger.h"

namespace antrean::app {

struct AppendedEvent {
  std::uint64_t seq = 0;
  std::string type;
};

struct CommandResult {
  Status status;           // not ok: nothing was appended for the command
  bool duplicate = false;  // the message id was seen before; nothing new was appended
  std::vector<AppendedEvent> events;
  Outcome outcome;
};

// The "office configuration applied" event for `office`'s rules: its canonical JSON and the
// digest that identifies them (the digest the ledger records and the API shows).
events::OfficeConfigurationApplied ConfigurationApplied(const domain::OfficeConfig& office);

// The cause id of a command sent without a request id: the command itself, so that two commands
// never share one. A counter command's is "<type>@<office>@<subject>@<at in the office's offset>"
// (the subject: the code as typed, or the application number); a review command's
// "<type>@<subject>@<at in UTC>" (the phone, or the flag id). With a request id, that is the cause.
std::string CounterCauseId(std::string_view type, const domain::OfficeConfig& office,
                           std::string_view subject, domain::Instant at);
std::string ReviewCauseId(std::string_view type, std::string_view subject, domain::Instant at);

class Service {
 public:
  struct Options {
    std::string code_key;  // the booking-code secret (app/booking_code.h); kept out of the ledger
    // Runs the detection projection (projections/forensics.h) with every append: its rows, and
    // the flags it raises in the same append. Always on in `serve` and `ingest`; off only to
    // measure what it costs (benchmarks/forensics_bench.cc). A ledger written without it does
    // not replay as identical (the fx/ rows and the detection's parts of the ph/ and pe/ rows are
    // missing).
    bool detect = true;
  };

  // Upgrades the ledger's derived state to this version's layout first (projections/
  // state_upgrade.h; nothing to do for a ledger this version wrote). If that fails, health()
  // says why and every command is refused.
  Service(store::Ledger& ledger, domain::OfficeDirectory offices, Options options);
  ~Service();
  // The rows the constructor's upgrade moved (none for a ledger of this version's layout).
  projections::StateUpgradeReport upgraded() const;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  using Done = std::function<void(CommandResult)>;
  // Decides `command` now and appends its events; `done` runs once they are durable (on the
  // ledger's thread, so it must not block), or at once for a refusal. Calls to Submit must not
  // overlap: decisions are sequential by design.
  void Submit(const Command& command, Done done);
  // Waits until every submitted command has called its `done`.
  void Drain();
  // The sequence number of the last event decided so far, appended or still in flight (the head's
  // while nothing is in flight). Read between two Submits, it tells how many events the first one
  // decided, before they are durable (app/recheck.h pipelines on it).
  std::uint64_t decided_seq() const;

  const domain::OfficeDirectory& offices() const;
  // Replaces the office rules (a reloaded office file). Like Submit, must not overlap with Submit;
  // each office's new configuration is recorded with its next command (office configuration
  // applied), so every later decision is explained by the rules recorded before it.
  void SetOffices(domain::OfficeDirectory offices);
  // Ok while the service takes commands; the failed append's status once it stopped (fail-stop).
  Status health() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace antrean::app
