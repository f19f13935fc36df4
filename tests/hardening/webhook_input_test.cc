// Bad input on WhatsApp's webhook (docs/HARDENING.md, "Bad input"): what each gets back and what
// the ledger records. Anyone can message an office's number, so everything a message may carry
// is either recorded and answered or refused whole, never a crash, never a broken chain.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "tests/hardening/hardening.h"

namespace antrean {
namespace {

namespace json = boost::json;
using StringList = std::vector<std::string>;

class WebhookInput : public hardening::NodeFixture {
 protected:
  // Posts a signed text webhook from `from` whose text.body is `body_json` as written.
  http::ClientResponse PostText(const std::string& id, const std::string& body_json,
                                const std::string& from = "6281234567890") {
    return client_.Webhook(hardening::RawTextWebhook(id, body_json, from));
  }
  static std::string Registration(const std::string& name) {
    return "#" + name + "#25011987#" + support::Ddmmyyyy(support::NextServiceDay());
  }
};

TEST_F(WebhookInput, AnUnsignedOrMissignedBodyIs401AndNothingIsRecorded) {
  const std::string body = support::TextWebhook("wamid.unsigned", "6281234567890", "halo");
  auto missing = client_.Webhook(body, "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find("X-Hub-Signature-256 is missing"), std::string::npos) << missing.body;
  auto wrong = client_.Webhook(body, "sha256=" + std::string(64, '0'));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("X-Hub-Signature-256 does not match the body"), std::string::npos)
      << wrong.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, ABodyThatIsNotJsonIs400NamingTheOffsetAndNothingIsRecorded) {
  auto r = client_.Webhook("{\"object\": \"whatsapp_business_account\", \"entry\": [");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("body: not valid JSON at offset"), std::string::npos) << r.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, InvalidUtf8IsRefusedWholeWith400AndNothingIsRecorded) {
  // A raw 0xFF byte inside the text: Meta never sends it (it escapes non-ASCII), so the delivery
  // is not Meta's and is refused before anything is read.
  auto r = PostText("wamid.badutf8", "\"#BUDI\xff#25011987#01012030\"");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("body: not valid JSON at offset"), std::string::npos) << r.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, ALoneSurrogateEscapeIsRefusedWholeWith400) {
  // \ud800 alone is no character: Meta writes non-BMP characters as surrogate pairs.
  auto r = PostText("wamid.surrogate", "\"#BU\\ud800DI#25011987#01012030\"");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("body: not valid JSON at offset"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(": syntax error"), std::string::npos) << r.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, ControlCharactersInANameAreRecordedAndRejectedAsUnreadable) {
  auto r = PostText("wamid.ctl", json::serialize(json::value(Registration("BU\x01\x1b[31mDI"))));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(TypesFor("wamid.ctl"),
            (StringList{"message_received.v1", "registration_rejected.v2", "reply_queued.v1"}));
  const auto rejected = PayloadOf("wamid.ctl", "registration_rejected.v2");
  EXPECT_EQ(rejected.at("reason"), "unreadable_message");
  EXPECT_EQ(rejected.at("detail"),
            "Pesan berisi karakter kontrol yang tidak terlihat; ketik ulang pesannya.");
  // The text is kept as sent: the evidence is not cleaned up.
  EXPECT_NE(PayloadOf("wamid.ctl", "message_received.v1").at("text").as_string().find("\x1b[31m"),
            std::string::npos);
}

TEST_F(WebhookInput, ARightToLeftOverrideInANameIsRecordedAndRejectedAsUnreadable) {
  // U+202E turns "BUDI" into what reads as another name on screen: a spoofing trick.
  auto r = PostText("wamid.rlo", json::serialize(json::value(Registration("BU\u202eIDAN"))));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(TypesFor("wamid.rlo"),
            (StringList{"message_received.v1", "registration_rejected.v2", "reply_queued.v1"}));
  EXPECT_EQ(PayloadOf("wamid.rlo", "registration_rejected.v2").at("reason"), "unreadable_message");
}

TEST_F(WebhookInput, AnOversizedMessageIsRecordedAndAnsweredThatItIsTooLong) {
  const std::string text(20'000, 'A');
  auto r = PostText("wamid.long", "\"" + text + "\"");
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(TypesFor("wamid.long"),
            (StringList{"message_received.v1", "registration_rejected.v2", "reply_queued.v1"}));
  const auto rejected = PayloadOf("wamid.long", "registration_rejected.v2");
  EXPECT_EQ(rejected.at("reason"), "unreadable_message");
  EXPECT_EQ(rejected.at("detail"), "Pesan terlalu panjang (maksimal 4096 karakter).");
  EXPECT_EQ(PayloadOf("wamid.long", "message_received.v1").at("text").as_string().size(),
            text.size());
}

TEST_F(WebhookInput, AMessageOfTwoMegabytesIsStillRecordedAsReceivedWithItsTextCut) {
  // Under the 3 MiB body limit but over an event payload's 1 MiB: the message must still leave
  // its message_received.v1 (it was answered 200 and lost), with its text cut at 64 KiB, here in
  // the middle of no character: é is two bytes, and 64 KiB falls between two of them.
  std::string text = "A";
  while (text.size() < 2'000'000) text += "\u00e9";
  auto r = PostText("wamid.huge", "\"" + text + "\"");
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(TypesFor("wamid.huge"),
            (StringList{"message_received.v1", "registration_rejected.v2", "reply_queued.v1"}));
  const std::string kept(PayloadOf("wamid.huge", "message_received.v1").at("text").as_string());
  EXPECT_EQ(kept.size(), 64u * 1024 - 1) << "cut before the character that would cross 64 KiB";
  EXPECT_EQ(kept.substr(kept.size() - 2), "\u00e9");
}

TEST_F(WebhookInput, ABodyOverThreeMebibytesIs413AndNothingIsRecorded) {
  const std::string text((3 << 20) + 1, 'A');
  http::Client raw(*http::ParseUrl(node_.url()), std::chrono::seconds(30));
  const std::string body = hardening::RawTextWebhook("wamid.over", "\"" + text + "\"");
  auto r =
      raw.Send("POST", "/webhooks/whatsapp", body,
               {{"X-Hub-Signature-256", whatsapp::SignatureHeader(body, support::kAppSecret)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("the body is larger than 3145728"), std::string::npos) << r->body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, AbsurdDatesAreRecordedAndRejectedWithTheirReason) {
  const struct {
    const char* id;
    std::string text;
    const char* reason;
  } cases[] = {
      {"wamid.d1", "#BUDI#31021987#" + support::Ddmmyyyy(support::NextServiceDay()),
       "invalid_birth_date"},
      {"wamid.d2", "#BUDI#25011987#99999999", "invalid_arrival_date"},
      {"wamid.d3", "#BUDI#25011987#01019999", "arrival_beyond_horizon"},
      {"wamid.d4", "#BUDI#25011987#01011900", "arrival_date_in_past"},
      {"wamid.d5", "#BUDI#01013000#" + support::Ddmmyyyy(support::NextServiceDay()),
       "birth_date_in_future"},
      {"wamid.d6", "#BUDI#00000000#" + support::Ddmmyyyy(support::NextServiceDay()),
       "invalid_birth_date"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r =
        PostText(c.id, json::serialize(json::value(c.text)), "62812340000" + std::string(c.id + 7));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(TypesFor(c.id),
              (StringList{"message_received.v1", "registration_rejected.v2", "reply_queued.v1"}));
    EXPECT_EQ(PayloadOf(c.id, "registration_rejected.v2").at("reason"), c.reason);
  }
}

TEST_F(WebhookInput, AnAbsurdTimestampIsListedAsAProblemAndNeverStored) {
  const struct {
    const char* timestamp;
    const char* problem;
  } cases[] = {
      {"soon", "expected seconds since 1970 as a string of digits"},
      {"-5", "expected seconds since 1970 as a string of digits"},
      {"99999999999999999999", "expected seconds since 1970 as a string of digits"},
      // Digits, but past what the ledger's times hold: int64 max overflowed the clock.
      {"9223372036854775807", "after the year 9998 (253370764799 at most)"},
      {"253402300800", "after the year 9998 (253370764799 at most)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.timestamp);
    std::string body = hardening::RawTextWebhook(std::string("wamid.ts") + c.timestamp, "\"halo\"");
    const std::string field = "\"timestamp\":\"";
    const auto at = body.find(field) + field.size();
    body.replace(at, body.find('"', at) - at, c.timestamp);
    auto r = client_.Webhook(body);
    EXPECT_EQ(r.status, 200) << r.body;
    const auto problems = support::ParseJsonObject(r.body).at("problems").as_array();
    ASSERT_EQ(problems.size(), 1u) << r.body;
    EXPECT_EQ(problems[0].at("path"), "entry[0].changes[0].value.messages[0].timestamp");
    EXPECT_EQ(problems[0].at("error"), c.problem);
  }
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, DeepNestingIs400NamingTheDepthAndNothingIsRecorded) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto r = PostText("wamid.deep", deep);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("body: nested deeper than 32 levels"), std::string::npos) << r.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, ADuplicateKeyIsReadAsTheLastOneAndTheMessageIsRecordedOnce) {
  // Two "id"s on one message: one message, recorded under the last id.
  std::string body = hardening::RawTextWebhook("wamid.dup1", "\"halo\"");
  body.replace(body.find("\"id\":\"wamid.dup1\""), 0, "\"id\":\"wamid.dup0\",");
  auto r = client_.Webhook(body);
  EXPECT_EQ(r.status, 200) << r.body;
  const auto received = support::OfType(client_.Events(), "message_received.v1");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].at("payload").at("message_id"), "wamid.dup1");
}

TEST_F(WebhookInput, WrongTypesAreListedAsProblemsWith200AndTheRestOfTheBatchIsRecorded) {
  std::string body = hardening::RawTextWebhook("wamid.types", "\"halo\"");
  // A second change whose messages are a string, not an array.
  const std::string bad =
      R"({"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"628111100333","phone_number_id":"100000000000001"},"messages":"halo"},"field":"messages"})";
  body.replace(body.find("\"changes\":[") + 11, 0, bad + ",");
  auto r = client_.Webhook(body);
  EXPECT_EQ(r.status, 200) << r.body;
  const auto answer = support::ParseJsonObject(r.body);
  ASSERT_EQ(answer.at("problems").as_array().size(), 1u) << r.body;
  EXPECT_EQ(TypesFor("wamid.types").front(), "message_received.v1");
}

TEST_F(WebhookInput, ABodyOfTheWrongShapeIs400NamingTheField) {
  auto r = client_.Webhook(R"({"object":"page","entry":[]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("object: expected \\\"whatsapp_business_account\\\""), std::string::npos)
      << r.body;
  auto e = client_.Webhook(R"({"object":"whatsapp_business_account","entry":{}})");
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.body.find("entry: expected an array, got an object"), std::string::npos) << e.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(WebhookInput, AnUnknownOfficeNumberIsRecordedAndRejectedWithoutAReply) {
  const std::string body = whatsapp::BuildTextWebhook(
      {"999999999999999", "6280000000000", "6281234567890", "X", "wamid.nooffice",
       Registration("BUDI"), support::MessageSeconds()});
  auto r = client_.Webhook(body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(TypesFor("wamid.nooffice"),
            (StringList{"message_received.v1", "registration_rejected.v2"}));
  EXPECT_EQ(PayloadOf("wamid.nooffice", "registration_rejected.v2").at("reason"), "unknown_office");
  EXPECT_TRUE(support::OfType(client_.Events(), "reply_queued.v1").empty());
}

}  // namespace
}  // namespace antrean
