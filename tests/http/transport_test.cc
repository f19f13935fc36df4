// The transport's limits, from a raw socket: sizes, timeouts, connection count, truncated
// requests. Each is answered before any handler runs, and nothing is appended.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "tests/support/http_node.h"

namespace antrean {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using support::TestClient;
using support::TestNode;

// A blocking socket to the node; Read returns what arrives until the peer closes or `wait` ends.
class Raw {
 public:
  explicit Raw(const std::string& url) : socket_(io_) {
    auto u = *http::ParseUrl(url);
    socket_.connect(tcp::endpoint(net::ip::make_address(u.host), std::stoi(u.port)));
  }
  void Send(const std::string& bytes) {
    boost::system::error_code ec;
    net::write(socket_, net::buffer(bytes), ec);
  }
  // Everything until the server closes the connection (or `wait` passes).
  std::string ReadUntilClosed(std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + wait;
    socket_.non_blocking(true);
    char buf[4096];
    while (std::chrono::steady_clock::now() < until) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (ec) {
        closed_ = true;
        break;
      }
      out.append(buf, n);
    }
    return out;
  }
  // What arrives until `needle` has arrived (or the peer closes, or `wait` passes).
  std::string ReadUntil(const std::string& needle, std::chrono::milliseconds wait) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + wait;
    socket_.non_blocking(true);
    char buf[4096];
    while (out.find(needle) == std::string::npos && std::chrono::steady_clock::now() < until) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  net::io_context io_;
  tcp::socket socket_;
  bool closed_ = false;
};

void Limits(http::NodeOptions& o) {
  o.limits.header_timeout_ms = 300;
  o.limits.body_timeout_ms = 300;
  o.limits.connections_max = 3;
}

class TransportTest : public ::testing::Test {
 protected:
  support::TempDir dir_;
  TestNode node_{dir_.path() + "/ledger", Limits};
  TestClient client_{node_.url()};
};

TEST_F(TransportTest, ABodyOverTheLimitIs413WithoutBeingRead) {
  Raw raw(node_.url());
  raw.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n");
  const std::string answer = raw.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_TRUE(raw.closed());
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(TransportTest, AHeaderOverTheLimitIs431) {
  Raw raw(node_.url());
  raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  const std::string answer = raw.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 200);
}

TEST_F(TransportTest, AHeaderThatNeverEndsIsCutOffAtTheHeaderTimeout) {
  Raw raw(node_.url());
  raw.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n");
  const auto started = std::chrono::steady_clock::now();
  raw.ReadUntilClosed();
  EXPECT_TRUE(raw.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(TransportTest, ABodyThatStopsHalfwayIsCutOffAtTheBodyTimeoutAndAppendsNothing) {
  Raw raw(node_.url());
  raw.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"obj");
  const auto started = std::chrono::steady_clock::now();
  raw.ReadUntilClosed();
  EXPECT_TRUE(raw.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(TransportTest, ATruncatedRequestAppendsNothing) {
  const std::string body = support::TextWebhook("wamid.t1", "6281234567890", "#syarat");
  {
    Raw raw(node_.url());
    raw.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nX-Hub-Signature-256: " +
             whatsapp::SignatureHeader(body, support::kAppSecret) + "\r\n\r\n" +
             body.substr(0, body.size() / 2));
  }  // the client goes away
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(client_.Head(), 0u);
}

TEST_F(TransportTest, ConnectionsOverTheLimitGet503) {
  // The test client already holds one connection; two more reach the limit of 3.
  EXPECT_EQ(client_.Get("/healthz").status, 200);
  TestClient second(node_.url()), third(node_.url());
  EXPECT_EQ(second.Get("/healthz").status, 200);
  EXPECT_EQ(third.Get("/healthz").status, 200);
  Raw fourth(node_.url());
  const std::string answer = fourth.ReadUntilClosed(std::chrono::seconds(2));
  EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
  auto metrics = client_.Get("/metrics");
  EXPECT_NE(metrics.body.find("antrean_http_connections_refused_total 1"), std::string::npos);
}

// A connection closed by a timeout must stop counting against the limit, or idle keep-alive
// clients would in time lock everyone out with 503s.
TEST_F(TransportTest, ConnectionsCutOffByATimeoutNoLongerCountAgainstTheLimit) {
  EXPECT_EQ(client_.Get("/healthz").status, 200);  // holds one of the 3
  for (int i = 0; i < 4; ++i) {                    // more timed-out connections than the limit
    Raw raw(node_.url());
    raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    EXPECT_EQ(raw.ReadUntilClosed(), "") << "cut off, not refused: connection " << i;
    EXPECT_TRUE(raw.closed());
  }
  TestClient second(node_.url()), third(node_.url());
  EXPECT_EQ(second.Get("/healthz").status, 200);
  EXPECT_EQ(third.Get("/healthz").status, 200);
}

// The 413 goes out on the declared length, before the body is read; a client that sends its whole
// body first still gets it (the server reads and drops the rest before it closes).
TEST(Transport, AClientStillSendingAnOversizedBodyGetsThe413) {
  support::TempDir dir;
  TestNode node(dir.path() + "/ledger");  // the default limits: connections that linger are few
  const std::string body((3u << 20) + 1024, 'A');
  for (int i = 0; i < 10; ++i) {  // before the fix, about every other attempt lost its answer
    http::Client client(*http::ParseUrl(node.url()), std::chrono::seconds(10));
    auto r = client.Send("POST", "/webhooks/whatsapp", body);
    ASSERT_TRUE(r.ok()) << "attempt " << i << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 413) << "attempt " << i;
  }
  EXPECT_EQ(TestClient(node.url()).Head(), 0u);
}

TEST(Transport, AClientThatExpects100ContinueIsToldToGoOn) {
  support::TempDir dir;
  TestNode node(dir.path() + "/ledger");  // the default timeouts: no hurry here
  TestClient client(node.url());
  const std::string body = support::TextWebhook("wamid.c1", "6281234567890", "#syarat");
  Raw raw(node.url());
  raw.Send("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nX-Hub-Signature-256: " +
           whatsapp::SignatureHeader(body, support::kAppSecret) + "\r\nConnection: close\r\n\r\n");
  const std::string go_on = raw.ReadUntil("\r\n\r\n", std::chrono::seconds(5));
  EXPECT_EQ(go_on.rfind("HTTP/1.1 100 Continue", 0), 0u) << go_on;
  raw.Send(body);
  const std::string answer = raw.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_EQ(client.Head(), 4u);  // configuration, message, information requested, reply
}

TEST_F(TransportTest, AMalformedRequestLineIs400) {
  Raw raw(node_.url());
  raw.Send("THIS IS NOT HTTP\r\n\r\n");
  const std::string answer = raw.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
}

}  // namespace
}  // namespace antrean
