// Secrets are kept out of the ledger and off the command line: they come from a JSON file
// (`--secrets FILE`, default var/secrets.json, mode 0600) or from environment variables, which win.
// docs/SECRETS.md describes the file:
//
//   {"booking_code_key": "at least 16 bytes of secret text",
//    "whatsapp": {"app_secret": "...", "verify_token": "...", "access_token": "..."},
//    "api_tokens": [{"name": "petugas-bogor-1", "roles": ["officer"], "offices": ["bogor"],
//                    "sha256": "<hex of SHA-256 of the token>"}]}
//
//   ANTREAN_BOOKING_CODE_KEY         overrides booking_code_key
//   ANTREAN_WHATSAPP_APP_SECRET      overrides whatsapp.app_secret
//   ANTREAN_WHATSAPP_VERIFY_TOKEN    overrides whatsapp.verify_token
//   ANTREAN_WHATSAPP_ACCESS_TOKEN    overrides whatsapp.access_token
//   ANTREAN_API_TOKENS               replaces api_tokens (the same JSON array)
//
// API tokens are stored only as their SHA-256: the file never holds a token that works. Fields
// this version does not know are refused, so that a misspelt key is not silently ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"

namespace antrean::app {

// What a staff token may do (docs/API.md, "Roles"). A token holds one or more roles.
enum class Role : std::uint8_t {
  kOfficer = 1,  // counter actions, application progress, the queue board of its offices
  kAuditor = 2,  // every read, flags, blacklist and unblacklist
  kAdmin = 4,    // configuration: reload the office file
};
std::string_view RoleName(Role role);

inline constexpr std::size_t kApiTokensMax = 1000;
inline constexpr std::size_t kApiTokenNameBytesMax = 64;

struct ApiToken {
  std::string name;                  // recorded as the actor of every event the token causes
  std::uint8_t roles = 0;            // bit set of Role
  std::vector<std::string> offices;  // empty: every office; else officer actions only there
  Hash256 sha256{};                  // of the token text
  bool Has(Role role) const { return (roles & static_cast<std::uint8_t>(role)) != 0; }
  bool MayServe(std::string_view office) const;
};

struct Secrets {
  std::string booking_code_key;       // derives booking codes (app/booking_code.h)
  std::string whatsapp_app_secret;    // checks X-Hub-Signature-256 on webhooks
  std::string whatsapp_verify_token;  // Meta's GET verification handshake
  std::string whatsapp_access_token;  // bearer token for the Graph API (the outbox)
  std::vector<ApiToken> api_tokens;

  // The token whose hash matches `presented`, or nullptr. Compares every stored hash without an
  // early exit, so that timing does not tell which token came close.
  const ApiToken* FindToken(std::string_view presented) const;
};

// Reads `path` if it exists (a missing file is fine when the environment supplies everything),
// then applies the environment. InvalidArgument names the file and field; a missing or short
// booking-code key is an error, unless the caller decides nothing (`antrean send` only signs a
// webhook) and says so. The service's own fields are optional here; `antrean serve` says which
// it needs.
enum class BookingCodeKey { kRequired, kNotNeeded };
Result<Secrets> LoadSecrets(const std::string& path,
                            BookingCodeKey key = BookingCodeKey::kRequired);

// Creates `path` (mode 0600) with a fresh random booking-code key, app secret and verify token,
// unless it exists. Returns true when it created the file.
Result<bool> InitSecretsFile(const std::string& path);

// Adds an API token to the file: a fresh random token is returned (shown once; only its hash is
// stored). The file is rewritten atomically (write, fsync, rename). InvalidArgument for a name
// already in use, an unknown role or a bad name.
Result<std::string> AddApiToken(const std::string& path, const std::string& name,
                                const std::vector<std::string>& roles,
                                const std::vector<std::string>& offices);

}  // namespace antrean::app
