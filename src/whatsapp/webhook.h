// The WhatsApp Cloud API webhook: what Meta POSTs to us, read into plain structs, and the
// X-Hub-Signature-256 rule that proves Meta sent it. Pure functions, no I/O (docs/WHATSAPP.md).
//
// A webhook body is
//   {"object": "whatsapp_business_account",
//    "entry": [{"id": WABA id,
//               "changes": [{"field": "messages",
//                            "value": {"metadata": {"display_phone_number", "phone_number_id"},
//                                      "contacts": [{"profile": {"name"}, "wa_id"}],
//                                      "messages": [...], "statuses": [...]}}]}]}
// and Meta may batch several entries, changes, messages and statuses into one body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/event_types.h"

namespace antrean::whatsapp {

// Meta's webhook documentation says a payload "can be up to 3MB"; Meta aggregates up to 1000
// updates into one POST, and a compact update is 0.4 to 1.5 KB. A smaller limit would answer a
// legitimate batch with 413, which Meta retries with the same bytes until it gives up: the
// messages in it would be lost. 3 MiB (> 3,000,000 bytes) takes every body Meta may send and
// still bounds what one request can make us parse.
inline constexpr std::size_t kWebhookBodyBytesMax = 3 << 20;
// Meta's payloads nest about 10 levels (body > entry[] > entry > changes[] > change > value >
// messages[] > message > referral > welcome_message); 32 leaves room for new fields, not for a
// body built to exhaust the stack.
inline constexpr std::size_t kWebhookDepthMax = 32;
// Ids, phone numbers, types, statuses and profile names: WhatsApp's are under 100 bytes. A longer
// one is not WhatsApp's and would end up in index keys, so the item is skipped (a profile name
// is dropped instead: the message is still good without it).
inline constexpr std::size_t kWebhookFieldBytesMax = 256;
// "timestamp" is seconds since 1970; the latest one read is 9998-12-31T23:59:59Z. Later ones
// would overflow int64 in microseconds (the decision clock), or give local dates and booking
// horizons past year 9999, the end of the dates we represent (domain/civil_time.h), so that the
// message could not even be recorded as received; the item is skipped and listed as a problem.
inline constexpr std::int64_t kWebhookTimestampSecondsMax = 253'370'764'799;

// One element of entry[].changes[].value.messages[].
struct WebhookMessage {
  std::string path;                  // "entry[0].changes[1].value.messages[0]", for logs
  std::string phone_number_id;       // value.metadata.phone_number_id: which office number
  std::string display_phone_number;  // value.metadata.display_phone_number ("" when absent)
  std::string id;                    // "wamid...." (the dashboard's test sends "ABGGFlA5Fpa")
  std::string from;                  // the sender's wa_id as sent (digits, no '+')
  // profile.name of the value.contacts[] entry whose wa_id == from, else of the only contact.
  std::optional<std::string> profile_name;
  std::string type;  // "text", "image", "video", "reaction", "unsupported", "button", ...
  // text.body; the caption of an image, video or document; button.text; the title of an
  // interactive button or list reply; a reaction's emoji; else "".
  std::string text;
  // image, video, document, audio, sticker: kind (= type), id, mime_type, sha256.
  std::optional<events::Media> media;
  std::int64_t timestamp_s = 0;  // "timestamp": seconds since 1970, sent as a string
};

// One element of value.statuses[]: what happened to a message we sent.
struct WebhookStatus {
  std::string path, phone_number_id, display_phone_number;
  std::string id;      // the outbound message's provider id (ParseSendResponse's result)
  std::string status;  // "sent" | "delivered" | "read" | "failed"; others kept as given
  std::int64_t timestamp_s = 0;
  std::string recipient_id;  // "" when absent
  // errors[0].code as a decimal string and errors[0].title, when WhatsApp gives them (failed).
  std::optional<std::string> error_code, error_title;
};

// An item that was skipped, and why. `path` names the JSON member at fault.
struct WebhookProblem {
  std::string path;
  std::string message;
};

struct WebhookBatch {
  std::vector<WebhookMessage> messages;  // in body order
  std::vector<WebhookStatus> statuses;   // in body order
  std::vector<WebhookProblem> problems;  // e.g. a message without "id", a non-"messages" change
};

// Reads every entry, every change, every message and status, in order.
//
// InvalidArgument naming the path when the body is not a WhatsApp webhook at all: longer than
// kWebhookBodyBytesMax, not JSON (or nested deeper than kWebhookDepthMax), not an object,
// "object" other than "whatsapp_business_account", "entry" missing or not an array. Anything
// smaller that is malformed (an entry, a change, a message, a status) is skipped into
// `problems` and never aborts the rest of the batch, so that one bad item does not make Meta
// resend (and us refuse) the good ones.
//
// Call it only after SignatureMatches: the structure tells nothing about who sent it.
Result<WebhookBatch> ParseWebhook(std::string_view body);

// The X-Hub-Signature-256 header Meta sends: "sha256=" + lower-case hex of
// HMAC-SHA256(app_secret, body), over the exact bytes of the body as received.
std::string SignatureHeader(std::string_view body, std::string_view app_secret);

// True when `header_value` is "sha256=" followed by 64 hex digits (either case) equal to the
// HMAC of `body`; compared in constant time. False for a missing or different prefix, a wrong
// length, non-hex digits, and for an empty app secret (anybody can sign with an empty key).
bool SignatureMatches(std::string_view header_value, std::string_view body,
                      std::string_view app_secret);

// A webhook body shaped exactly like Meta's text-message webhook, compact, with non-ASCII
// escaped as Meta puts it on the wire: for `antrean send` and for tests.
struct TextWebhookSpec {
  std::string phone_number_id, display_phone_number, from, profile_name, message_id, text;
  std::int64_t timestamp_s = 0;
  std::string business_account_id = "0";  // entry[0].id; the dashboard's test sends "0"
};
std::string BuildTextWebhook(const TextWebhookSpec& spec);

// The same for an image (Batam requires an e-KTP photo); the caption is left out when empty,
// as WhatsApp does.
struct ImageWebhookSpec {
  std::string phone_number_id, display_phone_number, from, profile_name, message_id, caption;
  std::string media_id, mime_type = "image/jpeg", sha256;  // sha256: base64, as WhatsApp gives it
  std::int64_t timestamp_s = 0;
  std::string business_account_id = "0";
};
std::string BuildImageWebhook(const ImageWebhookSpec& spec);

// A status webhook for one outbound message; errors[] only when error_code is given.
struct StatusWebhookSpec {
  std::string phone_number_id, display_phone_number, message_id, status, recipient_id;
  std::int64_t timestamp_s = 0;
  std::optional<std::int64_t> error_code;
  std::string error_title;
  std::string business_account_id = "0";
};
std::string BuildStatusWebhook(const StatusWebhookSpec& spec);

// `json_utf8` with every non-ASCII code point written as a lower-case \uXXXX escape (a UTF-16
// surrogate pair above U+FFFF), the way Meta sends JSON. Only meaningful inside JSON strings,
// where non-ASCII can only be; the result is pure ASCII. A byte that is not part of valid UTF-8
// becomes \ufffd, so the result is always valid JSON when the input was JSON.
std::string EscapeNonAscii(std::string_view json_utf8);

}  // namespace antrean::whatsapp
