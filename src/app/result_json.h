// The result of one command as JSON: the line `antrean ingest` prints (docs/COMMANDS.md,
// "Results"). One place, so that the CLI, the benchmarks and the HTTP service say the same thing.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "app/service.h"

namespace antrean::app {

// `line` is the command's input line number; `type` the command's type name (empty when the
// command could not be read). With line 0 (an HTTP request: there is no line) the result has no
// "line", and a refusal's "error" is the message alone, with "field" naming the field at fault
// when the message does.
boost::json::object ResultJson(std::uint64_t line, std::string_view type,
                               const CommandResult& result);

// The field a refusal names: `field "code": ...` -> "code"; empty when it names none. Every parser
// and decision names fields this way (app/commands.cc).
std::string FieldNamed(std::string_view message);

}  // namespace antrean::app
