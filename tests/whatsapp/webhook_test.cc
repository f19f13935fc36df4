#include "whatsapp/webhook.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "tests/whatsapp/fixtures.h"

namespace antrean::whatsapp {
namespace {

namespace json = boost::json;
using testing::Fixture;
using testing::Json;

std::string Problems(const WebhookBatch& batch) {
  std::string all;
  for (const WebhookProblem& p : batch.problems) all += p.path + ": " + p.message + "\n";
  return all;
}

WebhookBatch ParsedOrEmpty(std::string_view body, std::string_view what) {
  Result<WebhookBatch> batch = ParseWebhook(body);
  if (!batch.ok()) {
    ADD_FAILURE() << what << ": " << batch.status().ToString();
    return {};
  }
  return *batch;
}

// The message of a body that holds exactly one message and nothing else.
WebhookMessage OnlyMessage(std::string_view body, std::string_view what) {
  const WebhookBatch batch = ParsedOrEmpty(body, what);
  EXPECT_TRUE(batch.problems.empty()) << what << ":\n" << Problems(batch);
  EXPECT_TRUE(batch.statuses.empty()) << what;
  if (batch.messages.size() != 1) {
    ADD_FAILURE() << what << ": " << batch.messages.size() << " messages, expected 1";
    return {};
  }
  return batch.messages[0];
}

WebhookStatus OnlyStatus(std::string_view body, std::string_view what) {
  const WebhookBatch batch = ParsedOrEmpty(body, what);
  EXPECT_TRUE(batch.problems.empty()) << what << ":\n" << Problems(batch);
  EXPECT_TRUE(batch.messages.empty()) << what;
  if (batch.statuses.size() != 1) {
    ADD_FAILURE() << what << ": " << batch.statuses.size() << " statuses, expected 1";
    return {};
  }
  return batch.statuses[0];
}

// A fixture changed by `edit` (given the root object), serialised again.
std::string Edited(std::string_view fixture, const std::function<void(json::object&)>& edit) {
  json::value root = Json(Fixture(fixture));
  edit(root.as_object());
  return json::serialize(root);
}

json::object& FirstValue(json::object& root) {
  return root["entry"]
      .as_array()[0]
      .as_object()["changes"]
      .as_array()[0]
      .as_object()["value"]
      .as_object();
}
json::object& FirstMessage(json::object& root) {
  return FirstValue(root)["messages"].as_array()[0].as_object();
}
json::object& FirstStatus(json::object& root) {
  return FirstValue(root)["statuses"].as_array()[0].as_object();
}

constexpr std::string_view kFirstMessagePath = "entry[0].changes[0].value.messages[0]";
constexpr std::string_view kFirstStatusPath = "entry[0].changes[0].value.statuses[0]";

// ---- Every message fixture ----------------------------------------------------------------------

struct ExpectedMessage {
  const char* file;
  const char* phone_number_id;
  const char* display_phone_number;
  const char* id;
  const char* from;
  std::optional<std::string> profile_name;
  const char* type;
  const char* text;
  std::optional<events::Media> media;
  std::int64_t timestamp_s;
};

const std::vector<ExpectedMessage>& MessageFixtures() {
  static const std::vector<ExpectedMessage> kFixtures = {
      {"text_message_meta_docs.json", "106540352242922", "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", "16505551234",
       "Sheena Nelson", "text", "Does it come in another color?", std::nullopt, 1749416383},
      {"text_message_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz", "972987654321",
       "Test Name", "text", "Body Text", std::nullopt, 1697043223},
      {"text_message_dashboard_test_activepieces.json", "123456123", "16505551111", "ABGGFlA5Fpa",
       "16315551181", "test user name", "text", "this is a text message", std::nullopt, 1504902988},
      {"text_message_dashboard_test_v25_whatsapp_api_js.json", "123456123", "16505551111",
       "ABGGFlA5Fpa", "16315551181", "test user name", "text", "this is a text message",
       std::nullopt, 1504902988},
      {"text_message_business_button_context_meta_docs.json", "106540352242922", "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=", "16505551234",
       "Sheena Nelson", "text", "Is this still available?", std::nullopt, 1750016800},
      {"text_message_click_to_whatsapp_ad_referral_meta_docs.json", "106540352242922",
       "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA=", "16505551234",
       "Sheena Nelson", "text", "Can I get more info about this?", std::nullopt, 1750275992},
      {"text_reply_with_context_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz",
       "972987654321", "Test Name", "text", "replied text", std::nullopt, 1697044746},
      {"image_message_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz", "972987654321",
       "Test Name", "image", "", events::Media{"image", "65463453", "image/jpeg", "4654+8g="},
       1697043379},
      {"image_message_with_url_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz",
       "972987654321", "Test Name", "image", "",
       events::Media{"image", "65463453", "image/jpeg", "4654+8g="}, 1697043379},
      {"image_message_with_caption_meta_docs.json", "106540352242922", "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", "16505551234",
       "Sheena Nelson", "image", "Taj Mahal",
       events::Media{"image", "1003383421387256", "image/jpeg",
                     "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="},
       1744344496},
      {"image_message_with_caption_netflie.json", "PHONE_NUMBER_ID", "PHONE_NUMBER", "wamid.ID",
       "PHONE_NUMBER", "NAME", "image", "CAPTION_TEXT",
       events::Media{"image", "IMAGE_ID", "image/jpeg", "IMAGE_HASH"}, 1669233778},
      {"video_message_with_caption_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz",
       "972987654321", "Test Name", "video", "caption",
       events::Media{"video", "765756756", "video/mp4",
                     "Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc="},
       1697044362},
      {"reaction_message_emoji_escaped_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz",
       "972987654321", "Test Name", "reaction", "\xF0\x9F\x98\xAE", std::nullopt, 1697044456},
      {"unsupported_message_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz",
       "972987654321", "Test Name", "unsupported", "", std::nullopt, 1697044706},
  };
  return kFixtures;
}

TEST(Webhook, EveryMessageFixtureYieldsItsMessage) {
  for (const ExpectedMessage& e : MessageFixtures()) {
    SCOPED_TRACE(e.file);
    const WebhookMessage m = OnlyMessage(Fixture(e.file), e.file);
    EXPECT_EQ(m.path, kFirstMessagePath);
    EXPECT_EQ(m.phone_number_id, e.phone_number_id);
    EXPECT_EQ(m.display_phone_number, e.display_phone_number);
    EXPECT_EQ(m.id, e.id);
    EXPECT_EQ(m.from, e.from);
    EXPECT_EQ(m.profile_name, e.profile_name);
    EXPECT_EQ(m.type, e.type);
    EXPECT_EQ(m.text, e.text);
    EXPECT_EQ(m.media, e.media);
    EXPECT_EQ(m.timestamp_s, e.timestamp_s);
  }
}

TEST(Webhook, BatchedChangesYieldEveryMessage) {
  const WebhookBatch batch =
      ParsedOrEmpty(Fixture("batched_two_changes_one_entry_netflie.json"), "batched");
  EXPECT_TRUE(batch.problems.empty()) << Problems(batch);
  ASSERT_EQ(batch.messages.size(), 2u);
  // The same id twice is still two items: telling repeats apart is the ledger's idempotency.
  EXPECT_EQ(batch.messages[0].id, "wamid.ID");
  EXPECT_EQ(batch.messages[1].id, "wamid.ID");
  EXPECT_EQ(batch.messages[0].path, "entry[0].changes[0].value.messages[0]");
  EXPECT_EQ(batch.messages[1].path, "entry[0].changes[1].value.messages[0]");
  EXPECT_EQ(batch.messages[0].text, "MESSAGE_BODY");
  EXPECT_EQ(batch.messages[1].text, "MESSAGE_BODY2");
  EXPECT_EQ(batch.messages[0].timestamp_s, 1669233778);
  EXPECT_EQ(batch.messages[1].timestamp_s, 1669233779);
}

TEST(Webhook, EntriesAndItemsKeepBodyOrder) {
  // Two entries, the second holding two messages and a status.
  const std::string body = Edited("text_message_pywa.json", [](json::object& root) {
    json::value second = root["entry"].as_array()[0];
    json::object& value =
        second.as_object()["changes"].as_array()[0].as_object()["value"].as_object();
    json::array& messages = value["messages"].as_array();
    messages.push_back(messages[0]);
    messages[0].as_object()["id"] = "wamid.second";
    messages[1].as_object()["id"] = "wamid.third";
    value["statuses"] = json::array{
        json::object{{"id", "wamid.out"}, {"status", "read"}, {"timestamp", "1697043300"}}};
    root["entry"].as_array().push_back(second);
  });
  const WebhookBatch batch = ParsedOrEmpty(body, "two entries");
  EXPECT_TRUE(batch.problems.empty()) << Problems(batch);
  ASSERT_EQ(batch.messages.size(), 3u);
  EXPECT_EQ(batch.messages[0].id, "wamid.xyzxyz");
  EXPECT_EQ(batch.messages[1].id, "wamid.second");
  EXPECT_EQ(batch.messages[2].id, "wamid.third");
  EXPECT_EQ(batch.messages[2].path, "entry[1].changes[0].value.messages[1]");
  ASSERT_EQ(batch.statuses.size(), 1u);
  EXPECT_EQ(batch.statuses[0].path, "entry[1].changes[0].value.statuses[0]");
  EXPECT_EQ(batch.statuses[0].recipient_id, "");
}

TEST(Webhook, ProfileNameFallsBackToTheOnlyContact) {
  // netflie's contact has wa_id "WHATSAPP_ID" while the message is from "PHONE_NUMBER".
  const WebhookMessage m =
      OnlyMessage(Fixture("image_message_with_caption_netflie.json"), "netflie image");
  EXPECT_EQ(m.from, "PHONE_NUMBER");
  EXPECT_EQ(m.profile_name, "NAME");
}

TEST(Webhook, ProfileNameIsTheSendersAmongSeveralContacts) {
  const std::string body = Edited("text_message_pywa.json", [](json::object& root) {
    json::array& contacts = FirstValue(root)["contacts"].as_array();
    contacts.insert(contacts.begin(), json::object{{"profile", {{"name", "Someone Else"}}},
                                                   {"wa_id", "628111100333"}});
  });
  EXPECT_EQ(OnlyMessage(body, "two contacts").profile_name, "Test Name");

  const std::string neither = Edited("text_message_pywa.json", [](json::object& root) {
    json::array& contacts = FirstValue(root)["contacts"].as_array();
    contacts.push_back(contacts[0]);
    for (json::value& c : contacts) c.as_object()["wa_id"] = "628111100333";
  });
  EXPECT_EQ(OnlyMessage(neither, "no contact matches").profile_name, std::nullopt);

  const std::string none = Edited("text_message_pywa.json",
                                  [](json::object& root) { FirstValue(root).erase("contacts"); });
  EXPECT_EQ(OnlyMessage(none, "no contacts").profile_name, std::nullopt);
}

TEST(Webhook, EscapedEmojiReactionIsUtf8Text) {
  const std::string body = Fixture("reaction_message_emoji_escaped_pywa.json");
  ASSERT_NE(body.find("\\ud83d\\ude2e"), std::string::npos);          // as Meta sends it
  EXPECT_EQ(OnlyMessage(body, "reaction").text, "\xF0\x9F\x98\xAE");  // U+1F62E
}

TEST(Webhook, RemovedReactionHasNoText) {
  const std::string body =
      Edited("reaction_message_emoji_escaped_pywa.json",
             [](json::object& root) { FirstMessage(root)["reaction"].as_object().erase("emoji"); });
  const WebhookMessage m = OnlyMessage(body, "removed reaction");
  EXPECT_EQ(m.type, "reaction");
  EXPECT_EQ(m.text, "");
}

TEST(Webhook, RepliesAndOtherKindsGiveTheTextAPersonChose) {
  struct Case {
    const char* type;
    json::value payload;
    const char* text;
    std::optional<events::Media> media;
  };
  const std::vector<Case> cases = {
      {"button", json::object{{"payload", "YA"}, {"text", "Ya, datang"}}, "Ya, datang", {}},
      {"interactive",
       json::object{{"type", "button_reply"},
                    {"button_reply", {{"id", "pagi"}, {"title", "Sesi pagi"}}}},
       "Sesi pagi",
       {}},
      {"interactive",
       json::object{{"type", "list_reply"},
                    {"list_reply", {{"id", "bgr"}, {"title", "Bogor"}, {"description", "x"}}}},
       "Bogor",
       {}},
      {"document",
       json::object{{"caption", "e-KTP"},
                    {"filename", "ktp.pdf"},
                    {"mime_type", "application/pdf"},
                    {"sha256", "abc="},
                    {"id", "991"}},
       "e-KTP", events::Media{"document", "991", "application/pdf", "abc="}},
      {"audio", json::object{{"mime_type", "audio/ogg; codecs=opus"}, {"id", "992"}}, "",
       events::Media{"audio", "992", "audio/ogg; codecs=opus", std::nullopt}},
      {"sticker", json::object{{"id", "993"}}, "",
       events::Media{"sticker", "993", std::nullopt, std::nullopt}},
      {"location", json::object{{"latitude", -6.59}, {"longitude", 106.8}}, "", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    const std::string body = Edited("text_message_pywa.json", [&](json::object& root) {
      json::object& m = FirstMessage(root);
      m.erase("text");
      m["type"] = c.type;
      m[c.type] = c.payload;
    });
    const WebhookMessage m = OnlyMessage(body, c.type);
    EXPECT_EQ(m.type, c.type);
    EXPECT_EQ(m.text, c.text);
    EXPECT_EQ(m.media, c.media);
  }
}

TEST(Webhook, TimestampMayBeANumber) {
  const std::string body = Edited("text_message_pywa.json", [](json::object& root) {
    FirstMessage(root)["timestamp"] = 1697043223;
  });
  EXPECT_EQ(OnlyMessage(body, "numeric timestamp").timestamp_s, 1697043223);
}

// ---- Every status fixture -----------------------------------------------------------------------

struct ExpectedStatus {
  const char* file;
  const char* phone_number_id;
  const char* display_phone_number;
  const char* id;
  const char* status;
  std::int64_t timestamp_s;
  const char* recipient_id;
  std::optional<std::string> error_code;
  std::optional<std::string> error_title;
};

const std::vector<ExpectedStatus>& StatusFixtures() {
  static const std::vector<ExpectedStatus> kFixtures = {
      {"status_sent_meta_docs.json", "106540352242922", "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", "sent", 1750030073,
       "16505551234", std::nullopt, std::nullopt},
      {"status_sent_v24_minimal_meta_docs.json", "106540352242922", "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", "sent", 1750030073,
       "16505551234", std::nullopt, std::nullopt},
      {"status_failed_meta_docs.json", "106540352242922", "15550783881",
       "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA", "failed", 1751142888,
       "16505551234", "131049",
       "This message was not delivered to maintain healthy ecosystem engagement."},
      {"status_sent_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz", "sent", 1698266945,
       "972987654321", std::nullopt, std::nullopt},
      {"status_delivered_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz", "delivered",
       1698266945, "972987654321", std::nullopt, std::nullopt},
      {"status_read_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz", "read", 1689380458,
       "972987654321", std::nullopt, std::nullopt},
      {"status_failed_pywa.json", "1122334455667", "972123456789", "wamid.xyzxyz", "failed",
       1689380458, "972987654321", "130472", "User's number is part of an experiment"},
      {"status_sent_dashboard_test_v25_whatsapp_api_js.json", "123456123", "16505551111",
       "ABGGFlA5Fpa", "sent", 1504902988, "16315551181", std::nullopt, std::nullopt},
      {"status_delivered_dashboard_test_v25_whatsapp_api_js.json", "123456123", "16505551111",
       "ABGGFlA5Fpa", "delivered", 1504902988, "16315551181", std::nullopt, std::nullopt},
      {"status_read_dashboard_test_v25_whatsapp_api_js.json", "123456123", "16505551111",
       "ABGGFlA5Fpa", "read", 1504902988, "16315551181", std::nullopt, std::nullopt},
      {"status_read_netflie.json", "CUSTOMER_PHONE_NUMBER", "CUSTOMER_PHONE_NUMBER", "wamid.ID",
       "read", 1674914356, "CUSTOMER_PHONE_NUMBER", std::nullopt, std::nullopt},
      {"status_failed_captured_restfb_issue_1344.json", "REDACTED", "REDACTED",
       "wamid.HBgLMzI0NzY3NTUzNzYVAgARGBIzOTI2MzFGRjdBRjA4M0Y2RDQA", "failed", 1698231447,
       "REDACTED", "131026", "Receiver is incapable of receiving this message"},
      {"status_read_captured_piusalfred_pr_33.json", "xxxx", "xxxx",
       "wamid.HBgMMjAxMDE1NTA3NjI1FQIAERgSODNDMEZEQkJFODk3OTYwQTkxAA==", "read", 1693487112,
       "xxxxx", std::nullopt, std::nullopt},
  };
  return kFixtures;
}

TEST(Webhook, EveryStatusFixtureYieldsItsStatus) {
  for (const ExpectedStatus& e : StatusFixtures()) {
    SCOPED_TRACE(e.file);
    const WebhookStatus s = OnlyStatus(Fixture(e.file), e.file);
    EXPECT_EQ(s.path, kFirstStatusPath);
    EXPECT_EQ(s.phone_number_id, e.phone_number_id);
    EXPECT_EQ(s.display_phone_number, e.display_phone_number);
    EXPECT_EQ(s.id, e.id);
    EXPECT_EQ(s.status, e.status);
    EXPECT_EQ(s.timestamp_s, e.timestamp_s);
    EXPECT_EQ(s.recipient_id, e.recipient_id);
    EXPECT_EQ(s.error_code, e.error_code);
    EXPECT_EQ(s.error_title, e.error_title);
  }
}

TEST(Webhook, StatusTimestampGivenAsStringIsRead) {
  // The capture posted in piusalfred/whatsapp#33 to show that "timestamp" is a string.
  const std::string body = Fixture("status_read_captured_piusalfred_pr_33.json");
  ASSERT_NE(body.find("\"timestamp\": \"1693487112\""), std::string::npos);
  EXPECT_EQ(OnlyStatus(body, "piusalfred").timestamp_s, 1693487112);
}

TEST(Webhook, FailedStatusKeepsAnErrorCodeGivenAsString) {
  const std::string body = Edited("status_failed_meta_docs.json", [](json::object& root) {
    FirstStatus(root)["errors"].as_array()[0].as_object()["code"] = "131049";
  });
  EXPECT_EQ(OnlyStatus(body, "string code").error_code, "131049");
}

TEST(Webhook, UnknownStatusIsKeptAsGiven) {
  const std::string body = Edited("status_read_netflie.json", [](json::object& root) {
    FirstStatus(root)["status"] = "deleted";
  });
  EXPECT_EQ(OnlyStatus(body, "deleted").status, "deleted");
}

// ---- Not a webhook at all -----------------------------------------------------------------------

void ExpectRejected(std::string_view body, std::string_view message_start) {
  Result<WebhookBatch> batch = ParseWebhook(body);
  ASSERT_FALSE(batch.ok()) << body.substr(0, 100);
  EXPECT_TRUE(batch.status().IsInvalidArgument());
  EXPECT_TRUE(batch.status().message().starts_with(message_start))
      << batch.status().message() << "\nexpected to start with: " << message_start;
}

TEST(Webhook, BodyThatIsNotJsonIsRejected) {
  ExpectRejected("", "body: not valid JSON at offset 0");
  ExpectRejected("object=whatsapp_business_account", "body: not valid JSON at offset 0");
  ExpectRejected("{\"object\": \"whatsapp_business_account\", \"entry\": [}",
                 "body: not valid JSON at offset 50");  // the "}" at byte 50
  ExpectRejected(Fixture("text_message_pywa.json") + "{}", "body: not valid JSON at offset");
  ExpectRejected("{\"object\": \"whatsapp_business_account\", \"entry\": [\"\xff\"]}",
                 "body: not valid JSON");
}

TEST(Webhook, BodyThatIsNotAnObjectIsRejected) {
  ExpectRejected("[]", "body: expected a JSON object, got an array");
  ExpectRejected("\"whatsapp_business_account\"", "body: expected a JSON object, got a string");
}

TEST(Webhook, OtherObjectsAreRejectedNamingObject) {
  ExpectRejected(R"({"object": "page", "entry": []})",
                 R"(object: expected "whatsapp_business_account", got "page")");
  ExpectRejected(R"({"object": "instagram", "entry": []})", R"(object: expected)");
  ExpectRejected(R"({"entry": []})",
                 R"(object: expected "whatsapp_business_account", got nothing)");
  ExpectRejected(R"({"object": 1, "entry": []})",
                 R"(object: expected "whatsapp_business_account", got a number)");
}

TEST(Webhook, EntryMustBeAnArray) {
  ExpectRejected(R"({"object": "whatsapp_business_account"})", "entry: missing");
  ExpectRejected(R"({"object": "whatsapp_business_account", "entry": {}})",
                 "entry: expected an array, got an object");
  const WebhookBatch empty =
      ParsedOrEmpty(R"({"object": "whatsapp_business_account", "entry": []})", "empty");
  EXPECT_TRUE(empty.messages.empty() && empty.statuses.empty() && empty.problems.empty());
}

TEST(Webhook, DeepNestingIsRejected) {
  // A message holding 40 nested arrays: deeper than any payload Meta sends.
  const std::string body = Edited("text_message_pywa.json", [](json::object& root) {
    json::value nested = json::array{};
    for (int i = 0; i < 40; ++i) nested = json::array{nested};
    FirstMessage(root)["context"] = nested;
  });
  ExpectRejected(body, "body: nested deeper than 32 levels at offset");
}

TEST(Webhook, BodyLongerThanTheLimitIsRejected) {
  std::string body = Fixture("text_message_pywa.json");
  body.append(kWebhookBodyBytesMax + 1 - body.size(), ' ');
  ExpectRejected(body, "body: " + std::to_string(kWebhookBodyBytesMax + 1) + " bytes, more than");
  body.pop_back();  // white space after the JSON is allowed, so the limit itself parses
  EXPECT_EQ(OnlyMessage(body, "at the limit").text, "Body Text");
}

// ---- Malformed items: skipped into problems, the rest still read --------------------------------

TEST(Webhook, MessageWithoutIdIsSkippedNamingThePath) {
  const std::string body =
      Edited("text_message_pywa.json", [](json::object& root) { FirstMessage(root).erase("id"); });
  const WebhookBatch batch = ParsedOrEmpty(body, "no id");
  EXPECT_TRUE(batch.messages.empty());
  ASSERT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].path, std::string(kFirstMessagePath) + ".id");
  EXPECT_EQ(batch.problems[0].message, "missing");
}

TEST(Webhook, OneBadMessageDoesNotLoseTheOthers) {
  const std::string body = Edited("batched_two_changes_one_entry_netflie.json",
                                  [](json::object& root) { FirstMessage(root)["id"] = ""; });
  const WebhookBatch batch = ParsedOrEmpty(body, "first id empty");
  ASSERT_EQ(batch.messages.size(), 1u);
  EXPECT_EQ(batch.messages[0].text, "MESSAGE_BODY2");
  EXPECT_EQ(batch.messages[0].path, "entry[0].changes[1].value.messages[0]");
  ASSERT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].path, "entry[0].changes[0].value.messages[0].id");
  EXPECT_EQ(batch.problems[0].message, "empty");
}

TEST(Webhook, ChangeOfAnotherFieldIsSkippedIntoProblems) {
  const std::string body = Edited("text_message_pywa.json", [](json::object& root) {
    json::array& changes = root["entry"].as_array()[0].as_object()["changes"].as_array();
    changes.insert(changes.begin(), json::object{{"field", "account_update"},
                                                 {"value", {{"event", "VERIFIED_ACCOUNT"}}}});
  });
  const WebhookBatch batch = ParsedOrEmpty(body, "account_update");
  ASSERT_EQ(batch.messages.size(), 1u);
  EXPECT_EQ(batch.messages[0].path, "entry[0].changes[1].value.messages[0]");
  ASSERT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].path, "entry[0].changes[0].field");
  EXPECT_EQ(batch.problems[0].message,
            "\"account_update\" is not \"messages\"; only messages and statuses are read");
}

struct MalformedCase {
  const char* what;
  std::function<void(json::object&)> edit;
  std::string path;  // relative to the root
  std::string message;
};

TEST(Webhook, MalformedItemsNameTheirPathAndReason) {
  const std::string msg(kFirstMessagePath);
  const std::string value = "entry[0].changes[0].value";
  const std::vector<MalformedCase> cases = {
      {"entry not an object", [](json::object& r) { r["entry"].as_array()[0] = 7; }, "entry[0]",
       "expected an object, got a number"},
      {"changes missing",
       [](json::object& r) { r["entry"].as_array()[0].as_object().erase("changes"); },
       "entry[0].changes", "missing"},
      {"changes not an array",
       [](json::object& r) { r["entry"].as_array()[0].as_object()["changes"] = "x"; },
       "entry[0].changes", "expected an array, got a string"},
      {"field missing",
       [](json::object& r) {
         r["entry"].as_array()[0].as_object()["changes"].as_array()[0].as_object().erase("field");
       },
       "entry[0].changes[0].field", "missing or not a string"},
      {"value missing",
       [](json::object& r) {
         r["entry"].as_array()[0].as_object()["changes"].as_array()[0].as_object().erase("value");
       },
       value, "missing or not an object"},
      {"metadata missing", [](json::object& r) { FirstValue(r).erase("metadata"); },
       value + ".metadata", "missing or not an object; the office number is unknown"},
      {"phone_number_id missing",
       [](json::object& r) { FirstValue(r)["metadata"].as_object().erase("phone_number_id"); },
       value + ".metadata.phone_number_id", "missing; the office number is unknown"},
      {"neither messages nor statuses",
       [](json::object& r) {
         FirstValue(r).erase("messages");
         FirstValue(r)["errors"] =
             json::array{json::object{{"code", 131000}, {"title", "Something went wrong"}}};
       },
       value, "neither messages nor statuses; errors[0]: (#131000) Something went wrong"},
      {"messages not an array", [](json::object& r) { FirstValue(r)["messages"] = json::object{}; },
       value + ".messages", "expected an array, got an object"},
      {"message not an object",
       [](json::object& r) { FirstValue(r)["messages"].as_array()[0] = nullptr; }, msg,
       "expected an object, got null"},
      {"from missing", [](json::object& r) { FirstMessage(r).erase("from"); }, msg + ".from",
       "missing"},
      {"type not a string", [](json::object& r) { FirstMessage(r)["type"] = 1; }, msg + ".type",
       "expected a string, got a number"},
      {"id too long",
       [](json::object& r) { FirstMessage(r)["id"] = std::string(kWebhookFieldBytesMax + 1, 'w'); },
       msg + ".id", std::to_string(kWebhookFieldBytesMax + 1) + " bytes, more than 256"},
      {"timestamp missing", [](json::object& r) { FirstMessage(r).erase("timestamp"); },
       msg + ".timestamp", "missing"},
      {"timestamp not digits", [](json::object& r) { FirstMessage(r)["timestamp"] = "16970432x"; },
       msg + ".timestamp", "expected seconds since 1970 as a string of digits"},
      {"timestamp negative", [](json::object& r) { FirstMessage(r)["timestamp"] = "-5"; },
       msg + ".timestamp", "expected seconds since 1970 as a string of digits"},
      {"timestamp fractional", [](json::object& r) { FirstMessage(r)["timestamp"] = 1.5; },
       msg + ".timestamp", "expected seconds since 1970 as a string of digits"},
      {"text without body", [](json::object& r) { FirstMessage(r)["text"] = json::object{}; },
       msg + ".text.body", "missing or not a string"},
      {"image without its object",
       [](json::object& r) {
         FirstMessage(r)["type"] = "image";
         FirstMessage(r).erase("text");
       },
       msg + ".image", "missing"},
      {"image without id",
       [](json::object& r) {
         FirstMessage(r)["type"] = "image";
         FirstMessage(r)["image"] = json::object{{"mime_type", "image/jpeg"}};
       },
       msg + ".image.id", "missing"},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.what);
    const WebhookBatch batch = ParsedOrEmpty(Edited("text_message_pywa.json", c.edit), c.what);
    EXPECT_TRUE(batch.messages.empty());
    ASSERT_EQ(batch.problems.size(), 1u) << Problems(batch);
    EXPECT_EQ(batch.problems[0].path, c.path);
    EXPECT_EQ(batch.problems[0].message, c.message);
  }
}

TEST(Webhook, MalformedStatusesAreSkippedNamingThePath) {
  const std::string body = Edited("status_failed_meta_docs.json", [](json::object& root) {
    json::array& statuses = FirstValue(root)["statuses"].as_array();
    statuses.push_back(statuses[0]);
    statuses[0].as_object().erase("status");
  });
  const WebhookBatch batch = ParsedOrEmpty(body, "status without status");
  ASSERT_EQ(batch.statuses.size(), 1u);
  EXPECT_EQ(batch.statuses[0].path, "entry[0].changes[0].value.statuses[1]");
  ASSERT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].path, std::string(kFirstStatusPath) + ".status");
  EXPECT_EQ(batch.problems[0].message, "missing");
}

// ---- Signatures ---------------------------------------------------------------------------------

constexpr std::string_view kVectorSecret = "YOUR_APP_SECRET";
constexpr std::string_view kVectorText =
    "Let's pretend this body is equal to the message object and can handle unicode characters "
    "like \xE3\x81\xBF\xE3\x81\xA9\xE3\x82\x8A\xE3\x81\x84\xE3\x82\x8D and J'ai mang\xC3\xA9 des "
    "p\xC3\xA2tes";

TEST(WebhookSignature, MetaTestVectorIsOverTheEscapedBody) {
  // SOURCES.md: Meta signs the body with non-ASCII escaped as lower-case \uXXXX.
  const std::string wire = EscapeNonAscii(kVectorText);
  EXPECT_EQ(wire,
            "Let's pretend this body is equal to the message object and can handle unicode "
            "characters like \\u307f\\u3069\\u308a\\u3044\\u308d and J'ai mang\\u00e9 des "
            "p\\u00e2tes");
  const std::string header =
      "sha256=0363007aabdf1ab579f35936651a460fb5fa1aaf40df98b1264446b72cc96688";
  EXPECT_EQ(SignatureHeader(wire, kVectorSecret), header);
  EXPECT_TRUE(SignatureMatches(header, wire, kVectorSecret));
  // Over the raw UTF-8 the HMAC differs, so a server that re-encodes the body cannot verify.
  const std::string raw = ToHex(HmacSha256(kVectorSecret, kVectorText));
  EXPECT_EQ(raw, "5ab50fefd5b7b7258964d9825904e7916acb73fe8030123871485627791ffbde");
  EXPECT_TRUE(raw.starts_with("5ab50fef") && raw.ends_with("ffbde"));  // as SOURCES.md quotes it
  EXPECT_FALSE(SignatureMatches(header, kVectorText, kVectorSecret));
}

TEST(WebhookSignature, UpperCaseHexMatches) {
  const std::string body = Fixture("text_message_meta_docs.json");
  const std::string lower = SignatureHeader(body, "s3cret");
  std::string upper = lower;
  for (std::size_t i = 7; i < upper.size(); ++i) {
    if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 32);
  }
  ASSERT_NE(upper, lower);
  EXPECT_TRUE(SignatureMatches(upper, body, "s3cret"));
}

TEST(WebhookSignature, AnythingElseDoesNotMatch) {
  const std::string body = Fixture("text_message_meta_docs.json");
  const std::string header = SignatureHeader(body, "s3cret");
  ASSERT_TRUE(SignatureMatches(header, body, "s3cret"));
  const std::string hex = header.substr(7);
  EXPECT_FALSE(SignatureMatches(hex, body, "s3cret"));                   // no prefix
  EXPECT_FALSE(SignatureMatches("sha1=" + hex, body, "s3cret"));         // another scheme
  EXPECT_FALSE(SignatureMatches("SHA256=" + hex, body, "s3cret"));       // not Meta's spelling
  EXPECT_FALSE(SignatureMatches(" " + header, body, "s3cret"));          // not trimmed here
  EXPECT_FALSE(SignatureMatches(header.substr(0, 70), body, "s3cret"));  // too short
  EXPECT_FALSE(SignatureMatches(header + "0", body, "s3cret"));          // too long
  EXPECT_FALSE(SignatureMatches("", body, "s3cret"));
  std::string not_hex = header;
  not_hex[10] = 'g';
  EXPECT_FALSE(SignatureMatches(not_hex, body, "s3cret"));
  std::string flipped = header;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(SignatureMatches(flipped, body, "s3cret"));
  EXPECT_FALSE(SignatureMatches(header, body, "other"));
  EXPECT_FALSE(SignatureMatches(header, body + " ", "s3cret"));  // the exact bytes count
}

TEST(WebhookSignature, EmptySecretNeverMatches) {
  const std::string body = Fixture("text_message_meta_docs.json");
  EXPECT_FALSE(SignatureMatches(SignatureHeader(body, ""), body, ""));
}

// ---- EscapeNonAscii -----------------------------------------------------------------------------

TEST(WebhookEscape, AsciiIsUnchanged) {
  const std::string json = R"({"a":"b\u00e9\n","c":[1,2.5,true,null]})";
  EXPECT_EQ(EscapeNonAscii(json), json);
}

TEST(WebhookEscape, CodePointsBecomeLowerCaseUtf16Units) {
  EXPECT_EQ(EscapeNonAscii("\xC3\xA9"), "\\u00e9");                     // U+00E9, 2 bytes
  EXPECT_EQ(EscapeNonAscii("\xE2\x80\xA8"), "\\u2028");                 // U+2028, 3 bytes
  EXPECT_EQ(EscapeNonAscii("\xEF\xBF\xBF"), "\\uffff");                 // U+FFFF
  EXPECT_EQ(EscapeNonAscii("\xF0\x9F\x98\xAE"), "\\ud83d\\ude2e");      // U+1F62E, a surrogate pair
  EXPECT_EQ(EscapeNonAscii("\xF4\x8F\xBF\xBF"), "\\udbff\\udfff");      // U+10FFFF, the last
  EXPECT_EQ(EscapeNonAscii("x\xF0\x90\x80\x80y"), "x\\ud800\\udc00y");  // U+10000, the first
}

TEST(WebhookEscape, InvalidUtf8BecomesOneReplacementPerByte) {
  EXPECT_EQ(EscapeNonAscii("a\xFF"
                           "b"),
            "a\\ufffdb");
  EXPECT_EQ(EscapeNonAscii("\xC0\xAF"), "\\ufffd\\ufffd");                        // overlong '/'
  EXPECT_EQ(EscapeNonAscii("\xED\xA0\x80"), "\\ufffd\\ufffd\\ufffd");             // a surrogate
  EXPECT_EQ(EscapeNonAscii("\xF4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");  // > U+10FFFF
  EXPECT_EQ(EscapeNonAscii("\xE3\x81"), "\\ufffd\\ufffd");                        // cut short
  EXPECT_EQ(EscapeNonAscii("\xE3\x81"
                           "a"),
            "\\ufffd\\ufffda");
}

TEST(WebhookEscape, EscapedJsonParsesBackToTheSameText) {
  for (const char* text : {"Antrean ke-3, Bu Wati \xF0\x9F\x98\x8A", "mang\xC3\xA9 \xE3\x81\xBF",
                           "plain", "\xE2\x80\xA8 \xF0\x9F\x87\xAE\xF0\x9F\x87\xA9"}) {
    const std::string json = json::serialize(json::value(text));
    const std::string escaped = EscapeNonAscii(json);
    for (char c : escaped) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << escaped;
    EXPECT_EQ(Json(escaped), json::value(text)) << escaped;
  }
}

// ---- Building webhooks --------------------------------------------------------------------------

TEST(WebhookBuild, TextWebhookIsMetasShapeCompactAndInOrder) {
  const TextWebhookSpec spec{"1001",     "6281100000001",           "628111100333", "Budi",
                             "wamid.T1", "#BUDI#25011987#04032026", 1772411465};
  EXPECT_EQ(BuildTextWebhook(spec),
            R"({"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"value":{)"
            R"("messaging_product":"whatsapp","metadata":{"display_phone_number":"6281100000001",)"
            R"("phone_number_id":"1001"},"contacts":[{"profile":{"name":"Budi"},)"
            R"("wa_id":"628111100333"}],"messages":[{"from":"628111100333","id":"wamid.T1",)"
            R"("timestamp":"1772411465","text":{"body":"#BUDI#25011987#04032026"},)"
            R"("type":"text"}]},"field":"messages"}]}]})");
}

TEST(WebhookBuild, TextWebhookEqualsMetasExample) {
  TextWebhookSpec spec{"106540352242922",
                       "15550783881",
                       "16505551234",
                       "Sheena Nelson",
                       "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                       "Does it come in another color?",
                       1749416383};
  spec.business_account_id = "102290129340398";
  EXPECT_EQ(Json(BuildTextWebhook(spec)), Json(Fixture("text_message_meta_docs.json")));
}

TEST(WebhookBuild, TextWebhookEscapesNonAsciiAndParsesBack) {
  const std::string text = "#WATI \xC3\x89LISE#01021990#04032026 \xF0\x9F\x98\x8A";
  const TextWebhookSpec spec{
      "1001", "6281100000001", "628111100333", "Wati \xC3\x89lise", "wamid.T2", text, 1772411465};
  const std::string body = BuildTextWebhook(spec);
  for (char c : body) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << body;
  EXPECT_NE(body.find(R"(#WATI \u00c9LISE#01021990#04032026 \ud83d\ude0a)"), std::string::npos);
  const WebhookMessage m = OnlyMessage(body, "built text");
  EXPECT_EQ(m.text, text);
  EXPECT_EQ(m.profile_name, "Wati \xC3\x89lise");
  EXPECT_EQ(m.from, "628111100333");
  EXPECT_EQ(m.id, "wamid.T2");
  EXPECT_EQ(m.phone_number_id, "1001");
  EXPECT_EQ(m.display_phone_number, "6281100000001");
  EXPECT_EQ(m.timestamp_s, 1772411465);
  EXPECT_TRUE(SignatureMatches(SignatureHeader(body, "s3cret"), body, "s3cret"));
}

TEST(WebhookBuild, ImageWebhookParsesBackWithItsMedia) {
  ImageWebhookSpec spec;
  spec.phone_number_id = "1002";
  spec.display_phone_number = "6277800000002";
  spec.from = "628111100333";
  spec.profile_name = "Budi";
  spec.message_id = "wamid.I1";
  spec.caption = "#BUDI#25011987#04032026";
  spec.media_id = "1003383421387256";
  spec.sha256 = "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=";
  spec.timestamp_s = 1772411465;
  const WebhookMessage m = OnlyMessage(BuildImageWebhook(spec), "built image");
  EXPECT_EQ(m.type, "image");
  EXPECT_EQ(m.text, spec.caption);
  EXPECT_EQ(m.media, (events::Media{"image", spec.media_id, "image/jpeg", spec.sha256}));

  spec.caption.clear();  // as WhatsApp sends a photo without a caption: no "caption" member
  const std::string bare = BuildImageWebhook(spec);
  EXPECT_EQ(bare.find("caption"), std::string::npos);
  EXPECT_EQ(OnlyMessage(bare, "built image without caption").text, "");
}

TEST(WebhookBuild, StatusWebhookEqualsMetasMinimalExample) {
  StatusWebhookSpec spec;
  spec.phone_number_id = "106540352242922";
  spec.display_phone_number = "15550783881";
  spec.message_id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=";
  spec.status = "sent";
  spec.recipient_id = "16505551234";
  spec.timestamp_s = 1750030073;
  spec.business_account_id = "102290129340398";
  EXPECT_EQ(Json(BuildStatusWebhook(spec)),
            Json(Fixture("status_sent_v24_minimal_meta_docs.json")));
}

TEST(WebhookBuild, FailedStatusWebhookParsesBackWithItsError) {
  StatusWebhookSpec spec;
  spec.phone_number_id = "1001";
  spec.display_phone_number = "6281100000001";
  spec.message_id = "wamid.OUT1";
  spec.status = "failed";
  spec.recipient_id = "628111100333";
  spec.timestamp_s = 1772411500;
  spec.error_code = 131026;
  spec.error_title = "Receiver is incapable of receiving this message";
  const WebhookStatus s = OnlyStatus(BuildStatusWebhook(spec), "built failed status");
  EXPECT_EQ(s.id, "wamid.OUT1");
  EXPECT_EQ(s.status, "failed");
  EXPECT_EQ(s.recipient_id, "628111100333");
  EXPECT_EQ(s.timestamp_s, 1772411500);
  EXPECT_EQ(s.error_code, "131026");
  EXPECT_EQ(s.error_title, spec.error_title);
}

// ---- The fixtures themselves --------------------------------------------------------------------

TEST(WebhookFixtures, EveryFixtureFileIsTested) {
  std::set<std::string> tested = {
      "batched_two_changes_one_entry_netflie.json",     // BatchedChangesYieldEveryMessage
      "send_text_message_request_body_meta_docs.json",  // graph_test.cc
      "send_text_message_response_meta_docs.json",      // graph_test.cc
  };
  for (const ExpectedMessage& e : MessageFixtures()) tested.insert(e.file);
  for (const ExpectedStatus& e : StatusFixtures()) tested.insert(e.file);
  std::set<std::string> present;
  for (const auto& f : std::filesystem::directory_iterator(testing::FixtureDir())) {
    if (f.path().extension() == ".json") present.insert(f.path().filename().string());
  }
  EXPECT_EQ(present, tested);
  EXPECT_EQ(present.size(), 30u);
}

}  // namespace
}  // namespace antrean::whatsapp
