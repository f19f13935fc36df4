// `antrean send` against the real server on loopback: the README's one command to try the
// service. It says so when what it sent was not recorded, and it refuses, before sending, an
// office the server could not tell from the message.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>

#include "tests/support/http_node.h"
#include "tests/support/ledger_fixture.h"
#include "tests/support/run_binary.h"

namespace antrean {
namespace {

namespace json = boost::json;

class SendCli : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(node_.ok()); }

  // `antrean send` with the test node's app secret from the environment, as the README allows,
  // and nothing else: it signs a webhook and decides nothing, so needs no booking-code key.
  support::CliRun Send(const std::vector<std::string>& args,
                       const std::string& config = support::SampleOfficeFile()) {
    std::vector<std::string> all = {
        "send", "--url", node_.url(), "--config", config, "--secrets", dir_.path() + "/none.json"};
    all.insert(all.end(), args.begin(), args.end());
    return support::RunAntrean(
        all, dir_.path(),
        std::string("-u ANTREAN_BOOKING_CODE_KEY ANTREAN_WHATSAPP_APP_SECRET=") +
            support::kAppSecret);
  }

  support::TempDir dir_;
  support::TestNode node_{dir_.path() + "/ledger"};
  support::TestClient client_{node_.url()};
};

TEST_F(SendCli, ARegistrationIsSignedPostedRecordedAndItsReplyShown) {
  const std::string day = support::Ddmmyyyy(support::NextServiceDay());
  const auto run = Send({"--office", "bogor", "--from", "0812 3456 7001", "#BUDI#25011987#" + day});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("\"outcome\":\"issued\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("reply:"), std::string::npos) << run.out;
  EXPECT_GT(client_.Head(), 0u);
}

// Every sample office can be tried, the plain one included.
TEST_F(SendCli, EverySampleOfficeIsReached) {
  for (const char* office : {"bogor", "jakarta-pusat", "batam", "denpasar"}) {
    const auto run = Send({"--office", office, "--from", "0812 3456 7002", "#syarat"});
    EXPECT_EQ(run.exit_code, 0) << office << ": " << run.out << run.err;
    EXPECT_NE(run.out.find("\"outcome\":\"information\""), std::string::npos)
        << office << ": " << run.out;
  }
}

TEST_F(SendCli, AMessageTheServerRecordedNothingOfExitsOneAndSaysSo) {
  const std::uint64_t before = client_.Head();
  const auto run = Send({"--office", "bogor", "--from", "not-a-phone", "#syarat"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("problems"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("recorded nothing"), std::string::npos) << run.err;
  EXPECT_EQ(client_.Head(), before);
}

TEST_F(SendCli, AnOfficeWithoutAPhoneNumberIdIsRefusedBeforeSending) {
  json::value file = json::parse(support::ReadFile(support::SampleOfficeFile()));
  for (auto& office : file.at("offices").as_array()) {
    if (office.at("id") != "bogor") continue;
    for (auto& number : office.at("whatsapp_numbers").as_array()) {
      number.as_object().erase("phone_number_id");
    }
  }
  const std::string config = dir_.path() + "/offices.json";
  std::ofstream(config) << json::serialize(file);
  const std::uint64_t before = client_.Head();
  const auto run = Send({"--office", "bogor", "--from", "0812 3456 7003", "#syarat"}, config);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("phone_number_id"), std::string::npos) << run.err;
  EXPECT_EQ(client_.Head(), before);
}

}  // namespace
}  // namespace antrean
