#include "http/webhook_commands.h"

#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "domain/phone.h"
#include "events/codec.h"

namespace antrean::http {
namespace {

// WhatsApp identifies people by wa_id: digits with country code, which is the events' phone form;
// a number written otherwise is normalised as an Indonesian one.
std::optional<std::string> PhoneOf(std::string_view wa_id) {
  if (events::IsPhone(wa_id)) return std::string(wa_id);
  auto normalised = domain::NormalizePhone(wa_id);
  if (normalised.ok()) return *normalised;
  return std::nullopt;
}

const domain::OfficeConfig* OfficeOf(const domain::OfficeDirectory& offices,
                                     const std::string& phone_number_id,
                                     const std::string& display_phone_number) {
  if (const auto* o = offices.FindByPhoneNumberId(phone_number_id)) return o;
  return offices.FindByWhatsAppNumber(display_phone_number);
}

// WhatsApp's `timestamp` is the decision clock (docs/API.md). ParseWebhook reads none above
// kWebhookTimestampSecondsMax, so the product stays within int64.
domain::Instant WebhookTime(std::int64_t timestamp_s, std::int64_t now_us) {
  static_assert(whatsapp::kWebhookTimestampSecondsMax <=
                    std::numeric_limits<std::int64_t>::max() / domain::kMicrosPerSecond,
                "a webhook timestamp must fit in int64 microseconds");
  return domain::Instant{timestamp_s > 0 ? timestamp_s * domain::kMicrosPerSecond : now_us};
}

}  // namespace

WebhookCommands CommandsOf(const whatsapp::WebhookBatch& batch,
                           const domain::OfficeDirectory& offices, std::int64_t now_us) {
  WebhookCommands out;
  out.problems = batch.problems;
  for (const auto& m : batch.messages) {
    auto from = PhoneOf(m.from);
    if (!from) {
      out.problems.push_back({m.path + ".from", "\"" + m.from + "\" is not a phone number"});
      continue;
    }
    app::InboundMessage in;
    in.message_id = m.id;
    const auto* office = OfficeOf(offices, m.phone_number_id, m.display_phone_number);
    in.office = office ? office->id : "";
    in.from = *from;
    if (!m.display_phone_number.empty()) in.to = m.display_phone_number;
    in.profile_name = m.profile_name;
    in.kind = m.type;
    in.text = m.text;
    in.media = m.media;
    in.at = WebhookTime(m.timestamp_s, now_us);
    out.commands.emplace_back(std::move(in));
  }
  for (const auto& s : batch.statuses) {
    auto recipient = PhoneOf(s.recipient_id);
    const bool known = events::InList<events::kDeliveryStatuses>(s.status);
    if (!recipient || !known) {
      out.problems.push_back(
          {s.path, !known ? "status \"" + s.status + "\" is not one we record"
                          : "recipient \"" + s.recipient_id + "\" is not a phone number"});
      continue;
    }
    app::DeliveryStatusCommand c{WebhookTime(s.timestamp_s, now_us),
                                 s.id,
                                 s.status,
                                 *recipient,
                                 s.error_code,
                                 s.error_title};
    out.commands.emplace_back(std::move(c));
  }
  return out;
}

}  // namespace antrean::http
