#include "app/result_json.h"

#include <boost/json.hpp>

namespace antrean::app {

std::string FieldNamed(std::string_view message) {
  constexpr std::string_view kPrefix = "field \"";
  const auto at = message.find(kPrefix);
  if (at == std::string_view::npos) return {};
  const auto end = message.find('"', at + kPrefix.size());
  if (end == std::string_view::npos) return {};
  return std::string(message.substr(at + kPrefix.size(), end - at - kPrefix.size()));
}

boost::json::object ResultJson(std::uint64_t line, std::string_view type,
                               const CommandResult& r) {
  boost::json::object o;
  if (line != 0) o["line"] = line;
  o["ok"] = r.status.ok();
  o["type"] = type;
  if (!r.status.ok() && line != 0) {
    o["error"] = "line " + std::to_string(line) + ": " + r.status.ToString();
    return o;
  }
  if (!r.status.ok()) {
    o["error"] = r.status.message();
    if (std::string field = FieldNamed(r.status.message()); !field.empty()) o["field"] = field;
    return o;
  }
  if (r.duplicate) o["duplicate"] = true;
  boost::json::array events;
  for (const auto& e : r.events) events.push_back(boost::json::object{{"seq", e.seq}, {"type", e.type}});
  o["events"] = std::move(events);
  const Outcome& out = r.outcome;
  o["outcome"] = OutcomeKindName(out.kind);
  if (!out.booking_code.empty()) o["booking_code"] = out.booking_code;
  if (out.queue_number != 0) o["queue_number"] = out.queue_number;
  if (!out.date.empty()) o["date"] = out.date;
  if (!out.session.empty()) o["session"] = out.session;
  if (!out.arrive_by.empty()) o["arrive_by"] = out.arrive_by;
  if (out.kind == Outcome::Kind::kExpired) o["expired"] = out.expired;
  if (!out.reason.empty()) o["reason"] = out.reason;
  if (!out.detail.empty()) o["detail"] = out.detail;
  if (!out.next_available_date.empty()) o["next_available_date"] = out.next_available_date;
  if (!out.information.empty()) o["information"] = out.information;
  if (!out.reply.empty()) o["reply"] = out.reply;
  return o;
}

}  // namespace antrean::app
