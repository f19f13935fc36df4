// The node's insides, shared by node.cc (lifecycle, commands, routing), webhook_routes.cc and
// staff_routes.cc. Not for other includes: the public face is http/node.h.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/outbox.h"
#include "app/secrets.h"
#include "app/service.h"
#include "domain/office_config.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/node.h"
#include "http/server.h"
#include "store/ledger.h"

namespace antrean::http {

// Captured {name} segments of a route's pattern, in order.
using Params = std::vector<std::string>;

class NodeImpl;
using RouteHandler = void (NodeImpl::*)(const Request&, const Params&, const app::ApiToken*,
                                        Reply);

struct Route {
  const char* method;
  const char* pattern;  // "/api/v1/bookings/{code}"
  std::uint8_t roles;   // app::Role bits any of which may call it; 0: no token needed
  RouteHandler handler;
};

// The HTTP status of a refusal: InvalidArgument 400, NotFound 404, Conflict 409, Busy,
// Unavailable and IOError 503, anything else 500.
int HttpStatus(const Status& status);
// That status with a JSON error body naming the field where the message does
// (`field "code": ...`).
Response StatusResponse(const Status& status);
// ok: 200 with the object; an error: StatusResponse.
Response JsonResponse(const Result<boost::json::object>& result);

class NodeImpl final : public Node {
 public:
  NodeImpl(NodeOptions options, app::Secrets secrets);
  ~NodeImpl() override;

  Status Open();
  std::string address() const override { return server_->address(); }
  void Start() override;
  void Stop() override;
  void RunUntilSignal() override;

  // Every command of the node goes through here, one at a time.
  void Submit(const app::Command& command, app::Service::Done done);
  std::shared_ptr<const domain::OfficeDirectory> offices() const;
  std::int64_t NowMicros() const;
  // Runs slow work (board as_of rebuilds, verify) off the HTTP threads.
  void Background(std::function<void()> work);

  // ---- routes (webhook_routes.cc)
  void WebhookVerify(const Request&, const Params&, const app::ApiToken*, Reply);
  void WebhookPost(const Request&, const Params&, const app::ApiToken*, Reply);
  // ---- routes (staff_routes.cc)
  void Healthz(const Request&, const Params&, const app::ApiToken*, Reply);
  void Readyz(const Request&, const Params&, const app::ApiToken*, Reply);
  void MetricsText(const Request&, const Params&, const app::ApiToken*, Reply);
  void CounterAction(const Request&, const Params&, const app::ApiToken*, Reply);
  void ApplicationProgress(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetBooking(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetPhone(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetIdentity(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetBoard(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetBlacklist(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetFlags(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetAudit(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetHead(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetVerify(const Request&, const Params&, const app::ApiToken*, Reply);
  void PostVerify(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetEvents(const Request&, const Params&, const app::ApiToken*, Reply);
  void GetOffices(const Request&, const Params&, const app::ApiToken*, Reply);
  void WhoAmI(const Request&, const Params&, const app::ApiToken*, Reply);
  void ReloadConfig(const Request&, const Params&, const app::ApiToken*, Reply);
  void Blacklist(const Request&, const Params&, const app::ApiToken*, Reply);
  void LiftBlacklist(const Request&, const Params&, const app::ApiToken*, Reply);
  void ClearFlag(const Request&, const Params&, const app::ApiToken*, Reply);

  static const std::vector<Route>& Routes();

 private:
  // Finds the route, checks the token, counts and logs the answer.
  void Handle(Request request, Reply reply);
  void TickLoop();
  void WaitLoop();
  void BackgroundLoop();
  void NotifyAppended();
  // Decides the command a staff request asks for and answers with its result: the JSON body plus
  // type, at and the actor (`officer` or `auditor`: the token's name) from the server, and
  // `path_field` from the route when given. A body naming an office the token may not act for
  // is 403.
  void SubmitStaffCommand(const Request& request, const app::ApiToken& token,
                          std::string_view type, Reply reply,
                          std::string_view actor_field = "officer",
                          std::string_view path_field = {}, std::string_view path_value = {});
  // Replies with the events from `from` (at most `limit`), or registers a long poll.
  void AnswerEvents(std::uint64_t from, std::size_t limit, Reply reply);

  NodeOptions opt_;
  app::Secrets secrets_;
  std::unique_ptr<store::Ledger> ledger_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<app::Outbox> outbox_;
  std::unique_ptr<Server> server_;
  Metrics metrics_;

  std::mutex submit_mu_;  // one command at a time
  mutable std::mutex offices_mu_;
  std::shared_ptr<const domain::OfficeDirectory> offices_;  // offices_mu_

  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};

  std::mutex mu_;  // the fields below
  std::condition_variable cv_;          // stop, background work
  std::condition_variable waiters_cv_;  // new events for the long polls
  std::atomic<std::size_t> waiting_{0};  // waiters_.size(), read without the lock per append
  bool stopping_ = false;
  struct Waiter {
    std::uint64_t from = 0;
    std::size_t limit = 0;
    std::chrono::steady_clock::time_point deadline;
    Reply reply;
  };
  std::list<Waiter> waiters_;
  std::deque<std::function<void()>> background_;
  bool verifying_ = false;
  std::optional<boost::json::object> last_verify_;
  std::thread ticker_, waiter_thread_, background_thread_;
};

}  // namespace antrean::http
