// The fuzz targets' checks on every committed seed and on every input a fuzzer found
// (tests/fuzz/regressions/<target>/), in the normal test suite: each must pass, so a bug a
// fuzzer found cannot come back, and the seeds stay inputs the code handles
// (docs/HARDENING.md, "Fuzzing"). The targets abort on a failed invariant, which fails the test.
#define ANTREAN_FUZZ_NO_ENTRY
#include "tests/fuzz/command_line_fuzz.cc"
#include "tests/fuzz/event_decoder_fuzz.cc"
#include "tests/fuzz/message_parser_fuzz.cc"
#include "tests/fuzz/office_config_fuzz.cc"
#include "tests/fuzz/webhook_fuzz.cc"
#undef ANTREAN_FUZZ_NO_ENTRY

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace antrean::fuzz {
namespace {

struct Target {
  std::string name;
  int (*one)(const std::uint8_t*, std::size_t);
};

std::vector<std::filesystem::path> InputsOf(const std::string& target) {
  std::vector<std::filesystem::path> inputs;
  for (const char* dir : {"corpus", "regressions"}) {
    const std::filesystem::path d =
        std::filesystem::path(ANTREAN_SOURCE_DIR) / "tests/fuzz" / dir / target;
    if (!std::filesystem::is_directory(d)) continue;
    for (const auto& f : std::filesystem::directory_iterator(d)) inputs.push_back(f.path());
  }
  return inputs;
}

// The target's name in test output, rather than its bytes.
void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

class FuzzInputs : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzInputs, EverySeedAndEveryFindingPassesTheTargetsChecks) {
  const auto inputs = InputsOf(GetParam().name);
  ASSERT_FALSE(inputs.empty()) << "no seeds for " << GetParam().name;
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    SCOPED_TRACE(path.string());
    GetParam().one(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs,
                         ::testing::Values(Target{"message_parser", MessageParserOne},
                                           Target{"webhook", WebhookOne},
                                           Target{"event_decoder", EventDecoderOne},
                                           Target{"command_line", CommandLineOne},
                                           Target{"office_config", OfficeConfigOne}),
                         [](const ::testing::TestParamInfo<Target>& p) { return p.param.name; });

// Findings, each as the behaviour it broke (docs/HARDENING.md lists them).

// message_parser_fuzz: an emoji before the optional trailing '#' stayed in the last field, so
// the same registration read differently with and without that '#' (and a date field with it
// was refused).
TEST(FuzzFindings, EmojiBeforeTrailingHashIsIgnoredAsAtTheEnd) {
  using domain::MessageFormat;
  for (auto format : {MessageFormat::kNameBirthArrival, MessageFormat::kNameBirthAddress}) {
    const std::string message = format == MessageFormat::kNameBirthArrival
                                    ? "#BUDI#25011987#07082017"
                                    : "#BUDI#25011987#JL. ENGKU PUTRI";
    const auto plain = domain::ParseMessage(message, format);
    ASSERT_TRUE(std::holds_alternative<domain::Registration>(plain));
    for (const std::string tail : {"\U0001F64F#", " \U0001F64F #", "\U0001F64F\U0001F3FB##"}) {
      EXPECT_EQ(domain::ParseMessage(message + tail, format), plain) << tail;
    }
    EXPECT_EQ(domain::ParseMessage("#\U0001F64F #" + message, format), plain);
  }
}

// webhook_fuzz: a "timestamp" of 150249949416383 seconds was read, and the webhook route's
// decision clock (seconds * 1'000'000) overflowed int64, undefined behaviour. Now a timestamp
// after 9998-12-31T23:59:59Z (whose local dates and booking horizon stay within year 9999) skips
// the item, listed as a problem; the last one allowed is still read.
TEST(FuzzFindings, WebhookTimestampBeyondYear9998IsSkipped) {
  whatsapp::TextWebhookSpec spec;
  spec.phone_number_id = "100000000000001";
  spec.from = "6281234567890";
  spec.message_id = "wamid.1";
  spec.text = "#BUDI#25011987#07082017";
  for (std::int64_t seconds :
       {whatsapp::kWebhookTimestampSecondsMax + 1, std::int64_t{150249949416383},
        std::numeric_limits<std::int64_t>::max()}) {
    spec.timestamp_s = seconds;
    auto batch = whatsapp::ParseWebhook(whatsapp::BuildTextWebhook(spec));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_TRUE(batch->messages.empty()) << seconds;
    ASSERT_EQ(batch->problems.size(), 1u) << seconds;
    EXPECT_NE(batch->problems[0].message.find("after the year 9998"), std::string::npos)
        << batch->problems[0].message;
  }
  spec.timestamp_s = whatsapp::kWebhookTimestampSecondsMax;
  auto batch = whatsapp::ParseWebhook(whatsapp::BuildTextWebhook(spec));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->messages.size(), 1u);
  EXPECT_EQ(batch->messages[0].timestamp_s, whatsapp::kWebhookTimestampSecondsMax);
}

// command_line_fuzz: a whatsapp.message line with "channel":"bogor" was parsed, and the decision
// made a message_received.v1 event that does not decode (the service then refused the line with
// a message about the event, not the field). Now the line is refused naming "channel".
TEST(FuzzFindings, CommandWithUnknownChannelIsRefusedNamingTheField) {
  const std::string line =
      R"({"type":"whatsapp.message","at":"2026-03-02T07:31:40+07:00","office":"bogor",)"
      R"("message_id":"m","from":"6281234567890","text":"#BUDI#25011987#04032026","channel":)";
  auto refused = app::ParseCommand(line + R"("bogor"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsInvalidArgument());
  EXPECT_NE(refused.status().message().find("field \"channel\""), std::string::npos)
      << refused.status().ToString();
  for (const char* channel : {R"("whatsapp"})", R"("import"})"}) {
    EXPECT_TRUE(app::ParseCommand(line + channel).ok()) << channel;
  }
}

// command_line_fuzz: "from":"" was parsed as no phone at all, and the decision made an event
// without one. Now an empty phone is refused naming its field, in every command that has one.
TEST(FuzzFindings, CommandWithEmptyPhoneIsRefusedNamingTheField) {
  const std::pair<const char*, const char*> lines[] = {
      {R"({"type":"whatsapp.message","at":"2026-03-02T07:31:40+07:00","office":"bogor",)"
       R"("message_id":"m","from":"","text":"#syarat"})",
       "from"},
      {R"({"type":"whatsapp.status","at":"2017-08-01T08:00:00+07:00",)"
       R"("provider_message_id":"wamid.X","status":"read","recipient":""})",
       "recipient"},
      {R"({"type":"audit.unblacklist","at":"2017-08-01T08:00:00+07:00","auditor":"a",)"
       R"("phone":"","reason":"appeal"})",
       "phone"},
  };
  for (const auto& [line, field] : lines) {
    auto refused = app::ParseCommand(line);
    ASSERT_FALSE(refused.ok()) << line;
    EXPECT_NE(refused.status().message().find("field \"" + std::string(field) + "\""),
              std::string::npos)
        << refused.status().ToString();
  }
}

// command_line_fuzz: "media":{"kind":"image","id":""} was parsed, and the decision made an event
// whose media does not decode. Now an empty media id or kind is refused naming the field.
TEST(FuzzFindings, CommandWithEmptyMediaIdOrKindIsRefusedNamingTheField) {
  const std::string line =
      R"({"type":"whatsapp.message","at":"2026-03-02T07:37:00+07:00","office":"batam",)"
      R"("message_id":"m","from":"6282211112222","kind":"image","text":"ANI#12121990#Jl. X",)";
  for (const auto& [media, field] :
       {std::pair{R"("media":{"kind":"image","id":""}})", "media.id"},
        std::pair{R"("media":{"kind":"","id":"m-1"}})", "media.kind"}}) {
    auto refused = app::ParseCommand(line + media);
    ASSERT_FALSE(refused.ok()) << media;
    EXPECT_NE(refused.status().message().find("field \"" + std::string(field) + "\""),
              std::string::npos)
        << refused.status().ToString();
  }
  EXPECT_TRUE(app::ParseCommand(line + R"("media":{"kind":"image","id":"m-1"}})").ok());
}

}  // namespace
}  // namespace antrean::fuzz
