#include "net/http_session.hpp"

#include "net/http_responses.hpp"
#include "net/websocket_connection.hpp"

#include <openssl/crypto.h>

namespace evstream::net {

namespace {

constexpr std::string_view streams_root = "/api/v1/streams/";
constexpr std::string_view valid_tx_path = "/api/v1/streams/valid_tx";
constexpr std::string_view blocks_path = "/api/v1/blocks";
// How long an ingest may wait for the block source before the client gets 503.
constexpr auto ingest_reply_timeout = std::chrono::seconds(10);
// The most a body read takes from the socket at once.
constexpr std::uint64_t body_read_bytes = 256 * 1024;
// How long a connection we are closing may still send before it is cut.
constexpr auto drain_timeout = std::chrono::seconds(2);

std::string_view path_of(beast::string_view target) {
  std::string_view text{target.data(), target.size()};
  return text.substr(0, text.find('?'));
}

bool is_read(http::verb method) { return method == http::verb::get || method == http::verb::head; }

string_response method_not_allowed(reply_shape req, const char* allowed) {
  auto res = error_response(req, http::status::method_not_allowed,
                            std::string{"method not allowed; use "} + allowed);
  res.set(http::field::allow, allowed);
  return res;
}

// Constant-time, so the answer's timing says nothing about the token.
bool token_matches(std::string_view given, const std::string& expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

} // namespace

http_session::http_session(tcp::socket&& socket, server_context_ptr context)
    : context_(std::move(context)), stream_(beast::tcp_stream{std::move(socket)}, context_->tls.get()) {}

http_session::~http_session() = default;

void http_session::start() {
  registration_ = context_->connections.add(shared_from_this(), connection_registry::kind::http);
  // The TLS handshake shares the request timeout: a client that never
  // finishes it cannot hold the slot.
  socket_stream().expires_after(context_->settings.request_timeout);
  stream_.async_handshake(beast::bind_front_handler(&http_session::on_handshake, shared_from_this()));
}

void http_session::on_handshake(error_code ec) {
  if (ec) return; // not TLS, or gave up: nothing to answer
  do_read();
}

void http_session::force_close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    // An ingest in flight is answered first; the answer then closes.
    self->shutting_down_ = true;
    if (!self->ingest_pending_) self->socket_stream().close();
  });
}

void http_session::do_read() {
  parser_.emplace();
  parser_->body_limit(context_->settings.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(context_->settings.max_header_bytes));
  socket_stream().expires_after(context_->settings.request_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&http_session::on_header, shared_from_this()));
}

void http_session::on_header(error_code ec, std::size_t bytes) {
  if (ec) return on_read(ec, bytes);
  // Beast reads as much as the buffer's free capacity (at least 512 bytes):
  // give a large body room, or a 1 MB block takes two thousand reads.
  if (auto length = parser_->content_length(); length && *length > buffer_.capacity())
    buffer_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, body_read_bytes)));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    socket_stream().socket().shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    auto shape = shape_of(parser_->get());
    auto res = ec == http::error::body_limit
                   ? error_response(shape, http::status::payload_too_large,
                                    "request body over " + std::to_string(context_->settings.max_body_bytes)
                                        + " bytes")
                   : error_response(shape, http::status::request_header_fields_too_large,
                                    "request header over "
                                        + std::to_string(context_->settings.max_header_bytes) + " bytes");
    res.keep_alive(false); // the rest of the request is still unread
    return send(std::move(res));
  }
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == asio::error::eof
      || ec == asio::error::connection_reset)
    return;
  if (ec) {
    auto res =
        error_response(reply_shape{}, http::status::bad_request, "malformed HTTP request: " + ec.message());
    res.keep_alive(false);
    return send(std::move(res));
  }
  route(parser_->release());
}

void http_session::route(request&& req) {
  auto path = path_of(req.target());
  if (path == "/") {
    if (!is_read(req.method())) return send(method_not_allowed(shape_of(req), "GET, HEAD"));
    error_code ignored;
    auto local = socket_stream().socket().local_endpoint(ignored);
    auto base = stream_base_url(req, context_->settings.advertised_url, local, stream_.is_tls());
    auto res = json_response(shape_of(req), http::status::ok,
                             {{"_links", {{"streams_v1", base + std::string{streams_root}}}}});
    // Discovery is public and read-only: let browser pages on any origin read it.
    res.set(http::field::access_control_allow_origin, "*");
    if (req.method() == http::verb::head) res.body().clear(); // Content-Length stays that of the GET answer
    return send(std::move(res));
  }
  if (path == valid_tx_path) {
    if (websocket::is_upgrade(req)) return upgrade(std::move(req));
    if (!is_read(req.method())) return send(method_not_allowed(shape_of(req), "GET"));
    auto res = error_response(shape_of(req), http::status::upgrade_required,
                              "this is a WebSocket stream; connect with a WebSocket client");
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
    return send(std::move(res));
  }
  if (path.substr(0, streams_root.size()) == streams_root) {
    auto name = std::string{path.substr(streams_root.size())};
    return send(error_response(shape_of(req), http::status::not_found,
                               "unknown stream \"" + name + "\"; this node serves valid_tx",
                               {{"streams", boost::json::array{"valid_tx"}}}));
  }
  if (path == blocks_path) {
    if (req.method() != http::verb::post) return send(method_not_allowed(shape_of(req), "POST"));
    return ingest(std::move(req));
  }
  send(error_response(shape_of(req), http::status::not_found, "no such resource: " + std::string{path}));
}

void http_session::upgrade(request&& req) {
  const auto& settings = context_->settings;
  error_code ec;
  auto client = socket_stream().socket().remote_endpoint(ec).address();
  std::string refusal;
  if (ec) return;
  if (!context_->connections.admit_subscriber(client, settings.max_connections,
                                              settings.max_connections_per_ip, refusal))
    return send(error_response(shape_of(req), http::status::service_unavailable, refusal));
  socket_stream().expires_never(); // the WebSocket layer has its own timeouts
  auto connection = std::make_shared<websocket_connection>(std::move(stream_), context_, client);
  connection->start(std::move(req));
}

void http_session::ingest(request&& req) {
  const auto& settings = context_->settings;
  if (!settings.ingest_enabled)
    return send(error_response(shape_of(req), http::status::not_found,
                               "ingest is off; start evstream with --source=ingest"));
  if (!settings.ingest_token.empty()) {
    auto authorization = req[http::field::authorization];
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.empty()) {
      auto res = error_response(shape_of(req), http::status::unauthorized,
                                "ingest needs an Authorization: Bearer token");
      res.set(http::field::www_authenticate, "Bearer");
      return send(std::move(res));
    }
    std::string_view given{authorization.data(), authorization.size()};
    if (given.substr(0, scheme.size()) != scheme
        || !token_matches(given.substr(scheme.size()), settings.ingest_token))
      return send(error_response(shape_of(req), http::status::forbidden, "wrong ingest token"));
  } else if (error_code ec; !socket_stream().socket().remote_endpoint(ec).address().is_loopback()) {
    return send(error_response(shape_of(req), http::status::forbidden,
                               "ingest is open to loopback clients only unless --ingest-token is set"));
  }
  // Ask the block source from a one-shot actor: Asio handlers never block.
  auto shape = shape_of(req);
  auto self = shared_from_this();
  ingest_pending_ = true;
  auto deliver = [self](string_response res) {
    asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
      self->ingest_pending_ = false;
      self->send(std::move(res));
    });
  };
  context_->system->spawn([source = context_->block_source, body = std::move(req.body()), shape,
                           deliver](caf::event_based_actor* asker) mutable {
    asker->request(source, ingest_reply_timeout, ingest_atom::value, std::move(body))
        .then([=](const ingest_result& result) { deliver(ingest_response(shape, result)); },
              [=](const caf::error&) {
                deliver(
                    error_response(shape, http::status::service_unavailable, "block source did not answer"));
              });
  });
}

void http_session::send(response&& res) {
  pending_response_ = std::make_shared<response>(std::move(res));
  bool close = pending_response_->need_eof();
  http::async_write(stream_, *pending_response_,
                    beast::bind_front_handler(&http_session::on_write, shared_from_this(), close));
}

void http_session::on_write(bool close, error_code ec, std::size_t) {
  pending_response_.reset();
  if (ec) return;
  if (shutting_down_) return socket_stream().close();
  if (close) {
    socket_stream().socket().shutdown(tcp::socket::shutdown_send, ec);
    return drain();
  }
  do_read();
}

void http_session::drain() {
  // Discard what the client still sends (say, the rest of a refused body) so
  // that it reads our answer instead of a connection reset; bounded in time.
  buffer_.clear();
  socket_stream().expires_after(drain_timeout);
  stream_.async_read_some(buffer_.prepare(64 * 1024),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                            if (!ec) self->drain();
                          });
}

} // namespace evstream::net
