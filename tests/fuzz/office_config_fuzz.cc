// The office configuration loader (domain::LoadOfficeDirectory), on the file's bytes. A loaded
// directory keeps the promises of domain/office_config.h (sessions ordered, quota covering them,
// every reply text present, lookups by id and number finding each office), and its canonical
// JSON does not depend on the order of members in the file.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_support.h"

namespace antrean::fuzz::office_config {

void CheckOffice(const domain::OfficeDirectory& directory, const domain::OfficeConfig& o) {
  FUZZ_CHECK(!o.id.empty() && o.id.size() <= domain::kOfficeIdBytesMax, o.id);
  FUZZ_CHECK(directory.FindById(o.id) == &o, o.id);
  FUZZ_CHECK(!o.whatsapp_numbers.empty(), o.id);
  for (const auto& n : o.whatsapp_numbers) {
    FUZZ_CHECK(directory.FindByWhatsAppNumber(n.digits) == &o, n.digits);
  }
  FUZZ_CHECK(!o.sessions.empty() && o.sessions.size() <= domain::kSessionsPerDayMax, o.id);
  long capacity = 0;
  for (std::size_t i = 0; i < o.sessions.size(); ++i) {
    FUZZ_CHECK(o.sessions[i].capacity >= 1 && o.sessions[i].capacity <= domain::kSessionCapacityMax,
               o.id);
    FUZZ_CHECK(i == 0 || o.sessions[i - 1].start < o.sessions[i].start, o.id);
    capacity += o.sessions[i].capacity;
  }
  FUZZ_CHECK(o.daily_quota >= capacity && o.daily_quota <= domain::kDailyQuotaMax, o.id);
  for (std::size_t i = 0; i < o.holidays.size(); ++i) {
    FUZZ_CHECK(domain::IsValidDate(o.holidays[i]), o.id);
    FUZZ_CHECK(i == 0 || o.holidays[i - 1] < o.holidays[i], o.id);
  }
  if (o.registration_window) {
    FUZZ_CHECK(o.registration_window->start < o.registration_window->end, o.id);
  }
  for (auto key : domain::kReplyKeys) FUZZ_CHECK(o.replies.contains(key), std::string(key));
  // The example shown to users must itself be a registration in the office's format.
  const auto example = domain::ParseMessage(o.format_example, o.message_format);
  FUZZ_CHECK(std::holds_alternative<domain::Registration>(example), o.format_example);
}

// Reverses the member order of every object, at every depth.
void Reverse(boost::json::value& v) {
  if (auto* a = v.if_array()) {
    for (auto& x : *a) Reverse(x);
  } else if (auto* o = v.if_object()) {
    boost::json::object reversed;
    for (auto it = o->end(); it != o->begin();) {
      --it;
      Reverse(it->value());
      reversed.emplace(it->key(), std::move(it->value()));
    }
    *o = std::move(reversed);
  }
}

}  // namespace antrean::fuzz::office_config

namespace antrean::fuzz {
// One input; aborts on a failed invariant. Also run by regressions_test.cc.
int OfficeConfigOne(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto directory = domain::LoadOfficeDirectory(text, "fuzz.json");
  if (!directory.ok()) {
    FUZZ_CHECK(directory.status().IsInvalidArgument() &&
                   directory.status().message().starts_with("fuzz.json"),
               directory.status().ToString());
    return 0;
  }
  for (const auto& o : directory->offices()) office_config::CheckOffice(*directory, o);
  // Equal configurations give equal canonical bytes (what "office configuration applied"
  // events hash): the same file with every object's members in reverse order and without
  // whitespace loads to the same canonical JSON.
  boost::system::error_code ec;
  boost::json::value file = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec, "a file that is not JSON was loaded");
  office_config::Reverse(file);
  auto again = domain::LoadOfficeDirectory(boost::json::serialize(file), "fuzz.json");
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(domain::CanonicalJson(*again) == domain::CanonicalJson(*directory),
             domain::CanonicalJson(*directory));
  return 0;
}
}  // namespace antrean::fuzz

ANTREAN_FUZZ_ENTRY(antrean::fuzz::OfficeConfigOne)
