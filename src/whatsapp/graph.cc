#include "whatsapp/graph.h"

#include <boost/json/serialize.hpp>
#include <optional>

#include "common/utf8.h"
#include "whatsapp/json_read.h"
#include "whatsapp/webhook.h"

namespace antrean::whatsapp {

using namespace detail;  // NOLINT: this folder's JSON helpers, and `json` for boost::json

namespace {

// Graph's responses nest 3 levels; anything much deeper is not Graph's.
constexpr std::size_t kGraphDepthMax = 16;
// Message ids are under 100 bytes.
constexpr std::size_t kMessageIdBytesMax = 256;

bool IsBlank(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// The first kGraphExcerptBytesMax bytes of `text` (not cutting a UTF-8 sequence), on one line
// and in ASCII, so that whatever a server sent is safe in a log line and in an event.
std::string Excerpt(std::string_view text) {
  const std::size_t cut = Utf8Prefix(text, kGraphExcerptBytesMax).size();
  std::string line;
  for (std::size_t i = 0; i < cut; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!IsBlank(c)) {
      line.push_back(text[i]);
    } else if (!line.empty() && line.back() != ' ') {
      line.push_back(' ');
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return EscapeNonAscii(line) + (cut < text.size() ? "..." : "");
}

// Graph's {"error": {"message": ..., "code": ...}} as "(#code) message"; nullopt when the body
// is something else.
std::optional<std::string> GraphErrorText(const json::object& root) {
  const json::string* message = DigString(root, {"error", "message"});
  if (message == nullptr || message->empty()) return std::nullopt;
  std::string text = Excerpt(View(*message));
  const std::optional<std::string> code = CodeString(Dig(root, {"error", "code"}));
  if (code && !text.starts_with("(#")) text = "(#" + *code + ") " + text;
  return text;
}

}  // namespace

std::string BuildSendTextBody(std::string_view to, std::string_view text) {
  json::object content;
  content["preview_url"] = false;
  content["body"] = ToJson(text);
  json::object body;
  body["messaging_product"] = "whatsapp";
  body["recipient_type"] = "individual";
  body["to"] = ToJson(to);
  body["type"] = "text";
  body["text"] = std::move(content);
  return EscapeNonAscii(json::serialize(body));
}

Result<std::string> ParseSendResponse(std::string_view body) {
  if (body.size() > kGraphResponseBytesMax) {
    return Status::InvalidArgument("response: " + std::to_string(body.size()) +
                                   " bytes, more than " + std::to_string(kGraphResponseBytesMax));
  }
  Result<json::value> root = ParseJson(body, "response", kGraphDepthMax);
  if (!root.ok()) return root.status();
  const json::object* o = root->if_object();
  if (o == nullptr) return Status::InvalidArgument("response: expected a JSON object");
  if (std::optional<std::string> error = GraphErrorText(*o)) {
    return Status::InvalidArgument("response: error " + *error);
  }
  const json::value* messages = o->if_contains("messages");
  if (messages == nullptr) return Status::InvalidArgument("messages: missing");
  const json::array* list = messages->if_array();
  if (list == nullptr) return Status::InvalidArgument("messages: expected an array");
  if (list->empty()) return Status::InvalidArgument("messages[0]: missing (the array is empty)");
  const json::object* first = list->front().if_object();
  if (first == nullptr) return Status::InvalidArgument("messages[0]: expected an object");
  std::string why;
  const json::string* id = RequiredString(*first, "id", kMessageIdBytesMax, &why);
  if (id == nullptr) return Status::InvalidArgument("messages[0].id: " + why);
  return ToStd(*id);
}

std::string DescribeGraphError(int http_status, std::string_view body) {
  const std::string head = "HTTP " + std::to_string(http_status) + ": ";
  if (body.size() <= kGraphResponseBytesMax) {
    Result<json::value> root = ParseJson(body, "response", kGraphDepthMax);
    const json::object* o = root.ok() ? root->if_object() : nullptr;
    if (o != nullptr) {
      if (std::optional<std::string> error = GraphErrorText(*o)) return head + *error;
    }
  }
  const std::string excerpt = Excerpt(body);
  return head + (excerpt.empty() ? "empty body" : excerpt);
}

}  // namespace antrean::whatsapp
