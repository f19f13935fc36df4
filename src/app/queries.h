// The read side: what officers, auditors and the staff API ask the ledger. `antrean board` and
// `antrean show ...` (tools/cli/query_commands.cc) and the HTTP staff API both call these, so the
// two answer with the same JSON; the CLI's text output is rendered from it.
//
// Each query reads only the state rows and the index streams it needs (Ledger::GetState,
// Ledger::ReadByKey, and for the blacklist and the flags Ledger::ScanState over their prefix):
// never a scan of the whole log. `QueryBoard` with `as_of` is the exception by design: it rebuilds
// the state as it stood then in a scratch store (projections/replay.h).
//
// The ledger is only read, never written: it may be opened read-only beside a live service, or be
// the service's own read-write ledger. Every query is a pure function of the ledger's contents and
// its arguments; none keeps state between calls, and all may run at once from many threads.
//
// Errors are values; nothing throws:
//   InvalidArgument  bad input; the message names the field: `field "phone": ...`
//   NotFound         the ledger knows nothing of the subject (a code, a phone, a person, an
//                    office's configuration); the message says what was not found
//   Corruption       a stored row or record that does not decode; the message names it
//   IOError          the store (or the scratch store of a rebuild) could not be read
//
// The JSON of each query is documented in docs/COMMANDS.md under the command that prints it.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/ledger.h"

namespace antrean::app {

// ---- Limits ------------------------------------------------------------------------------------
// A page of a timeline, of the blacklist or of the flags: kQueryLimitDefault entries unless asked,
// at most kQueryLimitMax. A limit of 0 or above the maximum is InvalidArgument.
inline constexpr std::size_t kQueryLimitDefault = 20;
inline constexpr std::size_t kQueryLimitMax = 1000;
// A blacklist or flags cursor (the last phone or flag id of the previous page) longer than this
// is InvalidArgument: no phone or flag id is that long.
inline constexpr std::size_t kQueryCursorBytesMax = store::kIndexKeyBytesMax;

// ---- Queries -----------------------------------------------------------------------------------

// An office's queue board for a day (`antrean board --json`): `office`, `date`, `sessions`
// [{session, capacity, issued, arrived, forfeited, expired, completed, returned, remaining}] in
// session order, `totals`, `next_queue_number`, `daily_quota`, `config_digest`.
// `date` is YYYY-MM-DD. With `as_of` (RFC 3339 with an offset), the state is first rebuilt from
// the events recorded up to then, in a fresh scratch store under `scratch_dir` (empty: $TMPDIR or
// /tmp) that is removed before returning, and the JSON also has `as_of` (as given) and
// `rebuilt_to_seq`. InvalidArgument: office empty, date or as_of unparseable. NotFound: the
// office has no configuration in the ledger (at that time).
Result<boost::json::object> QueryBoard(const store::Ledger& ledger, std::string_view office,
                                       std::string_view date, std::optional<std::string_view> as_of,
                                       const std::string& scratch_dir);

// One booking (`antrean show booking --json`): `code`, `booking` (its bk/ row, or null), `events`
// [{seq, recorded_at, type, actor, cause_id, summary, payload}] of the code's stream, oldest first.
// `code` may be typed in lower case or with spaces. InvalidArgument: the code is empty. NotFound:
// neither a row nor an event has the code.
Result<boost::json::object> QueryBooking(const store::Ledger& ledger, std::string_view code);

// Everything about one phone (`antrean show phone --json`): `phone`, `national`, `owner`,
// `blacklisted`, `blacklist` (the bl/ row or null), `flags` (every fl/ row naming the phone),
// `persons` [{person, relations, codes, rejections, flags, first_seq, last_seq}], and `timeline`
// {total_events, events (newest first, `limit` of them from `cursor`), next_cursor (null on the
// last page)}. `written_phone` in any written form (0812-..., +62 812..., 62812...); `cursor` 0
// is the newest event, otherwise a `next_cursor` of the previous page. InvalidArgument: phone,
// limit. NotFound: the ledger knows nothing of the phone.
Result<boost::json::object> QueryPhone(const store::Ledger& ledger, std::string_view written_phone,
                                       std::size_t limit = kQueryLimitDefault,
                                       std::uint64_t cursor = 0);

// One person, as bookings name them (`antrean show identity --json`): `person` (NAME|YYYY-MM-DD;
// case and spacing of the name do not matter), `active_code`, `active_booking` (the bk/ row of
// the booking not yet used, or null), `phones` [{phone, relations, codes, rejections, flags,
// first_seq, last_seq}], `timeline` paged as for QueryPhone. `dob` is YYYY-MM-DD.
// InvalidArgument: name empty, dob, limit. NotFound: the ledger knows nothing of the person.
Result<boost::json::object> QueryIdentity(const store::Ledger& ledger, std::string_view name,
                                          std::string_view dob,
                                          std::size_t limit = kQueryLimitDefault,
                                          std::uint64_t cursor = 0);

// The blacklist (`antrean show blacklist --json`): `include_lifted`, `blacklist` [{phone,
// national, in_force, reason, evidence, automatic, rule, decided_by, decided_at, lifted_by,
// lifted_reason}] in phone (key) order, only the ones in force unless `include_lifted`, at most
// `limit` of them after the phone `cursor` (empty: from the first), and `next_cursor` (the last
// phone of this page, or null when there are no more). InvalidArgument: limit, cursor. An empty
// blacklist is not an error.
Result<boost::json::object> QueryBlacklist(const store::Ledger& ledger, bool include_lifted,
                                           std::size_t limit = kQueryLimitDefault,
                                           std::string_view cursor = {});

// The flags (`antrean show flags --json`): `include_cleared`, `phone` (normalised, or null),
// `flags` [{flag_id, phone, rule, score, evidence, detail, raised_at, in_force, cleared_by,
// cleared_reason, persons, phones}] in flag id (key) order, only the ones in force unless
// `include_cleared`, with `phone` only those naming it (as the flagged phone or one of a ring's),
// paged as for QueryBlacklist with the flag id as cursor. InvalidArgument: phone, limit, cursor.
Result<boost::json::object> QueryFlags(const store::Ledger& ledger, bool include_cleared,
                                       std::optional<std::string_view> written_phone,
                                       std::size_t limit = kQueryLimitDefault,
                                       std::string_view cursor = {});

// The auditor's ranked list of flags (`antrean audit --json`, GET /api/v1/audit): the flags in
// force (or all, with `include_cleared`), highest score first (then most evidence, then oldest),
// each with its rule, score, the phone and the persons and phones concerned, the offices its
// evidence events are at, and its first `evidence_max` evidence events in readable form.
struct AuditQuery {
  std::optional<std::string> office;  // only flags with evidence at this office
  // Only flags raised on or after `from` / up to and including `to` (YYYY-MM-DD), local dates of
  // `office` (its recorded time zone), or WIB without an office.
  std::optional<std::string> from;
  std::optional<std::string> to;
  bool include_cleared = false;
  std::size_t limit = 100;        // flags shown, 1..kAuditLimitMax; `total` counts them all
  std::size_t evidence_max = 10;  // evidence events shown per flag, 0..kEvidenceShownMax
};
inline constexpr std::size_t kAuditLimitMax = 100'000;
inline constexpr std::size_t kEvidenceShownMax = 64;
// JSON: `office`, `from`, `to`, `include_cleared`, `total` (flags matching), `by_rule` {rule:
// count} over them, `flags` [{rank, flag_id, rule, score, phone, phones, persons, detail,
// raised_at, in_force, cleared_by, cleared_reason, evidence (its sequence numbers), offices,
// evidence_count, evidence_events [{seq, recorded_at, type, actor, summary}]}]. InvalidArgument:
// office, dates, limit, evidence_max. NotFound: `office` has no configuration in the ledger.
Result<boost::json::object> QueryAudit(const store::Ledger& ledger, const AuditQuery& query);

// The ledger's head: `seq`, `hash` (64 hex digits; all zero for an empty ledger) and `recorded_at`
// (UTC; null for an empty ledger). Errors: Corruption or IOError reading the head event.
Result<boost::json::object> QueryHead(const store::Ledger& ledger);

// ---- Shared pieces -----------------------------------------------------------------------------

// {"seq": N, "hash": "<64 hex>"}: a head as `antrean digest` prints it and `antrean verify
// --digest` reads it back.
boost::json::object HeadJson(const store::Head& head);

// One stored event as `antrean dump` prints it and the events feed serves it: seq, recorded_at
// (UTC, microseconds), type, keys, cause {id, actor}, idempotency_key (when set), payload (as
// JSON; `payload_raw`, a string, when it does not parse, so a damaged payload is still shown),
// prev_hash, hash.
boost::json::object StoredEventJson(const store::EventView& event);

// Text for one terminal line: newlines shown as " / ", carriage returns dropped, at most `max`
// bytes (cut at a UTF-8 character boundary, then "..."). The event summaries use it; so do the
// CLI's text renderings.
std::string OneLine(std::string_view text, std::size_t max = 60);

}  // namespace antrean::app
