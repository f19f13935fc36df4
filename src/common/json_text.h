// JSON text written directly, byte for byte as boost::json::serialize writes the same values: the
// event payloads (events/codec.cc) and the state rows (projections/decision_state.cc) are encoded
// on every event decided, and building a boost::json::object first cost an allocation per member.
// Boost.JSON's escapes: \" \\ \b \f \n \r \t, any other control character as \u00xx in lower-case
// hex, every other byte as it is (so text that is not UTF-8 is written as it is, and refused when
// read back). Tests compare both writers with Boost.JSON for every event and row type.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace antrean::json_text {

namespace detail {
// True if any of the 8 bytes of `w` is below 0x20, '"' or '\\': the bytes a JSON string escapes.
// Bit tricks on a whole word ("has a zero byte", "has a byte less than n"): exact as to whether
// any byte matches, which is all the caller asks.
inline bool AnyToEscape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101u, kHigh = 0x8080808080808080u;
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  const std::uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
  const std::uint64_t quote = (q - kOnes) & ~q & kHigh, backslash = (b - kOnes) & ~b & kHigh;
  return (below_space | quote | backslash) != 0;
}

// The offset of the first byte at or after `from` that a JSON string escapes; v.size() if none.
// Eight bytes are looked at together, and one by one only in a word that holds such a byte.
inline std::size_t NextToEscape(std::string_view v, std::size_t from) {
  std::size_t i = from;
  for (; i + 8 <= v.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, v.data() + i, 8);
    if (AnyToEscape(w)) break;
  }
  for (; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return i;
}
}  // namespace detail

// Appends `v` as a JSON string, quotes included. Text is mostly plain (names, codes, replies):
// plain text is copied with its quotes in one step (most strings are short, and reserving, then
// appending quote, text and quote one by one cost more than finding that nothing is escaped);
// otherwise the plain runs between escapes are each appended at once.
inline void AppendString(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::string_view kShortFrom = "\"\\\b\f\n\r\t", kShortTo = "\"\\bfnrt";
  std::size_t i = detail::NextToEscape(v, 0);
  if (i == v.size()) {
    const std::size_t at = out.size();
    out.resize(at + v.size() + 2);
    char* p = out.data() + at;
    p[0] = '"';
    if (!v.empty()) std::memcpy(p + 1, v.data(), v.size());
    p[v.size() + 1] = '"';
    return;
  }
  out.reserve(out.size() + v.size() + 8);
  out.push_back('"');
  std::size_t run = 0;  // the start of the plain bytes not yet appended
  for (; i < v.size(); i = detail::NextToEscape(v, i + 1)) {
    const auto c = static_cast<unsigned char>(v[i]);
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
void AppendInteger(std::string& out, Int v) {
  static_assert(std::is_integral_v<Int> && !std::is_same_v<Int, bool>, "an integer");
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void AppendBool(std::string& out, bool v) { out.append(v ? "true" : "false"); }

// One JSON object written member by member: '{' when made, Key before each member's value, Close
// for the '}'. The row and payload writers build on it and write the values.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  void Key(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    AppendString(out_, name);
    out_.push_back(':');
  }
  void Close() { out_.push_back('}'); }

 protected:
  std::string& out_;

 private:
  bool first_ = true;
};

}  // namespace antrean::json_text
