// Bad input at the HTTP transport (docs/HARDENING.md, "Bad input"): truncated and slow requests,
// oversized headers, garbage instead of HTTP. The connection is answered or closed, nothing is
// recorded, and the server goes on serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "tests/hardening/hardening.h"

namespace antrean {
namespace {

// A plain TCP connection to the node, to send what no HTTP client would.
class RawConnection {
 public:
  explicit RawConnection(const std::string& url) {
    const auto u = *http::ParseUrl(url);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(u.port)));
    inet_pton(AF_INET, u.host.c_str(), &a.sin_addr);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    // A bound on every read, so that a server that never closes fails the test, not hangs it.
    timeval tv{20, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { close(fd_); }
  void Send(const std::string& bytes) {
    EXPECT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void CloseWrite() { shutdown(fd_, SHUT_WR); }
  // Everything the server sends until it closes the connection; "<timeout>" if it did not close.
  std::string ReadUntilClosed() {
    std::string got;
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return got;
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? got + "<timeout>" : got;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
};

class TransportInput : public hardening::NodeFixture {
 protected:
  // The server still answers a good request after the bad one.
  void ExpectStillServing() { EXPECT_EQ(client_.Get("/healthz").status, 200); }
  std::string Head(std::size_t content_length) {
    return "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(content_length) + "\r\n\r\n";
  }
};

TEST_F(TransportInput, ARequestCutOffInItsBodyIsDroppedWithoutAnswerAndNothingIsRecorded) {
  const std::string body = support::TextWebhook("wamid.cut", "6281234567890", "halo");
  {
    RawConnection c(node_.url());
    c.Send(Head(body.size()) + body.substr(0, body.size() / 2));
    c.CloseWrite();
    EXPECT_EQ(c.ReadUntilClosed(), "");
  }
  ExpectStillServing();
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(TransportInput, ARequestCutOffInItsHeaderIs400PartialMessage) {
  {
    RawConnection c(node_.url());
    c.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Le");
    c.CloseWrite();
    const std::string answer = c.ReadUntilClosed();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("{\"error\":\"malformed request: partial message\"}"), std::string::npos)
        << answer;
  }
  ExpectStillServing();
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(TransportInput, GarbageInsteadOfHttpIs400MalformedRequest) {
  RawConnection c(node_.url());
  c.Send("\x16\x03\x01\x02\x00 this is not HTTP\r\n\r\n");
  const std::string answer = c.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("malformed request: "), std::string::npos) << answer;
  ExpectStillServing();
}

TEST_F(TransportInput, ADeclaredBodyOverTheLimitIs413BeforeItIsSent) {
  RawConnection c(node_.url());
  c.Send(Head((3 << 20) + 1));
  const std::string answer = c.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("the body is larger than 3145728 bytes"), std::string::npos) << answer;
  ExpectStillServing();
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(TransportInput, AnOversizedHeaderIs431) {
  RawConnection c(node_.url());
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(20'000, 'a') + "\r\n\r\n");
  const std::string answer = c.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer;
  EXPECT_NE(answer.find("the request header is too large"), std::string::npos) << answer;
  ExpectStillServing();
}

// Slow clients, against a node whose timeouts are short so that the test does not wait 10 s.
class SlowInput : public ::testing::Test {
 protected:
  void TearDown() override {
    node_.Stop();
    hardening::ExpectIntact(dir_.path() + "/ledger");
  }
  support::TempDir dir_;
  support::TestNode node_{dir_.path() + "/ledger", [](http::NodeOptions& o) {
                            o.limits.header_timeout_ms = 300;
                            o.limits.body_timeout_ms = 300;
                          }};
  support::TestClient client_{node_.url()};
};

TEST_F(SlowInput, AHeaderThatNeverEndsIsClosedAtTheHeaderTimeout) {
  RawConnection c(node_.url());
  c.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(c.ReadUntilClosed(), "") << "closed, without an answer";
  EXPECT_EQ(client_.Get("/healthz").status, 200);
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(SlowInput, ABodyThatNeverEndsIsClosedAtTheBodyTimeoutAndNothingIsRecorded) {
  const std::string body = support::TextWebhook("wamid.slow", "6281234567890", "halo");
  RawConnection c(node_.url());
  c.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nX-Hub-Signature-256: " +
         whatsapp::SignatureHeader(body, support::kAppSecret) + "\r\n\r\n" + body.substr(0, 10));
  EXPECT_EQ(c.ReadUntilClosed(), "") << "closed, without an answer";
  EXPECT_EQ(client_.Get("/healthz").status, 200);
  EXPECT_EQ(client_.Head(), 0u);
}

}  // namespace
}  // namespace antrean
