// Recheck: every decision in the ledger made again, and compared with what the ledger records
// (docs/COMMANDS.md, `antrean recheck`).
//
// `verify` proves that no event was changed after it was written, and `replay` that the derived
// rows are what the events say. Neither proves that an event was what the rules would have
// decided: a decision taken on a tampered state row (a person's active booking erased behind the
// service's back) is appended, hashed and chained like any other, and the next write of the row
// hides the tamper from `replay`. Recheck closes that gap. It reads the commands back out of the
// events (a "message received" is the message; an "applicant arrived" or "arrival rejected" is
// the officer's scan; ...), gives them, in order and at their recorded times, to a fresh
// app::Service on a scratch ledger, with the office rules the ledger recorded in force at each
// point and the booking-code key, and checks that the scratch ledger's events are the recorded
// ones byte for byte: same events, same hashes, so the same head. The first event where the two
// part is named, with the command that was decided again and both versions of the event.
//
// The rules are this build's. A ledger written by an older version of antrean whose rules have
// since changed differs where they changed; the difference names the first such decision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "store/ledger.h"

namespace antrean::app {

// The block cache a recheck's reading of the record needs (Ledger::Options::block_cache_bytes for
// the ledger it is given): it reads each block once, in order, so the default 256 MiB would only
// fill with blocks never read again.
inline constexpr std::size_t kRecheckRecordCacheBytes = std::size_t{16} << 20;

struct RecheckOptions {
  // The booking-code key the ledger's service ran with (app/booking_code.h): the booking codes are
  // decided again too, so a code not derived with the key is a difference.
  std::string code_key;
  // Recheck events 1..until_seq; 0: up to the head as the ledger was opened. A command whose
  // events run past until_seq is decided whole, and compared up to until_seq.
  std::uint64_t until_seq = 0;
  // Where the scratch ledger goes: a fresh subdirectory is created in it (the directory itself is
  // created if missing) and removed afterwards. Empty: $TMPDIR, or /tmp.
  std::string scratch_dir;
};

// One side of a difference: the event at its seq, as recorded or as the rules decide it.
struct RecheckEvent {
  std::string type;
  std::string payload;  // the event's JSON
  std::string cause_id;
  std::string actor;
  std::string recorded_at;  // RFC 3339, UTC
};

struct RecheckDifference {
  std::uint64_t seq = 0;  // the first event where the ledger and the rules part
  // One sentence: what differs ("the ledger records booking_code_issued.v1 where the rules give
  // registration_rejected.v2", "payload member \"queue_number\": ...", "no command starts with
  // this event", "the rules refuse the command: ...").
  std::string what;
  // The command decided again when they parted, and the seq its events start at; empty and 0
  // when the event at `seq` starts no command.
  std::string command;
  std::uint64_t command_seq = 0;
  std::optional<RecheckEvent> recorded;  // absent: the ledger has no event there
  std::optional<RecheckEvent> decided;   // absent: the rules give no event there
};

struct RecheckReport {
  std::uint64_t last_seq = 0;        // the end of the range rechecked (until_seq, or the head)
  std::uint64_t events_checked = 0;  // events 1..events_checked are what the rules give
  std::uint64_t commands = 0;        // commands decided again
  double seconds = 0;
  std::optional<RecheckDifference> difference;  // none: every event is explained
  bool explained() const { return !difference.has_value(); }
  double EventsPerSecond() const {
    return seconds > 0 ? static_cast<double>(events_checked) / seconds : 0;
  }
};

// Rechecks `ledger` (it may be open read-only, beside a live service). A difference is a result,
// not an error. Errors: InvalidArgument (no key, a scratch directory that cannot be made),
// IOError/Corruption (reading the ledger, or the scratch ledger failing).
Result<RecheckReport> Recheck(const store::Ledger& ledger, const RecheckOptions& options);

}  // namespace antrean::app
