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
#include <string>
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

}  // namespace
}  // namespace antrean::fuzz
