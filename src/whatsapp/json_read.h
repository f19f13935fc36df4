// Reading Meta's JSON without exceptions: shared by webhook.cc and graph.cc, not by callers
// outside src/whatsapp/ (it brings Boost.JSON's headers with it).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace antrean::whatsapp::detail {

namespace json = boost::json;

// One complete JSON text, nested at most `depth_max` levels. InvalidArgument
// "<what>: not valid JSON at offset N: ..." otherwise.
Result<json::value> ParseJson(std::string_view text, std::string_view what, std::size_t depth_max);

inline std::string_view View(const json::string& s) { return {s.data(), s.size()}; }
inline std::string ToStd(const json::string& s) { return {s.data(), s.size()}; }
inline json::string ToJson(std::string_view s) { return json::string(s.data(), s.size()); }

// The member at `keys` below `o` (o[k0][k1]...), or nullptr when any step is missing or not an
// object.
const json::value* Dig(const json::object& o, std::initializer_list<std::string_view> keys);
const json::string* DigString(const json::object& o, std::initializer_list<std::string_view> keys);

// The string member `key` of `o` when it is non-empty and at most `bytes_max` bytes; otherwise
// nullptr, and `why` says what is wrong ("missing", "empty", ...).
const json::string* RequiredString(const json::object& o, std::string_view key,
                                   std::size_t bytes_max, std::string* why);
// The same without the reason: a field we can do without.
std::optional<std::string> OptionalString(const json::object& o, std::string_view key,
                                          std::size_t bytes_max);

// An error "code" as a decimal string: Meta sends a number, a string is taken as given (when
// short). nullopt for anything else.
std::optional<std::string> CodeString(const json::value* code);

// "an object", "an array", "a string", "a number", "true or false", "null": for messages.
std::string_view KindName(const json::value& v);

}  // namespace antrean::whatsapp::detail
