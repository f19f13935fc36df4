#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace antrean::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

Result<Url> ParseUrl(std::string_view text) {
  Url u;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return Status::InvalidArgument("URL without a scheme: " + std::string(text));
  u.scheme = std::string(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") {
    return Status::InvalidArgument("URL scheme must be http or https: " + std::string(text));
  }
  std::string_view rest = text.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  const auto colon = authority.rfind(':');
  const auto bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  } else {
    u.host = std::string(authority);
    u.port = u.scheme == "https" ? "443" : "80";
  }
  if (u.host.size() >= 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty() || u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("URL without a valid host and port: " + std::string(text));
  }
  return u;
}

class Client::Impl {
 public:
  Impl(Url base, std::chrono::milliseconds timeout)
      : base_(std::move(base)), timeout_(timeout), tls_(net::ssl::context::tls_client) {
    if (base_.scheme == "https") {
      tls_.set_default_verify_paths();
      tls_.set_verify_mode(net::ssl::verify_peer);
    }
  }

  Result<ClientResponse> Send(std::string_view method, std::string_view target,
                              std::string_view body, const Headers& headers,
                              std::string_view content_type) {
    const bool reused = Connected();
    auto r = Attempt(method, target, body, headers, content_type);
    if (!r.ok() && reused) {
      Disconnect();  // the server may have closed the kept connection: once more, fresh
      r = Attempt(method, target, body, headers, content_type);
    }
    if (!r.ok()) Disconnect();
    return r;
  }

  void Disconnect() {
    beast::error_code ec;
    if (plain_) plain_->socket().close(ec);
    if (secure_) beast::get_lowest_layer(*secure_).socket().close(ec);
    plain_.reset();
    secure_.reset();
    buffer_.clear();
  }

 private:
  bool Connected() const { return plain_.has_value() || secure_.has_value(); }

  // Runs one asynchronous operation to completion. Beast's stream timeouts apply only to
  // asynchronous operations, so every step goes through here to be bounded by `timeout_`.
  template <class Start>
  beast::error_code Await(Start start) {
    beast::error_code result = net::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  Status Connect() {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(base_.host, base_.port, ec);
    if (ec) return Status::IOError("resolve " + base_.host + ": " + ec.message());
    if (base_.scheme == "http") {
      plain_.emplace(ioc_);
      plain_->expires_after(timeout_);
      ec = Await([&](auto h) { plain_->async_connect(endpoints, h); });
      if (ec) return Status::IOError("connect " + base_.host + ":" + base_.port + ": " + ec.message());
      return Status::Ok();
    }
    secure_.emplace(ioc_, tls_);
    if (!SSL_set_tlsext_host_name(secure_->native_handle(), base_.host.c_str())) {
      return Status::IOError("TLS: cannot set the server name");
    }
    secure_->set_verify_callback(net::ssl::host_name_verification(base_.host));
    beast::get_lowest_layer(*secure_).expires_after(timeout_);
    ec = Await([&](auto h) { beast::get_lowest_layer(*secure_).async_connect(endpoints, h); });
    if (ec) return Status::IOError("connect " + base_.host + ":" + base_.port + ": " + ec.message());
    ec = Await([&](auto h) { secure_->async_handshake(net::ssl::stream_base::client, h); });
    if (ec) return Status::IOError("TLS handshake with " + base_.host + ": " + ec.message());
    return Status::Ok();
  }

  template <class Stream>
  Result<ClientResponse> Exchange(Stream& stream, bhttp::request<bhttp::string_body>& req) {
    beast::error_code ec = Await([&](auto h) { bhttp::async_write(stream, req, h); });
    if (ec) return Status::IOError("write: " + ec.message());
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kClientBodyBytesMax);
    ec = Await([&](auto h) { bhttp::async_read(stream, buffer_, parser, h); });
    if (ec) return Status::IOError("read: " + ec.message());
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (!res.keep_alive()) Disconnect();
    return out;
  }

  Result<ClientResponse> Attempt(std::string_view method, std::string_view target,
                                 std::string_view body, const Headers& headers,
                                 std::string_view content_type) {
    if (!Connected()) {
      if (Status s = Connect(); !s.ok()) {
        Disconnect();
        return s;
      }
    }
    bhttp::request<bhttp::string_body> req;
    req.method_string(std::string(method));
    req.target(base_.path + std::string(target));
    req.version(11);
    req.set(bhttp::field::host, base_.host);
    req.set(bhttp::field::user_agent, "antrean");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.set(bhttp::field::content_type, std::string(content_type));
      req.body() = std::string(body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    if (plain_) {
      plain_->expires_after(timeout_);
      return Exchange(*plain_, req);
    }
    beast::get_lowest_layer(*secure_).expires_after(timeout_);
    return Exchange(*secure_, req);
  }

  Url base_;
  std::chrono::milliseconds timeout_;
  net::io_context ioc_;
  net::ssl::context tls_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
};

Client::Client(Url base, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(base), timeout)) {}
Client::~Client() = default;

Result<ClientResponse> Client::Send(std::string_view method, std::string_view target,
                                    std::string_view body, const Headers& headers,
                                    std::string_view content_type) {
  return impl_->Send(method, target, body, headers, content_type);
}

void Client::Disconnect() { impl_->Disconnect(); }

}  // namespace antrean::http
