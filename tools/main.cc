// antrean: one binary, many subcommands (tools/cli/). See docs/COMMANDS.md.
#include <iostream>
#include <string>
#include <vector>

#include "tools/cli/command.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  int code = antrean::cli::Main(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
