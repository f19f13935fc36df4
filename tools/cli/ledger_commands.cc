// verify, digest, dump: an auditor's read-only tools. They open the ledger read-only, so they
// run beside a live service and see the ledger as it stood when they opened it.
#include <boost/json.hpp>

#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>

#include "app/queries.h"
#include "store/ledger.h"
#include "tools/cli/command.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;

constexpr char kVerifyUsage[] =
    "usage: antrean verify --ledger DIR [--digest FILE] [--json] [--threads N]\n\n"
    "Walks the whole chain (docs/FORMAT.md) and checks every index and\n"
    "idempotency entry against the events. With --digest FILE (written by\n"
    "`antrean digest`), also proves the ledger still contains that head unchanged.\n"
    "Exit 0: intact. Exit 1: not intact; names the first bad sequence number and\n"
    "what is wrong. Exit 3: the ledger could not be opened.\n";
constexpr char kDigestUsage[] =
    "usage: antrean digest --ledger DIR\n\n"
    "Prints {\"seq\": N, \"hash\": \"...\"}: the newest event and its hash. Keep it\n"
    "elsewhere; `antrean verify --digest FILE` later proves nothing up to it was\n"
    "rewritten or cut off.\n";
constexpr char kDumpUsage[] =
    "usage: antrean dump --ledger DIR [--from N] [--to M]\n\n"
    "One JSON object per line: seq, recorded_at (UTC), type, keys, cause,\n"
    "idempotency_key, payload, prev_hash, hash.\n";

Result<std::unique_ptr<store::Ledger>> OpenForReading(const std::string& dir) {
  store::Ledger::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  return store::Ledger::Open(dir, options);
}

// RFC 3339 in UTC with microseconds: "2026-03-02T00:31:05.000000Z".
std::string FormatUtc(std::int64_t micros) {
  std::int64_t secs = micros / 1'000'000;
  std::int64_t frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(micros);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

// The event as one JSON object: the envelope and the payload (as JSON if it parses, as a string
// otherwise, so that a damaged payload is still shown).
json::object EventJson(const store::EventView& v) {
  json::object o;
  o["seq"] = v.seq;
  o["recorded_at"] = FormatUtc(v.recorded_at_us);
  o["type"] = v.type;
  json::array keys;
  for (std::size_t i = 0; i < v.key_count; ++i) keys.emplace_back(v.keys[i]);
  o["keys"] = std::move(keys);
  o["cause"] = json::object{{"id", v.cause_id}, {"actor", v.cause_actor}};
  if (!v.idempotency_key.empty()) o["idempotency_key"] = v.idempotency_key;
  boost::system::error_code ec;
  json::value payload = json::parse(v.payload, ec);
  if (ec) {
    o["payload_raw"] = v.payload;
  } else {
    o["payload"] = std::move(payload);
  }
  o["prev_hash"] = ToHex(v.prev_hash);
  o["hash"] = ToHex(v.hash);
  return o;
}

std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, std::string_view name,
                                 std::string_view usage, const std::set<std::string>& values,
                                 const std::set<std::string>& switches, std::ostream& err) {
  std::string error;
  auto args = Args::Parse(argv, values, switches, &error);
  if (args && !args->Has("ledger")) error = "--ledger DIR is required";
  if (args && error.empty() && !args->positionals().empty()) {
    error = "unexpected argument \"" + args->positionals()[0] + "\"";
  }
  if (!error.empty()) {
    err << "antrean " << name << ": " << error << "\n\n" << usage;
    return std::nullopt;
  }
  return args;
}

// Reads a digest file written by `antrean digest`.
Result<store::Head> ReadDigestFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read digest file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  const std::string where = "digest file " + path + ": ";
  if (ec || !v.is_object()) return Status::InvalidArgument(where + "not a JSON object");
  const auto& o = v.as_object();
  const json::value* seq = o.if_contains("seq");
  const json::value* hash = o.if_contains("hash");
  if (seq == nullptr || !(seq->is_uint64() || (seq->is_int64() && seq->as_int64() >= 0))) {
    return Status::InvalidArgument(where + "field \"seq\": expected a non-negative integer");
  }
  store::Head head;
  head.seq = seq->is_uint64() ? seq->as_uint64() : static_cast<std::uint64_t>(seq->as_int64());
  if (hash == nullptr || !hash->is_string() ||
      !ParseHash256Hex(hash->as_string(), &head.hash)) {
    return Status::InvalidArgument(where + "field \"hash\": expected 64 hex digits");
  }
  return head;
}

int RunVerify(const std::vector<std::string>& argv, std::ostream& out,
              std::ostream& err) {
  auto args = ParseOrUsage(argv, "verify", kVerifyUsage, {"ledger", "digest", "threads"}, {"json"}, err);
  if (!args) return kExitUsage;
  store::VerifyOptions options;
  if (auto t = args->Get("threads")) {
    auto n = ParseUint(*t);
    if (!n || *n > 64) {
      err << "antrean verify: --threads: expected a number from 0 to 64, got \"" << *t << "\"\n";
      return kExitUsage;
    }
    options.threads = static_cast<unsigned>(*n);
  }
  if (auto path = args->Get("digest")) {
    auto head = ReadDigestFile(*path);
    if (!head.ok()) {
      err << "antrean verify: " << head.status().message() << "\n";
      return kExitUsage;
    }
    options.expected = *head;
  }
  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) {
    err << "antrean verify: " << ledger.status().ToString() << "\n";
    return kExitError;
  }
  auto report = (*ledger)->Verify(options);
  if (!report.ok()) {
    err << "antrean verify: " << report.status().ToString() << "\n";
    return kExitError;
  }
  const auto& r = *report;
  const double rate = r.seconds > 0 ? static_cast<double>(r.events_checked) / r.seconds : 0;
  if (args->Has("json")) {
    json::object o{{"ok", r.ok},
                   {"head", app::HeadJson(r.head)},
                   {"events_checked", r.events_checked},
                   {"index_entries_checked", r.index_entries_checked},
                   {"idempotency_entries_checked", r.idempotency_entries_checked},
                   {"seconds", r.seconds},
                   {"events_per_second", rate}};
    if (options.expected) o["digest"] = app::HeadJson(*options.expected);
    if (!r.ok) {
      o["problem"] = store::VerifyReport::ProblemName(r.problem);
      o["first_bad_seq"] = r.first_bad_seq;
      o["detail"] = r.detail;
    }
    out << json::serialize(o) << "\n";
  } else if (r.ok) {
    out << "intact: " << r.events_checked << " events, " << r.index_entries_checked
        << " index entries, " << r.idempotency_entries_checked << " idempotency entries; head seq "
        << r.head.seq << " hash " << ToHex(r.head.hash) << "\n";
    if (options.expected) {
      out << "the kept digest (seq " << options.expected->seq << ") is contained unchanged\n";
    }
    out << "checked in " << r.seconds << " s (" << static_cast<std::uint64_t>(rate)
        << " events/s)\n";
  } else {
    out << "NOT intact: first bad seq " << r.first_bad_seq << ": "
        << store::VerifyReport::ProblemName(r.problem) << ": " << r.detail << "\n";
  }
  return r.ok ? kExitOk : kExitFailed;
}

int RunDigest(const std::vector<std::string>& argv, std::ostream& out,
              std::ostream& err) {
  auto args = ParseOrUsage(argv, "digest", kDigestUsage, {"ledger"}, {}, err);
  if (!args) return kExitUsage;
  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) {
    err << "antrean digest: " << ledger.status().ToString() << "\n";
    return kExitError;
  }
  out << json::serialize(app::HeadJson((*ledger)->GetHead())) << "\n";
  return kExitOk;
}

int RunDump(const std::vector<std::string>& argv, std::ostream& out,
            std::ostream& err) {
  auto args = ParseOrUsage(argv, "dump", kDumpUsage, {"ledger", "from", "to"}, {}, err);
  if (!args) return kExitUsage;
  std::uint64_t from = 1, to = ~std::uint64_t{0};
  for (auto [flag, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto v = args->Get(flag)) {
      auto n = ParseUint(*v);
      if (!n) {
        err << "antrean dump: --" << flag << ": expected a sequence number, got \"" << *v
            << "\"\n";
        return kExitUsage;
      }
      *target = *n;
    }
  }
  auto ledger = OpenForReading(*args->Get("ledger"));
  if (!ledger.ok()) {
    err << "antrean dump: " << ledger.status().ToString() << "\n";
    return kExitError;
  }
  Status s = (*ledger)->Scan(from, to, [&](const store::EventView& v) {
    out << json::serialize(EventJson(v)) << "\n";
    return static_cast<bool>(out);
  });
  if (!s.ok()) {
    err << "antrean dump: " << s.ToString() << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> LedgerCommands() {
  return {
      {"verify", "check the whole hash chain and every index entry", kVerifyUsage, &RunVerify},
      {"digest", "print the ledger head as JSON for safe keeping", kDigestUsage, &RunDigest},
      {"dump", "print events as JSON lines", kDumpUsage, &RunDump},
  };
}

}  // namespace antrean::cli
