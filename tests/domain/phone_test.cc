#include "domain/phone.h"

#include <gtest/gtest.h>

namespace antrean::domain {
namespace {

TEST(PhoneNormalize, EveryWrittenFormGivesTheSameDigits) {
  for (const char* written :
       {"08 1111 00 333", "0811-1100-333", "+62 811 1100 333", "628111100333", "62 811 1100 333",
        "+628111100333", "0062 811 1100 333", "(+62) 811-1100-333", "+62 0811 1100 333",
        "811 1100 333", "0811.1100.333", " 08111100333 "}) {
    Result<std::string> n = NormalizePhone(written);
    ASSERT_TRUE(n.ok()) << written << ": " << n.status().ToString();
    EXPECT_EQ(*n, "628111100333") << written;
  }
}

TEST(PhoneNormalize, SeedNumbers) {
  EXPECT_EQ(*NormalizePhone("0812 9900 4406"), "6281299004406");
  EXPECT_EQ(*NormalizePhone("0822 8886 2017"), "6282288862017");
  EXPECT_EQ(*NormalizePhone("0822 8882 2017"), "6282288822017");
  EXPECT_EQ(*NormalizePhone("08118539333"), "628118539333");
}

TEST(PhoneNormalize, RejectsWithAReason) {
  struct Case {
    const char* written;
    const char* says;
  } cases[] = {
      {"", "no digits"},
      {"   ", "no digits"},
      {"+0 415 555 0100", "country code that starts with 0"},
      {"+1 415 55", "6 digits with its country code"},
      {"+1 415 555 0100 12345", "16 digits with its country code"},
      {"0811 abc 333", "only digits"},
      {"08111100333#", "only digits"},
      {"0811", "digits after the prefix"},
      {"0811111111111111", "digits after the prefix"},
      {"5551234567", "must start with"},
      {"16505551234", "is written with + and its country code"},
      {"+62 00811 1100 333", "leading zeros"},
      {"0811+1100333", "only digits"},
      {"++628111100333", "only digits"},
  };
  for (const Case& c : cases) {
    Result<std::string> n = NormalizePhone(c.written);
    ASSERT_FALSE(n.ok()) << c.written;
    EXPECT_NE(n.status().message().find(c.says), std::string::npos)
        << c.written << ": " << n.status().message();
  }
  EXPECT_FALSE(NormalizePhone(std::string(kPhoneInputBytesMax + 1, '8')).ok());
}

// WhatsApp delivers messages from any country; whatever number booked must be one that staff
// can look up and blacklist. Only the international form says which country a number is from.
TEST(PhoneNormalize, ANumberFromAnotherCountryIsWrittenWithItsCountryCode) {
  for (const char* written :
       {"+1 650 555 1234", "+16505551234", "001 650 555 1234", "(+1) 650-555-1234"}) {
    Result<std::string> n = NormalizePhone(written);
    ASSERT_TRUE(n.ok()) << written << ": " << n.status().ToString();
    EXPECT_EQ(*n, "16505551234") << written;
  }
  EXPECT_EQ(*NormalizePhone("0065 6123 4567"), "6561234567");
  EXPECT_EQ(*NormalizePhone("+683 4002"), "6834002");  // Niue: 7 digits, as short as an event's
  EXPECT_TRUE(IsNormalizedPhone("16505551234"));
  EXPECT_EQ(NationalForm("16505551234"), "+16505551234");
}

TEST(PhoneNormalize, IsNormalizedAndNationalForm) {
  EXPECT_TRUE(IsNormalizedPhone("628111100333"));
  EXPECT_FALSE(IsNormalizedPhone("08111100333"));
  EXPECT_FALSE(IsNormalizedPhone("+628111100333"));
  EXPECT_EQ(NationalForm("628111100333"), "08111100333");
}

}  // namespace
}  // namespace antrean::domain
