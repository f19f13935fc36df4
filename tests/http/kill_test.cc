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
#include "tests/support/serve_load.h"
#include "tests/support/server_process.h"

namespace antrean {
namespace {

using support::ServerProcess;
using support::TestClient;

class KillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secrets_ = dir_.path() + "/secrets.json";
    support::WriteTestSecretsFile(secrets_);
  }
  std::vector<std::string> Args() const {
    return support::ServeArgs(dir_.path() + "/ledger", secrets_);
  }
  // Posts registrations from `threads` clients until `stop`; remembers the message ids that got 200.
  void Load(const std::string& url, int threads, std::atomic<bool>& stop, int round) {
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
      clients.emplace_back([&, t] {
        support::PostWebhooksUntil(
            url, support::kAppSecret,
            {"wamid.k" + std::to_string(round) + "." + std::to_string(t) + ".",
             [&](int i) { return support::ClientPhone(round, t, i); }, support::RegistrationText,
             [&](const std::string& id, const std::string&) {
               std::lock_guard lk(mu_);
               acknowledged_.insert(id);
             }},
            stop);
      });
    }
    for (auto& c : clients) c.join();
  }
  std::set<std::string> RecordedMessageIds(const std::string& url) {
    std::set<std::string> ids;
    for (const auto& e : support::OfType(TestClient(url).Events(), "message_received.v1")) {
      ids.insert(std::string(e.at("payload").at("message_id").as_string()));
    }
    return ids;
  }


  support::TempDir dir_;
  std::string secrets_;
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
