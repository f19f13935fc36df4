// The WhatsApp message parser, for every office message format: the first byte picks the format,
// the rest is the text as an applicant typed it. Beyond "no crash, no UB", each result must keep
// the promises of domain/message_parser.h: real calendar dates, a clean name, arguments of their
// documented form, a known reason code; parsing is deterministic, and a registration written
// back in the plainest form reads as the same registration.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <variant>

#include "domain/message_parser.h"
#include "tests/fuzz/fuzz_support.h"

namespace antrean::fuzz::message_parser {

using domain::MessageFormat;

constexpr MessageFormat kFormats[] = {MessageFormat::kNameBirthArrival,
                                      MessageFormat::kNameBirthAddress};

std::string Ddmmyyyy(const domain::Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02d%04d", d.d, d.m, d.y);
  return buf;
}

bool IsCollapsed(std::string_view s) {
  return s.empty() || (s.front() != ' ' && s.back() != ' ' && s.find("  ") == s.npos);
}

void CheckRegistration(const domain::Registration& r, MessageFormat format) {
  FUZZ_CHECK(domain::IsValidDate(r.birth_date), r.name);
  FUZZ_CHECK(r.birth_date.y >= domain::kBirthYearMin, r.name);
  FUZZ_CHECK(r.arrival_date.has_value() == domain::FormatHasArrivalDate(format), r.name);
  if (r.arrival_date) FUZZ_CHECK(domain::IsValidDate(*r.arrival_date), r.name);
  const auto name_cps = Utf8CodePoints(r.name);
  FUZZ_CHECK(name_cps && *name_cps >= 1 && *name_cps <= domain::kNameCodePointsMax, r.name);
  FUZZ_CHECK(IsCollapsed(r.name) && r.name.find('#') == r.name.npos, r.name);
  for (char c : r.name) FUZZ_CHECK(!std::isdigit(static_cast<unsigned char>(c)), r.name);
  FUZZ_CHECK(r.name_key == domain::NameKey(r.name), r.name_key);
  const auto address_cps = Utf8CodePoints(r.address);
  FUZZ_CHECK(address_cps && *address_cps <= domain::kAddressCodePointsMax, r.address);
  FUZZ_CHECK(IsCollapsed(r.address) && r.address.find('#') == r.address.npos, r.address);
  FUZZ_CHECK(r.address.empty() == domain::FormatHasArrivalDate(format), r.address);

  // The plainest way to write the same registration must read back as exactly it.
  const std::string plain = "#" + r.name + "#" + Ddmmyyyy(r.birth_date) + "#" +
                            (r.arrival_date ? Ddmmyyyy(*r.arrival_date) : r.address);
  const auto again = domain::ParseMessage(plain, format);
  const auto* reread = std::get_if<domain::Registration>(&again);
  FUZZ_CHECK(reread != nullptr && *reread == r, plain);
}

void CheckInfo(const domain::InfoRequest& info) {
  const std::string& a = info.argument;
  switch (info.command) {
    case domain::InfoCommand::kCheckBooking:
      FUZZ_CHECK(!a.empty() && a.size() <= domain::kBookingCodeBytesMax, a);
      for (char c : a) FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-', a);
      break;
    case domain::InfoCommand::kApplicationStatus:
      FUZZ_CHECK(a.size() == domain::kApplicationNumberDigits, a);
      for (char c : a) FUZZ_CHECK(c >= '0' && c <= '9', a);
      break;
    default:
      FUZZ_CHECK(a.empty(), a);
  }
}

void CheckError(const domain::ParseError& e) {
  namespace reason = domain::reason;
  FUZZ_CHECK(e.reason == reason::kUnreadableMessage || e.reason == reason::kInvalidName ||
                 e.reason == reason::kInvalidBirthDate || e.reason == reason::kInvalidArrivalDate,
             e.reason);
  // The detail goes into a reply: it must be a sentence, and valid UTF-8 whatever the input was.
  FUZZ_CHECK(!e.detail.empty() && Utf8CodePoints(e.detail).has_value(), e.detail);
}

}  // namespace antrean::fuzz::message_parser

namespace antrean::fuzz {
// One input; aborts on a failed invariant. Also run by regressions_test.cc.
int MessageParserOne(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const domain::MessageFormat format =
      message_parser::kFormats[data[0] % std::size(message_parser::kFormats)];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const domain::ParsedMessage parsed = domain::ParseMessage(text, format);
  FUZZ_CHECK(domain::ParseMessage(text, format) == parsed, "parsing is not deterministic");
  if (const auto* r = std::get_if<domain::Registration>(&parsed)) {
    message_parser::CheckRegistration(*r, format);
  } else if (const auto* i = std::get_if<domain::InfoRequest>(&parsed)) {
    message_parser::CheckInfo(*i);
  } else {
    message_parser::CheckError(std::get<domain::ParseError>(parsed));
  }
  return 0;
}
}  // namespace antrean::fuzz

ANTREAN_FUZZ_ENTRY(antrean::fuzz::MessageParserOne)
