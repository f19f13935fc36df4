#include "domain/message_parser.h"

#include <algorithm>
#include <vector>

#include "common/utf8.h"

namespace antrean::domain {
namespace {

using Text = std::u32string;  // code points after decoding; fields are worked on as these

// ---------------------------------------------------------------------------------------------
// UTF-8

// Decodes strictly: no overlong forms, no surrogates, nothing above U+10FFFF. On failure
// returns false and the byte offset of the bad sequence.
bool DecodeUtf8(std::string_view in, Text* out, std::size_t* bad_offset) {
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8At(in, i, &cp);
    if (len == 0) {
      *bad_offset = i;
      return false;
    }
    out->push_back(cp);
    i += len;
  }
  return true;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string ToUtf8(const Text& text) {
  std::string out;
  for (char32_t cp : text) AppendUtf8(cp, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Character classes (cheap approximations of Unicode properties; no ICU in this project)

bool In(char32_t cp, char32_t lo, char32_t hi) { return cp >= lo && cp <= hi; }

bool IsAsciiDigit(char32_t cp) { return In(cp, '0', '9'); }
bool IsAsciiLetter(char32_t cp) { return In(cp, 'a', 'z') || In(cp, 'A', 'Z'); }

// Decimal digits a name must not contain, beyond ASCII (full-width ones are folded to ASCII).
bool IsOtherDigit(char32_t cp) {
  return In(cp, 0x0660, 0x0669) || In(cp, 0x06F0, 0x06F9) || In(cp, 0x0966, 0x096F) ||
         In(cp, 0xA9D0, 0xA9D9) || In(cp, 0x1B50, 0x1B59);
}

// Letters of the scripts an Indonesian name may plausibly be written in: Latin with diacritics,
// Greek, Cyrillic, Arabic (Jawi/Pegon), Indic, Thai, Javanese, Balinese, Sundanese, Buginese,
// CJK, kana, Hangul; plus combining accents.
bool IsOtherLetter(char32_t cp) {
  if (IsOtherDigit(cp)) return false;
  if (cp == 0x00D7 || cp == 0x00F7) return false;  // × ÷
  return In(cp, 0x00C0, 0x02AF) || In(cp, 0x0300, 0x036F) || In(cp, 0x0370, 0x03FF) ||
         In(cp, 0x0400, 0x052F) || In(cp, 0x0600, 0x06FF) || In(cp, 0x0750, 0x077F) ||
         In(cp, 0x0900, 0x0DFF) || In(cp, 0x0E00, 0x0EFF) || In(cp, 0x1A00, 0x1A1F) ||
         In(cp, 0x1B00, 0x1BBF) || In(cp, 0x1E00, 0x1EFF) || In(cp, 0x3040, 0x30FF) ||
         In(cp, 0x3400, 0x4DBF) || In(cp, 0x4E00, 0x9FFF) || In(cp, 0xA980, 0xA9DF) ||
         In(cp, 0xAC00, 0xD7A3);
}

bool IsPictograph(char32_t cp) {
  return In(cp, 0x1F000, 0x1FAFF) || In(cp, 0x2600, 0x27BF) || In(cp, 0x2B00, 0x2BFF) ||
         In(cp, 0xE0020, 0xE007F) || cp == 0x2764 || cp == 0x263A;
}

enum class Fold { kKeep, kSpace, kDrop, kControl };

// What the folding step does with one code point; may rewrite *cp (full-width to ASCII, ...).
Fold Classify(char32_t* cp) {
  const char32_t c = *cp;
  if (c == '\t' || c == '\n' || c == '\r' || c == 0x00A0 || c == 0x1680 || In(c, 0x2000, 0x200A) ||
      c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000) {
    return Fold::kSpace;
  }
  // Zero-width characters, direction marks and variation selectors: invisible, meaningless here.
  if (In(c, 0x200B, 0x200F) || c == 0x2060 || c == 0xFEFF || In(c, 0xFE00, 0xFE0F)) {
    return Fold::kDrop;
  }
  // C0, DEL, C1, and the bidi embeddings/overrides/isolates that can disguise text.
  if (c < 0x20 || In(c, 0x7F, 0x9F) || In(c, 0x202A, 0x202E) || In(c, 0x2066, 0x2069)) {
    return Fold::kControl;
  }
  if (In(c, 0xFF01, 0xFF5E)) *cp = c - 0xFEE0;  // full-width ASCII
  if (c == 0xFE5F) *cp = '#';                   // small number sign
  if (c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x0060 || c == 0x00B4) *cp = '\'';
  if (In(c, 0x2010, 0x2015) || c == 0x2212) *cp = '-';
  return Fold::kKeep;
}

// A letter followed by a combining accent ("E" U+0301) is the same name as the precomposed letter
// ("É" U+00C9), which is what most keyboards type: without this, "JOSÉ" typed two ways would be
// two persons, and one person could hold two active bookings. The compositions into Latin-1
// (what UpperLatin1 upper-cases), as Unicode's canonical composition (NFC) makes them.
struct Composition {
  char32_t mark;
  const char* bases;         // the letters this mark composes with, in order
  const char32_t* composed;  // what each becomes
};
constexpr char32_t kGrave[] = {0xC0, 0xC8, 0xCC, 0xD2, 0xD9, 0xE0, 0xE8, 0xEC, 0xF2, 0xF9};
constexpr char32_t kAcute[] = {0xC1, 0xC9, 0xCD, 0xD3, 0xDA, 0xDD,
                               0xE1, 0xE9, 0xED, 0xF3, 0xFA, 0xFD};
constexpr char32_t kCircumflex[] = {0xC2, 0xCA, 0xCE, 0xD4, 0xDB, 0xE2, 0xEA, 0xEE, 0xF4, 0xFB};
constexpr char32_t kTilde[] = {0xC3, 0xD1, 0xD5, 0xE3, 0xF1, 0xF5};
constexpr char32_t kDiaeresis[] = {0xC4, 0xCB, 0xCF, 0xD6, 0xDC, 0xE4,
                                   0xEB, 0xEF, 0xF6, 0xFC, 0xFF};
constexpr char32_t kRing[] = {0xC5, 0xE5};
constexpr char32_t kCedilla[] = {0xC7, 0xE7};
constexpr Composition kCompositions[] = {
    {0x0300, "AEIOUaeiou", kGrave},
    {0x0301, "AEIOUYaeiouy", kAcute},
    {0x0302, "AEIOUaeiou", kCircumflex},
    {0x0303, "ANOano", kTilde},
    {0x0308, "AEIOUaeiouy", kDiaeresis},
    {0x030A, "Aa", kRing},
    {0x0327, "Cc", kCedilla},
};

// Appends `cp` to `out`, composed with the letter before it where NFC would.
void PushComposed(char32_t cp, Text* out) {
  // Only a combining mark (U+0300..U+036F) after an ASCII letter can compose: every other
  // character of a message is appended without looking at the table.
  if (In(cp, 0x0300, 0x036F) && !out->empty() && In(out->back(), 'A', 'z')) {
    for (const Composition& c : kCompositions) {
      if (c.mark != cp) continue;
      for (std::size_t i = 0; c.bases[i] != '\0'; ++i) {
        if (static_cast<char32_t>(c.bases[i]) == out->back()) {
          out->back() = c.composed[i];
          return;
        }
      }
    }
  }
  out->push_back(cp);
}

// ---------------------------------------------------------------------------------------------
// Small text helpers

bool IsSpace(char32_t cp) { return cp == ' '; }

// Trims spaces (and, when asked, pictographs) at both ends and collapses inner space runs.
Text Tidy(const Text& in, bool trim_pictographs) {
  auto trimmable = [&](char32_t cp) {
    return IsSpace(cp) || (trim_pictographs && IsPictograph(cp));
  };
  std::size_t b = 0, e = in.size();
  while (b < e && trimmable(in[b])) ++b;
  while (e > b && trimmable(in[e - 1])) --e;
  Text out;
  for (std::size_t i = b; i < e; ++i) {
    if (IsSpace(in[i]) && !out.empty() && IsSpace(out.back())) continue;
    out.push_back(in[i]);
  }
  return out;
}

char32_t AsciiLower(char32_t cp) { return In(cp, 'A', 'Z') ? cp + 32 : cp; }

// Upper case for ASCII and Latin-1 letters; other scripts are compared as written.
char32_t UpperLatin1(char32_t cp) {
  if (In(cp, 'a', 'z')) return cp - 32;
  if (In(cp, 0x00E0, 0x00FE) && cp != 0x00F7) return cp - 0x20;
  if (cp == 0x00FF) return 0x0178;
  return cp;
}

std::string Lower(const Text& t) {
  std::string out;
  for (char32_t cp : t) AppendUtf8(AsciiLower(cp), &out);
  return out;
}

// At most kQuotedFieldMax characters of user text, quoted, for a detail sentence.
constexpr std::size_t kQuotedFieldMax = 40;
std::string Shown(const Text& t) {
  // Appended piece by piece: `"\"" + s` makes GCC 12 at -O3 warn (-Wrestrict, a false positive).
  std::string out = "\"";
  out += ToUtf8(t.size() <= kQuotedFieldMax ? t : t.substr(0, kQuotedFieldMax));
  out += t.size() <= kQuotedFieldMax ? "\"" : "...\"";
  return out;
}

std::size_t CountDigits(const Text& t) {
  return static_cast<std::size_t>(std::count_if(t.begin(), t.end(), IsAsciiDigit));
}

ParseError Error(std::string_view reason, std::string detail) {
  return ParseError{std::string(reason), std::move(detail)};
}

// ---------------------------------------------------------------------------------------------
// Folding and splitting

// Emoji at either end are ignored also when the optional leading or trailing '#'s stand outside
// them: "#BUDI#25011987#07082017 🙏#" reads as "#BUDI#25011987#07082017#" does, not with "🙏" in
// its last field. Drops the pictographs and spaces among the '#'s at both ends; keeps the '#'s.
Text TrimEdgePictographs(const Text& in) {
  auto edge = [](char32_t cp) { return cp == '#' || IsSpace(cp) || IsPictograph(cp); };
  std::size_t b = 0, e = in.size();
  while (b < e && edge(in[b])) ++b;
  while (e > b && edge(in[e - 1])) --e;
  Text out(static_cast<std::size_t>(std::count(in.begin(), in.begin() + b, U'#')), U'#');
  out.append(in, b, e - b);
  out.append(static_cast<std::size_t>(std::count(in.begin() + e, in.end(), U'#')), U'#');
  return out;
}

// Decodes, checks limits and folds. On success `folded` holds the message with spaces, full
// width and invisible characters normalised and emoji trimmed off both ends.
std::optional<ParseError> FoldMessage(std::string_view text, Text* folded) {
  if (text.size() > kMessageBytesMax) {
    return Error(
        reason::kUnreadableMessage,
        "Pesan terlalu panjang (maksimal " + std::to_string(kMessageCodePointsMax) + " karakter).");
  }
  Text decoded;
  std::size_t bad = 0;
  if (!DecodeUtf8(text, &decoded, &bad)) {
    return Error(reason::kUnreadableMessage,
                 "Pesan berisi teks yang rusak (bukan UTF-8 yang sah) "
                 "pada byte ke-" +
                     std::to_string(bad + 1) + ".");
  }
  if (decoded.size() > kMessageCodePointsMax) {
    return Error(
        reason::kUnreadableMessage,
        "Pesan terlalu panjang (maksimal " + std::to_string(kMessageCodePointsMax) + " karakter).");
  }
  Text out;
  for (char32_t cp : decoded) {
    switch (Classify(&cp)) {
      case Fold::kKeep:
        PushComposed(cp, &out);
        break;
      case Fold::kSpace:
        out.push_back(' ');
        break;
      case Fold::kDrop:
        break;
      case Fold::kControl:
        return Error(reason::kUnreadableMessage,
                     "Pesan berisi karakter kontrol yang tidak terlihat; ketik ulang pesannya.");
    }
  }
  *folded = Tidy(TrimEdgePictographs(out), /*trim_pictographs=*/true);
  return std::nullopt;
}

// Splits on '#' and tidies each field. Drops empty fields at the end (trailing '#'s) and the
// one at the start (the optional leading '#'); further empty leading fields only while there are
// more than kRegistrationFieldCount, so "##BUDI#..." is forgiven but "##25011987#..." still
// reads as an empty name.
std::vector<Text> SplitFields(const Text& message) {
  std::vector<Text> fields(1);
  for (char32_t cp : message) {
    if (cp == '#') {
      fields.emplace_back();
    } else {
      fields.back().push_back(cp);
    }
  }
  for (Text& f : fields) f = Tidy(f, /*trim_pictographs=*/false);
  while (!fields.empty() && fields.back().empty()) fields.pop_back();
  if (!fields.empty() && fields.front().empty()) fields.erase(fields.begin());
  while (fields.size() > kRegistrationFieldCount && fields.front().empty()) {
    fields.erase(fields.begin());
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Dates as people write them

// Splits "25-01-1987", "25 / 1 / 1987", "25.01.1987" into digit groups. False if anything but
// digits and separators appears.
bool DigitGroups(const Text& t, std::vector<std::string>* groups) {
  bool in_group = false;
  for (char32_t cp : t) {
    if (IsAsciiDigit(cp)) {
      if (!in_group) groups->emplace_back();
      groups->back() += static_cast<char>(cp);
      in_group = true;
    } else if (cp == '-' || cp == '/' || cp == '.' || cp == ' ') {
      in_group = false;
    } else {
      return false;
    }
  }
  return true;
}

int ToInt(const std::string& digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');  // callers pass at most 8 digits
  return v;
}

// `what` is the field's Indonesian name ("Tanggal lahir"); errors are whole sentences.
Result<Date> ParseWrittenDate(const Text& t, std::string_view what) {
  const std::string w(what);
  if (t.empty()) return Status::InvalidArgument(w + " kosong.");
  const std::string hint = " (tulis DDMMYYYY, contoh 25011987).";
  std::vector<std::string> g;
  if (!DigitGroups(t, &g)) {
    return Status::InvalidArgument(w + " " + Shown(t) + " berisi huruf atau tanda lain" + hint);
  }
  if (g.size() == 1 && g[0].size() == 8) g = {g[0].substr(0, 2), g[0].substr(2, 2), g[0].substr(4)};
  if (g.size() == 1 && g[0].size() == 6) {
    return Status::InvalidArgument(w + " " + Shown(t) + ": tahun harus ditulis 4 angka" + hint);
  }
  if (g.size() == 3 && g[0].size() == 4 && g[1].size() <= 2 && g[2].size() <= 2) {
    std::swap(g[0], g[2]);  // YYYY-MM-DD, as some phones fill it in
  }
  if (g.size() != 3 || g[0].size() > 2 || g[1].size() > 2 || g[2].size() != 4) {
    return Status::InvalidArgument(w + " " + Shown(t) + " tidak terbaca" + hint);
  }
  const Date date{ToInt(g[2]), ToInt(g[1]), ToInt(g[0])};
  if (date.m < 1 || date.m > 12) {
    return Status::InvalidArgument(w + " " + Shown(t) + ": bulan " + g[1] + " tidak ada.");
  }
  if (!IsValidDate(date)) {
    std::string why = w + " " + Shown(t) + " tidak ada di kalender";
    if (date.m == 2 && date.d == 29) why += " (" + g[2] + " bukan tahun kabisat)";
    return Status::InvalidArgument(why + ".");
  }
  return date;
}

// ---------------------------------------------------------------------------------------------
// Names and addresses

// The first thing wrong with a name, or nullopt. Letters of many scripts, spaces, and the
// punctuation real names carry (O'NEIL, MUH. ALI, SITI-AMINAH, BUDI, S.T.) are allowed.
std::optional<std::string> NameProblem(const Text& name) {
  if (name.empty()) return "Nama kosong.";
  if (name.size() > kNameCodePointsMax) {
    return "Nama terlalu panjang: " + std::to_string(name.size()) + " karakter, maksimal " +
           std::to_string(kNameCodePointsMax) + ".";
  }
  bool has_letter = false;
  for (char32_t cp : name) {
    if (IsAsciiDigit(cp) || IsOtherDigit(cp)) return "Nama tidak boleh berisi angka.";
    if (IsAsciiLetter(cp) || IsOtherLetter(cp)) {
      has_letter = true;
    } else if (cp != ' ' && cp != '\'' && cp != '.' && cp != '-' && cp != ',') {
      std::string shown;
      AppendUtf8(cp, &shown);
      return "Nama berisi karakter yang tidak boleh dipakai: \"" + shown + "\".";
    }
  }
  if (!has_letter) return "Nama harus berisi huruf.";
  return std::nullopt;
}

std::optional<std::string> AddressProblem(const Text& address) {
  if (address.empty()) return "Alamat kosong.";
  if (address.size() > kAddressCodePointsMax) {
    return "Alamat terlalu panjang: " + std::to_string(address.size()) + " karakter, maksimal " +
           std::to_string(kAddressCodePointsMax) + ".";
  }
  return std::nullopt;
}

Text UpperText(const Text& t) {
  Text out;
  for (char32_t cp : t) out.push_back(UpperLatin1(cp));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands (a message with one field)

std::optional<InfoCommand> Keyword(std::string_view word) {
  if (word == "syarat" || word == "persyaratan") return InfoCommand::kRequirements;
  if (word == "bayar" || word == "pembayaran") return InfoCommand::kPayment;
  if (word == "cek") return InfoCommand::kCheckBooking;
  if (word == "help" || word == "bantuan" || word == "menu" || word == "info") {
    return InfoCommand::kHelp;
  }
  return std::nullopt;
}

ParsedMessage CheckBooking(std::string_view rest) {
  std::string code;
  for (char c : rest) {
    if (c == ' ') continue;
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-';
    if (!ok || code.size() >= kBookingCodeBytesMax) {
      return Error(reason::kUnreadableMessage,
                   "Kode booking hanya berisi huruf dan angka, maksimal " +
                       std::to_string(kBookingCodeBytesMax) + " karakter.");
    }
    code += c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  }
  if (code.empty()) {
    return Error(reason::kUnreadableMessage,
                 "Tulis kode booking setelah #cek, contoh: #cek AB12CD34.");
  }
  return InfoRequest{InfoCommand::kCheckBooking, code};
}

// A single field: a command, an application number, chat (help), or a registration without
// its '#' separators.
ParsedMessage ParseSingleField(const Text& field, MessageFormat format) {
  const std::string lower = Lower(field);
  const std::size_t space = lower.find(' ');
  const std::string_view word = std::string_view(lower).substr(0, space);
  if (std::optional<InfoCommand> cmd = Keyword(word)) {
    if (*cmd != InfoCommand::kCheckBooking) return InfoRequest{*cmd, ""};
    return CheckBooking(space == std::string::npos ? "" : std::string_view(lower).substr(space));
  }
  std::vector<std::string> groups;
  const std::size_t digits = CountDigits(field);
  const bool only_number = digits > 0 && DigitGroups(field, &groups);
  if (only_number && digits == kApplicationNumberDigits) {
    std::string number;
    for (const std::string& g : groups) number += g;
    return InfoRequest{InfoCommand::kApplicationStatus, number};
  }
  // 13..19 digits and nothing else: an application number with a digit too many or too few.
  if (only_number && digits + 3 >= kApplicationNumberDigits &&
      digits <= kApplicationNumberDigits + 3) {
    return Error(reason::kUnreadableMessage,
                 "Nomor permohonan harus " + std::to_string(kApplicationNumberDigits) +
                     " angka, yang terkirim " + std::to_string(digits) + " angka.");
  }
  if (digits >= kRegistrationLikeDigitsMin) {
    return Error(reason::kUnreadableMessage,
                 std::string("Data harus dipisah dengan tanda #: nama, tanggal lahir, lalu ") +
                     (FormatHasArrivalDate(format) ? "tanggal kedatangan." : "alamat."));
  }
  return InfoRequest{InfoCommand::kHelp, ""};
}

// ---------------------------------------------------------------------------------------------
// Registrations (three fields)

ParsedMessage ParseRegistration(const std::vector<Text>& f, MessageFormat format) {
  const std::string third = FormatHasArrivalDate(format) ? "tanggal kedatangan" : "alamat";
  if (f.size() != kRegistrationFieldCount) {
    return Error(reason::kUnreadableMessage,
                 "Pesan berisi " + std::to_string(f.size()) +
                     " bagian yang dipisah tanda #, seharusnya 3: nama, tanggal lahir, " + third +
                     ".");
  }
  if (std::optional<std::string> problem = NameProblem(f[0])) {
    return Error(reason::kInvalidName, *problem);
  }
  Result<Date> birth = ParseWrittenDate(f[1], "Tanggal lahir");
  if (!birth.ok()) return Error(reason::kInvalidBirthDate, birth.status().message());
  if (birth->y < kBirthYearMin) {
    return Error(reason::kInvalidBirthDate, "Tahun lahir " + std::to_string(birth->y) +
                                                " tidak mungkin (paling awal " +
                                                std::to_string(kBirthYearMin) + ").");
  }
  Registration r;
  r.name = ToUtf8(f[0]);
  r.name_key = ToUtf8(UpperText(f[0]));
  r.birth_date = *birth;
  if (FormatHasArrivalDate(format)) {
    Result<Date> arrival = ParseWrittenDate(f[2], "Tanggal kedatangan");
    if (!arrival.ok()) return Error(reason::kInvalidArrivalDate, arrival.status().message());
    r.arrival_date = *arrival;
  } else {
    if (std::optional<std::string> problem = AddressProblem(f[2])) {
      return Error(reason::kUnreadableMessage, *problem);
    }
    r.address = ToUtf8(f[2]);
  }
  return r;
}

}  // namespace

std::string_view MessageFormatName(MessageFormat format) {
  switch (format) {
    case MessageFormat::kNameBirthArrival:
      return "name_birth_arrival";
    case MessageFormat::kNameBirthAddress:
      return "name_birth_address";
  }
  return "?";
}

Result<MessageFormat> ParseMessageFormat(std::string_view name) {
  for (MessageFormat f : {MessageFormat::kNameBirthArrival, MessageFormat::kNameBirthAddress}) {
    if (name == MessageFormatName(f)) return f;
  }
  return Status::InvalidArgument(
      "expected a message format name_birth_arrival or name_birth_address, got " + Quote(name));
}

bool FormatHasArrivalDate(MessageFormat format) {
  return format == MessageFormat::kNameBirthArrival;
}

std::string_view InfoCommandName(InfoCommand command) {
  switch (command) {
    case InfoCommand::kHelp:
      return "help";
    case InfoCommand::kRequirements:
      return "requirements";
    case InfoCommand::kPayment:
      return "payment";
    case InfoCommand::kCheckBooking:
      return "check_booking";
    case InfoCommand::kApplicationStatus:
      return "application_status";
  }
  return "?";
}

ParsedMessage ParseMessage(std::string_view text, MessageFormat format) {
  Text folded;
  if (std::optional<ParseError> error = FoldMessage(text, &folded)) return *error;
  const std::vector<Text> fields = SplitFields(folded);
  const auto filled =
      std::count_if(fields.begin(), fields.end(), [](const Text& f) { return !f.empty(); });
  if (filled == 0) return InfoRequest{InfoCommand::kHelp, ""};
  if (filled == 1 && fields.size() <= 2) {  // "#syarat", "##syarat"; not "#BUDI##"
    return ParseSingleField(
        *std::find_if(fields.begin(), fields.end(), [](const Text& f) { return !f.empty(); }),
        format);
  }
  return ParseRegistration(fields, format);
}

std::string NameKey(std::string_view name) {
  Text decoded;
  std::size_t bad = 0;
  if (!DecodeUtf8(name, &decoded, &bad)) return std::string(name);  // compare bytes as given
  Text folded;
  for (char32_t cp : decoded) {
    const Fold fold = Classify(&cp);
    if (fold == Fold::kSpace)
      folded.push_back(' ');
    else if (fold != Fold::kDrop)
      PushComposed(cp, &folded);
  }
  return ToUtf8(UpperText(Tidy(folded, /*trim_pictographs=*/false)));
}

}  // namespace antrean::domain
