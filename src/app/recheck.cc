#include "app/recheck.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "app/commands.h"
#include "app/service.h"
#include "common/scratch_dir.h"
#include "domain/civil_time.h"
#include "domain/office_config.h"
#include "events/codec.h"
#include "events/event.h"

namespace antrean::app {

namespace json = boost::json;

namespace {

// Commands decided again between two comparisons: the scratch ledger's group commit gathers
// their appends, and a difference is found at most this many commands after it was decided.
constexpr std::size_t kCommandsPerComparison = 2048;

// The scratch ledger holds one copy of what is rechecked; it needs no more memory than a replay.
constexpr std::size_t kScratchMemoryBytes = std::size_t{64} << 20;

// What every event of an append carries besides its payload.
struct Envelope {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  std::string cause_id;
  std::string actor;
  std::string idempotency_key;
  domain::Instant at() const { return domain::Instant{recorded_at_us}; }
};

// The request id a staff command was sent with: its idempotency key is "req:<id>"
// (app/service.cc); none otherwise.
std::string RequestIdOf(const Envelope& env) {
  constexpr std::string_view kPrefix = "req:";
  const std::string_view key = env.idempotency_key;
  return key.substr(0, kPrefix.size()) == kPrefix ? std::string(key.substr(kPrefix.size())) : "";
}

// A counter command's context, and its subject as the officer typed it: from the cause when the
// command had no request id (CounterCauseId names it), else the event's own.
Result<CounterContext> CounterContextOf(std::string_view type, const std::string& office_id,
                                        const Envelope& env, const domain::OfficeDirectory& offices,
                                        std::string* subject) {
  const domain::OfficeConfig* office = offices.FindById(office_id);
  if (office == nullptr) {
    return Status::InvalidArgument("office \"" + office_id +
                                   "\" has no configuration recorded before this event");
  }
  CounterContext ctx;
  ctx.at = env.at();
  ctx.office = office_id;
  ctx.officer = env.actor;
  ctx.request_id = RequestIdOf(env);
  if (ctx.request_id.empty()) {
    // "<type>@<office>@" subject "@<time>"
    const std::string empty = CounterCauseId(type, *office, "", env.at());
    const std::size_t prefix = std::string(type).size() + 1 + office_id.size() + 1;
    const std::string_view head = std::string_view(empty).substr(0, prefix);
    const std::string_view tail = std::string_view(empty).substr(prefix);
    const std::string_view cause = env.cause_id;
    if (cause.size() < empty.size() || cause.substr(0, head.size()) != head ||
        cause.substr(cause.size() - tail.size()) != tail) {
      return Status::InvalidArgument("its cause \"" + env.cause_id +
                                     "\" is neither a request id (the event has no request's "
                                     "idempotency key) nor the command's own (" +
                                     std::string(type) + "@office@subject@time)");
    }
    *subject = std::string(cause.substr(head.size(), cause.size() - empty.size()));
  }
  return ctx;
}

ReviewContext ReviewContextOf(const Envelope& env) {
  return ReviewContext{env.at(), env.actor, RequestIdOf(env)};
}

// The command whose decision begins with `first`. InvalidArgument, as a sentence for the report,
// when no command begins with such an event.
Result<Command> CommandOf(const events::Event& first, const Envelope& env,
                          const domain::OfficeDirectory& offices) {
  return std::visit(
      [&](const auto& e) -> Result<Command> {
        using T = std::decay_t<decltype(e)>;
        // A counter command: its context, with the subject as typed when the cause names it.
        const auto counter = [&](std::string_view type, const std::string& office,
                                 std::string* subject) {
          return CounterContextOf(type, office, env, offices, subject);
        };
        if constexpr (std::is_same_v<T, events::MessageReceived>) {
          return Command{MessageOf(e, env.at())};
        } else if constexpr (std::is_same_v<T, events::ApplicantArrived> ||
                             std::is_same_v<T, events::BookingForfeited> ||
                             std::is_same_v<T, events::ArrivalRejected>) {
          ArrivalCommand c;
          c.code = e.code;
          auto ctx = counter("counter.arrival", e.office, &c.code);
          if (!ctx.ok()) return ctx.status();
          c.ctx = std::move(*ctx);
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::IdentityChecked>) {
          IdentityCheckCommand c;
          c.code = e.code;
          auto ctx = counter("counter.identity_check", e.office, &c.code);
          if (!ctx.ok()) return ctx.status();
          c.ctx = std::move(*ctx);
          c.person_matches = e.person_matches;
          c.phone_matches = e.phone_matches;
          c.note = e.note;
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::DocumentsSubmitted> ||
                             std::is_same_v<T, events::DocumentsReturned>) {
          DocumentsCommand c;
          c.code = e.code;
          c.returned = std::is_same_v<T, events::DocumentsReturned>;
          auto ctx =
              counter(c.returned ? "counter.documents_returned" : "counter.documents_submitted",
                      e.office, &c.code);
          if (!ctx.ok()) return ctx.status();
          c.ctx = std::move(*ctx);
          if constexpr (std::is_same_v<T, events::DocumentsReturned>) c.reason = e.reason;
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::ApplicationProgressRecorded>) {
          ApplicationProgressCommand c;
          c.application_number = e.application_number;
          auto ctx = counter("office.application_progress", e.office, &c.application_number);
          if (!ctx.ok()) return ctx.status();
          c.ctx = std::move(*ctx);
          c.stage = e.stage;
          c.note = e.note;
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::BookingExpired>) {
          if (env.cause_id != "clock.tick@" + domain::FormatRfc3339(env.at(), 0)) {
            return Status::InvalidArgument(
                "an expiry is made by a clock tick, whose cause is "
                "\"clock.tick@<its time>\"; this one's is \"" +
                env.cause_id + "\"");
          }
          return Command{ClockTickCommand{env.at()}};
        } else if constexpr (std::is_same_v<T, events::ReplyDeliveryStatus>) {
          DeliveryStatusCommand c;
          c.at = env.at();
          c.provider_message_id = e.provider_message_id;
          c.status = e.status;
          c.recipient = e.recipient;
          c.error_code = e.error_code;
          c.error_title = e.error_title;
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::ReplySent>) {
          ReplyOutcomeCommand c;
          c.at = env.at();
          c.reply_id = e.reply_id;
          c.attempt = e.attempt;
          c.sent = true;
          c.provider_message_id = e.provider_message_id;
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::ReplyFailed>) {
          ReplyOutcomeCommand c;
          c.at = env.at();
          c.reply_id = e.reply_id;
          c.attempt = e.attempt;
          c.error = e.error;
          c.final = e.final;
          if (e.retry_at) {
            auto retry = domain::ParseRfc3339(*e.retry_at);
            if (!retry.ok())
              return Status::InvalidArgument("retry_at: " + retry.status().message());
            c.retry_at = *retry;
          }
          return Command{std::move(c)};
        } else if constexpr (std::is_same_v<T, events::PhoneBlacklisted>) {
          if (e.automatic) {
            return Status::InvalidArgument(
                "an automatic blacklisting is made by the detection with the decision that "
                "revealed it, never by a command of its own");
          }
          return Command{BlacklistCommand{ReviewContextOf(env), e.phone, e.reason, e.evidence}};
        } else if constexpr (std::is_same_v<T, events::PhoneUnblacklisted>) {
          return Command{UnblacklistCommand{ReviewContextOf(env), e.phone, e.reason}};
        } else if constexpr (std::is_same_v<T, events::FlagCleared>) {
          return Command{ClearFlagCommand{ReviewContextOf(env), e.flag_id, e.reason}};
        } else {
          return Status::InvalidArgument(
              "no command begins with " + std::string(T::kType) +
              ": it is made only as part of another decision, after the event that begins it");
        }
      },
      first);
}

// Every office's configuration as last recorded, loaded again as the office file would load it.
class RecordedOffices {
 public:
  void Apply(const events::OfficeConfigurationApplied& e, std::uint64_t seq) {
    configs_[e.office] = {e.config, e.config_digest, seq};
  }

  // The directory of every office recorded so far. InvalidArgument, naming the seq, when a
  // recorded configuration does not load as the same rules.
  Result<domain::OfficeDirectory> Directory() const {
    std::vector<json::object> offices;
    std::uint64_t newest = 0;
    for (const auto& [id, recorded] : configs_) {
      offices.push_back(recorded.config);
      newest = std::max(newest, recorded.seq);
    }
    auto directory = domain::LoadRecordedOffices(
        offices, "the office configurations recorded up to seq " + std::to_string(newest));
    if (!directory.ok()) return directory.status();
    for (const auto& [id, recorded] : configs_) {
      const domain::OfficeConfig* office = directory->FindById(id);
      const std::string digest =
          office != nullptr ? ConfigurationApplied(*office).config_digest : "";
      if (digest != recorded.digest) {
        return Status::InvalidArgument("the configuration of office \"" + id +
                                       "\" recorded at seq " + std::to_string(recorded.seq) +
                                       " (digest " + recorded.digest +
                                       ") loads as other rules (digest " + digest + ")");
      }
    }
    return directory;
  }

 private:
  struct Recorded {
    json::object config;
    std::string digest;
    std::uint64_t seq = 0;
  };
  std::map<std::string, Recorded> configs_;
};

RecheckEvent SideOf(const store::RecordedEvent& e) {
  return RecheckEvent{e.type, e.payload, e.cause.id, e.cause.actor,
                      domain::FormatRfc3339(domain::Instant{e.recorded_at_us}, 0)};
}

std::string Clip(std::string s) {
  constexpr std::size_t kMax = 200;
  if (s.size() > kMax) s = s.substr(0, kMax - 3) + "...";
  return s;
}

// The first payload member that differs, as a sentence; empty if the payloads are equal as JSON.
std::string PayloadDifference(const std::string& recorded, const std::string& decided) {
  boost::system::error_code ec1, ec2;
  const json::value a = json::parse(recorded, ec1);
  const json::value b = json::parse(decided, ec2);
  if (ec1 || ec2 || !a.is_object() || !b.is_object()) return "its payload differs";
  const json::object& ra = a.as_object();
  const json::object& rb = b.as_object();
  for (const auto& [key, value] : ra) {
    const json::value* other = rb.if_contains(key);
    if (other == nullptr) {
      return "payload member \"" + std::string(key) + "\": the ledger records " +
             Clip(json::serialize(value)) + ", the rules give none";
    }
    if (*other != value) {
      return "payload member \"" + std::string(key) + "\": the ledger records " +
             Clip(json::serialize(value)) + ", the rules give " + Clip(json::serialize(*other));
    }
  }
  for (const auto& [key, value] : rb) {
    if (!ra.contains(key)) {
      return "payload member \"" + std::string(key) +
             "\": the ledger records none, the rules give " + Clip(json::serialize(value));
    }
  }
  return "";
}

// What differs between the recorded event and the decided one at the same seq, as a sentence.
std::string Explain(const store::RecordedEvent& recorded, const store::RecordedEvent& decided) {
  if (recorded.type != decided.type) {
    return "the ledger records " + recorded.type + " where the rules give " + decided.type;
  }
  if (recorded.payload != decided.payload) {
    const std::string member = PayloadDifference(recorded.payload, decided.payload);
    if (member.empty()) return recorded.type + ": its payload's bytes differ";
    // Every booking code differs when the key does: say so where it shows first.
    const bool code = recorded.type == events::BookingCodeIssued::kType &&
                      member.rfind("payload member \"code\"", 0) == 0;
    return recorded.type + ": " + member +
           (code ? " (codes are derived with the booking-code key: is it the key the service "
                   "ran with?)"
                 : "");
  }
  if (recorded.cause != decided.cause) {
    return recorded.type + ": the ledger records the cause \"" + recorded.cause.id + "\" by \"" +
           recorded.cause.actor + "\", the rules give \"" + decided.cause.id + "\" by \"" +
           decided.cause.actor + "\"";
  }
  if (recorded.recorded_at_us != decided.recorded_at_us) {
    return recorded.type + ": recorded at another time than its command's";
  }
  if (recorded.idempotency_key != decided.idempotency_key) {
    return recorded.type + ": the ledger records the idempotency key \"" +
           recorded.idempotency_key + "\", the rules give \"" + decided.idempotency_key + "\"";
  }
  if (recorded.keys != decided.keys) return recorded.type + ": its index keys differ";
  return recorded.type +
         ": the same event, but not the same hash: the chain does not verify "
         "here (antrean verify names the fault)";
}

class Rechecker {
 public:
  Rechecker(const store::Ledger& source, store::Ledger& scratch, Service& service,
            std::uint64_t last_seq)
      : source_(source), scratch_(scratch), service_(service), last_seq_(last_seq) {}

  Status Run(RecheckReport* report) {
    Status scanned = source_.Scan(1, last_seq_, [this](const store::EventView& v) {
      if (Status s = OnEvent(v); !s.ok()) {
        failed_ = std::move(s);
        return false;
      }
      return !difference_.has_value();
    });
    if (!failed_.ok()) return failed_;
    if (!scanned.ok()) return scanned;
    if (!difference_) {
      if (Status s = Compare(); !s.ok()) return s;
    }
    const bool whole = last_seq_ == source_.GetHead().seq;
    if (!difference_ && whole && !window_.empty()) {
      // Events after the last command decided again, none of which begins a command: only
      // configurations, with no command after them (a cut by until_seq would explain that).
      Differ(window_.front().seq,
             "the ledger records this event, but no command after it "
             "gives it");
    }
    if (!difference_ && whole && service_.decided_seq() > last_seq_) {
      Differ(last_seq_ + 1,
             "the rules give more events for the last command than the ledger "
             "records");
    }
    report->last_seq = last_seq_;
    report->events_checked = checked_;
    report->commands = commands_;
    report->difference = std::move(difference_);
    return Status::Ok();
  }

 private:
  struct Pending {
    std::uint64_t seq;
    std::string hash;  // the recorded event's, 32 bytes
  };
  struct Decided {
    std::uint64_t first_seq;
    std::string command;
  };

  Status OnEvent(const store::EventView& v) {
    window_.push_back({v.seq, std::string(v.hash)});
    if (v.seq < next_start_) return Status::Ok();  // an event of the command decided last
    if (command_seq_ == 0) command_seq_ = v.seq;
    const Envelope env{v.seq, v.recorded_at_us, std::string(v.cause_id), std::string(v.cause_actor),
                       std::string(v.idempotency_key)};
    auto event = events::DecodeEvent(v.type, v.payload);
    if (!event.ok()) return Stop(v.seq, "the event does not decode: " + event.status().message());
    if (auto* config = std::get_if<events::OfficeConfigurationApplied>(&*event)) {
      // Recorded with the command after it, whose decision these rules explain.
      offices_.Apply(*config, v.seq);
      offices_changed_ = true;
      next_start_ = v.seq + 1;
      return Status::Ok();
    }
    if (offices_changed_) {
      auto directory = offices_.Directory();
      if (!directory.ok()) return Stop(command_seq_, directory.status().message());
      service_.SetOffices(std::move(directory).value());
      offices_changed_ = false;
    }
    if (Status s = TakeOutRemovedOffice(*event, v.seq); !s.ok()) return s;
    auto command = CommandOf(*event, env, service_.offices());
    if (!command.ok()) return Stop(v.seq, command.status().message());
    const std::string described = std::string(CommandTypeName(*command)) + " (cause \"" +
                                  env.cause_id + "\", at " + domain::FormatRfc3339(env.at(), 0) +
                                  ")";
    const std::uint64_t before = service_.decided_seq();
    // A command that appends nothing is answered at once, on this thread; one that appends is
    // answered later on the ledger's thread (a failure then shows in Service::health).
    auto answer = std::make_shared<std::optional<CommandResult>>();
    service_.Submit(*command, [answer](CommandResult r) { *answer = std::move(r); });
    ++commands_;
    const std::uint64_t after = service_.decided_seq();
    if (after == before) {
      std::string why = "the rules append nothing for this command";
      if (answer->has_value() && !(*answer)->status.ok()) {
        why += ": they refuse it: " + (*answer)->status.message();
      } else if (answer->has_value() && (*answer)->duplicate) {
        why += ": it is a duplicate of an earlier one";
      }
      decided_.push_back({command_seq_, described});
      return Stop(command_seq_, std::move(why));
    }
    decided_.push_back({command_seq_, described});
    next_start_ = after + 1;
    command_seq_ = 0;
    if (decided_.size() >= kCommandsPerComparison) return Compare();
    return Status::Ok();
  }

  // A message to an office the service no longer had (taken out of the office file after its
  // configuration was recorded) was answered as addressed to no office: decided again without it.
  // The office comes back with the next command (the recorded directory is applied again).
  Status TakeOutRemovedOffice(const events::Event& event, std::uint64_t seq) {
    const auto* m = std::get_if<events::MessageReceived>(&event);
    if (m == nullptr || service_.offices().FindById(m->office) == nullptr) return Status::Ok();
    auto next = source_.Get(seq + 1);
    if (!next.ok() || next->type != events::RegistrationRejected::kType) return Status::Ok();
    auto rejected = events::DecodeEvent(next->type, next->payload);
    if (!rejected.ok() ||
        std::get<events::RegistrationRejected>(*rejected).reason != "unknown_office") {
      return Status::Ok();
    }
    std::vector<domain::OfficeConfig> others;
    for (const domain::OfficeConfig& o : service_.offices().offices()) {
      if (o.id != m->office) others.push_back(o);
    }
    auto without = domain::OfficeDirectory::Make(std::move(others));
    if (!without.ok()) return without.status();
    service_.SetOffices(std::move(without).value());
    offices_changed_ = true;
    return Status::Ok();
  }

  // Waits for the decided events to be in the scratch ledger and compares them, in order, with
  // the recorded ones; the first that differs is the difference.
  Status Compare() {
    service_.Drain();
    if (Status health = service_.health(); !health.ok()) return health;
    if (window_.empty()) return Status::Ok();
    // The last command's events may run past the recorded events read so far.
    const std::uint64_t decided = std::min({scratch_.GetHead().seq, last_seq_, window_.back().seq});
    if (window_.front().seq > decided) return Status::Ok();
    std::uint64_t mismatch = 0;
    Status scanned = scratch_.Scan(window_.front().seq, decided, [&](const store::EventView& v) {
      const Pending& p = window_.front();
      if (p.seq != v.seq || p.hash != v.hash) {
        mismatch = p.seq;
        return false;
      }
      checked_ = p.seq;
      window_.pop_front();
      return true;
    });
    if (!scanned.ok()) return scanned;
    if (mismatch == 0) {
      while (decided_.size() > 1 && decided_[1].first_seq <= checked_ + 1) decided_.pop_front();
      return Status::Ok();
    }
    auto recorded = source_.Get(mismatch);
    if (!recorded.ok()) return recorded.status();
    auto made = scratch_.Get(mismatch);
    if (!made.ok()) return made.status();
    Differ(mismatch, Explain(*recorded, *made));
    difference_->recorded = SideOf(*recorded);
    difference_->decided = SideOf(*made);
    return Status::Ok();
  }

  // A difference found while reading the commands: the events decided before it are compared
  // first, since an earlier difference explains a later one.
  Status Stop(std::uint64_t seq, std::string what) {
    if (Status s = Compare(); !s.ok() || difference_) return s;
    Differ(seq, std::move(what));
    return Status::Ok();
  }

  void Differ(std::uint64_t seq, std::string what) {
    RecheckDifference d;
    d.seq = seq;
    d.what = std::move(what);
    // The last command decided again from at or before `seq`: the one whose events cover it, or
    // the one right before an event no command begins with.
    for (auto it = decided_.rbegin(); it != decided_.rend(); ++it) {
      if (it->first_seq <= seq) {
        d.command = it->command;
        d.command_seq = it->first_seq;
        break;
      }
    }
    if (auto recorded = source_.Get(seq); recorded.ok() && seq <= last_seq_) {
      d.recorded = SideOf(*recorded);
    }
    if (seq <= service_.decided_seq()) {
      if (auto made = scratch_.Get(seq); made.ok()) d.decided = SideOf(*made);
    }
    difference_ = std::move(d);
  }

  const store::Ledger& source_;
  store::Ledger& scratch_;
  Service& service_;
  const std::uint64_t last_seq_;
  RecordedOffices offices_;
  bool offices_changed_ = false;
  std::deque<Pending> window_;     // recorded events not yet compared, in seq order
  std::deque<Decided> decided_;    // commands decided again whose events are not all compared
  std::uint64_t next_start_ = 1;   // where the next command's events begin
  std::uint64_t command_seq_ = 0;  // where the current command's events begin (its configs)
  std::uint64_t checked_ = 0;
  std::uint64_t commands_ = 0;
  std::optional<RecheckDifference> difference_;
  Status failed_;
};

}  // namespace

Result<RecheckReport> Recheck(const store::Ledger& ledger, const RecheckOptions& options) {
  if (options.code_key.empty()) {
    return Status::InvalidArgument(
        "the booking-code key is needed: the booking codes are decided again too");
  }
  const auto started = std::chrono::steady_clock::now();
  const std::uint64_t head = ledger.GetHead().seq;
  const std::uint64_t last = options.until_seq == 0 ? head : std::min(options.until_seq, head);
  auto dir = MakeScratchDir(options.scratch_dir, "antrean-recheck");
  if (!dir.ok()) return dir.status();
  const ScratchDirRemover remover(*dir);
  store::Ledger::Options open;
  open.block_cache_bytes = kScratchMemoryBytes;
  open.memtables_bytes = kScratchMemoryBytes;
  auto scratch = store::Ledger::Open(*dir + "/ledger", open);
  if (!scratch.ok()) return scratch.status();
  RecheckReport report;
  {
    Service::Options service_options;
    service_options.code_key = options.code_key;
    Service service(**scratch, domain::OfficeDirectory(), service_options);
    Rechecker rechecker(ledger, **scratch, service, last);
    if (Status s = rechecker.Run(&report); !s.ok()) return s;
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace antrean::app
