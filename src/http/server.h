// The HTTP/1.1 transport: Boost.Beast on Boost.Asio, kept out of every other header.
//
// Each connection is a session on its own strand (Beast's advanced server): it reads a request
// within the header and body timeouts, hands a plain http::Request to the handler, and writes the
// http::Response the handler replies with, from whichever thread replies. One request at a time
// per connection (no pipelining of handlers), keep-alive between them.
//
// Limits (docs/API.md, "Limits"), each answered before the handler runs:
//   a header larger than header_bytes_max       431, connection closed
//   a body larger than body_bytes_max           413 on the declared length, then what the client
//                                               still sends is dropped (2 s, 8 MiB) and closed
//   a header not complete in header_timeout_ms  connection closed
//   a body not complete in body_timeout_ms      connection closed
//   more than connections_max connections       503 to the newcomer, closed
// Shutdown stops accepting, closes idle connections, lets requests in progress finish (their
// responses say Connection: close) and returns once all are done or the grace period is over.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/message.h"

namespace antrean::http {

struct ServerLimits {
  std::size_t header_bytes_max = 16 * 1024;
  std::size_t body_bytes_max = 3 << 20;  // Meta's webhook payloads are "up to 3MB"
  std::uint32_t header_timeout_ms = 10'000;
  std::uint32_t body_timeout_ms = 30'000;
  std::uint32_t idle_timeout_ms = 75'000;  // keep-alive between requests
  std::size_t connections_max = 1024;
};

// What the transport counts itself, for /metrics.
struct TransportStats {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over connections_max
  std::uint64_t requests_rejected = 0;    // 408, 413, 431 and malformed requests
};

class Server {
 public:
  // Binds `listen` ("127.0.0.1:8080", "[::1]:0", port 0: any free port). IOError names the
  // address when it cannot be bound.
  static Result<std::unique_ptr<Server>> Listen(const std::string& listen, ServerLimits limits,
                                                Handler handler);
  virtual ~Server() = default;

  // "127.0.0.1:43117": the address actually bound.
  virtual std::string address() const = 0;
  virtual std::uint16_t port() const = 0;
  // Serves on `threads` threads until Shutdown; returns at once.
  virtual void Start(std::size_t threads) = 0;
  // See the header comment. Safe to call from any thread, once.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;
  virtual TransportStats stats() const = 0;
};

}  // namespace antrean::http
