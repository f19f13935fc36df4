// HTTP requests and responses as the handlers see them: plain values, no Boost.Beast. The
// transport (http/server.h) turns Beast's messages into these and back, so that handlers are
// small functions of a request (as in Beast's own examples) and Beast stays in one file.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace antrean::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: "/api/v1/events?from=10"
  std::string path;    // the target before '?', percent-decoded
  std::multimap<std::string, std::string, std::less<>> query;  // percent-decoded
  std::vector<std::pair<std::string, std::string>> headers;    // names in lower case
  std::string body;
  std::string remote;  // peer address, for the log
  std::chrono::steady_clock::time_point started;

  // The first header of that (lower-case) name.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
  std::optional<std::string_view> Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response
};

// Called exactly once per request, from any thread.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request, Reply)>;

// Splits "/a/b?x=1&y=%20" into the decoded path and query. False for a target that is not
// origin-form or has a bad percent escape.
bool ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string, std::less<>>* query);

// {"error": message} (plus "field" when given), as every error response carries.
Response JsonError(int status, std::string_view message, std::string_view field = {});

}  // namespace antrean::http
