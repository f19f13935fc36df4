// SHA-256 and HMAC-SHA256 through OpenSSL's libcrypto (see README: "Why OpenSSL").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace antrean {

using Hash256 = std::array<std::uint8_t, 32>;

Hash256 Sha256(std::string_view bytes);
Hash256 HmacSha256(std::string_view key, std::string_view message);

// Lower-case hex, 64 characters for a Hash256.
std::string ToHex(std::string_view bytes);
std::string ToHex(const Hash256& hash);
// Parses exactly 64 hex digits (either case); false on anything else.
bool ParseHash256Hex(std::string_view hex, Hash256* out);

// `n` bytes from the OS's cryptographic random source (OpenSSL RAND_bytes); empty on failure.
std::string RandomBytes(std::size_t n);

// Compares without an early exit, so that timing does not tell where two MACs differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);
bool ConstantTimeEqual(const Hash256& a, const Hash256& b);

}  // namespace antrean
