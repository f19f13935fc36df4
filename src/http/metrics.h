// The service's counters and histograms, rendered in Prometheus' text format at /metrics
// (docs/API.md, "Metrics" lists every series). Thread-safe; cheap enough to call per request.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace antrean::http {

// A histogram with fixed upper bounds (seconds or counts), as Prometheus expects: cumulative
// buckets, a sum and a count.
class Histogram {
 public:
  static constexpr std::size_t kBuckets = 14;
  explicit Histogram(std::array<double, kBuckets> bounds) : bounds_(bounds) {}
  void Observe(double value);
  // Appends `name_bucket{le=...}`, `name_sum`, `name_count` lines; `labels` like `route="x"`.
  void Render(std::string* out, std::string_view name, std::string_view labels) const;

 private:
  std::array<double, kBuckets> bounds_;
  mutable std::mutex mu_;
  std::array<std::uint64_t, kBuckets + 1> counts_{};  // the last is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Latency buckets: 0.5 ms to 10 s.
inline constexpr std::array<double, Histogram::kBuckets> kLatencyBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// Item counts: 1 to 5000.
inline constexpr std::array<double, Histogram::kBuckets> kCountBounds = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000};

class Metrics {
 public:
  Metrics();

  // One line per finished request: the route is the matched pattern ("/api/v1/bookings/{code}"),
  // never the raw path, so that the series stay few.
  void Request(std::string_view method, std::string_view route, int status, double seconds);
  void SignatureFailure() { ++signature_failures_; }
  // A webhook delivery and what it held.
  void Webhook(std::size_t messages, std::size_t statuses, std::size_t problems);
  // A command from submission to durable (or refused).
  void Command(std::string_view type, bool ok, double seconds);
  void OutboxAttempt(bool sent, bool final_failure);
  void TickRan() { ++ticks_; }

  // Everything, with the gauges the caller reads at render time appended as given
  // ("name value" pairs with their HELP text).
  struct Gauge {
    std::string name;
    std::string help;
    std::string type;  // "gauge" or "counter"
    double value = 0;
  };
  std::string Render(const std::vector<Gauge>& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::map<int, std::uint64_t>> requests_;  // mu_
  std::map<std::string, Histogram> request_seconds_;                                      // mu_
  std::map<std::pair<std::string, bool>, std::uint64_t> commands_;                        // mu_
  Histogram command_seconds_{kLatencyBounds};
  Histogram webhook_items_{kCountBounds};
  std::atomic<std::uint64_t> signature_failures_{0};
  std::atomic<std::uint64_t> webhook_messages_{0}, webhook_statuses_{0}, webhook_problems_{0};
  std::atomic<std::uint64_t> outbox_sent_{0}, outbox_retries_{0}, outbox_given_up_{0};
  std::atomic<std::uint64_t> ticks_{0};
};

}  // namespace antrean::http
