#include "app/secrets.h"

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/booking_code.h"

namespace antrean::app {

Result<Secrets> LoadSecrets(const std::string& path) {
  Secrets secrets;
  std::error_code fs_ec;
  if (!path.empty() && std::filesystem::exists(path, fs_ec)) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Status::IOError("cannot read secrets file " + path);
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    if (ec || !v.is_object()) return Status::InvalidArgument(path + ": expected a JSON object");
    for (const auto& kv : v.as_object()) {
      if (kv.key() == "booking_code_key") {
        if (!kv.value().is_string()) {
          return Status::InvalidArgument(path + ": field \"booking_code_key\": expected a string");
        }
        secrets.booking_code_key = std::string(kv.value().as_string());
      } else {
        return Status::InvalidArgument(path + ": unknown field \"" + std::string(kv.key()) + "\"");
      }
    }
  }
  if (const char* env = std::getenv("ANTREAN_BOOKING_CODE_KEY"); env != nullptr && *env != 0) {
    secrets.booking_code_key = env;
  }
  if (secrets.booking_code_key.size() < kCodeKeyBytesMin) {
    return Status::InvalidArgument(
        "no booking-code key of at least " + std::to_string(kCodeKeyBytesMin) +
        " bytes: set \"booking_code_key\" in " + (path.empty() ? "the secrets file" : path) +
        " or ANTREAN_BOOKING_CODE_KEY");
  }
  return secrets;
}

}  // namespace antrean::app
