#include "whatsapp/graph.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "tests/whatsapp/fixtures.h"

namespace antrean::whatsapp {
namespace {

namespace json = boost::json;
using testing::Fixture;
using testing::Json;

TEST(Graph, SendTextBodyIsMetasExampleWithoutLinkPreview) {
  json::value example = Json(Fixture("send_text_message_request_body_meta_docs.json"));
  const json::object& text = example.at("text").as_object();
  const std::string built =
      BuildSendTextBody(example.at("to").as_string().c_str(), text.at("body").as_string().c_str());
  // Meta's example asks for a preview of the link it sends; we never do.
  example.at("text").as_object()["preview_url"] = false;
  EXPECT_EQ(built, json::serialize(example));  // the same members, in the same order, compact
}

TEST(Graph, SendTextBodyEscapesNonAsciiAndParsesBack) {
  const std::string text = "Kode booking: BGR-7K2Q \xE2\x80\x94 datang 07:30 WIB \xF0\x9F\x99\x8F";
  const std::string body = BuildSendTextBody("628111100333", text);
  for (char c : body) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << body;
  const json::value parsed = Json(body);
  EXPECT_EQ(parsed.at("to"), "628111100333");
  EXPECT_EQ(parsed.at("text").at("body"), text.c_str());
  EXPECT_EQ(parsed.at("text").at("preview_url"), false);
}

TEST(Graph, SendTextBodyIsValidJsonEvenForInvalidUtf8) {
  const json::value parsed = Json(BuildSendTextBody("628111100333",
                                                    "a\xFF"
                                                    "b"));
  EXPECT_EQ(parsed.at("text").at("body"),
            "a\xEF\xBF\xBD"
            "b");  // U+FFFD
}

TEST(Graph, SendResponseGivesTheMessageId) {
  Result<std::string> id = ParseSendResponse(Fixture("send_text_message_response_meta_docs.json"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA");
}

TEST(Graph, SendResponseNamesWhatIsMissing) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"", "response: not valid JSON at offset 0"},
      {"<html>502</html>", "response: not valid JSON at offset 0"},
      {"[]", "response: expected a JSON object"},
      {R"({"messaging_product":"whatsapp"})", "messages: missing"},
      {R"({"messages":{"id":"wamid.X"}})", "messages: expected an array"},
      {R"({"messages":[]})", "messages[0]: missing (the array is empty)"},
      {R"({"messages":["wamid.X"]})", "messages[0]: expected an object"},
      {R"({"messages":[{}]})", "messages[0].id: missing"},
      {R"({"messages":[{"id":""}]})", "messages[0].id: empty"},
      {R"({"messages":[{"id":7}]})", "messages[0].id: expected a string, got a number"},
  };
  for (const Case& c : cases) {
    Result<std::string> id = ParseSendResponse(c.body);
    ASSERT_FALSE(id.ok()) << c.body;
    EXPECT_TRUE(id.status().IsInvalidArgument()) << c.body;
    EXPECT_TRUE(id.status().message().starts_with(c.message))
        << c.body << "\n  gave " << id.status().message() << "\n  expected " << c.message;
  }
}

TEST(Graph, SendResponseThatIsAnErrorSaysSo) {
  Result<std::string> id = ParseSendResponse(
      R"({"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}})");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(), "response: error (#100) Invalid parameter");
}

TEST(Graph, SendResponseLongerThanTheLimitIsRefused) {
  std::string body = Fixture("send_text_message_response_meta_docs.json");
  body.append(kGraphResponseBytesMax + 1 - body.size(), ' ');
  Result<std::string> id = ParseSendResponse(body);
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(id.status().message().starts_with("response: 65537 bytes, more than 65536"))
      << id.status().message();
}

TEST(Graph, DescribeErrorUsesGraphsMessage) {
  const std::string body =
      R"({"error":{"message":"(#131030) Recipient phone number not in allowed list",)"
      R"("type":"OAuthException","code":131030,"error_data":{"messaging_product":"whatsapp",)"
      R"("details":"Recipient phone number not in allowed list: Add recipient phone number to )"
      R"(recipient list and try again."},"error_subcode":2655007,"fbtrace_id":"A1b2C3"}})";
  EXPECT_EQ(DescribeGraphError(400, body),
            "HTTP 400: (#131030) Recipient phone number not in allowed list");
}

TEST(Graph, DescribeErrorAddsTheCodeWhenTheMessageLacksIt) {
  EXPECT_EQ(DescribeGraphError(401, R"({"error":{"message":"Error validating access token: )"
                                    R"(Session has expired","type":"OAuthException","code":190}})"),
            "HTTP 401: (#190) Error validating access token: Session has expired");
  EXPECT_EQ(DescribeGraphError(500, R"({"error":{"message":"Unknown error"}})"),
            "HTTP 500: Unknown error");
}

TEST(Graph, DescribeErrorQuotesABoundedOneLineExcerptOtherwise) {
  EXPECT_EQ(DescribeGraphError(502,
                               "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
                               "<body>\t</body>\n</html>\n"),
            "HTTP 502: <html> <head><title>502 Bad Gateway</title></head> <body> </body> </html>");
  EXPECT_EQ(DescribeGraphError(503, ""), "HTTP 503: empty body");
  EXPECT_EQ(DescribeGraphError(429, R"({"error":"slow down"})"),
            R"(HTTP 429: {"error":"slow down"})");

  const std::string long_body(1000, 'x');
  EXPECT_EQ(DescribeGraphError(500, long_body),
            "HTTP 500: " + std::string(kGraphExcerptBytesMax, 'x') + "...");

  // A UTF-8 sequence across the cut is left out whole; what is kept is ASCII on one line.
  const std::string cut = std::string(kGraphExcerptBytesMax - 1, 'a') + "\xC3\xA9 tail";
  EXPECT_EQ(DescribeGraphError(500, cut),
            "HTTP 500: " + std::string(kGraphExcerptBytesMax - 1, 'a') + "...");
  EXPECT_EQ(DescribeGraphError(500, "caf\xC3\xA9\x01\x7f!\xFF"), "HTTP 500: caf\\u00e9 !\\ufffd");
}

}  // namespace
}  // namespace antrean::whatsapp
