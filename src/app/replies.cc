#include "app/replies.h"

#include "events/event_types.h"
#include "projections/decision_state.h"

namespace antrean::app {

Result<Decision> DecideDeliveryStatus(const DeliveryStatusCommand& c, StateReader& state) {
  if (!events::InList<events::kDeliveryStatuses>(c.status)) {
    return Status::InvalidArgument("field \"status\": expected sent, delivered, read or failed, got \"" +
                                   c.status + "\"");
  }
  auto reply = state.Read(projections::ProviderMessageRowKey(c.provider_message_id));
  if (!reply.ok()) return reply.status();
  events::ReplyDeliveryStatus e;
  e.reply_id = *reply;
  e.provider_message_id = c.provider_message_id;
  e.status = c.status;
  e.status_at = domain::FormatRfc3339(c.at, 0);
  e.recipient = c.recipient;
  e.error_code = c.error_code;
  e.error_title = c.error_title;
  Decision d;
  d.events.push_back(std::move(e));
  d.outcome.kind = Outcome::Kind::kRecorded;
  return d;
}

Result<Decision> DecideReplyOutcome(const ReplyOutcomeCommand& c, StateReader& state) {
  auto row = projections::ReadRow<projections::OutboxRow>(state,
                                                           projections::OutboxRowKey(c.reply_id));
  if (!row.ok()) return row.status();
  if (!row->has_value()) {
    return Status::NotFound("field \"reply_id\": no reply \"" + c.reply_id +
                            "\" is waiting to be sent");
  }
  if (c.attempt != (*row)->attempts + 1) {
    return Status::InvalidArgument("field \"attempt\": reply \"" + c.reply_id + "\" has had " +
                                   std::to_string((*row)->attempts) + " attempts; expected " +
                                   std::to_string((*row)->attempts + 1) + ", got " +
                                   std::to_string(c.attempt));
  }
  Decision d;
  d.outcome.kind = Outcome::Kind::kRecorded;
  if (c.sent) {
    if (c.provider_message_id.empty()) {
      return Status::InvalidArgument("field \"provider_message_id\": must not be empty");
    }
    d.events.push_back(events::ReplySent{c.reply_id, c.provider_message_id, c.attempt});
    return d;
  }
  if (!c.final && !c.retry_at) {
    return Status::InvalidArgument("field \"retry_at\": required unless the failure is final");
  }
  events::ReplyFailed e{c.reply_id, c.attempt, c.error, c.final, std::nullopt};
  if (!c.final) e.retry_at = domain::FormatRfc3339(*c.retry_at, 0);
  d.events.push_back(std::move(e));
  return d;
}

}  // namespace antrean::app
