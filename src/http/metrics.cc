#include "http/metrics.h"

#include <cstdio>
#include <vector>

namespace antrean::http {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void Header(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Line(std::string* out, std::string_view name, std::string_view labels, double value) {
  out->append(name);
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->append(" ").append(Number(value)).append("\n");
}

}  // namespace

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < kBuckets && value > bounds_[i]) ++i;
  std::lock_guard lk(mu_);
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::Render(std::string* out, std::string_view name, std::string_view labels) const {
  std::lock_guard lk(mu_);
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBuckets; ++i) {
    cumulative += counts_[i];
    const std::string le = i < kBuckets ? Number(bounds_[i]) : "+Inf";
    Line(out, std::string(name) + "_bucket", prefix + "le=\"" + le + "\"",
         static_cast<double>(cumulative));
  }
  Line(out, std::string(name) + "_sum", labels, sum_);
  Line(out, std::string(name) + "_count", labels, static_cast<double>(count_));
}

Metrics::Metrics() = default;

void Metrics::Request(std::string_view method, std::string_view route, int status,
                      double seconds) {
  std::lock_guard lk(mu_);
  ++requests_[{std::string(method), std::string(route)}][status];
  request_seconds_.try_emplace(std::string(route), kLatencyBounds).first->second.Observe(seconds);
}

void Metrics::Webhook(std::size_t messages, std::size_t statuses, std::size_t problems) {
  webhook_messages_ += messages;
  webhook_statuses_ += statuses;
  webhook_problems_ += problems;
  webhook_items_.Observe(static_cast<double>(messages + statuses));
}

void Metrics::Command(std::string_view type, bool ok, double seconds) {
  {
    std::lock_guard lk(mu_);
    ++commands_[{std::string(type), ok}];
  }
  command_seconds_.Observe(seconds);
}

void Metrics::OutboxAttempt(bool sent, bool final_failure) {
  if (sent) ++outbox_sent_;
  else if (final_failure) ++outbox_given_up_;
  else ++outbox_retries_;
}

std::string Metrics::Render(const std::vector<Gauge>& gauges) const {
  std::string out;
  std::lock_guard lk(mu_);
  Header(&out, "antrean_http_requests_total", "counter", "HTTP requests by method, route and status.");
  for (const auto& [key, by_status] : requests_) {
    for (const auto& [status, n] : by_status) {
      Line(&out, "antrean_http_requests_total",
           "method=\"" + key.first + "\",route=\"" + key.second + "\",status=\"" +
               std::to_string(status) + "\"",
           static_cast<double>(n));
    }
  }
  Header(&out, "antrean_http_request_seconds", "histogram",
         "Time from a request's first byte to its response, by route.");
  for (const auto& [route, h] : request_seconds_) {
    h.Render(&out, "antrean_http_request_seconds", "route=\"" + route + "\"");
  }
  Header(&out, "antrean_commands_total", "counter",
         "Commands decided, by type and whether they were appended (ok) or refused.");
  for (const auto& [key, n] : commands_) {
    Line(&out, "antrean_commands_total",
         "type=\"" + key.first + "\",ok=\"" + (key.second ? "true" : "false") + "\"",
         static_cast<double>(n));
  }
  Header(&out, "antrean_append_seconds", "histogram",
         "Append latency: from a command's submission until its events are durable.");
  command_seconds_.Render(&out, "antrean_append_seconds", "");
  Header(&out, "antrean_webhook_signature_failures_total", "counter",
         "Webhook POSTs refused for a missing or wrong X-Hub-Signature-256.");
  Line(&out, "antrean_webhook_signature_failures_total", "",
       static_cast<double>(signature_failures_.load()));
  Header(&out, "antrean_webhook_items_total", "counter",
         "Items of signed webhook deliveries, by kind (message, status, problem: skipped).");
  Line(&out, "antrean_webhook_items_total", "kind=\"message\"",
       static_cast<double>(webhook_messages_.load()));
  Line(&out, "antrean_webhook_items_total", "kind=\"status\"",
       static_cast<double>(webhook_statuses_.load()));
  Line(&out, "antrean_webhook_items_total", "kind=\"problem\"",
       static_cast<double>(webhook_problems_.load()));
  Header(&out, "antrean_webhook_batch_items", "histogram",
         "Messages and statuses per webhook delivery (Meta batches them).");
  webhook_items_.Render(&out, "antrean_webhook_batch_items", "");
  Header(&out, "antrean_outbox_attempts_total", "counter",
         "Reply send attempts by result: sent, retry (failed, will retry), given_up.");
  Line(&out, "antrean_outbox_attempts_total", "result=\"sent\"", static_cast<double>(outbox_sent_.load()));
  Line(&out, "antrean_outbox_attempts_total", "result=\"retry\"",
       static_cast<double>(outbox_retries_.load()));
  Line(&out, "antrean_outbox_attempts_total", "result=\"given_up\"",
       static_cast<double>(outbox_given_up_.load()));
  Header(&out, "antrean_clock_ticks_total", "counter", "Expiry sweeps run by the timer.");
  Line(&out, "antrean_clock_ticks_total", "", static_cast<double>(ticks_.load()));
  for (const auto& g : gauges) {
    Header(&out, g.name, g.type, g.help);
    Line(&out, g.name, "", g.value);
  }
  return out;
}

}  // namespace antrean::http
