#include "common/status.h"

namespace antrean {

std::string_view Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not_found";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kCorruption: return "corruption";
    case Code::kConflict: return "conflict";
    case Code::kIOError: return "io_error";
    case Code::kBusy: return "busy";
    case Code::kUnavailable: return "unavailable";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  static constexpr std::string_view kTitles[] = {"OK",       "Not found", "Invalid argument",
                                                 "Corruption", "Conflict", "IO error",
                                                 "Busy",     "Unavailable"};
  std::string out(kTitles[static_cast<int>(code_)]);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace antrean
