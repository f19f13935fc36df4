// Decisions at the office counter and of the clock: arrivals and the 30-minute rule, identity
// checks, documents handed in or returned, the no-show sweep, application progress. Pure, like
// app/registration.h: rules + command + the state it reads -> events and the outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/registration.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"

namespace antrean::app {

// What every counter command carries: when, where, who.
struct CounterContext {
  domain::Instant at;
  std::string office;
  std::string officer;     // the acting officer; recorded as the events' cause actor
  std::string request_id;  // optional; the same request id twice changes nothing
  // What the events name as their cause: the request id, or else the command itself (type, office,
  // subject, time). Set by the service before deciding; a reply queued by the decision is named
  // after it, so it is unique per command.
  std::string cause_id;
};

// "counter.arrival": the applicant shows a booking code at the counter.
struct ArrivalCommand {
  CounterContext ctx;
  std::string code;  // as typed by the officer
};

// "counter.identity_check": the officer compared the person and the phone with the booking.
struct IdentityCheckCommand {
  CounterContext ctx;
  std::string code;
  bool person_matches = false;
  bool phone_matches = false;
  std::optional<std::string> note;
};

// "counter.documents_submitted" / "counter.documents_returned" (with a reason).
struct DocumentsCommand {
  CounterContext ctx;
  std::string code;
  bool returned = false;
  std::string reason;  // required when returned: what was missing or did not match
};

// "clock.tick": expire every booking whose check-in deadline passed without an arrival.
struct ClockTickCommand {
  domain::Instant at;
};

// "office.application_progress": a passport application reached a stage (SIGAP answers it).
struct ApplicationProgressCommand {
  CounterContext ctx;
  std::string application_number;  // 16 digits
  std::string stage;
  std::optional<std::string> note;
};

// Every attempt is recorded: an unknown code, a mistyped check character, another office or day,
// a code already used, expired or forfeited gives "arrival rejected" with the reason. On time
// (at <= arrive_by, i.e. no later than arrive_early_minutes before the session) gives "applicant
// arrived"; later gives "booking forfeited" (late) and a reply to the booking's phone.
Result<Decision> DecideArrival(const domain::OfficeConfig& office, const ArrivalCommand& command,
                               StateReader& state);
// NotFound for a code no booking has (nothing to attach the evidence to); otherwise recorded.
Result<Decision> DecideIdentityCheck(const domain::OfficeConfig& office,
                                     const IdentityCheckCommand& command, StateReader& state);
// Only an arrived booking can hand in documents: InvalidArgument otherwise, naming its status.
Result<Decision> DecideDocuments(const domain::OfficeConfig& office,
                                 const DocumentsCommand& command, StateReader& state);
Result<Decision> DecideApplicationProgress(const domain::OfficeConfig& office,
                                           const ApplicationProgressCommand& command);
// `codes` are the bookings whose deadline is before `at` (the service finds them from the
// deadline rows); each still issued is expired. Each expiry is told in its booking's own offset
// (its arrive_by's), not the office file's: an office taken out of the file keeps its bookings'
// time, and the tick's events depend on nothing but the state (app/recheck.h decides it again).
Result<Decision> DecideExpiries(const ClockTickCommand& command,
                                const std::vector<std::string>& codes, StateReader& state);

}  // namespace antrean::app
