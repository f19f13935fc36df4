// The webhook payload handler after the signature check: the body Meta POSTs, read by
// whatsapp::ParseWebhook, turned into commands by http::CommandsOf (as the route does), then
// decided against an in-memory state with the sample offices. Checks that the parser keeps its
// limits and paths, and that nothing a body can carry makes the decision step emit an event the
// ledger or replay would refuse.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/replies.h"
#include "http/webhook_commands.h"
#include "tests/fuzz/fuzz_support.h"
#include "whatsapp/webhook.h"

namespace antrean::fuzz::webhook {

bool Within(const std::string& s) { return s.size() <= whatsapp::kWebhookFieldBytesMax; }

// The route's fallback clock for an item without a timestamp; fixed, so runs are reproducible.
constexpr std::int64_t kNowMicros = 1'500'000'000'000'000;

void CheckBatch(const whatsapp::WebhookBatch& batch) {
  for (const auto& m : batch.messages) {
    FUZZ_CHECK(m.path.starts_with("entry["), m.path);
    FUZZ_CHECK(!m.id.empty() && Within(m.id) && Within(m.from) && Within(m.type), m.path);
    FUZZ_CHECK(!m.profile_name || Within(*m.profile_name), m.path);
    FUZZ_CHECK(m.timestamp_s >= 0 && m.timestamp_s <= whatsapp::kWebhookTimestampSecondsMax,
               m.path);
  }
  for (const auto& s : batch.statuses) {
    FUZZ_CHECK(s.path.starts_with("entry["), s.path);
    FUZZ_CHECK(Within(s.id) && Within(s.status) && Within(s.recipient_id), s.path);
    FUZZ_CHECK(s.timestamp_s >= 0 && s.timestamp_s <= whatsapp::kWebhookTimestampSecondsMax,
               s.path);
  }
}

// Decides a command as the service would, against `state`.
Result<app::Decision> Decide(const app::Command& c, MemoryState& state) {
  if (const auto* m = std::get_if<app::InboundMessage>(&c)) {
    return app::DecideMessage(SampleOffices().FindById(m->office), *m, state, kCodeKey);
  }
  return app::DecideDeliveryStatus(std::get<app::DeliveryStatusCommand>(c), state);
}

std::int64_t AtOf(const app::Command& c) {
  if (const auto* m = std::get_if<app::InboundMessage>(&c)) return m->at.micros_since_epoch;
  return std::get<app::DeliveryStatusCommand>(c).at.micros_since_epoch;
}

}  // namespace antrean::fuzz::webhook

namespace antrean::fuzz {
// One input; aborts on a failed invariant. Also run by regressions_test.cc.
int WebhookOne(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto batch = whatsapp::ParseWebhook(body);
  if (!batch.ok()) {
    FUZZ_CHECK(batch.status().IsInvalidArgument(), batch.status().ToString());
    return 0;
  }
  FUZZ_CHECK(size <= whatsapp::kWebhookBodyBytesMax, "an over-long body was read");
  webhook::CheckBatch(*batch);
  // What the route submits, decided in order against one state, as the service would.
  const auto [commands, problems] = http::CommandsOf(*batch, SampleOffices(), webhook::kNowMicros);
  FUZZ_CHECK(commands.size() + problems.size() ==
                 batch->messages.size() + batch->statuses.size() + batch->problems.size(),
             "an item was lost without a problem");
  for (const auto& p : problems) FUZZ_CHECK(!p.path.empty() && !p.message.empty(), p.path);
  MemoryState state;
  for (const auto& c : commands) {
    CheckDecision(webhook::Decide(c, state), webhook::AtOf(c), state);
  }
  return 0;
}
}  // namespace antrean::fuzz

ANTREAN_FUZZ_ENTRY(antrean::fuzz::WebhookOne)
