// SHA-256 as the chain uses it (common/sha256.h): the standard's answers, on any thread.
#include "common/sha256.h"

#include <gtest/gtest.h>

#include <string>
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

}  // namespace
}  // namespace antrean
