#include "tools/cli/command.h"

#include <charconv>
#include <ostream>

namespace antrean::cli {

std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, std::string_view name,
                                 std::string_view usage, const std::set<std::string>& values,
                                 const std::set<std::string>& switches, std::ostream& err,
                                 std::size_t positionals, bool ledger_required) {
  std::string error;
  auto args = Args::Parse(argv, values, switches, &error);
  if (args && ledger_required && !args->Has("ledger")) error = "--ledger DIR is required";
  if (args && error.empty() && args->positionals().size() > positionals) {
    error = "unexpected argument \"" + args->positionals()[positionals] + "\"";
  }
  if (args && error.empty() && args->positionals().size() < positionals) {
    error = "missing argument (see usage)";
  }
  if (!error.empty()) {
    err << "antrean " << name << ": " << error << "\n\n" << usage;
    return std::nullopt;
  }
  return args;
}

Result<std::unique_ptr<store::Ledger>> OpenForReading(const std::string& dir) {
  store::Ledger::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  return store::Ledger::Open(dir, options);
}

std::optional<Args> Args::Parse(const std::vector<std::string>& argv,
                                const std::set<std::string>& value_flags,
                                const std::set<std::string>& switches, std::string* error) {
  Args args;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      args.positionals_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (switches.count(name) != 0) {
      if (inline_value) {
        *error = "--" + name + " takes no value";
        return std::nullopt;
      }
      args.values_[name] = "";
    } else if (value_flags.count(name) != 0) {
      if (inline_value) {
        args.values_[name] = *inline_value;
      } else if (i + 1 < argv.size()) {
        args.values_[name] = argv[++i];
      } else {
        *error = "--" + name + " needs a value";
        return std::nullopt;
      }
    } else {
      *error = "unknown option --" + name;
      return std::nullopt;
    }
  }
  return args;
}

bool Args::Has(std::string_view flag) const { return values_.find(flag) != values_.end(); }

std::optional<std::string> Args::Get(std::string_view flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

const std::map<std::string, Command>& Commands() {
  static const std::map<std::string, Command> commands = [] {
    std::map<std::string, Command> all;
    for (auto* group : {&LedgerCommands, &IngestCommands, &ReplayCommands, &RecheckCommands,
                        &QueryCommands, &ServeCommands, &SimulateCommands}) {
      for (auto& c : group()) {
        std::string name = c.name;
        all.emplace(std::move(name), std::move(c));
      }
    }
    return all;
  }();
  return commands;
}

std::optional<std::uint64_t> ParseUint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto print_help = [&](std::ostream& o) {
    o << "antrean: an event-sourced booking ledger for passport queues booked over WhatsApp\n\n"
         "usage: antrean COMMAND [options]   (antrean COMMAND --help for each)\n\ncommands:\n";
    for (const auto& [name, c] : Commands()) {
      o << "  " << name << std::string(name.size() < 18 ? 18 - name.size() : 1, ' ') << c.summary
        << "\n";
    }
    o << "\nexit codes: 0 ok, 1 the command found a problem, 2 usage error, 3 could not run\n";
  };
  if (args.empty()) {
    print_help(err);
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(out);
    return kExitOk;
  }
  // Two-word commands ("show booking") before one-word ones.
  const Command* command = nullptr;
  std::size_t consumed = 1;
  if (args.size() >= 2) {
    auto it = Commands().find(args[0] + " " + args[1]);
    if (it != Commands().end()) {
      command = &it->second;
      consumed = 2;
    }
  }
  if (command == nullptr) {
    auto it = Commands().find(args[0]);
    if (it == Commands().end()) {
      err << "antrean: unknown command \"" << args[0] << "\" (antrean --help lists them)\n";
      return kExitUsage;
    }
    command = &it->second;
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(consumed), args.end());
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      out << command->usage;
      return kExitOk;
    }
  }
  return command->run(rest, out, err);
}

}  // namespace antrean::cli
