// Bad input on the staff API (docs/HARDENING.md, "Bad input"): every refusal is a 4xx naming the
// field, with nothing appended; what the domain records (an arrival attempt with a bad code) is
// recorded and answered with its reason.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "tests/hardening/hardening.h"

namespace antrean {
namespace {

using support::kAuditorToken;
using support::kOfficerToken;

// {"a":{"a":...1...}} nested `depth` objects deep.
std::string Nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  return s + "1" + std::string(static_cast<std::size_t>(depth), '}');
}

class StaffInput : public hardening::NodeFixture {
 protected:
  struct Case {
    std::string what;
    std::string body;
    int status;
    std::string answer;  // the whole body of the answer, without its newline
  };
  // Posts each case to `route` as the Bogor officer; each must be refused as said, appending
  // nothing.
  void ExpectRefused(const std::string& route, const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.what);
      auto r = client_.Post(route, c.body, kOfficerToken);
      EXPECT_EQ(r.status, c.status);
      EXPECT_EQ(r.body, c.answer + "\n");
    }
    EXPECT_EQ(client_.Head(), 0u);
  }
};

TEST_F(StaffInput, MalformedBodiesAre400NamingTheProblemAndAppendNothing) {
  ExpectRefused(
      "/api/v1/counter/arrival",
      {
          {"over 64 KiB", R"({"office":"bogor","code":")" + std::string(70'000, 'A') + "\"}", 400,
           R"({"error":"the body is larger than 65536 bytes"})"},
          {"not JSON", R"({"office":)", 400,
           R"({"error":"the body is not valid JSON: incomplete JSON"})"},
          {"invalid UTF-8", "{\"office\":\"bogor\",\"code\":\"AB\xff\"}", 400,
           R"({"error":"the body is not valid JSON: syntax error"})"},
          {"nested 100 deep", Nested(100), 400,
           R"({"error":"the body is not valid JSON: too deep"})"},
          {"an array", "[1]", 400, R"({"error":"the body must be a JSON object"})"},
          {"a wrong type", R"({"office":"bogor","code":12345})", 400,
           R"({"error":"field \"code\": expected a string","field":"code"})"},
          {"an absurdly long code",
           R"({"office":"bogor","code":")" + std::string(5000, 'A') + "\"}", 400,
           R"({"error":"field \"code\": is longer than 64 bytes","field":"code"})"},
          {"an unknown field", R"({"office":"bogor","code":"ABCDEFGHJK","cod":"x"})", 400,
           R"({"error":"field \"cod\": unknown field","field":"cod"})"},
          {"a field the server sets",
           R"({"office":"bogor","code":"ABCDEFGHJK","at":"2030-01-01T00:00:00Z"})", 400,
           R"j({"error":"field \"at\": set by the server (the route, its clock, the token)","field":"at"})j"},
      });
}

TEST_F(StaffInput, AWrongTypeInAnIdentityCheckIs400NamingTheField) {
  ExpectRefused(
      "/api/v1/counter/identity_check",
      {{"a string for a bool",
        R"({"office":"bogor","code":"ABCDEFGHJK","person_matches":"yes","phone_matches":true})",
        400,
        R"({"error":"field \"person_matches\": expected true or false","field":"person_matches"})"}});
}

TEST_F(StaffInput, AnUnknownOrForeignOfficeIs403ForAnOfficerOfAnother) {
  ExpectRefused(
      "/api/v1/counter/arrival",
      {{"unknown", R"({"office":"atlantis","code":"ABCDEFGHJK"})", 403,
        R"({"error":"token \"officer-bogor\" may not act for this office","field":"office"})"},
       {"another office", R"({"office":"jakarta-pusat","code":"ABCDEFGHJK"})", 403,
        R"({"error":"token \"officer-bogor\" may not act for this office","field":"office"})"}});
}

TEST_F(StaffInput, ADuplicateKeyCannotSmuggleAnotherOfficePastTheTokenCheck) {
  // The last of two keys wins, in the office check and in the command alike: the check and the
  // command see the same office.
  ExpectRefused(
      "/api/v1/counter/arrival",
      {{"bogor, then jakarta", R"({"office":"bogor","office":"jakarta-pusat","code":"ABCDEFGHJK"})",
        403,
        R"({"error":"token \"officer-bogor\" may not act for this office","field":"office"})"}});
  auto r = client_.Post("/api/v1/counter/arrival",
                        R"({"office":"jakarta-pusat","office":"bogor","code":"ABCDEFGHJK"})",
                        kOfficerToken);
  EXPECT_EQ(r.status, 400) << r.body;
  const auto events = client_.Events();
  ASSERT_FALSE(events.empty());
  const auto rejected = support::OfType(events, "arrival_rejected.v1");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].at("payload").at("office"), "bogor");
}

TEST_F(StaffInput, AnArrivalWithACodeThatIsNoCodeIsRecordedAndAnsweredWithItsReason) {
  auto r = client_.Post("/api/v1/counter/arrival", R"({"office":"bogor","code":"ABCDEFGHJK"})",
                        kOfficerToken);
  EXPECT_EQ(r.status, 400);
  const auto answer = support::ParseJsonObject(r.body);
  EXPECT_EQ(answer.at("reason"), "bad_check_character");
  EXPECT_EQ(support::OfType(client_.Events(), "arrival_rejected.v1").size(), 1u);
}

TEST_F(StaffInput, MissingOrUnknownTokensAre401AndAWrongRoleIs403) {
  auto none = client_.Post("/api/v1/counter/arrival", "{}");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body, "{\"error\":\"an Authorization: Bearer token is required\"}\n");
  auto unknown = client_.Post("/api/v1/counter/arrival", "{}", "atk_nope");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, "{\"error\":\"the bearer token is not known\"}\n");
  auto role =
      client_.Post("/api/v1/counter/arrival", R"({"office":"bogor","code":"X"})", kAuditorToken);
  EXPECT_EQ(role.status, 403);
  EXPECT_EQ(role.body,
            "{\"error\":\"token \\\"auditor-1\\\" may not POST /api/v1/counter/{action}\"}\n");
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(StaffInput, AbsurdParametersOfReadsAre400NamingTheParameter) {
  const struct {
    std::string target;
    std::string answer;
  } cases[] = {
      {"/api/v1/offices/bogor/board?date=9999-99-99",
       R"({"error":"field \"date\": \"9999-99-99\": month 99 is not 1..12","field":"date"})"},
      {"/api/v1/offices/bogor/board?date=99999-01-01",
       R"({"error":"field \"date\": expected a date YYYY-MM-DD, got \"99999-01-01\"","field":"date"})"},
      {"/api/v1/offices/bogor/board?date=2030-01-01&as_of=yesterday",
       R"({"error":"field \"as_of\": expected an RFC 3339 timestamp like 2017-08-07T08:00:00+07:00, got \"yesterday\"","field":"as_of"})"},
      {"/api/v1/events?from=-1",
       R"({"error":"field \"from\": expected a whole number from 1 to 9223372036854775807","field":"from"})"},
      {"/api/v1/events?limit=99999999999999999999999",
       R"({"error":"field \"limit\": expected a whole number from 1 to 10000","field":"limit"})"},
      {"/api/v1/events?wait=100000",
       R"({"error":"field \"wait\": expected a whole number from 0 to 60","field":"wait"})"},
      {"/api/v1/phones/abc",
       R"({"error":"field \"phone\": phone number \"abc\" has \"a\" at byte 0; only digits, spaces, '-', '.', '(', ')' and a leading '+' are allowed","field":"phone"})"},
      {"/api/v1/identities?name=BUDI&dob=1990-02-31",
       R"j({"error":"field \"dob\": \"1990-02-31\": day 31 does not exist in February 1990 (it has 28 days)","field":"dob"})j"},
      {"/api/v1/blacklist?limit=0",
       R"({"error":"field \"limit\": expected a whole number from 1 to 1000","field":"limit"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    auto r = client_.Get(c.target, kAuditorToken);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, c.answer + "\n");
  }
  auto office = client_.Get("/api/v1/offices/atlantis/board?date=2030-01-01", kAuditorToken);
  EXPECT_EQ(office.status, 404);
  EXPECT_EQ(office.body,
            "{\"error\":\"office \\\"atlantis\\\" has no configuration in the ledger\"}\n");
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(StaffInput, BadEvidenceInABlacklistingIs400AndNothingIsAppended) {
  for (const char* evidence : {"[-1]", "[99999999999999999999]", "\"all\""}) {
    SCOPED_TRACE(evidence);
    auto r = client_.Post(
        "/api/v1/blacklist",
        std::string(R"({"phone":"6281234567890","reason":"x","evidence":)") + evidence + "}",
        kAuditorToken);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(
        r.body,
        "{\"error\":\"field \\\"evidence\\\": expected an array of at most 1000 sequence numbers "
        "(>= 1)\",\"field\":\"evidence\"}\n");
  }
  EXPECT_EQ(client_.Head(), 0u);
}

}  // namespace
}  // namespace antrean
