// JSON text written directly (common/json_text.h) is byte for byte what Boost.JSON writes: the
// ledger's payloads and rows were written by Boost.JSON before, and must not change form.
#include "common/json_text.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace antrean::json_text {
namespace {

std::string Boost(std::string_view text) {
  return boost::json::serialize(boost::json::string(text.data(), text.size()));
}

std::string Ours(std::string_view text) {
  std::string out = "prefix:";  // appends: what is there stays
  AppendString(out, text);
  return out.substr(7);
}

TEST(JsonText, StringsAreEscapedExactlyAsBoostJsonEscapesThem) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("plain"), std::string_view("a\"b\\c"),
        std::string_view("line\nbreak\ttab\r\b\f"), std::string_view("\x01\x1f\x7f", 3),
        std::string_view("Kode booking: K7Q2M9XPA\nNomor antrean: 17"),
        std::string_view("caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x98\x80 \xFF\xC0", 18),
        std::string_view("\0\0\0\0\0\0\0\0\0", 9), std::string_view("12345678\"")}) {
    EXPECT_EQ(Ours(text), Boost(text)) << text;
  }
}

// Random text of every length up to 80, from bytes that are mostly plain with the escaped ones
// mixed in at every position of an 8-byte word, and from every byte value.
TEST(JsonText, RandomTextOfAnyLengthMatchesBoostJson) {
  const unsigned char kMostlyPlain[] = {'a', 'Z',  ' ',  '#',  '9',  0x7F, 0xC3, 0xA9, 0x80, 0xFF,
                                        '"', '\\', '\n', 0x00, 0x1F, 0x20, 0x21, 0x5B, 0x5D, 0x5C};
  std::mt19937 rng(20261122);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 81, '\0');
    const bool any_byte = i % 2 == 0;
    for (char& c : text) {
      c = static_cast<char>(any_byte ? rng() % 256
                                     : (rng() % 8 == 0 ? kMostlyPlain[rng() % sizeof kMostlyPlain]
                                                       : 'a' + rng() % 26));
    }
    ASSERT_EQ(Ours(text), Boost(text)) << "case " << i;
  }
}

TEST(JsonText, IntegersAndBooleans) {
  std::string out;
  AppendInteger(out, std::numeric_limits<std::uint64_t>::max());
  out += ',';
  AppendInteger(out, std::int64_t{-42});
  out += ',';
  AppendInteger(out, std::uint32_t{0});
  out += ',';
  AppendBool(out, true);
  out += ',';
  AppendBool(out, false);
  EXPECT_EQ(out, "18446744073709551615,-42,0,true,false");
}

}  // namespace
}  // namespace antrean::json_text
