#include "domain/office_config.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <string>

#include "domain/phone.h"

namespace antrean::domain {
namespace {

namespace json = boost::json;

const std::string kSamplePath = std::string(ANTREAN_SOURCE_DIR) + "/config/offices.json";

// A small valid file: all replies in defaults, two offices.
json::value MinimalFile() {
  json::object rejected;
  for (std::string_view r : kRejectionReasons) rejected[r] = "Maaf: {detail}";
  json::object replies;
  for (std::string_view k : kReplyKeys) replies[k] = "Teks {code}";
  replies["rejected"] = rejected;
  return json::object{
      {"format_version", 1},
      {"defaults",
       {{"time_zone", "WIB"},
        {"message_format", "name_birth_arrival"},
        {"format_text", "#NAMA#TGLLAHIR#TGLKEDATANGAN"},
        {"format_example", "#Budi#25011987#07082017"},
        {"service_days", {"Mon", "Tue", "Wed", "Thu", "Fri"}},
        {"holidays", {"2017-08-17"}},
        {"sessions", json::array{json::object{{"start", "08:00"}, {"capacity", 50}},
                                 json::object{{"start", "10:00"}, {"capacity", 50}}}},
        {"daily_quota", 150},
        {"booking_horizon_days", 30},
        {"arrive_early_minutes", 30},
        {"requirements", {"e-KTP asli"}},
        {"replies", replies}}},
      {"offices", json::array{
                      json::object{{"id", "bogor"},
                                   {"name", "Kanim Bogor"},
                                   {"whatsapp_numbers",
                                    json::array{json::object{{"display", "08 1111 00 333"},
                                                             {"phone_number_id", "111"}}}}},
                      json::object{{"id", "jakpus"},
                                   {"name", "Kanim Jakarta Pusat"},
                                   {"whatsapp_numbers",
                                    json::array{json::object{{"display", "0812 9900 4406"}}}}},
                  }}};
}

Result<OfficeDirectory> LoadMutated(const std::function<void(json::object&)>& mutate) {
  json::value file = MinimalFile();
  mutate(file.as_object());
  return LoadOfficeDirectory(json::serialize(file), "test/offices.json");
}

json::object& Office(json::object& file, std::size_t i) {
  return file["offices"].as_array()[i].as_object();
}

// Loading must fail, and the message must name the file, the field path and the problem.
void ExpectError(const std::function<void(json::object&)>& mutate, const std::string& path,
                 const std::string& what) {
  Result<OfficeDirectory> dir = LoadMutated(mutate);
  ASSERT_FALSE(dir.ok()) << "expected an error at " << path;
  const std::string& msg = dir.status().message();
  EXPECT_TRUE(dir.status().IsInvalidArgument()) << msg;
  EXPECT_EQ(msg.rfind("test/offices.json: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << "want path " << path << " in: " << msg;
  EXPECT_NE(msg.find(what), std::string::npos) << "want " << what << " in: " << msg;
}

TEST(OfficeConfigSample, LoadsAndHasTheSeedOffices) {
  Result<OfficeDirectory> dir = LoadOfficeDirectoryFile(kSamplePath);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  ASSERT_EQ(dir->offices().size(), 4u);

  const OfficeConfig* bogor = dir->FindByWhatsAppNumber("08 1111 00 333");
  ASSERT_NE(bogor, nullptr);
  EXPECT_EQ(bogor->id, "bogor");
  EXPECT_EQ(bogor->format_example, "#Budi#25011987#07082017");
  EXPECT_EQ(bogor->time_zone, TimeZone::kWIB);
  EXPECT_EQ(bogor->arrive_early_minutes, 30);
  EXPECT_EQ(bogor->DailyCapacity(), 150);
  EXPECT_FALSE(bogor->registration_window.has_value());
  EXPECT_EQ(dir->FindByWhatsAppNumber("628111100333"), bogor);
  EXPECT_EQ(dir->FindByWhatsAppNumber("+62 811-1100-333"), bogor);

  const OfficeConfig* jakpus = dir->FindById("jakarta-pusat");
  ASSERT_NE(jakpus, nullptr);
  EXPECT_EQ(jakpus->format_text, "#Nama#Tanggal Lahir#Tanggal Kedatangan#");
  EXPECT_EQ(dir->FindByWhatsAppNumber("6281299004406"), jakpus);

  const OfficeConfig* batam = dir->FindById("batam");
  ASSERT_NE(batam, nullptr);
  EXPECT_EQ(batam->message_format, MessageFormat::kNameBirthAddress);
  EXPECT_TRUE(batam->requires_ektp_photo);
  ASSERT_TRUE(batam->registration_window.has_value());
  EXPECT_EQ(FormatTimeOfDay(batam->registration_window->start), "07:30");
  EXPECT_EQ(FormatTimeOfDay(batam->registration_window->end), "10:00");
  EXPECT_EQ(dir->FindByWhatsAppNumber("0822 8886 2017"), batam);
  EXPECT_EQ(dir->FindByWhatsAppNumber("0822-8882-2017"), batam);
  EXPECT_EQ(dir->FindByPhoneNumberId("100000000000004"), batam);

  const OfficeConfig* denpasar = dir->FindById("denpasar");
  ASSERT_NE(denpasar, nullptr);
  EXPECT_EQ(denpasar->time_zone, TimeZone::kWITA);
  // Holidays accumulate: the national ones from defaults plus Nyepi.
  EXPECT_FALSE(denpasar->IsOpenOn({2017, 8, 17}));
  EXPECT_TRUE(
      std::binary_search(denpasar->holidays.begin(), denpasar->holidays.end(), Date{2018, 3, 17}));
  EXPECT_EQ(dir->FindById("nowhere"), nullptr);
  EXPECT_EQ(dir->FindByWhatsAppNumber("0813 0000 0000"), nullptr);
  EXPECT_EQ(dir->FindByWhatsAppNumber("not a number"), nullptr);
  EXPECT_EQ(dir->FindByPhoneNumberId(""), nullptr);
}

TEST(OfficeConfigSample, EveryOfficeHasEveryReply) {
  Result<OfficeDirectory> dir = LoadOfficeDirectoryFile(kSamplePath);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  for (const OfficeConfig& office : dir->offices()) {
    for (std::string_view key : kReplyKeys) EXPECT_FALSE(office.Reply(key).empty()) << key;
    for (std::string_view r : kRejectionReasons) {
      EXPECT_FALSE(office.RejectionReply(r).empty()) << r;
    }
    EXPECT_FALSE(office.forensics.empty());
  }
}

TEST(OfficeConfigCalendar, OpenDaysAndWindow) {
  Result<OfficeDirectory> dir = LoadOfficeDirectoryFile(kSamplePath);
  ASSERT_TRUE(dir.ok());
  const OfficeConfig& batam = *dir->FindById("batam");
  EXPECT_TRUE(batam.IsOpenOn({2017, 8, 7}));    // Monday
  EXPECT_FALSE(batam.IsOpenOn({2017, 8, 12}));  // Saturday
  EXPECT_FALSE(batam.IsOpenOn({2017, 8, 17}));  // Independence Day, a Thursday
  EXPECT_FALSE(batam.AcceptsRegistrationAt({7 * 60 + 29}));
  EXPECT_TRUE(batam.AcceptsRegistrationAt({7 * 60 + 30}));
  EXPECT_TRUE(batam.AcceptsRegistrationAt({9 * 60 + 59}));
  EXPECT_FALSE(batam.AcceptsRegistrationAt({10 * 60}));
  EXPECT_TRUE(dir->FindById("bogor")->AcceptsRegistrationAt({23 * 60}));
}

TEST(OfficeConfigLoad, OfficeOverridesDefaultsKeyByKey) {
  Result<OfficeDirectory> dir = LoadMutated([](json::object& f) {
    Office(f, 0)["replies"] = {{"help", "Bantuan Bogor {format}"},
                               {"rejected", {{"day_full", "Penuh {date}"}}}};
    Office(f, 0)["daily_quota"] = 100;
  });
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const OfficeConfig& bogor = *dir->FindById("bogor");
  EXPECT_EQ(bogor.Reply("help"), "Bantuan Bogor {format}");
  EXPECT_EQ(bogor.Reply("issued"), "Teks {code}");
  EXPECT_EQ(bogor.RejectionReply("day_full"), "Penuh {date}");
  EXPECT_EQ(bogor.RejectionReply("invalid_name"), "Maaf: {detail}");
  EXPECT_EQ(bogor.daily_quota, 100);
  EXPECT_EQ(dir->FindById("jakpus")->daily_quota, 150);
}

TEST(OfficeConfigErrors, SyntaxErrorNamesFileAndLine) {
  Result<OfficeDirectory> dir = LoadOfficeDirectory("{\n  \"offices\": [,]\n}", "bad.json");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("bad.json: line 2"), std::string::npos)
      << dir.status().message();
  EXPECT_FALSE(LoadOfficeDirectory("", "empty.json").ok());
  EXPECT_FALSE(LoadOfficeDirectory("[]", "array.json").ok());
  EXPECT_FALSE(LoadOfficeDirectory(std::string(1000, '['), "deep.json").ok());
}

TEST(OfficeConfigErrors, DuplicateJsonKeysAreRefused) {
  std::string text = json::serialize(MinimalFile());
  text.insert(1, "\"format_version\":1,");
  Result<OfficeDirectory> dir = LoadOfficeDirectory(text, "dup.json");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("duplicate key \"format_version\""), std::string::npos)
      << dir.status().message();
}

TEST(OfficeConfigErrors, UnknownFieldsAreErrors) {
  ExpectError([](json::object& f) { Office(f, 0)["sesions"] = json::array(); }, "offices[0]",
              "unknown field \"sesions\"");
  ExpectError([](json::object& f) { f["defaults"].as_object()["quota"] = 1; }, "defaults",
              "unknown field \"quota\"");
  ExpectError([](json::object& f) { f["version"] = 1; }, "(top level)", "unknown field");
  ExpectError(
      [](json::object& f) {
        f["defaults"].as_object()["sessions"].as_array()[1].as_object()["capasity"] = 5;
      },
      "defaults.sessions[1]", "unknown field \"capasity\"");
  ExpectError(
      [](json::object& f) {
        f["defaults"].as_object()["replies"].as_object()["rejected"].as_object()["typo"] = "x";
      },
      "defaults.replies.rejected", "unknown field \"typo\"");
}

TEST(OfficeConfigErrors, BadValuesNameTheFieldPath) {
  ExpectError(
      [](json::object& f) {
        Office(f, 1)["sessions"] = json::array{json::object{{"start", "08:00"}, {"capacity", 5}},
                                               json::object{{"start", "25:00"}, {"capacity", 5}}};
      },
      "offices[1].sessions[1].start", "got \"25:00\"");
  ExpectError([](json::object& f) { Office(f, 0)["time_zone"] = "UTC"; }, "offices[0].time_zone",
              "WIB, WITA or WIT");
  ExpectError([](json::object& f) { Office(f, 0)["message_format"] = "free_text"; },
              "offices[0].message_format", "name_birth_arrival");
  ExpectError(
      [](json::object& f) { f["defaults"].as_object()["holidays"] = json::array{"2017-02-30"}; },
      "defaults.holidays[0]", "does not exist");
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["service_days"] = {"Mon", "Funday"};
      },
      "offices[0].service_days[1]", "Funday");
  ExpectError([](json::object& f) { Office(f, 0)["daily_quota"] = 150.5; },
              "offices[0].daily_quota", "expected an integer");
  ExpectError([](json::object& f) { Office(f, 0)["booking_horizon_days"] = -1; },
              "offices[0].booking_horizon_days", "expected an integer 0..365");
  ExpectError([](json::object& f) { Office(f, 0)["requires_ektp_photo"] = "yes"; },
              "offices[0].requires_ektp_photo", "true or false");
  ExpectError([](json::object& f) { Office(f, 0)["id"] = "Bogor Kota"; }, "offices[0].id",
              "expected [a-z0-9]");
  ExpectError([](json::object& f) { f["format_version"] = 2; }, "format_version", "1..1");
}

TEST(OfficeConfigErrors, PhoneNumbers) {
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["whatsapp_numbers"] = json::array{json::object{{"display", "+1 415 55"}}};
      },
      "offices[0].whatsapp_numbers[0].display", "digits with its country code");
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["whatsapp_numbers"] =
            json::array{json::object{{"display", "+1 415 555 0100"}}};
      },
      "offices[0].whatsapp_numbers[0].display", "must be Indonesian");
  ExpectError([](json::object& f) { Office(f, 0)["whatsapp_numbers"] = json::array(); },
              "offices[0].whatsapp_numbers", "expected 1..8 entries");
  // The same number written differently is still the same number.
  ExpectError(
      [](json::object& f) {
        Office(f, 1)["whatsapp_numbers"] =
            json::array{json::object{{"display", "+62 811-1100-333"}}};
      },
      "offices[1].whatsapp_numbers[0].display", "already used by office \"bogor\"");
  ExpectError(
      [](json::object& f) {
        Office(f, 1)["whatsapp_numbers"].as_array()[0].as_object()["phone_number_id"] = "111";
      },
      "offices[1].whatsapp_numbers[0].phone_number_id", "already used by office \"bogor\"");
  ExpectError(
      [](json::object& f) {
        Office(f, 1)["whatsapp_numbers"].as_array()[0].as_object()["phone_number_id"] = 111;
      },
      "offices[1].whatsapp_numbers[0].phone_number_id", "expected a string");
}

TEST(OfficeConfigErrors, DuplicateOfficeId) {
  ExpectError([](json::object& f) { Office(f, 1)["id"] = "bogor"; }, "offices[1].id",
              "duplicate office id \"bogor\"");
}

TEST(OfficeConfigErrors, SessionsAndQuota) {
  ExpectError([](json::object& f) { Office(f, 0)["daily_quota"] = 99; }, "defaults.sessions",
              "sum to 100, more than daily_quota 99 (offices[0].daily_quota)");
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["sessions"] = json::array{json::object{{"start", "10:00"}, {"capacity", 5}},
                                               json::object{{"start", "08:00"}, {"capacity", 5}}};
      },
      "offices[0].sessions[1].start", "increasing order");
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["sessions"] = json::array{json::object{{"start", "08:00"}, {"capacity", 0}}};
      },
      "offices[0].sessions[0].capacity", "1..10000");
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["registration_window"] = {{"start", "10:00"}, {"end", "07:30"}};
      },
      "offices[0].registration_window", "must be before end");
}

TEST(OfficeConfigErrors, MissingFields) {
  ExpectError([](json::object& f) { f["defaults"].as_object().erase("sessions"); }, "offices[0]",
              "missing field \"sessions\"");
  ExpectError([](json::object& f) { Office(f, 1).erase("name"); }, "offices[1]",
              "missing field \"name\"");
  ExpectError(
      [](json::object& f) {
        f["defaults"].as_object()["replies"].as_object()["rejected"].as_object().erase(
            "day_full");
      },
      "offices[0].replies.rejected", "missing reply \"day_full\"");
  ExpectError([](json::object& f) { f.erase("offices"); }, "(top level)",
              "missing field \"offices\"");
}

TEST(OfficeConfigErrors, ReplyTemplatesAndExample) {
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["replies"] = {{"issued", "Kode {kode}"}};
      },
      "offices[0].replies.issued", "unknown placeholder {kode}");
  ExpectError(
      [](json::object& f) {
        Office(f, 0)["replies"] = {{"issued", "Kode {code"}};
      },
      "offices[0].replies.issued", "'{' without '}'");
  ExpectError([](json::object& f) { Office(f, 0)["format_example"] = "#Budi#31021987#07082017"; },
              "offices[0].format_example", "invalid_birth_date");
  ExpectError([](json::object& f) { Office(f, 0)["format_example"] = "#syarat"; },
              "offices[0].format_example", "command");
}

TEST(OfficeConfigErrors, UnreadableFileIsAnIOError) {
  Result<OfficeDirectory> dir = LoadOfficeDirectoryFile("/nonexistent/offices.json");
  ASSERT_FALSE(dir.ok());
  EXPECT_TRUE(dir.status().IsIOError());
  EXPECT_NE(dir.status().message().find("/nonexistent/offices.json"), std::string::npos);
}

TEST(OfficeConfigCanonical, SameConfigSameBytes) {
  Result<OfficeDirectory> a = LoadMutated([](json::object&) {});
  // Same meaning, different spelling: key order, phone form, where the quota is set.
  Result<OfficeDirectory> b = LoadMutated([](json::object& f) {
    json::object& bogor = Office(f, 0);
    json::object reordered;
    for (auto it = bogor.end(); it != bogor.begin();) {
      --it;
      reordered[it->key()] = it->value();
    }
    bogor = reordered;
    bogor["daily_quota"] = 150;
  });
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(CanonicalJson(a->offices()[0]), CanonicalJson(b->offices()[0]));
  EXPECT_EQ(CanonicalJson(*a), CanonicalJson(*b));
  Result<OfficeDirectory> c =
      LoadMutated([](json::object& f) { Office(f, 0)["daily_quota"] = 151; });
  ASSERT_TRUE(c.ok());
  EXPECT_NE(CanonicalJson(a->offices()[0]), CanonicalJson(c->offices()[0]));
  EXPECT_EQ(CanonicalJson(a->offices()[1]), CanonicalJson(c->offices()[1]));
}

TEST(OfficeConfigCanonical, IsSortedNormalisedJson) {
  Result<OfficeDirectory> dir = LoadOfficeDirectoryFile(kSamplePath);
  ASSERT_TRUE(dir.ok());
  const std::string text = CanonicalJson(*dir->FindById("batam"));
  EXPECT_EQ(text.rfind("{\"arrive_early_minutes\":30,\"booking_horizon_days\":30,", 0), 0u)
      << text.substr(0, 80);
  EXPECT_NE(text.find("\"digits\":\"6282288862017\""), std::string::npos);
  EXPECT_NE(text.find("\"registration_window\":{\"end\":\"10:00\",\"start\":\"07:30\"}"),
            std::string::npos);
  json::value back = json::parse(text);
  EXPECT_EQ(json::serialize(back), text);  // already in the form serialize gives
  // The whole directory: offices sorted by id.
  const std::string all = CanonicalJson(*dir);
  EXPECT_LT(all.find("\"id\":\"batam\""), all.find("\"id\":\"bogor\""));
  EXPECT_LT(all.find("\"id\":\"bogor\""), all.find("\"id\":\"denpasar\""));
}

TEST(OfficeConfigCanonical, RecordedConfigurationsLoadAsTheSameRules) {
  // What an "office configuration applied" event records loads back as the same rules, byte for
  // byte: `antrean recheck` decides again with them. Kecil has no phone_number_id (null in the
  // recorded form) and Batam a registration window; the others have neither.
  Result<OfficeDirectory> dir = LoadMutated([](json::object& f) {
    f["offices"].as_array().push_back(json::parse(R"({"id": "kecil", "name": "Kecil",
        "whatsapp_numbers": [{"display": "0811 0000 0099"}]})"));
  });
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::vector<json::object> recorded;
  for (const OfficeConfig& o : dir->offices()) {
    recorded.push_back(json::parse(CanonicalJson(o)).as_object());
  }
  Result<OfficeDirectory> back = LoadRecordedOffices(recorded, "recorded");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(CanonicalJson(*back), CanonicalJson(*dir));
  ASSERT_NE(back->FindById("kecil"), nullptr);
  EXPECT_EQ(back->FindById("kecil")->whatsapp_numbers[0].phone_number_id, "");

  // A recorded configuration this build cannot read is refused, naming where.
  recorded[0]["sessions"] = "08:00";
  Result<OfficeDirectory> bad = LoadRecordedOffices(recorded, "recorded at seq 7");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("recorded at seq 7: offices[0].sessions"),
            std::string::npos)
      << bad.status().message();
}

TEST(OfficeConfigReply, RendersPlaceholders) {
  EXPECT_EQ(
      RenderReply("Kode {code}, datang {arrive_by}.", {{"code", "AB12"}, {"arrive_by", "07:30"}}),
      "Kode AB12, datang 07:30.");
  EXPECT_EQ(RenderReply("{detail} {unknown}", {{"detail", "x"}}), "x {unknown}");
  EXPECT_EQ(RenderReply("tanpa {", {}), "tanpa {");
  EXPECT_EQ(RenderReply("", {}), "");
}

TEST(OfficeConfigReply, RequirementsText) {
  OfficeConfig office;
  office.requirements = {"e-KTP asli", "Kartu Keluarga asli"};
  EXPECT_EQ(office.RequirementsText(), "1. e-KTP asli\n2. Kartu Keluarga asli");
}

}  // namespace
}  // namespace antrean::domain
