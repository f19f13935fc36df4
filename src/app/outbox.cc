#include "app/outbox.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "events/codec.h"
#include "http/client.h"
#include "projections/decision_state.h"
#include "whatsapp/graph.h"

namespace antrean::app {

namespace pj = projections;

class Outbox::Impl {
 public:
  Impl(const store::Ledger& ledger, OutboxHost host, OutboxOptions options)
      : ledger_(ledger), host_(std::move(host)), opt_(std::move(options)) {}
  ~Impl() { Stop(); }

  Status Start() {
    auto url = http::ParseUrl(opt_.base_url);
    if (!url.ok()) return url.status();
    url_ = *url;
    cursor_ = ledger_.GetHead().seq;  // before the backlog scan: nothing falls between the two
    backlog_from_ = std::string(pj::kOutboxPrefix);
    if (Status s = Refill(); !s.ok()) return s;
    feeder_ = std::thread([this] { FeedLoop(); });
    for (std::size_t i = 0; i < std::max<std::size_t>(1, opt_.senders); ++i) {
      senders_.emplace_back([this] { SendLoop(); });
    }
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard lk(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    if (feeder_.joinable()) feeder_.join();
    for (auto& t : senders_) {
      if (t.joinable()) t.join();
    }
  }

  void Wake() {
    {
      std::lock_guard lk(mu_);
      wake_ = true;
    }
    cv_.notify_all();
  }

  std::size_t depth() const {
    std::lock_guard lk(mu_);
    return items_.size();
  }

 private:
  bool Full() const { return items_.size() >= kOutboxPendingMax; }

  // Caller holds mu_.
  void AddLocked(const std::string& id, pj::OutboxRow row) {
    if (items_.count(id) != 0) return;
    due_.emplace(row.due_us, id);
    items_.emplace(id, std::move(row));
  }

  // Loads waiting replies: first the rows that waited when the outbox started (paged by key), then
  // each reply queued since, as long as there is room.
  Status Refill() {
    std::unique_lock lk(mu_);
    if (!backlog_from_.empty()) {
      std::string from = backlog_from_;
      const std::string end = pj::PrefixEnd(pj::kOutboxPrefix);
      std::vector<std::pair<std::string, pj::OutboxRow>> page;
      const std::size_t room = kOutboxPendingMax - std::min(kOutboxPendingMax, items_.size());
      lk.unlock();
      bool more = false;
      Status s = ledger_.ScanState(from, end, [&](std::string_view key, std::string_view value) {
        if (page.size() >= room) {
          more = true;
          from = std::string(key);
          return false;
        }
        pj::OutboxRow row;
        if (pj::Decode(value, &row).ok()) {
          page.emplace_back(std::string(key.substr(pj::kOutboxPrefix.size())), std::move(row));
        }
        return true;
      });
      if (!s.ok()) return s;
      lk.lock();
      for (auto& [id, row] : page) AddLocked(id, std::move(row));
      backlog_from_ = more ? from : "";
      if (more) return Status::Ok();  // full: the tail waits too, so that order is kept
    }
    return Tail(lk);
  }

  Status Tail(std::unique_lock<std::mutex>& lk) {
    const std::uint64_t head = ledger_.GetHead().seq;
    if (cursor_ >= head || Full()) return Status::Ok();
    const std::uint64_t from = cursor_ + 1;
    const std::size_t room = kOutboxPendingMax - items_.size();
    lk.unlock();
    std::vector<std::string> queued;
    std::uint64_t reached = from - 1;
    Status s = ledger_.Scan(from, head, [&](const store::EventView& e) {
      if (e.type == events::ReplyQueued::kType) {
        if (queued.size() >= room) return false;
        auto decoded = events::DecodeEvent(e.type, e.payload);
        if (decoded.ok()) queued.push_back(std::get<events::ReplyQueued>(*decoded).reply_id);
      }
      reached = e.seq;
      return true;
    });
    if (!s.ok()) {
      lk.lock();
      return s;
    }
    // A reply may have been concluded already (sent by this outbox from the backlog): only those
    // whose row still waits are taken.
    std::vector<std::pair<std::string, pj::OutboxRow>> rows;
    for (auto& id : queued) {
      auto row = pj::ReadRow<pj::OutboxRow>(rows_view_, pj::OutboxRowKey(id));
      if (row.ok() && row->has_value()) rows.emplace_back(std::move(id), std::move(**row));
    }
    lk.lock();
    for (auto& [id, row] : rows) AddLocked(id, std::move(row));
    cursor_ = reached;
    return Status::Ok();
  }

  void FeedLoop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
      cv_.wait_for(lk, opt_.poll, [this] { return stop_ || wake_; });
      if (stop_) break;
      wake_ = false;
      lk.unlock();
      (void)Refill();  // a failed read is tried again at the next wake or poll
      cv_.notify_all();
      lk.lock();
    }
  }

  std::chrono::milliseconds Backoff(std::uint32_t attempt) const {
    auto d = opt_.backoff_initial;
    for (std::uint32_t i = 1; i < attempt && d < opt_.backoff_max; ++i) d *= 2;
    return std::min(d, opt_.backoff_max);
  }

  // One attempt, without the lock: the outcome to record.
  ReplyOutcomeCommand Attempt(http::Client& client, const std::string& id,
                              const pj::OutboxRow& row) {
    const std::int64_t now = host_.now_us();
    ReplyOutcomeCommand c{domain::Instant{now}, id, row.attempts + 1, false, {}, {}, false, {}};
    const auto window_us =
        std::chrono::duration_cast<std::chrono::microseconds>(opt_.window).count();
    if (now - row.queued_us > window_us) {
      c.error = "not sent within WhatsApp's " + std::to_string(opt_.window.count()) +
                "-hour customer service window";
      c.final = true;
      return c;
    }
    std::string phone_number_id;
    const auto offices = host_.offices();
    if (const auto* office = offices->FindById(row.office)) {
      for (const auto& n : office->whatsapp_numbers) {
        if (!n.phone_number_id.empty()) {
          phone_number_id = n.phone_number_id;
          break;
        }
      }
    }
    if (phone_number_id.empty()) {
      c.error = "office \"" + row.office + "\" has no WhatsApp phone_number_id configured";
    } else {
      auto res = client.Send("POST", "/" + phone_number_id + "/messages",
                             whatsapp::BuildSendTextBody(row.to, row.text),
                             {{"Authorization", "Bearer " + opt_.access_token}});
      if (!res.ok()) {
        c.error = res.status().message();
      } else if (res->status >= 200 && res->status < 300) {
        auto provider_id = whatsapp::ParseSendResponse(res->body);
        if (provider_id.ok()) {
          c.sent = true;
          c.provider_message_id = *provider_id;
          return c;
        }
        c.error = "HTTP " + std::to_string(res->status) + ": " + provider_id.status().message();
      } else {
        c.error = whatsapp::DescribeGraphError(res->status, res->body);
      }
    }
    c.final = c.attempt >= opt_.attempts_max;
    if (!c.final) {
      c.retry_at = domain::Instant{
          now + std::chrono::duration_cast<std::chrono::microseconds>(Backoff(c.attempt)).count()};
    }
    return c;
  }

  // Records the outcome; true when it is durable.
  bool Record(const ReplyOutcomeCommand& c) {
    auto done = std::make_shared<std::promise<Status>>();
    auto result = done->get_future();
    host_.submit(Command(c), [done](CommandResult r) { done->set_value(r.status); });
    return result.get().ok();
  }

  void SendLoop() {
    http::Client client(url_, opt_.request_timeout);
    std::unique_lock lk(mu_);
    while (!stop_) {
      if (due_.empty()) {
        cv_.wait_for(lk, opt_.poll);
        continue;
      }
      const std::int64_t wait_us = due_.begin()->first - host_.now_us();
      if (wait_us > 0) {
        cv_.wait_for(lk, std::min<std::chrono::microseconds>(std::chrono::microseconds(wait_us),
                                                           opt_.poll));
        continue;
      }
      const std::string id = due_.begin()->second;
      due_.erase(due_.begin());
      const pj::OutboxRow row = items_.at(id);  // out of due_: no other sender takes it
      lk.unlock();
      const ReplyOutcomeCommand c = Attempt(client, id, row);
      const bool recorded = Record(c);
      if (host_.attempted) host_.attempted(c.sent, !c.sent && c.final);
      lk.lock();
      auto it = items_.find(id);
      if (!recorded || c.sent || c.final) {
        // Concluded; or the outcome was refused (the reply concluded meanwhile, or the service
        // stopped): the ledger, not memory, says what is left, and the next start reloads it.
        items_.erase(it);
        wake_ = true;  // room for more
        cv_.notify_all();
        continue;
      }
      it->second.attempts = c.attempt;
      it->second.due_us = c.retry_at->micros_since_epoch;
      due_.emplace(it->second.due_us, id);
    }
  }

  // Point reads of state rows straight from the ledger (the outbox runs beside the service, which
  // has already written every durable row).
  struct LedgerRows final : pj::StateReader {
    explicit LedgerRows(const store::Ledger& l) : ledger(l) {}
    Result<std::optional<std::string>> Read(std::string_view key) override {
      return ledger.GetState(key);
    }
    const store::Ledger& ledger;
  };

  const store::Ledger& ledger_;
  OutboxHost host_;
  OutboxOptions opt_;
  http::Url url_;
  LedgerRows rows_view_{ledger_};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // The replies held in memory; those not being attempted right now are also in due_.
  std::map<std::string, pj::OutboxRow> items_;    // mu_
  std::multimap<std::int64_t, std::string> due_;  // mu_: by due time
  std::uint64_t cursor_ = 0;                      // mu_: the last seq looked at
  std::string backlog_from_;                      // mu_: next ob/ key to load; empty: done
  bool stop_ = false;                             // mu_
  bool wake_ = false;                             // mu_
  std::thread feeder_;
  std::vector<std::thread> senders_;
};

Outbox::Outbox(const store::Ledger& ledger, OutboxHost host, OutboxOptions options)
    : impl_(std::make_unique<Impl>(ledger, std::move(host), std::move(options))) {}
Outbox::~Outbox() { impl_->Stop(); }
Status Outbox::Start() { return impl_->Start(); }
void Outbox::Stop() { impl_->Stop(); }
void Outbox::Wake() { impl_->Wake(); }
std::size_t Outbox::depth() const { return impl_->depth(); }

}  // namespace antrean::app
