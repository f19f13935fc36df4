// The `antrean` subcommands. Each group lives in its own file under tools/cli/ and is listed in
// Commands() (command.cc); main.cc only dispatches. Every subcommand answers `--help`.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/ledger.h"

namespace antrean::cli {

// Exit codes, the same for every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem (verify: not intact)
inline constexpr int kExitUsage = 2;   // bad flags or arguments
inline constexpr int kExitError = 3;   // could not run (ledger missing, locked, I/O)

// Parsed `--flag value`, `--flag=value` and `--switch` arguments plus positionals. Only the
// flags a command declares are accepted; anything else is a usage error naming it.
class Args {
 public:
  // `value_flags` take a value; `switches` do not.
  static std::optional<Args> Parse(const std::vector<std::string>& argv,
                                   const std::set<std::string>& value_flags,
                                   const std::set<std::string>& switches, std::string* error);
  bool Has(std::string_view flag) const;
  std::optional<std::string> Get(std::string_view flag) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positionals_;
};

struct Command {
  std::string name;     // "verify", or "show booking" for a two-word command
  std::string summary;  // one line for `antrean --help`
  std::string usage;    // the full `--help` text
  std::function<int(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)>
      run;
};

// Each file of tools/cli/ defines one of these; Commands() gathers them. An explicit list rather
// than static registration, because a static library drops objects nobody references.
std::vector<Command> LedgerCommands();    // verify, digest, dump (ledger_commands.cc)
std::vector<Command> IngestCommands();    // ingest (ingest_command.cc)
std::vector<Command> ReplayCommands();    // replay (replay_command.cc)
std::vector<Command> RecheckCommands();   // recheck (recheck_command.cc)
std::vector<Command> QueryCommands();     // board, show booking|phone|identity|blacklist|flags
std::vector<Command> ServeCommands();     // serve, send, token add, secrets init (serve_command.cc)
std::vector<Command> SimulateCommands();  // simulate, simulate score (simulate_command.cc)

const std::map<std::string, Command>& Commands();

// Runs `antrean ARGS...`; returns the exit code.
int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Parses a subcommand's flags. On a usage error (an unknown flag, no --ledger DIR when
// `ledger_required`, other than exactly `positionals` positional arguments) prints
// "antrean NAME: what is wrong" and the usage to `err`, and returns nullopt.
std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, std::string_view name,
                                 std::string_view usage, const std::set<std::string>& values,
                                 const std::set<std::string>& switches, std::ostream& err,
                                 std::size_t positionals = 0, bool ledger_required = true);

// Opens an existing ledger read-only: beside a running service, without its lock.
Result<std::unique_ptr<store::Ledger>> OpenForReading(const std::string& dir);

// Parses an unsigned decimal number; nullopt on anything else (sign, overflow, trailing bytes).
std::optional<std::uint64_t> ParseUint(std::string_view s);

}  // namespace antrean::cli
