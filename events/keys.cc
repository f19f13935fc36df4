#include "events/keys.h"

#include <algorithm>
#include <cassert>
#include <type_traits>

#include "common/utf8.h"

namespace antrean::events {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// prefix ‖ body, without NUL bytes, cut to kIndexKeyBytesMax at a UTF-8 character boundary.
std::string Finish(std::string_view prefix, std::string_view body) {
  std::string key;
  key.reserve(std::min(prefix.size() + body.size(), store::kIndexKeyBytesMax));
  key.append(prefix);
  for (char c : body) {
    if (c != '\0') key.push_back(c);
  }
  // No character is split (the prefix is ASCII, so the cut never reaches into it).
  key.resize(Utf8Prefix(key, store::kIndexKeyBytesMax).size());
  assert(key.size() <= store::kIndexKeyBytesMax);
  assert(key.find('\0') == std::string::npos);
  return key;
}

}  // namespace

std::string CodeKey(std::string_view code) {
  std::string body;
  body.reserve(code.size());
  for (char c : code) {
    if (!IsSpace(c)) body.push_back(AsciiUpper(c));
  }
  return Finish(kCodeKeyPrefix, body);
}

std::string PhoneKey(std::string_view phone) {
  std::string digits;
  digits.reserve(phone.size() + 1);
  for (char c : phone) {
    if (IsDigit(c)) digits.push_back(c);
  }
  if (digits.size() >= 2 && digits[0] == '0' && digits[1] != '0') digits.replace(0, 1, "62");
  return Finish(kPhoneKeyPrefix, digits);
}

std::string PersonRef(std::string_view name, std::string_view birth_date) {
  std::string ref;
  ref.reserve(name.size() + 1 + birth_date.size());
  bool pending_space = false;
  for (char c : Trim(name)) {
    if (c == '|') c = ' ';
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (c == '\0') continue;
    if (pending_space && !ref.empty()) ref.push_back(' ');
    pending_space = false;
    ref.push_back(AsciiUpper(c));
  }
  ref.push_back('|');
  ref.append(Trim(birth_date));
  return ref;
}

std::string PersonKey(std::string_view name, std::string_view birth_date) {
  return Finish(kPersonKeyPrefix, PersonRef(name, birth_date));
}

std::string PersonKeyFromRef(std::string_view person_ref) {
  const std::size_t bar = person_ref.rfind('|');
  if (bar == std::string_view::npos) return PersonKey(person_ref, "");
  return PersonKey(person_ref.substr(0, bar), person_ref.substr(bar + 1));
}

std::string DayKey(std::string_view office, std::string_view date) {
  std::string body;
  body.reserve(office.size() + 1 + date.size());
  body.append(office).push_back('|');
  body.append(date);
  return Finish(kDayKeyPrefix, body);
}

std::string OfficeKey(std::string_view office) { return Finish(kOfficeKeyPrefix, office); }

std::string ApplicationKey(std::string_view application_number) {
  return Finish(kApplicationKeyPrefix, application_number);
}

std::string ReplyKey(std::string_view reply_id) { return Finish(kReplyKeyPrefix, reply_id); }

namespace {

// Collects keys in order, dropping duplicates and anything past the store's per-event limit.
class KeyList {
 public:
  void Add(std::string key) {
    if (keys_.size() >= store::kIndexKeysPerEventMax) return;
    if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) return;
    keys_.push_back(std::move(key));
  }
  std::vector<std::string> Take() && { return std::move(keys_); }

 private:
  std::vector<std::string> keys_;
};

// The local date of an RFC 3339 instant written with the office's offset: its first 10 bytes.
std::string_view LocalDate(std::string_view instant) { return instant.substr(0, 10); }

void AddKeys(KeyList& k, const MessageReceived& e) { k.Add(PhoneKey(e.from)); }

void AddKeys(KeyList& k, const RegistrationRejected& e) {
  k.Add(PhoneKey(e.phone));
  if (e.name && e.birth_date) k.Add(PersonKey(*e.name, *e.birth_date));
  if (e.arrival_date) k.Add(DayKey(e.office, *e.arrival_date));
}

void AddKeys(KeyList& k, const BookingCodeIssued& e) {
  k.Add(CodeKey(e.code));
  k.Add(PhoneKey(e.phone));
  k.Add(PersonKey(e.name, e.birth_date));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const ReplyQueued& e) {
  k.Add(ReplyKey(e.reply_id));
  k.Add(PhoneKey(e.to));
}

void AddKeys(KeyList& k, const ReplySent& e) { k.Add(ReplyKey(e.reply_id)); }
void AddKeys(KeyList& k, const ReplyFailed& e) { k.Add(ReplyKey(e.reply_id)); }

void AddKeys(KeyList& k, const ReplyDeliveryStatus& e) {
  if (e.reply_id) k.Add(ReplyKey(*e.reply_id));
  k.Add(PhoneKey(e.recipient));
}

void AddKeys(KeyList& k, const ApplicantArrived& e) {
  k.Add(CodeKey(e.code));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const ArrivalRejected& e) {
  k.Add(CodeKey(e.code));
  k.Add(DayKey(e.office, LocalDate(e.attempted_at)));
}

void AddKeys(KeyList& k, const IdentityChecked& e) {
  k.Add(CodeKey(e.code));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const BookingForfeited& e) {
  k.Add(CodeKey(e.code));
  k.Add(PhoneKey(e.phone));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const BookingExpired& e) {
  k.Add(CodeKey(e.code));
  k.Add(PhoneKey(e.phone));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const DocumentsSubmitted& e) {
  k.Add(CodeKey(e.code));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const DocumentsReturned& e) {
  k.Add(CodeKey(e.code));
  k.Add(DayKey(e.office, e.date));
}

void AddKeys(KeyList& k, const BookingCodeResent& e) {
  k.Add(CodeKey(e.code));
  k.Add(PhoneKey(e.phone));
}

void AddKeys(KeyList& k, const InformationRequested& e) {
  k.Add(PhoneKey(e.phone));
  if (e.argument && e.command == "check_booking") k.Add(CodeKey(*e.argument));
  if (e.argument && e.command == "application_status") k.Add(ApplicationKey(*e.argument));
}

void AddKeys(KeyList& k, const ApplicationProgressRecorded& e) {
  k.Add(ApplicationKey(e.application_number));
}

void AddKeys(KeyList& k, const PhoneFlagged& e) {
  k.Add(PhoneKey(e.phone));
  for (const auto& p : e.phones) k.Add(PhoneKey(p));
  for (const auto& p : e.persons) k.Add(PersonKeyFromRef(p));
}

void AddKeys(KeyList& k, const FlagCleared& e) { k.Add(PhoneKey(e.phone)); }
void AddKeys(KeyList& k, const PhoneBlacklisted& e) { k.Add(PhoneKey(e.phone)); }
void AddKeys(KeyList& k, const PhoneUnblacklisted& e) { k.Add(PhoneKey(e.phone)); }
void AddKeys(KeyList& k, const OfficeConfigurationApplied& e) { k.Add(OfficeKey(e.office)); }

}  // namespace

std::vector<std::string> IndexKeys(const Event& event) {
  KeyList keys;
  std::visit([&keys](const auto& e) { AddKeys(keys, e); }, event);
  return std::move(keys).Take();
}

}  // namespace antrean::events
