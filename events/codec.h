// Encoding events as canonical JSON payloads and decoding them back, checked.
//
// Canonical payload: one JSON object whose members appear in the order the struct declares its
// fields, with no whitespace; an empty std::optional is left out, everything else is always written
// (vectors included, as [] when empty). The same struct always gives the same bytes, which matters
// because the payload bytes are hashed into the ledger's chain.
//
// Decoding is strict: a stored event has exactly the fields its type says. It rejects, with
// Status::InvalidArgument and a message naming the type and the field:
//   not JSON, a payload over store::kPayloadBytesMax, a JSON value that is not an object,
//   a missing required field, a field of the wrong JSON kind, an integer out of range,
//   a field not of its documented form (dates, times, instants, phones, reason codes, ...),
//   an unknown field, an unknown type name.
// Old type names are upcast first (events/upcast.h). Decoding never throws and never aborts, for
// any input bytes.
#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/status.h"
#include "events/event.h"
#include "store/ledger.h"

namespace antrean::events {

// The canonical JSON payload of `event`. Never fails; an event built with values not of their
// documented form encodes, but DecodeEvent (and Validate) will refuse it.
std::string EncodePayload(const Event& event);

// The event stored as `type` with payload `payload_json`. An old type name (see upcast.h) is
// converted to the current version first. Errors: InvalidArgument, as listed above.
Result<Event> DecodeEvent(std::string_view type, std::string_view payload_json);

// What to hand to store::Ledger::Append: the type name, IndexKeys(event), EncodePayload(event).
store::NewEvent ToNewEvent(const Event& event);

// OK exactly when `event` encodes to a payload that DecodeEvent accepts (tested against the round
// trip); otherwise InvalidArgument naming the event type and the first field that is wrong, in
// DecodeEvent's words (for text that is not UTF-8, where the parser would name an offset in the
// payload, the field and the byte). Decisions call it before appending, so that nothing
// undecodable reaches the ledger. It checks the typed fields rather than parsing the payload back
// (a fifth of the instructions of decoding, on the service's deciding thread); `payload`, when
// given, must be EncodePayload(event), and its size is checked against store::kPayloadBytesMax.
Status Validate(const Event& event);
Status Validate(const Event& event, std::string_view payload);

// A phone in the events' form (event_types.h, "Value conventions"): E.164 without the "+", 7 to
// 15 digits, the first (the country code's) not 0. For callers that must check a value from
// outside (a WhatsApp wa_id) before an event carries it.
bool IsPhone(std::string_view s);

// The canonical bytes of an office configuration: members sorted by key (bytewise) at every depth,
// serialized by Boost.JSON without whitespace. Payloads store the configuration in this form.
std::string CanonicalConfig(const boost::json::object& config);

// Lower-case hex SHA-256 of CanonicalConfig(config): OfficeConfigurationApplied::config_digest.
std::string ConfigDigest(const boost::json::object& config);

// ---- Boost.JSON conversions -------------------------------------------------------------------
// value_from(e) gives the canonical object of any event struct (or Media); value_to<T>(v) decodes
// one, checked as DecodeEvent does, and throws std::invalid_argument with the same message on
// failure. Both are defined in codec.cc for exactly the event structs and Media.

template <class T>
concept EventStruct = std::is_same_v<T, Media> || requires {
  T::kType;
};

template <EventStruct T>
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const T& e);

template <EventStruct T>
T tag_invoke(const boost::json::value_to_tag<T>&, const boost::json::value& jv);

}  // namespace antrean::events
