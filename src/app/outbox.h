// The outbox: sends queued replies to WhatsApp through a Graph-API-compatible endpoint
// (POST {base}/{phone_number_id}/messages with a bearer token) and records every attempt's outcome
// as a command (reply.sent / reply.failed, app/replies.h), so the ledger says what happened to
// each reply. docs/API.md, "The outbox".
//
// At-least-once: a reply is marked sent only after the endpoint accepted it, so a crash between
// the two sends it again after the restart. Work comes from the ledger alone: on start, the
// waiting rows (ob/), then every reply_queued appended after; a restart resumes where the ledger
// says it stopped, with the attempt count and the next due time it recorded.
//
// Retries back off exponentially (backoff_initial doubling up to backoff_max). A reply is given up
// (reply.failed, final) after attempts_max attempts, or unsent once older than WhatsApp's
// 24-hour customer service window, outside which a free-form reply is refused anyway.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/service.h"
#include "domain/office_config.h"
#include "store/ledger.h"

namespace antrean::app {

// Replies held in memory at once; the rest wait in the ledger until there is room.
inline constexpr std::size_t kOutboxPendingMax = 10'000;

struct OutboxOptions {
  std::string base_url;  // e.g. "https://graph.facebook.com/v25.0"; required
  std::string access_token;
  std::size_t senders = 4;  // concurrent connections to the endpoint
  std::uint32_t attempts_max = 8;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{10 * 60 * 1000};
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::hours window{24};
  // How often the ledger is checked for new replies when nobody calls Wake.
  std::chrono::milliseconds poll{1000};
};

// What the outbox needs from its host (the HTTP node): a way to record outcomes, serialised with
// every other command, the offices in force, the clock, and where attempts are counted.
struct OutboxHost {
  std::function<void(Command, Service::Done)> submit;
  std::function<std::shared_ptr<const domain::OfficeDirectory>()> offices;
  std::function<std::int64_t()> now_us;
  std::function<void(bool sent, bool final_failure)> attempted;  // may be empty
};

class Outbox {
 public:
  Outbox(const store::Ledger& ledger, OutboxHost host, OutboxOptions options);
  ~Outbox();  // stops
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Loads the waiting replies and starts the sender threads.
  Status Start();
  // Finishes the attempts in progress (bounded by request_timeout) and stops.
  void Stop();
  // New events were appended: look for queued replies now rather than at the next poll.
  void Wake();
  // Replies known to be waiting (in memory; more may wait in the ledger when this is at the max).
  std::size_t depth() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace antrean::app
