// Decisions about replies after they are queued: what the outbox reports of each send attempt, and
// the delivery statuses WhatsApp reports back. Pure, like app/registration.h.
//
// A reply's life (docs/DECISIONS.md, "Replies"): reply_queued -> (reply_failed not final)* ->
// reply_sent | reply_failed final; then reply_delivery_status sent/delivered/read/failed as
// WhatsApp reports them. While a reply waits, its row ob/<reply_id> says how many attempts were
// made and when the next is due, so that a restarted outbox resumes where it stopped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/registration.h"
#include "domain/civil_time.h"

namespace antrean::app {

// "whatsapp.status": WhatsApp reported a status of an outbound message.
struct DeliveryStatusCommand {
  domain::Instant at;               // the status's own timestamp
  std::string provider_message_id;  // WhatsApp's id of the outbound message
  std::string status;               // events::kDeliveryStatuses
  std::string recipient;            // normalised phone
  std::optional<std::string> error_code;
  std::optional<std::string> error_title;
};

// "reply.sent" / "reply.failed": the outcome of one send attempt by the outbox.
struct ReplyOutcomeCommand {
  domain::Instant at;  // when the attempt ended
  std::string reply_id;
  std::uint32_t attempt = 0;  // 1 for the first; must be the reply's next attempt
  bool sent = false;
  std::string provider_message_id;          // sent: WhatsApp's id
  std::string error;                        // failed: what the provider or the network said
  bool final = false;                       // failed: no more attempts
  std::optional<domain::Instant> retry_at;  // failed, not final: the next attempt
};

// Records the status; the reply it belongs to is found through the pm/ row of reply_sent (a status
// of a message we did not send is recorded without a reply id).
Result<Decision> DecideDeliveryStatus(const DeliveryStatusCommand& command, StateReader& state);

// NotFound when no reply of that id is waiting (never queued, or already concluded);
// InvalidArgument when `attempt` is not the reply's next attempt.
Result<Decision> DecideReplyOutcome(const ReplyOutcomeCommand& command, StateReader& state);

}  // namespace antrean::app
