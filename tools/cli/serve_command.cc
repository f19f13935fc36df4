// antrean serve, send, token add, secrets init: the HTTP service (http/node.h) and the small tools
// around it (docs/API.md, docs/SECRETS.md).
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <ostream>

#include "app/secrets.h"
#include "domain/office_config.h"
#include "domain/phone.h"
#include "http/client.h"
#include "http/node.h"
#include "tools/cli/command.h"
#include "whatsapp/webhook.h"

namespace antrean::cli {
namespace {

namespace json = boost::json;

constexpr char kServeUsage[] =
    "usage: antrean serve [--ledger DIR] [--config FILE] [--listen HOST:PORT] [--secrets FILE]\n"
    "                     [--graph-url URL] [--threads N] [--tick-seconds N]\n"
    "                     [--max-connections N] [--scratch DIR] [--log-json] [--no-access-log]\n"
    "                     [--log-level LEVEL] [--cache-mib N] [--memtables-mib N]\n"
    "\n"
    "Serves WhatsApp's webhook (/webhooks/whatsapp), the staff API (/api/v1/...), /metrics,\n"
    "/healthz and /readyz over HTTP on an embedded ledger (docs/API.md). Runs the outbox\n"
    "(replies to the Graph API) and the expiry sweep. SIGTERM or SIGINT: stop accepting,\n"
    "answer requests in progress, wait for every append, close the ledger, exit 0.\n"
    "\n"
    "  --ledger DIR        default var/ledger (created if missing)\n"
    "  --config FILE       the office file, default config/offices.json\n"
    "  --listen HOST:PORT  default 127.0.0.1:8080 (port 0: any free port)\n"
    "  --secrets FILE      default var/secrets.json; environment variables override it\n"
    "                      (docs/SECRETS.md). Secrets are never taken from the command line.\n"
    "  --graph-url URL     where replies go: POST URL/{phone_number_id}/messages, e.g.\n"
    "                      https://graph.facebook.com/v25.0. Without it replies are logged\n"
    "                      and stay queued.\n"
    "  --threads N         HTTP threads (default 2)\n"
    "  --tick-seconds N    expiry sweep interval (default 60; 0: off)\n"
    "  --max-connections N default 1024\n"
    "  --log-json          log lines as JSON objects\n"
    "  --no-access-log     no log line per request\n"
    "  --log-level LEVEL   debug, info (default), warn, error or off\n"
    "  --cache-mib N       the ledger's block cache, MiB (default 256; 4 to 65536)\n"
    "  --memtables-mib N   the ledger's memtables together, MiB (default 256; 4 to 65536).\n"
    "                      Memory stays within these two plus a part that does not grow\n"
    "                      with the ledger's size or with restarts (docs/API.md).\n"
    "\n"
    "Exit 3: the ledger, the office file or the secrets could not be loaded, or the address\n"
    "could not be bound.\n";

constexpr char kSendUsage[] =
    "usage: antrean send --office ID --from PHONE [--url URL] [--config FILE]\n"
    "                    [--secrets FILE] [--name PROFILE] [--id MESSAGE_ID]\n"
    "                    [--image MEDIA_ID] TEXT\n"
    "\n"
    "Sends TEXT to a running `antrean serve` as WhatsApp would: a Cloud API webhook from\n"
    "PHONE to the office's first WhatsApp number, signed with the app secret\n"
    "(X-Hub-Signature-256). --image sends an image with TEXT as its caption (Batam's e-KTP\n"
    "photo). Prints the decision and the reply queued. --url default http://127.0.0.1:8080.\n"
    "\n"
    "Exit 1: the server did not answer 200; 3: it could not be reached.\n";

constexpr char kTokenUsage[] =
    "usage: antrean token add --name NAME --role ROLE[,ROLE...] [--office ID[,ID...]]\n"
    "                         [--secrets FILE]\n"
    "\n"
    "Creates a staff API token, prints it once, and stores only its SHA-256 in the secrets\n"
    "file (default var/secrets.json). Roles: officer (counter actions, the board), auditor\n"
    "(every read, verify, the events feed), admin (reload the office file). --office limits\n"
    "an officer's counter actions and board to those offices. A running server reads tokens\n"
    "at start: restart it to use a new token.\n";

constexpr char kSecretsUsage[] =
    "usage: antrean secrets init [--secrets FILE]\n"
    "\n"
    "Creates the secrets file (default var/secrets.json, mode 0600) with a fresh random\n"
    "booking-code key, WhatsApp app secret and verify token, unless it exists. Set the real\n"
    "app secret and verify token from Meta's App Dashboard before going live (docs/SECRETS.md).\n";

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    std::string part = s.substr(start, comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The log: one line per event; --log-json makes each a JSON object with the message escaped.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string s =
        json::serialize(json::value(std::string_view(msg.payload.data(), msg.payload.size())));
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

// The log goes to standard error; standard output carries only the "listening on" line.
void ConfigureLog(bool as_json) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("antrean"));
  if (!as_json) {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    return;
  }
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<JsonEscapedMessage>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","message":%*})");
  spdlog::set_formatter(std::move(f));
}

int RunServe(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args =
      ParseOrUsage(argv, "serve", kServeUsage,
                   {"ledger", "config", "listen", "secrets", "graph-url", "threads", "tick-seconds",
                    "max-connections", "scratch", "log-level", "cache-mib", "memtables-mib"},
                   {"log-json", "no-access-log"}, err, 0, /*ledger_required=*/false);
  if (!args) return kExitUsage;
  http::NodeOptions o;
  o.ledger_dir = args->Get("ledger").value_or("var/ledger");
  o.config_path = args->Get("config").value_or("config/offices.json");
  o.listen = args->Get("listen").value_or("127.0.0.1:8080");
  o.graph_base_url = args->Get("graph-url").value_or("");
  o.scratch_dir = args->Get("scratch").value_or("");
  o.access_log = !args->Has("no-access-log");
  for (auto [flag, target, max] :
       {std::tuple{"threads", &o.threads, std::uint64_t{64}},
        std::tuple{"max-connections", &o.limits.connections_max, std::uint64_t{100'000}}}) {
    if (auto v = args->Get(flag)) {
      auto n = ParseUint(*v);
      if (!n || *n == 0 || *n > max) {
        err << "antrean serve: --" << flag << ": expected a number from 1 to " << max << "\n";
        return kExitUsage;
      }
      *target = static_cast<std::size_t>(*n);
    }
  }
  for (auto [flag, target] : {std::pair{"cache-mib", &o.ledger.block_cache_bytes},
                              std::pair{"memtables-mib", &o.ledger.memtables_bytes}}) {
    if (auto v = args->Get(flag)) {
      constexpr std::uint64_t kMin = store::kMemoryBudgetBytesMin >> 20;
      constexpr std::uint64_t kMax = store::kMemoryBudgetBytesMax >> 20;
      auto n = ParseUint(*v);
      if (!n || *n < kMin || *n > kMax) {
        err << "antrean serve: --" << flag << ": expected a number of MiB from " << kMin << " to "
            << kMax << "\n";
        return kExitUsage;
      }
      *target = static_cast<std::size_t>(*n) << 20;
    }
  }
  if (auto v = args->Get("tick-seconds")) {
    auto n = ParseUint(*v);
    if (!n || *n > 86'400) {
      err << "antrean serve: --tick-seconds: expected a number from 0 to 86400\n";
      return kExitUsage;
    }
    o.tick_interval = std::chrono::seconds(*n);
  }
  ConfigureLog(args->Has("log-json"));
  if (!http::SetLogLevel(args->Get("log-level").value_or("info"))) {
    err << "antrean serve: --log-level: expected debug, info, warn, error or off\n";
    return kExitUsage;
  }
  // Before any thread exists, so that only RunUntilSignal receives SIGTERM.
  http::BlockStopSignals();
  auto secrets = app::LoadSecrets(args->Get("secrets").value_or("var/secrets.json"));
  if (!secrets.ok()) {
    err << "antrean serve: " << secrets.status().message() << "\n";
    return kExitError;
  }
  auto node = http::Node::Open(std::move(o), std::move(secrets).value());
  if (!node.ok()) {
    err << "antrean serve: " << node.status().message() << "\n";
    return kExitError;
  }
  (*node)->Start();
  out << "listening on http://" << (*node)->address() << std::endl;
  (*node)->RunUntilSignal();
  return kExitOk;
}

// Prints the server's answer; returns how many messages it recorded a result for.
std::size_t PrintSendResult(const std::string& body, std::ostream& out) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    out << body;
    return 0;
  }
  std::size_t recorded = 0;
  const auto* results = v.as_object().if_contains("results");
  if (results && results->is_array()) {
    recorded = results->as_array().size();
    for (const auto& r : results->as_array()) {
      out << json::serialize(r) << "\n";
      if (const auto* reply = r.as_object().if_contains("reply"); reply && reply->is_string()) {
        out << "\nreply:\n" << std::string_view(reply->as_string()) << "\n";
      }
    }
  }
  const auto* problems = v.as_object().if_contains("problems");
  if (problems && problems->is_array() && !problems->as_array().empty()) {
    out << "problems: " << json::serialize(*problems) << "\n";
  }
  return recorded;
}

int RunSend(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "send", kSendUsage,
                           {"office", "from", "url", "config", "secrets", "name", "id", "image"},
                           {}, err, 1, /*ledger_required=*/false);
  if (!args) return kExitUsage;
  if (!args->Get("office") || !args->Get("from")) {
    err << "antrean send: --office and --from are required\n\n" << kSendUsage;
    return kExitUsage;
  }
  auto offices =
      domain::LoadOfficeDirectoryFile(args->Get("config").value_or("config/offices.json"));
  if (!offices.ok()) {
    err << "antrean send: " << offices.status().message() << "\n";
    return kExitError;
  }
  const auto* office = offices->FindById(*args->Get("office"));
  if (office == nullptr) {
    err << "antrean send: no office \"" << *args->Get("office") << "\" in the office file\n";
    return kExitUsage;
  }
  // Only the app secret, to sign with: send decides nothing, so needs no booking-code key.
  auto secrets = app::LoadSecrets(args->Get("secrets").value_or("var/secrets.json"),
                                  app::BookingCodeKey::kNotNeeded);
  if (!secrets.ok() || secrets->whatsapp_app_secret.empty()) {
    err << "antrean send: "
        << (secrets.ok() ? "no whatsapp.app_secret to sign with" : secrets.status().message())
        << "\n";
    return kExitError;
  }
  // The server finds the office by the phone_number_id Meta sends with every message.
  const auto number_it =
      std::find_if(office->whatsapp_numbers.begin(), office->whatsapp_numbers.end(),
                   [](const auto& n) { return !n.phone_number_id.empty(); });
  if (number_it == office->whatsapp_numbers.end()) {
    err << "antrean send: office \"" << office->id
        << "\" has no whatsapp_numbers[].phone_number_id in the office file; the server finds "
           "an office by the phone_number_id WhatsApp sends (docs/OFFICES.md)\n";
    return kExitUsage;
  }
  const auto& number = *number_it;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string id = args->Get("id").value_or("wamid.send." + ToHex(RandomBytes(12)));
  std::string body;
  const std::string from = *args->Get("from");
  std::string wa_from = from;
  if (auto p = domain::NormalizePhone(from); p.ok()) wa_from = *p;
  if (auto image = args->Get("image")) {
    whatsapp::ImageWebhookSpec s;
    s.phone_number_id = number.phone_number_id;
    s.display_phone_number = number.digits;
    s.from = wa_from;
    s.profile_name = args->Get("name").value_or("");
    s.message_id = id;
    s.caption = args->positionals()[0];
    s.media_id = *image;
    s.timestamp_s = now;
    body = whatsapp::BuildImageWebhook(s);
  } else {
    body = whatsapp::BuildTextWebhook({number.phone_number_id, number.digits, wa_from,
                                       args->Get("name").value_or(""), id, args->positionals()[0],
                                       now});
  }
  auto url = http::ParseUrl(args->Get("url").value_or("http://127.0.0.1:8080"));
  if (!url.ok()) {
    err << "antrean send: --url: " << url.status().message() << "\n";
    return kExitUsage;
  }
  http::Client client(*url, std::chrono::seconds(30));
  auto res = client.Send(
      "POST", "/webhooks/whatsapp", body,
      {{"X-Hub-Signature-256", whatsapp::SignatureHeader(body, secrets->whatsapp_app_secret)}});
  if (!res.ok()) {
    err << "antrean send: " << res.status().message() << "\n";
    return kExitError;
  }
  if (res->status != 200) {
    err << "antrean send: HTTP " << res->status << ": " << res->body;
    return kExitFailed;
  }
  out << "sent " << id << " from " << wa_from << " to " << office->id << " (" << number.display
      << ")\n";
  if (PrintSendResult(res->body, out) == 0) {
    err << "antrean send: the server recorded nothing for this message (see the problems)\n";
    return kExitFailed;
  }
  return kExitOk;
}

int RunTokenAdd(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "token add", kTokenUsage, {"name", "role", "office", "secrets"},
                           {}, err, 0, /*ledger_required=*/false);
  if (!args) return kExitUsage;
  if (!args->Get("name") || !args->Get("role")) {
    err << "antrean token add: --name and --role are required\n\n" << kTokenUsage;
    return kExitUsage;
  }
  const std::string path = args->Get("secrets").value_or("var/secrets.json");
  auto token = app::AddApiToken(path, *args->Get("name"), SplitComma(*args->Get("role")),
                                SplitComma(args->Get("office").value_or("")));
  if (!token.ok()) {
    err << "antrean token add: " << token.status().message() << "\n";
    return token.status().IsInvalidArgument() ? kExitUsage : kExitError;
  }
  out << *token << "\n";
  err << "token \"" << *args->Get("name") << "\" added to " << path
      << "; it is shown only now. Send it as: Authorization: Bearer <token>\n";
  return kExitOk;
}

int RunSecretsInit(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  auto args = ParseOrUsage(argv, "secrets init", kSecretsUsage, {"secrets"}, {}, err, 0,
                           /*ledger_required=*/false);
  if (!args) return kExitUsage;
  const std::string path = args->Get("secrets").value_or("var/secrets.json");
  auto created = app::InitSecretsFile(path);
  if (!created.ok()) {
    err << "antrean secrets init: " << created.status().message() << "\n";
    return kExitError;
  }
  out << (*created ? "created " : "kept the existing ") << path << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> ServeCommands() {
  return {
      {"serve", "the HTTP service: WhatsApp webhook, staff API, outbox, metrics", kServeUsage,
       &RunServe},
      {"send", "send a signed WhatsApp-shaped message to a running server", kSendUsage, &RunSend},
      {"token add", "create a staff API token (stored hashed)", kTokenUsage, &RunTokenAdd},
      {"secrets init", "create the secrets file with fresh random secrets", kSecretsUsage,
       &RunSecretsInit}};
}

}  // namespace antrean::cli
