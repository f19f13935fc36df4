// The outbox against a real HTTP receiver on loopback standing in for the Graph API: retries with
// backoff, every outcome recorded, resumption after a restart, delivery statuses tied back to the
// reply they belong to.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <mutex>

#include "tests/support/fake_graph.h"
#include "tests/support/http_node.h"

namespace antrean {
namespace {

using support::FakeGraph;
using support::TestClient;
using support::TestNode;
namespace json = boost::json;

void FastOutbox(http::NodeOptions& o, const std::string& url) {
  o.graph_base_url = url;
  o.outbox.backoff_initial = std::chrono::milliseconds(50);
  o.outbox.poll = std::chrono::milliseconds(50);
  o.outbox.request_timeout = std::chrono::milliseconds(2000);
}

std::string Registration() {
  return "#BUDI#25011987#" + support::Ddmmyyyy(support::NextServiceDay());
}

TEST(Outbox, RetriesWithBackoffUntilTheEndpointAcceptsAndRecordsEveryAttempt) {
  FakeGraph graph(2);
  support::TempDir dir;
  TestNode node(dir.path() + "/ledger", [&](http::NodeOptions& o) { FastOutbox(o, graph.url()); });
  TestClient client(node.url());
  ASSERT_EQ(client.Webhook(support::TextWebhook("wamid.in1", "6281234567890", Registration())).status,
            200);
  ASSERT_TRUE(support::Eventually(
      [&] { return !support::OfType(client.Events(), "reply_sent.v1").empty(); }));
  const auto events = client.Events();
  const auto failed = support::OfType(events, "reply_failed.v1");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].at("payload").at("attempt"), 1);
  EXPECT_FALSE(failed[0].at("payload").at("final").as_bool());
  EXPECT_TRUE(failed[0].at("payload").as_object().contains("retry_at"));
  EXPECT_NE(failed[0].at("payload").at("error").as_string().find("HTTP 500"), std::string::npos)
      << failed[0];
  EXPECT_EQ(failed[1].at("payload").at("attempt"), 2);
  const auto sent = support::OfType(events, "reply_sent.v1");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("payload").at("attempt"), 3);
  EXPECT_EQ(sent[0].at("payload").at("provider_message_id"), "wamid.OUT1");
  EXPECT_EQ(sent[0].at("cause").at("actor"), "outbox");
  // What the endpoint received: Meta's send request, with the bearer token, to Bogor's number.
  const auto requests = graph.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].path, "/v25.0/" + std::string(support::kBogorPhoneNumberId) + "/messages");
  EXPECT_EQ(requests[2].Header("authorization").value_or(""),
            std::string("Bearer ") + support::kGraphToken);
  const auto body = support::ParseJsonObject(requests[2].body);
  EXPECT_EQ(body.at("to"), "6281234567890");
  EXPECT_EQ(body.at("messaging_product"), "whatsapp");
  const auto queued = support::OfType(events, "reply_queued.v1");
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(body.at("text").at("body"), queued[0].at("payload").at("text"));

  // WhatsApp then reports the delivery: recorded on our reply.
  const std::string status = whatsapp::BuildStatusWebhook(
      {support::kBogorPhoneNumberId, support::kBogorDisplay, "wamid.OUT1", "delivered",
       "6281234567890", support::MessageSeconds(), std::nullopt, "", "0"});
  ASSERT_EQ(client.Webhook(status).status, 200);
  const auto delivery = support::OfType(client.Events(), "reply_delivery_status.v1");
  ASSERT_EQ(delivery.size(), 1u);
  EXPECT_EQ(delivery[0].at("payload").at("reply_id"), queued[0].at("payload").at("reply_id"));

  // The outbox's outcomes, retry times included, are commands too: `antrean recheck` decides
  // them again from the record and gets the same events.
  EXPECT_EQ(node.StopAndRecheck().commands, 5u);  // the message, two failures, send, delivery
}

TEST(Outbox, ARestartResumesWhatWasLeftUnsent) {
  support::TempDir dir;
  const std::string ledger = dir.path() + "/ledger";
  std::string nowhere;
  {
    FakeGraph closed(0);
    nowhere = closed.url();  // nothing listens there once it is gone
  }
  {
    TestNode node(ledger, [&](http::NodeOptions& o) {
      FastOutbox(o, nowhere);
      o.outbox.backoff_initial = std::chrono::seconds(1);
    });
    TestClient client(node.url());
    ASSERT_EQ(client.Webhook(support::TextWebhook("wamid.in2", "6281234567891", Registration())).status,
              200);
    ASSERT_TRUE(support::Eventually(
        [&] { return !support::OfType(client.Events(), "reply_failed.v1").empty(); }));
  }  // stopped before the second attempt is due
  FakeGraph graph(0);
  TestNode node(ledger, [&](http::NodeOptions& o) { FastOutbox(o, graph.url()); });
  TestClient client(node.url());
  ASSERT_TRUE(support::Eventually(
      [&] { return !support::OfType(client.Events(), "reply_sent.v1").empty(); }));
  const auto events = client.Events();
  const auto failed = support::OfType(events, "reply_failed.v1");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].at("payload").at("error").as_string().find("connect"), std::string::npos)
      << failed[0];
  const auto sent = support::OfType(events, "reply_sent.v1");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("payload").at("attempt"), 2);  // the count survived the restart
  EXPECT_EQ(graph.requests().size(), 1u);
}

TEST(Outbox, WithoutAGraphUrlRepliesStayQueued) {
  support::TempDir dir;
  TestNode node(dir.path() + "/ledger");
  TestClient client(node.url());
  ASSERT_EQ(client.Webhook(support::TextWebhook("wamid.in3", "6281234567892", Registration())).status,
            200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto events = client.Events();
  EXPECT_EQ(support::OfType(events, "reply_queued.v1").size(), 1u);
  EXPECT_TRUE(support::OfType(events, "reply_sent.v1").empty());
  EXPECT_TRUE(support::OfType(events, "reply_failed.v1").empty());
}

}  // namespace
}  // namespace antrean
