// The real server, as a child process, killed with SIGKILL under load and restarted: every
// request that got a 200 has its events, and the chain verifies. SIGTERM drains and exits 0.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/support/http_node.h"
#include "tests/support/run_binary.h"
#include "tests/support/server_process.h"

namespace antrean {
namespace {

using support::ServerProcess;
using support::TestClient;

class KillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secrets_ = dir_.path() + "/secrets.json";
    ASSERT_EQ(support::RunAntrean({"secrets", "init", "--secrets", secrets_}, dir_.path()).exit_code, 0);
    auto token = support::RunAntrean(
        {"token", "add", "--name", "auditor-1", "--role", "auditor", "--secrets", secrets_},
        dir_.path());
    ASSERT_EQ(token.exit_code, 0) << token.err;
    auditor_ = token.out.substr(0, token.out.find('\n'));
    auto secrets = app::LoadSecrets(secrets_);
    ASSERT_TRUE(secrets.ok());
    app_secret_ = secrets->whatsapp_app_secret;
  }
  std::vector<std::string> Args() const {
    return {"--ledger", dir_.path() + "/ledger", "--config", support::SampleOfficeFile(),
            "--secrets", secrets_, "--listen", "127.0.0.1:0", "--tick-seconds", "0",
            "--no-access-log", "--log-level", "warn"};
  }
  // Posts registrations from `threads` clients until `stop`; remembers the message ids that got 200.
  void Load(const std::string& url, int threads, std::atomic<bool>& stop, int round) {
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
      clients.emplace_back([&, t] {
        http::Client client(*http::ParseUrl(url), std::chrono::seconds(5));
        for (int i = 0; !stop; ++i) {
          const std::string id = "wamid.k" + std::to_string(round) + "." + std::to_string(t) + "." +
                                 std::to_string(i);
          char phone[32];
          std::snprintf(phone, sizeof phone, "62812%d%d%06d", round, t, i);
          const std::string body = whatsapp::BuildTextWebhook(
              {support::kBogorPhoneNumberId, support::kBogorDisplay, phone, "X", id,
               "#ORANG#25011987#" + support::Ddmmyyyy(support::NextServiceDay(1 + i % 20)),
               support::NowSeconds()});
          auto r = client.Send("POST", "/webhooks/whatsapp", body,
                               {{"X-Hub-Signature-256", whatsapp::SignatureHeader(body, app_secret_)}});
          if (!r.ok()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
          }
          if (r->status == 200) {
            std::lock_guard lk(mu_);
            acknowledged_.insert(id);
          }
        }
      });
    }
    for (auto& c : clients) c.join();
  }
  std::set<std::string> RecordedMessageIds(const std::string& url) {
    std::set<std::string> ids;
    for (const auto& e : support::OfType(TestClient(url).Events(1, auditor_), "message_received.v1")) {
      ids.insert(std::string(e.at("payload").at("message_id").as_string()));
    }
    return ids;
  }


  support::TempDir dir_;
  std::string secrets_, auditor_, app_secret_;
  std::mutex mu_;
  std::set<std::string> acknowledged_;
};

TEST_F(KillTest, EveryAcknowledgedMessageSurvivesSigkillAndTheChainVerifies) {
  std::mt19937 random(20261121);
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    ServerProcess server(Args());
    ASSERT_TRUE(server.ok());
    std::atomic<bool> stop{false};
    std::thread load([&] { Load(server.url(), 4, stop, round); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 700));
    EXPECT_EQ(server.Kill(SIGKILL), -SIGKILL);
    stop = true;
    load.join();
  }
  ASSERT_GT(acknowledged_.size(), 50u) << "the load did not get going";
  ServerProcess server(Args());
  ASSERT_TRUE(server.ok());
  const auto recorded = RecordedMessageIds(server.url());
  std::size_t lost = 0;
  for (const auto& id : acknowledged_) lost += recorded.count(id) == 0;
  EXPECT_EQ(lost, 0u) << "of " << acknowledged_.size() << " acknowledged";
  EXPECT_EQ(server.Kill(SIGTERM), 0) << "SIGTERM drains and exits 0";
  auto verify = support::RunAntrean({"verify", "--ledger", dir_.path() + "/ledger"}, dir_.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto replay = support::RunAntrean({"replay", "--ledger", dir_.path() + "/ledger"},
                                    dir_.path());
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
}

}  // namespace
}  // namespace antrean
