// A Graph-API-like receiver on loopback for the outbox: fails the first `failures` sends with 500,
// then accepts each with a fresh "wamid.OUT<n>", as Meta's send endpoint answers. Keeps what it
// was sent (all of it, or only the count for long runs).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"

namespace antrean::support {

class FakeGraph {
 public:
  explicit FakeGraph(int failures, bool keep_requests = true)
      : failures_(failures), keep_requests_(keep_requests) {
    auto server = http::Server::Listen("127.0.0.1:0", {}, [this](http::Request req, http::Reply reply) {
      std::lock_guard lk(mu_);
      ++received_;
      if (keep_requests_) requests_.push_back(req);
      http::Response r;
      if (received_ <= failures_) {
        r.status = 500;
        r.body = R"({"error":{"message":"Service temporarily unavailable","code":2}})";
      } else {
        r.body =
            R"({"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.OUT)" +
            std::to_string(++accepted_) + R"("}]})";
      }
      reply(std::move(r));
    });
    EXPECT_TRUE(server.ok());
    server_ = std::move(server).value();
    server_->Start(1);
  }
  ~FakeGraph() { server_->Shutdown(std::chrono::milliseconds(100)); }
  FakeGraph(const FakeGraph&) = delete;
  FakeGraph& operator=(const FakeGraph&) = delete;

  std::string url() const { return "http://" + server_->address() + "/v25.0"; }
  std::vector<http::Request> requests() {
    std::lock_guard lk(mu_);
    return requests_;
  }
  // Sends received and sends accepted (a resend after a crash counts again: at-least-once).
  long received() {
    std::lock_guard lk(mu_);
    return received_;
  }
  long accepted() {
    std::lock_guard lk(mu_);
    return accepted_;
  }

 private:
  long failures_;
  bool keep_requests_;
  long received_ = 0;
  long accepted_ = 0;
  std::mutex mu_;
  std::vector<http::Request> requests_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace antrean::support
