#include "app/service.h"

#include <boost/json.hpp>

#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "events/codec.h"

namespace antrean::app {

namespace {

// The idempotency key of an inbound WhatsApp message: its id is unique per sender's message,
// and WhatsApp retries a webhook with the same id.
std::string MessageIdempotencyKey(std::string_view message_id) {
  return "wa:" + std::string(message_id);
}

// Rebuilds what the caller was told the first time, from the events that were appended then.
void FillFromEvent(const events::Event& event, Outcome* o) {
  if (const auto* b = std::get_if<events::BookingCodeIssued>(&event)) {
    o->kind = Outcome::Kind::kIssued;
    o->booking_code = b->code;
    o->queue_number = b->queue_number;
    o->date = b->date;
    o->session = b->session;
    o->arrive_by = b->arrive_by;
  } else if (const auto* r = std::get_if<events::RegistrationRejected>(&event)) {
    o->kind = Outcome::Kind::kRejected;
    o->reason = r->reason;
    o->detail = r->detail;
    o->next_available_date = r->next_available_date.value_or("");
  } else if (const auto* q = std::get_if<events::ReplyQueued>(&event)) {
    o->reply = q->text;
    if (o->kind == Outcome::Kind::kRecorded) o->kind = Outcome::Kind::kInformation;
  }
}

}  // namespace

class Service::Impl final : public projections::StateRows {
 public:
  Impl(store::Ledger& ledger, domain::OfficeDirectory offices, Options options)
      : ledger_(ledger), offices_(std::move(offices)), options_(std::move(options)) {
    for (const auto& office : offices_.offices()) {
      boost::system::error_code ec;
      auto v = boost::json::parse(domain::CanonicalJson(office), ec);
      events::OfficeConfigurationApplied e;
      e.office = office.id;
      if (!ec && v.is_object()) e.config = v.as_object();
      e.config_digest = events::ConfigDigest(e.config);
      configs_.emplace(office.id, std::move(e));
    }
  }

  // Rows of appends still in flight first, then the ledger's state column family.
  Result<std::optional<std::string>> Read(std::string_view key) override {
    {
      std::lock_guard lk(mu_);
      if (auto it = overlay_.find(std::string(key)); it != overlay_.end()) {
        return std::optional<std::string>(it->second.value);
      }
    }
    return ledger_.GetState(key);
  }

  // Called by the fold on the decision thread: the row joins the overlay at once (so the next
  // fold step and the next decision read it) and the pending append's state_puts.
  void Write(std::string key, std::string value) override {
    std::lock_guard lk(mu_);
    Row& row = overlay_[key];
    row.value = value;
    row.version = ++version_;
    // A row written twice by one fold (the person row on issue, say) is put once, last value.
    for (std::size_t i = 0; i < pending_puts_.size(); ++i) {
      if (pending_puts_[i].first == key) {
        pending_puts_[i].second = std::move(value);
        pending_versions_[i].second = version_;
        return;
      }
    }
    pending_versions_.emplace_back(key, version_);
    pending_puts_.emplace_back(std::move(key), std::move(value));
  }

  void Submit(const InboundMessage& m, Done done);
  void Drain() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return in_flight_ == 0; });
  }
  const domain::OfficeDirectory& offices() const { return offices_; }

 private:
  struct InFlight {
    std::vector<Done> duplicates;  // the same message id submitted again while in flight
  };
  struct Row {
    std::string value;
    std::uint64_t version = 0;
  };

  // Prepends "office configuration applied" when the rules in force differ from the last ones
  // recorded, so every decision can be explained by the rules recorded before it.
  Status RecordConfiguration(const domain::OfficeConfig& office, Decision* d) {
    const auto& applied = configs_.at(office.id);
    auto row = projections::ReadRow<projections::ConfigRow>(*this,
                                                            projections::ConfigRowKey(office.id));
    if (!row.ok()) return row.status();
    if (row->has_value() && (*row)->digest == applied.config_digest) return Status::Ok();
    d->events.insert(d->events.begin(), applied);
    return Status::Ok();
  }

  CommandResult Reconstruct(const store::AppendResult& prior) {
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
    return r;
  }

  void Finish(const std::shared_ptr<InFlight>& flight, const std::string& message_id,
              const std::vector<std::pair<std::string, std::uint64_t>>& versions,
              CommandResult result, const Done& done) {
    std::vector<Done> duplicates;
    {
      std::lock_guard lk(mu_);
      if (!result.status.ok() && failed_.ok()) failed_ = result.status;
      for (const auto& [key, version] : versions) {
        auto it = overlay_.find(key);
        if (it != overlay_.end() && it->second.version == version) overlay_.erase(it);
      }
      in_flight_by_message_.erase(message_id);
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

  store::Ledger& ledger_;
  domain::OfficeDirectory offices_;
  Options options_;
  std::unordered_map<std::string, events::OfficeConfigurationApplied> configs_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Row> overlay_;  // rows of appends in flight; guarded by mu_
  std::uint64_t version_ = 0;                     // guarded by mu_
  std::size_t in_flight_ = 0;                     // guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<InFlight>> in_flight_by_message_;  // mu_
  Status failed_;                                                                   // mu_
  // The rows the fold wrote for the append being built; only the decision thread uses them.
  std::vector<std::pair<std::string, std::string>> pending_puts_;
  std::vector<std::pair<std::string, std::uint64_t>> pending_versions_;
};

void Service::Impl::Submit(const InboundMessage& m, Done done) {
  auto flight = std::make_shared<InFlight>();
  {
    std::lock_guard lk(mu_);
    if (!failed_.ok()) {
      CommandResult r;
      r.status = Status::Unavailable("the service stopped after a failed append: " +
                                     failed_.ToString());
      done(std::move(r));
      return;
    }
    if (auto it = in_flight_by_message_.find(m.message_id); it != in_flight_by_message_.end()) {
      it->second->duplicates.push_back(std::move(done));
      return;
    }
  }
  const std::string idempotency_key = MessageIdempotencyKey(m.message_id);
  auto prior = ledger_.FindIdempotent(idempotency_key);
  if (!prior.ok() || prior->has_value()) {
    CommandResult r = prior.ok() ? Reconstruct(**prior) : CommandResult{prior.status(), {}, {}, {}};
    done(std::move(r));
    return;
  }
  const domain::OfficeConfig* office = offices_.FindById(m.office);
  auto decision = DecideMessage(office, m, *this, options_.code_key);
  Status s = decision.ok() ? Status::Ok() : decision.status();
  if (s.ok() && office != nullptr) s = RecordConfiguration(*office, &*decision);
  if (!s.ok()) {
    done(CommandResult{s, false, {}, {}});
    return;
  }
  store::AppendRequest request;
  request.recorded_at_us = m.at.micros_since_epoch;
  request.cause = {m.message_id, ""};
  request.idempotency_key = idempotency_key;
  request.state_checkpoint_key = std::string(projections::kCheckpointKey);
  std::vector<std::string> types;
  for (const auto& e : decision->events) {
    request.events.push_back(events::ToNewEvent(e));
    types.push_back(request.events.back().type);
  }
  pending_puts_.clear();
  pending_versions_.clear();
  for (const auto& e : decision->events) {
    if (Status folded = projections::FoldEvent(e, *this); !folded.ok()) {
      // The decision made an event the fold cannot read: a programming error, caught before
      // anything is appended. Rows already put in the overlay are dropped with the service.
      std::lock_guard lk(mu_);
      failed_ = folded;
      done(CommandResult{folded, false, {}, {}});
      return;
    }
  }
  request.state_puts = std::move(pending_puts_);
  std::vector<std::pair<std::string, std::uint64_t>> versions = std::move(pending_versions_);
  {
    std::lock_guard lk(mu_);
    ++in_flight_;
    in_flight_by_message_.emplace(m.message_id, flight);
  }
  ledger_.AppendAsync(
      std::move(request),
      [this, flight, id = m.message_id, versions = std::move(versions), types = std::move(types),
       outcome = std::move(decision->outcome), done = std::move(done)](
          Result<store::AppendResult> appended) mutable {
        CommandResult result;
        if (appended.ok()) {
          for (std::size_t i = 0; i < types.size(); ++i) {
            result.events.push_back({appended->first_seq + i, types[i]});
          }
          result.duplicate = appended->duplicate;
          result.outcome = std::move(outcome);
        } else {
          result.status = appended.status();
        }
        Finish(flight, id, versions, std::move(result), done);
      });
}

Service::Service(store::Ledger& ledger, domain::OfficeDirectory offices, Options options)
    : impl_(std::make_unique<Impl>(ledger, std::move(offices), std::move(options))) {}

Service::~Service() { impl_->Drain(); }

void Service::Submit(const Command& command, Done done) {
  std::visit([&](const auto& c) { impl_->Submit(c, std::move(done)); }, command);
}

void Service::Drain() { impl_->Drain(); }

const domain::OfficeDirectory& Service::offices() const { return impl_->offices(); }

}  // namespace antrean::app
