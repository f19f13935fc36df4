#include "whatsapp/json_read.h"

#include <boost/json/error.hpp>
#include <boost/json/parser.hpp>

namespace antrean::whatsapp::detail {

namespace {
// Error codes are short numbers; a longer "code" is not one.
constexpr std::size_t kCodeBytesMax = 32;
}  // namespace

Result<json::value> ParseJson(std::string_view text, std::string_view what, std::size_t depth_max) {
  json::parse_options options;
  options.max_depth = depth_max;
  json::parser parser(json::storage_ptr(), options);
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  const std::string where = std::string(what) + ": ";
  if (ec == json::error::too_deep) {
    return Status::InvalidArgument(where + "nested deeper than " + std::to_string(depth_max) +
                                   " levels at offset " + std::to_string(consumed));
  }
  if (ec) {
    return Status::InvalidArgument(where + "not valid JSON at offset " + std::to_string(consumed) +
                                   ": " + ec.message());
  }
  return parser.release();
}

const json::value* Dig(const json::object& o, std::initializer_list<std::string_view> keys) {
  const json::object* at = &o;
  const json::value* v = nullptr;
  for (std::string_view key : keys) {
    if (at == nullptr) return nullptr;
    v = at->if_contains(key);
    at = v != nullptr ? v->if_object() : nullptr;
  }
  return v;
}

const json::string* DigString(const json::object& o, std::initializer_list<std::string_view> keys) {
  const json::value* v = Dig(o, keys);
  return v != nullptr ? v->if_string() : nullptr;
}

const json::string* RequiredString(const json::object& o, std::string_view key,
                                   std::size_t bytes_max, std::string* why) {
  const json::value* v = o.if_contains(key);
  const json::string* s = v != nullptr ? v->if_string() : nullptr;
  if (v == nullptr) {
    *why = "missing";
  } else if (s == nullptr) {
    *why = "expected a string, got " + std::string(KindName(*v));
  } else if (s->empty()) {
    *why = "empty";
  } else if (s->size() > bytes_max) {
    *why = std::to_string(s->size()) + " bytes, more than " + std::to_string(bytes_max);
  } else {
    return s;
  }
  return nullptr;
}

std::optional<std::string> OptionalString(const json::object& o, std::string_view key,
                                          std::size_t bytes_max) {
  std::string why;
  const json::string* s = RequiredString(o, key, bytes_max, &why);
  if (s == nullptr) return std::nullopt;
  return ToStd(*s);
}

std::optional<std::string> CodeString(const json::value* code) {
  if (code == nullptr) return std::nullopt;
  if (const std::int64_t* i = code->if_int64()) return std::to_string(*i);
  if (const std::uint64_t* u = code->if_uint64()) return std::to_string(*u);
  const json::string* s = code->if_string();
  if (s != nullptr && !s->empty() && s->size() <= kCodeBytesMax) return ToStd(*s);
  return std::nullopt;
}

std::string_view KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::string:
      return "a string";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::bool_:
      return "true or false";
    case json::kind::null:
      return "null";
  }
  return "an unknown kind of value";
}

}  // namespace antrean::whatsapp::detail
