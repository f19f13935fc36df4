// A small synchronous HTTP/1.1 client over Boost.Beast: the outbox's connection to the Graph API
// (https), `antrean send`, the tests and the load generator (http on loopback). One client is one
// kept-alive connection; use one per thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace antrean::http {

// The response body is refused beyond this (the Graph API answers in a few hundred bytes; the
// events feed in pages bounded by its limit).
inline constexpr std::size_t kClientBodyBytesMax = 64 << 20;

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::string port;    // "443" by default for https, "80" for http
  std::string path;    // without a trailing '/'; "" for the root
};
// "https://graph.facebook.com/v25.0" -> {https, graph.facebook.com, 443, /v25.0}.
Result<Url> ParseUrl(std::string_view text);

struct ClientResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Client {
 public:
  // `timeout` bounds each request: connect, write and read together.
  Client(Url base, std::chrono::milliseconds timeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `method` to base.path + `target`. IOError (with what failed: resolve, connect, TLS,
  // write, read, timeout) when there is no HTTP response; any HTTP status is a response. A kept
  // connection the server closed meanwhile is reopened once.
  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              std::string_view body = {}, const Headers& headers = {},
                              std::string_view content_type = "application/json");
  // Closes the kept connection (the next Send opens a new one).
  void Disconnect();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace antrean::http
