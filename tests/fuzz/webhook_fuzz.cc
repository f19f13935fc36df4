// The webhook payload handler after the signature check: the body Meta POSTs, read by
// whatsapp::ParseWebhook and turned into commands the way http/webhook_routes.cc does, then
// decided against an in-memory state with the sample offices. Checks that the parser keeps its
// limits and paths, and that nothing a body can carry makes the decision step emit an event the
// ledger or replay would refuse.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/replies.h"
#include "domain/phone.h"
#include "tests/fuzz/fuzz_support.h"
#include "whatsapp/webhook.h"

namespace antrean::fuzz::webhook {

bool Within(const std::string& s) { return s.size() <= whatsapp::kWebhookFieldBytesMax; }

// As http/webhook_routes.cc: a wa_id is the events' phone form, or else an Indonesian number.
std::optional<std::string> PhoneOf(std::string_view wa_id) {
  if (events::IsPhone(wa_id)) return std::string(wa_id);
  auto normalised = domain::NormalizePhone(wa_id);
  if (normalised.ok()) return *normalised;
  return std::nullopt;
}

void DecideMessage(const whatsapp::WebhookMessage& m, MemoryState& state) {
  FUZZ_CHECK(m.path.starts_with("entry["), m.path);
  FUZZ_CHECK(!m.id.empty() && Within(m.id) && Within(m.from) && Within(m.type), m.path);
  FUZZ_CHECK(!m.profile_name || Within(*m.profile_name), m.path);
  auto from = PhoneOf(m.from);
  if (!from) return;  // the route answers it as a problem
  const auto& offices = SampleOffices();
  const auto* office = offices.FindByPhoneNumberId(m.phone_number_id);
  if (office == nullptr) office = offices.FindByWhatsAppNumber(m.display_phone_number);
  app::InboundMessage in;
  in.message_id = m.id;
  in.office = office ? office->id : "";
  in.from = *from;
  if (!m.display_phone_number.empty()) in.to = m.display_phone_number;
  in.profile_name = m.profile_name;
  in.kind = m.type;
  in.text = m.text;
  in.media = m.media;
  // The route falls back to its own clock for a missing timestamp; a fixed one keeps runs
  // reproducible.
  in.at = domain::Instant{(m.timestamp_s > 0 ? m.timestamp_s : 1'500'000'000) * 1'000'000};
  CheckDecision(app::DecideMessage(office, in, state, kCodeKey), in.at.micros_since_epoch, state);
}

void DecideStatus(const whatsapp::WebhookStatus& s, MemoryState& state) {
  FUZZ_CHECK(s.path.starts_with("entry["), s.path);
  FUZZ_CHECK(Within(s.id) && Within(s.status) && Within(s.recipient_id), s.path);
  auto recipient = PhoneOf(s.recipient_id);
  if (!recipient || !events::InList<events::kDeliveryStatuses>(s.status)) return;
  const domain::Instant at{(s.timestamp_s > 0 ? s.timestamp_s : 1'500'000'000) * 1'000'000};
  app::DeliveryStatusCommand c{at, s.id, s.status, *recipient, s.error_code, s.error_title};
  CheckDecision(app::DecideDeliveryStatus(c, state), at.micros_since_epoch, state);
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
  for (const auto& p : batch->problems) FUZZ_CHECK(!p.path.empty() && !p.message.empty(), p.path);
  MemoryState state;
  for (const auto& m : batch->messages) webhook::DecideMessage(m, state);
  for (const auto& s : batch->statuses) webhook::DecideStatus(s, state);
  return 0;
}
}  // namespace antrean::fuzz

#ifndef ANTREAN_FUZZ_NO_ENTRY
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return antrean::fuzz::WebhookOne(data, size);
}
#endif
