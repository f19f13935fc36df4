// What a webhook delivery becomes: the commands of a parsed batch (whatsapp/webhook.h), and the
// items that cannot be one. Pure: the route (webhook_routes.cc) submits the commands; the
// webhook fuzz target decides them (docs/HARDENING.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/commands.h"
#include "domain/office_config.h"
#include "whatsapp/webhook.h"

namespace antrean::http {

struct WebhookCommands {
  std::vector<app::Command> commands;              // messages first, then statuses, in body order
  std::vector<whatsapp::WebhookProblem> problems;  // the batch's own, then those found here
};

// A message from a sender that is not a phone number, and a status we do not record or for a
// recipient that is not a phone number, become problems. WhatsApp's `timestamp` is the decision
// clock; an item without one is decided at `now_us`.
WebhookCommands CommandsOf(const whatsapp::WebhookBatch& batch,
                           const domain::OfficeDirectory& offices, std::int64_t now_us);

}  // namespace antrean::http
