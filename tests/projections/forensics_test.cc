// The detection projection's promises (projections/forensics.h, docs/FORENSICS.md), through the
// real Service on a real RocksDB ledger: each rule raises one flag, with its evidence, when its
// pattern appears, and never twice; the innocent look-alikes each rule is set against (a mother
// with three toddlers, a family booking grandparents, a shared family phone, consecutive family
// SIMs, one no-show) raise nothing; automatic blacklisting where the office says so; and the fx/
// rows a replay rebuilds are exactly the live ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "app/queries.h"
#include "app/service.h"
#include "events/codec.h"
#include "events/event.h"
#include "events/event_types.h"
#include "events/keys.h"
#include "projections/decision_state.h"
#include "projections/replay.h"
#include "tests/support/ledger_fixture.h"

namespace antrean::projections {
namespace {

namespace json = boost::json;
using support::Msg;
using support::NumberedPhone;
using support::Ok;

constexpr char kKey[] = "forensics-test-booking-code-key-01234";
constexpr char kBooked[] = "2017-08-01T08:00:00+07:00";  // a Tuesday, not in the rush
constexpr char kRush[] = "2017-08-01T00:03:00+07:00";    // Bogor has no window: the rush is 00:00
constexpr char kDayText[] = "07082017";                  // Monday 7 August
constexpr char kAfterTheDay[] = "2017-08-07T23:00:00+07:00";

std::string Phone(int n) { return NumberedPhone("62813", n); }
// A name of letters only (names may not hold digits), distinct for each n.
std::string Name(int n) { return "ORANG " + support::Letters(n); }
std::string Adult(int n) { return "#" + Name(n) + "#25011987#" + kDayText; }
std::string Toddler(int n) { return "#" + Name(n) + "#01012016#" + kDayText; }
std::string Elderly(int n) { return "#" + Name(n) + "#01011950#" + kDayText; }

// The sample offices with Bogor's forensics thresholds changed by `changes`.
domain::OfficeDirectory OfficesWith(const json::object& changes) {
  json::value file = support::SampleOfficesJson();
  for (auto& office : file.as_object()["offices"].as_array()) {
    if (office.as_object()["id"] != "bogor") continue;
    json::object forensics;
    if (auto* f = office.as_object().if_contains("forensics")) forensics = f->as_object();
    for (const auto& kv : changes) forensics[kv.key()] = kv.value();
    office.as_object()["forensics"] = forensics;
  }
  return support::LoadOffices(file, "offices.json");
}

class Forensics : public support::ServiceFixture {
 protected:
  Forensics() : ServiceFixture(support::SampleOffices, kKey) {}

  // Phone `phone` sends `text` to Bogor at `at`.
  app::CommandResult Send(int phone, const std::string& text, const std::string& at = kBooked) {
    return Ok(*service_,
              Msg("wamid.fx." + std::to_string(++messages_), "bogor", Phone(phone), text, at));
  }
  std::string Issued(int phone, const std::string& text, const std::string& at = kBooked) {
    app::CommandResult r = Send(phone, text, at);
    EXPECT_EQ(r.outcome.kind, app::Outcome::Kind::kIssued) << text << ": " << r.outcome.reason;
    return r.outcome.booking_code;
  }
  void Tick(const std::string& at) { Ok(*service_, app::ClockTickCommand{support::At(at)}); }
  void IdentityCheck(const std::string& code, bool person, bool phone) {
    const app::CounterContext ctx{
        support::At("2017-08-07T07:20:00+07:00"), "bogor", "petugas-1", "", {}};
    Ok(*service_, app::ArrivalCommand{ctx, code});
    Ok(*service_, app::IdentityCheckCommand{ctx, code, person, phone, std::nullopt});
  }

  // Every event of a type in the ledger, with its sequence number.
  template <class T>
  std::vector<std::pair<std::uint64_t, T>> All() {
    std::vector<std::pair<std::uint64_t, T>> out;
    EXPECT_TRUE(ledger_
                    ->Scan(1, ledger_->GetHead().seq,
                           [&](const store::EventView& v) {
                             if (v.type != T::kType) return true;
                             auto e = events::DecodeEvent(v.type, v.payload);
                             EXPECT_TRUE(e.ok());
                             if (e.ok()) out.emplace_back(v.seq, std::get<T>(*e));
                             return true;
                           })
                    .ok());
    return out;
  }
  std::vector<events::PhoneFlagged> Flags() {
    std::vector<events::PhoneFlagged> out;
    for (auto& [seq, f] : All<events::PhoneFlagged>()) out.push_back(std::move(f));
    return out;
  }
  std::string TypeAt(std::uint64_t seq) {
    auto e = ledger_->Get(seq);
    return e.ok() ? e->type : "(" + e.status().ToString() + ")";
  }
  // The live state equals a replay of the log, the fx/ rows included.
  void ExpectReplayIdentical() {
    service_->Drain();
    auto rebuilt = Rebuild(*ledger_, {});
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    auto cmp = Compare(*ledger_, *rebuilt->state);
    ASSERT_TRUE(cmp.ok()) << cmp.status().ToString();
    for (const auto& p : cmp->projections) {
      EXPECT_TRUE(p.identical) << p.projection << " differs at " << p.first_key
                               << "\nlive:    " << p.live_value << "\nrebuilt: " << p.rebuilt_value;
    }
    const auto fx =
        std::find_if(cmp->projections.begin(), cmp->projections.end(),
                     [](const ProjectionComparison& p) { return p.projection == "fx"; });
    ASSERT_NE(fx, cmp->projections.end());
    EXPECT_GT(fx->live.rows, 0u);
  }
  void UseOffices(const json::object& changes) {
    Stop();
    ledger_ = support::OpenLedger(dir_.path());
    service_ =
        std::make_unique<app::Service>(*ledger_, OfficesWith(changes), app::Service::Options{kKey});
  }

  int messages_ = 0;
};

// ---- One phone, many people ------------------------------------------------------------------

TEST_F(Forensics, APhoneTryingThreeOtherAdultsIsFlaggedOnceWithTheAttemptsAsEvidence) {
  Issued(1, Adult(100));
  Send(1, Adult(101));
  Send(1, Adult(102));
  EXPECT_TRUE(Flags().empty()) << "two other adults are under the threshold of three";
  app::CommandResult third = Send(1, Adult(103));
  // The flag is in the same append as the attempt that revealed it.
  ASSERT_EQ(third.events.back().type, "phone_flagged.v2");
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  const auto& f = flags[0];
  EXPECT_EQ(f.rule, "many_persons_per_phone");
  EXPECT_EQ(f.phone, Phone(1));
  EXPECT_EQ(f.flag_id, "many_persons_per_phone:" + Phone(1));
  EXPECT_EQ(f.score, 600u);
  ASSERT_EQ(f.evidence.size(), 3u);
  for (auto seq : f.evidence) EXPECT_EQ(TypeAt(seq), "registration_rejected.v2") << seq;
  EXPECT_EQ(f.persons,
            (std::vector<std::string>{Name(101) + "|1987-01-25", Name(102) + "|1987-01-25",
                                      Name(103) + "|1987-01-25"}));
  EXPECT_EQ(f.offices, std::optional(std::vector<std::string>{"bogor"}))
      << "the offices of its evidence, recorded in the flag";
  Send(1, Adult(104));
  EXPECT_EQ(Flags().size(), 1u) << "the same phone is not flagged twice for the same rule";
  ExpectReplayIdentical();
}

// The attempts are submitted back to back, each followed by another office's traffic, so that the
// flag is raised while its earlier evidence is still on its way to disk: those offices come from
// the events in flight (the ledger cannot be read for them yet), and only Bogor's are named.
TEST_F(Forensics, AFlagWhoseEvidenceIsStillInFlightNamesOnlyItsOffices) {
  Issued(1, Adult(100));
  std::atomic<int> answered{0};
  const auto submit = [&](const std::string& office, int phone, const std::string& text) {
    service_->Submit(
        Msg("wamid.fx." + std::to_string(++messages_), office, Phone(phone), text, kBooked),
        [&answered](app::CommandResult r) {
          EXPECT_TRUE(r.status.ok()) << r.status.ToString();
          ++answered;
        });
  };
  for (int i = 101; i <= 103; ++i) {
    submit("bogor", 1, Adult(i));
    submit("jakarta-pusat", 200 + i, "halo");
  }
  service_->Drain();
  EXPECT_EQ(answered, 6);
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].rule, "many_persons_per_phone");
  EXPECT_EQ(flags[0].offices, std::optional(std::vector<std::string>{"bogor"}));
  ExpectReplayIdentical();
}

// A flag stored as phone_flagged.v1, before flags named their offices: read as v2 with its
// offices unknown, replayed like any flag, and audited by office from its evidence events.
TEST_F(Forensics, AVersionOneFlagIsReadWithItsOfficesUnknownAndAuditedFromItsEvidence) {
  Issued(1, Adult(100));
  Send(1, Adult(101));  // refused: another adult on the phone
  service_->Drain();
  const auto rejected = All<events::RegistrationRejected>();
  ASSERT_EQ(rejected.size(), 1u);
  const std::string v1 = R"({"flag_id":"old:1","phone":")" + Phone(1) +
                         R"(","rule":"many_persons_per_phone","score":700,"evidence":[)" +
                         std::to_string(rejected[0].first) +
                         R"(],"persons":[],"phones":[],"detail":"raised by an older build"})";
  auto decoded = events::DecodeEvent("phone_flagged.v1", v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(std::get<events::PhoneFlagged>(*decoded).offices, std::nullopt);
  EXPECT_EQ(events::EncodePayload(*decoded), v1) << "v1's fields, in v1's order, are v2's";
  EXPECT_FALSE(events::DecodeEvent("phone_flagged.v1",
                                   v1.substr(0, v1.size() - 1) + R"(,"offices":["bogor"]})")
                   .ok())
      << "v1 had no offices";

  // Stored under its old name with its rows, as an older build appended it.
  const std::int64_t at_us = support::At(kBooked).micros_since_epoch;
  support::ScratchRows rows(*ledger_);
  ASSERT_TRUE(FoldAll(*decoded, ledger_->GetHead().seq + 1, {"", at_us}, rows).ok());
  store::AppendRequest request;
  request.events.push_back(store::NewEvent{"phone_flagged.v1", events::IndexKeys(*decoded), v1});
  request.recorded_at_us = at_us;
  rows.AddTo(request);
  request.state_checkpoint_key = std::string(kCheckpointKey);
  ASSERT_TRUE(ledger_->Append(std::move(request)).ok());
  ExpectReplayIdentical();  // replay reads the old type name too

  app::AuditQuery q;
  q.office = "bogor";
  auto audit = app::QueryAudit(*ledger_, q);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  EXPECT_EQ(audit->at("total"), 1);
  EXPECT_EQ(audit->at("flags").at(0).at("offices"), json::array{"bogor"});
}

TEST_F(Forensics, AMotherBookingThreeToddlersAndTheGrandparentsIsNotFlagged) {
  Issued(2, Adult(200));
  for (int child : {201, 202, 203}) Issued(2, Toddler(child));
  for (int grandparent : {204, 205}) Issued(2, Elderly(grandparent));
  EXPECT_TRUE(Flags().empty());
  ExpectReplayIdentical();
}

TEST_F(Forensics, ASharedFamilyPhoneRefusedOnceIsNotFlagged) {
  Issued(3, Adult(300));
  Send(3, Adult(301));    // the husband tries the wife's phone: refused
  Issued(4, Adult(301));  // and then uses his own
  EXPECT_TRUE(Flags().empty());
}

TEST_F(Forensics, OtherAdultsOutsideTheWindowDoNotCount) {
  Issued(5, Adult(500));
  Send(5, Adult(501), "2017-06-01T08:00:00+07:00");
  Send(5, Adult(502), "2017-06-02T08:00:00+07:00");
  Send(5, Adult(503));  // 2 months later: only one attempt within 30 days
  EXPECT_TRUE(Flags().empty());
}

// ---- One person, many phones -----------------------------------------------------------------

TEST_F(Forensics, OnePersonTriedFromThreePhonesIsFlaggedNamingThePhones) {
  Issued(10, Adult(1000));
  Send(11, Adult(1000));  // refused: the person holds a booking; still an attempt
  EXPECT_TRUE(Flags().empty());
  Send(12, Adult(1000));
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].rule, "many_phones_per_person");
  EXPECT_EQ(flags[0].persons, std::vector<std::string>{Name(1000) + "|1987-01-25"});
  EXPECT_EQ(flags[0].phone, Phone(12));
  EXPECT_EQ(flags[0].phones, (std::vector<std::string>{Phone(10), Phone(11), Phone(12)}));
  EXPECT_EQ(flags[0].evidence.size(), 3u);
}

TEST_F(Forensics, AGrandmotherBookedFromTwoChildrensPhonesIsNotFlagged) {
  Issued(20, Adult(2000));
  Issued(21, Adult(2001));
  Issued(20, Elderly(2002));
  Send(21, Elderly(2002));  // the other child tries too: she already has a booking
  EXPECT_TRUE(Flags().empty());
}

// ---- Booked, never used ----------------------------------------------------------------------

TEST_F(Forensics, APhoneWhoseBookingsAllExpireIsFlaggedAfterTheThirdNoShow) {
  // Others use their bookings: the office's norm is low.
  for (int n = 0; n < 10; ++n) {
    IdentityCheck(Issued(40 + n, Adult(4000 + n)), true, true);
  }
  Issued(30, Adult(3000));
  Issued(30, Toddler(3001));
  Tick(kAfterTheDay);
  EXPECT_TRUE(Flags().empty()) << "two no-shows are under the minimum of three";
  // Booked again, for the next Monday, and not used either.
  Issued(30, "#" + Name(3000) + "#25011987#14082017", "2017-08-08T08:00:00+07:00");
  Tick("2017-08-14T23:00:00+07:00");
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].rule, "booked_never_used");
  EXPECT_EQ(flags[0].phone, Phone(30));
  ASSERT_EQ(flags[0].evidence.size(), 3u);
  for (auto seq : flags[0].evidence) EXPECT_EQ(TypeAt(seq), "booking_expired.v1") << seq;
  ExpectReplayIdentical();
}

TEST_F(Forensics, OneNoShowAmongUsedBookingsIsNotFlagged) {
  const std::string a = Issued(31, Adult(3100));
  Issued(31, Toddler(3101));
  IdentityCheck(a, true, true);
  Tick(kAfterTheDay);  // the toddler's booking expires: one no-show
  EXPECT_TRUE(Flags().empty());
}

// ---- Someone else's code ---------------------------------------------------------------------

TEST_F(Forensics, ADifferentPersonAtTheCounterFlagsTheRegisteringPhone) {
  const std::string code = Issued(50, Adult(5000));
  IdentityCheck(code, /*person=*/false, /*phone=*/true);
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].rule, "identity_mismatch");
  EXPECT_EQ(flags[0].phone, Phone(50));
  ASSERT_EQ(flags[0].evidence.size(), 1u);
  EXPECT_EQ(TypeAt(flags[0].evidence[0]), "identity_checked.v1");
}

TEST_F(Forensics, AnElderlyApplicantWithoutTheRegisteringPhoneIsNotFlagged) {
  Issued(51, Adult(5100));
  const std::string grandmother = Issued(51, Elderly(5101));
  IdentityCheck(grandmother, /*person=*/true, /*phone=*/false);
  EXPECT_TRUE(Flags().empty());
}

// ---- Bursts ----------------------------------------------------------------------------------

TEST_F(Forensics, FourRegistrationsFromOnePhoneInTheRushAreABurst) {
  Issued(60, Adult(6000), kRush);
  Send(60, Adult(6001), "2017-08-01T00:04:00+07:00");
  Send(60, Adult(6002), "2017-08-01T00:05:00+07:00");
  Send(60, Adult(6000), "2017-08-01T00:06:00+07:00");  // sent again: the code is resent
  std::set<std::string> rules;
  for (const auto& f : Flags()) rules.insert(f.rule);
  EXPECT_TRUE(rules.contains("burst"));
  const auto flags = Flags();
  const auto burst =
      std::find_if(flags.begin(), flags.end(), [](const auto& f) { return f.rule == "burst"; });
  EXPECT_EQ(burst->flag_id, "burst:" + Phone(60));
  EXPECT_EQ(burst->evidence.size(), 4u);
}

TEST_F(Forensics, FourPhonesOfOneNumberBlockInTheRushAreFlaggedTogether) {
  for (int n = 0; n < 4; ++n) Issued(70 + n, Adult(7000 + n), kRush);
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].rule, "burst");
  EXPECT_EQ(flags[0].flag_id, "burst:block:" + Phone(70).substr(0, Phone(70).size() - 2) + "xx");
  EXPECT_EQ(flags[0].phone, Phone(73));
  EXPECT_EQ(flags[0].phones, (std::vector<std::string>{Phone(70), Phone(71), Phone(72)}));
  Issued(74, Adult(7004), "2017-08-01T00:08:00+07:00");
  EXPECT_EQ(Flags().size(), 1u) << "the block is flagged once";
}

TEST_F(Forensics, AFamilyOfThreeConsecutiveNumbersInTheRushOrManyPhonesLaterAreNotBursts) {
  for (int n = 0; n < 3; ++n) Issued(80 + n, Adult(8000 + n), kRush);
  // The same block later in the morning: the rush is over.
  for (int n = 3; n < 8; ++n) Issued(80 + n, Adult(8000 + n));
  EXPECT_TRUE(Flags().empty());
}

// ---- Rings -----------------------------------------------------------------------------------

TEST_F(Forensics, PhonesAndPersonsLinkedIntoALargeGroupAreReportedAsOneRing) {
  // Four broker phones, each its "owner" and attempts for clients shared between them.
  for (int p = 0; p < 4; ++p) Issued(90 + p, Adult(9000 + p));
  int client = 9100;
  for (int p = 0; p < 4; ++p) {
    Send(90 + p, Adult(client));            // refused: another adult
    Send(90 + (p + 1) % 4, Adult(client));  // and again from the next phone: links the phones
    ++client;
  }
  std::vector<events::PhoneFlagged> rings;
  for (auto& f : Flags()) {
    if (f.rule == "ring") rings.push_back(f);
  }
  ASSERT_EQ(rings.size(), 1u);
  std::set<std::string> phones(rings[0].phones.begin(), rings[0].phones.end());
  phones.insert(rings[0].phone);
  EXPECT_EQ(phones, (std::set<std::string>{Phone(90), Phone(91), Phone(92), Phone(93)}));
  EXPECT_EQ(rings[0].persons.size(), 8u);
  EXPECT_FALSE(rings[0].evidence.empty());
  // The group grows: it is not reported again.
  Send(90, Adult(client));
  Send(91, Adult(client));
  const auto after = Flags();
  EXPECT_EQ(
      std::count_if(after.begin(), after.end(), [](const auto& f) { return f.rule == "ring"; }), 1);
  ExpectReplayIdentical();
}

TEST_F(Forensics, AFamilyOfTwoPhonesAndSixPersonsIsNotARing) {
  Issued(95, Adult(9500));
  Issued(96, Adult(9501));
  for (int child : {9502, 9503, 9504}) Issued(95, Toddler(child));
  Issued(95, Elderly(9505));
  Send(96, Elderly(9505));  // the grandmother, tried from the father's phone too
  EXPECT_TRUE(Flags().empty());
}

// ---- Automatic blacklisting ------------------------------------------------------------------

TEST_F(Forensics, TheOfficeMayBlacklistAutomaticallyAfterNoShows) {
  UseOffices({{"auto_blacklist_no_shows", 2}});
  Issued(110, Adult(11000));
  Issued(110, Toddler(11001));
  Tick(kAfterTheDay);
  auto blacklisted = All<events::PhoneBlacklisted>();
  ASSERT_EQ(blacklisted.size(), 1u);
  EXPECT_TRUE(blacklisted[0].second.automatic);
  EXPECT_EQ(blacklisted[0].second.rule, "no_shows");
  EXPECT_EQ(blacklisted[0].second.evidence.size(), 2u);
  // The next registration from the phone is refused.
  app::CommandResult r = Send(110, Adult(11000), "2017-08-08T08:00:00+07:00");
  EXPECT_EQ(r.outcome.reason, "phone_blacklisted");
  ExpectReplayIdentical();
}

TEST_F(Forensics, TheOfficeMayBlacklistAutomaticallyWhenARuleFlags) {
  UseOffices({{"auto_blacklist_rules", json::array{"identity_mismatch"}}});
  IdentityCheck(Issued(120, Adult(12000)), false, false);
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].score, 800u) << "both the person and the phone differ";
  auto blacklisted = All<events::PhoneBlacklisted>();
  ASSERT_EQ(blacklisted.size(), 1u);
  EXPECT_EQ(blacklisted[0].second.phone, Phone(120));
  EXPECT_EQ(blacklisted[0].second.rule, "identity_mismatch");
  EXPECT_EQ(blacklisted[0].second.evidence, flags[0].evidence);
}

// ---- Thresholds ------------------------------------------------------------------------------

TEST_F(Forensics, ThresholdsComeFromTheOfficeConfigurationInForce) {
  UseOffices({{"other_adults_per_phone", 1}});
  Issued(130, Adult(13000));
  Send(130, Adult(13001));
  ASSERT_EQ(Flags().size(), 1u) << "one other adult is enough where the office says so";
  EXPECT_EQ(Flags()[0].rule, "many_persons_per_phone");
}

TEST_F(Forensics, ThresholdsChangedWhileTheServiceRunsApplyFromTheNextCommand) {
  // The service keeps the decoded thresholds between commands; a reloaded office file must not
  // be answered from them.
  Issued(140, Adult(14000));
  Send(140, Adult(14001));
  EXPECT_TRUE(Flags().empty()) << "one other adult is below the sample's threshold";
  service_->SetOffices(OfficesWith({{"other_adults_per_phone", 2}}));
  Send(140, Adult(14002));
  auto flags = Flags();
  ASSERT_EQ(flags.size(), 1u) << "two other adults reach the new threshold";
  EXPECT_EQ(flags[0].rule, "many_persons_per_phone");
  EXPECT_EQ(flags[0].evidence.size(), 2u);
  service_->SetOffices(OfficesWith({{"other_adults_per_phone", 9}}));
  Issued(141, Adult(14100));
  for (int n = 14101; n < 14104; ++n) Send(141, Adult(n));
  EXPECT_EQ(Flags().size(), 1u) << "three other adults are below the threshold now in force";
  ExpectReplayIdentical();
}

TEST(ForensicsConfig, ABadThresholdFailsTheOfficeFileNamingTheOfficeAndTheField) {
  json::value file = support::SampleOfficesJson();
  file.as_object()["offices"].as_array()[0].as_object()["forensics"] =
      json::object{{"burst_per_phone", 0}};
  auto loaded = domain::LoadOfficeDirectory(json::serialize(file), "offices.json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(
      loaded.status().message(),
      "offices.json: offices[0].forensics: burst_per_phone: expected an integer 2..32, got 0");
  file.as_object()["offices"].as_array()[0].as_object()["forensics"] =
      json::object{{"burst_per_phon", 4}};
  loaded = domain::LoadOfficeDirectory(json::serialize(file), "offices.json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("unknown field \"burst_per_phon\""), std::string::npos)
      << loaded.status().message();
}

}  // namespace
}  // namespace antrean::projections
