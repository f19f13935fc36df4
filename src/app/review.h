// The auditor's review, as commands (docs/DECISIONS.md, "The auditor's review"): blacklist a phone
// with a reason and its evidence, lift a blacklisting, clear a flag. Each names the acting auditor
// (recorded as the events' cause actor). Pure, like app/registration.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/registration.h"
#include "domain/civil_time.h"

namespace antrean::app {

inline constexpr std::size_t kEvidenceSeqsMax = 1000;
inline constexpr std::size_t kReviewReasonBytesMax = 1024;

// What every review command carries: when and who.
struct ReviewContext {
  domain::Instant at;
  std::string auditor;     // the acting auditor; recorded as the cause actor
  std::string request_id;  // optional; the same request id twice changes nothing
};

// "audit.blacklist": the phone may no longer register.
struct BlacklistCommand {
  ReviewContext ctx;
  std::string phone;  // normalised
  std::string reason;
  std::vector<std::uint64_t> evidence;  // sequence numbers of the events that justify it
};

// "audit.unblacklist": a blacklisting is lifted.
struct UnblacklistCommand {
  ReviewContext ctx;
  std::string phone;
  std::string reason;
};

// "audit.clear_flag": a flag was reviewed and found innocent (or dealt with).
struct ClearFlagCommand {
  ReviewContext ctx;
  std::string flag_id;
  std::string reason;
};

// Conflict when the phone is already blacklisted; invalid when the evidence names an event after
// `newest_seq` (the newest event decided): evidence must already be in the ledger, or a number
// not yet used would later seem to point at an unrelated event.
Result<Decision> DecideBlacklist(const BlacklistCommand& command, StateReader& state,
                                 std::uint64_t newest_seq);
// Conflict when the phone is not blacklisted.
Result<Decision> DecideUnblacklist(const UnblacklistCommand& command, StateReader& state);
// NotFound for a flag never raised; Conflict for one already cleared.
Result<Decision> DecideClearFlag(const ClearFlagCommand& command, StateReader& state);

}  // namespace antrean::app
