// /webhooks/whatsapp: Meta's verification handshake and the signed deliveries (docs/API.md,
// "The webhook"; docs/WHATSAPP.md for the payloads).
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>

#include "app/result_json.h"
#include "http/node_impl.h"
#include "http/webhook_commands.h"
#include "whatsapp/webhook.h"

namespace antrean::http {
namespace json = boost::json;

namespace {

// The answers of one delivery, gathered as each command becomes durable.
struct Delivery {
  std::mutex mu;
  std::size_t remaining = 0;
  json::array results;
  json::array problems;
  Status worst;  // the first failure that a retry could fix (the ledger refused or stopped)
  Reply reply;
};

void Finish(const std::shared_ptr<Delivery>& d) {
  Response r;
  if (!d->worst.ok()) {
    // Not everything is durable: Meta retries the whole delivery, and the message ids already
    // recorded append nothing the second time.
    r = StatusResponse(d->worst);
    r.status = 503;
  } else {
    r.body = json::serialize(json::object{{"results", std::move(d->results)},
                                          {"problems", std::move(d->problems)}}) +
             "\n";
  }
  d->reply(std::move(r));
}

}  // namespace

void NodeImpl::WebhookVerify(const Request& req, const Params&, const app::ApiToken*,
                             Reply reply) {
  const auto mode = req.Query("hub.mode");
  const auto token = req.Query("hub.verify_token");
  const auto challenge = req.Query("hub.challenge");
  const bool verified = mode && *mode == "subscribe" && token &&
                        ConstantTimeEqual(*token, secrets_.whatsapp_verify_token);
  if (verified && !challenge) {
    // The caller knows the token; what is wrong is the request, not who sent it.
    return reply(JsonError(400, "hub.challenge is missing: it is what a verification echoes"));
  }
  if (verified) {
    Response r;
    r.content_type = "text/plain";
    r.body = std::string(*challenge);
    return reply(std::move(r));
  }
  spdlog::warn("webhook verification refused from {}: {}", req.remote,
               !mode || *mode != "subscribe" ? "hub.mode is not subscribe"
                                              : "hub.verify_token does not match");
  reply(JsonError(403, "verification failed: hub.mode must be subscribe and hub.verify_token "
                       "must match"));
}

void NodeImpl::WebhookPost(const Request& req, const Params&, const app::ApiToken*, Reply reply) {
  // The signature covers the exact bytes received and is checked before anything is parsed.
  const auto signature = req.Header("x-hub-signature-256");
  if (!signature || !whatsapp::SignatureMatches(*signature, req.body,
                                                secrets_.whatsapp_app_secret)) {
    metrics_.SignatureFailure();
    const char* why = signature ? "X-Hub-Signature-256 does not match the body"
                                : "X-Hub-Signature-256 is missing";
    spdlog::warn("webhook from {} refused: {}", req.remote, why);
    return reply(JsonError(401, why));
  }
  auto batch = whatsapp::ParseWebhook(req.body);
  if (!batch.ok()) return reply(StatusResponse(batch.status()));

  auto d = std::make_shared<Delivery>();
  d->reply = std::move(reply);
  const auto offices = this->offices();
  auto [commands, problems] = CommandsOf(*batch, *offices, NowMicros());
  for (const auto& p : problems) d->problems.push_back({{"path", p.path}, {"error", p.message}});
  metrics_.Webhook(batch->messages.size(), batch->statuses.size(), d->problems.size());
  for (const auto& p : d->problems) {
    spdlog::warn("webhook item skipped: {}", json::serialize(p));
  }
  d->remaining = commands.size();
  if (commands.empty()) return Finish(d);
  for (const auto& c : commands) {
    const std::string_view type = app::CommandTypeName(c);  // a literal: no copy per command
    const auto* message = std::get_if<app::InboundMessage>(&c);
    // Without an outbox the reply is only logged: the recipient is kept for that line.
    std::string to = message != nullptr && outbox_ == nullptr ? message->from : std::string();
    Submit(c, [this, d, type, to = std::move(to)](app::CommandResult r) {
      if (!r.outcome.reply.empty() && outbox_ == nullptr &&
          spdlog::should_log(spdlog::level::info)) {
        spdlog::info("reply to {} (queued; no --graph-url, so not sent): {}", to,
                     json::serialize(json::value(r.outcome.reply)));
      }
      std::lock_guard lk(d->mu);
      if (!r.status.ok() && !r.status.IsInvalidArgument() && !r.status.IsNotFound() &&
          d->worst.ok()) {
        d->worst = r.status;
      }
      d->results.push_back(app::ResultJson(0, type, r));
      if (--d->remaining == 0) Finish(d);
    });
  }
}

}  // namespace antrean::http
