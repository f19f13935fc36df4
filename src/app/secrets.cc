#include "app/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/booking_code.h"
#include "domain/office_config.h"

namespace antrean::app {
namespace json = boost::json;

namespace {

constexpr std::size_t kSecretsFileBytesMax = 1 << 20;
constexpr std::size_t kGeneratedSecretBytes = 24;  // 192 bits, as 48 hex characters

Status FieldError(const std::string& path, const std::string& field, const std::string& what) {
  return Status::InvalidArgument(path + ": field \"" + field + "\": " + what);
}

Result<std::string> StringField(const std::string& path, const std::string& field,
                                const json::value& v) {
  if (!v.is_string()) return FieldError(path, field, "expected a string");
  return std::string(v.as_string());
}

Result<std::uint8_t> ParseRole(std::string_view name) {
  for (Role r : {Role::kOfficer, Role::kAuditor, Role::kAdmin}) {
    if (RoleName(r) == name) return static_cast<std::uint8_t>(r);
  }
  return Status::InvalidArgument("unknown role \"" + std::string(name) +
                                 "\" (officer, auditor, admin)");
}

bool ValidTokenName(std::string_view name) {
  if (name.empty() || name.size() > kApiTokenNameBytesMax) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '@';
    if (!ok) return false;
  }
  return true;
}

Result<ApiToken> ParseToken(const std::string& path, const std::string& at, const json::value& v) {
  if (!v.is_object()) return FieldError(path, at, "expected an object");
  ApiToken t;
  bool has_hash = false;
  for (const auto& kv : v.as_object()) {
    const std::string field = at + "." + std::string(kv.key());
    if (kv.key() == "name") {
      if (!kv.value().is_string() || !ValidTokenName(kv.value().as_string())) {
        return FieldError(path, field, "expected 1 to 64 of [A-Za-z0-9-_.@]");
      }
      t.name = std::string(kv.value().as_string());
    } else if (kv.key() == "roles" || kv.key() == "offices") {
      if (!kv.value().is_array()) return FieldError(path, field, "expected an array of strings");
      for (const auto& e : kv.value().as_array()) {
        if (!e.is_string()) return FieldError(path, field, "expected an array of strings");
        if (kv.key() == "offices") {
          t.offices.emplace_back(e.as_string());
          continue;
        }
        auto role = ParseRole(e.as_string());
        if (!role.ok()) return FieldError(path, field, role.status().message());
        t.roles |= *role;
      }
    } else if (kv.key() == "sha256") {
      if (!kv.value().is_string() || !ParseHash256Hex(kv.value().as_string(), &t.sha256)) {
        return FieldError(path, field, "expected 64 hex digits (SHA-256 of the token)");
      }
      has_hash = true;
    } else {
      return FieldError(path, field, "unknown field");
    }
  }
  if (t.name.empty()) return FieldError(path, at + ".name", "is required");
  if (t.roles == 0) return FieldError(path, at + ".roles", "needs at least one role");
  if (!has_hash) return FieldError(path, at + ".sha256", "is required");
  return t;
}

Status ParseWhatsApp(const std::string& path, const json::value& v, Secrets* s) {
  if (!v.is_object()) return FieldError(path, "whatsapp", "expected an object");
  for (const auto& kv : v.as_object()) {
    const std::string field = "whatsapp." + std::string(kv.key());
    std::string* target = kv.key() == "app_secret"     ? &s->whatsapp_app_secret
                          : kv.key() == "verify_token" ? &s->whatsapp_verify_token
                          : kv.key() == "access_token" ? &s->whatsapp_access_token
                                                       : nullptr;
    if (target == nullptr) return FieldError(path, field, "unknown field");
    auto value = StringField(path, field, kv.value());
    if (!value.ok()) return value.status();
    *target = std::move(value).value();
  }
  return Status::Ok();
}

Status ParseTokens(const std::string& path, const json::value& v, Secrets* s) {
  if (!v.is_array()) return FieldError(path, "api_tokens", "expected an array");
  const auto& a = v.as_array();
  if (a.size() > kApiTokensMax) return FieldError(path, "api_tokens", "more than 1000 tokens");
  s->api_tokens.clear();
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto t = ParseToken(path, "api_tokens[" + std::to_string(i) + "]", a[i]);
    if (!t.ok()) return t.status();
    for (const auto& other : s->api_tokens) {
      if (other.name == t->name) {
        return FieldError(path, "api_tokens[" + std::to_string(i) + "].name",
                          "\"" + t->name + "\" is used twice");
      }
    }
    s->api_tokens.push_back(std::move(t).value());
  }
  return Status::Ok();
}

Status ParseFile(const std::string& path, const json::object& o, Secrets* s) {
  for (const auto& kv : o) {
    const std::string key(kv.key());
    if (key == "booking_code_key") {
      auto value = StringField(path, key, kv.value());
      if (!value.ok()) return value.status();
      s->booking_code_key = std::move(value).value();
    } else if (key == "whatsapp") {
      if (Status st = ParseWhatsApp(path, kv.value(), s); !st.ok()) return st;
    } else if (key == "api_tokens") {
      if (Status st = ParseTokens(path, kv.value(), s); !st.ok()) return st;
    } else {
      return Status::InvalidArgument(path + ": unknown field \"" + key + "\"");
    }
  }
  return Status::Ok();
}

void FromEnvironment(const char* name, std::string* target) {
  if (const char* env = std::getenv(name); env != nullptr && *env != 0) *target = env;
}

Result<json::object> ReadObject(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read secrets file " + path);
  std::string text;
  text.resize(kSecretsFileBytesMax + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kSecretsFileBytesMax) return Status::InvalidArgument(path + ": larger than 1 MiB");
  auto v = domain::ParseStrictJson(text, path);
  if (!v.ok()) return v.status();
  if (!v->is_object()) return Status::InvalidArgument(path + ": expected a JSON object");
  return v->as_object();
}

// Writes `text` to `path` atomically and privately: a temporary file (0600), fsync, rename.
Status WritePrivately(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::IOError("cannot write " + path);
  }
  return Status::Ok();
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOfficer: return "officer";
    case Role::kAuditor: return "auditor";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

bool ApiToken::MayServe(std::string_view office) const {
  if (offices.empty()) return true;
  for (const auto& o : offices) {
    if (o == office) return true;
  }
  return false;
}

const ApiToken* Secrets::FindToken(std::string_view presented) const {
  const Hash256 h = Sha256(presented);
  const ApiToken* found = nullptr;
  for (const auto& t : api_tokens) {
    if (ConstantTimeEqual(h, t.sha256) && found == nullptr) found = &t;
  }
  return found;
}

Result<Secrets> LoadSecrets(const std::string& path, BookingCodeKey key) {
  Secrets secrets;
  std::error_code fs_ec;
  if (!path.empty() && std::filesystem::exists(path, fs_ec)) {
    auto o = ReadObject(path);
    if (!o.ok()) return o.status();
    if (Status s = ParseFile(path, *o, &secrets); !s.ok()) return s;
  }
  FromEnvironment("ANTREAN_BOOKING_CODE_KEY", &secrets.booking_code_key);
  FromEnvironment("ANTREAN_WHATSAPP_APP_SECRET", &secrets.whatsapp_app_secret);
  FromEnvironment("ANTREAN_WHATSAPP_VERIFY_TOKEN", &secrets.whatsapp_verify_token);
  FromEnvironment("ANTREAN_WHATSAPP_ACCESS_TOKEN", &secrets.whatsapp_access_token);
  if (const char* env = std::getenv("ANTREAN_API_TOKENS"); env != nullptr && *env != 0) {
    boost::system::error_code ec;
    auto v = json::parse(env, ec);
    if (ec) return Status::InvalidArgument("ANTREAN_API_TOKENS: not valid JSON");
    if (Status s = ParseTokens("ANTREAN_API_TOKENS", v, &secrets); !s.ok()) return s;
  }
  if (key == BookingCodeKey::kRequired && secrets.booking_code_key.size() < kCodeKeyBytesMin) {
    return Status::InvalidArgument(
        "no booking-code key of at least " + std::to_string(kCodeKeyBytesMin) +
        " bytes: set \"booking_code_key\" in " + (path.empty() ? "the secrets file" : path) +
        " or ANTREAN_BOOKING_CODE_KEY");
  }
  return secrets;
}

Result<bool> InitSecretsFile(const std::string& path) {
  std::error_code fs_ec;
  if (std::filesystem::exists(path, fs_ec)) return false;
  auto fresh = [] { return ToHex(RandomBytes(kGeneratedSecretBytes)); };
  json::object o;
  o["booking_code_key"] = fresh();
  o["whatsapp"] = json::object{{"app_secret", fresh()}, {"verify_token", fresh()}};
  o["api_tokens"] = json::array{};
  if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
    std::filesystem::create_directories(parent, fs_ec);
  }
  if (Status s = WritePrivately(path, json::serialize(o) + "\n"); !s.ok()) return s;
  return true;
}

Result<std::string> AddApiToken(const std::string& path, const std::string& name,
                                const std::vector<std::string>& roles,
                                const std::vector<std::string>& offices) {
  if (!ValidTokenName(name)) {
    return Status::InvalidArgument("token name: expected 1 to 64 of [A-Za-z0-9-_.@]");
  }
  if (roles.empty()) return Status::InvalidArgument("a token needs at least one role");
  for (const auto& r : roles) {
    if (auto role = ParseRole(r); !role.ok()) return role.status();
  }
  auto o = ReadObject(path);
  if (!o.ok()) return o.status();
  Secrets check;
  if (Status s = ParseFile(path, *o, &check); !s.ok()) return s;
  for (const auto& t : check.api_tokens) {
    if (t.name == name) return Status::InvalidArgument("a token named \"" + name + "\" exists");
  }
  const std::string token = "atk_" + ToHex(RandomBytes(kGeneratedSecretBytes));
  json::array role_list, office_list;
  for (const auto& r : roles) role_list.emplace_back(r);
  for (const auto& f : offices) office_list.emplace_back(f);
  json::object entry{{"name", name}, {"roles", role_list}, {"sha256", ToHex(Sha256(token))}};
  if (!offices.empty()) entry["offices"] = office_list;
  json::value& tokens = (*o)["api_tokens"];
  if (!tokens.is_array()) tokens = json::array{};
  tokens.as_array().push_back(std::move(entry));
  if (Status s = WritePrivately(path, json::serialize(*o) + "\n"); !s.ok()) return s;
  return token;
}

}  // namespace antrean::app
