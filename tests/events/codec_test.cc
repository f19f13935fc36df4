// EventCodec: canonical encoding and checked decoding of every event type.
// EventUpcast: old versions become current ones before decoding.

#include "events/codec.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/keys.h"
#include "events/upcast.h"
#include "store/ledger.h"

namespace antrean::events {
namespace {

namespace json = boost::json;

OfficeConfigurationApplied SampleConfig() {
  OfficeConfigurationApplied e;
  e.office = "bogor";
  e.config = json::parse(R"({"quota":150,"format":"#NAMA#TGLLAHIR#TGLKEDATANGAN",
      "sessions":[{"start":"08:00","size":50},{"start":"10:00","size":50}],
      "hours":{"open":"07:30","close":"10:00"},"utc_offset":"+07:00","ektp_photo":false})")
                 .as_object();
  e.config_digest = ConfigDigest(e.config);
  return e;
}

// One event of every type with every field set, optionals included.
std::vector<Event> FullEvents() {
  std::vector<Event> v;
  v.push_back(MessageReceived{"wamid.HBgM1", "bogor", "6281234567890", "628111100333", "Budi S",
                              "image", "#Budi#25011987#07082017",
                              Media{"image", "media-77", "image/jpeg", "q83vEjRWeJA="},
                              "2026-03-02T07:31:05+07:00", "whatsapp"});
  v.push_back(RegistrationRejected{"wamid.HBgM2", "bogor", "6281234567890", "day_full",
                                   "Kuota tanggal 07-08-2026 sudah penuh.", "BUDI", "1987-01-25",
                                   "2026-08-07", "2026-08-10"});
  v.push_back(BookingCodeIssued{"K7Q2M9XPA", "bogor", "2026-03-04", "08:00",
                                "2026-03-04T07:30:00+07:00", 17, "BUDI SANTOSO", "1987-01-25",
                                "6281234567890", "owner", "wamid.HBgM3"});
  v.push_back(
      ReplyQueued{"42", "bogor", "6281234567890", "Kode booking: K7Q2M9XPA", "wamid.HBgM3"});
  v.push_back(ReplySent{"42", "wamid.OUT1", 1});
  v.push_back(ReplyFailed{"42", 2, "HTTP 503", false, "2026-03-02T07:32:05+07:00"});
  v.push_back(ReplyDeliveryStatus{"42", "wamid.OUT1", "failed", "2026-03-02T07:31:09+07:00",
                                  "6281234567890", "131026", "Message undeliverable"});
  v.push_back(ApplicantArrived{"K7Q2M9XPA", "bogor", "2026-03-04", "08:00",
                               "2026-03-04T07:12:44+07:00", "2026-03-04T07:30:00+07:00", 17});
  v.push_back(ArrivalRejected{"k7q2m9xpb", "bogor", "bad_check_character",
                              "2026-03-04T07:12:44+07:00", "jakarta_pusat", "2026-03-05"});
  v.push_back(IdentityChecked{"K7Q2M9XPA", "bogor", "2026-03-04", true, false,
                              "phone belongs to the applicant's brother"});
  v.push_back(BookingForfeited{"K7Q2M9XPA", "bogor", "2026-03-04", "late",
                               "2026-03-04T07:45:00+07:00", "2026-03-04T07:30:00+07:00",
                               "6281234567890"});
  v.push_back(BookingExpired{"K7Q2M9XPA", "bogor", "2026-03-04", "2026-03-04T07:30:00+07:00",
                             "2026-03-04T23:59:59.5+07:00", "6281234567890"});
  v.push_back(DocumentsSubmitted{"K7Q2M9XPA", "bogor", "2026-03-04"});
  v.push_back(
      DocumentsReturned{"K7Q2M9XPA", "bogor", "2026-03-04", "no original birth certificate"});
  v.push_back(ApplicationProgressRecorded{"1234567890123456", "bogor", "printed", "ready friday"});
  v.push_back(PhoneFlagged{"flag-1",
                           "6281234567890",
                           "many_persons_per_phone",
                           870,
                           {12, 40, 41},
                           {"BUDI|1987-01-25", "SITI AMINAH|1990-12-01"},
                           {"6281298765432", "6285711112222"},
                           "one phone booked for 7 adults in 3 days",
                           std::vector<std::string>{"bogor", "jakarta-selatan"}});
  v.push_back(FlagCleared{"flag-1", "6281234567890", "a travel agent with written consent"});
  v.push_back(
      PhoneBlacklisted{"6281234567890", "prank registrations", {12, 40}, true, "never_arrives"});
  v.push_back(PhoneUnblacklisted{"6281234567890", "appeal accepted"});
  v.push_back(SampleConfig());
  // Added after the first twenty; kept last so that the indices above stay put.
  v.push_back(BookingCodeResent{"wamid.HBgM9", "bogor", "6281234567890", "K7Q2M9XPA4",
                                "2026-03-04", "08:00", "2026-03-04T07:30:00+07:00", 17});
  v.push_back(InformationRequested{"wamid.HBgMA", "bogor", "6281234567890", "check_booking",
                                   "K7Q2M9XPA4"});
  return v;
}

// One event of every type with only what is required: optionals empty, vectors empty.
std::vector<Event> MinimalEvents() {
  std::vector<Event> v;
  v.push_back(MessageReceived{
      "m1", "", "6281234567890", {}, {}, "unsupported", "", {}, "2026-03-02T00:31:05Z", "import"});
  v.push_back(
      RegistrationRejected{"m1", "", "6281234567890", "unknown_office", "", {}, {}, {}, {}});
  v.push_back(BookingCodeIssued{"C", "o", "2024-02-29", "00:00", "2024-02-28T23:30:00+07:00", 0,
                                "X", "1950-01-01", "6281234567890", "elderly", "m"});
  v.push_back(ReplyQueued{"1", "o", "6281234567890", "", ""});
  v.push_back(ReplySent{"1", "p", 0});
  v.push_back(ReplyFailed{"1", 0, "", true, {}});
  v.push_back(
      ReplyDeliveryStatus{{}, "p", "read", "2026-03-02T07:31:09-03:30", "6281234567890", {}, {}});
  v.push_back(ApplicantArrived{"C", "o", "2026-03-04", "23:59", "2026-03-04T07:12:44+09:00",
                               "2026-03-04T07:30:00+09:00", 4294967295u});
  v.push_back(ArrivalRejected{"", "o", "unknown_code", "2026-03-04T07:12:44+08:00", {}, {}});
  v.push_back(IdentityChecked{"C", "o", "2026-03-04", false, false, {}});
  v.push_back(BookingForfeited{"C", "o", "2026-03-04", "late", "2026-03-04T07:45:00+07:00",
                               "2026-03-04T07:30:00+07:00", "6281234567890"});
  v.push_back(BookingExpired{"C", "o", "2026-03-04", "2026-03-04T07:30:00+07:00",
                             "2026-03-05T00:00:00+07:00", "6281234567890"});
  v.push_back(DocumentsSubmitted{"C", "o", "2026-03-04"});
  v.push_back(DocumentsReturned{"C", "o", "2026-03-04", "x"});
  v.push_back(ApplicationProgressRecorded{"0000000000000000", "o", "s", {}});
  v.push_back(PhoneFlagged{"f", "6281234567890", "r", 0, {}, {}, {}, "", {}});
  v.push_back(FlagCleared{"f", "6281234567890", ""});
  v.push_back(PhoneBlacklisted{"6281234567890", "", {}, false, {}});
  v.push_back(PhoneUnblacklisted{"6281234567890", ""});
  OfficeConfigurationApplied empty_config{"o", {}, ConfigDigest({})};
  v.push_back(empty_config);
  v.push_back(BookingCodeResent{"m", "o", "6281234567890", "C", "2026-03-04", "08:00",
                                "2026-03-04T07:30:00+07:00", 0});
  v.push_back(InformationRequested{"m", "o", "6281234567890", "help", {}});
  return v;
}

void ExpectRoundTrip(const Event& event) {
  SCOPED_TRACE(std::string(TypeName(event)));
  const std::string payload = EncodePayload(event);
  Result<Event> decoded = DecodeEvent(TypeName(event), payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\npayload: " << payload;
  EXPECT_EQ(*decoded, event);
  EXPECT_EQ(EncodePayload(*decoded), payload);
}

// The error message of decoding `payload` as `type`; fails the test if it decodes.
std::string DecodeError(std::string_view type, std::string_view payload) {
  Result<Event> decoded = DecodeEvent(type, payload);
  EXPECT_FALSE(decoded.ok()) << "decoded: " << payload;
  if (decoded.ok()) return {};
  EXPECT_TRUE(decoded.status().IsInvalidArgument());
  return decoded.status().message();
}

constexpr std::string_view kIssued = BookingCodeIssued::kType;
const std::string kIssuedPayload =
    R"({"code":"K7Q2M9XPA","office":"bogor","date":"2026-03-04","session":"08:00",)"
    R"("arrive_by":"2026-03-04T07:30:00+07:00","queue_number":17,"name":"BUDI SANTOSO",)"
    R"("birth_date":"1987-01-25","phone":"6281234567890","relation":"owner",)"
    R"("message_id":"wamid.HBgM3"})";

// kIssuedPayload with the member `name`'s value (as JSON text) replaced by `json_value`.
std::string IssuedWith(const std::string& name, const std::string& json_value) {
  json::object o = json::parse(kIssuedPayload).as_object();
  o[name] = json::parse(json_value);
  return json::serialize(o);
}

std::string IssuedWithout(const std::string& name) {
  json::object o = json::parse(kIssuedPayload).as_object();
  o.erase(name);
  return json::serialize(o);
}

TEST(EventCodec, SamplesCoverEveryType) {
  for (const auto& samples : {FullEvents(), MinimalEvents()}) {
    std::set<std::string_view> seen;
    for (const auto& e : samples) seen.insert(TypeName(e));
    EXPECT_EQ(seen.size(), kEventTypeNames.size());
    for (std::string_view name : kEventTypeNames) EXPECT_TRUE(seen.count(name)) << name;
  }
}

TEST(EventCodec, RoundTripsEveryTypeFullyPopulated) {
  for (const auto& e : FullEvents()) ExpectRoundTrip(e);
}

TEST(EventCodec, RoundTripsEveryTypeMinimal) {
  for (const auto& e : MinimalEvents()) ExpectRoundTrip(e);
}

TEST(EventCodec, TypeNameIsTheStructsType) {
  EXPECT_EQ(TypeName(Event(BookingCodeIssued{})), "booking_code_issued.v1");
  EXPECT_EQ(TypeName(Event(RegistrationRejected{})), "registration_rejected.v2");
}

TEST(EventCodec, EncodesMembersInDeclaredOrderWithoutWhitespace) {
  const Event e = FullEvents()[2];  // BookingCodeIssued
  EXPECT_EQ(EncodePayload(e), kIssuedPayload);
}

TEST(EventCodec, EncodingIsDeterministic) {
  const std::vector<Event> a = FullEvents();
  const std::vector<Event> b = FullEvents();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string first = EncodePayload(a[i]);
    EXPECT_EQ(EncodePayload(a[i]), first);
    EXPECT_EQ(EncodePayload(b[i]), first);
    Event copy = a[i];
    EXPECT_EQ(EncodePayload(copy), first);
  }
}

TEST(EventCodec, OmitsEmptyOptionalsAndKeepsEmptyVectors) {
  EXPECT_EQ(EncodePayload(ReplyFailed{"1", 3, "timeout", true, {}}),
            R"({"reply_id":"1","attempt":3,"error":"timeout","final":true})");
  EXPECT_EQ(EncodePayload(PhoneBlacklisted{"6281234567890", "r", {}, false, {}}),
            R"({"phone":"6281234567890","reason":"r","evidence":[],"automatic":false})");
}

TEST(EventCodec, EncodesMediaAsNestedObjectInDeclaredOrder) {
  MessageReceived m = std::get<MessageReceived>(MinimalEvents()[0]);
  m.media = Media{"image", "77", {}, "abc"};
  const std::string payload = EncodePayload(m);
  EXPECT_NE(payload.find(R"("media":{"kind":"image","id":"77","sha256":"abc"})"), std::string::npos)
      << payload;
}

TEST(EventCodec, StoresConfigCanonicallyWhateverItsMemberOrder) {
  OfficeConfigurationApplied a{
      "bogor", json::parse(R"({"b":1,"a":{"d":[{"y":1,"x":2}],"c":"s"}})").as_object(), ""};
  a.config_digest = ConfigDigest(a.config);
  OfficeConfigurationApplied b = a;
  b.config = json::parse(R"({"a":{"c":"s","d":[{"x":2,"y":1}]},"b":1})").as_object();
  EXPECT_EQ(CanonicalConfig(a.config), R"({"a":{"c":"s","d":[{"x":2,"y":1}]},"b":1})");
  EXPECT_EQ(ConfigDigest(a.config), ConfigDigest(b.config));
  EXPECT_EQ(EncodePayload(a), EncodePayload(b));
  ExpectRoundTrip(a);
}

TEST(EventCodec, RejectsConfigDigestThatDoesNotMatch) {
  OfficeConfigurationApplied e = SampleConfig();
  e.config_digest = std::string(64, 'a');
  const std::string msg = DecodeError(e.kType, EncodePayload(e));
  EXPECT_NE(msg.find(R"(field "config_digest")"), std::string::npos) << msg;
}

TEST(EventCodec, AcceptsMembersInAnyOrderAndWhitespace) {
  const std::string payload =
      " {\n \"message_id\":\"wamid.HBgM3\", \"relation\":\"owner\","
      "\"phone\":\"6281234567890\",\"birth_date\":\"1987-01-25\","
      "\"name\":\"BUDI SANTOSO\",\"queue_number\":17,"
      "\"arrive_by\":\"2026-03-04T07:30:00+07:00\",\"session\":\"08:00\","
      "\"date\":\"2026-03-04\",\"office\":\"bogor\",\"code\":\"K7Q2M9XPA\"} ";
  Result<Event> decoded = DecodeEvent(kIssued, payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(EncodePayload(*decoded), kIssuedPayload);
}

TEST(EventCodec, RejectsInvalidJsonWithOffset) {
  EXPECT_EQ(DecodeError(kIssued, R"({"code":"K7Q2M9XPA",})"),
            "booking_code_issued.v1: not valid JSON at offset 20: syntax error");
  EXPECT_NE(DecodeError(kIssued, "").find("not valid JSON at offset 0"), std::string::npos);
  EXPECT_NE(DecodeError(kIssued, "{\"code\":\"\xff\"}").find("not valid JSON at offset"),
            std::string::npos);
}

TEST(EventCodec, RejectsTrailingData) {
  EXPECT_EQ(DecodeError(kIssued, kIssuedPayload + " {}"),
            "booking_code_issued.v1: not valid JSON at offset " +
                std::to_string(kIssuedPayload.size() + 1) +
                ": unexpected data after the JSON value");
}

TEST(EventCodec, RejectsEveryTruncation) {
  for (std::size_t n = 0; n < kIssuedPayload.size(); ++n) {
    const std::string msg = DecodeError(kIssued, std::string_view(kIssuedPayload).substr(0, n));
    EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << n << ": " << msg;
  }
}

TEST(EventCodec, RejectsNonObject) {
  EXPECT_EQ(DecodeError(kIssued, "[]"),
            "booking_code_issued.v1: the payload must be a JSON object, got array");
  EXPECT_EQ(DecodeError(kIssued, "\"x\""),
            "booking_code_issued.v1: the payload must be a JSON object, got string");
  EXPECT_EQ(DecodeError(kIssued, "null"),
            "booking_code_issued.v1: the payload must be a JSON object, got null");
  EXPECT_EQ(DecodeError(kIssued, "17"),
            "booking_code_issued.v1: the payload must be a JSON object, got integer");
}

TEST(EventCodec, RejectsMissingRequiredField) {
  EXPECT_EQ(DecodeError(kIssued, IssuedWithout("code")),
            R"(booking_code_issued.v1: missing required field "code")");
  EXPECT_EQ(DecodeError(kIssued, IssuedWithout("queue_number")),
            R"(booking_code_issued.v1: missing required field "queue_number")");
  EXPECT_EQ(DecodeError(kIssued, "{}"), R"(booking_code_issued.v1: missing required field "code")");
}

TEST(EventCodec, RejectsWrongKindForStringField) {
  const std::string prefix = R"(booking_code_issued.v1: field "code": expected a string, got )";
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("code", "17")), prefix + "integer");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("code", "1.5")), prefix + "number");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("code", "true")), prefix + "boolean");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("code", "null")), prefix + "null");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("code", "[]")), prefix + "array");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("code", "{}")), prefix + "object");
}

TEST(EventCodec, RejectsWrongKindForUnsignedField) {
  const std::string prefix =
      R"(booking_code_issued.v1: field "queue_number": expected an unsigned integer, got )";
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "\"17\"")), prefix + "string");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "-1")), prefix + "negative integer");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "17.0")), prefix + "number");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "false")), prefix + "boolean");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "null")), prefix + "null");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "[17]")), prefix + "array");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "{}")), prefix + "object");
}

TEST(EventCodec, RejectsIntegerOutOfRange) {
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("queue_number", "4294967296")),
            R"(booking_code_issued.v1: field "queue_number": value 4294967296 is over the )"
            "maximum 4294967295");
  PhoneFlagged f = std::get<PhoneFlagged>(FullEvents()[15]);
  f.score = 1001;
  EXPECT_NE(DecodeError(f.kType, EncodePayload(f)).find(R"(field "score": value 1001)"),
            std::string::npos);
  // Beyond uint64: Boost.JSON reads it as a double.
  EXPECT_NE(DecodeError(kIssued, IssuedWith("queue_number", "123456789012345678901234567890"))
                .find("expected an unsigned integer, got number"),
            std::string::npos);
}

TEST(EventCodec, RejectsWrongKindForBooleanAndArrays) {
  const std::string checked =
      R"({"code":"C","office":"o","date":"2026-03-04","person_matches":1,"phone_matches":true})";
  EXPECT_EQ(DecodeError(IdentityChecked::kType, checked),
            R"(identity_checked.v1: field "person_matches": expected a boolean, got integer)");
  EXPECT_EQ(DecodeError(PhoneBlacklisted::kType,
                        R"({"phone":"6281234567890","reason":"","evidence":{},"automatic":true})"),
            R"(phone_blacklisted.v1: field "evidence": expected an array of unsigned integers, )"
            "got object");
  EXPECT_EQ(
      DecodeError(PhoneBlacklisted::kType,
                  R"({"phone":"6281234567890","reason":"","evidence":[1,"2"],"automatic":true})"),
      R"(phone_blacklisted.v1: field "evidence[1]": expected an unsigned integer, got string)");
  EXPECT_EQ(DecodeError(PhoneFlagged::kType,
                        R"({"flag_id":"f","phone":"6281234567890","rule":"r","score":1,)"
                        R"("evidence":[],"persons":[],"phones":["6281234567890",5],"detail":""})"),
            R"(phone_flagged.v2: field "phones[1]": expected a string, got integer)");
}

TEST(EventCodec, RejectsBadNestedMediaNamingItsPath) {
  const std::string base =
      R"({"message_id":"m","office":"o","from":"6281234567890","kind":"image","text":"",)"
      R"("received_at":"2026-03-02T07:31:05+07:00","channel":"whatsapp","media":)";
  EXPECT_EQ(DecodeError(MessageReceived::kType, base + R"("x"})"),
            R"(message_received.v1: field "media": expected an object, got string)");
  EXPECT_EQ(DecodeError(MessageReceived::kType, base + R"({"kind":"image"}})"),
            R"(message_received.v1: missing required field "media.id")");
  EXPECT_EQ(DecodeError(MessageReceived::kType, base + R"({"kind":"image","id":"1","size":9}})"),
            R"(message_received.v1: unknown field "media.size")");
}

TEST(EventCodec, RejectsExplicitNullForOptional) {
  const std::string payload = R"({"reply_id":"1","attempt":1,"error":"","final":true,)"
                              R"("retry_at":null})";
  EXPECT_EQ(DecodeError(ReplyFailed::kType, payload),
            R"(reply_failed.v1: field "retry_at": expected a string, got null)");
}

TEST(EventCodec, RejectsUnknownFieldRatherThanReportingItMissing) {
  std::string payload = kIssuedPayload;
  payload.replace(payload.find("queue_number"), 12, "qeue_number");
  EXPECT_EQ(DecodeError(kIssued, payload),
            R"(booking_code_issued.v1: unknown field "qeue_number")");
  EXPECT_EQ(DecodeError(kIssued, IssuedWith("actor", "\"officer-7\"")),
            R"(booking_code_issued.v1: unknown field "actor")");
}

TEST(EventCodec, RejectsUnknownType) {
  EXPECT_EQ(DecodeError("foo.v9", "{}"), R"(unknown event type "foo.v9")");
  EXPECT_EQ(DecodeError("booking_code_issued.v2", kIssuedPayload),
            R"(unknown event type "booking_code_issued.v2")");
  EXPECT_EQ(DecodeError(std::string_view("a\0b", 3), "{}"), R"(unknown event type "a?b")");
}

TEST(EventCodec, RejectsValuesNotOfTheirDocumentedForm) {
  struct Case {
    std::string field, value;
  };
  const Case cases[] = {
      {"date", R"("2026-02-29")"},
      {"date", R"("04-03-2026")"},
      {"date", R"("2026-3-4")"},
      {"session", R"("24:00")"},
      {"session", R"("8:00")"},
      {"arrive_by", R"("2026-03-04T07:30:00")"},
      {"arrive_by", R"("2026-03-04 07:30:00+07:00")"},
      {"arrive_by", R"("2026-03-04T07:30:00+0700")"},
      {"arrive_by", R"("2026-03-04T07:30:00.+07:00")"},
      {"phone", R"("081234567890")"},
      {"phone", R"("+6281234567890")"},
      {"phone", R"("62812")"},
      {"relation", R"("friend")"},
      {"code", R"("")"},
      {"birth_date", R"("1987-13-01")"},
  };
  for (const Case& c : cases) {
    const std::string msg = DecodeError(kIssued, IssuedWith(c.field, c.value));
    EXPECT_EQ(msg.rfind("booking_code_issued.v1: field \"" + c.field + "\": expected ", 0), 0u)
        << c.field << " = " << c.value << ": " << msg;
  }
  RegistrationRejected r = std::get<RegistrationRejected>(FullEvents()[1]);
  r.reason = "too_many";
  EXPECT_EQ(DecodeError(r.kType, EncodePayload(r)),
            R"(registration_rejected.v2: field "reason": expected a registration rejection )"
            R"(reason code, got "too_many")");
}

TEST(EventCodec, RejectsPayloadOverTheLimit) {
  const std::string big(store::kPayloadBytesMax + 1, ' ');
  EXPECT_NE(DecodeError(kIssued, big).find("over the limit"), std::string::npos);
}

TEST(EventCodec, RejectsDeepNestingWithoutCrashing) {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_NE(DecodeError(kIssued, deep).find("not valid JSON"), std::string::npos);
}

// Fuzz-like: random bytes and random mutations of valid payloads never crash or throw.
TEST(EventCodec, NeverThrowsOnArbitraryBytes) {
  std::mt19937 rng(20260302);
  const std::vector<Event> samples = FullEvents();
  int decoded_ok = 0;
  for (int i = 0; i < 20000; ++i) {
    const Event& e = samples[static_cast<std::size_t>(i) % samples.size()];
    std::string payload = EncodePayload(e);
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !payload.empty(); ++m) {
      const std::size_t at = rng() % payload.size();
      switch (rng() % 3) {
        case 0:
          payload[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          payload.erase(at, 1 + rng() % 8);
          break;
        default:
          payload.insert(at, 1, "{}[]\",:0-e.\\u"[rng() % 14]);
          break;
      }
    }
    Result<Event> r = DecodeEvent(TypeName(e), payload);
    if (r.ok()) {
      ++decoded_ok;
      // Whatever decodes must encode and decode again to the same event.
      Result<Event> again = DecodeEvent(TypeName(*r), EncodePayload(*r));
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(*again, *r);
    }
  }
  EXPECT_LT(decoded_ok, 20000);
}

TEST(EventCodec, BoostValueFromAndValueToUseTheSameFieldLists) {
  const BookingCodeIssued e = std::get<BookingCodeIssued>(FullEvents()[2]);
  const json::value v = json::value_from(e);
  EXPECT_EQ(json::serialize(v), kIssuedPayload);
  EXPECT_EQ(json::value_to<BookingCodeIssued>(v), e);
  EXPECT_THROW(json::value_to<BookingCodeIssued>(json::parse(IssuedWithout("code"))),
               std::invalid_argument);
}

TEST(EventCodec, ToNewEventCarriesTypeKeysAndCanonicalPayload) {
  const Event e = FullEvents()[2];
  const store::NewEvent n = ToNewEvent(e);
  EXPECT_EQ(n.type, "booking_code_issued.v1");
  EXPECT_EQ(n.payload, kIssuedPayload);
  EXPECT_EQ(n.keys, IndexKeys(e));
}

TEST(EventCodec, ValidateReportsWhatDecodingWouldRefuse) {
  EXPECT_TRUE(Validate(FullEvents()[2]).ok());
  BookingCodeIssued bad = std::get<BookingCodeIssued>(FullEvents()[2]);
  bad.phone = "081234567890";
  const Status s = Validate(bad);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find(R"(field "phone")"), std::string::npos) << s.message();
}

// EncodePayload writes the text itself; it must be the bytes Boost.JSON writes for the event's
// canonical object (value_from), which every event in the ledger so far was encoded as.
TEST(EventCodec, EncodePayloadWritesExactlyWhatBoostJsonWrites) {
  for (const auto& samples : {FullEvents(), MinimalEvents()}) {
    for (const auto& e : samples) {
      const std::string boost =
          std::visit([](const auto& typed) { return json::serialize(json::value_from(typed)); }, e);
      EXPECT_EQ(EncodePayload(e), boost) << TypeName(e);
    }
  }
  // Every byte in text: quotes, backslashes, each control character, DEL, UTF-8 and not.
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string text(rng() % 12, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    MessageReceived e = std::get<MessageReceived>(FullEvents()[0]);
    e.text = text;
    e.profile_name = text + "\"\\\x7f";
    e.media->sha256 = text;
    PhoneFlagged f = std::get<PhoneFlagged>(FullEvents()[15]);
    f.detail = text;
    f.persons.push_back(text);
    f.evidence.push_back(rng());
    f.evidence.push_back(std::numeric_limits<std::uint64_t>::max() - rng());
    ASSERT_EQ(EncodePayload(e), json::serialize(json::value_from(e)));
    ASSERT_EQ(EncodePayload(f), json::serialize(json::value_from(f)));
  }
}

// What Validate says and what the round trip it stands for (decoding the encoded payload) says.
struct Verdicts {
  Status validate, round_trip;
};
Verdicts Judge(const Event& e) {
  return {Validate(e), DecodeEvent(TypeName(e), EncodePayload(e)).status()};
}

TEST(EventCodec, ValidateAcceptsEveryEventTypeTheRoundTripAccepts) {
  for (const auto& samples : {FullEvents(), MinimalEvents()}) {
    for (const auto& e : samples) {
      const Verdicts v = Judge(e);
      EXPECT_TRUE(v.round_trip.ok()) << TypeName(e) << ": " << v.round_trip.ToString();
      EXPECT_TRUE(v.validate.ok()) << TypeName(e) << ": " << v.validate.ToString();
      EXPECT_TRUE(Validate(e, EncodePayload(e)).ok()) << TypeName(e);
    }
  }
}

TEST(EventCodec, ValidateRefusesABadFieldInTheRoundTripsWords) {
  std::vector<Event> bad;
  BookingCodeIssued issued = std::get<BookingCodeIssued>(FullEvents()[2]);
  issued.date = "2026-02-31";
  bad.push_back(issued);
  issued = std::get<BookingCodeIssued>(FullEvents()[2]);
  issued.relation = "cousin";
  bad.push_back(issued);
  MessageReceived received = std::get<MessageReceived>(FullEvents()[0]);
  received.media->kind = "";  // a nested object's field
  bad.push_back(received);
  received = std::get<MessageReceived>(FullEvents()[0]);
  received.received_at = "2026-03-02 07:31";
  bad.push_back(received);
  PhoneFlagged flagged = std::get<PhoneFlagged>(FullEvents()[15]);
  flagged.score = 1001;
  bad.push_back(flagged);
  flagged = std::get<PhoneFlagged>(FullEvents()[15]);
  flagged.persons[1] = "SITI AMINAH";  // an array item
  bad.push_back(flagged);
  flagged = std::get<PhoneFlagged>(FullEvents()[15]);
  flagged.offices = std::vector<std::string>{"bogor", ""};  // an optional array's item
  bad.push_back(flagged);
  OfficeConfigurationApplied config = SampleConfig();
  config.config_digest = std::string(64, '0');  // the cross-field check
  bad.push_back(config);
  for (const auto& e : bad) {
    const Verdicts v = Judge(e);
    ASSERT_FALSE(v.round_trip.ok()) << TypeName(e);
    EXPECT_TRUE(v.validate.IsInvalidArgument()) << TypeName(e) << ": " << v.validate.ToString();
    EXPECT_EQ(v.validate.message(), v.round_trip.message());
  }
}

TEST(EventCodec, ValidateRefusesAPayloadOverTheLimitAsTheRoundTripDoes) {
  MessageReceived e = std::get<MessageReceived>(MinimalEvents()[0]);
  e.text.assign(store::kPayloadBytesMax, 'a');
  const Verdicts v = Judge(e);
  ASSERT_FALSE(v.round_trip.ok());
  EXPECT_EQ(v.validate.message(), v.round_trip.message());
  EXPECT_NE(v.validate.message().find("over the limit"), std::string::npos);
}

// Text that is not UTF-8 (a cut in the middle of a character, say) would be written by the
// encoder as it is and refused by the parser; Validate must refuse exactly that text, naming the
// field. Random byte strings over the bytes that matter (ASCII, continuation bytes, every kind of
// lead byte, the overlong and surrogate and too-large boundaries), plus the classic cases.
TEST(EventCodec, ValidateRefusesTextThatIsNotUtf8ExactlyWhereTheParserDoes) {
  std::vector<std::string> texts = {
      "Rp 10.000 \xE2\x80\x93 \xE2\x9C\x93 \xF0\x9F\x98\x80",  // valid: en dash, check, emoji
      "\xC0\xAF",
      "\xC1\xBF",
      "\xE0\x80\xAF",
      "\xE0\x9F\xBF",  // overlong
      "\xED\xA0\x80",
      "\xED\xBF\xBF",  // surrogates
      "\xF4\x90\x80\x80",
      "\xF5\x80\x80\x80",
      "\xFF",  // above U+10FFFF, never used
      "\xE2\x82",
      "caf\xC3",
      "\x80",
      "\xEF\xBF\xBF",  // cut, lone continuation, U+FFFF
      "\xF0\x90\x80\x80",
      "\xF4\x8F\xBF\xBF",
      "\xED\x9F\xBF",  // the boundaries, valid
  };
  const unsigned char kBytes[] = {'a',  0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                  0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                  0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};
  std::mt19937 rng(20170801);
  for (int i = 0; i < 20000; ++i) {
    std::string t(rng() % 7, '\0');
    for (char& c : t) c = static_cast<char>(kBytes[rng() % sizeof kBytes]);
    texts.push_back(std::move(t));
  }
  int refused = 0;
  for (const auto& text : texts) {
    MessageReceived e = std::get<MessageReceived>(FullEvents()[0]);
    e.text = text;
    const Verdicts v = Judge(e);
    ASSERT_EQ(v.validate.ok(), v.round_trip.ok()) << "bytes " <<
        [&] {
          std::string hex;
          for (unsigned char c : text) hex += std::to_string(c) + " ";
          return hex;
        }() << ": validate " << v.validate.ToString()
                                                  << ", round trip " << v.round_trip.ToString();
    if (!v.validate.ok()) {
      ++refused;
      EXPECT_NE(v.validate.message().find("field \"text\": not valid UTF-8 at byte"),
                std::string::npos)
          << v.validate.message();
    }
  }
  EXPECT_GT(refused, 1000);                                   // the sample does reach the refusals
  EXPECT_LT(refused, static_cast<int>(texts.size()) - 1000);  // and the valid texts
}

// ---- Upcasting ----------------------------------------------------------------------------------

TEST(EventUpcast, RegistrationRejectedV1FreeTextBecomesUnreadableMessageWithDetail) {
  const std::string v1 = R"({"message_id":"wamid.1","office":"bogor","phone":"6281234567890",)"
                         R"("reason":"Format salah. Contoh: #Budi#25011987#07082017"})";
  Result<Event> decoded = DecodeEvent(kRegistrationRejectedV1, v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto* r = std::get_if<RegistrationRejected>(&*decoded);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->message_id, "wamid.1");
  EXPECT_EQ(r->office, "bogor");
  EXPECT_EQ(r->phone, "6281234567890");
  EXPECT_EQ(r->reason, "unreadable_message");
  EXPECT_EQ(r->detail, "Format salah. Contoh: #Budi#25011987#07082017");
  EXPECT_FALSE(r->name || r->birth_date || r->arrival_date || r->next_available_date);
  EXPECT_EQ(TypeName(*decoded), "registration_rejected.v2");
}

TEST(EventUpcast, V1TextThatNamesACodeKeepsTheCode) {
  EXPECT_EQ(RejectionReasonFromV1Text("day_full"), "day_full");
  EXPECT_EQ(RejectionReasonFromV1Text("  Day full "), "day_full");
  EXPECT_EQ(RejectionReasonFromV1Text("phone-blacklisted"), "phone_blacklisted");
  EXPECT_EQ(RejectionReasonFromV1Text("the day is full"), "unreadable_message");
  EXPECT_EQ(RejectionReasonFromV1Text(""), "unreadable_message");
  Result<Upcasted> up = Upcast(kRegistrationRejectedV1,
                               R"({"reason":"Day Full","phone":"6281234567890","office":"bogor",)"
                               R"("message_id":"m"})");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->type, "registration_rejected.v2");
  EXPECT_EQ(up->payload, R"({"message_id":"m","office":"bogor","phone":"6281234567890",)"
                         R"("reason":"day_full","detail":"Day Full"})");
}

TEST(EventUpcast, IsDeterministic) {
  const std::string v1 = R"({"message_id":"m","office":"o","phone":"6281234567890","reason":"x"})";
  Result<Upcasted> a = Upcast(kRegistrationRejectedV1, v1);
  Result<Upcasted> b = Upcast(kRegistrationRejectedV1, v1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->payload, b->payload);
}

TEST(EventUpcast, RejectsMalformedV1NamingTheOldType) {
  EXPECT_EQ(DecodeError(kRegistrationRejectedV1, R"({"message_id":"m","office":"o","phone":"1"})"),
            R"(registration_rejected.v1: missing required field "reason")");
  EXPECT_EQ(DecodeError(kRegistrationRejectedV1,
                        R"({"message_id":"m","office":"o","phone":"6281234567890","reason":"x",)"
                        R"("detail":"y"})"),
            R"(registration_rejected.v1: unknown field "detail")");
  EXPECT_EQ(DecodeError(kRegistrationRejectedV1,
                        R"({"message_id":"m","office":"o","phone":6281234567890,"reason":"x"})"),
            R"(registration_rejected.v1: field "phone": expected a string)");
  EXPECT_NE(DecodeError(kRegistrationRejectedV1, R"({"message_id":)").find("not valid JSON"),
            std::string::npos);
  // Well-formed v1 whose values v2 refuses: the message names both versions.
  const std::string msg = DecodeError(
      kRegistrationRejectedV1, R"({"message_id":"m","office":"o","phone":"0812","reason":"x"})");
  EXPECT_EQ(msg.rfind("registration_rejected.v1 (upcast to registration_rejected.v2): "
                      "registration_rejected.v2: field \"phone\"",
                      0),
            0u)
      << msg;
}

TEST(EventUpcast, OnlyOldTypesAreUpcast) {
  EXPECT_TRUE(IsOldType("registration_rejected.v1"));
  EXPECT_FALSE(IsOldType("registration_rejected.v2"));
  for (std::string_view name : kEventTypeNames) EXPECT_FALSE(IsOldType(name)) << name;
  EXPECT_FALSE(Upcast("registration_rejected.v2", "{}").ok());
}

}  // namespace
}  // namespace antrean::events
