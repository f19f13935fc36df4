// The WhatsApp webhook of a real server on loopback: Meta's handshake, signatures over the exact
// bytes, every fixture payload, batches, retries, and what is recorded for each.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <set>

#include "tests/support/http_node.h"
#include "tests/whatsapp/fixtures.h"

namespace antrean {
namespace {

using support::TestClient;
using support::TestNode;
namespace json = boost::json;

class WebhookTest : public ::testing::Test {
 protected:
  support::TempDir dir_;
  TestNode node_{dir_.path() + "/ledger"};
  TestClient client_{node_.url()};
};

std::string Registration(int ahead = 1) {
  return "#BUDI#25011987#" + support::Ddmmyyyy(support::NextServiceDay(ahead));
}

json::object Body(const http::ClientResponse& r) { return support::ParseJsonObject(r.body); }

TEST_F(WebhookTest, HandshakeEchoesTheChallengeWhenTheVerifyTokenMatches) {
  auto r = client_.Get(std::string("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=") +
                       support::kVerifyToken + "&hub.challenge=1158201444");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "1158201444");
}

TEST_F(WebhookTest, HandshakeWithAWrongTokenOrModeIs403) {
  EXPECT_EQ(client_.Get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
                .status,
            403);
  EXPECT_EQ(client_.Get(std::string("/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=") +
                        support::kVerifyToken + "&hub.challenge=1")
                .status,
            403);
  EXPECT_EQ(client_.Get("/webhooks/whatsapp").status, 403);
}

TEST_F(WebhookTest, HandshakeWithTheRightTokenButNoChallengeIs400SayingSo) {
  auto r = client_.Get(std::string("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=") +
                       support::kVerifyToken);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("hub.challenge"), std::string::npos) << r.body;
}

TEST_F(WebhookTest, AMissingOrWrongSignatureIs401AndAppendsNothingButIsCounted) {
  const std::string body = support::TextWebhook("wamid.sig1", "6281234567890", Registration());
  auto missing = client_.Webhook(body, "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find("missing"), std::string::npos) << missing.body;
  auto wrong = client_.Webhook(body, whatsapp::SignatureHeader(body, "another-secret"));
  EXPECT_EQ(wrong.status, 401);
  // One byte changed after signing: the signature is over the exact bytes.
  std::string tampered = body;
  tampered[tampered.find("BUDI")] = 'R';
  EXPECT_EQ(client_.Webhook(tampered, whatsapp::SignatureHeader(body, support::kAppSecret)).status,
            401);
  EXPECT_EQ(client_.Head(), 0u);
  auto metrics = client_.Get("/metrics");
  EXPECT_NE(metrics.body.find("antrean_webhook_signature_failures_total 3"), std::string::npos)
      << metrics.body.substr(0, 2000);
}

TEST_F(WebhookTest, ARegistrationIsIssuedAndDurableWhenThe200Comes) {
  auto r = client_.Webhook(support::TextWebhook("wamid.reg1", "6281234567890", Registration()));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto results = Body(r).at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("outcome").as_string(), "issued") << r.body;
  const std::string code(results[0].at("booking_code").as_string());
  auto booking = client_.Get("/api/v1/bookings/" + code, support::kAuditorToken);
  EXPECT_EQ(booking.status, 200) << booking.body;
  const auto events = client_.Events();
  ASSERT_EQ(support::OfType(events, "message_received.v1").size(), 1u);
  EXPECT_EQ(support::OfType(events, "message_received.v1")[0].at("payload").at("profile_name"),
            "Budi");
  EXPECT_EQ(support::OfType(events, "booking_code_issued.v1").size(), 1u);
  EXPECT_EQ(support::OfType(events, "reply_queued.v1").size(), 1u);
}

TEST_F(WebhookTest, NonAsciiEscapedAsMetaSendsItIsSignedOverTheEscapedBytes) {
  const std::string body =
      support::TextWebhook("wamid.utf8", "6281234567890", "#SITÉ#25011987#01012030", "Sité ☺");
  ASSERT_NE(body.find("\\u00c9"), std::string::npos) << body;  // escaped on the wire
  auto r = client_.Webhook(body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto received = support::OfType(client_.Events(), "message_received.v1");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].at("payload").at("profile_name"), "Sité ☺");
  EXPECT_EQ(received[0].at("payload").at("text"), "#SITÉ#25011987#01012030");
}

TEST_F(WebhookTest, ARetriedDeliveryAppendsNothingNew) {
  const std::string body = support::TextWebhook("wamid.retry", "6281234567890", Registration());
  auto first = client_.Webhook(body);
  ASSERT_EQ(first.status, 200);
  const std::uint64_t head = client_.Head();
  auto second = client_.Webhook(body);
  ASSERT_EQ(second.status, 200) << second.body;
  const auto results = Body(second).at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].at("duplicate").as_bool());
  EXPECT_EQ(results[0].at("booking_code"), Body(first).at("results").as_array()[0].at("booking_code"));
  EXPECT_EQ(client_.Head(), head);
}

TEST_F(WebhookTest, EveryEntryChangeAndMessageOfABatchIsHandled) {
  // Two entries; the first with two changes; three messages and a status in all.
  json::value v = json::parse(support::TextWebhook("wamid.b1", "6281234567001", Registration()));
  json::object change = v.at("entry").at(0).at("changes").at(0).as_object();
  json::object second_change = change;
  second_change["value"].as_object()["messages"].as_array()[0].as_object()["id"] = "wamid.b2";
  second_change["value"].as_object()["messages"].as_array()[0].as_object()["from"] = "6281234567002";
  second_change["value"].as_object()["contacts"].as_array()[0].as_object()["wa_id"] = "6281234567002";
  v.at("entry").at(0).at("changes").as_array().push_back(second_change);
  json::object entry2 = v.at("entry").at(0).as_object();
  json::object third = change;
  third["value"].as_object()["messages"].as_array()[0].as_object()["id"] = "wamid.b3";
  third["value"].as_object()["messages"].as_array()[0].as_object()["text"].as_object()["body"] = "#syarat";
  entry2["changes"] = json::array{third};
  v.at("entry").as_array().push_back(entry2);
  const std::string body = json::serialize(v);
  auto r = client_.Webhook(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("results").as_array().size(), 3u) << r.body;
  std::set<std::string> ids;
  for (const auto& e : support::OfType(client_.Events(), "message_received.v1")) {
    ids.insert(std::string(e.at("payload").at("message_id").as_string()));
  }
  EXPECT_EQ(ids, (std::set<std::string>{"wamid.b1", "wamid.b2", "wamid.b3"}));
}

TEST_F(WebhookTest, EveryFixturePayloadIsAcceptedAndEachMessageAndStatusRecorded) {
  // Message ids and (id, status) pairs recorded so far: a later fixture reusing one (several
  // use "wamid.ID") is a retry as far as the ledger can tell, and appends nothing.
  std::set<std::string> seen_messages, seen_statuses;
  auto is_phone = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  std::size_t fixtures = 0;
  for (const auto& entry : std::filesystem::directory_iterator(whatsapp::testing::FixtureDir())) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name.rfind("send_text_message", 0) == 0) continue;
    SCOPED_TRACE(name);
    ++fixtures;
    const std::string body = whatsapp::testing::Fixture(name);
    auto parsed = whatsapp::ParseWebhook(body);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    std::size_t new_messages = 0, new_statuses = 0;
    for (const auto& m : parsed->messages) {
      if (is_phone(m.from) && seen_messages.insert(m.id).second) ++new_messages;
    }
    for (const auto& st : parsed->statuses) {
      if (is_phone(st.recipient_id) && seen_statuses.insert(st.id + "#" + st.status).second) {
        ++new_statuses;
      }
    }
    const std::uint64_t before = client_.Head();
    auto r = client_.Webhook(body);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto answer = Body(r);
    const auto& results = answer.at("results").as_array();
    const auto& problems = answer.at("problems").as_array();
    // Each item is recorded or reported as a problem (documentation samples use placeholders
    // such as "PHONE_NUMBER" where a phone goes).
    EXPECT_EQ(results.size() + problems.size(),
              parsed->messages.size() + parsed->statuses.size() + parsed->problems.size())
        << r.body;
    for (const auto& result : results) EXPECT_TRUE(result.at("ok").as_bool()) << r.body;
    const auto events = client_.Events(before + 1);
    EXPECT_EQ(support::OfType(events, "message_received.v1").size(), new_messages) << r.body;
    EXPECT_EQ(support::OfType(events, "reply_delivery_status.v1").size(), new_statuses) << r.body;
  }
  EXPECT_EQ(fixtures, 28u);
  EXPECT_GE(seen_messages.size(), 5u);
  EXPECT_GE(seen_statuses.size(), 8u);

  // Every decision the webhook made from the real payload shapes (text, captions, reactions,
  // unsupported kinds, statuses of replies ours and not) is the one `antrean recheck` makes
  // again from the record.
  EXPECT_GE(node_.StopAndRecheck().commands, seen_messages.size() + seen_statuses.size());
}

// Batam takes registrations only as an e-KTP photo with the registration as its caption, 07:30 to
// 10:00 WIB (DOMAIN.md); the decision clock is the message's own timestamp.
TEST_F(WebhookTest, BatamRegistrationsComeAsAPhotoWithACaption) {
  const domain::Date day = support::NextServiceDay();
  auto at = domain::ToInstant(day, *domain::MakeTimeOfDay(8, 0), domain::TimeZone::kWIB);
  ASSERT_TRUE(at.ok());
  const std::int64_t ts = at->micros_since_epoch / 1'000'000;
  whatsapp::ImageWebhookSpec photo;
  photo.phone_number_id = "100000000000003";
  photo.display_phone_number = "6282288862017";
  photo.from = "6281234567890";
  photo.profile_name = "Budi";
  photo.message_id = "wamid.batam1";
  photo.caption = "BUDI#25011987#JL. ENGKU PUTRI NO. 1, BATAM CENTRE";
  photo.media_id = "1234567890";
  photo.timestamp_s = ts;
  auto r = client_.Webhook(whatsapp::BuildImageWebhook(photo));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("results").as_array()[0].at("outcome"), "issued") << r.body;

  // The same text without the photo is refused, and the attempt kept.
  auto text = client_.Webhook(whatsapp::BuildTextWebhook(
      {"100000000000003", "6282288862017", "6281234567891", "Siti", "wamid.batam2",
       "SITI#25011987#JL. ENGKU PUTRI NO. 2, BATAM CENTRE", ts}));
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(Body(text).at("results").as_array()[0].at("reason"), "missing_ektp_photo") << text.body;
  const auto received = support::OfType(client_.Events(), "message_received.v1");
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].at("payload").at("office"), "batam");
  EXPECT_EQ(received[0].at("payload").at("media").at("id"), "1234567890");
}

TEST_F(WebhookTest, ADeliveryStatusIsRecordedOncePerMessageAndStatus) {
  const std::string body = whatsapp::BuildStatusWebhook(
      {support::kBogorPhoneNumberId, support::kBogorDisplay, "wamid.out1", "delivered",
       "6281234567890", support::MessageSeconds(), std::nullopt, "", "0"});
  ASSERT_EQ(client_.Webhook(body).status, 200);
  ASSERT_EQ(client_.Webhook(body).status, 200);
  const auto statuses = support::OfType(client_.Events(), "reply_delivery_status.v1");
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].at("payload").at("status"), "delivered");
  EXPECT_EQ(statuses[0].at("payload").at("provider_message_id"), "wamid.out1");
}

TEST_F(WebhookTest, AMessageToANumberNoOfficeOwnsIsRecordedAndRejected) {
  const std::string body =
      whatsapp::BuildTextWebhook({"999999", "15550001111", "6281234567890", "X", "wamid.nobody",
                                  Registration(), support::MessageSeconds()});
  auto r = client_.Webhook(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("results").as_array()[0].at("reason"), "unknown_office") << r.body;
  EXPECT_EQ(support::OfType(client_.Events(), "message_received.v1").size(), 1u);
}

TEST_F(WebhookTest, ABodyThatIsNotAWebhookIs400AfterTheSignatureCheck) {
  auto r = client_.Webhook("{\"object\":\"page\",\"entry\":[]}");
  EXPECT_EQ(r.status, 400) << r.body;
  auto garbage = client_.Webhook("not json at all");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookTest, MetricsCountRequestsByRouteAndStatus) {
  ASSERT_EQ(client_.Webhook(support::TextWebhook("wamid.m1", "6281234567890", Registration())).status,
            200);
  auto m = client_.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("antrean_http_requests_total{method=\"POST\",route=\"/webhooks/whatsapp\","
                        "status=\"200\"} 1"),
            std::string::npos)
      << m.body.substr(0, 3000);
  EXPECT_NE(m.body.find("antrean_append_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("antrean_ledger_events_total 4"), std::string::npos);
  for (const char* memory : {"antrean_ledger_block_cache_bytes ", "antrean_ledger_memtables_bytes ",
                             "antrean_ledger_table_readers_bytes "}) {
    EXPECT_NE(m.body.find(std::string("\n") + memory), std::string::npos) << memory;
  }
}

}  // namespace
}  // namespace antrean
