// The outbox's side of the WhatsApp Cloud API (Graph API): the body of
//   POST {base}/{phone_number_id}/messages
//   Authorization: Bearer <token>
//   Content-Type: application/json
// and what comes back. Pure functions; the HTTP client lives elsewhere (docs/WHATSAPP.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace antrean::whatsapp {

// Graph answers a send with about 250 bytes and an error with under 1 KB; a client reads at most
// this much of a response, and the functions below look no further.
inline constexpr std::size_t kGraphResponseBytesMax = 64 * 1024;
// A body that is not Graph's JSON error (a proxy's HTML page, say) is quoted at most this long.
inline constexpr std::size_t kGraphExcerptBytesMax = 200;

// {"messaging_product":"whatsapp","recipient_type":"individual","to":to,"type":"text",
//  "text":{"preview_url":false,"body":text}}, compact, non-ASCII escaped as \uXXXX (so that even
// text holding invalid UTF-8 gives valid JSON). No link preview: replies are plain text, and a
// preview would have WhatsApp fetch whatever a reply links to.
std::string BuildSendTextBody(std::string_view to, std::string_view text);

// The message id WhatsApp gave the sent message (messages[0].id, "wamid...."): the id later
// status webhooks carry. InvalidArgument naming what is missing ("messages[0].id: missing"), or
// the error when the body is Graph's {"error": {...}}.
Result<std::string> ParseSendResponse(std::string_view body);

// One line for a failed send, for logs and the reply_failed event:
//   "HTTP 400: (#131030) Recipient phone number not in allowed list"
// from Graph's {"error": {"message", "code", ...}} (the "(#code)" is added when the message does
// not start with it), else the status and at most kGraphExcerptBytesMax bytes of the body with
// runs of white space and control characters made one space and non-ASCII as \uXXXX.
std::string DescribeGraphError(int http_status, std::string_view body);

}  // namespace antrean::whatsapp
