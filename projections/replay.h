// Replay: the state projection rebuilt from the events alone, and checked against the live rows
// (docs/PROJECTIONS.md).
//
// Rebuild folds the log from seq 1 with the same pure fold the service applies when it appends
// (projections/fold.h) and writes the rows to a scratch RocksDB of its own; it never writes to the
// ledger, so it runs against a ledger opened read-only, beside a live service. Digests and Compare
// then say, per projection (the key prefix before the first '/'), whether the rebuilt rows are the
// live rows byte for byte, and where they first differ.
//
// Rebuilding to an earlier point (until_seq, as_of_us) is time travel: the rows as they stood then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"
#include "store/ledger.h"

namespace antrean::projections {

struct RebuildOptions {
  // Fold events up to this sequence number; 0: up to the head as the ledger was opened.
  std::uint64_t until_seq = 0;
  // If set: fold only events recorded at or before this instant (microseconds since the epoch,
  // the envelope's recorded_at). Later events are skipped, not folded, wherever they are.
  std::optional<std::int64_t> as_of_us;
  // Where the scratch RocksDB goes: a fresh subdirectory is created in it (the directory itself
  // is created if missing) and removed again when the RebuiltState is destroyed. Empty: $TMPDIR,
  // or /tmp.
  std::string scratch_dir;
  // The dirty rows are written to the scratch store every this many events scanned (or a little
  // later, while the write before is still running, up to about 128 MiB of them), so that memory
  // stays bounded however long the log is.
  std::size_t flush_every_events = 100'000;
};

struct RebuildStats {
  std::uint64_t events_scanned = 0;   // events read from the log (1..until_seq)
  std::uint64_t events_included = 0;  // of those, the ones within as_of (all of them without it)
  std::uint64_t events_folded = 0;    // of those, the ones the fold reads (decoded and folded)
  std::uint64_t last_seq = 0;         // the last event included: the checkpoint written; 0 if none
  double seconds = 0;                 // the scan, the fold and the final flush
  double EventsPerSecond() const {
    return seconds > 0 ? static_cast<double>(events_scanned) / seconds : 0;
  }
};

// Rows in key order: calls fn(key, value) for each row with from <= key < to (to empty: no upper
// bound) until it returns false. The shape of store::Ledger::ScanState.
using RowVisitor = std::function<bool(std::string_view key, std::string_view value)>;

// The rows a Rebuild produced, in a scratch RocksDB that is removed when this is destroyed.
class RebuiltState {
 public:
  ~RebuiltState();
  RebuiltState(const RebuiltState&) = delete;
  RebuiltState& operator=(const RebuiltState&) = delete;

  // One row; nullopt if absent.
  Result<std::optional<std::string>> Get(std::string_view key) const;
  Status Scan(std::string_view from, std::string_view to, const RowVisitor& fn) const;
  // The scratch directory (removed on destruction).
  const std::string& dir() const;

  class Impl;  // replay.cc
  explicit RebuiltState(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

struct Rebuilt {
  RebuildStats stats;
  std::unique_ptr<RebuiltState> state;
};

// Folds the ledger's events as RebuildOptions says. Errors: InvalidArgument (a scratch directory
// that cannot be made), IOError (the scratch store), Corruption (an event the fold needs does not
// decode, or the fold refuses it; the message names the seq).
Result<Rebuilt> Rebuild(const store::Ledger& ledger, const RebuildOptions& options);

// ---- Digests ---------------------------------------------------------------------------------

// The projection a row belongs to: the key up to its first '/' ("bk/K7Q2" -> "bk"); a
// checkpoint row ("checkpoint/decision_state") is a projection of its own, named by its whole key.
std::string ProjectionOf(std::string_view key);

// The projections the fold writes (decision_state.h), the checkpoint row included. Digest and
// Compare always report these, with no rows if there are none; rows under any other prefix are
// reported too, under their own name.
const std::vector<std::string>& StateProjectionNames();

struct ProjectionDigest {
  std::uint64_t rows = 0;
  // SHA-256 over the projection's rows in key order, each as u32 big-endian key length, key,
  // u32 big-endian value length, value. The digest of no rows is SHA-256 of nothing.
  Hash256 sha256{};
  bool operator==(const ProjectionDigest&) const = default;
};

// Per projection, in name order.
using StateDigests = std::map<std::string, ProjectionDigest>;

// Feeds rows, in key order, into per-projection digests.
class DigestBuilder {
 public:
  DigestBuilder();
  ~DigestBuilder();
  DigestBuilder(const DigestBuilder&) = delete;
  DigestBuilder& operator=(const DigestBuilder&) = delete;
  void Add(std::string_view key, std::string_view value);
  StateDigests Finish();

 private:
  struct Running;
  std::map<std::string, std::unique_ptr<Running>, std::less<>> running_;
};

// Digests of every row a scan visits (from the start, no bound).
using StateScan =
    std::function<Status(std::string_view from, std::string_view to, const RowVisitor& fn)>;
Result<StateDigests> Digest(const StateScan& scan);
Result<StateDigests> Digest(const RebuiltState& state);
Result<StateDigests> DigestLive(const store::Ledger& ledger);  // the live `state` rows

// ---- Compare ---------------------------------------------------------------------------------

struct ProjectionComparison {
  std::string projection;
  ProjectionDigest live;
  ProjectionDigest rebuilt;
  bool identical = true;
  // The first key (in key order) at which the two differ, and how. Empty when identical.
  enum class Difference { kNone, kOnlyLive, kOnlyRebuilt, kValue };
  Difference difference = Difference::kNone;
  std::string first_key;
  std::string live_value;     // at first_key, when present live
  std::string rebuilt_value;  // at first_key, when present in the rebuilt rows
};
std::string_view DifferenceName(ProjectionComparison::Difference d);

struct Comparison {
  bool identical = true;
  std::vector<ProjectionComparison> projections;  // every projection on either side, name order
};

// Walks both sides once, in key order, and digests and compares them per projection.
Result<Comparison> Compare(const StateScan& live, const StateScan& rebuilt);
Result<Comparison> Compare(const store::Ledger& live, const RebuiltState& rebuilt);

}  // namespace antrean::projections
