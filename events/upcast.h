// Upcasting: the one place where an event stored under an old type name becomes the current one.
//
// A published event never changes (docs/EVENTS.md, "Versioning"). When an event's shape must
// change, the new shape gets a new type name, the struct in event_types.h describes the new shape,
// and an upcaster here turns each stored old payload into a payload of the new type. DecodeEvent
// calls Upcast before decoding, so no other code ever sees an old version. Upcasting is pure and
// deterministic: the same old bytes always give the same new bytes.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/status.h"

namespace antrean::events {

// registration_rejected.v1, the first draft: {"message_id","office","phone","reason"} with the
// reason as free text. Upcast to registration_rejected.v2.
inline constexpr std::string_view kRegistrationRejectedV1 = "registration_rejected.v1";

// phone_flagged.v1: v2 without "offices". Upcast to phone_flagged.v2 with the payload as it is:
// "offices" absent means not recorded, and whoever needs the offices reads the evidence events.
inline constexpr std::string_view kPhoneFlaggedV1 = "phone_flagged.v1";

// Every old type name Upcast accepts.
inline constexpr std::array<std::string_view, 2> kUpcastTypeNames{kRegistrationRejectedV1,
                                                                  kPhoneFlaggedV1};

// True if `type` is an old type name that Upcast converts.
bool IsOldType(std::string_view type);

// An event converted to its current version: its current type name and canonical payload.
struct Upcasted {
  std::string type;
  std::string payload;
};

// Converts an event stored under an old type name to the current version. Errors: InvalidArgument
// when `type` is not an old type name, or when the old payload is not what that old type was
// (the message names the old type and the field, as DecodeEvent's do).
Result<Upcasted> Upcast(std::string_view type, std::string_view payload_json);

// registration_rejected.v1 → v2: the reason code for a v1 free-text reason. The text matches a code
// when, trimmed, lower-cased and with spaces and hyphens read as underscores, it equals one
// ("Day full" → "day_full"); anything else is "unreadable_message".
std::string_view RejectionReasonFromV1Text(std::string_view text);

}  // namespace antrean::events
