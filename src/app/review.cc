#include "app/review.h"

#include <string>

#include "events/event_types.h"
#include "projections/decision_state.h"

namespace antrean::app {

namespace pj = projections;

namespace {

Result<bool> Blacklisted(StateReader& state, const std::string& phone) {
  auto row = pj::ReadRow<pj::PhoneRow>(state, pj::PhoneRowKey(phone));
  if (!row.ok()) return row.status();
  return row->has_value() && (*row)->blacklisted;
}

Decision Recorded(events::Event e) {
  Decision d;
  d.events.push_back(std::move(e));
  d.outcome.kind = Outcome::Kind::kRecorded;
  return d;
}

}  // namespace

Result<Decision> DecideBlacklist(const BlacklistCommand& c, StateReader& state,
                                 std::uint64_t newest_seq) {
  for (std::uint64_t seq : c.evidence) {
    if (seq > newest_seq) {
      return Status::InvalidArgument("field \"evidence\": there is no event " +
                                     std::to_string(seq) + " (the newest is " +
                                     std::to_string(newest_seq) + ")");
    }
  }
  auto listed = Blacklisted(state, c.phone);
  if (!listed.ok()) return listed.status();
  if (*listed) return Status::Conflict("field \"phone\": " + c.phone + " is already blacklisted");
  return Recorded(events::PhoneBlacklisted{c.phone, c.reason, c.evidence, false, std::nullopt});
}

Result<Decision> DecideUnblacklist(const UnblacklistCommand& c, StateReader& state) {
  auto listed = Blacklisted(state, c.phone);
  if (!listed.ok()) return listed.status();
  if (!*listed) return Status::Conflict("field \"phone\": " + c.phone + " is not blacklisted");
  return Recorded(events::PhoneUnblacklisted{c.phone, c.reason});
}

Result<Decision> DecideClearFlag(const ClearFlagCommand& c, StateReader& state) {
  auto flag = pj::ReadRow<pj::FlagRow>(state, pj::FlagRowKey(c.flag_id));
  if (!flag.ok()) return flag.status();
  if (!flag->has_value()) return Status::NotFound("field \"flag_id\": no flag \"" + c.flag_id + "\"");
  if (!(*flag)->in_force) {
    return Status::Conflict("field \"flag_id\": flag \"" + c.flag_id + "\" was already cleared by " +
                            (*flag)->cleared_by);
  }
  return Recorded(events::FlagCleared{c.flag_id, (*flag)->phone, c.reason});
}

}  // namespace antrean::app
