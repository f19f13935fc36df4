// Bad input to the command line (docs/HARDENING.md, "Bad input"): flags, the command stream of
// `antrean ingest`, the office file and the secrets file. Each is refused with its exit code and a
// message naming what and where, and nothing of a refused line or run reaches the ledger.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>

#include "tests/hardening/hardening.h"
#include "tests/support/run_binary.h"

namespace antrean {
namespace {

namespace json = boost::json;
using support::RunAntrean;

constexpr char kKeyEnv[] = "ANTREAN_BOOKING_CODE_KEY=test-booking-code-key-0123456789";

class CliInput : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string Ledger() const { return Path("ledger"); }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
  }
  // `antrean ingest` of `lines` with the sample offices (or `config`) and the test key.
  support::CliRun Ingest(const std::string& lines, const std::string& config = "") {
    Write("in.jsonl", lines);
    return RunAntrean({"ingest", "--ledger", Ledger(), "--config",
                       config.empty() ? support::SampleOfficeFile() : config, "--secrets",
                       Path("no-secrets.json"), Path("in.jsonl")},
                      dir_.path(), kKeyEnv);
  }
  // The ledger's head seq, read-only; 0 when there is no ledger.
  std::uint64_t HeadSeq() const {
    auto ledger = store::Ledger::Open(Ledger(), support::ReadOnly());
    return ledger.ok() ? (*ledger)->GetHead().seq : 0;
  }
  static std::string Message(const std::string& id, const json::object& changes = {}) {
    json::object m{{"type", "whatsapp.message"}, {"at", "2026-03-02T07:31:05+07:00"},
                   {"office", "bogor"},          {"message_id", id},
                   {"from", "081234567890"},     {"text", "halo"}};
    for (const auto& kv : changes) m[kv.key()] = kv.value();
    return json::serialize(m);
  }

  support::TempDir dir_;
};

TEST_F(CliInput, IngestRefusesEachBadLineNamingItAndAppendsOnlyTheGoodOnes) {
  const std::string lines =
      Message("m1") + "\n" +                 // 1 good
      "{\"type\":\"whatsapp.message\",\n" +  // 2 cut off
      R"({"type":"clock.tick","at":"2026-03-02T07:31:05+07:00","x":1})" + "\n" +
      Message("m4", {{"at", "9999-99-99T00:00:00Z"}}) + "\n" +      // 4 absurd date
      Message("m5", {{"office", "atlantis"}}) + "\n" +              // 5 unknown office
      Message("m6", {{"text", std::string(70'000, 'A')}}) + "\n" +  // 6 too long
      std::string(40, '[') + std::string(40, ']') + "\n" +          // 7 deep
      Message("m8", {{"from", 12345}}) + "\n" +                     // 8 wrong type
      "{\"type\":\"clock.tick\",\"at\":\"2026-03-02T07:31:05+07:\xff"
      "00\"}\n";
  auto run = Ingest(lines);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const auto results = support::JsonObjectLines(run.out);
  ASSERT_EQ(results.size(), 9u) << run.out;
  const char* errors[] = {
      nullptr,
      "line 2: Invalid argument: not valid JSON: incomplete JSON",
      "line 3: Invalid argument: field \"x\": unknown field",
      "line 4: Invalid argument: field \"at\": \"9999-99-99\": month 99 is not 1..12",
      nullptr,
      "line 6: Invalid argument: the line is longer than 65536 bytes",
      "line 7: Invalid argument: not valid JSON: too deep",
      "line 8: Invalid argument: field \"from\": expected a string",
      "line 9: Invalid argument: not valid JSON: syntax error",
  };
  for (std::size_t i = 0; i < results.size(); ++i) {
    SCOPED_TRACE("line " + std::to_string(i + 1));
    EXPECT_EQ(results[i].at("ok").as_bool(), errors[i] == nullptr) << results[i];
    if (errors[i] != nullptr) {
      EXPECT_EQ(results[i].at("error"), errors[i]);
    }
  }
  // An unknown office is recorded, and rejected without a reply.
  EXPECT_EQ(results[4].at("reason"), "unknown_office");
  // What is in the ledger: line 1 (configuration, message, information, reply) and line 5
  // (message, rejection); nothing of the refused lines.
  EXPECT_EQ(HeadSeq(), 6u);
  hardening::ExpectIntact(Ledger());
}

TEST_F(CliInput, UsageErrorsExitTwoNamingTheFlagOrValue) {
  const struct {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"frobnicate"}, "antrean: unknown command \"frobnicate\" (antrean --help lists them)"},
      {{"ingest", "--ledger", Ledger(), "--config", "x", "--bogus"},
       "antrean ingest: unknown option --bogus"},
      {{"ingest", "--config", "x"}, "antrean ingest: --ledger DIR and --config FILE are required"},
      {{"verify", "--ledger"}, "antrean verify: --ledger needs a value"},
      {{"dump", "--ledger", Ledger(), "--from", "-3"},
       "antrean dump: --from: expected a sequence number, got \"-3\""},
      {{"dump", "--ledger", Ledger(), "--from", "99999999999999999999999"},
       "antrean dump: --from: expected a sequence number, got \"99999999999999999999999\""},
      {{"board", "--ledger", Ledger(), "--office", "bogor", "--date", "2026-02-30"},
       "antrean board: --date: \"2026-02-30\": day 30 does not exist in February 2026 (it has 28 "
       "days)"},
      {{"serve", "--ledger", Ledger(), "--threads", "100000"},
       "antrean serve: --threads: expected a number from 1 to 64"},
  };
  // A ledger to read, so that the values are checked, not its absence.
  ASSERT_EQ(Ingest(Message("m1") + "\n").exit_code, 0);
  const auto head = HeadSeq();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    auto run = RunAntrean(c.args, dir_.path());
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err.rfind(c.message, 0), 0u) << run.err;
  }
  EXPECT_EQ(HeadSeq(), head);
}

TEST_F(CliInput, ABadOfficeFileExitsThreeNamingTheFileAndPlaceAndAppendsNothing) {
  json::value offices = support::SampleOfficesJson();
  offices.at("offices").as_array()[0].as_object()["daily_quota"] = -5;
  Write("negative.json", json::serialize(offices));
  offices.at("offices").as_array()[0].as_object()["daily_quota"] = 1e300;
  Write("huge.json", json::serialize(offices));
  Write("cut.json", "{\"offices\":[\n");
  Write("duplicate.json", "{\"offices\": [], \"offices\": []}");
  const struct {
    std::string file;
    std::string message;
  } cases[] = {
      {Path("missing.json"), Path("missing.json") + ": cannot open for reading"},
      {Path("cut.json"), Path("cut.json") + ": line 2 column 1: invalid JSON: incomplete JSON"},
      {Path("duplicate.json"),
       Path("duplicate.json") + ": line 1 column 25: duplicate key \"offices\""},
      {Path("negative.json"),
       Path("negative.json") + ": offices[0].daily_quota: expected an integer 1..100000, got -5"},
      {Path("huge.json"),
       Path("huge.json") + ": offices[0].daily_quota: expected an integer, got a number"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto run = Ingest(Message("m1") + "\n", c.file);
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_EQ(run.err, "antrean ingest: " + c.message + "\n");
    EXPECT_EQ(run.out, "");
  }
  EXPECT_EQ(HeadSeq(), 0u);
}

TEST_F(CliInput, ABadSecretsFileExitsThreeNamingTheFileAndField) {
  Write("short.json", R"({"booking_code_key":"short"})");
  Write("unknown.json", R"({"booking_code_key":"test-booking-code-key-0123456789","extra":1})");
  Write("cut.json", R"({"booking_code_key":)");
  Write("duplicate.json",
        R"({"booking_code_key":"test-booking-code-key-0123456789","booking_code_key":"x"})");
  const struct {
    std::string file;
    std::string message;
  } cases[] = {
      {"short.json", "no booking-code key of at least 16 bytes: set \"booking_code_key\" in " +
                         Path("short.json") + " or ANTREAN_BOOKING_CODE_KEY"},
      {"unknown.json", Path("unknown.json") + ": unknown field \"extra\""},
      {"cut.json", Path("cut.json") + ": line 1 column 21: invalid JSON: incomplete JSON"},
      {"duplicate.json",
       Path("duplicate.json") + ": line 1 column 73: duplicate key \"booking_code_key\""},
  };
  Write("in.jsonl", Message("m1") + "\n");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    // Without the key in the environment, which would stand in for the file's.
    auto run = RunAntrean({"ingest", "--ledger", Ledger(), "--config", support::SampleOfficeFile(),
                           "--secrets", Path(c.file), Path("in.jsonl")},
                          dir_.path(), "-u ANTREAN_BOOKING_CODE_KEY");
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_EQ(run.err, "antrean ingest: " + c.message + "\n");
  }
  EXPECT_EQ(HeadSeq(), 0u);
}

TEST_F(CliInput, ServeMemoryBudgetsOutsideFourMebibytesToSixtyFourGibibytesAreUsageErrors) {
  for (const std::string flag : {"--cache-mib", "--memtables-mib"}) {
    for (const std::string value : {"3", "65537", "lots"}) {
      SCOPED_TRACE(flag + " " + value);
      auto run = RunAntrean({"serve", "--ledger", Ledger(), "--config", support::SampleOfficeFile(),
                             "--listen", "127.0.0.1:0", flag, value},
                            dir_.path());
      EXPECT_EQ(run.exit_code, 2);
      EXPECT_EQ(run.err, "antrean serve: " + flag + ": expected a number of MiB from 4 to 65536\n");
    }
  }
  EXPECT_EQ(HeadSeq(), 0u);
}

TEST_F(CliInput, ServeWithoutAnAppSecretExitsThreeSayingWhy) {
  Write("key-only.json", R"({"booking_code_key":"test-booking-code-key-0123456789"})");
  auto run = RunAntrean({"serve", "--ledger", Ledger(), "--config", support::SampleOfficeFile(),
                         "--secrets", Path("key-only.json"), "--listen", "127.0.0.1:0"},
                        dir_.path());
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("antrean serve: no WhatsApp app secret: set whatsapp.app_secret in the "
                         "secrets file or ANTREAN_WHATSAPP_APP_SECRET"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(HeadSeq(), 0u);
}

}  // namespace
}  // namespace antrean
