// SHA-256 as the chain uses it and HMAC-SHA256 as booking codes and webhook signatures use it
// (common/sha256.h): the standards' answers, on any thread, whatever came before.
#include "common/sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace antrean {
namespace {

TEST(Sha256, GivesTheStandardsAnswers) {
  // FIPS 180-2, appendix B, and the empty message.
  EXPECT_EQ(ToHex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ToHex(Sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, EachCallIsIndependentOfTheOnesBefore) {
  // Each thread reuses one digest context: a call must not carry anything over from the last.
  const Hash256 abc = Sha256("abc");
  Sha256(std::string(100'000, 'x'));
  EXPECT_EQ(Sha256("abc"), abc);
}

TEST(Sha256, ThreadsHashingAtOnceGetTheSameAnswers) {
  const Hash256 expected = Sha256("abc");
  const Hash256 long_expected = Sha256(std::string(1000, 'q'));
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (Sha256("abc") != expected) ++wrong[t];
        if (Sha256(std::string(1000, 'q')) != long_expected) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

std::string Hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

TEST(HmacSha256, GivesTheStandardsAnswers) {
  // RFC 4231, test cases 1, 2, 3, 6 (a key longer than the block) and 7.
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(ToHex(HmacSha256(std::string(131, '\xaa'),
                             "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(
      ToHex(HmacSha256(std::string(131, '\xaa'),
                       Hex("5468697320697320612074657374207573696e672061206c6172676572207468616e"
                           "20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20"
                           "626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20"
                           "626520686173686564206265666f7265206265696e6720757365642062792074686520"
                           "484d414320616c676f726974686d2e"))),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  // An empty key (the one-shot path) and an empty message.
  EXPECT_EQ(ToHex(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256, EachCallUsesItsOwnKey) {
  // Each thread re-keys one context: no call may use the key, or the data, of the one before.
  const Hash256 jefe = HmacSha256("Jefe", "what do ya want for nothing?");
  HmacSha256(std::string(200, 'k'), std::string(100'000, 'x'));
  HmacSha256("", "after an empty key");
  EXPECT_EQ(HmacSha256("Jefe", "what do ya want for nothing?"), jefe);
  EXPECT_NE(HmacSha256("Jeff", "what do ya want for nothing?"), jefe);
}

TEST(HmacSha256, ThreadsSigningAtOnceGetTheSameAnswers) {
  const Hash256 expected = HmacSha256("app-secret", "{\"object\":\"whatsapp_business_account\"}");
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        HmacSha256("key-" + std::to_string(t), std::to_string(i));
        if (HmacSha256("app-secret", "{\"object\":\"whatsapp_business_account\"}") != expected) {
          ++wrong[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace antrean
