// The staff API (/api/v1/..., docs/API.md) and the operational endpoints. Each handler turns a
// request into a command for the service or a query of app/queries.h, and the answer into JSON:
// the same service and queries `antrean ingest`, `board` and `show` use.
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/queries.h"
#include "app/result_json.h"
#include "common/process_memory.h"
#include "domain/civil_time.h"
#include "projections/decision_state.h"
#include "store/record.h"
#include "http/node_impl.h"

namespace antrean::http {
namespace json = boost::json;

namespace {

// A query parameter as a whole number in [min, max]; `fallback` when absent.
Result<std::uint64_t> NumberParam(const Request& req, std::string_view name, std::uint64_t fallback,
                                  std::uint64_t min, std::uint64_t max) {
  auto v = req.Query(name);
  if (!v) return fallback;
  std::uint64_t n = 0;
  const bool digits = !v->empty() && v->size() <= 19 &&
                      v->find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) n = std::stoull(std::string(*v));
  if (!digits || n < min || n > max) {
    return Status::InvalidArgument("field \"" + std::string(name) + "\": expected a whole number from " +
                                   std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

// ?limit= and ?cursor= of the timelines (app/queries.h).
struct Page {
  std::size_t limit = app::kQueryLimitDefault;
  std::uint64_t cursor = 0;
};
Result<Page> PageParams(const Request& req) {
  auto limit = NumberParam(req, "limit", app::kQueryLimitDefault, 1, app::kQueryLimitMax);
  if (!limit.ok()) return limit.status();
  auto cursor = NumberParam(req, "cursor", 0, 0, UINT64_MAX >> 1);
  if (!cursor.ok()) return cursor.status();
  return Page{static_cast<std::size_t>(*limit), *cursor};
}

bool FlagParam(const Request& req, std::string_view name) {
  auto v = req.Query(name);
  return v && (*v == "true" || *v == "1" || v->empty());
}

// The HTTP status of a decided command: refusals by their Status; an arrival the counter did not
// accept by its reason (an unknown code is 404, a mistyped one 400, a code in the wrong state
// 409), the attempt being recorded all the same.
int CommandStatus(const app::CommandResult& r) {
  if (!r.status.ok()) return HttpStatus(r.status);
  if (r.outcome.kind != app::Outcome::Kind::kArrivalRejected) return 200;
  if (r.outcome.reason == "unknown_code") return 404;
  if (r.outcome.reason == "bad_check_character") return 400;
  return 409;
}

json::object RoleList(const app::ApiToken& t) {
  json::array roles, offices;
  for (auto r : {app::Role::kOfficer, app::Role::kAuditor, app::Role::kAdmin}) {
    if (t.Has(r)) roles.emplace_back(app::RoleName(r));
  }
  for (const auto& o : t.offices) offices.emplace_back(o);
  return {{"name", t.name}, {"roles", roles}, {"offices", offices}};
}

// One event as a line of the feed: as `antrean dump` shows it, plus the stored record's bytes in
// hex, so that a follower can recompute every hash and link (docs/FORMAT.md).
json::object FeedLine(const store::EventView& e) {
  json::object o = app::StoredEventJson(e);
  o["record"] = ToHex(e.record);
  return o;
}

constexpr std::size_t kEventsBodyBytesMax = 8 << 20;

}  // namespace

void NodeImpl::Healthz(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  Response r;
  r.content_type = "text/plain";
  r.body = "ok\n";
  reply(std::move(r));
}

void NodeImpl::Readyz(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  const Status health = service_->health();
  if (!ready_ || !health.ok()) {
    return reply(JsonError(503, !health.ok() ? "the service stopped: " + health.ToString()
                                             : "not ready: starting or stopping"));
  }
  Response r;
  r.content_type = "text/plain";
  r.body = "ready\n";
  reply(std::move(r));
}

void NodeImpl::MetricsText(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  const store::LedgerStats ls = ledger_->GetStats();
  const ProcessMemory pm = ReadProcessMemory();
  const TransportStats ts = server_->stats();
  const store::Head head = ledger_->GetHead();
  // The state checkpoint is the seq of the last event folded, written as an events key.
  std::uint64_t checkpoint = 0;
  if (auto c = ledger_->GetState(projections::kCheckpointKey); c.ok() && c->has_value()) {
    store::record::ParseEventKey(**c, &checkpoint);
  }
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  std::vector<Metrics::Gauge> g = {
      {"antrean_ledger_head_seq", "The sequence number of the last durable event.", "gauge",
       d(head.seq)},
      {"antrean_ledger_appends_total", "Append requests acknowledged since start.", "counter",
       d(ls.appends)},
      {"antrean_ledger_events_total", "Events appended since start.", "counter", d(ls.events)},
      {"antrean_ledger_syncs_total",
       "WAL syncs (group commits) since start; events / syncs is the batch size.", "counter",
       d(ls.groups)},
      {"antrean_ledger_sync_seconds_total", "Time spent in WAL syncs.", "counter",
       d(ls.write_micros) / 1e6},
      {"antrean_ledger_failed_appends_total", "Appends the ledger answered with an error.",
       "counter", d(ls.failed_appends)},
      {"antrean_ledger_block_cache_bytes",
       "Bytes in the ledger's block cache (its budget: --cache-mib).", "gauge",
       d(ls.block_cache_bytes)},
      {"antrean_ledger_block_cache_pinned_bytes",
       "Of those, bytes pinned (in use, or the newest files' index and filter blocks).", "gauge",
       d(ls.block_cache_pinned_bytes)},
      {"antrean_ledger_memtables_bytes",
       "Bytes in the ledger's memtables, all column families (their budget: --memtables-mib).",
       "gauge", d(ls.memtables_bytes)},
      {"antrean_ledger_table_readers_bytes",
       "Bytes held by open table files' readers outside the block cache.", "gauge",
       d(ls.table_readers_bytes)},
      {"antrean_process_resident_bytes", "Resident memory of the process (VmRSS).", "gauge",
       d(pm.resident_bytes)},
      {"antrean_process_heap_in_use_bytes",
       "C heap allocated and not freed, as the allocator counts it.", "gauge",
       d(pm.heap_in_use_bytes)},
      {"antrean_process_heap_free_bytes",
       "Resident allocator memory holding no live allocation: freed and not yet given back, and "
       "the allocator's own bookkeeping.",
       "gauge", d(pm.heap_free_bytes)},
      {"antrean_projection_lag_events",
       "Events appended but not yet folded into the state rows (they are written in the same "
       "batch, so 0 unless the state is behind).",
       "gauge", d(head.seq > checkpoint ? head.seq - checkpoint : 0)},
      {"antrean_outbox_depth", "Replies the outbox holds waiting to be sent (0 when it is off).",
       "gauge", d(outbox_ ? outbox_->depth() : 0)},
      {"antrean_http_connections_open", "Open HTTP connections.", "gauge", d(ts.connections_open)},
      {"antrean_http_connections_refused_total", "Connections refused over the connection limit.",
       "counter", d(ts.connections_refused)},
      {"antrean_http_requests_rejected_total",
       "Requests refused by the transport (timeouts, sizes, malformed).", "counter",
       d(ts.requests_rejected)},
  };
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = metrics_.Render(g);
  reply(std::move(r));
}

void NodeImpl::SubmitStaffCommand(const Request& req, const app::ApiToken& token,
                                  std::string_view type, Reply reply, std::string_view actor_field,
                                  std::string_view path_field, std::string_view path_value) {
  if (req.body.size() > kApiBodyBytesMax) {
    return reply(JsonError(400, "the body is larger than " + std::to_string(kApiBodyBytesMax) +
                                    " bytes"));
  }
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 16;
  json::value v = json::parse(req.body, ec, {}, po);
  if (ec) return reply(JsonError(400, "the body is not valid JSON: " + ec.message()));
  if (!v.is_object()) return reply(JsonError(400, "the body must be a JSON object"));
  json::object& o = v.as_object();
  for (std::string_view server_field : {std::string_view("type"), std::string_view("at"), actor_field,
                                        path_field}) {
    if (!server_field.empty() && o.contains(server_field)) {
      return reply(JsonError(400,
                             "field \"" + std::string(server_field) +
                                 "\": set by the server (the route, its clock, the token)",
                             server_field));
    }
  }
  if (const auto* office = o.if_contains("office");
      office && office->is_string() && !token.MayServe(office->as_string())) {
    return reply(JsonError(403, "token \"" + token.name + "\" may not act for this office", "office"));
  }
  o["type"] = type;
  o["at"] = domain::FormatRfc3339(domain::Instant{NowMicros()}, 0);
  o[actor_field] = token.name;
  if (!path_field.empty()) o[path_field] = path_value;
  auto command = app::ParseCommand(json::serialize(o));
  if (!command.ok()) return reply(StatusResponse(command.status()));
  const std::string_view name = app::CommandTypeName(*command);
  Submit(*command, [name, reply = std::move(reply)](app::CommandResult r) {
    Response res;
    res.status = CommandStatus(r);
    res.body = json::serialize(app::ResultJson(0, name, r)) + "\n";
    reply(std::move(res));
  });
}

void NodeImpl::CounterAction(const Request& req, const Params& p, const app::ApiToken* token,
                             Reply reply) {
  static const char* kActions[] = {"arrival", "identity_check", "documents_submitted",
                                   "documents_returned"};
  bool known = false;
  for (const char* a : kActions) known = known || p[0] == a;
  if (!known) {
    return reply(JsonError(404, "no counter action \"" + p[0] +
                                    "\" (arrival, identity_check, documents_submitted, "
                                    "documents_returned)"));
  }
  SubmitStaffCommand(req, *token, "counter." + p[0], std::move(reply));
}

void NodeImpl::ApplicationProgress(const Request& req, const Params&, const app::ApiToken* token,
                                   Reply reply) {
  SubmitStaffCommand(req, *token, "office.application_progress", std::move(reply));
}

void NodeImpl::Blacklist(const Request& req, const Params&, const app::ApiToken* token,
                         Reply reply) {
  SubmitStaffCommand(req, *token, "audit.blacklist", std::move(reply), "auditor");
}

void NodeImpl::LiftBlacklist(const Request& req, const Params& p, const app::ApiToken* token,
                             Reply reply) {
  SubmitStaffCommand(req, *token, "audit.unblacklist", std::move(reply), "auditor", "phone", p[0]);
}

void NodeImpl::ClearFlag(const Request& req, const Params& p, const app::ApiToken* token,
                         Reply reply) {
  SubmitStaffCommand(req, *token, "audit.clear_flag", std::move(reply), "auditor", "flag_id", p[0]);
}

void NodeImpl::GetBooking(const Request&, const Params& p, const app::ApiToken*, Reply reply) {
  reply(JsonResponse(app::QueryBooking(*ledger_, p[0])));
}

void NodeImpl::GetPhone(const Request& req, const Params& p, const app::ApiToken*, Reply reply) {
  auto page = PageParams(req);
  if (!page.ok()) return reply(StatusResponse(page.status()));
  reply(JsonResponse(app::QueryPhone(*ledger_, p[0], page->limit, page->cursor)));
}

void NodeImpl::GetIdentity(const Request& req, const Params&, const app::ApiToken*, Reply reply) {
  auto name = req.Query("name");
  auto dob = req.Query("dob");
  if (!name || !dob) {
    return reply(JsonError(400, std::string("field \"") + (name ? "dob" : "name") + "\": is required",
                           name ? "dob" : "name"));
  }
  auto page = PageParams(req);
  if (!page.ok()) return reply(StatusResponse(page.status()));
  reply(JsonResponse(app::QueryIdentity(*ledger_, *name, *dob, page->limit, page->cursor)));
}

void NodeImpl::GetBoard(const Request& req, const Params& p, const app::ApiToken* token,
                        Reply reply) {
  if (!token->Has(app::Role::kAuditor) && !token->MayServe(p[0])) {
    return reply(JsonError(403, "token \"" + token->name + "\" may not read office " + p[0]));
  }
  auto date = req.Query("date");
  if (!date) return reply(JsonError(400, "field \"date\": is required (YYYY-MM-DD)", "date"));
  std::optional<std::string> as_of;
  if (auto a = req.Query("as_of")) as_of = std::string(*a);
  if (!as_of) return reply(JsonResponse(app::QueryBoard(*ledger_, p[0], *date, std::nullopt, opt_.scratch_dir)));
  // Rebuilding the state as of a time reads the log up to then: not on an HTTP thread.
  Background([this, office = p[0], d = std::string(*date), as_of, reply] {
    reply(JsonResponse(app::QueryBoard(*ledger_, office, d, std::string_view(*as_of), opt_.scratch_dir)));
  });
}

void NodeImpl::GetBlacklist(const Request& req, const Params&, const app::ApiToken*, Reply reply) {
  auto limit = NumberParam(req, "limit", app::kQueryLimitDefault, 1, app::kQueryLimitMax);
  if (!limit.ok()) return reply(StatusResponse(limit.status()));
  reply(JsonResponse(app::QueryBlacklist(*ledger_, FlagParam(req, "all"), *limit,
                                         req.Query("cursor").value_or(""))));
}

void NodeImpl::GetFlags(const Request& req, const Params&, const app::ApiToken*, Reply reply) {
  auto limit = NumberParam(req, "limit", app::kQueryLimitDefault, 1, app::kQueryLimitMax);
  if (!limit.ok()) return reply(StatusResponse(limit.status()));
  reply(JsonResponse(app::QueryFlags(*ledger_, FlagParam(req, "all"), req.Query("phone"), *limit,
                                     req.Query("cursor").value_or(""))));
}

void NodeImpl::GetAudit(const Request& req, const Params&, const app::ApiToken*, Reply reply) {
  app::AuditQuery q;
  auto limit = NumberParam(req, "limit", q.limit, 1, app::kAuditLimitMax);
  if (!limit.ok()) return reply(StatusResponse(limit.status()));
  auto evidence = NumberParam(req, "evidence", q.evidence_max, 0, app::kEvidenceShownMax);
  if (!evidence.ok()) return reply(StatusResponse(evidence.status()));
  q.limit = static_cast<std::size_t>(*limit);
  q.evidence_max = static_cast<std::size_t>(*evidence);
  q.include_cleared = FlagParam(req, "all");
  for (auto [name, field] : {std::pair{"office", &q.office}, std::pair{"from", &q.from},
                             std::pair{"to", &q.to}}) {
    if (auto v = req.Query(name)) *field = std::string(*v);
  }
  // It reads every flag and the evidence of those it shows: not on an HTTP thread.
  Background([this, q = std::move(q), reply] { reply(JsonResponse(app::QueryAudit(*ledger_, q))); });
}

void NodeImpl::GetHead(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  reply(JsonResponse(app::QueryHead(*ledger_)));
}

void NodeImpl::GetVerify(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  std::lock_guard lk(mu_);
  json::object o{{"running", verifying_}};
  if (last_verify_) o["last"] = *last_verify_;
  else o["last"] = nullptr;
  Response r;
  r.body = json::serialize(o) + "\n";
  reply(std::move(r));
}

void NodeImpl::PostVerify(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  {
    std::lock_guard lk(mu_);
    if (verifying_) return reply(JsonError(409, "a verification is already running"));
    verifying_ = true;
  }
  Background([this, reply] {
    auto report = ledger_->Verify({});
    json::object o;
    if (report.ok()) {
      o = {{"ok", report->ok},
           {"problem", store::VerifyReport::ProblemName(report->problem)},
           {"first_bad_seq", report->first_bad_seq},
           {"detail", report->detail},
           {"events_checked", report->events_checked},
           {"head", app::HeadJson(report->head)},
           {"seconds", report->seconds},
           {"finished_at", domain::FormatRfc3339(domain::Instant{NowMicros()}, 0)}};
    }
    {
      std::lock_guard lk(mu_);
      verifying_ = false;
      if (report.ok()) last_verify_ = o;
    }
    if (!report.ok()) return reply(StatusResponse(report.status()));
    if (!report->ok) spdlog::error("ledger verification failed: {}", report->detail);
    Response r;
    r.body = json::serialize(o) + "\n";
    reply(std::move(r));
  });
}

void NodeImpl::GetEvents(const Request& req, const Params&, const app::ApiToken*, Reply reply) {
  auto from = NumberParam(req, "from", 1, 1, UINT64_MAX >> 1);
  if (!from.ok()) return reply(StatusResponse(from.status()));
  auto limit = NumberParam(req, "limit", kEventsPageDefault, 1, kEventsPageMax);
  if (!limit.ok()) return reply(StatusResponse(limit.status()));
  auto wait = NumberParam(req, "wait", 25, 0, static_cast<std::uint64_t>(kEventsWaitMax.count()));
  if (!wait.ok()) return reply(StatusResponse(wait.status()));
  if (ledger_->GetHead().seq >= *from || *wait == 0) return AnswerEvents(*from, *limit, reply);
  std::lock_guard lk(mu_);
  if (stopping_) return reply(JsonError(503, "the server is stopping"));
  if (waiters_.size() >= kEventWaitersMax) {
    return reply(JsonError(503, "too many clients are waiting for events; try again"));
  }
  waiters_.push_back(
      {*from, *limit, std::chrono::steady_clock::now() + std::chrono::seconds(*wait), reply});
  waiting_ = waiters_.size();
}

void NodeImpl::AnswerEvents(std::uint64_t from, std::size_t limit, Reply reply) {
  const store::Head head = ledger_->GetHead();
  std::string body;
  std::uint64_t next = from;
  if (from <= head.seq) {
    const std::uint64_t to = std::min<std::uint64_t>(head.seq, from + limit - 1);
    Status s = ledger_->Scan(from, to, [&](const store::EventView& e) {
      body += json::serialize(FeedLine(e));
      body += '\n';
      next = e.seq + 1;
      return body.size() < kEventsBodyBytesMax;
    });
    if (!s.ok()) return reply(StatusResponse(s));
  }
  Response r;
  r.content_type = "application/x-ndjson";
  r.body = std::move(body);
  r.headers.emplace_back("X-Antrean-Head", std::to_string(head.seq));
  r.headers.emplace_back("X-Antrean-Next", std::to_string(next));
  reply(std::move(r));
}

void NodeImpl::WaitLoop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    waiters_cv_.wait_for(lk, std::chrono::milliseconds(100));
    if (waiters_.empty()) continue;
    const std::uint64_t head = ledger_->GetHead().seq;
    const auto now = std::chrono::steady_clock::now();
    std::vector<Waiter> due;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->from <= head || it->deadline <= now) {
        due.push_back(std::move(*it));
        it = waiters_.erase(it);
        waiting_ = waiters_.size();
      } else {
        ++it;
      }
    }
    lk.unlock();
    for (auto& w : due) AnswerEvents(w.from, w.limit, w.reply);
    lk.lock();
  }
}

void NodeImpl::GetOffices(const Request&, const Params&, const app::ApiToken*, Reply reply) {
  json::array list;
  for (const auto& o : offices()->offices()) {
    json::array numbers;
    for (const auto& n : o.whatsapp_numbers) {
      numbers.push_back({{"display", n.display}, {"digits", n.digits}, {"phone_number_id", n.phone_number_id}});
    }
    list.push_back({{"id", o.id},
                    {"name", o.name},
                    {"whatsapp_numbers", numbers},
                    {"config_digest", app::ConfigurationApplied(o).config_digest}});
  }
  Response r;
  r.body = json::serialize(json::object{{"offices", list}}) + "\n";
  reply(std::move(r));
}

void NodeImpl::WhoAmI(const Request&, const Params&, const app::ApiToken* token, Reply reply) {
  Response r;
  r.body = json::serialize(RoleList(*token)) + "\n";
  reply(std::move(r));
}

void NodeImpl::ReloadConfig(const Request&, const Params&, const app::ApiToken* token,
                            Reply reply) {
  auto loaded = domain::LoadOfficeDirectoryFile(opt_.config_path);
  if (!loaded.ok()) {
    spdlog::warn("reload by {} refused: {}", token->name, loaded.status().message());
    return reply(JsonError(400, loaded.status().message()));
  }
  {
    std::lock_guard lk(submit_mu_);  // between two decisions
    service_->SetOffices(*loaded);
    std::lock_guard ok(offices_mu_);
    offices_ = std::make_shared<const domain::OfficeDirectory>(*loaded);
  }
  spdlog::info("office file {} reloaded by {}: {} offices", opt_.config_path, token->name,
               loaded->offices().size());
  GetOffices({}, {}, token, std::move(reply));
}

}  // namespace antrean::http
