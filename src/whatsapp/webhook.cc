#include "whatsapp/webhook.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <limits>
#include <utility>

#include "common/sha256.h"
#include "common/utf8.h"
#include "whatsapp/json_read.h"

namespace antrean::whatsapp {

using namespace detail;  // NOLINT: this folder's JSON helpers, and `json` for boost::json

namespace {

constexpr std::string_view kObjectName = "whatsapp_business_account";
constexpr std::string_view kSignaturePrefix = "sha256=";
// What a wrong "object" is quoted with in an error: enough to recognise it.
constexpr std::size_t kShownBytesMax = 64;
// The message types whose payload is a media object named like the type.
constexpr std::string_view kMediaKinds[] = {"image", "video", "document", "audio", "sticker"};

// Why an item is skipped: the member at fault, relative to the item, and what is wrong with it.
struct Fault {
  std::string member;
  std::string why;
};

// What every message and status of one change shares.
struct ChangeContext {
  std::string path;  // "entry[0].changes[1].value"
  std::string phone_number_id, display_phone_number;
  const json::array* contacts = nullptr;
};

void Skip(WebhookBatch& batch, std::string path, std::string message) {
  batch.problems.push_back({std::move(path), std::move(message)});
}

std::string Join(const std::string& path, std::string_view member) {
  return member.empty() ? path : path + "." + std::string(member);
}

// Calls read(element, path) for each element of the array at `v`; skips `v` when it is no array.
template <class Read>
void ForEach(const json::value& v, const std::string& path, WebhookBatch& batch, Read read) {
  const json::array* a = v.if_array();
  if (a == nullptr) return Skip(batch, path, "expected an array, got " + std::string(KindName(v)));
  for (std::size_t i = 0; i < a->size(); ++i) read((*a)[i], path + "[" + std::to_string(i) + "]");
}

// "timestamp": seconds since 1970, which Meta sends as a string of digits; a number is accepted
// too, a negative or fractional one is not.
std::optional<std::int64_t> Seconds(const json::value& v) {
  if (const json::string* s = v.if_string()) {
    std::int64_t n = 0;
    const char* end = s->data() + s->size();
    const auto [ptr, ec] = std::from_chars(s->data(), end, n);
    if (s->empty() || (*s)[0] < '0' || (*s)[0] > '9' || ec != std::errc() || ptr != end) {
      return std::nullopt;
    }
    return n;
  }
  if (const std::int64_t* i = v.if_int64(); i != nullptr && *i >= 0) return *i;
  if (const std::uint64_t* u = v.if_uint64();
      u != nullptr && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;
}

std::optional<Fault> ReadTimestamp(const json::object& o, std::int64_t* out) {
  const json::value* v = o.if_contains("timestamp");
  if (v == nullptr) return Fault{"timestamp", "missing"};
  const std::optional<std::int64_t> seconds = Seconds(*v);
  if (!seconds) return Fault{"timestamp", "expected seconds since 1970 as a string of digits"};
  if (*seconds > kWebhookTimestampSecondsMax) {
    return Fault{"timestamp", "after the year 9998 (" + std::to_string(kWebhookTimestampSecondsMax) +
                                  " at most)"};
  }
  *out = *seconds;
  return std::nullopt;
}

// Reads the required string members named in `fields` into their targets; the first one
// missing or wrong is the fault.
struct RequiredField {
  std::string_view key;
  std::string* out;
};
std::optional<Fault> ReadRequired(const json::object& o,
                                  std::initializer_list<RequiredField> fields) {
  std::string why;
  for (const RequiredField& f : fields) {
    const json::string* s = RequiredString(o, f.key, kWebhookFieldBytesMax, &why);
    if (s == nullptr) return Fault{std::string(f.key), why};
    *f.out = ToStd(*s);
  }
  return std::nullopt;
}

// ---- Messages -----------------------------------------------------------------------------------

bool IsMediaKind(std::string_view type) {
  for (std::string_view kind : kMediaKinds) {
    if (type == kind) return true;
  }
  return false;
}

std::string StringOr(const json::object& o, std::initializer_list<std::string_view> keys) {
  const json::string* s = DigString(o, keys);
  return s != nullptr ? ToStd(*s) : std::string();
}

// The media object named like the type. Its "url" is not kept: it is short-lived and needs our
// access token, and the media id fetches a fresh one.
std::optional<Fault> ReadMedia(const json::object& o, WebhookMessage* m) {
  const json::value* v = o.if_contains(m->type);
  const json::object* media = v != nullptr ? v->if_object() : nullptr;
  if (media == nullptr) {
    return Fault{m->type,
                 v == nullptr ? "missing" : "expected an object, got " + std::string(KindName(*v))};
  }
  events::Media out;
  out.kind = m->type;
  if (auto fault = ReadRequired(*media, {{"id", &out.id}})) {
    return Fault{m->type + "." + fault->member, fault->why};
  }
  out.mime_type = OptionalString(*media, "mime_type", kWebhookFieldBytesMax);
  out.sha256 = OptionalString(*media, "sha256", kWebhookFieldBytesMax);
  m->text = StringOr(*media, {"caption"});  // images, videos and documents; "" for the others
  m->media = std::move(out);
  return std::nullopt;
}

// The text a person chose or typed, per type. Only a text message without its body and a media
// message without its media are faults; the other types' texts are optional.
std::optional<Fault> ReadContent(const json::object& o, WebhookMessage* m) {
  const std::string& type = m->type;
  if (type == "text") {
    const json::string* body = DigString(o, {"text", "body"});
    if (body == nullptr) return Fault{"text.body", "missing or not a string"};
    m->text = ToStd(*body);
  } else if (IsMediaKind(type)) {
    return ReadMedia(o, m);
  } else if (type == "button") {  // a quick-reply button of a template
    m->text = StringOr(o, {"button", "text"});
  } else if (type == "interactive") {  // a reply button or a list row we offered
    m->text = StringOr(o, {"interactive", "button_reply", "title"});
    if (m->text.empty()) m->text = StringOr(o, {"interactive", "list_reply", "title"});
  } else if (type == "reaction") {  // no emoji: the reaction was removed
    m->text = StringOr(o, {"reaction", "emoji"});
  }
  return std::nullopt;
}

// profile.name of the contact whose wa_id is the sender, else of the only contact (whose wa_id
// may be spelt differently). A value normally holds one message and its one contact; matching
// on wa_id keeps the right name should Meta ever group several.
std::optional<std::string> ProfileName(const json::array* contacts, std::string_view from) {
  if (contacts == nullptr) return std::nullopt;
  const json::object* chosen = nullptr;
  for (const json::value& c : *contacts) {
    const json::object* o = c.if_object();
    const json::string* wa_id = o != nullptr ? DigString(*o, {"wa_id"}) : nullptr;
    if (wa_id != nullptr && View(*wa_id) == from) {
      chosen = o;
      break;
    }
  }
  if (chosen == nullptr && contacts->size() == 1) chosen = contacts->front().if_object();
  const json::value* profile = chosen != nullptr ? chosen->if_contains("profile") : nullptr;
  if (profile == nullptr || !profile->is_object()) return std::nullopt;
  return OptionalString(profile->as_object(), "name", kWebhookFieldBytesMax);
}

void ReadMessage(const json::value& v, const std::string& path, const ChangeContext& c,
                 WebhookBatch& batch) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Skip(batch, path, "expected an object, got " + std::string(KindName(v)));
  WebhookMessage m;
  std::optional<Fault> fault =
      ReadRequired(*o, {{"id", &m.id}, {"from", &m.from}, {"type", &m.type}});
  if (!fault) fault = ReadTimestamp(*o, &m.timestamp_s);
  if (!fault) fault = ReadContent(*o, &m);
  if (fault) return Skip(batch, Join(path, fault->member), fault->why);
  m.path = path;
  m.phone_number_id = c.phone_number_id;
  m.display_phone_number = c.display_phone_number;
  m.profile_name = ProfileName(c.contacts, m.from);
  batch.messages.push_back(std::move(m));
}

// ---- Statuses -----------------------------------------------------------------------------------

void ReadStatus(const json::value& v, const std::string& path, const ChangeContext& c,
                WebhookBatch& batch) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Skip(batch, path, "expected an object, got " + std::string(KindName(v)));
  WebhookStatus s;
  std::optional<Fault> fault = ReadRequired(*o, {{"id", &s.id}, {"status", &s.status}});
  if (!fault) fault = ReadTimestamp(*o, &s.timestamp_s);
  if (fault) return Skip(batch, Join(path, fault->member), fault->why);
  s.path = path;
  s.phone_number_id = c.phone_number_id;
  s.display_phone_number = c.display_phone_number;
  s.recipient_id = OptionalString(*o, "recipient_id", kWebhookFieldBytesMax).value_or("");
  const json::value* errors = o->if_contains("errors");
  const json::array* list = errors != nullptr ? errors->if_array() : nullptr;
  if (list != nullptr && !list->empty() && list->front().is_object()) {
    const json::object& first = list->front().as_object();
    s.error_code = CodeString(first.if_contains("code"));
    s.error_title = OptionalString(first, "title", kWebhookFieldBytesMax);
  }
  batch.statuses.push_back(std::move(s));
}

// ---- Entries and changes ------------------------------------------------------------------------

// value.errors[0] of a change that carries neither messages nor statuses: Meta's way to report
// a problem of the account or the app.
std::string ValueErrors(const json::object& value) {
  const json::value* errors = value.if_contains("errors");
  const json::array* list = errors != nullptr ? errors->if_array() : nullptr;
  if (list == nullptr || list->empty() || !list->front().is_object()) return "";
  const json::object& first = list->front().as_object();
  const std::string code = CodeString(first.if_contains("code")).value_or("?");
  return "; errors[0]: (#" + code + ") " +
         OptionalString(first, "title", kWebhookFieldBytesMax).value_or("");
}

// value.metadata: which of our numbers the change is for. Without phone_number_id no office can
// be told, so the change's items are skipped.
std::optional<Fault> ReadMetadata(const json::object& value, ChangeContext* c) {
  const json::value* v = value.if_contains("metadata");
  if (v == nullptr || !v->is_object()) {
    return Fault{"metadata", "missing or not an object; the office number is unknown"};
  }
  const json::object& metadata = v->as_object();
  if (auto fault = ReadRequired(metadata, {{"phone_number_id", &c->phone_number_id}})) {
    return Fault{"metadata." + fault->member, fault->why + "; the office number is unknown"};
  }
  c->display_phone_number =
      OptionalString(metadata, "display_phone_number", kWebhookFieldBytesMax).value_or("");
  const json::value* contacts = value.if_contains("contacts");
  c->contacts = contacts != nullptr ? contacts->if_array() : nullptr;
  return std::nullopt;
}

void ReadChange(const json::value& v, const std::string& path, WebhookBatch& batch) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Skip(batch, path, "expected an object, got " + std::string(KindName(v)));
  const json::string* field = DigString(*o, {"field"});
  if (field == nullptr) return Skip(batch, path + ".field", "missing or not a string");
  if (View(*field) != "messages") {
    return Skip(batch, path + ".field",
                EscapeNonAscii(json::serialize(*field)).substr(0, kShownBytesMax) +
                    " is not \"messages\"; only messages and statuses are read");
  }
  const json::value* value = o->if_contains("value");
  if (value == nullptr || !value->is_object()) {
    return Skip(batch, path + ".value", "missing or not an object");
  }
  ChangeContext c;
  c.path = path + ".value";
  if (auto fault = ReadMetadata(value->as_object(), &c)) {
    return Skip(batch, Join(c.path, fault->member), fault->why);
  }
  const json::value* messages = value->as_object().if_contains("messages");
  const json::value* statuses = value->as_object().if_contains("statuses");
  if (messages == nullptr && statuses == nullptr) {
    return Skip(batch, c.path, "neither messages nor statuses" + ValueErrors(value->as_object()));
  }
  if (messages != nullptr) {
    ForEach(*messages, c.path + ".messages", batch,
            [&](const json::value& m, const std::string& p) { ReadMessage(m, p, c, batch); });
  }
  if (statuses != nullptr) {
    ForEach(*statuses, c.path + ".statuses", batch,
            [&](const json::value& s, const std::string& p) { ReadStatus(s, p, c, batch); });
  }
}

void ReadEntry(const json::value& v, const std::string& path, WebhookBatch& batch) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Skip(batch, path, "expected an object, got " + std::string(KindName(v)));
  const json::value* changes = o->if_contains("changes");
  if (changes == nullptr) return Skip(batch, path + ".changes", "missing");
  ForEach(*changes, path + ".changes", batch,
          [&](const json::value& c, const std::string& p) { ReadChange(c, p, batch); });
}

// A value quoted in an error, bounded and in ASCII.
std::string Shown(const json::value* v) {
  if (v == nullptr) return "nothing";
  if (!v->is_string()) return std::string(KindName(*v));
  return EscapeNonAscii(json::serialize(*v)).substr(0, kShownBytesMax);
}

// ---- Building webhooks --------------------------------------------------------------------------

json::object ValueHead(std::string_view phone_number_id, std::string_view display_phone_number) {
  json::object metadata;
  metadata["display_phone_number"] = ToJson(display_phone_number);
  metadata["phone_number_id"] = ToJson(phone_number_id);
  json::object value;
  value["messaging_product"] = "whatsapp";
  value["metadata"] = std::move(metadata);
  return value;
}

void AddContact(json::object& value, std::string_view profile_name, std::string_view wa_id) {
  json::object profile;
  profile["name"] = ToJson(profile_name);
  json::object contact;
  contact["profile"] = std::move(profile);
  contact["wa_id"] = ToJson(wa_id);
  json::array contacts;
  contacts.emplace_back(std::move(contact));
  value["contacts"] = std::move(contacts);
}

json::object MessageHead(std::string_view from, std::string_view id, std::int64_t timestamp_s) {
  json::object message;
  message["from"] = ToJson(from);
  message["id"] = ToJson(id);
  message["timestamp"] = ToJson(std::to_string(timestamp_s));
  return message;
}

void AddOne(json::object& value, std::string_view key, json::object item) {
  json::array items;
  items.emplace_back(std::move(item));
  value[key] = std::move(items);
}

// Wraps one change's value into the body, in Meta's member order, compact and escaped.
std::string Envelope(std::string_view business_account_id, json::object value) {
  json::object change;
  change["value"] = std::move(value);
  change["field"] = "messages";
  json::object entry;
  entry["id"] = ToJson(business_account_id);
  AddOne(entry, "changes", std::move(change));
  json::object root;
  root["object"] = kObjectName;
  AddOne(root, "entry", std::move(entry));
  return EscapeNonAscii(json::serialize(root));
}

// ---- UTF-8 --------------------------------------------------------------------------------------

void AppendUnit(std::string* out, char32_t unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xF]);
}

}  // namespace

// ---- Public -------------------------------------------------------------------------------------

Result<WebhookBatch> ParseWebhook(std::string_view body) {
  if (body.size() > kWebhookBodyBytesMax) {
    return Status::InvalidArgument("body: " + std::to_string(body.size()) +
                                   " bytes, more than the " + std::to_string(kWebhookBodyBytesMax) +
                                   " a webhook may have");
  }
  Result<json::value> root = ParseJson(body, "body", kWebhookDepthMax);
  if (!root.ok()) return root.status();
  const json::object* o = root->if_object();
  if (o == nullptr) {
    return Status::InvalidArgument("body: expected a JSON object, got " +
                                   std::string(KindName(*root)));
  }
  const json::value* object = o->if_contains("object");
  if (object == nullptr || !object->is_string() || View(object->as_string()) != kObjectName) {
    return Status::InvalidArgument("object: expected \"" + std::string(kObjectName) + "\", got " +
                                   Shown(object));
  }
  const json::value* entry = o->if_contains("entry");
  if (entry == nullptr) return Status::InvalidArgument("entry: missing");
  if (!entry->is_array()) {
    return Status::InvalidArgument("entry: expected an array, got " +
                                   std::string(KindName(*entry)));
  }
  WebhookBatch batch;
  ForEach(*entry, "entry", batch,
          [&](const json::value& e, const std::string& p) { ReadEntry(e, p, batch); });
  return batch;
}

std::string SignatureHeader(std::string_view body, std::string_view app_secret) {
  return std::string(kSignaturePrefix) + ToHex(HmacSha256(app_secret, body));
}

bool SignatureMatches(std::string_view header_value, std::string_view body,
                      std::string_view app_secret) {
  if (app_secret.empty() || !header_value.starts_with(kSignaturePrefix)) return false;
  Hash256 given{};
  if (!ParseHash256Hex(header_value.substr(kSignaturePrefix.size()), &given)) return false;
  return ConstantTimeEqual(given, HmacSha256(app_secret, body));
}

std::string BuildTextWebhook(const TextWebhookSpec& spec) {
  json::object value = ValueHead(spec.phone_number_id, spec.display_phone_number);
  AddContact(value, spec.profile_name, spec.from);
  json::object message = MessageHead(spec.from, spec.message_id, spec.timestamp_s);
  json::object text;
  text["body"] = ToJson(spec.text);
  message["text"] = std::move(text);
  message["type"] = "text";
  AddOne(value, "messages", std::move(message));
  return Envelope(spec.business_account_id, std::move(value));
}

std::string BuildImageWebhook(const ImageWebhookSpec& spec) {
  json::object value = ValueHead(spec.phone_number_id, spec.display_phone_number);
  AddContact(value, spec.profile_name, spec.from);
  json::object message = MessageHead(spec.from, spec.message_id, spec.timestamp_s);
  message["type"] = "image";
  json::object image;
  if (!spec.caption.empty()) image["caption"] = ToJson(spec.caption);
  image["mime_type"] = ToJson(spec.mime_type);
  image["sha256"] = ToJson(spec.sha256);
  image["id"] = ToJson(spec.media_id);
  message["image"] = std::move(image);
  AddOne(value, "messages", std::move(message));
  return Envelope(spec.business_account_id, std::move(value));
}

std::string BuildStatusWebhook(const StatusWebhookSpec& spec) {
  json::object value = ValueHead(spec.phone_number_id, spec.display_phone_number);
  json::object status;
  status["id"] = ToJson(spec.message_id);
  status["status"] = ToJson(spec.status);
  status["timestamp"] = ToJson(std::to_string(spec.timestamp_s));
  status["recipient_id"] = ToJson(spec.recipient_id);
  if (spec.error_code) {
    json::object error;
    error["code"] = *spec.error_code;
    error["title"] = ToJson(spec.error_title);
    error["message"] = ToJson(spec.error_title);
    AddOne(status, "errors", std::move(error));
  }
  AddOne(value, "statuses", std::move(status));
  return Envelope(spec.business_account_id, std::move(value));
}

std::string EscapeNonAscii(std::string_view json_utf8) {
  std::string out;
  out.reserve(json_utf8.size());
  for (std::size_t i = 0; i < json_utf8.size();) {
    if (static_cast<unsigned char>(json_utf8[i]) < 0x80) {
      out.push_back(json_utf8[i++]);
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = DecodeUtf8At(json_utf8, i, &cp);
    if (n == 0) {
      AppendUnit(&out, 0xFFFD);  // one replacement per bad byte, then resynchronise
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      AppendUnit(&out, 0xD800 + (cp >> 10));
      AppendUnit(&out, 0xDC00 + (cp & 0x3FF));
    } else {
      AppendUnit(&out, cp);
    }
    i += n;
  }
  return out;
}

}  // namespace antrean::whatsapp
