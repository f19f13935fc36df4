#include "http/node.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "app/commands.h"
#include "app/result_json.h"
#include "common/process_memory.h"
#include "domain/civil_time.h"
#include "http/node_impl.h"

namespace antrean::http {
namespace json = boost::json;

namespace {

// Matches a path against a pattern; captures {name} segments.
bool Match(std::string_view pattern, std::string_view path, Params* params) {
  params->clear();
  while (!pattern.empty() && !path.empty()) {
    if (pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pe = pattern.find('/');
    const auto se = path.find('/');
    const std::string_view p = pattern.substr(0, pe);
    const std::string_view s = path.substr(0, se);
    if (!p.empty() && p.front() == '{') {
      if (s.empty()) return false;
      params->emplace_back(s);
    } else if (p != s) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view() : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view() : path.substr(se);
  }
  return pattern.empty() && path.empty();
}

constexpr std::uint8_t kOfficer = static_cast<std::uint8_t>(app::Role::kOfficer);
constexpr std::uint8_t kAuditor = static_cast<std::uint8_t>(app::Role::kAuditor);
constexpr std::uint8_t kAdmin = static_cast<std::uint8_t>(app::Role::kAdmin);
constexpr std::uint8_t kAnyRole = kOfficer | kAuditor | kAdmin;

}  // namespace

int HttpStatus(const Status& s) {
  if (s.IsInvalidArgument()) return 400;
  if (s.IsNotFound()) return 404;
  if (s.IsConflict()) return 409;
  if (s.IsBusy() || s.IsUnavailable() || s.IsIOError()) return 503;
  return 500;
}

Response StatusResponse(const Status& s) {
  const int code = HttpStatus(s);
  Response r = JsonError(code, s.message(), app::FieldNamed(s.message()));
  if (code == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response JsonResponse(const Result<json::object>& result) {
  if (!result.ok()) return StatusResponse(result.status());
  Response r;
  r.body = json::serialize(*result) + "\n";
  return r;
}

const std::vector<Route>& NodeImpl::Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/healthz", 0, &NodeImpl::Healthz},
      {"GET", "/readyz", 0, &NodeImpl::Readyz},
      {"GET", "/metrics", 0, &NodeImpl::MetricsText},
      {"GET", "/webhooks/whatsapp", 0, &NodeImpl::WebhookVerify},
      {"POST", "/webhooks/whatsapp", 0, &NodeImpl::WebhookPost},
      {"POST", "/api/v1/counter/{action}", kOfficer, &NodeImpl::CounterAction},
      {"POST", "/api/v1/applications/progress", kOfficer, &NodeImpl::ApplicationProgress},
      {"GET", "/api/v1/offices/{office}/board", kOfficer | kAuditor, &NodeImpl::GetBoard},
      {"GET", "/api/v1/bookings/{code}", kAuditor, &NodeImpl::GetBooking},
      {"GET", "/api/v1/phones/{phone}", kAuditor, &NodeImpl::GetPhone},
      {"GET", "/api/v1/identities", kAuditor, &NodeImpl::GetIdentity},
      {"GET", "/api/v1/blacklist", kAuditor, &NodeImpl::GetBlacklist},
      {"POST", "/api/v1/blacklist", kAuditor, &NodeImpl::Blacklist},
      {"POST", "/api/v1/blacklist/{phone}/lift", kAuditor, &NodeImpl::LiftBlacklist},
      {"GET", "/api/v1/flags", kAuditor, &NodeImpl::GetFlags},
      {"GET", "/api/v1/audit", kAuditor, &NodeImpl::GetAudit},
      {"POST", "/api/v1/flags/{flag_id}/clear", kAuditor, &NodeImpl::ClearFlag},
      {"GET", "/api/v1/ledger/head", kAuditor, &NodeImpl::GetHead},
      {"GET", "/api/v1/ledger/verify", kAuditor, &NodeImpl::GetVerify},
      {"POST", "/api/v1/ledger/verify", kAuditor, &NodeImpl::PostVerify},
      {"GET", "/api/v1/events", kAuditor, &NodeImpl::GetEvents},
      {"GET", "/api/v1/offices", kAnyRole, &NodeImpl::GetOffices},
      {"GET", "/api/v1/whoami", kAnyRole, &NodeImpl::WhoAmI},
      {"POST", "/api/v1/admin/reload", kAdmin, &NodeImpl::ReloadConfig},
  };
  return routes;
}

NodeImpl::NodeImpl(NodeOptions options, app::Secrets secrets)
    : opt_(std::move(options)), secrets_(std::move(secrets)) {}

NodeImpl::~NodeImpl() { Stop(); }

Status NodeImpl::Open() {
  if (secrets_.whatsapp_app_secret.empty()) {
    return Status::InvalidArgument(
        "no WhatsApp app secret: set whatsapp.app_secret in the secrets file or "
        "ANTREAN_WHATSAPP_APP_SECRET (webhook signatures cannot be checked without it)");
  }
  if (secrets_.whatsapp_verify_token.empty()) {
    return Status::InvalidArgument(
        "no WhatsApp verify token: set whatsapp.verify_token in the secrets file or "
        "ANTREAN_WHATSAPP_VERIFY_TOKEN");
  }
  if (!opt_.graph_base_url.empty() && secrets_.whatsapp_access_token.empty()) {
    return Status::InvalidArgument(
        "--graph-url is set but there is no access token: set whatsapp.access_token in the "
        "secrets file or ANTREAN_WHATSAPP_ACCESS_TOKEN");
  }
  auto offices = domain::LoadOfficeDirectoryFile(opt_.config_path);
  if (!offices.ok()) return offices.status();
  offices_ = std::make_shared<const domain::OfficeDirectory>(*offices);
  auto ledger = store::Ledger::Open(opt_.ledger_dir, opt_.ledger);
  if (!ledger.ok()) return ledger.status();
  ledger_ = std::move(ledger).value();
  service_ = std::make_unique<app::Service>(*ledger_, *offices,
                                            app::Service::Options{secrets_.booking_code_key});
  if (Status s = service_->health(); !s.ok()) return s;  // the state upgrade failed
  if (const auto up = service_->upgraded(); up.upgraded()) {
    spdlog::info("antrean serve: {}", up.Describe());
  }
  auto server = Server::Listen(opt_.listen, opt_.limits,
                               [this](Request req, Reply reply) { Handle(std::move(req), reply); });
  if (!server.ok()) return server.status();
  server_ = std::move(server).value();
  if (!opt_.graph_base_url.empty()) {
    app::OutboxOptions oo = opt_.outbox;
    oo.base_url = opt_.graph_base_url;
    oo.access_token = secrets_.whatsapp_access_token;
    app::OutboxHost host;
    host.submit = [this](app::Command c, app::Service::Done done) { Submit(c, std::move(done)); };
    host.offices = [this] { return this->offices(); };
    host.now_us = [this] { return NowMicros(); };
    host.attempted = [this](bool sent, bool final_failure) {
      metrics_.OutboxAttempt(sent, final_failure);
    };
    outbox_ = std::make_unique<app::Outbox>(*ledger_, std::move(host), std::move(oo));
  }
  return Status::Ok();
}

void NodeImpl::Start() {
  if (outbox_) {
    if (Status s = outbox_->Start(); !s.ok()) spdlog::error("outbox: {}", s.ToString());
  }
  waiter_thread_ = std::thread([this] { WaitLoop(); });
  background_thread_ = std::thread([this] { BackgroundLoop(); });
  if (opt_.tick_interval.count() > 0) ticker_ = std::thread([this] { TickLoop(); });
  server_->Start(opt_.threads);
  ready_ = true;
  spdlog::info("antrean serve: listening on http://{} (ledger {}, offices {}{}; allocator {})",
               address(), opt_.ledger_dir, opt_.config_path,
               outbox_ ? ", replies to " + opt_.graph_base_url
                       : ", replies are logged and stay queued (no --graph-url)",
               AllocatorName());
}

void NodeImpl::Stop() {
  if (stopped_.exchange(true)) return;
  ready_ = false;  // /readyz says so while draining
  spdlog::info("antrean serve: stopping: draining requests in progress");
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  waiters_cv_.notify_all();
  // The timer, the long polls and slow reads end first; their clients get their answers while
  // the transport still runs.
  for (std::thread* t : {&ticker_, &waiter_thread_, &background_thread_}) {
    if (t->joinable()) t->join();
  }
  {
    std::lock_guard lk(mu_);
    for (auto& w : waiters_) w.reply(JsonError(503, "the server is stopping"));
    waiters_.clear();
    waiting_ = 0;
  }
  if (server_) server_->Shutdown(std::chrono::milliseconds(opt_.limits.body_timeout_ms));
  if (outbox_) outbox_->Stop();
  if (service_) service_->Drain();
  if (ledger_) ledger_->Close();
  spdlog::info("antrean serve: stopped; the ledger is closed");
}

bool SetLogLevel(std::string_view level) {
  const auto l = spdlog::level::from_str(std::string(level));
  if (l == spdlog::level::off && level != "off") return false;
  spdlog::set_level(l);
  return true;
}

namespace {
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void NodeImpl::RunUntilSignal() {
  const sigset_t set = StopSignals();
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("antrean serve: {} received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  Stop();
}

std::shared_ptr<const domain::OfficeDirectory> NodeImpl::offices() const {
  std::lock_guard lk(offices_mu_);
  return offices_;
}

std::int64_t NodeImpl::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void NodeImpl::Submit(const app::Command& command, app::Service::Done done) {
  const auto started = std::chrono::steady_clock::now();
  // CommandTypeName gives a literal: the view outlives the command.
  auto finished = [this, started, type = app::CommandTypeName(command),
                   done = std::move(done)](app::CommandResult r) {
    metrics_.Command(type, r.status.ok(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                         .count());
    if (!r.events.empty() && !r.duplicate) NotifyAppended();
    done(std::move(r));
  };
  std::lock_guard lk(submit_mu_);
  service_->Submit(command, std::move(finished));
}

// Called for every append: wakes only who waits for events (most of the time, nobody).
void NodeImpl::NotifyAppended() {
  if (outbox_) outbox_->Wake();
  if (waiting_.load(std::memory_order_relaxed) > 0) waiters_cv_.notify_all();
}

void NodeImpl::Background(std::function<void()> work) {
  {
    std::lock_guard lk(mu_);
    background_.push_back(std::move(work));
  }
  cv_.notify_all();
}

void NodeImpl::BackgroundLoop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stopping_ || !background_.empty(); });
    if (background_.empty()) return;  // stopping, and nothing left to answer
    auto work = std::move(background_.front());
    background_.pop_front();
    lk.unlock();
    work();
    lk.lock();
  }
}

void NodeImpl::TickLoop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lk, opt_.tick_interval, [this] { return stopping_; })) break;
    lk.unlock();
    app::ClockTickCommand tick{domain::Instant{NowMicros()}};
    Submit(tick, [this](app::CommandResult r) {
      metrics_.TickRan();
      if (!r.status.ok()) spdlog::error("clock.tick: {}", r.status.ToString());
      else if (r.outcome.expired > 0) spdlog::info("clock.tick: {} bookings expired", r.outcome.expired);
    });
    lk.lock();
  }
}

void NodeImpl::Handle(Request request, Reply reply) {
  Params params;
  bool path_known = false;
  const Route* route = nullptr;
  for (const auto& r : Routes()) {
    if (!Match(r.pattern, request.path, &params)) continue;
    path_known = true;
    if (request.method == r.method) {
      route = &r;
      break;
    }
  }
  // Metrics by the route's pattern (few series), the log line by the path.
  const char* route_name = route != nullptr ? route->pattern : "unmatched";
  reply = [this, method = request.method, path = request.path, remote = request.remote,
           started = request.started, route_name, reply = std::move(reply)](Response r) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.Request(method, route_name, r.status, seconds);
    if (opt_.access_log) {
      spdlog::info("{} {} {} {} {}B {:.1f}ms", remote, method, path, r.status, r.body.size(),
                   seconds * 1000);
    }
    reply(std::move(r));
  };
  if (route == nullptr) {
    if (path_known) return reply(JsonError(405, "method " + request.method + " is not allowed here"));
    return reply(JsonError(404, "no such endpoint: " + request.path));
  }
  const app::ApiToken* token = nullptr;
  if (route->roles != 0) {
    auto auth = request.Header("authorization");
    // The scheme is case-insensitive (RFC 9110, 11.1): "bearer" and "BEARER" are "Bearer".
    constexpr std::string_view kBearer = "bearer ";
    if (auth && auth->size() > kBearer.size() &&
        std::equal(kBearer.begin(), kBearer.end(), auth->begin(), [](char want, char got) {
          return want == (got >= 'A' && got <= 'Z' ? static_cast<char>(got + 32) : got);
        })) {
      token = secrets_.FindToken(auth->substr(kBearer.size()));
    }
    if (token == nullptr) {
      Response r = JsonError(401, auth ? "the bearer token is not known"
                                       : "an Authorization: Bearer token is required");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return reply(std::move(r));
    }
    if ((token->roles & route->roles) == 0) {
      return reply(JsonError(403, "token \"" + token->name + "\" may not " + request.method + " " +
                                      route->pattern));
    }
  }
  (this->*route->handler)(request, params, token, std::move(reply));
}

Result<std::unique_ptr<Node>> Node::Open(NodeOptions options, app::Secrets secrets) {
  auto node = std::make_unique<NodeImpl>(std::move(options), std::move(secrets));
  if (Status s = node->Open(); !s.ok()) return s;
  return std::unique_ptr<Node>(std::move(node));
}

}  // namespace antrean::http
