// Index keys: the names of the ledger's streams (docs/FORMAT.md, "Index keys").
//
// This is the only place that builds them, so that the writer of an event and the reader asking for
// a stream always spell a key the same way. Every builder normalises what people type (case,
// spaces, a leading 0 on a phone number), so a query built from an officer's input finds what the
// events were indexed under.
//
// Every key returned holds no NUL byte (NUL bytes in the input are dropped: the store uses
// `key ‖ 0x00` as a prefix) and is at most store::kIndexKeyBytesMax bytes (longer input is cut at a
// UTF-8 character boundary).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace antrean::events {

inline constexpr std::string_view kCodeKeyPrefix = "code:";
inline constexpr std::string_view kPhoneKeyPrefix = "phone:";
inline constexpr std::string_view kPersonKeyPrefix = "person:";
inline constexpr std::string_view kDayKeyPrefix = "day:";
inline constexpr std::string_view kOfficeKeyPrefix = "office:";
inline constexpr std::string_view kApplicationKeyPrefix = "app:";
inline constexpr std::string_view kReplyKeyPrefix = "reply:";

// "code:K7Q2M9XPA": every event of one booking code. ASCII letters are upper-cased and whitespace
// is dropped, so a code typed at the counter as "k7q2 m9xpa" names the same stream.
std::string CodeKey(std::string_view code);

// "phone:6281234567890": every event of one phone. Only digits are kept ("+62 812-3456" works) and
// a single leading 0 (the Indonesian trunk prefix, "0812...") becomes the country code 62.
std::string PhoneKey(std::string_view phone);

// "NAME|YYYY-MM-DD": a person as events and flags refer to them. The name's ASCII letters are
// upper-cased, runs of whitespace become one space, leading and trailing whitespace is dropped,
// and a '|' in the name becomes a space; the birth date is only trimmed.
std::string PersonRef(std::string_view name, std::string_view birth_date);

// "person:BUDI SANTOSO|1987-01-25": every event of one person (PersonRef of name and birth date).
std::string PersonKey(std::string_view name, std::string_view birth_date);

// As PersonKey, from a PersonRef-shaped "NAME|YYYY-MM-DD" (split at the last '|'; without one, the
// whole text is the name and the birth date is empty).
std::string PersonKeyFromRef(std::string_view person_ref);

// "day:bogor|2026-03-04": every event of one office's service day.
std::string DayKey(std::string_view office, std::string_view date);

// "office:bogor": office-wide events (configuration).
std::string OfficeKey(std::string_view office);

// "app:1234567890123456": one passport application's progress.
std::string ApplicationKey(std::string_view application_number);

// "reply:42": one outbound reply, its attempts and its delivery statuses.
std::string ReplyKey(std::string_view reply_id);

// The keys `event` is indexed under, without duplicates, in a stable order (the event's own
// subject first), at most store::kIndexKeysPerEventMax of them. docs/EVENTS.md lists them per type.
// A phone_flagged naming more phones and persons than fit keeps the first ones; the rest stay
// readable in its payload.
std::vector<std::string> IndexKeys(const Event& event);

}  // namespace antrean::events
