#include "net/http_session.hpp"

#include "actors/observability.hpp"
#include "actors/upstream_link.hpp"
#include "net/actor_ask.hpp"
#include "net/demo_page.hpp"
#include "net/http_responses.hpp"
#include "net/ingest_guard.hpp"
#include "net/jetstream_link.hpp"
#include "net/node_follower.hpp"
#include "net/routes.hpp"
#include "net/stream_request.hpp"
#include "net/websocket_connection.hpp"
#include "ops/build_info.hpp"
#include "ops/log.hpp"

#include <openssl/crypto.h>

#include <cmath>
#include <type_traits>

namespace evstream::net {

namespace {

// A ready node's block source answers well within this.
constexpr auto readiness_timeout = std::chrono::seconds(1);
// How long a request may wait for an actor's answer before the client gets 503.
constexpr auto actor_reply_timeout = std::chrono::seconds(10);
// The most a body read takes from the socket at once.
constexpr std::uint64_t body_read_bytes = 256 * 1024;
// How long a connection we are closing may still send before it is cut.
constexpr auto drain_timeout = std::chrono::seconds(2);

// Every stream this node serves, by name, as URLs under `base`.
boost::json::object stream_urls(const std::string& base) {
  boost::json::object urls;
  for (const auto& served : served_streams())
    urls[served.name] = base + std::string{streams_root} + std::string{served.name};
  return urls;
}

// Constant-time, so the answer's timing says nothing about the token.
bool token_matches(std::string_view given, const std::string& expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

} // namespace

http_session::http_session(tcp::socket&& socket, server_context_ptr context)
    : context_(std::move(context)), credentials_(context_->current_credentials()),
      stream_(beast::tcp_stream{std::move(socket)}, credentials_->tls.get()) {}

http_session::~http_session() {
  ops::log(ops::log_level::info, "http_close",
           {{"remote", remote_}, {"reason", end_reason_}, {"requests", requests_}});
}

void http_session::start() {
  registration_ = context_->connections.add(shared_from_this(), connection_registry::kind::http);
  open_ = context_->metrics->connection_opened(ops::connection_kind::http);
  error_code ec;
  remote_ = endpoint_text(socket_stream().socket().remote_endpoint(ec));
  ops::log(ops::log_level::info, "http_open", {{"remote", remote_}, {"tls", context_->tls}});
  // The TLS handshake shares the request timeout: a client that never
  // finishes it cannot hold the slot.
  socket_stream().expires_after(context_->settings.request_timeout);
  stream_.async_handshake(beast::bind_front_handler(&http_session::on_handshake, shared_from_this()));
}

void http_session::on_handshake(error_code ec) {
  if (ec) {
    end_reason_ = "tls_failed"; // not TLS, or gave up: nothing to answer
    return;
  }
  do_read();
}

void http_session::force_close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    // An ingest in flight is answered first; the answer then closes.
    self->shutting_down_ = true;
    if (!self->answer_pending_) self->socket_stream().close();
  });
}

void http_session::do_read() {
  route_name_ = "unrouted";
  method_.clear();
  path_.clear();
  started_ = std::chrono::steady_clock::now();
  parser_.emplace();
  parser_->body_limit(context_->settings.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(context_->settings.max_header_bytes));
  socket_stream().expires_after(context_->settings.request_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&http_session::on_header, shared_from_this()));
}

void http_session::on_header(error_code ec, std::size_t bytes) {
  if (ec) return on_read(ec, bytes);
  started_ = std::chrono::steady_clock::now();
  const auto& header = parser_->get();
  method_ = std::string{header.method_string()};
  path_ = std::string{path_of({header.target().data(), header.target().size()})};
  // Beast reads as much as the buffer's free capacity (at least 512 bytes):
  // give a large body room, or a 1 MB block takes two thousand reads.
  if (auto length = parser_->content_length(); length && *length > buffer_.capacity())
    buffer_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, body_read_bytes)));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(error_code ec, std::size_t) {
  // Closed between requests, or in the middle of one (partial_message): the
  // client went away, and there is no one to answer.
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    end_reason_ = "client_closed";
    socket_stream().socket().shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    auto shape = shape_of(parser_->get());
    auto target = parser_->get().target();
    if (ec == http::error::body_limit && path_of({target.data(), target.size()}) == blocks_path)
      refuse_ingest(ops::ingest_refusal::too_large,
                    "request body over " + std::to_string(context_->settings.max_body_bytes) + " bytes");
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
      || ec == asio::error::connection_reset) {
    end_reason_ = ec == beast::error::timeout            ? "timeout"
                  : ec == asio::error::operation_aborted ? "shutdown"
                  : ec == asio::error::eof               ? "client_closed"
                                                         : "connection_lost";
    return;
  }
  if (ec) {
    auto res =
        error_response(reply_shape{}, http::status::bad_request, "malformed HTTP request: " + ec.message());
    res.keep_alive(false);
    return send(std::move(res));
  }
  route(parser_->release());
}

void http_session::route(request&& req) {
  ++requests_;
  auto routed =
      route_request(req.method(), {req.target().data(), req.target().size()}, websocket::is_upgrade(req));
  if (!routed) return send(refusal_response(req.keep_alive(), routed.error()));
  route_name_ = name_of(routed->to);
  switch (routed->to) {
  case endpoint_kind::discovery:
    return discover(std::move(req), routed->path);
  case endpoint_kind::stream:
    return subscribe(std::move(req), routed->stream);
  case endpoint_kind::ingest:
    return ingest(std::move(req));
  case endpoint_kind::health:
    // Alive: this connection was served. Ready: the block source answers too.
    return send(probe_response(req, json_response(shape_of(req), http::status::ok, {{"status", "alive"}})));
  case endpoint_kind::readiness:
    return check_readiness(std::move(req));
  case endpoint_kind::metrics:
    return serve_metrics(req);
  case endpoint_kind::demo:
    return send(demo_page_response(req, context_->settings));
  }
}

template <class Reply, class Answered, class... Message>
void http_session::ask_actor(const caf::actor& whom, caf::timespan timeout, Answered answered,
                             Message&&... message) {
  answer_pending_ = true;
  ask_on<Reply>(
      *context_->system, whom, timeout, stream_.get_executor(),
      [self = shared_from_this(), answered = std::move(answered)](caf::expected<Reply> reply) mutable {
        self->answer_pending_ = false;
        answered(std::move(reply));
      },
      std::forward<Message>(message)...);
}

void http_session::discover(request&& req, std::string_view path) {
  error_code ignored;
  auto local = socket_stream().socket().local_endpoint(ignored);
  auto base = stream_base_url(req, context_->settings.advertised_url, local, stream_.is_tls());
  // BigchainDB 1.x and 2.x clients find their stream as "streams" of
  // GET /api/v1/, and as api.v1.streams of GET /. As 2.x speaks, the URL
  // carries its port, and GET / names the software and its version.
  const bool v2 = context_->settings.api == schema::bigchaindb_api::v2;
  auto bigchaindb_stream =
      (v2 ? with_explicit_port(base) : base) + std::string{streams_root} + "valid_transactions";
  boost::json::object body;
  if (path == "/") {
    body = {{"_links", {{"streams_v1", base + std::string{streams_root}}}},
            {"streams", stream_urls(base)},
            {"api", {{"v1", {{"streams", bigchaindb_stream}}}}}};
    if (v2) {
      body["software"] = "evstream";
      body["version"] = ops::version();
    }
  } else if (path == streams_root)
    body = {{"streams", stream_urls(base)}};
  else
    body = {{"streams", bigchaindb_stream}, {"_links", {{"streams_v1", base + std::string{streams_root}}}}};
  auto res = json_response(shape_of(req), http::status::ok, body);
  // Discovery is public and read-only: let browser pages on any origin read it.
  res.set(http::field::access_control_allow_origin, "*");
  if (req.method() == http::verb::head) res.body().clear(); // Content-Length stays that of the GET answer
  send(std::move(res));
}

http_session::response http_session::probe_response(const request& req, response res) {
  // Probes poll: never cached, and a HEAD gets the status alone.
  res.set(http::field::cache_control, "no-store");
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

void http_session::check_readiness(request&& req) {
  auto pending = std::make_shared<request>(std::move(req));
  if (context_->jetstream) {
    // A cluster node is ready while its NATS connection is up.
    ask_actor<jetstream_status>(
        context_->jetstream, readiness_timeout,
        [self = shared_from_this(), pending](caf::expected<jetstream_status> status) {
          auto shape = shape_of(*pending);
          auto res =
              status && status->connected
                  ? json_response(shape, http::status::ok,
                                  {{"status", "ready"}, {"jetstream_last_sequence", status->last_sequence}})
                  : error_response(shape, http::status::service_unavailable,
                                   "not connected to NATS JetStream", {{"status", "not ready"}});
          self->send(self->probe_response(*pending, std::move(res)));
        },
        caf::get_atom::value, jetstream_atom::value);
    return;
  }
  if (context_->node_follower) {
    // A follower is ready while its BigchainDB node and Tendermint answer.
    ask_actor<follower_status>(
        context_->node_follower, readiness_timeout,
        [self = shared_from_this(), pending](caf::expected<follower_status> status) {
          auto shape = shape_of(*pending);
          string_response res;
          if (!status)
            res = error_response(shape, http::status::service_unavailable,
                                 "the node follower does not answer", {{"status", "not ready"}});
          else if (!status->reachable)
            res = error_response(shape, http::status::service_unavailable,
                                 "the BigchainDB node does not answer",
                                 {{"status", "not ready"}, {"node", status->node}});
          else
            res = json_response(
                shape, http::status::ok,
                {{"status", "ready"}, {"node", status->node}, {"next_height", status->next_height}});
          self->send(self->probe_response(*pending, std::move(res)));
        },
        caf::get_atom::value, follower_atom::value);
    return;
  }
  if (context_->upstream_link) {
    // A relay is ready while it follows its upstream.
    ask_actor<upstream_status>(
        context_->upstream_link, readiness_timeout,
        [self = shared_from_this(), pending](caf::expected<upstream_status> status) {
          auto shape = shape_of(*pending);
          string_response res;
          if (!status)
            res = error_response(shape, http::status::service_unavailable,
                                 "the upstream link does not answer", {{"status", "not ready"}});
          else if (!status->following)
            res = error_response(shape, http::status::service_unavailable, "not following the upstream now",
                                 {{"status", "not ready"}, {"upstream", status->upstream}});
          else if (!status->caught_up)
            res = error_response(shape, http::status::service_unavailable,
                                 "taking its first window from the upstream",
                                 {{"status", "not ready"}, {"upstream", status->upstream}});
          else
            res = json_response(
                shape, http::status::ok,
                {{"status", "ready"}, {"upstream", status->upstream}, {"links_lost", status->links_lost}});
          self->send(self->probe_response(*pending, std::move(res)));
        },
        caf::get_atom::value, upstream_atom::value);
    return;
  }
  ask_actor<source_counters>(
      context_->block_source, readiness_timeout,
      [self = shared_from_this(), pending](caf::expected<source_counters> counters) {
        auto shape = shape_of(*pending);
        auto res =
            counters ? json_response(shape, http::status::ok,
                                     {{"status", "ready"}, {"blocks_published", counters->blocks_published}})
                     : error_response(shape, http::status::service_unavailable,
                                      "the block source does not answer", {{"status", "not ready"}});
        self->send(self->probe_response(*pending, std::move(res)));
      },
      caf::get_atom::value, counters_atom::value);
}

void http_session::serve_metrics(const request& req) {
  response res{http::status::ok, 11};
  res.keep_alive(req.keep_alive());
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = context_->metrics->text();
  res.prepare_payload();
  send(probe_response(req, std::move(res)));
}

// A refusal of the HTTP layer; the block source counts and reports its own.
void http_session::refuse_ingest(ops::ingest_refusal reason, std::string_view error) {
  context_->metrics->ingest_errors(reason).increment();
  ops::log_repeatable(ops::log_level::warn, "ingest_error", ops::label_of(reason),
                      {{"remote", remote_}, {"reason", ops::label_of(reason)}, {"error", error}});
}

void http_session::subscribe(request&& req, stream_kind stream) {
  auto read = read_stream_request(stream, {req.target().data(), req.target().size()});
  if (!read) return send(error_response(shape_of(req), read.error().status, read.error().message));
  auto& wanted = *read;
  if (!wanted.since) return upgrade(std::move(req), std::move(wanted.wanted));
  // The cursor is checked before the upgrade, so a client learns why it
  // cannot resume from an HTTP status it can act on.
  auto pending = std::make_shared<std::pair<request, subscription>>(std::move(req), std::move(wanted.wanted));
  ask_actor<cursor_status>(
      context_->dispatcher, actor_reply_timeout,
      [self = shared_from_this(), pending, since = *wanted.since](caf::expected<cursor_status> status) {
        self->resume(std::move(pending->first), std::move(pending->second), since, status);
      },
      cursor_atom::value, *wanted.since);
}

void http_session::resume(request&& req, subscription wanted, const std::string& since,
                          const caf::expected<cursor_status>& status) {
  if (shutting_down_) {
    end_reason_ = "shutdown";
    return socket_stream().close();
  }
  auto shape = shape_of(req);
  if (!status)
    return send(error_response(shape, http::status::service_unavailable, "the dispatcher did not answer"));
  using standing = cursor_status::standing;
  if (context_->stream_history && (status->where == standing::expired || status->where == standing::unknown))
    return resume_from_stream(std::move(req), std::move(wanted), since, *status);
  resume_at(std::move(req), std::move(wanted), since, *status);
}

// Past this node's window (--jetstream): the stream may still hold the
// cursor (or the block after it), and the session then reads what it missed
// from there. If the stream does not, the dispatcher's word stands (410 for
// a block this node streamed, 404 for one it never did), with the stream's
// oldest block.
void http_session::resume_from_stream(request&& req, subscription wanted, const std::string& since,
                                      const cursor_status& in_window) {
  auto pending = std::make_shared<std::pair<request, subscription>>(std::move(req), std::move(wanted));
  ask_actor<cursor_status>(
      context_->stream_history, actor_reply_timeout,
      [self = shared_from_this(), pending, since,
       in_window = in_window.where](caf::expected<cursor_status> found) {
        if (self->shutting_down_) {
          self->end_reason_ = "shutdown";
          return self->socket_stream().close();
        }
        if (!found)
          return self->send(
              error_response(shape_of(pending->first), http::status::service_unavailable,
                             "the stream did not answer: " + self->context_->system->render(found.error())));
        if (found->where == cursor_status::standing::unknown) found->where = in_window;
        self->resume_at(std::move(pending->first), std::move(pending->second), since, *found);
      },
      cursor_atom::value, since,
      in_window.where == cursor_status::standing::expired ? in_window.sequence : 0);
}

void http_session::resume_at(request&& req, subscription wanted, const std::string& since,
                             const cursor_status& status) {
  auto shape = shape_of(req);
  if (auto refused = resume_refusal_of(status, since)) {
    auto res =
        error_response(shape, refused->refusal.status, refused->refusal.message, std::move(refused->details));
    if (res.result() == http::status::service_unavailable) res.set(http::field::retry_after, "1");
    return send(std::move(res));
  }
  wanted.resume_after = status.sequence;
  upgrade(std::move(req), std::move(wanted));
}

void http_session::upgrade(request&& req, subscription wanted) {
  const auto& settings = context_->settings;
  error_code ec;
  auto client = socket_stream().socket().remote_endpoint(ec).address();
  std::string refusal;
  if (ec) {
    end_reason_ = "connection_lost";
    return;
  }
  if (!context_->connections.admit_subscriber(client, settings.max_connections,
                                              settings.max_connections_per_ip, refusal))
    return send(error_response(shape_of(req), http::status::service_unavailable, refusal));
  socket_stream().expires_never(); // the WebSocket layer has its own timeouts
  end_reason_ = "upgraded";
  auto connection =
      std::make_shared<websocket_connection>(std::move(stream_), credentials_, context_, client);
  connection->start(std::move(req), std::move(wanted));
}

void http_session::ingest(request&& req) {
  const auto& settings = context_->settings;
  if (!settings.ingest_enabled)
    return send(error_response(shape_of(req), http::status::not_found,
                               "ingest is off; start evstream with --source=ingest"));
  // The token in force now: a reload may have replaced the one this connection started with.
  auto credentials = context_->current_credentials();
  const auto& token = credentials->ingest_token;
  if (!token.empty()) {
    auto authorization = req[http::field::authorization];
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.empty()) {
      constexpr std::string_view missing = "ingest needs an Authorization: Bearer token";
      refuse_ingest(ops::ingest_refusal::unauthorized, missing);
      auto res = error_response(shape_of(req), http::status::unauthorized, missing);
      res.set(http::field::www_authenticate, "Bearer");
      return send(std::move(res));
    }
    std::string_view given{authorization.data(), authorization.size()};
    if (given.substr(0, scheme.size()) != scheme || !token_matches(given.substr(scheme.size()), token)) {
      constexpr std::string_view wrong = "wrong ingest token"; // the given one is never logged
      refuse_ingest(ops::ingest_refusal::unauthorized, wrong);
      return send(error_response(shape_of(req), http::status::forbidden, wrong));
    }
  } else if (error_code ec; !socket_stream().socket().remote_endpoint(ec).address().is_loopback()) {
    constexpr std::string_view loopback_only =
        "ingest is open to loopback clients only unless --ingest-token is set";
    refuse_ingest(ops::ingest_refusal::unauthorized, loopback_only);
    return send(error_response(shape_of(req), http::status::forbidden, loopback_only));
  }
  // Without its local address (the socket failed), the Host rule refuses.
  error_code no_address;
  auto checked = check_ingest_request(req, settings, !token.empty(),
                                      socket_stream().socket().local_endpoint(no_address).address());
  if (!checked) {
    refuse_ingest(checked.error().reason, checked.error().message);
    return send(error_response(shape_of(req), checked.error().status, checked.error().message));
  }
  auto shape = shape_of(req);
  ask_actor<ingest_result>(
      context_->block_source, actor_reply_timeout,
      [self = shared_from_this(), shape](caf::expected<ingest_result> result) {
        if (!result) {
          static constexpr std::string_view no_answer = "block source did not answer";
          self->refuse_ingest(ops::ingest_refusal::not_answered, no_answer);
          return self->send(error_response(shape, http::status::service_unavailable, no_answer));
        }
        if (result->result != ingest_result::outcome::accepted)
          log_refused_block(*result, {{"remote", self->remote_}}); // the source counted it
        self->send(ingest_response(shape, *result));
      },
      ingest_atom::value, std::move(req.body()));
}

void http_session::send(response&& res) {
  context_->metrics->http_requests(route_name_, res.result_int()).increment();
  log_request(res);
  pending_response_ = std::make_shared<response>(std::move(res));
  bool close = pending_response_->need_eof();
  http::async_write(stream_, *pending_response_,
                    beast::bind_front_handler(&http_session::on_write, shared_from_this(), close));
}

// One line per answer; probes and scrapes, which come every few seconds, at debug.
void http_session::log_request(const response& res) const {
  bool polled = route_name_ == "health" || route_name_ == "readiness" || route_name_ == "metrics";
  auto level = polled ? ops::log_level::debug : ops::log_level::info;
  if (!ops::log_enabled(level)) return;
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started_;
  ops::log(level, "http_request",
           {{"remote", remote_},
            {"method", method_},
            {"path", path_},
            {"status", res.result_int()},
            {"bytes", res.body().size()},
            {"duration_ms", std::round(took.count() * 1000) / 1000}});
}

void http_session::on_write(bool close, error_code ec, std::size_t) {
  pending_response_.reset();
  if (ec) {
    end_reason_ = "connection_lost";
    return;
  }
  if (shutting_down_) {
    end_reason_ = "shutdown";
    return socket_stream().close();
  }
  if (close) {
    end_reason_ = "closed_after_response"; // an error that ends the connection, or the client asked
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
