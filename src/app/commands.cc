#include "app/commands.h"

#include <boost/json.hpp>

#include <optional>

#include "domain/phone.h"

namespace antrean::app {
namespace json = boost::json;

std::string_view CommandTypeName(const Command& command) {
  return std::visit(
      [](const auto& c) -> std::string_view {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, InboundMessage>) return "whatsapp.message";
        if constexpr (std::is_same_v<T, ArrivalCommand>) return "counter.arrival";
        if constexpr (std::is_same_v<T, IdentityCheckCommand>) return "counter.identity_check";
        if constexpr (std::is_same_v<T, DocumentsCommand>) {
          return c.returned ? "counter.documents_returned" : "counter.documents_submitted";
        }
        if constexpr (std::is_same_v<T, ClockTickCommand>) return "clock.tick";
        if constexpr (std::is_same_v<T, ApplicationProgressCommand>) {
          return "office.application_progress";
        }
        if constexpr (std::is_same_v<T, DeliveryStatusCommand>) return "whatsapp.status";
        if constexpr (std::is_same_v<T, BlacklistCommand>) return "audit.blacklist";
        if constexpr (std::is_same_v<T, UnblacklistCommand>) return "audit.unblacklist";
        if constexpr (std::is_same_v<T, ClearFlagCommand>) return "audit.clear_flag";
        if constexpr (std::is_same_v<T, ReplyOutcomeCommand>) {
          return c.sent ? "reply.sent" : "reply.failed";
        }
      },
      command);
}

namespace {

Status FieldError(std::string_view field, std::string_view what) {
  return Status::InvalidArgument("field \"" + std::string(field) + "\": " + std::string(what));
}

// Reads fields of one JSON object, remembering the first error; every field not read by the end
// is reported as unknown, so that a typo ("mesage_id") is not silently dropped.
class Reader {
 public:
  explicit Reader(const json::object& o) : o_(o) {}
  std::string Str(std::string_view name, std::size_t max_bytes, bool required = true) {
    const json::value* v = Take(name);
    if (v == nullptr) {
      if (required) Fail(FieldError(name, "is required"));
      return {};
    }
    if (!v->is_string()) {
      Fail(FieldError(name, "expected a string"));
      return {};
    }
    if (v->as_string().size() > max_bytes) {
      Fail(FieldError(name, "is longer than " + std::to_string(max_bytes) + " bytes"));
      return {};
    }
    return std::string(v->as_string());
  }
  const json::value* Take(std::string_view name) {
    seen_.emplace_back(name);
    return o_.if_contains(name);
  }
  void Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  // A required boolean.
  bool Bool(std::string_view name) {
    const json::value* v = Take(name);
    if (v == nullptr) {
      Fail(FieldError(name, "is required"));
      return false;
    }
    if (!v->is_bool()) Fail(FieldError(name, "expected true or false"));
    return v->is_bool() && v->as_bool();
  }
  // A required whole number in [1, max].
  std::uint32_t Count(std::string_view name, std::uint32_t max) {
    const json::value* v = Take(name);
    if (v == nullptr) {
      Fail(FieldError(name, "is required"));
      return 0;
    }
    std::uint64_t n = 0;
    if (v->is_uint64()) n = v->as_uint64();
    else if (v->is_int64() && v->as_int64() > 0) n = static_cast<std::uint64_t>(v->as_int64());
    if (n < 1 || n > max) {
      Fail(FieldError(name, "expected a whole number from 1 to " + std::to_string(max)));
      return 0;
    }
    return static_cast<std::uint32_t>(n);
  }
  // A required phone in any written form, normalised (domain::NormalizePhone).
  std::string Phone(std::string_view name) {
    // An empty phone is refused like any other that is not one (found by fuzzing); a missing
    // one has already failed as required.
    const std::string written = Str(name, domain::kPhoneInputBytesMax);
    auto phone = domain::NormalizePhone(written);
    if (!phone.ok()) {
      Fail(FieldError(name, phone.status().message()));
      return {};
    }
    return *phone;
  }
  Status Finish() {
    for (const auto& kv : o_) {
      bool known = false;
      for (auto n : seen_) known = known || kv.key() == n;
      if (!known) Fail(FieldError(kv.key(), "unknown field"));
    }
    return status_;
  }

 private:
  const json::object& o_;
  std::vector<std::string_view> seen_;
  Status status_;
};

Result<InboundMessage> ParseWhatsAppMessage(Reader& r, domain::Instant at) {
  InboundMessage m;
  m.at = at;
  m.office = r.Str("office", 64);
  m.message_id = r.Str("message_id", kMessageIdBytesMax);
  if (m.message_id.empty()) r.Fail(FieldError("message_id", "must not be empty"));
  m.from = r.Phone("from");
  if (auto p = r.Str("profile_name", kProfileNameBytesMax, false); !p.empty()) m.profile_name = p;
  if (auto t = r.Str("to", 64, false); !t.empty()) m.to = t;
  if (auto k = r.Str("kind", 32, false); !k.empty()) m.kind = k;
  if (auto c = r.Str("channel", 32, false); !c.empty()) m.channel = c;
  // The event would refuse any other channel; say so here, naming the field (found by fuzzing).
  if (!events::InList<events::kChannels>(m.channel)) {
    r.Fail(FieldError("channel", "expected whatsapp or import"));
  }
  m.text = r.Str("text", 16 * 1024, false);
  if (const json::value* media = r.Take("media")) {
    if (!media->is_object()) {
      r.Fail(FieldError("media", "expected an object {\"kind\": ..., \"id\": ...}"));
    } else {
      Reader mr(media->as_object());
      events::Media md;
      md.kind = mr.Str("kind", 32);
      md.id = mr.Str("id", 256);
      // The event requires both (found by fuzzing); a missing one has already failed.
      if (md.kind.empty()) mr.Fail(FieldError("kind", "must not be empty"));
      if (md.id.empty()) mr.Fail(FieldError("id", "must not be empty"));
      if (auto mt = mr.Str("mime_type", 128, false); !mt.empty()) md.mime_type = mt;
      if (auto sh = mr.Str("sha256", 128, false); !sh.empty()) md.sha256 = sh;
      // `field "kind": ...` becomes `field "media.kind": ...`.
      if (auto s = mr.Finish(); !s.ok()) {
        r.Fail(Status::InvalidArgument("field \"media." + s.message().substr(7)));
      }
      m.media = md;
      if (m.kind == "text") m.kind = md.kind;  // media without an explicit kind is of its kind
    }
  }
  if (auto s = r.Finish(); !s.ok()) return s;
  return m;
}

CounterContext ParseCounterContext(Reader& r, domain::Instant at) {
  CounterContext ctx;
  ctx.at = at;
  ctx.office = r.Str("office", 64);
  ctx.officer = r.Str("officer", 128);
  if (ctx.officer.empty()) r.Fail(FieldError("officer", "must name the acting officer"));
  ctx.request_id = r.Str("request_id", kMessageIdBytesMax, false);
  return ctx;
}

std::optional<std::string> OptionalStr(Reader& r, std::string_view name, std::size_t max) {
  std::string v = r.Str(name, max, false);
  if (v.empty()) return std::nullopt;
  return v;
}

// Each counter command: its fields after the common ones, then the unknown-field check. (Each
// branch returns its own command: a default-constructed variant assigned later makes GCC 12 at
// -O3 warn about an uninitialised string, a false positive.)
template <class C>
Result<Command> Finished(Reader& r, C command) {
  if (auto s = r.Finish(); !s.ok()) return s;
  return Command(std::move(command));
}

Result<Command> ParseCounter(std::string_view type, Reader& r, domain::Instant at) {
  if (type == "counter.arrival") {
    ArrivalCommand c{ParseCounterContext(r, at), {}};
    c.code = r.Str("code", 64);
    return Finished(r, std::move(c));
  }
  if (type == "counter.identity_check") {
    IdentityCheckCommand c{ParseCounterContext(r, at), {}, false, false, {}};
    c.code = r.Str("code", 64);
    c.person_matches = r.Bool("person_matches");
    c.phone_matches = r.Bool("phone_matches");
    c.note = OptionalStr(r, "note", 1024);
    return Finished(r, std::move(c));
  }
  if (type == "counter.documents_submitted" || type == "counter.documents_returned") {
    DocumentsCommand c{ParseCounterContext(r, at), {}, type == "counter.documents_returned", {}};
    c.code = r.Str("code", 64);
    if (c.returned) {
      c.reason = r.Str("reason", 1024);
      if (c.reason.empty()) r.Fail(FieldError("reason", "must say what was missing"));
    }
    return Finished(r, std::move(c));
  }
  ApplicationProgressCommand c{ParseCounterContext(r, at), {}, {}, {}};
  c.application_number = r.Str("application_number", 32);
  c.stage = r.Str("stage", 64);
  c.note = OptionalStr(r, "note", 1024);
  return Finished(r, std::move(c));
}

Result<Command> ParseDeliveryStatus(Reader& r, domain::Instant at) {
  DeliveryStatusCommand c{at, {}, {}, {}, {}, {}};
  c.provider_message_id = r.Str("provider_message_id", kMessageIdBytesMax);
  if (c.provider_message_id.empty()) r.Fail(FieldError("provider_message_id", "must not be empty"));
  c.status = r.Str("status", 32);
  c.recipient = r.Phone("recipient");
  c.error_code = OptionalStr(r, "error_code", 32);
  c.error_title = OptionalStr(r, "error_title", 512);
  return Finished(r, std::move(c));
}

Result<Command> ParseReplyOutcome(bool sent, Reader& r, domain::Instant at) {
  ReplyOutcomeCommand c{at, {}, 0, sent, {}, {}, false, {}};
  c.reply_id = r.Str("reply_id", 2 * kMessageIdBytesMax);
  if (c.reply_id.empty()) r.Fail(FieldError("reply_id", "must not be empty"));
  c.attempt = r.Count("attempt", kReplyAttemptsMax);
  if (sent) {
    c.provider_message_id = r.Str("provider_message_id", kMessageIdBytesMax);
    if (c.provider_message_id.empty()) {
      r.Fail(FieldError("provider_message_id", "must not be empty"));
    }
    return Finished(r, std::move(c));
  }
  c.error = r.Str("error", 1024);
  if (c.error.empty()) r.Fail(FieldError("error", "must say what went wrong"));
  c.final = r.Bool("final");
  if (auto retry = OptionalStr(r, "retry_at", 64)) {
    auto parsed = domain::ParseRfc3339(*retry);
    if (parsed.ok()) c.retry_at = *parsed;
    else r.Fail(FieldError("retry_at", parsed.status().message()));
  }
  if (!c.final && !c.retry_at) r.Fail(FieldError("retry_at", "is required unless final"));
  return Finished(r, std::move(c));
}

ReviewContext ParseReviewContext(Reader& r, domain::Instant at) {
  ReviewContext ctx{at, r.Str("auditor", 128), r.Str("request_id", kMessageIdBytesMax, false)};
  if (ctx.auditor.empty()) r.Fail(FieldError("auditor", "must name the acting auditor"));
  return ctx;
}

std::string ReviewReason(Reader& r) {
  std::string reason = r.Str("reason", kReviewReasonBytesMax);
  if (reason.empty()) r.Fail(FieldError("reason", "must say why"));
  return reason;
}

Result<Command> ParseReview(std::string_view type, Reader& r, domain::Instant at) {
  if (type == "audit.blacklist") {
    BlacklistCommand c{ParseReviewContext(r, at), {}, {}, {}};
    c.phone = r.Phone("phone");
    c.reason = ReviewReason(r);
    if (const json::value* ev = r.Take("evidence")) {
      bool ok = ev->is_array() && ev->as_array().size() <= kEvidenceSeqsMax;
      for (std::size_t i = 0; ok && i < ev->as_array().size(); ++i) {
        const json::value& x = ev->as_array()[i];
        ok = (x.is_uint64() && x.as_uint64() > 0) || (x.is_int64() && x.as_int64() > 0);
        if (ok) c.evidence.push_back(x.to_number<std::uint64_t>());
      }
      if (!ok) {
        r.Fail(FieldError("evidence", "expected an array of at most 1000 sequence numbers (>= 1)"));
      }
    }
    return Finished(r, std::move(c));
  }
  if (type == "audit.unblacklist") {
    UnblacklistCommand c{ParseReviewContext(r, at), {}, {}};
    c.phone = r.Phone("phone");
    c.reason = ReviewReason(r);
    return Finished(r, std::move(c));
  }
  ClearFlagCommand c{ParseReviewContext(r, at), {}, {}};
  c.flag_id = r.Str("flag_id", 128);
  if (c.flag_id.empty()) r.Fail(FieldError("flag_id", "must not be empty"));
  c.reason = ReviewReason(r);
  return Finished(r, std::move(c));
}

}  // namespace

Result<Command> ParseCommand(std::string_view line) {
  if (line.size() > kCommandLineBytesMax) {
    return Status::InvalidArgument("the line is longer than " +
                                   std::to_string(kCommandLineBytesMax) + " bytes");
  }
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  json::value v = json::parse(line, ec, {}, opts);
  if (ec) return Status::InvalidArgument("not valid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("expected a JSON object");
  Reader r(v.as_object());
  const std::string type = r.Str("type", 64);
  const std::string at_text = r.Str("at", 64);
  domain::Instant at;
  if (!at_text.empty()) {
    auto parsed = domain::ParseRfc3339(at_text);
    if (!parsed.ok()) r.Fail(FieldError("at", parsed.status().message()));
    else at = *parsed;
  }
  if (type == "whatsapp.message") {
    auto m = ParseWhatsAppMessage(r, at);
    if (!m.ok()) return m.status();
    return Command(std::move(m).value());
  }
  if (type == "clock.tick") {
    if (auto s = r.Finish(); !s.ok()) return s;
    return Command(ClockTickCommand{at});
  }
  if (type == "counter.arrival" || type == "counter.identity_check" ||
      type == "counter.documents_submitted" || type == "counter.documents_returned" ||
      type == "office.application_progress") {
    return ParseCounter(type, r, at);
  }
  if (type == "whatsapp.status") return ParseDeliveryStatus(r, at);
  if (type == "audit.blacklist" || type == "audit.unblacklist" || type == "audit.clear_flag") {
    return ParseReview(type, r, at);
  }
  if (type == "reply.sent" || type == "reply.failed") {
    return ParseReplyOutcome(type == "reply.sent", r, at);
  }
  if (auto s = r.Finish(); !s.ok() && type.empty()) return s;
  return FieldError("type", "unknown command type \"" + type + "\" (docs/COMMANDS.md lists them)");
}

}  // namespace antrean::app
