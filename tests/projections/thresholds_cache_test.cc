// ThresholdsCache (projections/forensics.h): the offices' detection thresholds, decoded once. The
// service's cache reads the fx/c/ row on every use and never answers with thresholds the row no
// longer holds; a rebuild's cache, whose fold writes every such row and tells it, answers
// without reading.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "events/event_types.h"
#include "projections/decision_state.h"
#include "projections/forensics.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::projections {
namespace {

// Rows over nothing that count the reads of each key.
class CountingRows final : public StateRows {
 public:
  Result<std::optional<std::string>> Read(std::string_view key) override {
    ++reads[std::string(key)];
    return rows.Read(key);
  }
  void Write(std::string key, std::string value) override {
    rows.Write(std::move(key), std::move(value));
  }
  void Erase(std::string key) override { rows.Erase(std::move(key)); }

  support::ScratchRows rows;
  std::map<std::string, int> reads;
};

// Bogor's configuration as recorded, with `burst` registrations of one phone in the rush.
events::OfficeConfigurationApplied Configuration(int burst) {
  boost::json::object config;
  config["time_zone"] = "WIB";
  config["forensics"] = boost::json::object{{"burst_per_phone", burst}};
  return events::OfficeConfigurationApplied{"bogor", config, "digest-" + std::to_string(burst)};
}

Status Fold(const events::Event& e, StateRows& rows, ThresholdsCache& cache) {
  return FoldForensics(e, 1, {"admin", 1'502'000'000'000'000}, rows, cache);
}

// Bogor's burst_per_phone as the cache answers it; 0 when there are no thresholds to check.
int BurstOf(ThresholdsCache& cache, StateRows& rows) {
  auto got = cache.Get(rows, "bogor");
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  return got.ok() && *got != nullptr ? (*got)->burst_per_phone : 0;
}

TEST(ThresholdsCache, TheServicesCacheNoticesARowChangedBehindItsBack) {
  CountingRows rows;
  ThresholdsCache cache;  // checks the row
  ASSERT_TRUE(Fold(Configuration(5), rows, cache).ok());
  EXPECT_EQ(BurstOf(cache, rows), 5);
  // The row changes without the cache being told: the next use reads it, and sees.
  ThresholdsCache elsewhere;
  ASSERT_TRUE(Fold(Configuration(7), rows, elsewhere).ok());
  EXPECT_EQ(BurstOf(cache, rows), 7);
  EXPECT_EQ(rows.reads[ForensicConfigRowKey("bogor")], 2);
}

TEST(ThresholdsCache, ARebuildsCacheAnswersWhatItsFoldWroteWithoutReadingTheRow) {
  CountingRows rows;
  ThresholdsCache cache(ThresholdsCache::Trust::kSeesEveryWrite);
  ASSERT_TRUE(Fold(Configuration(5), rows, cache).ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(BurstOf(cache, rows), 5);
  ASSERT_TRUE(Fold(Configuration(7), rows, cache).ok());
  EXPECT_EQ(BurstOf(cache, rows), 7);
  EXPECT_EQ(rows.reads[ForensicConfigRowKey("bogor")], 0);
}

TEST(ThresholdsCache, ARebuildsCacheReadsAnOfficeWithoutARowOnceAndLearnsOfItsConfiguration) {
  CountingRows rows;
  ThresholdsCache cache(ThresholdsCache::Trust::kSeesEveryWrite);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(BurstOf(cache, rows), 0);  // nothing recorded
  EXPECT_EQ(rows.reads[ForensicConfigRowKey("bogor")], 1);
  ASSERT_TRUE(Fold(Configuration(6), rows, cache).ok());
  EXPECT_EQ(BurstOf(cache, rows), 6);
}

}  // namespace
}  // namespace antrean::projections
