// The command line parser (src/app/commands.h): strict, and every refusal names the field, so
// that the operator of `antrean ingest` can fix the line that was refused.
#include "app/commands.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace antrean::app {
namespace {

// A valid line with `fields` spliced in before the closing brace (each with a leading comma).
std::string Line(const std::string& fields = "") {
  return R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor",)"
         R"("message_id":"wamid.1","from":"0812-3456-7890","text":"#Budi#25011987#07082017")" +
         fields + "}";
}

// The error of a line that must be refused.
std::string ErrorOf(const std::string& line) {
  auto parsed = ParseCommand(line);
  EXPECT_FALSE(parsed.ok()) << line;
  return parsed.ok() ? "" : parsed.status().message();
}

bool Names(const std::string& error, const std::string& field) {
  return error.find("field \"" + field + "\"") != std::string::npos;
}

TEST(Command, AValidLineIsAWhatsAppMessageWithItsPhoneNormalised) {
  auto parsed = ParseCommand(Line());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(CommandTypeName(*parsed), "whatsapp.message");
  const auto& m = std::get<InboundMessage>(*parsed);
  EXPECT_EQ(m.message_id, "wamid.1");
  EXPECT_EQ(m.office, "bogor");
  EXPECT_EQ(m.from, "6281234567890");
  EXPECT_EQ(m.kind, "text");
  EXPECT_EQ(m.text, "#Budi#25011987#07082017");
  EXPECT_FALSE(m.media.has_value());
}

TEST(Command, MediaWithoutAKindIsOfTheMediaKind) {
  auto parsed = ParseCommand(Line(R"(,"media":{"kind":"image","id":"m-1","mime_type":"image/jpeg"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto& m = std::get<InboundMessage>(*parsed);
  ASSERT_TRUE(m.media.has_value());
  EXPECT_EQ(m.media->id, "m-1");
  EXPECT_EQ(m.kind, "image");
}

TEST(Command, NotJsonIsRefused) {
  EXPECT_NE(ErrorOf("{\"type\": ").find("not valid JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("#Budi#25011987#07082017").find("not valid JSON"), std::string::npos);
}

TEST(Command, AJsonValueThatIsNotAnObjectIsRefused) {
  EXPECT_NE(ErrorOf("[1,2]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf("\"text\"").find("expected a JSON object"), std::string::npos);
}

TEST(Command, MissingTypeNamesType) {
  const std::string e = ErrorOf(R"({"at":"2017-08-01T08:00:00+07:00","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "type")) << e;
  EXPECT_NE(e.find("required"), std::string::npos) << e;
}

TEST(Command, MissingAtNamesAt) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","office":"bogor","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "at")) << e;
  EXPECT_NE(e.find("required"), std::string::npos) << e;
}

TEST(Command, MissingMessageIdNamesMessageId) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "message_id")) << e;
}

TEST(Command, EmptyMessageIdNamesMessageId) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor","message_id":"","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "message_id")) << e;
}

TEST(Command, MissingFromNamesFrom) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor","message_id":"m"})");
  EXPECT_TRUE(Names(e, "from")) << e;
}

TEST(Command, MissingOfficeNamesOffice) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "office")) << e;
}

TEST(Command, UnknownTypeNamesType) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.reaction","at":"2017-08-01T08:00:00+07:00","message_id":"m"})");
  EXPECT_TRUE(Names(e, "type")) << e;
  EXPECT_NE(e.find("whatsapp.reaction"), std::string::npos) << e;
}

TEST(Command, AtWithoutAnOffsetNamesAt) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00","office":"bogor","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "at")) << e;
}

TEST(Command, GarbageAtNamesAt) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"kemarin pagi","office":"bogor","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "at")) << e;
}

TEST(Command, AtThatIsNotAStringNamesAt) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":1501549200,"office":"bogor","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "at")) << e;
  EXPECT_NE(e.find("expected a string"), std::string::npos) << e;
}

TEST(Command, BadPhoneNamesFrom) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor","message_id":"m","from":"budi"})");
  EXPECT_TRUE(Names(e, "from")) << e;
}

TEST(Command, TextThatIsNotAStringNamesText) {
  const std::string e2 = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor","message_id":"m","from":"628123456789","text":25011987})");
  EXPECT_TRUE(Names(e2, "text")) << e2;
  EXPECT_NE(e2.find("expected a string"), std::string::npos) << e2;
}

TEST(Command, TypeThatIsNotAStringNamesType) {
  const std::string e = ErrorOf(
      R"({"type":1,"at":"2017-08-01T08:00:00+07:00","office":"bogor","message_id":"m","from":"628123456789"})");
  EXPECT_TRUE(Names(e, "type")) << e;
}

TEST(Command, MediaThatIsNotAnObjectNamesMedia) {
  const std::string e = ErrorOf(Line(R"(,"media":"foto.jpg")"));
  EXPECT_TRUE(Names(e, "media")) << e;
}

TEST(Command, UnknownFieldIsNamed) {
  const std::string e = ErrorOf(Line(R"(,"mesage_id":"typo")"));
  EXPECT_TRUE(Names(e, "mesage_id")) << e;
  EXPECT_NE(e.find("unknown field"), std::string::npos) << e;
}

TEST(Command, MediaWithoutIdNamesMediaId) {
  const std::string e = ErrorOf(Line(R"(,"media":{"kind":"image"})"));
  EXPECT_TRUE(Names(e, "media.id")) << e;
}

TEST(Command, UnknownFieldInMediaNamesIt) {
  const std::string e = ErrorOf(Line(R"(,"media":{"kind":"image","id":"m","caption":"x"})"));
  EXPECT_TRUE(Names(e, "media.caption")) << e;
}

TEST(Command, OverLongLineIsRefusedUnread) {
  std::string line = Line(R"(,"profile_name":")" + std::string(kCommandLineBytesMax, 'a') + "\"");
  ASSERT_GT(line.size(), kCommandLineBytesMax);
  const std::string e = ErrorOf(line);
  EXPECT_NE(e.find("longer than"), std::string::npos) << e;
  EXPECT_NE(e.find(std::to_string(kCommandLineBytesMax)), std::string::npos) << e;
}

TEST(Command, OverLongMessageIdNamesMessageId) {
  const std::string e = ErrorOf(
      R"({"type":"whatsapp.message","at":"2017-08-01T08:00:00+07:00","office":"bogor","from":"628123456789","message_id":")" +
      std::string(kMessageIdBytesMax + 1, 'x') + "\"}");
  EXPECT_TRUE(Names(e, "message_id")) << e;
}

TEST(Command, ReviewCommandsNameTheAuditorAndNormaliseThePhone) {
  auto b = ParseCommand(
      R"({"type":"audit.blacklist","at":"2017-08-01T08:00:00+07:00","auditor":"aud-1",)"
      R"("phone":"0812-3456-7890","reason":"broker","evidence":[3,5]})");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const auto& c = std::get<BlacklistCommand>(*b);
  EXPECT_EQ(c.phone, "6281234567890");
  EXPECT_EQ(c.ctx.auditor, "aud-1");
  EXPECT_EQ(c.evidence, (std::vector<std::uint64_t>{3, 5}));
  auto u = ParseCommand(
      R"({"type":"audit.unblacklist","at":"2017-08-01T08:00:00+07:00","auditor":"a","phone":"6281234567890","reason":"appeal"})");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(CommandTypeName(*u), "audit.unblacklist");
  auto f = ParseCommand(
      R"({"type":"audit.clear_flag","at":"2017-08-01T08:00:00+07:00","auditor":"a","flag_id":"f1","reason":"family"})");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(std::get<ClearFlagCommand>(*f).flag_id, "f1");
}

TEST(Command, ReviewCommandsRefuseMissingAuditorReasonAndBadEvidence) {
  EXPECT_TRUE(Names(ErrorOf(R"({"type":"audit.blacklist","at":"2017-08-01T08:00:00+07:00","phone":"6281234567890","reason":"x"})"),
                    "auditor"));
  EXPECT_TRUE(Names(ErrorOf(R"({"type":"audit.blacklist","at":"2017-08-01T08:00:00+07:00","auditor":"a","phone":"6281234567890"})"),
                    "reason"));
  EXPECT_TRUE(Names(ErrorOf(R"({"type":"audit.blacklist","at":"2017-08-01T08:00:00+07:00","auditor":"a","phone":"6281234567890","reason":"x","evidence":[0]})"),
                    "evidence"));
  EXPECT_TRUE(Names(ErrorOf(R"({"type":"audit.unblacklist","at":"2017-08-01T08:00:00+07:00","auditor":"a","phone":"12","reason":"x"})"),
                    "phone"));
}

TEST(Command, ReplyOutcomesNeedTheirAttemptAndARetryTimeUnlessFinal) {
  auto sent = ParseCommand(
      R"({"type":"reply.sent","at":"2017-08-01T08:00:00+07:00","reply_id":"m/reply","attempt":1,"provider_message_id":"wamid.X"})");
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_TRUE(std::get<ReplyOutcomeCommand>(*sent).sent);
  EXPECT_TRUE(Names(ErrorOf(R"({"type":"reply.failed","at":"2017-08-01T08:00:00+07:00","reply_id":"m/reply","attempt":1,"error":"HTTP 500","final":false})"),
                    "retry_at"));
  EXPECT_TRUE(Names(ErrorOf(R"({"type":"reply.sent","at":"2017-08-01T08:00:00+07:00","reply_id":"m/reply","attempt":0,"provider_message_id":"w"})"),
                    "attempt"));
  auto status = ParseCommand(
      R"({"type":"whatsapp.status","at":"2017-08-01T08:00:00+07:00","provider_message_id":"wamid.X","status":"read","recipient":"6281234567890"})");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(CommandTypeName(*status), "whatsapp.status");
}

}  // namespace
}  // namespace antrean::app
