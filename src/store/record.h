// The event record's byte layout (docs/FORMAT.md, "The event record"). Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/ledger.h"

namespace antrean::store::record {

inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::size_t kVersionOffset = 0;
inline constexpr std::size_t kSeqOffset = kVersionOffset + 1;              // 1
inline constexpr std::size_t kRecordedAtOffset = kSeqOffset + 8;           // 9
inline constexpr std::size_t kPrevHashOffset = kRecordedAtOffset + 8;      // 17
inline constexpr std::size_t kVariablePartOffset = kPrevHashOffset + 32;   // 49
inline constexpr std::size_t kHashBytes = 32;
// Smallest record: header, four empty strings, key count, payload length, hash.
inline constexpr std::size_t kRecordBytesMin = kVariablePartOffset + 4 * 2 + 1 + 4 + kHashBytes;
static_assert(kVariablePartOffset == 49, "docs/FORMAT.md names offset 49 for `type`");
static_assert(kIndexKeysPerEventMax <= 255, "key_count is one byte");
static_assert(kIndexKeyBytesMax <= 0xFFFF && kCauseFieldBytesMax <= 0xFFFF &&
                  kEventTypeBytesMax <= 0xFFFF,
              "str lengths are two bytes");
static_assert(kPayloadBytesMax <= 0xFFFFFFFFu, "payload length is four bytes");

// Big-endian fixed-width integers, so that RocksDB's byte order is numeric order.
void PutFixed64BE(std::string* dst, std::uint64_t v);
std::uint64_t GetFixed64BE(const char* p);
void PutFixed32BE(std::string* dst, std::uint32_t v);
std::uint32_t GetFixed32BE(const char* p);

// The `events` column family key of `seq`.
std::string EventKey(std::uint64_t seq);
// False if `key` is not 8 bytes.
bool ParseEventKey(std::string_view key, std::uint64_t* seq);

// `index` column family: index key ‖ 0x00 ‖ seq (8 bytes BE).
std::string IndexEntryKey(std::string_view index_key, std::uint64_t seq);
// Splits an index entry key; false if it has no 0x00 separator at size-9.
bool ParseIndexEntryKey(std::string_view entry, std::string_view* index_key, std::uint64_t* seq);

// `idempotency` column family value: first_seq (8 bytes BE) ‖ count (4 bytes BE).
std::string IdempotencyValue(std::uint64_t first_seq, std::uint32_t count);
bool ParseIdempotencyValue(std::string_view value, std::uint64_t* first_seq, std::uint32_t* count);

// Checks one event against the limits of docs/FORMAT.md. Names the offending field.
Status ValidateEvent(const NewEvent& event, const AppendRequest& request);

// Encodes the whole record with seq 0 and a zero prev_hash and no hash. The writer later calls
// Seal, which fills in seq and prev_hash and appends the hash. Splitting it so lets callers encode
// on their own threads and leaves the single writer thread only the chained part.
std::string EncodeUnsealed(const NewEvent& event, const AppendRequest& request,
                           std::int64_t recorded_at_us);
// Writes seq and prev_hash into an unsealed record and appends SHA-256 of the body. Returns the hash.
Hash256 Seal(std::string* unsealed, std::uint64_t seq, const Hash256& prev_hash);

// Parses a stored record's structure (not its hash). The views point into `value`.
Status Decode(std::string_view value, EventView* out);
// SHA-256 over everything but the trailing hash. `value` must be at least kHashBytes long.
Hash256 ComputeHash(std::string_view value);

}  // namespace antrean::store::record
