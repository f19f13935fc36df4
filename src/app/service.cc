#include "app/service.h"

#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "common/string_map.h"
#include "events/codec.h"
#include "projections/fold.h"
#include "projections/forensics.h"

namespace antrean::app {

namespace {

// Rows the service keeps in memory: hot rows (days, offices) stay, and a decision's reads after
// its own fold hit memory. About 300 bytes a row: tens of MiB at most.
constexpr std::size_t kRowCacheMax = 100'000;

// Expiries per append in one sweep; a sweep with more makes several appends.
constexpr std::size_t kExpiriesPerAppendMax = 512;
static_assert(kExpiriesPerAppendMax <= store::kAppendEventsMax);

// Idempotency keys: WhatsApp retries a webhook with the same message id; staff requests may carry
// a request id. Both are kept for the ledger's life.
std::string MessageIdempotencyKey(std::string_view id) { return "wa:" + std::string(id); }
std::string RequestIdempotencyKey(std::string_view id) { return "req:" + std::string(id); }
// A delivery status is WhatsApp's (message id, status) pair: each is recorded once however often
// the webhook is retried. A send attempt is (reply id, attempt).
std::string StatusIdempotencyKey(const DeliveryStatusCommand& c) {
  return "st:" + c.provider_message_id + "#" + c.status;
}
std::string OutcomeIdempotencyKey(const ReplyOutcomeCommand& c) {
  return "out:" + c.reply_id + "#" + std::to_string(c.attempt);
}

// Rebuilds what the caller was told the first time, from the events that were appended then.
void FillFromEvent(const events::Event& event, Outcome* o) {
  std::visit(
      [o](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::BookingCodeIssued>) {
          o->kind = Outcome::Kind::kIssued;
          o->booking_code = e.code;
          o->queue_number = e.queue_number;
          o->date = e.date;
          o->session = e.session;
          o->arrive_by = e.arrive_by;
        } else if constexpr (std::is_same_v<T, events::RegistrationRejected>) {
          o->kind = Outcome::Kind::kRejected;
          o->reason = e.reason;
          o->detail = e.detail;
          o->next_available_date = e.next_available_date.value_or("");
        } else if constexpr (std::is_same_v<T, events::ReplyQueued>) {
          o->reply = e.text;
        } else if constexpr (std::is_same_v<T, events::BookingCodeResent>) {
          o->kind = Outcome::Kind::kRepeated;
          o->booking_code = e.code;
          o->queue_number = e.queue_number;
          o->date = e.date;
          o->session = e.session;
          o->arrive_by = e.arrive_by;
        } else if constexpr (std::is_same_v<T, events::InformationRequested>) {
          o->kind = Outcome::Kind::kInformation;
          o->information = e.command;
        } else if constexpr (std::is_same_v<T, events::ApplicantArrived>) {
          o->kind = Outcome::Kind::kArrived;
          o->booking_code = e.code;
          o->queue_number = e.queue_number;
          o->date = e.date;
          o->session = e.session;
          o->arrive_by = e.arrive_by;
        } else if constexpr (std::is_same_v<T, events::BookingForfeited>) {
          // The session and queue number are the booking's: Reconstruct reads them.
          o->kind = Outcome::Kind::kForfeited;
          o->booking_code = e.code;
          o->reason = e.reason;
          o->date = e.date;
          o->arrive_by = e.arrive_by;
        } else if constexpr (std::is_same_v<T, events::IdentityChecked> ||
                             std::is_same_v<T, events::DocumentsSubmitted> ||
                             std::is_same_v<T, events::DocumentsReturned>) {
          o->kind = Outcome::Kind::kRecorded;
          o->booking_code = e.code;
        } else if constexpr (std::is_same_v<T, events::ArrivalRejected>) {
          o->kind = Outcome::Kind::kArrivalRejected;
          o->booking_code = e.code;
          o->reason = e.reason;
        }
      },
      event);
}

}  // namespace

events::OfficeConfigurationApplied ConfigurationApplied(const domain::OfficeConfig& office) {
  boost::system::error_code ec;
  auto v = boost::json::parse(domain::CanonicalJson(office), ec);
  events::OfficeConfigurationApplied e;
  e.office = office.id;
  if (!ec && v.is_object()) e.config = v.as_object();
  e.config_digest = events::ConfigDigest(e.config);
  return e;
}

std::string CounterCauseId(std::string_view type, const domain::OfficeConfig& office,
                           std::string_view subject, domain::Instant at) {
  std::string id(type);
  id.append("@").append(office.id).append("@").append(subject).append("@");
  id += domain::FormatRfc3339(at, office.time_zone);
  return id;
}

std::string ReviewCauseId(std::string_view type, std::string_view subject, domain::Instant at) {
  std::string id(type);
  id.append("@").append(subject).append("@");
  id += domain::FormatRfc3339(at, 0);
  return id;
}

class Service::Impl final : public projections::StateRows {
 public:
  Impl(store::Ledger& ledger, domain::OfficeDirectory offices, Options options)
      : ledger_(ledger), options_(std::move(options)), next_seq_(ledger.GetHead().seq + 1) {
    SetOffices(std::move(offices));
    // Before any decision reads a row: the rows must be in the layout the folds read.
    auto upgraded = projections::UpgradeState(ledger_);
    if (upgraded.ok()) {
      upgraded_ = *upgraded;
    } else {
      failed_ = upgraded.status();
      failed_in_ = "a failed upgrade of the derived state";
    }
  }
  projections::StateUpgradeReport upgraded() const { return upgraded_; }

  void SetOffices(domain::OfficeDirectory offices) {
    offices_ = std::move(offices);
    configs_.clear();
    confirmed_configs_.clear();
    for (const auto& office : offices_.offices()) configs_.emplace(office.id, ConfigurationApplied(office));
  }

  // ---- StateRows: the row cache (which holds every row of appends in flight), then the ledger.
  Result<std::optional<std::string>> Read(std::string_view key) override {
    // The append being built sees its own changes first (only the deciding thread reads here).
    if (auto it = staged_.find(key); it != staged_.end()) return it->second;
    {
      std::lock_guard lk(mu_);
      if (auto it = rows_.find(key); it != rows_.end()) return it->second.value;
    }
    auto stored = ledger_.GetState(key);
    if (!stored.ok()) return stored;
    std::lock_guard lk(mu_);
    // Only this thread writes rows, so nothing can have staged the key meanwhile; cache what the
    // ledger holds (absence too: most phones and persons are new, and are read twice).
    auto [it, inserted] = rows_.try_emplace(std::string(key), Row{*stored, 0, false});
    if (inserted) Remember(it->first);
    return it->second.value;
  }
  // Called by the fold on the deciding thread: the change is staged for the append being built
  // (the next fold step reads it there), and joins the row cache when the append is handed to the
  // ledger, for the next decisions.
  void Write(std::string key, std::string value) override {
    staged_.insert_or_assign(std::move(key), std::move(value));
  }
  void Erase(std::string key) override { staged_.insert_or_assign(std::move(key), std::nullopt); }
  projections::DecodedRows* decoded() override { return &decoded_; }

  void Submit(const Command& command, Done done);
  void Drain() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return in_flight_ == 0; });
  }
  const domain::OfficeDirectory& offices() const { return offices_; }
  Status health() {
    std::lock_guard lk(mu_);
    return failed_;
  }
  std::uint64_t decided_seq() {
    std::lock_guard lk(mu_);
    // next_seq_ is set by each Append; with nothing in flight, the head is the truth (tools and
    // tests may append between commands, as Append itself allows for).
    return in_flight_ == 0 ? ledger_.GetHead().seq : next_seq_ - 1;
  }

 private:
  struct InFlight {
    std::vector<Done> duplicates;  // the same idempotency key submitted again while in flight
  };
  struct Row {
    std::optional<std::string> value;  // nullopt: absent or erased
    std::uint64_t version = 0;         // of the staged change (0: read from the ledger)
    bool pending = false;              // staged by an append not yet durable: must not be evicted
  };
  // Who and what an append is for: the envelope of its events.
  struct Envelope {
    std::int64_t at_us = 0;
    std::string cause_id;
    std::string actor;
    std::string idempotency_key;  // empty: none
  };

  // Bounded cache: rows enter a FIFO; beyond kRowCacheMax the oldest durable rows are dropped
  // (they are in the ledger). Rows still pending are kept and re-queued. Caller holds mu_.
  void Remember(const std::string& key) {
    fifo_.push_back(key);
    for (std::size_t tries = fifo_.size(); rows_.size() > kRowCacheMax && tries > 0; --tries) {
      std::string oldest = std::move(fifo_.front());
      fifo_.pop_front();
      auto it = rows_.find(oldest);
      if (it == rows_.end()) continue;
      if (it->second.pending) fifo_.push_back(std::move(oldest));
      else rows_.erase(it);
    }
  }

  // Answers `done` now if the key was seen: from the ledger, or once the in-flight original
  // finishes. Returns true when it did.
  bool AnsweredAsDuplicate(const std::string& key, Done& done);
  void Refuse(Status status, const Done& done) { done(CommandResult{std::move(status), false, {}, {}}); }
  Status RecordConfiguration(const domain::OfficeConfig& office, Decision* d);
  // Names the offices of each flag's evidence (phone_flagged.v2 "offices"), from the events of
  // this append (`appended`, from `first_seq`), of appends in flight, or of the ledger.
  Status NameOffices(std::vector<events::Event>& found, std::uint64_t first_seq,
                     const std::vector<events::Event>& appended);
  CommandResult Reconstruct(const store::AppendResult& prior);
  // Folds the decision's events, then appends them with their rows; `done` runs when durable.
  void Append(Decision decision, const Envelope& envelope, Done done);
  void Finish(const std::shared_ptr<InFlight>& flight, const std::string& key,
              const std::vector<std::pair<std::string, std::uint64_t>>& versions,
              CommandResult result, const Done& done);

  void SubmitMessage(const InboundMessage& m, Done done);
  void SubmitTick(const ClockTickCommand& tick, Done done);
  // `type` is the command's CommandTypeName; `subject` what it is about (a code, a phone, ...).
  // Together with the time they name the cause when there is no request id.
  template <class C, class DecideFn>
  void SubmitCounter(C command, std::string_view type, std::string_view subject, DecideFn decide,
                     Done done);
  template <class C, class DecideFn>
  void SubmitReview(const C& command, std::string_view type, std::string_view subject,
                    DecideFn decide, Done done);
  // Commands with no office rules to record and an idempotency key of their own: delivery
  // statuses and outbox outcomes.
  template <class C, class DecideFn>
  void SubmitPlain(const C& command, std::string key, std::string actor, DecideFn decide,
                   Done done);

  store::Ledger& ledger_;
  domain::OfficeDirectory offices_;
  Options options_;
  std::unordered_map<std::string, events::OfficeConfigurationApplied> configs_;
  // Per office, the bytes of its cf/ row last found to hold configs_' digest (deciding thread).
  std::unordered_map<std::string, std::string> confirmed_configs_;
  std::uint64_t next_seq_;  // the sequence number of the next event appended (decision thread)

  std::mutex mu_;
  std::condition_variable cv_;
  // Looked up by string_view: a read that hits the cache allocates nothing.
  StringMap<Row> rows_;                         // the row cache; mu_
  std::deque<std::string> fifo_;                // eviction order of rows_; guarded by mu_
  std::uint64_t version_ = 0;                     // guarded by mu_
  std::size_t in_flight_ = 0;                     // guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<InFlight>> in_flight_by_key_;  // mu_
  // With detection on: the office ("" for none) of each event appended and not yet durable, in
  // sequence from offices_first_seq_, for NameOffices (the ledger cannot be read there yet). The
  // service appends in order and the ledger acknowledges in order, so it is a queue.
  std::deque<std::string> offices_in_flight_;                                   // mu_
  std::uint64_t offices_first_seq_ = 0;                                         // mu_
  Status failed_;                                                               // mu_
  std::string failed_in_ = "a failed append";  // what failed_ stopped; mu_
  projections::StateUpgradeReport upgraded_;   // what the constructor moved
  // The changes the folds staged for the append being built, by key: only the deciding thread
  // touches them, so they need no lock. Appending publishes them to rows_ under one lock (before,
  // each row staged took mu_ by itself, and with the detection's rows the deciding thread spent
  // much of its time waiting for the ack thread's Finish on that lock). Empty between appends:
  // Append empties it when it publishes, and `stop` when a fold fails.
  std::map<std::string, std::optional<std::string>, std::less<>> staged_;
  // The detection's decoded thresholds, kept between appends (deciding thread only).
  projections::ThresholdsCache thresholds_;
  // Decoded day and booking rows, by their bytes (deciding thread only, as Read is).
  projections::DecodedRows decoded_;
};

bool Service::Impl::AnsweredAsDuplicate(const std::string& key, Done& done) {
  {
    std::lock_guard lk(mu_);
    if (auto it = in_flight_by_key_.find(key); it != in_flight_by_key_.end()) {
      it->second->duplicates.push_back(std::move(done));
      return true;
    }
  }
  auto prior = ledger_.FindIdempotent(key);
  if (!prior.ok()) {
    Refuse(prior.status(), done);
    return true;
  }
  if (!prior->has_value()) return false;
  done(Reconstruct(**prior));
  return true;
}

// Prepends "office configuration applied" when the rules in force differ from the last ones
// recorded, so every decision can be explained by the rules recorded before it.
Status Service::Impl::RecordConfiguration(const domain::OfficeConfig& office, Decision* d) {
  const auto& applied = configs_.at(office.id);
  const std::string key = projections::ConfigRowKey(office.id);
  auto bytes = Read(key);
  if (!bytes.ok()) return bytes.status();
  if (bytes->has_value()) {
    // Bytes last found to hold the configuration in force need no decoding: every message asks,
    // and decoding the row with its capacities was 4% of the deciding thread's instructions.
    std::string& confirmed = confirmed_configs_[office.id];
    if (confirmed == **bytes) return Status::Ok();
    auto row = projections::DecodeRowAt<projections::ConfigRow>(key, **bytes);
    if (!row.ok()) return row.status();
    if (row->digest == applied.config_digest) {
      confirmed = std::move(**bytes);
      return Status::Ok();
    }
  }
  d->events.insert(d->events.begin(), applied);
  return Status::Ok();
}

CommandResult Service::Impl::Reconstruct(const store::AppendResult& prior) {
  CommandResult r;
  r.duplicate = true;
  for (std::uint64_t seq = prior.first_seq; seq <= prior.last_seq(); ++seq) {
    auto e = ledger_.Get(seq);
    if (!e.ok()) {
      r.status = e.status();
      return r;
    }
    r.events.push_back({seq, e->type});
    auto decoded = events::DecodeEvent(e->type, e->payload);
    if (decoded.ok()) FillFromEvent(*decoded, &r.outcome);
  }
  if (r.outcome.kind == Outcome::Kind::kForfeited) {
    // A booking's session and queue number never change once issued.
    auto booking = projections::ReadRow<projections::BookingRow>(
        *this, projections::BookingRowKey(r.outcome.booking_code));
    if (booking.ok() && booking->has_value()) {
      r.outcome.session = (*booking)->session;
      r.outcome.queue_number = (*booking)->queue_number;
    }
  }
  return r;
}

void Service::Impl::Append(Decision decision, const Envelope& envelope, Done done) {
  if (decision.events.empty()) {  // e.g. a sweep that found nothing to expire
    done(CommandResult{Status::Ok(), false, {}, std::move(decision.outcome)});
    return;
  }
  store::AppendRequest request;
  request.recorded_at_us = envelope.at_us;
  request.cause = {envelope.cause_id, envelope.actor};
  request.idempotency_key = envelope.idempotency_key;
  request.state_checkpoint_key = std::string(projections::kCheckpointKey);
  std::vector<std::string> types;
  for (const auto& e : decision.events) {
    request.events.push_back(events::ToNewEvent(e));
    types.push_back(request.events.back().type);
    // Nothing the ledger could not read back may reach it: what is about to be stored is checked
    // as decoding it would check it (events::Validate). Checked before the fold touches any row,
    // so a refusal leaves the service as it was.
    if (Status valid = events::Validate(e, request.events.back().payload); !valid.ok()) {
      return Refuse(Status::InvalidArgument("refusing to append an event that does not decode: " +
                                            valid.message()),
                    done);
    }
  }
  const projections::FoldContext fold_context{envelope.actor, envelope.at_us};
  // The decision made an event the fold cannot read, or the detection failed: a programming
  // error or a damaged state. The rows staged so far are dropped, but what else the failure
  // means is unknown, so the service stops (fail-stop, see service.h).
  const auto stop = [this, &done](Status why) {
    staged_.clear();
    std::lock_guard lk(mu_);
    failed_ = why;
    Refuse(std::move(why), done);
  };
  // The sequence numbers these events will get: this service is the ledger's only writer and
  // appends in order, so they follow the last append's (checked when the append completes). With
  // nothing in flight the head says it (tools and tests may append between commands).
  {
    std::lock_guard lk(mu_);
    if (in_flight_ == 0) next_seq_ = ledger_.GetHead().seq + 1;
  }
  const std::uint64_t first_seq = next_seq_;
  if (!options_.detect) {
    for (std::size_t i = 0; i < decision.events.size(); ++i) {
      if (Status folded = projections::FoldEvent(decision.events[i], fold_context, *this);
          !folded.ok()) {
        return stop(folded);
      }
    }
  } else {
    // The detection's flags (and automatic blacklistings) join the same append: what the
    // command revealed is on the record as soon as the command is.
    projections::ForensicsPass pass(*this, thresholds_);
    for (std::size_t i = 0; i < decision.events.size(); ++i) {
      if (Status folded = pass.Fold(decision.events[i], first_seq + i, fold_context);
          !folded.ok()) {
        return stop(folded);
      }
    }
    auto found = pass.Detect(decision.events, fold_context);
    if (!found.ok()) return stop(found.status());
    if (Status named = NameOffices(*found, first_seq, decision.events); !named.ok()) {
      return stop(named);
    }
    for (auto& e : *found) {
      const std::uint64_t seq = first_seq + request.events.size();
      request.events.push_back(events::ToNewEvent(e));
      types.push_back(request.events.back().type);
      Status folded = events::Validate(e, request.events.back().payload);
      if (folded.ok()) folded = pass.Fold(e, seq, fold_context);
      if (!folded.ok()) return stop(folded);
    }
    if (Status flushed = pass.Flush(); !flushed.ok()) return stop(flushed);
  }
  next_seq_ = first_seq + request.events.size();
  std::vector<std::pair<std::string, std::uint64_t>> versions;
  auto flight = std::make_shared<InFlight>();
  {
    std::lock_guard lk(mu_);
    versions.reserve(staged_.size());
    for (auto& [key, value] : staged_) {
      // Into the row cache, pinned until the append is durable (Finish), then into the request.
      auto [it, inserted] = rows_.try_emplace(key);
      it->second = Row{value, ++version_, true};
      if (inserted) Remember(it->first);
      versions.emplace_back(key, version_);
      if (value) {
        request.state_puts.emplace_back(key, std::move(*value));
      } else {
        request.state_deletes.push_back(key);
      }
    }
    staged_.clear();
    ++in_flight_;
    if (!envelope.idempotency_key.empty()) in_flight_by_key_[envelope.idempotency_key] = flight;
    if (options_.detect && offices_in_flight_.empty()) offices_first_seq_ = first_seq;
    for (std::size_t i = 0; options_.detect && i < request.events.size(); ++i) {
      const auto office =
          i < decision.events.size() ? events::OfficeOf(decision.events[i]) : std::nullopt;
      offices_in_flight_.emplace_back(office.value_or(""));
    }
  }
  const std::uint64_t last_seq = first_seq + request.events.size() - 1;
  ledger_.AppendAsync(
      std::move(request), [this, flight, first_seq, last_seq, key = envelope.idempotency_key,
                           versions = std::move(versions), types = std::move(types),
                           outcome = std::move(decision.outcome),
                           done = std::move(done)](Result<store::AppendResult> appended) mutable {
        CommandResult result;
        if (appended.ok() && (appended->duplicate || appended->first_seq != first_seq)) {
          // The detection's evidence named sequence numbers these events did not get.
          appended = Status::Corruption(
              "the ledger gave sequence number " + std::to_string(appended->first_seq) +
              " where the service expected " + std::to_string(first_seq) +
              " (another writer?); the service stops");
        }
        if (appended.ok()) {
          for (std::size_t i = 0; i < types.size(); ++i) {
            result.events.push_back({appended->first_seq + i, types[i]});
          }
          result.duplicate = appended->duplicate;
          result.outcome = std::move(outcome);
        } else {
          result.status = appended.status();
        }
        {
          // Durable (or failed, and the service stops): the ledger answers for these now.
          std::lock_guard lk(mu_);
          while (!offices_in_flight_.empty() && offices_first_seq_ <= last_seq) {
            offices_in_flight_.pop_front();
            ++offices_first_seq_;
          }
        }
        Finish(flight, key, versions, std::move(result), done);
      });
}

Status Service::Impl::NameOffices(std::vector<events::Event>& found, std::uint64_t first_seq,
                                  const std::vector<events::Event>& appended) {
  for (auto& e : found) {
    auto* flag = std::get_if<events::PhoneFlagged>(&e);
    if (flag == nullptr) continue;
    std::set<std::string> offices;
    std::vector<std::uint64_t> durable;  // neither in this append nor in flight: in the ledger
    {
      std::lock_guard lk(mu_);
      for (const std::uint64_t seq : flag->evidence) {
        if (seq >= first_seq && seq - first_seq < appended.size()) {
          if (auto office = events::OfficeOf(appended[seq - first_seq])) offices.emplace(*office);
        } else if (seq >= offices_first_seq_ &&
                   seq - offices_first_seq_ < offices_in_flight_.size()) {
          const std::string& office = offices_in_flight_[seq - offices_first_seq_];
          if (!office.empty()) offices.insert(office);
        } else {
          durable.push_back(seq);  // an entry leaves the queue only once the ledger has it
        }
      }
    }
    for (const std::uint64_t seq : durable) {
      auto stored = ledger_.Get(seq);
      if (!stored.ok()) return stored.status();
      auto decoded = events::DecodeEvent(stored->type, stored->payload);
      if (!decoded.ok()) return decoded.status();
      if (auto office = events::OfficeOf(*decoded)) offices.emplace(*office);
    }
    flag->offices = std::vector<std::string>(offices.begin(), offices.end());
  }
  return Status::Ok();
}

void Service::Impl::Finish(const std::shared_ptr<InFlight>& flight, const std::string& key,
                           const std::vector<std::pair<std::string, std::uint64_t>>& versions,
                           CommandResult result, const Done& done) {
  std::vector<Done> duplicates;
  {
    std::lock_guard lk(mu_);
    if (!result.status.ok() && failed_.ok()) failed_ = result.status;
    // The rows are in the ledger now (or, on failure, the service stops): they may be evicted,
    // unless a later decision has staged them again.
    for (const auto& [row_key, version] : versions) {
      auto it = rows_.find(row_key);
      if (it != rows_.end() && it->second.version == version) it->second.pending = false;
    }
    if (!key.empty()) in_flight_by_key_.erase(key);
    duplicates.swap(flight->duplicates);
  }
  for (auto& d : duplicates) {
    CommandResult copy = result;
    copy.duplicate = true;
    d(std::move(copy));
  }
  done(std::move(result));
  std::lock_guard lk(mu_);
  --in_flight_;
  cv_.notify_all();
}

void Service::Impl::SubmitMessage(const InboundMessage& m, Done done) {
  const std::string key = MessageIdempotencyKey(m.message_id);
  if (AnsweredAsDuplicate(key, done)) return;
  const domain::OfficeConfig* office = offices_.FindById(m.office);
  auto decision = DecideMessage(office, m, *this, options_.code_key);
  Status s = decision.ok() ? Status::Ok() : decision.status();
  if (s.ok() && office != nullptr) s = RecordConfiguration(*office, &*decision);
  if (!s.ok()) return Refuse(s, done);
  Append(std::move(decision).value(), {m.at.micros_since_epoch, m.message_id, "", key},
         std::move(done));
}

template <class C, class DecideFn>
void Service::Impl::SubmitCounter(C c, std::string_view type, std::string_view subject,
                                  DecideFn decide, Done done) {
  const std::string key = c.ctx.request_id.empty() ? "" : RequestIdempotencyKey(c.ctx.request_id);
  if (!key.empty() && AnsweredAsDuplicate(key, done)) return;
  const domain::OfficeConfig* office = offices_.FindById(c.ctx.office);
  if (office == nullptr) {
    return Refuse(Status::InvalidArgument("field \"office\": no office \"" + c.ctx.office + "\""),
                  done);
  }
  // Without a request id the cause is the command itself: type, office, subject (the code or the
  // application number) and time, so that two commands never share one.
  c.ctx.cause_id = c.ctx.request_id.empty() ? CounterCauseId(type, *office, subject, c.ctx.at)
                                            : c.ctx.request_id;
  Result<Decision> decision = decide(*office, c);
  if (!decision.ok()) return Refuse(decision.status(), done);
  if (Status s = RecordConfiguration(*office, &*decision); !s.ok()) return Refuse(s, done);
  Append(std::move(decision).value(),
         {c.ctx.at.micros_since_epoch, c.ctx.cause_id, c.ctx.officer, key}, std::move(done));
}

// Review commands: the request id (or else the command itself) is the cause, the auditor the actor.
template <class C, class DecideFn>
void Service::Impl::SubmitReview(const C& c, std::string_view type, std::string_view subject,
                                 DecideFn decide, Done done) {
  const std::string key = c.ctx.request_id.empty() ? "" : RequestIdempotencyKey(c.ctx.request_id);
  if (!key.empty() && AnsweredAsDuplicate(key, done)) return;
  const std::string cause =
      c.ctx.request_id.empty() ? ReviewCauseId(type, subject, c.ctx.at) : c.ctx.request_id;
  Result<Decision> decision = decide(c);
  if (!decision.ok()) return Refuse(decision.status(), done);
  Append(std::move(decision).value(), {c.ctx.at.micros_since_epoch, cause, c.ctx.auditor, key},
         std::move(done));
}

template <class C, class DecideFn>
void Service::Impl::SubmitPlain(const C& c, std::string key, std::string actor, DecideFn decide,
                                Done done) {
  if (AnsweredAsDuplicate(key, done)) return;
  Result<Decision> decision = decide(c);
  if (!decision.ok()) return Refuse(decision.status(), done);
  // The key without its prefix names the cause: "wamid...#delivered", "<reply id>#2".
  const std::string cause = key.substr(key.find(':') + 1);
  Append(std::move(decision).value(), {c.at.micros_since_epoch, cause, std::move(actor), key},
         std::move(done));
}

void Service::Impl::SubmitTick(const ClockTickCommand& tick, Done done) {
  // The sweep reads the deadline rows from the ledger, so everything decided before it must be
  // there first. Ticks are rare (one a minute), so the wait costs nothing.
  Drain();
  const std::string end = projections::DeadlineRowKey(tick.at.micros_since_epoch, "");
  std::vector<std::string> codes;
  Status scan = ledger_.ScanState(projections::kDeadlinePrefix, end,
                                  [&codes](std::string_view, std::string_view code) {
                                    codes.emplace_back(code);
                                    return true;
                                  });
  if (!scan.ok()) return Refuse(scan, done);
  const std::string cause = "clock.tick@" + domain::FormatRfc3339(tick.at, 0);
  Outcome total;
  total.kind = Outcome::Kind::kExpired;
  CommandResult merged;
  for (std::size_t i = 0; i < codes.size() || i == 0; i += kExpiriesPerAppendMax) {
    std::vector<std::string> chunk(
        codes.begin() + static_cast<std::ptrdiff_t>(std::min(i, codes.size())),
        codes.begin() + static_cast<std::ptrdiff_t>(std::min(i + kExpiriesPerAppendMax, codes.size())));
    auto decision = DecideExpiries(tick, chunk, *this);
    if (!decision.ok()) return Refuse(decision.status(), done);
    total.expired += decision->outcome.expired;
    // Each chunk is its own append; the sweep's result lists them all once the last is durable.
    Append(std::move(decision).value(), {tick.at.micros_since_epoch, cause, "clock", ""},
           [&merged](CommandResult r) {
             if (!r.status.ok()) merged.status = r.status;
             merged.events.insert(merged.events.end(), r.events.begin(), r.events.end());
           });
    Drain();
    if (codes.size() <= i + kExpiriesPerAppendMax) break;
  }
  merged.outcome = total;
  done(std::move(merged));
}

void Service::Impl::Submit(const Command& command, Done done) {
  {
    std::lock_guard lk(mu_);
    if (!failed_.ok()) {
      return Refuse(Status::Unavailable("the service stopped after " + failed_in_ + ": " +
                                        failed_.ToString()),
                    done);
    }
  }
  const std::string_view type = CommandTypeName(command);
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, InboundMessage>) {
          SubmitMessage(c, std::move(done));
        } else if constexpr (std::is_same_v<T, ClockTickCommand>) {
          SubmitTick(c, std::move(done));
        } else if constexpr (std::is_same_v<T, ArrivalCommand>) {
          SubmitCounter(c, type, c.code,
                        [this](const domain::OfficeConfig& o, const ArrivalCommand& cc) {
                          return DecideArrival(o, cc, *this);
                        },
                        std::move(done));
        } else if constexpr (std::is_same_v<T, IdentityCheckCommand>) {
          SubmitCounter(c, type, c.code,
                        [this](const domain::OfficeConfig& o, const IdentityCheckCommand& cc) {
                          return DecideIdentityCheck(o, cc, *this);
                        },
                        std::move(done));
        } else if constexpr (std::is_same_v<T, DocumentsCommand>) {
          SubmitCounter(c, type, c.code,
                        [this](const domain::OfficeConfig& o, const DocumentsCommand& cc) {
                          return DecideDocuments(o, cc, *this);
                        },
                        std::move(done));
        } else if constexpr (std::is_same_v<T, ApplicationProgressCommand>) {
          SubmitCounter(c, type, c.application_number,
                        [](const domain::OfficeConfig& o, const ApplicationProgressCommand& cc) {
                          return DecideApplicationProgress(o, cc);
                        },
                        std::move(done));
        } else if constexpr (std::is_same_v<T, BlacklistCommand>) {
          SubmitReview(
              c, type, c.phone,
              [this](const BlacklistCommand& cc) {
                // Events decided but still being appended exist too.
                const std::uint64_t next = std::max(next_seq_, ledger_.GetHead().seq + 1);
                return DecideBlacklist(cc, *this, next - 1);
              },
              std::move(done));
        } else if constexpr (std::is_same_v<T, UnblacklistCommand>) {
          SubmitReview(c, type, c.phone,
                       [this](const UnblacklistCommand& cc) { return DecideUnblacklist(cc, *this); },
                       std::move(done));
        } else if constexpr (std::is_same_v<T, ClearFlagCommand>) {
          SubmitReview(c, type, c.flag_id,
                       [this](const ClearFlagCommand& cc) { return DecideClearFlag(cc, *this); },
                       std::move(done));
        } else if constexpr (std::is_same_v<T, DeliveryStatusCommand>) {
          SubmitPlain(c, StatusIdempotencyKey(c), "whatsapp",
                      [this](const DeliveryStatusCommand& cc) {
                        return DecideDeliveryStatus(cc, *this);
                      },
                      std::move(done));
        } else {
          static_assert(std::is_same_v<T, ReplyOutcomeCommand>);
          SubmitPlain(c, OutcomeIdempotencyKey(c), "outbox",
                      [this](const ReplyOutcomeCommand& cc) {
                        return DecideReplyOutcome(cc, *this);
                      },
                      std::move(done));
        }
      },
      command);
}

Service::Service(store::Ledger& ledger, domain::OfficeDirectory offices, Options options)
    : impl_(std::make_unique<Impl>(ledger, std::move(offices), std::move(options))) {}

Service::~Service() { impl_->Drain(); }

void Service::Submit(const Command& command, Done done) { impl_->Submit(command, std::move(done)); }

void Service::Drain() { impl_->Drain(); }

const domain::OfficeDirectory& Service::offices() const { return impl_->offices(); }

void Service::SetOffices(domain::OfficeDirectory offices) { impl_->SetOffices(std::move(offices)); }

Status Service::health() const { return impl_->health(); }

std::uint64_t Service::decided_seq() const { return impl_->decided_seq(); }

projections::StateUpgradeReport Service::upgraded() const { return impl_->upgraded(); }

}  // namespace antrean::app
