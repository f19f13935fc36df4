// A real `antrean serve` node for the HTTP tests, in-process on a loopback port with a fresh
// ledger, test secrets (an app secret, a verify token, a token per role) and the sample offices;
// plus a client that signs webhooks and carries tokens, and readers of the events feed. Tests talk
// HTTP to it as Meta and the staff would.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/secrets.h"
#include "common/sha256.h"
#include "domain/civil_time.h"
#include "http/client.h"
#include "http/node.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/run_binary.h"
#include "whatsapp/webhook.h"

namespace antrean::support {

inline constexpr char kAppSecret[] = "test-app-secret-0123456789";
inline constexpr char kVerifyToken[] = "test-verify-token";
inline constexpr char kOfficerToken[] = "atk_officer_bogor";
inline constexpr char kAuditorToken[] = "atk_auditor";
inline constexpr char kAdminToken[] = "atk_admin";
inline constexpr char kGraphToken[] = "graph-access-token";
// Bogor's first number in config/offices.json.
inline constexpr char kBogorPhoneNumberId[] = "100000000000001";
inline constexpr char kBogorDisplay[] = "628111100333";

inline std::string SampleOfficeFile() { return ANTREAN_SOURCE_DIR "/config/offices.json"; }

inline app::Secrets TestSecrets() {
  app::Secrets s;
  s.booking_code_key = "test-booking-code-key-0123456789";
  s.whatsapp_app_secret = kAppSecret;
  s.whatsapp_verify_token = kVerifyToken;
  s.whatsapp_access_token = kGraphToken;
  auto token = [](const char* name, std::initializer_list<app::Role> roles, const char* secret,
                  std::vector<std::string> offices) {
    app::ApiToken t;
    t.name = name;
    for (auto r : roles) t.roles |= static_cast<std::uint8_t>(r);
    t.offices = std::move(offices);
    t.sha256 = Sha256(secret);
    return t;
  };
  s.api_tokens = {token("officer-bogor", {app::Role::kOfficer}, kOfficerToken, {"bogor"}),
                  token("auditor-1", {app::Role::kAuditor}, kAuditorToken, {}),
                  token("admin-1", {app::Role::kAdmin}, kAdminToken, {})};
  return s;
}

inline std::string Ddmmyyyy(const domain::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%04d", d.d, d.m, d.y);
  return buf;
}

inline std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The time the test webhooks carry, which is the decision clock (docs/API.md): now, except from
// 23:55 to 00:15 WIB, when it is the coming 00:15 WIB. Offices without a registration window open
// at midnight, and the burst rule counts what arrives in the first `rush_minutes` after that
// (docs/FORENSICS.md): a test run then, sending four registrations from one phone or one block of
// numbers, would also raise a burst flag it is not about. Later, not earlier: the staff API's
// counter clock is the wall clock, and a booking made "yesterday" for the next service day could
// then be due today, which tests of an arrival on the wrong day rely on not being.
inline std::int64_t MessageSecondsAt(std::int64_t now) {
  // The sample offices' rush_minutes (config/offices.json), and a margin on either side of it.
  constexpr int kRushMinutes = 10, kMarginMinutes = 5;
  const domain::TimeOfDay after_rush{kRushMinutes + kMarginMinutes};
  const domain::LocalDateTime local =
      *domain::ToLocal(domain::Instant{now * domain::kMicrosPerSecond}, domain::TimeZone::kWIB);
  const bool before_midnight = local.time.minutes >= domain::kMinutesPerDay - kMarginMinutes;
  if (!before_midnight && local.time >= after_rush) return now;
  const domain::Date day = before_midnight ? *domain::AddDays(local.date, 1) : local.date;
  return domain::ToInstant(day, after_rush, domain::TimeZone::kWIB)->micros_since_epoch /
         domain::kMicrosPerSecond;
}
inline std::int64_t MessageSeconds() { return MessageSecondsAt(NowSeconds()); }

// The next day Bogor serves (Mon-Fri; its holidays are in 2017-2018) after the test messages' own
// day (MessageSeconds), at least `ahead` days away: a valid arrival date for a registration sent
// now.
inline domain::Date NextServiceDay(int ahead = 1) {
  const domain::Instant at{MessageSeconds() * domain::kMicrosPerSecond};
  domain::Date d = domain::ToLocal(at, domain::TimeZone::kWIB)->date;
  d = *domain::AddDays(d, ahead);
  while (domain::DayOfWeek(d) >= domain::Weekday::kSaturday) d = *domain::AddDays(d, 1);
  return d;
}

// A Cloud API text webhook to Bogor, as Meta sends it.
inline std::string TextWebhook(const std::string& message_id, const std::string& from,
                               const std::string& text, const std::string& name = "Budi") {
  return whatsapp::BuildTextWebhook(
      {kBogorPhoneNumberId, kBogorDisplay, from, name, message_id, text, MessageSeconds()});
}

class TestNode {
 public:
  // `adjust` may change the options before the node opens (limits, the Graph URL, ...).
  explicit TestNode(const std::string& ledger_dir,
                    const std::function<void(http::NodeOptions&)>& adjust = {})
      : ledger_dir_(ledger_dir) {
    http::SetLogLevel("warn");  // the tests' own output, not the service's chatter
    http::NodeOptions o;
    o.ledger_dir = ledger_dir;
    o.config_path = SampleOfficeFile();
    o.listen = "127.0.0.1:0";
    o.tick_interval = std::chrono::seconds(0);
    o.access_log = false;
    if (adjust) adjust(o);
    auto node = http::Node::Open(std::move(o), TestSecrets());
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    if (!node.ok()) return;
    node_ = std::move(node).value();
    node_->Start();
  }
  ~TestNode() { Stop(); }
  void Stop() {
    if (node_) node_->Stop();
  }
  bool ok() const { return node_ != nullptr; }
  std::string url() const { return "http://" + node_->address(); }

  // Stops the node and runs `antrean recheck` over the ledger it leaves, with the key it ran
  // with: every event must be explained, the whole ledger checked. The report is returned for
  // the caller's own counts.
  app::RecheckReport StopAndRecheck() {
    Stop();
    auto ledger = OpenLedger(ledger_dir_, ReadOnly());
    EXPECT_NE(ledger, nullptr);
    if (ledger == nullptr) return {};
    const auto report = RecheckOk(*ledger, TestSecrets().booking_code_key);
    EXPECT_TRUE(report.explained()) << report.difference->what;
    EXPECT_EQ(report.events_checked, ledger->GetHead().seq);
    return report;
  }

 private:
  std::string ledger_dir_;
  std::unique_ptr<http::Node> node_;
};

// A kept-alive client of one server.
class TestClient {
 public:
  explicit TestClient(const std::string& url) : client_(*http::ParseUrl(url), std::chrono::seconds(30)) {}

  http::ClientResponse Get(const std::string& target, const std::string& token = "") {
    return Do("GET", target, "", token);
  }
  http::ClientResponse Post(const std::string& target, const std::string& body,
                            const std::string& token = "") {
    return Do("POST", target, body, token);
  }
  // POSTs a webhook signed with the test app secret (or with `signature` as given, "" for none).
  http::ClientResponse Webhook(const std::string& body, std::optional<std::string> signature = {}) {
    http::Headers h;
    const std::string sig = signature.value_or(whatsapp::SignatureHeader(body, kAppSecret));
    if (!sig.empty()) h.emplace_back("X-Hub-Signature-256", sig);
    auto r = client_.Send("POST", "/webhooks/whatsapp", body, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }
  // Every event from `from` on, through the feed (an auditor's token), without waiting.
  std::vector<boost::json::object> Events(std::uint64_t from = 1,
                                          const std::string& token = kAuditorToken) {
    std::vector<boost::json::object> all;
    for (;;) {
      auto r = Get("/api/v1/events?wait=0&limit=1000&from=" + std::to_string(from), token);
      EXPECT_EQ(r.status, 200) << r.body;
      auto lines = JsonObjectLines(r.body);
      if (lines.empty()) return all;
      from = lines.back().at("seq").to_number<std::uint64_t>() + 1;
      for (auto& l : lines) all.push_back(std::move(l));
    }
  }
  // A GET with this Authorization header, as written.
  http::ClientResponse GetAuthorized(const std::string& target, const std::string& authorization) {
    auto r = client_.Send("GET", target, "", {{"Authorization", authorization}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }
  std::uint64_t Head() {
    auto r = Get("/api/v1/ledger/head", kAuditorToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return ParseJsonObject(r.body).at("seq").to_number<std::uint64_t>();
  }

 private:
  http::ClientResponse Do(const char* method, const std::string& target, const std::string& body,
                          const std::string& token) {
    http::Headers h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    auto r = client_.Send(method, target, body, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }
  http::Client client_;
};

// The events of a type, in order.
inline std::vector<boost::json::object> OfType(const std::vector<boost::json::object>& events,
                                               std::string_view type) {
  std::vector<boost::json::object> out;
  for (const auto& e : events) {
    if (e.at("type").as_string() == type) out.push_back(e);
  }
  return out;
}

// Polls until `done` holds or `timeout` passes; returns whether it held.
template <class F>
bool Eventually(F done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace antrean::support
