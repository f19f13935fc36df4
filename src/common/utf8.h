// UTF-8 helpers shared by every place that cuts text to a byte limit (event fields, index keys,
// log excerpts, terminal lines) or reads it strictly (the message parser, the webhook builder's
// escaping, events::Validate).
#pragma once

#include <cstddef>
#include <string_view>

namespace antrean {

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence: the cut backs up over continuation bytes (10xxxxxx). The whole text when it fits.
inline std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

// The code point of the UTF-8 sequence at s[i] into *cp, and its length in bytes (1 for ASCII);
// 0 when the bytes there are not UTF-8 as RFC 3629 defines it: a stray continuation byte, an
// overlong form, a surrogate, above U+10FFFF, or a sequence cut short. What JSON parsers accept.
inline std::size_t DecodeUtf8At(std::string_view s, std::size_t i, char32_t* cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t n = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2, min = 0x80, *cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3, min = 0x800, *cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4, min = 0x10000, *cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (byte(i + k) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

// The offset of the first byte of `s` that does not begin a valid UTF-8 sequence
// (DecodeUtf8At); npos when all of `s` is UTF-8.
inline std::size_t FirstInvalidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = DecodeUtf8At(s, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace antrean
