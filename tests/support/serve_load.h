// What the tests that run the real `antrean serve` as a child process share: a secrets file with
// the test secrets of http_node.h (so that the test knows every token), the server's arguments,
// and a client posting signed registrations until told to stop. The kill test and the soak build
// on it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "app/secrets.h"
#include "common/sha256.h"
#include "http/client.h"
#include "tests/support/http_node.h"
#include "whatsapp/webhook.h"

namespace antrean::support {

// Writes TestSecrets() as a secrets file (docs/SECRETS.md) at `path`: the child server then
// accepts the tokens kOfficerToken, kAuditorToken and kAdminToken and signs with kAppSecret.
inline void WriteTestSecretsFile(const std::string& path) {
  const app::Secrets s = TestSecrets();
  boost::json::array tokens;
  for (const auto& t : s.api_tokens) {
    boost::json::array roles;
    for (auto r : {app::Role::kOfficer, app::Role::kAuditor, app::Role::kAdmin}) {
      if (t.Has(r)) roles.emplace_back(app::RoleName(r));
    }
    boost::json::object token{{"name", t.name}, {"roles", roles}, {"sha256", ToHex(t.sha256)}};
    if (!t.offices.empty()) {
      token["offices"] = boost::json::value_from(t.offices);
    }
    tokens.push_back(std::move(token));
  }
  const boost::json::object file{{"booking_code_key", s.booking_code_key},
                                 {"whatsapp",
                                  {{"app_secret", s.whatsapp_app_secret},
                                   {"verify_token", s.whatsapp_verify_token},
                                   {"access_token", s.whatsapp_access_token}}},
                                 {"api_tokens", tokens}};
  std::ofstream(path) << boost::json::serialize(file);
  ASSERT_TRUE(app::LoadSecrets(path).ok()) << "the test secrets file does not load";
}

// `antrean serve`'s arguments for a test: a free loopback port, no timer, quiet logs.
inline std::vector<std::string> ServeArgs(const std::string& ledger, const std::string& secrets,
                                          const std::string& graph_url = "") {
  std::vector<std::string> args = {
      "--ledger",        ledger,        "--config",    SampleOfficeFile(), "--secrets",
      secrets,           "--listen",    "127.0.0.1:0", "--tick-seconds",   "0",
      "--no-access-log", "--log-level", "warn"};
  if (!graph_url.empty()) {
    args.push_back("--graph-url");
    args.push_back(graph_url);
  }
  return args;
}

// A registration for Bogor on a service day 1..20 days ahead (spread so days fill slowly).
inline std::string RegistrationText(int i) {
  return "#ORANG#25011987#" + Ddmmyyyy(NextServiceDay(1 + i % 20));
}

// One client's stream of signed webhooks to `url` until `stop`: message i has the id
// `id_prefix` + i, comes from phone_of(i) and says text_of(i). acked(id, body) runs for each 200.
// A request with no response (the server was killed) is retried as a new message after a pause.
struct WebhookStream {
  std::string id_prefix;
  std::function<std::string(int)> phone_of;
  std::function<std::string(int)> text_of = RegistrationText;
  std::function<void(const std::string& id, const std::string& body)> acked;
};

inline void PostWebhooksUntil(const std::string& url, const std::string& app_secret,
                              const WebhookStream& stream, const std::atomic<bool>& stop) {
  http::Client client(*http::ParseUrl(url), std::chrono::seconds(5));
  for (int i = 0; !stop; ++i) {
    const std::string id = stream.id_prefix + std::to_string(i);
    const std::string body =
        whatsapp::BuildTextWebhook({kBogorPhoneNumberId, kBogorDisplay, stream.phone_of(i), "X", id,
                                    stream.text_of(i), MessageSeconds()});
    auto r = client.Send("POST", "/webhooks/whatsapp", body,
                         {{"X-Hub-Signature-256", whatsapp::SignatureHeader(body, app_secret)}});
    if (!r.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (r->status == 200) stream.acked(id, r->body);
  }
}

// Phone n of a client: "62812" + round + client + n in six digits, distinct across both.
inline std::string ClientPhone(int round, int client, int n) {
  char phone[40];
  std::snprintf(phone, sizeof phone, "62812%d%d%06d", round, client, n);
  return phone;
}

}  // namespace antrean::support
