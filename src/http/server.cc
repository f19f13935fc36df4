#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace antrean::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

class ServerImpl;

// One connection. Lives through shared_from_this while an operation is pending.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl& server);
  void Run();
  // Called by the server (on any thread) at shutdown.
  void Close();

 private:
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void Dispatch();
  void Write(Response r);
  void OnWrite(bool close, beast::error_code ec);
  void Reject(int status, std::string_view message);
  void Linger();
  void Drain(std::size_t drained);
  void Shut();

  beast::tcp_stream stream_;
  ServerImpl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  std::string remote_;
  std::chrono::steady_clock::time_point started_;
  bool busy_ = false;     // a request is being handled (on the strand)
  bool closing_ = false;  // on the strand
  bool linger_ = false;   // the request was refused before its body was read
  bool unregistered_ = false;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerLimits limits, Handler handler)
      : limits_(limits), handler_(std::move(handler)), acceptor_(net::make_strand(ioc_)) {}
  ~ServerImpl() override { Shutdown(std::chrono::milliseconds(0)); }

  Status Bind(const std::string& listen);
  std::string address() const override { return address_; }
  std::uint16_t port() const override { return port_; }
  void Start(std::size_t threads) override;
  void Shutdown(std::chrono::milliseconds grace) override;
  TransportStats stats() const override {
    TransportStats s;
    s.connections_open = open_.load();
    s.connections_accepted = accepted_.load();
    s.connections_refused = refused_.load();
    s.requests_rejected = rejected_.load();
    return s;
  }

  const ServerLimits& limits() const { return limits_; }
  const Handler& handler() const { return handler_; }
  bool stopping() const { return stopping_.load(); }
  void Rejected() { ++rejected_; }
  void Register(const std::shared_ptr<Session>& s) {
    std::lock_guard lk(mu_);
    sessions_.insert(s);
  }
  void Unregister(const std::shared_ptr<Session>& s) {
    std::lock_guard lk(mu_);
    sessions_.erase(s);
    --open_;
    cv_.notify_all();
  }

 private:
  void Accept();
  void RefuseOverLimit(tcp::socket socket);

  ServerLimits limits_;
  Handler handler_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::string address_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> open_{0}, accepted_{0}, refused_{0}, rejected_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::shared_ptr<Session>> sessions_;  // guarded by mu_
};

Session::Session(tcp::socket socket, ServerImpl& server)
    : stream_(std::move(socket)), server_(server) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

void Session::Run() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
}

void Session::Close() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    // A request being handled finishes and is answered with Connection: close; an idle
    // connection is closed now.
    if (!self->busy_) self->Shut();
  });
}

void Session::ReadHeader() {
  if (closing_ || server_.stopping()) return Shut();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits().header_bytes_max));
  parser_->body_limit(server_.limits().body_bytes_max);
  // The first request gets the header timeout; later ones wait at most the keep-alive idle time
  // for their first byte and then the header timeout (approximated as one budget).
  stream_.expires_after(std::chrono::milliseconds(
      buffer_.size() == 0 && started_ != std::chrono::steady_clock::time_point{}
          ? server_.limits().idle_timeout_ms
          : server_.limits().header_timeout_ms));
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             self->OnHeader(ec);
                           });
}

void Session::OnHeader(beast::error_code ec) {
  started_ = std::chrono::steady_clock::now();
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == net::error::eof) {
    return Shut();
  }
  if (ec == bhttp::error::header_limit) return Reject(431, "the request header is too large");
  if (ec == bhttp::error::body_limit) {  // the declared Content-Length is over the limit
    return Reject(413, "the body is larger than " + std::to_string(server_.limits().body_bytes_max) +
                           " bytes");
  }
  if (ec) return Reject(400, "malformed request: " + ec.message());
  if (auto len = parser_->content_length(); len && *len > server_.limits().body_bytes_max) {
    return Reject(413, "the body is larger than " + std::to_string(server_.limits().body_bytes_max) +
                           " bytes");
  }
  stream_.expires_after(std::chrono::milliseconds(server_.limits().body_timeout_ms));
  // A client that asks first (curl does for bodies over 1 KiB) is told to go on, rather than
  // left to wait its own timeout before sending the body.
  if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
    auto go_on = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
    bhttp::async_write(stream_, *go_on,
                       [self = shared_from_this(), go_on](beast::error_code e, std::size_t) {
                         if (e) return self->Shut();
                         self->ReadBody();
                       });
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code e, std::size_t) {
                      self->OnBody(e);
                    });
}

void Session::OnBody(beast::error_code ec) {
  // A timed-out stream is already closed (Beast closes it): there is no one left to answer.
  if (ec == beast::error::timeout) {
    server_.Rejected();
    return Shut();
  }
  if (ec == bhttp::error::body_limit) return Reject(413, "the body is too large");
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == bhttp::error::partial_message || ec == net::error::connection_reset ||
      ec == net::error::operation_aborted) {
    return Shut();  // the client went away mid-request: nothing to answer
  }
  if (ec) return Reject(400, "malformed request: " + ec.message());
  stream_.expires_never();
  Dispatch();
}

void Session::Dispatch() {
  auto msg = parser_->release();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.remote = remote_;
  req.started = started_;
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = std::move(msg.body());
  const bool keep_alive = msg.keep_alive();
  if (!ParseTarget(req.target, &req.path, &req.query)) {
    server_.Rejected();
    Response r = JsonError(400, "the request target is not a valid path");
    r.close = true;
    return Write(std::move(r));
  }
  busy_ = true;
  server_.handler()(std::move(req), [self = shared_from_this(), keep_alive](Response r) {
    r.close = r.close || !keep_alive;
    net::post(self->stream_.get_executor(),
              [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
  });
}

void Session::Write(Response r) {
  const bool close = r.close || closing_ || server_.stopping();
  response_ = {};
  response_.version(11);
  response_.result(static_cast<unsigned>(r.status));
  response_.set(bhttp::field::server, "antrean");
  response_.set(bhttp::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) response_.set(k, v);
  response_.body() = std::move(r.body);
  response_.keep_alive(!close);
  response_.prepare_payload();
  stream_.expires_after(std::chrono::milliseconds(server_.limits().body_timeout_ms));
  bhttp::async_write(stream_, response_,
                     [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
                       self->OnWrite(close, ec);
                     });
}

void Session::OnWrite(bool close, beast::error_code ec) {
  busy_ = false;
  if (!ec && close && linger_ && !closing_ && !server_.stopping()) return Linger();
  if (ec || close) return Shut();
  ReadHeader();
}

void Session::Reject(int status, std::string_view message) {
  server_.Rejected();
  linger_ = true;
  Response r = JsonError(status, message);
  r.close = true;
  Write(std::move(r));
}

// A refused request's body may still be on its way (a 413 goes out on the declared length, before
// the body is read). Closing at once with unread bytes makes the kernel answer with a reset, and a
// client still writing may lose the answer it was sent. So, as nginx's lingering close does: stop
// sending, read and drop what still comes for a moment, then close.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytesMax = 8u << 20;
constexpr std::size_t kLingerReadBytes = 16 * 1024;

void Session::Linger() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return Shut();
  stream_.expires_after(kLingerTime);
  Drain(0);
}

void Session::Drain(std::size_t drained) {
  buffer_.clear();
  stream_.async_read_some(
      buffer_.prepare(kLingerReadBytes),
      [self = shared_from_this(), drained](beast::error_code ec, std::size_t n) {
        // The client's close (eof), the timer or the byte cap ends it.
        if (ec || drained + n >= kLingerBytesMax) return self->Shut();
        self->Drain(drained + n);
      });
}

// Closes the connection (if the stream is not already closed: a timeout closes it) and lets the
// server forget the session, once.
void Session::Shut() {
  if (stream_.socket().is_open()) {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }
  if (unregistered_) return;
  unregistered_ = true;
  server_.Unregister(shared_from_this());
}

Status ServerImpl::Bind(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("--listen: expected HOST:PORT, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port_text) > 65535) {
    return Status::InvalidArgument("--listen: bad port \"" + port_text + "\"");
  }
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("--listen: bad address \"" + host + "\"");
  tcp::endpoint ep(address, static_cast<std::uint16_t>(std::stoul(port_text)));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen on " + listen + ": " + ec.message());
  auto local = acceptor_.local_endpoint(ec);
  port_ = local.port();
  address_ = (local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                      : local.address().to_string()) +
             ":" + std::to_string(port_);
  return Status::Ok();
}

void ServerImpl::Start(std::size_t threads) {
  work_.emplace(net::make_work_guard(ioc_));
  Accept();
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

void ServerImpl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping_) return;
    if (!ec) {
      ++accepted_;
      if (open_.load() >= limits_.connections_max) {
        RefuseOverLimit(std::move(socket));
      } else {
        ++open_;
        auto s = std::make_shared<Session>(std::move(socket), *this);
        Register(s);
        s->Run();
      }
    }
    Accept();
  });
}

void ServerImpl::RefuseOverLimit(tcp::socket socket) {
  ++refused_;
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: "
      "close\r\nRetry-After: 1\r\nContent-Length: 44\r\n\r\n{\"error\":\"too many connections; try again\"}\n";
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*sock, net::buffer(kBusy), [sock](beast::error_code, std::size_t) {
    beast::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
  });
}

void ServerImpl::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_.exchange(true)) return;
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lk(mu_);
    sessions.assign(sessions_.begin(), sessions_.end());
  }
  for (auto& s : sessions) s->Close();
  sessions.clear();
  {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, grace, [this] { return sessions_.empty(); });
  }
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lk(mu_);
  sessions_.clear();
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Listen(const std::string& listen, ServerLimits limits,
                                               Handler handler) {
  auto server = std::make_unique<ServerImpl>(limits, std::move(handler));
  if (Status s = server->Bind(listen); !s.ok()) return s;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace antrean::http
