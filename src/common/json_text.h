// JSON text written directly, byte for byte as boost::json::serialize writes the same values: the
// event payloads (events/codec.cc) and the state rows (projections/decision_state.cc) are encoded
// on every event decided, and building a boost::json::object first cost an allocation per member.
// Boost.JSON's escapes: \" \\ \b \f \n \r \t, any other control character as \u00xx in lower-case
// hex, every other byte as it is (so text that is not UTF-8 is written as it is, and refused when
// read back). Tests compare both writers with Boost.JSON for every event and row type.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>

namespace antrean::json_text {

// Appends `v` as a JSON string, quotes included.
inline void AppendString(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::string_view kShortFrom = "\"\\\b\f\n\r\t", kShortTo = "\"\\bfnrt";
  out.push_back('"');
  std::size_t run = 0;  // bytes copied as they are, in one append
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(v.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    if (const auto k = kShortFrom.find(static_cast<char>(c)); k != std::string_view::npos) {
      out.push_back(kShortTo[k]);
    } else {
      out.append("u00", 3);
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out.append(v.data() + run, v.size() - run);
  out.push_back('"');
}

// Appends an integer in decimal.
template <class Int>
requires std::is_integral_v<Int> &&
    (!std::is_same_v<Int, bool>)void AppendInteger(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void AppendBool(std::string& out, bool v) { out.append(v ? "true" : "false"); }

}  // namespace antrean::json_text
