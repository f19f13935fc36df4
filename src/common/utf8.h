// UTF-8 helpers shared by every place that cuts text to a byte limit (event fields, index keys,
// log excerpts, terminal lines).
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

}  // namespace antrean
