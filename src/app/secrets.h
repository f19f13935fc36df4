// Secrets are kept out of the ledger and off the command line: they come from a JSON file
// (`--secrets FILE`, default var/secrets.json) or from environment variables, which win.
//
//   {"booking_code_key": "at least 16 bytes of secret text"}
//
//   ANTREAN_BOOKING_CODE_KEY   overrides booking_code_key
//
// The HTTP service adds its own fields (docs/SECRETS.md); fields this version does not know are
// refused, so that a misspelt key is not silently ignored.
#pragma once

#include <string>

#include "common/status.h"

namespace antrean::app {

struct Secrets {
  std::string booking_code_key;  // derives booking codes (app/booking_code.h)
};

// Reads `path` if it exists (a missing file is fine when the environment supplies everything),
// then applies the environment. InvalidArgument names the file and field; a missing or short
// booking-code key is an error.
Result<Secrets> LoadSecrets(const std::string& path);

}  // namespace antrean::app
