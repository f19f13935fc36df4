// verify, digest, dump: an auditor's read-only tools. They open the ledger read-only, so they
// run beside a live service and see the ledger as it stood when they opened it.
#include <boost/json.hpp>
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
  if (hash == nullptr || !hash->is_string() || !ParseHash256Hex(hash->as_string(), &head.hash)) {
    return Status::InvalidArgument(where + "field \"hash\": expected 64 hex digits");
  }
  return head;
}

int RunVerify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args =
      ParseOrUsage(argv, "verify", kVerifyUsage, {"ledger", "digest", "threads"}, {"json"}, err);
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

int RunDigest(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
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

int RunDump(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "dump", kDumpUsage, {"ledger", "from", "to"}, {}, err);
  if (!args) return kExitUsage;
  std::uint64_t from = 1, to = ~std::uint64_t{0};
  for (auto [flag, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto v = args->Get(flag)) {
      auto n = ParseUint(*v);
      if (!n) {
        err << "antrean dump: --" << flag << ": expected a sequence number, got \"" << *v << "\"\n";
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
    out << json::serialize(app::StoredEventJson(v)) << "\n";
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
