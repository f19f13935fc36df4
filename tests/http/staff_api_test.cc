// The staff API of a real server on loopback: tokens and roles, counter actions, reads, the
// events feed with its chain, bad requests, reloading the office file, health.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>

#include "app/booking_code.h"
#include "tests/support/http_node.h"

namespace antrean {
namespace {

using support::TestClient;
using support::TestNode;
namespace json = boost::json;

class StaffApiTest : public ::testing::Test {
 protected:
  // Issues a booking at Bogor through the webhook; returns its code.
  std::string Book(const std::string& id, const std::string& phone, const std::string& name) {
    const std::string text =
        "#" + name + "#25011987#" + support::Ddmmyyyy(support::NextServiceDay());
    auto r = client_.Webhook(support::TextWebhook(id, phone, text));
    EXPECT_EQ(r.status, 200) << r.body;
    auto results = support::ParseJsonObject(r.body).at("results").as_array();
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? "" : std::string(results[0].at("booking_code").as_string());
  }
  json::object Json(const http::ClientResponse& r) { return support::ParseJsonObject(r.body); }

  support::TempDir dir_;
  TestNode node_{dir_.path() + "/ledger"};
  TestClient client_{node_.url()};
};

TEST_F(StaffApiTest, NoTokenIs401WithAJsonErrorAndAChallenge) {
  auto r = client_.Get("/api/v1/blacklist");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(Json(r).contains("error"));
  bool challenge = false;
  for (const auto& [k, v] : r.headers) challenge = challenge || (k == "www-authenticate" && v == "Bearer");
  EXPECT_TRUE(challenge);
  EXPECT_EQ(client_.Get("/api/v1/blacklist", "atk_unknown").status, 401);
}

// RFC 9110: the authentication scheme is case-insensitive; the token is not.
TEST_F(StaffApiTest, TheBearerSchemeIsReadInAnyCase) {
  const std::string token = support::kAuditorToken;
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER "}) {
    EXPECT_EQ(client_.GetAuthorized("/api/v1/blacklist", scheme + token).status, 200) << scheme;
  }
  std::string upper = token;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, token);
  EXPECT_EQ(client_.GetAuthorized("/api/v1/blacklist", "Bearer " + upper).status, 401);
  EXPECT_EQ(client_.GetAuthorized("/api/v1/blacklist", "Bearer").status, 401);
  EXPECT_EQ(client_.GetAuthorized("/api/v1/blacklist", "Basic " + token).status, 401);
}

TEST_F(StaffApiTest, AWrongRoleIs403) {
  EXPECT_EQ(client_.Get("/api/v1/blacklist", support::kOfficerToken).status, 403);
  EXPECT_EQ(client_.Post("/api/v1/counter/arrival", R"({"office":"bogor","code":"X"})",
                         support::kAuditorToken)
                .status,
            403);
  EXPECT_EQ(client_.Post("/api/v1/admin/reload", "", support::kOfficerToken).status, 403);
  auto r = client_.Post("/api/v1/counter/arrival", R"({"office":"jakarta-pusat","code":"X"})",
                        support::kOfficerToken);
  EXPECT_EQ(r.status, 403) << r.body;  // an officer of Bogor only
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(StaffApiTest, AnArrivalIsRecordedWithTheTokensNameAsTheActor) {
  const std::string code = Book("wamid.a1", "6281234567001", "BUDI");
  // The booking is for a later day: the counter answers other_day (409), and records the attempt.
  auto r = client_.Post("/api/v1/counter/arrival",
                        R"({"office":"bogor","code":")" + code + R"("})", support::kOfficerToken);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Json(r).at("reason"), "other_day");
  const auto rejected = support::OfType(client_.Events(), "arrival_rejected.v1");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].at("cause").at("actor"), "officer-bogor");
}

TEST_F(StaffApiTest, AnUnknownCodeIs404AMistypedOne400AndBothAttemptsAreRecorded) {
  // Well formed, with its check character, but no booking has it (another key derived it).
  const std::string unknown = app::DeriveBookingCode("another-key-0123456789", "bogor", "2030-01-02", 1, 0);
  auto r = client_.Post("/api/v1/counter/arrival",
                        R"({"office":"bogor","code":")" + unknown + R"("})", support::kOfficerToken);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(Json(r).at("reason"), "unknown_code");
  std::string mistyped = unknown;
  mistyped.back() = mistyped.back() == 'A' ? 'B' : 'A';
  auto typo = client_.Post("/api/v1/counter/arrival",
                           R"({"office":"bogor","code":")" + mistyped + R"("})", support::kOfficerToken);
  EXPECT_EQ(typo.status, 400) << typo.body;
  EXPECT_EQ(Json(typo).at("reason"), "bad_check_character");
  EXPECT_EQ(support::OfType(client_.Events(), "arrival_rejected.v1").size(), 2u);
}

TEST_F(StaffApiTest, AnIdentityCheckOfAnUnknownCodeIs404AndAppendsNothing) {
  auto r = client_.Post("/api/v1/counter/identity_check",
                        R"({"office":"bogor","code":"ZZZZZZZZZZ","person_matches":true,"phone_matches":true})",
                        support::kOfficerToken);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(StaffApiTest, BadRequestsAre400NamingTheFieldAndAppendNothing) {
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"office":"bogor"})", "code"},
      {R"({"office":"bogor","code":7})", "code"},
      {R"({"office":"bogor","code":"X","officer":"someone-else"})", "officer"},
      {R"({"office":"bogor","code":"X","at":"2020-01-01T00:00:00Z"})", "at"},
      {R"({"office":"bogor","code":"X","colour":"red"})", "colour"},
  };
  for (const auto& c : cases) {
    auto r = client_.Post("/api/v1/counter/arrival", c.body, support::kOfficerToken);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(Json(r).at("field"), c.field) << r.body;
  }
  auto malformed = client_.Post("/api/v1/counter/arrival", "{not json", support::kOfficerToken);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_TRUE(Json(malformed).contains("error"));
  EXPECT_EQ(client_.Post("/api/v1/counter/teleport", "{}", support::kOfficerToken).status, 404);
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(StaffApiTest, ReadsAnswerWhatTheCliAnswers) {
  const std::string code = Book("wamid.r1", "6281234567002", "SITI");
  auto booking = client_.Get("/api/v1/bookings/" + code, support::kAuditorToken);
  ASSERT_EQ(booking.status, 200) << booking.body;
  EXPECT_NE(booking.body.find(code), std::string::npos);
  auto phone = client_.Get("/api/v1/phones/081234567002", support::kAuditorToken);
  EXPECT_EQ(phone.status, 200) << phone.body;
  auto identity = client_.Get("/api/v1/identities?name=siti&dob=1987-01-25", support::kAuditorToken);
  EXPECT_EQ(identity.status, 200) << identity.body;
  const std::string date = domain::FormatDate(support::NextServiceDay());
  auto board = client_.Get("/api/v1/offices/bogor/board?date=" + date, support::kOfficerToken);
  ASSERT_EQ(board.status, 200) << board.body;
  EXPECT_EQ(Json(board).at("office"), "bogor");
  EXPECT_EQ(client_.Get("/api/v1/offices/jakarta-pusat/board?date=" + date, support::kOfficerToken)
                .status,
            403);
  // As it stood before the booking (rebuilt from the events), and as it stands now: a second after
  // the messages' clock, which is also their events' recorded_at.
  auto before = client_.Get("/api/v1/offices/bogor/board?date=" + date +
                                "&as_of=2000-01-01T00:00:00%2B07:00",
                            support::kAuditorToken);
  EXPECT_EQ(before.status, 404) << before.body;  // no configuration recorded by then
  auto now = client_.Get(
      "/api/v1/offices/bogor/board?date=" + date + "&as_of=" +
          domain::FormatRfc3339(
              domain::Instant{(support::MessageSeconds() + 1) * domain::kMicrosPerSecond}, 0),
      support::kAuditorToken);
  ASSERT_EQ(now.status, 200) << now.body;
  EXPECT_EQ(Json(now).at("sessions"), Json(board).at("sessions"));
  EXPECT_EQ(client_.Get("/api/v1/offices/bogor/board?date=" + date + "&as_of=yesterday",
                        support::kAuditorToken)
                .status,
            400);
  EXPECT_EQ(client_.Get("/api/v1/bookings/NOSUCHCODE", support::kAuditorToken).status, 404);
  auto bad_phone = client_.Get("/api/v1/phones/abc", support::kAuditorToken);
  EXPECT_EQ(bad_phone.status, 400) << bad_phone.body;
  EXPECT_EQ(client_.Get("/api/v1/blacklist", support::kAuditorToken).status, 200);
  EXPECT_EQ(client_.Get("/api/v1/flags", support::kAuditorToken).status, 200);
  auto verify = client_.Post("/api/v1/ledger/verify", "", support::kAuditorToken);
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(Json(verify).at("ok").as_bool());
  auto last = client_.Get("/api/v1/ledger/verify", support::kAuditorToken);
  EXPECT_TRUE(Json(last).at("last").at("ok").as_bool()) << last.body;
}

TEST_F(StaffApiTest, TheAuditRanksFlagsWithTheirEvidenceAndAClearedFlagLeavesIt) {
  Book("wamid.au1", "6281234567010", "PEMILIK");
  const std::string day = support::Ddmmyyyy(support::NextServiceDay());
  int n = 0;
  for (const char* other : {"SATU", "DUA", "TIGA"}) {
    auto r = client_.Webhook(support::TextWebhook("wamid.au-o" + std::to_string(++n),
                                                  "6281234567010",
                                                  std::string("#") + other + "#25011987#" + day));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(client_.Get("/api/v1/audit", support::kOfficerToken).status, 403);
  auto r = client_.Get("/api/v1/audit?office=bogor&evidence=2", support::kAuditorToken);
  ASSERT_EQ(r.status, 200) << r.body;
  json::object audit = Json(r);
  EXPECT_EQ(audit.at("total"), 1);
  const json::object& flag = audit.at("flags").at(0).as_object();
  EXPECT_EQ(flag.at("rule"), "many_persons_per_phone");
  EXPECT_EQ(flag.at("phone"), "6281234567010");
  EXPECT_EQ(flag.at("evidence_count"), 3);
  EXPECT_EQ(flag.at("evidence_events").as_array().size(), 2u);
  EXPECT_EQ(flag.at("evidence_events").at(0).at("type"), "registration_rejected.v2");
  EXPECT_EQ(flag.at("offices"), json::array{"bogor"});
  EXPECT_EQ(client_.Get("/api/v1/audit?limit=0", support::kAuditorToken).status, 400);
  EXPECT_EQ(client_.Get("/api/v1/audit?from=31-01-2017", support::kAuditorToken).status, 400);
  EXPECT_EQ(client_.Get("/api/v1/audit?office=nowhere", support::kAuditorToken).status, 404);

  const std::string id(flag.at("flag_id").as_string());
  auto cleared = client_.Post("/api/v1/flags/" + id + "/clear", R"({"reason":"keluarga besar"})",
                              support::kAuditorToken);
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(Json(client_.Get("/api/v1/audit", support::kAuditorToken)).at("total"), 0);
  EXPECT_EQ(Json(client_.Get("/api/v1/audit?all=1", support::kAuditorToken)).at("total"), 1);
}

TEST_F(StaffApiTest, TheEventsFeedCarriesAChainAFollowerCanCheck) {
  Book("wamid.f1", "6281234567003", "ANI");
  Book("wamid.f2", "6281234567004", "DEWI");
  const auto events = client_.Events();
  ASSERT_GE(events.size(), 7u);
  std::string prev(64, '0');
  for (const auto& e : events) {
    // A record is its body and the SHA-256 of the body (docs/FORMAT.md); the body names the
    // previous hash.
    const std::string record_hex(e.at("record").as_string());
    ASSERT_GT(record_hex.size(), 64u);
    std::string record;
    for (std::size_t i = 0; i + 1 < record_hex.size(); i += 2) {
      record.push_back(static_cast<char>(std::stoi(record_hex.substr(i, 2), nullptr, 16)));
    }
    const std::string body = record.substr(0, record.size() - 32);
    EXPECT_EQ(ToHex(Sha256(body)), e.at("hash").as_string());
    EXPECT_EQ(e.at("prev_hash").as_string(), prev);
    std::string prev_raw;
    for (std::size_t i = 0; i + 1 < prev.size(); i += 2) {
      prev_raw.push_back(static_cast<char>(std::stoi(prev.substr(i, 2), nullptr, 16)));
    }
    EXPECT_NE(body.find(prev_raw), std::string::npos) << "the body names the previous hash";
    prev = std::string(e.at("hash").as_string());
  }
}

TEST_F(StaffApiTest, TheEventsFeedWaitsForNewEvents) {
  const std::uint64_t next = client_.Head() + 1;
  auto waiting = std::async(std::launch::async, [&] {
    TestClient other(node_.url());
    const auto started = std::chrono::steady_clock::now();
    auto r = other.Get("/api/v1/events?wait=20&from=" + std::to_string(next), support::kAuditorToken);
    return std::make_pair(r, std::chrono::steady_clock::now() - started);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Book("wamid.w1", "6281234567005", "WATI");
  auto [r, took] = waiting.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(support::JsonObjectLines(r.body).empty()) << r.body;
  EXPECT_LT(took, std::chrono::seconds(10));
  // Nothing new: an empty page once the wait is over.
  auto empty = client_.Get("/api/v1/events?wait=1&from=100000", support::kAuditorToken);
  EXPECT_EQ(empty.status, 200);
  EXPECT_TRUE(empty.body.empty());
}

TEST_F(StaffApiTest, ReloadingABadOfficeFileKeepsTheRulesInForce) {
  support::TempDir cfg;
  const std::string path = cfg.path() + "/offices.json";
  {
    std::ofstream(path) << support::ReadFile(support::SampleOfficeFile());
  }
  support::TempDir ledger;
  TestNode node(ledger.path() + "/l", [&](http::NodeOptions& o) { o.config_path = path; });
  TestClient client(node.url());
  ASSERT_EQ(client.Post("/api/v1/admin/reload", "", support::kAdminToken).status, 200);
  {
    std::ofstream(path) << R"({"format_version": 1, "offices": [{"id": "Bad Id"}]})";
  }
  auto r = client.Post("/api/v1/admin/reload", "", support::kAdminToken);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("offices.json"), std::string::npos) << r.body;
  auto offices = client.Get("/api/v1/offices", support::kAdminToken);
  EXPECT_NE(offices.body.find("\"bogor\""), std::string::npos) << offices.body;
}

TEST_F(StaffApiTest, AnAuditorBlacklistsAndLiftsAPhoneAndIsRecordedAsTheActor) {
  // Evidence must already be in the ledger: a number no event has yet is refused, and nothing is
  // appended (it would later seem to point at an unrelated event).
  auto early = client_.Post("/api/v1/blacklist",
                            R"({"phone":"081234567006","reason":"calo","evidence":[1]})",
                            support::kAuditorToken);
  EXPECT_EQ(early.status, 400) << early.body;
  EXPECT_EQ(Json(early).at("field"), "evidence") << early.body;
  EXPECT_EQ(client_.Head(), 0u);
  ASSERT_EQ(client_
                .Webhook(support::TextWebhook(
                    "wamid.bl0", "6281234567005",
                    "#CALO#25011987#" + support::Ddmmyyyy(support::NextServiceDay())))
                .status,
            200);
  auto listed = client_.Post("/api/v1/blacklist",
                             R"({"phone":"0812-3456-7006","reason":"sells queue places","evidence":[1]})",
                             support::kAuditorToken);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(client_.Post("/api/v1/blacklist", R"({"phone":"081234567006","reason":"again"})",
                         support::kAuditorToken)
                .status,
            409);
  EXPECT_EQ(client_.Post("/api/v1/blacklist", R"({"phone":"081234567006","reason":"x"})",
                         support::kOfficerToken)
                .status,
            403);
  // The blacklisted phone can no longer register.
  auto r = client_.Webhook(support::TextWebhook(
      "wamid.bl1", "6281234567006", "#JOKI#25011987#" + support::Ddmmyyyy(support::NextServiceDay())));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r).at("results").as_array()[0].at("reason"), "phone_blacklisted") << r.body;
  auto blacklist = client_.Get("/api/v1/blacklist", support::kAuditorToken);
  EXPECT_NE(blacklist.body.find("sells queue places"), std::string::npos) << blacklist.body;

  auto lifted = client_.Post("/api/v1/blacklist/081234567006/lift", R"({"reason":"appeal granted"})",
                             support::kAuditorToken);
  EXPECT_EQ(lifted.status, 200) << lifted.body;
  EXPECT_EQ(client_.Post("/api/v1/blacklist/081234567006/lift", R"({"reason":"twice"})",
                         support::kAuditorToken)
                .status,
            409);
  const auto events = client_.Events();
  const auto added = support::OfType(events, "phone_blacklisted.v1");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].at("cause").at("actor"), "auditor-1");
  EXPECT_EQ(added[0].at("payload").at("phone"), "6281234567006");
  EXPECT_EQ(support::OfType(events, "phone_unblacklisted.v1").size(), 1u);
  auto missing_reason =
      client_.Post("/api/v1/blacklist", R"({"phone":"081234567007"})", support::kAuditorToken);
  EXPECT_EQ(missing_reason.status, 400);
  EXPECT_EQ(Json(missing_reason).at("field"), "reason");
}

// WhatsApp delivers messages from any country. A foreign sender that booked can be looked up and
// blacklisted like any other, written with + and its country code.
TEST_F(StaffApiTest, AForeignSenderIsLookedUpAndBlacklistedWithItsCountryCode) {
  const std::string day = support::Ddmmyyyy(support::NextServiceDay());
  auto booked =
      client_.Webhook(support::TextWebhook("wamid.us1", "16505551234", "#AMY#01011990#" + day));
  ASSERT_EQ(booked.status, 200) << booked.body;
  EXPECT_EQ(Json(booked).at("results").as_array()[0].at("outcome"), "issued") << booked.body;
  auto phone = client_.Get("/api/v1/phones/+16505551234", support::kAuditorToken);
  ASSERT_EQ(phone.status, 200) << phone.body;
  EXPECT_EQ(Json(phone).at("phone"), "16505551234");
  EXPECT_EQ(Json(phone).at("national"), "+16505551234");
  auto bare = client_.Get("/api/v1/phones/16505551234", support::kAuditorToken);
  EXPECT_EQ(bare.status, 400) << bare.body;
  EXPECT_EQ(Json(bare).at("field"), "phone");
  auto listed = client_.Post("/api/v1/blacklist",
                             R"({"phone":"+1 650 555 1234","reason":"calo abroad","evidence":[1]})",
                             support::kAuditorToken);
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto again =
      client_.Webhook(support::TextWebhook("wamid.us2", "16505551234", "#BEN#01011991#" + day));
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(Json(again).at("results").as_array()[0].at("reason"), "phone_blacklisted")
      << again.body;
}

TEST_F(StaffApiTest, ClearingAFlagNeverRaisedIs404) {
  auto r = client_.Post("/api/v1/flags/flag-404/clear", R"({"reason":"family"})", support::kAuditorToken);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(client_.Head(), 0u);
}

TEST(ServeTimer, TheExpirySweepRunsOnItsTimer) {
  support::TempDir dir;
  TestNode node(dir.path() + "/ledger",
                [](http::NodeOptions& o) { o.tick_interval = std::chrono::seconds(1); });
  TestClient client(node.url());
  EXPECT_TRUE(support::Eventually(
      [&] {
        auto m = client.Get("/metrics");
        return m.body.find("antrean_clock_ticks_total 0") == std::string::npos &&
               m.body.find("antrean_commands_total{type=\"clock.tick\",ok=\"true\"}") !=
                   std::string::npos;
      },
      std::chrono::seconds(5)));
}

TEST_F(StaffApiTest, HealthAndReadiness) {
  EXPECT_EQ(client_.Get("/healthz").status, 200);
  EXPECT_EQ(client_.Get("/readyz").status, 200);
  EXPECT_EQ(client_.Get("/nowhere").status, 404);
  EXPECT_EQ(client_.Post("/healthz", "").status, 405);
}

}  // namespace
}  // namespace antrean
