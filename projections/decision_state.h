// The rows of the state projection: what decisions read and what the views show. They are a pure
// fold of the events (projections/fold.h); the service writes them in the same batch as the
// events they were folded from (docs/DECISIONS.md), and `antrean replay` folds the whole log to
// check that the live rows are exactly what the events say (docs/PROJECTIONS.md).
//
// Rows are small JSON objects under these keys (the prefix names the projection):
//   ph/<phone>            PhoneRow        who owns the phone, whether it is blacklisted; and
//                                         the detection's part: what its rules count of the
//                                         phone, its ring node
//   pe/<NAME|YYYY-MM-DD>  PersonRow       the person's booking not yet used, if any; and the
//                                         detection's part: the phones the person was booked
//                                         from, its ring node
//   dy/<office>|<date>    DayRow          the queue board: per session issued, arrived, ...
//   bk/<code>             BookingRow      one booking and its status
//   cf/<office>           ConfigRow       the office configuration in force: digest, capacities
//   ap/<16 digits>        ApplicationRow  the latest progress of a passport application
//   dl/<arrive_by>|<code> (the code)      check-in deadlines, for the no-show sweep; arrive_by is
//                                         16 hex digits of microseconds since the epoch
//   bl/<phone>            BlacklistRow    a phone's blacklisting: reason, evidence, who decided
//   fl/<flag_id>          FlagRow         a flag raised on a phone, and its review
//   ob/<reply_id>         OutboxRow       a reply not yet sent: what, to whom, attempts, when next
//   pm/<provider id>      (the reply id)  WhatsApp's id of a sent reply, for its delivery statuses
// and the detection projection's other rows (projections/forensics.h), under "fx/":
//   fx/c/<office>         ForensicConfigRow  the thresholds in force, from the recorded config
//   fx/o/<office>         ForensicOfficeRow  the office's bookings and unused ones: the norm
//   fx/k/<office>|<date>|<block>  BlockRow   the phones of one number block in one day's rush
// The detection's parts of the ph/ and pe/ rows (and their ring nodes) leave members at their
// defaults out (docs/PROJECTIONS.md); every other member is always stored. This is state layout
// 2; layout 1 kept those parts in rows of their own, fx/p/ and fx/i/ (projections/
// state_upgrade.h moves them).
// Memory use does not grow with history: only the rows a decision touches are read.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/status.h"
#include "domain/forensics_thresholds.h"

namespace antrean::projections {

// ---- Phones and persons: the state's part and the detection's (projections/forensics.h) -------

// A phone or a person seen at a time, with the event that showed it.
struct Sighting {
  std::string who;  // a phone, or a PersonRef
  std::int64_t at_us = 0;
  std::uint64_t seq = 0;
  bool operator==(const Sighting&) const = default;
};

// One node of the ring detection's union-find over phones and persons, kept in the node's own
// row. Only a root's counts, members and evidence mean anything.
struct RingNode {
  std::string parent;         // the parent node ("p:<phone>" or "i:<person>"); empty for a root
  std::uint32_t phones = 0;   // the group's phones (a root of one group only: 0 = just itself)
  std::uint32_t persons = 0;  // the group's persons
  std::vector<std::string> members;  // the first kRingMembersMax nodes of the group
  std::vector<std::uint64_t> seqs;   // the latest events that linked the group
  bool flagged = false;              // a ring flag was raised on this group
  bool operator==(const RingNode&) const = default;
};

struct ForensicPhoneRow {
  std::vector<Sighting> other_adults;  // distinct adults refused as not the owner; newest last
  std::uint32_t issued = 0;            // bookings issued to the phone
  std::uint32_t unused = 0;            // of them expired or forfeited
  std::vector<std::uint64_t> unused_seqs;
  std::uint32_t mismatches = 0;  // failed identity checks on its bookings
  std::vector<std::uint64_t> mismatch_seqs;
  std::string rush_day;                  // "<office>|<date>" of the rush counted in rush_seqs
  std::vector<std::uint64_t> rush_seqs;  // its registrations in that rush
  RingNode node;
  bool operator==(const ForensicPhoneRow&) const = default;
};

struct ForensicPersonRow {
  std::vector<Sighting> phones;  // distinct phones that booked or tried to book the person
  RingNode node;
  bool operator==(const ForensicPersonRow&) const = default;
};

// A phone's row and a person's hold both projections' parts, the detection's fields after the
// state's. The decisions read these rows anyway; with the detection's parts in rows of their own
// (fx/p/ and fx/i/, state layout 1) every registration read and wrote two rows more
// (docs/PROJECTIONS.md, "One row per phone and per person"). Each fold changes only its own part.
struct PhoneRow {
  std::string owner;  // PersonRef of the first adult the phone registered; empty if none yet
  bool blacklisted = false;
  ForensicPhoneRow forensics;  // the detection's part; all defaults with detection off
  bool operator==(const PhoneRow&) const = default;
};

struct PersonRow {
  std::string active_code;  // the booking not yet used (issued or arrived); empty if none
  ForensicPersonRow forensics;  // the detection's part; all defaults with detection off
  bool operator==(const PersonRow&) const = default;
};

// What happened to one session's bookings. issued = arrived-or-not-yet + forfeited + expired;
// completed and returned count arrived bookings whose documents were handled.
struct SessionCounts {
  std::uint32_t issued = 0;
  std::uint32_t arrived = 0;
  std::uint32_t forfeited = 0;
  std::uint32_t expired = 0;
  std::uint32_t completed = 0;
  std::uint32_t returned = 0;
  bool operator==(const SessionCounts&) const = default;
  // Totals over sessions or days.
  SessionCounts& operator+=(const SessionCounts& o) {
    issued += o.issued;
    arrived += o.arrived;
    forfeited += o.forfeited;
    expired += o.expired;
    completed += o.completed;
    returned += o.returned;
    return *this;
  }
};

// One office's day: the queue board.
struct DayRow {
  std::uint32_t issued = 0;  // bookings issued that day; queue numbers 1..issued, never reused
  // Per session start ("08:00"), kept by time rather than by position so that the fold does not
  // depend on the office configuration in force.
  std::map<std::string, SessionCounts> sessions;
  std::uint32_t Taken(const std::string& session) const {
    auto it = sessions.find(session);
    return it == sessions.end() ? 0 : it->second.issued;
  }
  bool operator==(const DayRow&) const = default;
};

// A booking's life: issued -> arrived -> completed | returned; issued -> forfeited | expired.
struct BookingRow {
  std::string code;
  std::string office;
  std::string date;     // YYYY-MM-DD
  std::string session;  // HH:MM
  std::uint32_t queue_number = 0;
  std::string phone;
  std::string person;  // PersonRef
  std::string name;
  std::string birth_date;
  std::string relation;
  std::string status = "issued";
  std::string arrive_by;               // RFC 3339 in the office's offset
  std::int64_t arrive_by_us = 0;       // the same instant, microseconds since the epoch
  std::string message_id;
  bool operator==(const BookingRow&) const = default;
};

struct ConfigRow {
  std::string digest;
  std::map<std::string, std::uint32_t> capacity;  // session start -> capacity, as configured
  std::uint32_t daily_quota = 0;
};

struct BlacklistRow {
  bool in_force = false;
  std::string reason;
  std::vector<std::uint64_t> evidence;  // sequence numbers
  bool automatic = false;
  std::string rule;
  std::string decided_by;  // the acting auditor (the event's cause actor); the rule if automatic
  std::string decided_at;  // RFC 3339 UTC
  std::string lifted_by;   // set once removed from the blacklist
  std::string lifted_reason;
};

struct FlagRow {
  std::string flag_id;
  std::string phone;
  std::string rule;
  std::uint32_t score = 0;
  std::vector<std::uint64_t> evidence;
  std::vector<std::string> persons;
  std::vector<std::string> phones;
  std::string detail;
  std::string raised_at;  // RFC 3339 UTC
  bool in_force = true;
  std::string cleared_by;
  std::string cleared_reason;
  // The offices of the evidence, as the flag recorded them (phone_flagged.v2); nullopt for a v1
  // flag, whose offices only its evidence events tell. Stored only when known.
  std::optional<std::vector<std::string>> offices;
};

// A queued reply the outbox has not yet delivered to WhatsApp (app/outbox.h). The row goes when
// the reply is sent or fails for good, so the outbox's work list is the ob/ prefix.
struct OutboxRow {
  std::string office;  // the office id; its WhatsApp number sends the reply
  std::string to;      // phone
  std::string text;
  std::string in_reply_to;     // the inbound message id
  std::uint32_t attempts = 0;  // send attempts made so far
  std::int64_t queued_us = 0;  // when the reply was queued (the envelope's recorded_at)
  std::int64_t due_us = 0;     // the earliest time of the next attempt
};

// The latest progress of a passport application (SIGAP), answered to its 16-digit number.
struct ApplicationRow {
  std::string office;
  std::string stage;
};

// ---- The detection projection (projections/forensics.h) ---------------------------------------

// The thresholds as recorded (rush_opens_at resolved into rush_opens_minute), and the office's
// clock.
struct ForensicConfigRow : domain::ForensicsThresholds {
  int utc_offset_minutes = 420;
  int rush_opens_minute = 0;  // local minutes after midnight
};

struct ForensicOfficeRow {
  std::uint32_t issued = 0;  // bookings issued
  std::uint32_t unused = 0;  // bookings expired or forfeited
};

struct BlockRow {
  std::vector<Sighting> phones;  // distinct phones of the block registering in the rush
};

// Sightings and evidence lists keep their newest entries, at most this many.
inline constexpr std::size_t kSightingsMax = 32;
inline constexpr std::size_t kEvidenceMax = 64;
inline constexpr std::size_t kRingMembersMax = 200;

std::string ForensicConfigRowKey(std::string_view office);
std::string ForensicOfficeRowKey(std::string_view office);
std::string BlockRowKey(std::string_view office, std::string_view date, std::string_view block);

std::string PhoneRowKey(std::string_view phone);
std::string PersonRowKey(std::string_view person_ref);
std::string DayRowKey(std::string_view office, std::string_view date);
std::string BookingRowKey(std::string_view code);
std::string ConfigRowKey(std::string_view office);
std::string ApplicationRowKey(std::string_view application_number);
std::string DeadlineRowKey(std::int64_t arrive_by_us, std::string_view code);
std::string BlacklistRowKey(std::string_view phone);
std::string FlagRowKey(std::string_view flag_id);
std::string OutboxRowKey(std::string_view reply_id);
std::string ProviderMessageRowKey(std::string_view provider_message_id);
inline constexpr std::string_view kDeadlinePrefix = "dl/";
inline constexpr std::string_view kBlacklistPrefix = "bl/";
inline constexpr std::string_view kFlagPrefix = "fl/";
inline constexpr std::string_view kOutboxPrefix = "ob/";
// The first key after every key under `prefix` (which ends in '/'): the upper bound of a scan of
// one projection's rows with Ledger::ScanState.
std::string PrefixEnd(std::string_view prefix);

std::string Encode(const PhoneRow& row);
std::string Encode(const PersonRow& row);
std::string Encode(const DayRow& row);
std::string Encode(const BookingRow& row);
std::string Encode(const ConfigRow& row);
std::string Encode(const ApplicationRow& row);
std::string Encode(const BlacklistRow& row);
std::string Encode(const FlagRow& row);
std::string Encode(const OutboxRow& row);
std::string Encode(const ForensicConfigRow& row);
std::string Encode(const ForensicOfficeRow& row);
std::string Encode(const ForensicPhoneRow& row);
std::string Encode(const ForensicPersonRow& row);
std::string Encode(const BlockRow& row);

// Corruption naming the row when the bytes are not a row of that kind.
Status Decode(std::string_view bytes, PhoneRow* row);
Status Decode(std::string_view bytes, PersonRow* row);
Status Decode(std::string_view bytes, DayRow* row);
Status Decode(std::string_view bytes, BookingRow* row);
Status Decode(std::string_view bytes, ConfigRow* row);
Status Decode(std::string_view bytes, ApplicationRow* row);
Status Decode(std::string_view bytes, BlacklistRow* row);
Status Decode(std::string_view bytes, FlagRow* row);
Status Decode(std::string_view bytes, OutboxRow* row);
Status Decode(std::string_view bytes, ForensicConfigRow* row);
Status Decode(std::string_view bytes, ForensicOfficeRow* row);
Status Decode(std::string_view bytes, ForensicPhoneRow* row);
Status Decode(std::string_view bytes, ForensicPersonRow* row);
Status Decode(std::string_view bytes, BlockRow* row);

// Decoded rows kept beside the bytes they were decoded from. A day's board and a booking are read
// by the decision, read again by the fold, written, and read again by the next command about
// them; decoding their JSON each time was 16% of the deciding thread's instructions
// (benchmarks/README.md, "Decoded rows"). An entry answers only a read of the same key that finds
// the same bytes, so it cannot answer with a row other than the one the stored bytes hold:
// decoding is a function of the bytes, and a row kept as it is written (WriteRow) is one whose
// encoding decodes back to it (checked there in debug builds, and in tests/projections).
// Bounded: a fixed number of slots per row type (kDecodedRowSlots), each key in the one slot its
// hash names, a newer entry replacing an older. Not thread-safe: one per deciding thread, or per
// replay.
inline constexpr std::size_t kDecodedRowSlots = 4096;

class DecodedRows {
 public:
  // The row types kept: the ones read and written most often, whose decoding costs the most.
  template <class Row>
  static constexpr bool kKept = std::is_same_v<Row, DayRow> || std::is_same_v<Row, BookingRow>;

  // The row `bytes` under `key` decode to, if kept; nullptr otherwise.
  template <class Row>
  requires kKept<Row>
  const Row* Find(std::string_view key, std::string_view bytes) const {
    const auto& slots = std::get<Slots<Row>>(slots_);
    if (slots.empty()) return nullptr;
    // A slot never used has an empty key, which no row's key is.
    const Slot<Row>& s = slots[SlotOf(key)];
    return s.key == key && s.bytes == bytes ? &s.row : nullptr;
  }
  // Keeps `row` as what `bytes` under `key` decode to.
  template <class Row>
  requires kKept<Row>
  void Keep(std::string_view key, std::string_view bytes, const Row& row) {
    auto& slots = std::get<Slots<Row>>(slots_);
    if (slots.empty()) slots.resize(kDecodedRowSlots);  // only once something is kept
    Slot<Row>& s = slots[SlotOf(key)];
    s.key.assign(key);
    s.bytes.assign(bytes);
    s.row = row;
  }

 private:
  template <class Row>
  struct Slot {
    std::string key;
    std::string bytes;
    Row row;
  };
  template <class Row>
  using Slots = std::vector<Slot<Row>>;
  static std::size_t SlotOf(std::string_view key) {
    return std::hash<std::string_view>{}(key) % kDecodedRowSlots;
  }

  std::tuple<Slots<DayRow>, Slots<BookingRow>> slots_;
};

// ---- Rows held as they are -------------------------------------------------------------------

// A row as a StateRows that holds rows (StateRows::holds_rows) keeps it until it writes it: the
// row itself for the kinds the folds change most (one of the row types below), its bytes for any
// other, or ErasedRow for a row removed. Replay's scratch rows hold each window of changed rows so
// and encode each row once, on the thread that writes the window, however often the folds read
// and changed it meanwhile: encoding and decoding the same day, booking, phone and person rows
// again and again was a third of the folding thread's time (benchmarks/README.md, "Held rows").
struct ErasedRow {
  bool operator==(const ErasedRow&) const = default;
};
using HeldRow = std::variant<ErasedRow, std::string, PhoneRow, PersonRow, DayRow, BookingRow,
                             ForensicOfficeRow, BlockRow, OutboxRow>;

// True for the row types a HeldRow holds as they are.
template <class Row>
inline constexpr bool kHeldAsRow =
    std::is_same_v<Row, PhoneRow> || std::is_same_v<Row, PersonRow> ||
    std::is_same_v<Row, DayRow> || std::is_same_v<Row, BookingRow> ||
    std::is_same_v<Row, ForensicOfficeRow> || std::is_same_v<Row, BlockRow> ||
    std::is_same_v<Row, OutboxRow>;

// The bytes a held row stands for (Encode of a row): nullopt for ErasedRow.
std::optional<std::string> HeldBytes(const HeldRow& row);

// Where a decision reads rows from. Implementations: the service's read-your-writes view over the
// ledger (service.cc), a scratch store during replay, plain maps in tests.
class StateReader {
 public:
  virtual ~StateReader() = default;
  // nullopt when the row does not exist; an error when it cannot be read. A held row is read as
  // its bytes (HeldBytes).
  virtual Result<std::optional<std::string>> Read(std::string_view key) = 0;
  // Where ReadRow and WriteRow may keep decoded rows between reads; nullptr: every read decodes.
  virtual DecodedRows* decoded() { return nullptr; }
  // True when this reader holds rows as they are (HeldRow): ReadRow then asks ReadHeld.
  virtual bool holds_rows() const { return false; }
  // The row under `key` as held: a copy of the row itself, its bytes, or ErasedRow when there is
  // none. Only asked when holds_rows(); this default answers from Read.
  virtual Result<HeldRow> ReadHeld(std::string_view key);
};

// Rows the fold reads and writes. A write must be visible to the next Read of the same key.
class StateRows : public StateReader {
 public:
  virtual void Write(std::string key, std::string value) = 0;
  // Removes a row; the next Read of the key returns nullopt.
  virtual void Erase(std::string key) = 0;
  // Keeps `row` under `key` as it is, to be encoded when written (holds_rows()); WriteRow calls
  // it for the kinds kHeldAsRow names. This default writes its bytes at once.
  virtual void Hold(std::string key, HeldRow row);
  // The row held under `key` among the rows being changed, for EditRow to change in place;
  // nullptr when there is none there (always, for rows that do not hold rows).
  virtual HeldRow* HeldForChange(std::string_view key) {
    (void)key;
    return nullptr;
  }
};

inline constexpr std::string_view kCheckpointKey = "checkpoint/decision_state";

// Decodes the bytes read under `key`: Corruption naming the row when they do not decode.
template <class Row>
Result<Row> DecodeRowAt(const std::string& key, std::string_view bytes) {
  Row row;
  if (auto s = Decode(bytes, &row); !s.ok()) {
    return Status::Corruption("state row " + key + ": " + s.message());
  }
  return row;
}

// Reads and decodes a row; nullopt when absent.
template <class Row>
Result<std::optional<Row>> ReadRow(StateReader& reader, const std::string& key) {
  if constexpr (kHeldAsRow<Row>) {
    if (reader.holds_rows()) {
      auto held = reader.ReadHeld(key);
      if (!held.ok()) return held.status();
      if (Row* row = std::get_if<Row>(&*held)) return std::optional<Row>(std::move(*row));
      if (std::holds_alternative<ErasedRow>(*held)) return std::optional<Row>();
      // Bytes (a row not held), or a row of another kind under this key: decoded as any reader
      // would see them.
      if (!std::holds_alternative<std::string>(*held)) *held = *HeldBytes(*held);
      auto row = DecodeRowAt<Row>(key, std::get<std::string>(*held));
      if (!row.ok()) return row.status();
      return std::optional<Row>(std::move(*row));
    }
  }
  auto bytes = reader.Read(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Row>();
  DecodedRows* kept = nullptr;
  if constexpr (DecodedRows::kKept<Row>) {
    kept = reader.decoded();
    if (kept != nullptr) {
      if (const Row* row = kept->Find<Row>(key, **bytes)) return std::optional<Row>(*row);
    }
  }
  auto row = DecodeRowAt<Row>(key, **bytes);
  if (!row.ok()) return row.status();
  if constexpr (DecodedRows::kKept<Row>) {
    if (kept != nullptr) kept->Keep<Row>(key, **bytes, *row);
  }
  return std::optional<Row>(std::move(*row));
}

// Writes `row` under `key`: held as it is where `rows` holds rows (StateRows::Hold); otherwise
// encoded, and kept decoded where `rows` keeps decoded rows (DecodedRows), so that the next read
// of the key need not decode what was just encoded.
template <class Row>
void WriteRow(StateRows& rows, std::string key, Row&& row) {
  using Plain = std::remove_cvref_t<Row>;
  if constexpr (kHeldAsRow<Plain>) {
    if (rows.holds_rows()) {
      rows.Hold(std::move(key), HeldRow(std::in_place_type<Plain>, std::forward<Row>(row)));
      return;
    }
  }
  std::string bytes = Encode(row);
  if constexpr (DecodedRows::kKept<Plain>) {
    if (DecodedRows* kept = rows.decoded()) {
#ifndef NDEBUG
      // The entry stands for Decode(bytes): it must be the row itself.
      const auto decoded = DecodeRowAt<Plain>(key, bytes);
      assert(decoded.ok() && *decoded == row);
#endif
      kept->Keep<Plain>(key, bytes, row);
    }
  }
  rows.Write(std::move(key), std::move(bytes));
}

// A row read to be changed and written back (EditRow). Where the rows hold it among the rows
// being changed, the edit is that held row itself: no copy, and no second lookup to write it back
// (copying rows out of replay's window and moving them back was a fifth of the folding thread).
// Otherwise the edit is a copy, which Commit writes. So: change the row only when it will be
// committed, and write no other row under the same key before Commit.
template <class Row>
class RowEdit {
 public:
  RowEdit(Row* held) : held_(held) {}  // NOLINT: made by EditRow only
  RowEdit(std::string key, Row copy) : key_(std::move(key)), copy_(std::move(copy)) {}
  Row& operator*() { return copy_ ? *copy_ : *held_; }
  Row* operator->() { return copy_ ? &*copy_ : held_; }
  // Writes the changed row (nothing left to do for a held row, already changed in place).
  void Commit(StateRows& rows) && {
    if (copy_) WriteRow(rows, std::move(key_), std::move(*copy_));
  }

 private:
  Row* held_ = nullptr;
  std::string key_;
  std::optional<Row> copy_;
};

// Reads and decodes a row; a default-constructed row when absent.
template <class Row>
Result<Row> LoadRow(StateReader& reader, const std::string& key) {
  auto row = ReadRow<Row>(reader, key);
  if (!row.ok()) return row.status();
  return row->value_or(Row{});
}

// Reads a row to change it: the held row itself where the rows hold it among the rows being
// changed, otherwise a copy as LoadRow reads it (a default row when absent).
template <class Row>
Result<RowEdit<Row>> EditRow(StateRows& rows, std::string key) {
  if constexpr (kHeldAsRow<Row>) {
    if (HeldRow* held = rows.HeldForChange(key)) {
      if (Row* row = std::get_if<Row>(held)) return RowEdit<Row>(row);
    }
  }
  auto row = LoadRow<Row>(rows, key);
  if (!row.ok()) return row.status();
  return RowEdit<Row>(std::move(key), std::move(*row));
}

}  // namespace antrean::projections
