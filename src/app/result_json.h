// The result of one command as JSON: the line `antrean ingest` prints (docs/COMMANDS.md,
// "Results"). One place, so that the CLI, the benchmarks and the HTTP service say the same thing.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string_view>

#include "app/service.h"

namespace antrean::app {

// `line` is the command's input line number (0: none, e.g. an HTTP request); `type` the command's
// type name (empty when the command could not be read).
boost::json::object ResultJson(std::uint64_t line, std::string_view type,
                               const CommandResult& result);

}  // namespace antrean::app
