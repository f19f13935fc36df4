// `antrean serve`: one process that owns the ledger and serves WhatsApp's webhook, the staff API,
// /metrics and the health checks over HTTP, runs the outbox and the expiry sweep (docs/API.md).
//
// Everything that changes the ledger goes through one app::Service, one command at a time (the
// same service `antrean ingest` uses); HTTP handlers only translate requests into commands and
// results into responses. Stop order: stop accepting, answer requests in progress, stop the
// outbox and the timer, wait for every append, close the ledger.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "app/outbox.h"
#include "app/secrets.h"
#include "common/status.h"
#include "http/server.h"
#include "store/ledger.h"

namespace antrean::http {

// Long polls of the events feed waiting at once; beyond it a new one gets 503. (Webhook deliveries
// waiting for their appends are bounded by the connection limit: one request per connection.)
inline constexpr std::size_t kEventWaitersMax = 256;
inline constexpr std::size_t kApiBodyBytesMax = 64 * 1024;  // staff API request bodies
inline constexpr std::size_t kEventsPageMax = 10'000;
inline constexpr std::size_t kEventsPageDefault = 1000;
inline constexpr std::chrono::seconds kEventsWaitMax{60};

struct NodeOptions {
  std::string ledger_dir;
  std::string config_path;
  std::string listen = "127.0.0.1:8080";
  std::size_t threads = 2;  // HTTP threads; decisions are one at a time whatever this is
  ServerLimits limits;
  // The Graph API base for the outbox ("https://graph.facebook.com/v25.0"); empty: replies are
  // logged and stay queued.
  std::string graph_base_url;
  app::OutboxOptions outbox;
  std::chrono::seconds tick_interval{60};  // the expiry sweep; 0: off
  std::string scratch_dir;                 // for board ?as_of= rebuilds; empty: $TMPDIR
  bool access_log = true;                  // one log line per request
  // How the ledger is opened; its memory budgets bound the server's memory together with a part
  // that does not grow with the ledger's size or with restarts (docs/API.md, "Memory").
  store::Ledger::Options ledger;
};

class Node {
 public:
  // Opens the ledger and the office file, checks the secrets the service needs (app secret and
  // verify token; an access token when graph_base_url is set), binds the address. Errors name
  // what is missing or wrong.
  static Result<std::unique_ptr<Node>> Open(NodeOptions options, app::Secrets secrets);
  virtual ~Node() = default;

  virtual std::string address() const = 0;
  virtual void Start() = 0;
  // Drains and closes (see the header comment); idempotent.
  virtual void Stop() = 0;
  // Blocks until SIGTERM or SIGINT, then Stop()s.
  virtual void RunUntilSignal() = 0;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards, so that
// RunUntilSignal receives them. Call first thing in main, before any thread exists.
void BlockStopSignals();

// Sets the log level of the service's log ("debug", "info", "warn", "error", "off"); false for
// an unknown name.
bool SetLogLevel(std::string_view level);

}  // namespace antrean::http
