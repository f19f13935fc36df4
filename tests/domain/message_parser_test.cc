#include "domain/message_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace antrean::domain {
namespace {

constexpr MessageFormat A = MessageFormat::kNameBirthArrival;  // Bogor, Jakarta Pusat
constexpr MessageFormat T = MessageFormat::kNameBirthAddress;  // Batam

enum class Kind { kRegistration, kInfo, kError };

// One row: a message as typed, for one format, and what it must give.
//   kRegistration: want = name_key, birth (YYYY-MM-DD), third = arrival date or address
//   kInfo:         want = InfoCommandName, third = argument
//   kError:        want = reason code
struct Row {
  MessageFormat format;
  std::string message;
  Kind kind;
  std::string want;
  std::string birth;
  std::string third;
};

Row Reg(MessageFormat f, std::string msg, std::string key, std::string birth, std::string third) {
  return {
      f, std::move(msg), Kind::kRegistration, std::move(key), std::move(birth), std::move(third)};
}
Row Info(MessageFormat f, std::string msg, std::string command, std::string arg = "") {
  return {f, std::move(msg), Kind::kInfo, std::move(command), "", std::move(arg)};
}
Row Err(MessageFormat f, std::string msg, std::string_view reason) {
  return {f, std::move(msg), Kind::kError, std::string(reason), "", ""};
}

const std::string kUnreadable(reason::kUnreadableMessage);
const std::string kName(reason::kInvalidName);
const std::string kBirth(reason::kInvalidBirthDate);
const std::string kArrival(reason::kInvalidArrivalDate);

std::vector<Row> Table() {
  const std::string b = "1987-01-25";
  return {
      // The seeds' own examples, per office.
      Reg(A, "#Budi#25011987#07082017", "BUDI", b, "2017-08-07"),   // Bogor
      Reg(A, "#BUDI#25011987#07082017", "BUDI", b, "2017-08-07"),   // Bogor (tirto)
      Reg(A, "#BUDI#25011987#14072017", "BUDI", b, "2017-07-14"),   // Jakarta Pusat
      Reg(A, "#BUDI#25011987#14072017#", "BUDI", b, "2017-07-14"),  // with trailing #
      Reg(T, "BUDI#25011987#JL. ENGKU PUTRI NO. 1, BATAM CENTRE", "BUDI", b,
          "JL. ENGKU PUTRI NO. 1, BATAM CENTRE"),  // Batam
      // Form is forgiven.
      Reg(A, "Budi#25011987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "#budi#25011987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "  #Budi  #  25011987 # 07082017  ", "BUDI", b, "2017-08-07"),
      Reg(A, "# Budi Santoso # 25-01-1987 # 07-08-2017", "BUDI SANTOSO", b, "2017-08-07"),
      Reg(A, "#Budi#25/01/1987#07/08/2017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi#25.01.1987#07.08.2017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi#25 01 1987#07 08 2017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi#25-1-1987#7-8-2017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi#25 / 01 / 1987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi#1987-01-25#2017-08-07", "BUDI", b, "2017-08-07"),
      Reg(A, "#Siti   Nurhaliza#25011987#07082017", "SITI NURHALIZA", b, "2017-08-07"),
      Reg(A, "#Budi#25011987#07082017\n", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi\n#25011987\n#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "\t#Budi\t#25011987\t#07082017\t", "BUDI", b, "2017-08-07"),
      Reg(A, "\r\n#Budi#25011987#07082017\r\n", "BUDI", b, "2017-08-07"),
      Reg(A, "##Budi#25011987#07082017##", "BUDI", b, "2017-08-07"),
      Reg(A, "＃Ｂｕｄｉ＃２５０１１９８７＃０７０８２０１７", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi\u3000#\u300025011987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi#25011987#07082017 \U0001F64F", "BUDI", b, "2017-08-07"),
      Reg(A, "\U0001F64F\U0001F3FB #Budi#25011987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Bu\u200Bdi#25011987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "#Budi\u00A0Santoso#25011987#07082017", "BUDI SANTOSO", b, "2017-08-07"),
      Reg(A, "#Budi#25\u201301\u20131987#07082017", "BUDI", b, "2017-08-07"),
      Reg(A, "\uFEFF#Budi#25011987#07082017", "BUDI", b, "2017-08-07"),
      // Names as they really are.
      Reg(A, "#Sukarno#06061901#07082017", "SUKARNO", "1901-06-06", "2017-08-07"),
      Reg(A, "#O'Brien#25011987#07082017", "O'BRIEN", b, "2017-08-07"),
      Reg(A, "#O\u2019Neil#25011987#07082017", "O'NEIL", b, "2017-08-07"),
      Reg(A, "#Muh. Ali#25011987#07082017", "MUH. ALI", b, "2017-08-07"),
      Reg(A, "#Siti-Aminah#25011987#07082017", "SITI-AMINAH", b, "2017-08-07"),
      Reg(A, "#Budi Santoso, S.T.#25011987#07082017", "BUDI SANTOSO, S.T.", b, "2017-08-07"),
      Reg(A, "#José Ramírez#25011987#07082017", "JOSÉ RAMÍREZ", b, "2017-08-07"),
      Reg(A, "#ñoño#25011987#07082017", "ÑOÑO", b, "2017-08-07"),
      Reg(A, "#\uA9A7\uA9B8\uA9A2\uA9B6#25011987#07082017", "\uA9A7\uA9B8\uA9A2\uA9B6", b,
          "2017-08-07"),  // Javanese script
      Reg(A, "#" + std::string(kNameCodePointsMax, 'A') + "#25011987#07082017",
          std::string(kNameCodePointsMax, 'A'), b, "2017-08-07"),
      // Meaningful dates, including leap days; "in the future" is the decision step's to judge.
      Reg(A, "#Budi#29022000#07082017", "BUDI", "2000-02-29", "2017-08-07"),
      Reg(A, "#Budi#29021988#29022024", "BUDI", "1988-02-29", "2024-02-29"),
      Reg(A, "#Budi#25011987#07082030", "BUDI", b, "2030-08-07"),
      Reg(A, "#Budi#25012030#07082017", "BUDI", "2030-01-25", "2017-08-07"),
      Reg(A, "#Budi#01011900#07082017", "BUDI", "1900-01-01", "2017-08-07"),
      // Batam: name, birth date, address.
      Reg(T, "#Budi#25011987#Jl. Sudirman No. 5 RT 01/RW 02", "BUDI", b,
          "Jl. Sudirman No. 5 RT 01/RW 02"),
      Reg(T, "budi # 25-01-1987 # Perumahan Batam Centre Blok A/12", "BUDI", b,
          "Perumahan Batam Centre Blok A/12"),
      Reg(T, "BUDI#25011987#  Jl.   Raja  Ali  ", "BUDI", b, "Jl. Raja Ali"),
      Reg(T, "BUDI#25011987#JL. ENGKU PUTRI#", "BUDI", b, "JL. ENGKU PUTRI"),
      // Wrong meaning: dates.
      Err(A, "#Budi#31021987#07082017", kBirth),
      Err(A, "#Budi#25011987#31022017", kArrival),
      Err(A, "#Budi#29021987#07082017", kBirth),    // 1987 is not a leap year
      Err(A, "#Budi#25011987#29022023", kArrival),  // 2023 is not a leap year
      Err(A, "#Budi#29021900#07082017", kBirth),    // 1900 is not a leap year
      Err(A, "#Budi#31041987#07082017", kBirth),
      Err(A, "#Budi#250187#07082017", kBirth),     // two-digit year
      Err(A, "#Budi#25131987#07082017", kBirth),   // month 13
      Err(A, "#Budi#00011987#07082017", kBirth),   // day 0
      Err(A, "#Budi#2501198#07082017", kBirth),    // 7 digits
      Err(A, "#Budi#250119870#07082017", kBirth),  // 9 digits
      Err(A, "#Budi#25 Januari 1987#07082017", kBirth),
      Err(A, "#Budi#25011800#07082017", kBirth),  // before kBirthYearMin
      Err(A, "#Budi#25-01-1987#07/08/17", kArrival),
      Err(A, "#Budi#25011987#besok", kArrival),
      Err(A, "#Budi#25011987#07082017 terima kasih", kArrival),
      Err(A, "#Nama#Tanggal Lahir#Tanggal Kedatangan#", kBirth),  // the template itself
      Err(A, "#Budi##07082017", kBirth),
      Err(T, "BUDI#31021987#JL. ENGKU PUTRI", kBirth),
      Err(T, "BUDI##JL. ENGKU PUTRI", kBirth),
      // Wrong meaning: names.
      Err(A, "#Budi2#25011987#07082017", kName),
      Err(A, "#B4di#25011987#07082017", kName),
      Err(A, "# #25011987#07082017", kName),
      Err(A, "##25011987#07082017", kName),
      Err(A, "#Budi \U0001F600#25011987#07082017", kName),
      Err(A, "#" + std::string(kNameCodePointsMax + 1, 'A') + "#25011987#07082017", kName),
      Err(A, "#...#25011987#07082017", kName),
      Err(A, "#Budi@gmail#25011987#07082017", kName),
      Err(A, "#Budi_Santoso#25011987#07082017", kName),
      Err(A, "#\u0661Budi#25011987#07082017", kName),  // Arabic-Indic digit one
      Err(T, "BUDI 2#25011987#JL X", kName),
      // Wrong shape.
      Err(A, "#Budi#25011987", kUnreadable),
      Err(A, "#Budi#25011987##", kUnreadable),
      Err(A, "#Budi#25011987#07082017#extra", kUnreadable),
      Err(A, "#Budi#25011987#07082017#Jakarta#lagi", kUnreadable),
      Err(A, "Budi 25011987 07082017", kUnreadable),
      Err(A, "#Budi25011987", kUnreadable),
      Err(T, "BUDI#25011987", kUnreadable),
      Err(T, "BUDI#25011987#", kUnreadable),
      Err(T, "BUDI#25011987#JL. A#NO. 5", kUnreadable),
      Err(T, "BUDI#25011987#" + std::string(kAddressCodePointsMax + 1, 'x'), kUnreadable),
      // Unreadable text.
      Err(A, "#Budi\x01#25011987#07082017", kUnreadable),
      Err(A,
          "#Bu\xFF"
          "di#25011987#07082017",
          kUnreadable),
      Err(A,
          "#Bu\xC0\xAF"
          "di#25011987#07082017",
          kUnreadable),  // overlong '/'
      Err(A,
          "#Bu\xED\xA0\x80"
          "di#25011987#07082017",
          kUnreadable),                                      // surrogate
      Err(A, "#Budi\u202E#25011987#07082017", kUnreadable),  // right-to-left override
      Err(A, std::string("#Budi\0#25011987#07082017", 24), kUnreadable),
      Err(A, std::string(kMessageCodePointsMax + 1, 'a'), kUnreadable),
      Err(A, std::string(kMessageBytesMax + 1, 'a'), kUnreadable),
      // Information commands.
      Info(A, "#syarat", "requirements"),
      Info(A, "#SYARAT", "requirements"),
      Info(A, "Syarat", "requirements"),
      Info(A, " # syarat # ", "requirements"),
      Info(A, "#Persyaratan", "requirements"),
      Info(T, "#syarat", "requirements"),
      Info(A, "#bayar", "payment"),
      Info(A, "#BAYAR", "payment"),
      Info(A, "#cek abc123", "check_booking", "ABC123"),
      Info(A, "#CEK AB-12", "check_booking", "AB-12"),
      Info(T, "#cek AB12 CD34", "check_booking", "AB12CD34"),
      Err(A, "#cek", kUnreadable),
      Err(A, "#cek abc!23", kUnreadable),
      Err(A, "#cek " + std::string(kBookingCodeBytesMax + 1, 'A'), kUnreadable),
      Info(A, "1234567890123456", "application_status", "1234567890123456"),
      Info(A, "1234 5678 9012 3456", "application_status", "1234567890123456"),
      Info(A, "#1234-5678-9012-3456", "application_status", "1234567890123456"),
      Err(A, "123456789012345", kUnreadable),    // 15 digits
      Err(A, "12345678901234567", kUnreadable),  // 17 digits
      Info(A, "#help", "help"),
      Info(A, "#HELP", "help"),
      Info(A, "#bantuan", "help"),
      Info(A, "#info", "help"),
      Info(A, "#xyz", "help"),
      Info(A, "halo", "help"),
      Info(A, "Selamat pagi, mau tanya", "help"),
      Info(A, "", "help"),
      Info(A, "   \n\t ", "help"),
      Info(A, "#", "help"),
      Info(A, "###", "help"),
      Info(A, "\U0001F64F\U0001F64F", "help"),
      Info(A, std::string(kMessageCodePointsMax, 'a'), "help"),
  };
}

std::string Describe(const ParsedMessage& m) {
  if (const auto* r = std::get_if<Registration>(&m)) {
    return "registration " + r->name_key + " " + FormatDate(r->birth_date) + " " +
           (r->arrival_date ? FormatDate(*r->arrival_date) : "-") + " " + r->address;
  }
  if (const auto* i = std::get_if<InfoRequest>(&m)) {
    return "info " + std::string(InfoCommandName(i->command)) + " " + i->argument;
  }
  const auto& e = std::get<ParseError>(m);
  return "error " + e.reason + ": " + e.detail;
}

TEST(MessageParserTable, EveryRowGivesItsOutcome) {
  const std::vector<Row> table = Table();
  ASSERT_GE(table.size(), 80u);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const Row& row = table[i];
    const ParsedMessage got = ParseMessage(row.message, row.format);
    const std::string where =
        "row " + std::to_string(i) + " " + Quote(row.message) + " -> " + Describe(got);
    switch (row.kind) {
      case Kind::kRegistration: {
        const auto* r = std::get_if<Registration>(&got);
        ASSERT_NE(r, nullptr) << where;
        EXPECT_EQ(r->name_key, row.want) << where;
        EXPECT_EQ(FormatDate(r->birth_date), row.birth) << where;
        if (row.format == A) {
          ASSERT_TRUE(r->arrival_date.has_value()) << where;
          EXPECT_EQ(FormatDate(*r->arrival_date), row.third) << where;
          EXPECT_TRUE(r->address.empty()) << where;
        } else {
          EXPECT_FALSE(r->arrival_date.has_value()) << where;
          EXPECT_EQ(r->address, row.third) << where;
        }
        break;
      }
      case Kind::kInfo: {
        const auto* info = std::get_if<InfoRequest>(&got);
        ASSERT_NE(info, nullptr) << where;
        EXPECT_EQ(InfoCommandName(info->command), row.want) << where;
        EXPECT_EQ(info->argument, row.third) << where;
        break;
      }
      case Kind::kError: {
        const auto* e = std::get_if<ParseError>(&got);
        ASSERT_NE(e, nullptr) << where;
        EXPECT_EQ(e->reason, row.want) << where;
        EXPECT_FALSE(e->detail.empty()) << where;
        break;
      }
    }
  }
}

TEST(MessageParserDetail, SaysWhatIsWrong) {
  auto detail = [](std::string_view msg) {
    return std::get<ParseError>(ParseMessage(msg, A)).detail;
  };
  EXPECT_NE(detail("#Budi#31021987#07082017").find("tidak ada di kalender"), std::string::npos);
  EXPECT_NE(detail("#Budi#29022023#07082017").find("bukan tahun kabisat"), std::string::npos);
  EXPECT_NE(detail("#Budi2#25011987#07082017").find("angka"), std::string::npos);
  EXPECT_NE(detail("# #25011987#07082017").find("Nama kosong"), std::string::npos);
  EXPECT_NE(detail(("#" + std::string(65, 'A') + "#25011987#07082017")).find("maksimal 64"),
            std::string::npos);
  EXPECT_NE(detail("#Budi#25011987").find("2 bagian"), std::string::npos);
  EXPECT_NE(detail("#Bu\xFF"
                   "di#1#2")
                .find("UTF-8"),
            std::string::npos);
  EXPECT_NE(detail("#Budi\x07#1#2").find("kontrol"), std::string::npos);
}

TEST(MessageParserName, KeepsTheWrittenNameAndAComparisonKey) {
  const auto r = std::get<Registration>(ParseMessage("#  budi   santoso #25011987#07082017", A));
  EXPECT_EQ(r.name, "budi santoso");
  EXPECT_EQ(r.name_key, "BUDI SANTOSO");
  EXPECT_EQ(NameKey("  budi\t santoso "), "BUDI SANTOSO");
  EXPECT_EQ(NameKey("José"), "JOSÉ");
}

TEST(MessageParserName, AnAccentTypedAsACombiningMarkIsTheSameLetter) {
  // "e" + U+0301 and "é" (U+00E9) look the same and are the same name (NFC composes them).
  const auto r = std::get<Registration>(
      ParseMessage("#Jose\u0301 Mu\u0308ller Franc\u0327ois#25011987#07082017", A));
  EXPECT_EQ(r.name, "Jos\u00e9 M\u00fcller Fran\u00e7ois");
  EXPECT_EQ(r.name_key, "JOS\u00c9 M\u00dcLLER FRAN\u00c7OIS");
  EXPECT_EQ(NameKey("jose\u0301"), NameKey("Jos\u00e9"));
  // A mark with no letter to compose with, or one outside Latin-1, stays as written.
  EXPECT_EQ(NameKey("\u0301a"), "\u0301A");
  EXPECT_EQ(NameKey("c\u030c"), "C\u030c");
}

TEST(MessageParserFormat, NamesRoundTrip) {
  for (MessageFormat f : {A, T}) EXPECT_EQ(*ParseMessageFormat(MessageFormatName(f)), f);
  EXPECT_FALSE(ParseMessageFormat("NAME_BIRTH_ARRIVAL").ok());
  EXPECT_TRUE(FormatHasArrivalDate(A));
  EXPECT_FALSE(FormatHasArrivalDate(T));
}

// Cheap robustness sweep: every byte value at every position of a valid message must give some
// outcome without crashing (the sanitizer build turns UB into a failure).
TEST(MessageParserRobustness, SingleByteMutationsNeverCrash) {
  const std::string seed = "#Budi#25011987#07082017";
  for (std::size_t pos = 0; pos < seed.size(); ++pos) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string m = seed;
      m[pos] = static_cast<char>(byte);
      const ParsedMessage got = ParseMessage(m, A);
      if (const auto* e = std::get_if<ParseError>(&got)) {
        EXPECT_FALSE(e->detail.empty());
      }
    }
  }
}

}  // namespace
}  // namespace antrean::domain
