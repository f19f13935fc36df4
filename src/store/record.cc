#include "store/record.h"

#include <cstring>

namespace antrean::store::record {

void PutFixed64BE(std::string* dst, std::uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  dst->append(buf, 8);
}

std::uint64_t GetFixed64BE(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutFixed32BE(std::string* dst, std::uint32_t v) {
  char buf[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
  dst->append(buf, 4);
}

std::uint32_t GetFixed32BE(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string EventKey(std::uint64_t seq) {
  std::string k;
  k.reserve(8);
  PutFixed64BE(&k, seq);
  return k;
}

bool ParseEventKey(std::string_view key, std::uint64_t* seq) {
  if (key.size() != 8) return false;
  *seq = GetFixed64BE(key.data());
  return true;
}

std::string IndexEntryKey(std::string_view index_key, std::uint64_t seq) {
  std::string k;
  k.reserve(index_key.size() + 9);
  k.append(index_key);
  k.push_back('\0');
  PutFixed64BE(&k, seq);
  return k;
}

bool ParseIndexEntryKey(std::string_view entry, std::string_view* index_key, std::uint64_t* seq) {
  if (entry.size() < 9 || entry[entry.size() - 9] != '\0') return false;
  *index_key = entry.substr(0, entry.size() - 9);
  *seq = GetFixed64BE(entry.data() + entry.size() - 8);
  return true;
}

std::string IdempotencyValue(std::uint64_t first_seq, std::uint32_t count) {
  std::string v;
  v.reserve(12);
  PutFixed64BE(&v, first_seq);
  PutFixed32BE(&v, count);
  return v;
}

bool ParseIdempotencyValue(std::string_view value, std::uint64_t* first_seq,
                           std::uint32_t* count) {
  if (value.size() != 12) return false;
  *first_seq = GetFixed64BE(value.data());
  *count = GetFixed32BE(value.data() + 8);
  return true;
}

namespace {

void PutStr(std::string* dst, std::string_view s) {
  dst->push_back(static_cast<char>(s.size() >> 8));
  dst->push_back(static_cast<char>(s.size() & 0xFF));
  dst->append(s);
}

Status CheckField(std::string_view field, std::string_view value, std::size_t max) {
  if (value.size() > max) {
    return Status::InvalidArgument(std::string(field) + " is " + std::to_string(value.size()) +
                                   " bytes; the limit is " + std::to_string(max));
  }
  return Status::Ok();
}

// A reader over a record that never reads past its end.
struct Cursor {
  std::string_view in;
  std::size_t pos = 0;
  bool Str(std::string_view* out) {
    if (in.size() - pos < 2) return false;
    std::size_t len = static_cast<std::size_t>(static_cast<unsigned char>(in[pos])) << 8 |
                      static_cast<unsigned char>(in[pos + 1]);
    pos += 2;
    if (in.size() - pos < len) return false;
    *out = in.substr(pos, len);
    pos += len;
    return true;
  }
};

}  // namespace

Status ValidateEvent(const NewEvent& event, const AppendRequest& request) {
  if (event.type.empty()) return Status::InvalidArgument("event type is empty");
  if (auto s = CheckField("event type", event.type, kEventTypeBytesMax); !s.ok()) return s;
  if (auto s = CheckField("cause id", request.cause.id, kCauseFieldBytesMax); !s.ok()) return s;
  if (auto s = CheckField("cause actor", request.cause.actor, kCauseFieldBytesMax); !s.ok()) return s;
  if (auto s = CheckField("idempotency key", request.idempotency_key, kCauseFieldBytesMax); !s.ok())
    return s;
  if (auto s = CheckField("payload of " + event.type, event.payload, kPayloadBytesMax); !s.ok())
    return s;
  if (event.keys.size() > kIndexKeysPerEventMax) {
    return Status::InvalidArgument(event.type + " has " + std::to_string(event.keys.size()) +
                                   " index keys; the limit is " +
                                   std::to_string(kIndexKeysPerEventMax));
  }
  for (const auto& key : event.keys) {
    if (key.empty()) return Status::InvalidArgument(event.type + " has an empty index key");
    if (key.find('\0') != std::string::npos) {
      return Status::InvalidArgument(event.type + " index key contains a NUL byte");
    }
    if (auto s = CheckField("index key of " + event.type, key, kIndexKeyBytesMax); !s.ok()) return s;
  }
  return Status::Ok();
}

std::string EncodeUnsealed(const NewEvent& event, const AppendRequest& request,
                           std::int64_t recorded_at_us) {
  std::string out;
  std::size_t size = kVariablePartOffset + 8 + event.type.size() + request.idempotency_key.size() +
                     request.cause.id.size() + request.cause.actor.size() + 1 + 4 +
                     event.payload.size() + kHashBytes;
  for (const auto& k : event.keys) size += 2 + k.size();
  out.reserve(size);
  out.push_back(static_cast<char>(kFormatVersion));
  PutFixed64BE(&out, 0);  // seq: filled in by Seal
  PutFixed64BE(&out, static_cast<std::uint64_t>(recorded_at_us));
  out.append(32, '\0');  // prev_hash: filled in by Seal
  PutStr(&out, event.type);
  PutStr(&out, request.idempotency_key);
  PutStr(&out, request.cause.id);
  PutStr(&out, request.cause.actor);
  out.push_back(static_cast<char>(event.keys.size()));
  for (const auto& k : event.keys) PutStr(&out, k);
  PutFixed32BE(&out, static_cast<std::uint32_t>(event.payload.size()));
  out.append(event.payload);
  return out;
}

Hash256 Seal(std::string* unsealed, std::uint64_t seq, const Hash256& prev_hash) {
  char* p = unsealed->data();
  for (int i = 7; i >= 0; --i) {
    p[kSeqOffset + i] = static_cast<char>(seq & 0xFF);
    seq >>= 8;
  }
  std::memcpy(p + kPrevHashOffset, prev_hash.data(), prev_hash.size());
  Hash256 h = Sha256(*unsealed);
  unsealed->append(reinterpret_cast<const char*>(h.data()), h.size());
  return h;
}

Hash256 ComputeHash(std::string_view value) {
  return Sha256(value.substr(0, value.size() - kHashBytes));
}

Status Decode(std::string_view value, EventView* out) {
  auto bad = [](const char* what) { return Status::Corruption(std::string("record ") + what); };
  if (value.size() < kRecordBytesMin) return bad("is shorter than the smallest valid record");
  if (static_cast<unsigned char>(value[kVersionOffset]) != kFormatVersion) {
    return bad("has an unknown format version");
  }
  out->record = value;
  out->seq = GetFixed64BE(value.data() + kSeqOffset);
  out->recorded_at_us = static_cast<std::int64_t>(GetFixed64BE(value.data() + kRecordedAtOffset));
  out->prev_hash = value.substr(kPrevHashOffset, 32);
  out->hash = value.substr(value.size() - kHashBytes);
  Cursor c{value.substr(0, value.size() - kHashBytes), kVariablePartOffset};
  if (!c.Str(&out->type) || !c.Str(&out->idempotency_key) || !c.Str(&out->cause_id) ||
      !c.Str(&out->cause_actor)) {
    return bad("is truncated in its header strings");
  }
  if (c.in.size() - c.pos < 1) return bad("is truncated before key_count");
  std::size_t key_count = static_cast<unsigned char>(c.in[c.pos++]);
  if (key_count > kIndexKeysPerEventMax) return bad("has more index keys than the limit");
  out->key_count = static_cast<std::uint8_t>(key_count);
  for (std::size_t i = 0; i < key_count; ++i) {
    if (!c.Str(&out->keys[i])) return bad("is truncated in its index keys");
  }
  if (c.in.size() - c.pos < 4) return bad("is truncated before payload_len");
  std::size_t len = GetFixed32BE(c.in.data() + c.pos);
  c.pos += 4;
  if (c.in.size() - c.pos != len) return bad("payload length does not match the record size");
  out->payload = c.in.substr(c.pos, len);
  return Status::Ok();
}

}  // namespace antrean::store

namespace antrean::store {

RecordedEvent EventView::ToOwned() const {
  RecordedEvent e;
  e.seq = seq;
  e.recorded_at_us = recorded_at_us;
  e.type = std::string(type);
  e.idempotency_key = std::string(idempotency_key);
  e.cause = Cause{std::string(cause_id), std::string(cause_actor)};
  e.keys.reserve(key_count);
  for (std::size_t i = 0; i < key_count; ++i) e.keys.emplace_back(keys[i]);
  e.payload = std::string(payload);
  std::memcpy(e.prev_hash.data(), prev_hash.data(), 32);
  std::memcpy(e.hash.data(), hash.data(), 32);
  return e;
}

std::string_view VerifyReport::ProblemName(Problem p) {
  switch (p) {
    case Problem::kNone: return "none";
    case Problem::kGap: return "gap";
    case Problem::kKeyMismatch: return "key_mismatch";
    case Problem::kUndecodable: return "undecodable";
    case Problem::kHashMismatch: return "hash_mismatch";
    case Problem::kChainBroken: return "chain_broken";
    case Problem::kIndexMissing: return "index_missing";
    case Problem::kIndexDangling: return "index_dangling";
    case Problem::kIdempotencyBroken: return "idempotency_broken";
    case Problem::kDigestMismatch: return "digest_mismatch";
  }
  return "unknown";
}

}  // namespace antrean::store
