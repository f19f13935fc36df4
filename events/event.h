// Event: any one domain event, and the list of current type names.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "events/event_types.h"
#include "store/ledger.h"

namespace antrean::events {

using Event =
    std::variant<MessageReceived, RegistrationRejected, BookingCodeIssued, ReplyQueued, ReplySent,
                 ReplyFailed, ReplyDeliveryStatus, ApplicantArrived, ArrivalRejected,
                 IdentityChecked, BookingForfeited, BookingExpired, DocumentsSubmitted,
                 DocumentsReturned, ApplicationProgressRecorded, PhoneFlagged, FlagCleared,
                 PhoneBlacklisted, PhoneUnblacklisted, OfficeConfigurationApplied,
                 BookingCodeResent, InformationRequested>;

namespace detail {
template <std::size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> TypeNames(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, Event>::kType...};
}
}  // namespace detail

// The current type name of every event, in the order of Event's alternatives.
inline constexpr std::array<std::string_view, std::variant_size_v<Event>> kEventTypeNames =
    detail::TypeNames(std::make_index_sequence<std::variant_size_v<Event>>{});

// Every stored type name must fit the store's limit and name exactly one alternative.
consteval bool TypeNamesAreValid() {
  for (std::size_t i = 0; i < kEventTypeNames.size(); ++i) {
    if (kEventTypeNames[i].empty() || kEventTypeNames[i].size() > store::kEventTypeBytesMax) {
      return false;
    }
    for (std::size_t j = i + 1; j < kEventTypeNames.size(); ++j) {
      if (kEventTypeNames[i] == kEventTypeNames[j]) return false;
    }
  }
  return true;
}
static_assert(TypeNamesAreValid(), "event type names must be unique and fit kEventTypeBytesMax");

// A set of event types, named once: whether a type is in it (at compile time, for a visitor's
// branches) and whether a stored type name names one of them (for skipping the others unread).
template <class... Ts>
struct EventSet {
  template <class T>
  static constexpr bool kHas = (std::is_same_v<T, Ts> || ...);
  static bool Names(std::string_view type) { return ((Ts::kType == type) || ...); }
};

// The stored type name of the event, e.g. "booking_code_issued.v1".
inline std::string_view TypeName(const Event& event) {
  return std::visit([](const auto& e) -> std::string_view { return e.kType; }, event);
}

// The office the event names ("office"), for the types that have one.
inline std::optional<std::string_view> OfficeOf(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::optional<std::string_view> {
        if constexpr (requires { e.office; }) return std::string_view(e.office);
        return std::nullopt;
      },
      event);
}

}  // namespace antrean::events
