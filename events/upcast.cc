#include "events/upcast.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>

#include "events/codec.h"
#include "events/event_types.h"
#include "store/ledger.h"

namespace antrean::events {
namespace {

namespace json = boost::json;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A v1 payload parsed and checked: an object of exactly `fields`, each a string. The error, if
// any, comes back without the type name.
std::optional<json::object> ParseStringObject(std::string_view text,
                                              std::initializer_list<std::string_view> fields,
                                              std::string* error) {
  if (text.size() > store::kPayloadBytesMax) {
    *error = "payload of " + std::to_string(text.size()) + " bytes is over the limit of " +
             std::to_string(store::kPayloadBytesMax);
    return std::nullopt;
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    *error = "not valid JSON at offset " + std::to_string(consumed) +
             ": unexpected data after the JSON value";
    return std::nullopt;
  }
  if (ec) {
    *error = "not valid JSON at offset " + std::to_string(consumed) + ": " + ec.message();
    return std::nullopt;
  }
  parser.finish(ec);
  if (ec) {
    *error = "not valid JSON at offset " + std::to_string(text.size()) + ": " + ec.message();
    return std::nullopt;
  }
  json::value v = parser.release();
  if (!v.is_object()) {
    *error = "the payload must be a JSON object";
    return std::nullopt;
  }
  json::object& o = v.get_object();
  for (const auto& kv : o) {
    const std::string_view key(kv.key().data(), kv.key().size());
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      // Field names from the input are shown only as far as they are printable ASCII.
      std::string shown;
      for (char c : key.substr(0, 64))
        shown.push_back((c >= 0x20 && c < 0x7F && c != '"') ? c : '?');
      *error = "unknown field \"" + shown + "\"";
      return std::nullopt;
    }
  }
  for (std::string_view field : fields) {
    const json::value* f = o.if_contains(field);
    if (f == nullptr) {
      *error = "missing required field \"" + std::string(field) + "\"";
      return std::nullopt;
    }
    if (!f->is_string()) {
      *error = "field \"" + std::string(field) + "\": expected a string";
      return std::nullopt;
    }
  }
  return std::move(o);
}

std::string Str(const json::object& o, std::string_view field) {
  const json::string& s = o.at(field).get_string();
  return std::string(s.data(), s.size());
}

Result<Upcasted> RegistrationRejectedV1ToV2(std::string_view payload_json) {
  std::string error;
  std::optional<json::object> v1 =
      ParseStringObject(payload_json, {"message_id", "office", "phone", "reason"}, &error);
  if (!v1) return Status::InvalidArgument(std::string(kRegistrationRejectedV1) + ": " + error);
  RegistrationRejected v2;
  v2.message_id = Str(*v1, "message_id");
  v2.office = Str(*v1, "office");
  v2.phone = Str(*v1, "phone");
  v2.detail = Str(*v1, "reason");
  v2.reason = std::string(RejectionReasonFromV1Text(v2.detail));
  return Upcasted{std::string(RegistrationRejected::kType), EncodePayload(v2)};
}

// v1's fields are v2's but "offices", in the same order, so the v1 payload is a v2 payload whose
// offices are not recorded. Only a v1 payload naming "offices" is refused here (v1 had none); the
// rest is checked by v2's decoder.
Result<Upcasted> PhoneFlaggedV1ToV2(std::string_view payload_json) {
  boost::system::error_code ec;
  json::value v = json::parse(payload_json, ec);
  if (!ec && v.is_object() && v.get_object().contains("offices")) {
    return Status::InvalidArgument(std::string(kPhoneFlaggedV1) + ": unknown field \"offices\"");
  }
  return Upcasted{std::string(PhoneFlagged::kType), std::string(payload_json)};
}

}  // namespace

bool IsOldType(std::string_view type) {
  return std::find(kUpcastTypeNames.begin(), kUpcastTypeNames.end(), type) !=
         kUpcastTypeNames.end();
}

std::string_view RejectionReasonFromV1Text(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  std::string normal;
  normal.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '-') c = '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    normal.push_back(c);
  }
  for (const ReasonCode& r : kRegistrationRejectionReasons) {
    if (r.code == normal) return r.code;
  }
  return "unreadable_message";
}

Result<Upcasted> Upcast(std::string_view type, std::string_view payload_json) {
  try {
    if (type == kRegistrationRejectedV1) return RegistrationRejectedV1ToV2(payload_json);
    if (type == kPhoneFlaggedV1) return PhoneFlaggedV1ToV2(payload_json);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string(type) + ": cannot upcast: " + e.what());
  }
  std::string shown;
  for (char c : type.substr(0, 64)) shown.push_back((c >= 0x20 && c < 0x7F && c != '"') ? c : '?');
  return Status::InvalidArgument("\"" + shown + "\" is not an old event type name");
}

}  // namespace antrean::events
