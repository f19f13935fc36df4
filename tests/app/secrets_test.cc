// The secrets file and its environment variables (src/app/secrets.h, docs/SECRETS.md): strict,
// tokens stored only as hashes, written privately and atomically.
#include "app/secrets.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/ledger_fixture.h"

namespace antrean::app {
namespace {

// Sets an environment variable for one test.
class Env {
 public:
  Env(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~Env() { unsetenv(name_); }

 private:
  const char* name_;
};

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Each test starts from an environment without the secrets' variables (a developer's shell may
// have ANTREAN_BOOKING_CODE_KEY set, which would override the file under test), and puts them back.
class Secrets : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kNames) {
      if (const char* v = std::getenv(name)) saved_.emplace_back(name, v);
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) setenv(name, value.c_str(), 1);
  }

 private:
  static constexpr const char* kNames[] = {
      "ANTREAN_BOOKING_CODE_KEY", "ANTREAN_WHATSAPP_APP_SECRET", "ANTREAN_WHATSAPP_VERIFY_TOKEN",
      "ANTREAN_WHATSAPP_ACCESS_TOKEN", "ANTREAN_API_TOKENS"};
  std::vector<std::pair<const char*, std::string>> saved_;
};

TEST_F(Secrets, AFreshFileHasEverySecretTheServiceNeedsAndIsPrivate) {
  support::TempDir dir;
  const std::string path = dir.path() + "/s.json";
  auto created = InitSecretsFile(path);
  ASSERT_TRUE(created.ok() && *created);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto s = LoadSecrets(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GE(s->booking_code_key.size(), 16u);
  EXPECT_FALSE(s->whatsapp_app_secret.empty());
  EXPECT_FALSE(s->whatsapp_verify_token.empty());
  // A second init keeps the file as it is.
  const std::string before = support::ReadFile(path);
  auto again = InitSecretsFile(path);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(support::ReadFile(path), before);
}

TEST_F(Secrets, ATokenIsShownOnceAndStoredOnlyAsItsHash) {
  support::TempDir dir;
  const std::string path = dir.path() + "/s.json";
  ASSERT_TRUE(InitSecretsFile(path).ok());
  auto token = AddApiToken(path, "petugas-1", {"officer", "auditor"}, {"bogor"});
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(support::ReadFile(path).find(*token), std::string::npos);
  auto s = LoadSecrets(path);
  ASSERT_TRUE(s.ok());
  const ApiToken* t = s->FindToken(*token);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "petugas-1");
  EXPECT_TRUE(t->Has(Role::kOfficer));
  EXPECT_TRUE(t->Has(Role::kAuditor));
  EXPECT_FALSE(t->Has(Role::kAdmin));
  EXPECT_TRUE(t->MayServe("bogor"));
  EXPECT_FALSE(t->MayServe("batam"));
  EXPECT_EQ(s->FindToken(*token + "x"), nullptr);
  EXPECT_FALSE(AddApiToken(path, "petugas-1", {"officer"}, {}).ok()) << "names are unique";
  EXPECT_FALSE(AddApiToken(path, "x", {"superuser"}, {}).ok()) << "roles are known";
  EXPECT_FALSE(AddApiToken(path, "bad name", {"officer"}, {}).ok());
}

TEST_F(Secrets, AnUnknownFieldOrWrongTypeIsRefusedNamingIt) {
  support::TempDir dir;
  const std::string path = dir.path() + "/s.json";
  Write(path, R"({"booking_code_key":"0123456789abcdef0123","whatsapp":{"app_secet":"x"}})");
  auto s = LoadSecrets(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("whatsapp.app_secet"), std::string::npos)
      << s.status().message();
  Write(path, R"({"booking_code_key":"0123456789abcdef0123","api_tokens":[{"name":"a","roles":["officer"],"sha256":"zz"}]})");
  s = LoadSecrets(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("api_tokens[0].sha256"), std::string::npos)
      << s.status().message();
}

TEST_F(Secrets, TheEnvironmentOverridesTheFile) {
  support::TempDir dir;
  const std::string path = dir.path() + "/s.json";
  Write(path, R"({"booking_code_key":"0123456789abcdef0123","whatsapp":{"app_secret":"from-file"}})");
  Env secret("ANTREAN_WHATSAPP_APP_SECRET", "from-env");
  Env tokens("ANTREAN_API_TOKENS",
             R"([{"name":"ops","roles":["admin"],"sha256":")" + ToHex(Sha256("t0k3n")) + R"("}])");
  auto s = LoadSecrets(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->whatsapp_app_secret, "from-env");
  ASSERT_NE(s->FindToken("t0k3n"), nullptr);
  EXPECT_EQ(s->FindToken("t0k3n")->name, "ops");
}

TEST_F(Secrets, AShortOrMissingBookingCodeKeyIsAnError) {
  support::TempDir dir;
  const std::string path = dir.path() + "/s.json";
  Write(path, R"({"booking_code_key":"short"})");
  EXPECT_FALSE(LoadSecrets(path).ok());
  EXPECT_FALSE(LoadSecrets(dir.path() + "/missing.json").ok());
}

}  // namespace
}  // namespace antrean::app
