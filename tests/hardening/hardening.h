// What the bad-input tests (docs/HARDENING.md, "Bad input") share: a real node on loopback with a
// fresh ledger, raw webhook bodies (bytes exactly as written, signed), the events a message left,
// and the check every test ends with, that the ledger still verifies.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "tests/support/http_node.h"

namespace antrean::hardening {

// A Cloud API text webhook to Bogor from `from` whose "text":{"body": ...} is `body_json`, written
// as is: the bytes may be anything (invalid UTF-8, a raw control character, a huge string).
inline std::string RawTextWebhook(const std::string& id, const std::string& body_json,
                                  const std::string& from = "6281234567890") {
  const std::string marker = "\"@@BODY@@\"";
  std::string body = support::TextWebhook(id, from, "@@BODY@@");
  body.replace(body.find(marker), marker.size(), body_json);
  return body;
}

// The ledger of `dir` verifies (chain, index, idempotency), read-only as `antrean verify` does.
inline void ExpectIntact(const std::string& ledger_dir) {
  auto ledger = support::OpenLedger(ledger_dir, support::ReadOnly());
  ASSERT_NE(ledger, nullptr);
  auto report = ledger->Verify({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << report->detail;
}

// A real node on a fresh ledger and a client of it; after each test the ledger must verify.
class NodeFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    node_.Stop();
    ExpectIntact(LedgerDir());
  }
  std::string LedgerDir() const { return dir_.path() + "/ledger"; }

  // The types of the events a message caused (their payload's message_id, or in_reply_to for
  // its reply), in order.
  std::vector<std::string> TypesFor(const std::string& message_id) {
    std::vector<std::string> types;
    for (const auto& e : client_.Events()) {
      const auto& p = e.at("payload").as_object();
      for (const char* field : {"message_id", "in_reply_to"}) {
        const auto* id = p.if_contains(field);
        if (id != nullptr && id->is_string() && id->as_string() == message_id) {
          types.emplace_back(e.at("type").as_string());
        }
      }
    }
    return types;
  }
  // The payload of the first event of `type` naming `message_id` ({} if none).
  boost::json::object PayloadOf(const std::string& message_id, std::string_view type) {
    for (const auto& e : support::OfType(client_.Events(), type)) {
      const auto& p = e.at("payload").as_object();
      if (const auto* id = p.if_contains("message_id");
          id != nullptr && *id == message_id.c_str()) {
        return p;
      }
    }
    return {};
  }

  support::TempDir dir_;
  support::TestNode node_{LedgerDir()};
  support::TestClient client_{node_.url()};
};

}  // namespace antrean::hardening
