// antrean ingest: the command stream (docs/COMMANDS.md) into the ledger, one JSON result line per
// command, in order. Commands are decided one after another; their appends overlap, so a stream is
// not limited to one fsync per command.
#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>

#include "app/result_json.h"
#include "app/secrets.h"
#include "app/service.h"
#include "domain/office_config.h"
#include "tools/cli/command.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;

// Results waiting to be printed in order; beyond this the reader waits for the oldest.
constexpr std::size_t kIngestInFlightMax = 8192;

constexpr char kIngestUsage[] =
    "usage: antrean ingest --ledger DIR --config FILE [--secrets FILE] [FILE|-]\n\n"
    "Reads commands as JSON lines (from FILE, or standard input for - or none) and\n"
    "writes one JSON result line per command, in order (docs/COMMANDS.md). A malformed\n"
    "line gets {\"ok\": false, \"error\": ...} naming the line and the field, and does not\n"
    "stop the rest. Secrets: --secrets FILE (default var/secrets.json) or\n"
    "ANTREAN_BOOKING_CODE_KEY. Exit 0: every command ok; 1: some were refused; 2: usage;\n"
    "3: the ledger, the office file or the secrets could not be loaded.\n";

struct Slot {
  std::string text;
  bool ready = false;
  bool ok = true;
};

class OrderedOutput {
 public:
  explicit OrderedOutput(std::ostream& out) : out_(out) {}
  std::shared_ptr<Slot> Reserve() {
    auto slot = std::make_shared<Slot>();
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return slots_.size() < kIngestInFlightMax || FrontReady(); });
    FlushLocked();
    slots_.push_back(slot);
    return slot;
  }
  void Fill(const std::shared_ptr<Slot>& slot, std::string text, bool ok) {
    std::lock_guard lk(mu_);
    slot->text = std::move(text);
    slot->ok = ok;
    slot->ready = true;
    cv_.notify_all();
  }
  // Prints everything; all slots must be filled (the service was drained).
  bool Finish() {
    std::lock_guard lk(mu_);
    FlushLocked();
    return all_ok_;
  }

 private:
  bool FrontReady() const { return !slots_.empty() && slots_.front()->ready; }
  void FlushLocked() {
    while (FrontReady()) {
      out_ << slots_.front()->text << '\n';
      all_ok_ = all_ok_ && slots_.front()->ok;
      slots_.pop_front();
    }
  }
  std::ostream& out_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Slot>> slots_;
  bool all_ok_ = true;
};

// The "type" a refused line gives, if it is a JSON object with one: the result line then says
// which command was refused. Read again only on this error path.
std::string TypeOfRefused(const std::string& line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return "";
  const json::value* type = v.as_object().if_contains("type");
  return type != nullptr && type->is_string() ? std::string(type->as_string()) : "";
}

int RunIngest(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  std::string error;
  auto args = Args::Parse(argv, {"ledger", "config", "secrets"}, {}, &error);
  if (args && (!args->Has("ledger") || !args->Has("config"))) {
    error = "--ledger DIR and --config FILE are required";
  }
  if (args && args->positionals().size() > 1) error = "at most one input file";
  if (!error.empty()) {
    err << "antrean ingest: " << error << "\n\n" << kIngestUsage;
    return kExitUsage;
  }
  auto offices = domain::LoadOfficeDirectoryFile(*args->Get("config"));
  if (!offices.ok()) {
    err << "antrean ingest: " << offices.status().message() << "\n";
    return kExitError;
  }
  auto secrets = app::LoadSecrets(args->Get("secrets").value_or("var/secrets.json"));
  if (!secrets.ok()) {
    err << "antrean ingest: " << secrets.status().message() << "\n";
    return kExitError;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (!args->positionals().empty() && args->positionals()[0] != "-") {
    file.open(args->positionals()[0]);
    if (!file) {
      err << "antrean ingest: cannot read " << args->positionals()[0] << "\n";
      return kExitError;
    }
    in = &file;
  }
  auto ledger = store::Ledger::Open(*args->Get("ledger"), {});
  if (!ledger.ok()) {
    err << "antrean ingest: " << ledger.status().ToString() << "\n";
    return kExitError;
  }
  OrderedOutput output(out);
  {
    app::Service service(**ledger, std::move(offices).value(), {secrets->booking_code_key});
    if (Status s = service.health(); !s.ok()) {
      err << "antrean ingest: " << s.ToString() << "\n";
      return kExitError;
    }
    if (const auto up = service.upgraded(); up.upgraded()) {
      err << "antrean ingest: " << up.Describe() << "\n";
    }
    std::string line;
    for (std::uint64_t n = 1; std::getline(*in, line); ++n) {
      // A byte-order mark, as some editors save UTF-8 files, is not part of the first command.
      if (n == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines
      auto slot = output.Reserve();
      auto command = app::ParseCommand(line);
      if (!command.ok()) {
        app::CommandResult r;
        r.status = command.status();
        output.Fill(slot, json::serialize(app::ResultJson(n, TypeOfRefused(line), r)), false);
        continue;
      }
      const std::string type(app::CommandTypeName(*command));
      service.Submit(*command, [&output, slot, n, type](app::CommandResult r) {
        const bool ok = r.status.ok();
        output.Fill(slot, json::serialize(app::ResultJson(n, type, r)), ok);
      });
    }
    service.Drain();
  }
  return output.Finish() ? kExitOk : kExitFailed;
}

}  // namespace

std::vector<Command> IngestCommands() {
  return {{"ingest", "decide a stream of commands (JSON lines) into the ledger", kIngestUsage,
           &RunIngest}};
}

}  // namespace antrean::cli
