// The command-stream line parser (app::ParseCommand, docs/COMMANDS.md): one JSON line in, one
// command or an error naming what is wrong. A parsed command has the type its line names, and a
// WhatsApp message from the stream is decided against an in-memory state with the sample
// offices, every event it decides checked as the ledger and replay need it.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "app/commands.h"
#include "tests/fuzz/fuzz_support.h"

namespace antrean::fuzz {
// One input; aborts on a failed invariant. Also run by regressions_test.cc.
int CommandLineOne(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto command = app::ParseCommand(line);
  if (!command.ok()) {
    FUZZ_CHECK(command.status().IsInvalidArgument() && !command.status().message().empty(),
               command.status().ToString());
    return 0;
  }
  FUZZ_CHECK(size <= app::kCommandLineBytesMax, "an over-long line was read");
  // What was accepted is a JSON object whose "type" is the command's.
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec);
  FUZZ_CHECK(!ec && v.is_object(), std::string(line));
  const auto* type = v.as_object().if_contains("type");
  FUZZ_CHECK(
      type != nullptr && type->is_string() && type->get_string() == app::CommandTypeName(*command),
      std::string(line));

  if (const auto* m = std::get_if<app::InboundMessage>(&*command)) {
    FUZZ_CHECK(!m->message_id.empty() && m->message_id.size() <= app::kMessageIdBytesMax,
               m->message_id);
    FUZZ_CHECK(events::IsPhone(m->from), m->from);
    MemoryState state;
    const auto* office = SampleOffices().FindById(m->office);
    CheckDecision(app::DecideMessage(office, *m, state, kCodeKey), m->at.micros_since_epoch, state);
  }
  return 0;
}
}  // namespace antrean::fuzz

ANTREAN_FUZZ_ENTRY(antrean::fuzz::CommandLineOne)
