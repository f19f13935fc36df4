// The command stream (docs/COMMANDS.md): one JSON object per line, each with `type` and `at`.
// Parsing is strict and names the field: a malformed line is refused whole, never half-applied.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "app/counter.h"
#include "app/registration.h"
#include "app/replies.h"
#include "app/review.h"
#include "common/status.h"

namespace antrean::app {

// A command line longer than this is refused unread (a WhatsApp text is at most 16 KiB in UTF-8).
inline constexpr std::size_t kCommandLineBytesMax = 64 * 1024;
inline constexpr std::size_t kMessageIdBytesMax = 256;
inline constexpr std::size_t kProfileNameBytesMax = 256;
// The outbox gives up on a reply after this many attempts at most (app/outbox.h).
inline constexpr std::uint32_t kReplyAttemptsMax = 100;

// One command of the stream (docs/COMMANDS.md lists each type and its fields):
//   whatsapp.message              InboundMessage
//   counter.arrival               ArrivalCommand
//   counter.identity_check        IdentityCheckCommand
//   counter.documents_submitted   DocumentsCommand (returned = false)
//   counter.documents_returned    DocumentsCommand (returned = true)
//   clock.tick                    ClockTickCommand
//   office.application_progress   ApplicationProgressCommand
//   whatsapp.status               DeliveryStatusCommand
//   reply.sent                    ReplyOutcomeCommand (sent = true)
//   reply.failed                  ReplyOutcomeCommand (sent = false)
//   audit.blacklist               BlacklistCommand
//   audit.unblacklist             UnblacklistCommand
//   audit.clear_flag              ClearFlagCommand
using Command = std::variant<InboundMessage, ArrivalCommand, IdentityCheckCommand, DocumentsCommand,
                             ClockTickCommand, ApplicationProgressCommand, DeliveryStatusCommand,
                             ReplyOutcomeCommand, BlacklistCommand, UnblacklistCommand,
                             ClearFlagCommand>;
std::string_view CommandTypeName(const Command& command);

// Parses one line. InvalidArgument names the field: `field "at": expected ...`.
Result<Command> ParseCommand(std::string_view line);

}  // namespace antrean::app
