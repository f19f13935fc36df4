// The fold's own promises (projections/fold.h): FoldReads names exactly the types whose fold
// changes rows, so that replay may skip decoding the others.
#include "projections/fold.h"

#include <gtest/gtest.h>

#include "events/event_types.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::projections {
namespace {

// Folds `event` over nothing; true when it touched a row.
bool ChangesRows(const events::Event& event) {
  support::ScratchRows rows;
  EXPECT_TRUE(FoldEvent(event, {"actor", 1'700'000'000'000'000}, rows).ok());
  return !rows.rows().empty();
}

TEST(Fold, FoldReadsTheTypesWhoseFoldChangesRowsAndNoOthers) {
  const events::Event changing[] = {
      events::ReplyQueued{"m1/reply", "bogor", "6281234567890", "text", "m1"},
      events::ReplySent{"m1/reply", "wamid.X", 1},
      events::ReplyFailed{"m1/reply", 1, "HTTP 500", true, std::nullopt},
      events::ApplicationProgressRecorded{"1234567890123456", "bogor", "printed", std::nullopt},
      events::PhoneFlagged{"f1", "6281234567890", "rule", 10, {1}, {}, {}, "detail", {}},
  };
  for (const auto& e : changing) {
    const std::string_view type = std::visit([](const auto& x) { return x.kType; }, e);
    EXPECT_TRUE(ChangesRows(e)) << type;
    EXPECT_TRUE(FoldReads(type)) << type;
  }
  const events::Event inert[] = {
      events::InformationRequested{"m2", "bogor", "6281234567890", "help", std::nullopt},
      events::ReplyDeliveryStatus{std::nullopt, "wamid.X", "read", "2026-01-01T00:00:00Z",
                                  "6281234567890", std::nullopt, std::nullopt},
  };
  for (const auto& e : inert) {
    const std::string_view type = std::visit([](const auto& x) { return x.kType; }, e);
    EXPECT_FALSE(ChangesRows(e)) << type;
    EXPECT_FALSE(FoldReads(type)) << type;
  }
  EXPECT_FALSE(FoldReads(events::MessageReceived::kType));
  EXPECT_FALSE(FoldReads("no_such_type.v1"));
}

// A flag row written before flags named their offices has no "offices": it reads as unknown
// and is written back byte for byte as it was; a v2 flag's offices are kept.
TEST(FlagRowFold, AnOldRowWithoutOfficesReadsAsUnknownAndEncodesAsItWas) {
  FlagRow old{"f1",     "6281234567890",        "rule", 10, {1}, {},          {},
              "detail", "2017-08-08T02:05:00Z", true,   {}, {},  std::nullopt};
  const std::string bytes = Encode(old);
  EXPECT_EQ(bytes.find("offices"), std::string::npos);
  FlagRow back;
  ASSERT_TRUE(Decode(bytes, &back).ok());
  EXPECT_EQ(back.offices, std::nullopt);
  EXPECT_EQ(Encode(back), bytes);
  back.offices = std::vector<std::string>{"batam", "bogor"};
  FlagRow again;
  ASSERT_TRUE(Decode(Encode(back), &again).ok());
  EXPECT_EQ(again.offices, back.offices);
}

}  // namespace
}  // namespace antrean::projections
