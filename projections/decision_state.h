// The decision state: a projection of the events that the decision step reads. FoldEvent is its
// pure fold; the service applies it to every event it appends and writes the rows in the same
// batch as the events (docs/DECISIONS.md), and `antrean replay` applies it to the whole log to
// check that the live rows are exactly what the events say.
//
// Rows are small JSON objects under these keys:
//   ph/<phone>            PhoneRow    who owns the phone, whether it is blacklisted
//   pe/<NAME|YYYY-MM-DD>  PersonRow   the person's booking not yet used, if any
//   dy/<office>|<date>    DayRow      bookings issued per session; the next queue number
//   bk/<code>             BookingRow  one booking and its status
//   cf/<office>           ConfigRow   digest of the office configuration last applied
//   ap/<16 digits>        ApplicationRow  the latest progress of a passport application
// Memory use does not grow with history: only the rows a decision touches are read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/event.h"

namespace antrean::projections {

struct PhoneRow {
  std::string owner;  // PersonRef of the first adult the phone registered; empty if none yet
  bool blacklisted = false;
};

struct PersonRow {
  std::string active_code;  // the booking not yet used (issued or arrived); empty if none
};

struct DayRow {
  std::uint32_t issued = 0;  // bookings issued that day; queue numbers 1..issued
  // Bookings per session start ("08:00"), kept by time rather than by position so that the fold
  // does not depend on the office configuration in force.
  std::map<std::string, std::uint32_t> per_session;
  std::uint32_t Taken(const std::string& session) const {
    auto it = per_session.find(session);
    return it == per_session.end() ? 0 : it->second;
  }
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
};

struct ConfigRow {
  std::string digest;
};

// The latest progress of a passport application (SIGAP), answered to its 16-digit number.
struct ApplicationRow {
  std::string office;
  std::string stage;
};

std::string PhoneRowKey(std::string_view phone);
std::string PersonRowKey(std::string_view person_ref);
std::string DayRowKey(std::string_view office, std::string_view date);
std::string BookingRowKey(std::string_view code);
std::string ConfigRowKey(std::string_view office);
std::string ApplicationRowKey(std::string_view application_number);

std::string Encode(const PhoneRow& row);
std::string Encode(const PersonRow& row);
std::string Encode(const DayRow& row);
std::string Encode(const BookingRow& row);
std::string Encode(const ConfigRow& row);
std::string Encode(const ApplicationRow& row);

// Corruption naming the row when the bytes are not a row of that kind.
Status Decode(std::string_view bytes, PhoneRow* row);
Status Decode(std::string_view bytes, PersonRow* row);
Status Decode(std::string_view bytes, DayRow* row);
Status Decode(std::string_view bytes, BookingRow* row);
Status Decode(std::string_view bytes, ConfigRow* row);
Status Decode(std::string_view bytes, ApplicationRow* row);

// Where a decision reads rows from. Implementations: the service's read-your-writes view over the
// ledger (service.cc), a scratch store during replay, plain maps in tests.
class StateReader {
 public:
  virtual ~StateReader() = default;
  // nullopt when the row does not exist; an error when it cannot be read.
  virtual Result<std::optional<std::string>> Read(std::string_view key) = 0;
};

// Rows the fold reads and writes. A write must be visible to the next Read of the same key.
class StateRows : public StateReader {
 public:
  virtual void Write(std::string key, std::string value) = 0;
};

// Folds one event into the rows it changes. Events that change no decision row are ignored.
// Corruption if an existing row cannot be decoded; InvalidArgument if the event's own fields do
// not have their documented form (an instant that does not parse).
Status FoldEvent(const events::Event& event, StateRows& rows);

// The state column family key holding the sequence number the decision state has reached.
inline constexpr std::string_view kCheckpointKey = "checkpoint/decision_state";

// Reads and decodes a row; nullopt when absent.
template <class Row>
Result<std::optional<Row>> ReadRow(StateReader& reader, const std::string& key) {
  auto bytes = reader.Read(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Row>();
  Row row;
  if (auto s = Decode(**bytes, &row); !s.ok()) {
    return Status::Corruption("state row " + key + ": " + s.message());
  }
  return std::optional<Row>(std::move(row));
}

}  // namespace antrean::projections
