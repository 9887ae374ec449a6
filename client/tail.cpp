#include "client/tail.hpp"

#include <algorithm>
#include <sstream>

#include <boost/json.hpp>
#include <openssl/err.h>

namespace evstream::client {

namespace asio = net::asio;
namespace beast = net::beast;
namespace http = net::http;
namespace websocket = net::websocket;
using net::error_code;

namespace {

// Time to resolve, connect, finish TLS and (for discovery) exchange the request.
constexpr auto dial_timeout = std::chrono::seconds(10);
// The WebSocket opening and closing handshakes.
constexpr auto handshake_timeout = std::chrono::seconds(5);

std::string describe_seconds(std::chrono::milliseconds delay) {
  std::ostringstream text;
  text << std::chrono::duration<double>(delay).count() << " s";
  return text.str();
}

// What asking again cannot change: the client's request is wrong (an unknown
// stream, a bad query, no or a wrong credential). 5xx and 429 are the node's
// state, and pass.
bool permanent(http::status status) {
  auto code = static_cast<unsigned>(status);
  return code >= 400 && code < 500 && status != http::status::too_many_requests
         && status != http::status::request_timeout;
}

} // namespace

tail::tail(asio::io_context& io, tail_options options, std::ostream& events, std::ostream& log)
    : io_(io), options_(std::move(options)), events_(events), log_(log), resolver_(io), retry_timer_(io),
      ping_timer_(io), silence_timer_(io), retry_delay_(options_.first_retry_delay) {
  tls_.set_default_verify_paths();
  if (!options_.ca_file.empty()) tls_.load_verify_file(options_.ca_file);
  tls_.set_verify_mode(asio::ssl::verify_peer);
}

void tail::start() { attempt(); }

void tail::stop() {
  stopping_ = true;
  retry_timer_.cancel();
  ping_timer_.cancel();
  silence_timer_.cancel();
  resolver_.cancel();
  if (open_) return close_stream();
  ++attempt_; // whatever step is under way is abandoned, and its handler ignored
  if (discovery_) beast::get_lowest_layer(*discovery_).close();
  if (ws_) beast::get_lowest_layer(*ws_).close();
}

void tail::attempt() {
  ++attempt_;
  if (options_.url.kind == url_kind::node) return discover();
  open_stream(options_.url);
}

net::tcp_or_tls_stream tail::fresh_stream(const endpoint& to) {
  return net::tcp_or_tls_stream{beast::tcp_stream{io_}, to.tls ? &tls_ : nullptr};
}

// Resolves, connects and, for https and wss, verifies the server's
// certificate against the name or address dialled.
void tail::dial(net::tcp_or_tls_stream& stream, const endpoint& to, done_handler done) {
  resolver_.async_resolve(
      to.host, to.port,
      [this, &stream, to, done = std::move(done), n = attempt_](error_code resolve_error,
                                                                net::tcp::resolver::results_type found) {
        if (n != attempt_) return;
        if (resolve_error) return done(resolve_error);
        stream.next_layer().expires_after(dial_timeout);
        stream.next_layer().async_connect(
            found, [this, &stream, to, done, n](error_code connect_error, auto&&) {
              if (n != attempt_) return;
              auto* tls = stream.tls();
              if (connect_error || !tls) return done(connect_error);
              if (to.host_is_name && !SSL_set_tlsext_host_name(tls->native_handle(), to.host.c_str()))
                return done(error_code{static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()});
              tls->set_verify_callback(asio::ssl::host_name_verification(to.host));
              stream.async_handshake(
                  [this, done, n](error_code tls_error) {
                    if (n == attempt_) done(tls_error);
                  },
                  asio::ssl::stream_base::client);
            });
      });
}

void tail::discover() {
  auto node = endpoint_of(options_.url.url);
  stream_url_ = options_.url.url.buffer();
  discovery_.emplace(fresh_stream(node));
  dial(*discovery_, node, [this, node](error_code dial_error) {
    if (dial_error) return end_attempt("cannot reach " + stream_url_ + ": " + dial_error.message());
    http::request<http::empty_body> request{http::verb::get, node.target, 11};
    request.set(http::field::host, node.host_header);
    request.set(http::field::user_agent, "evstream-tail");
    auto sent = std::make_shared<http::request<http::empty_body>>(std::move(request));
    http::async_write(*discovery_, *sent, [this, sent, n = attempt_](error_code write_error, std::size_t) {
      if (n != attempt_) return;
      if (write_error) return on_discovered(write_error);
      discovery_response_ = {};
      http::async_read(*discovery_, buffer_, discovery_response_,
                       [this, n](error_code read_error, std::size_t) {
                         if (n == attempt_) on_discovered(read_error);
                       });
    });
  });
}

void tail::on_discovered(error_code ec) {
  beast::get_lowest_layer(*discovery_).close();
  buffer_.clear();
  if (ec) return end_attempt("discovery at " + stream_url_ + " failed: " + ec.message());
  if (discovery_response_.result() != http::status::ok) {
    auto answered =
        "discovery at " + stream_url_ + " answered " + std::to_string(discovery_response_.result_int());
    return permanent(discovery_response_.result()) ? give_up(answered) : end_attempt(answered);
  }
  auto stream = valid_tx_stream_of(discovery_response_.body());
  // Not a node's discovery: asking again gets the same answer.
  if (!stream) return give_up("discovery at " + stream_url_ + ": " + stream.error());
  open_stream(*stream);
}

void tail::open_stream(const tail_url& url) {
  auto resumed = position_.resume_url(url.url);
  auto to = endpoint_of(resumed);
  stream_url_ = resumed.buffer();
  ws_.emplace(fresh_stream(to));
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = handshake_timeout;
  // Silence is watched by silence_timer_, which says what happened; Beast's
  // idle timeout could end the read as merely "operation canceled".
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_->set_option(timeouts);
  dial(ws_->next_layer(), to, [this, to](error_code dial_error) {
    if (dial_error) return end_attempt("cannot reach " + stream_url_ + ": " + dial_error.message());
    // From here the WebSocket stream's own timeouts apply.
    beast::get_lowest_layer(*ws_).expires_never();
    handshake_response_ = {};
    ws_->async_handshake(handshake_response_, to.host_header, to.target, [this, n = attempt_](error_code ec) {
      if (n == attempt_) on_open(ec);
    });
  });
}

void tail::on_open(error_code ec) {
  if (ec == websocket::error::upgrade_declined) return on_declined();
  if (ec) return end_attempt("cannot subscribe at " + stream_url_ + ": " + ec.message());
  log_ << "evstream tail: connected to " << stream_url_ << std::endl;
  open_ = true;
  subscribed_ = false;
  retry_delay_ = options_.first_retry_delay;
  // The first ping at once: its pong shows the server has subscribed us.
  send_ping();
  schedule_ping();
  expect_message_soon();
  do_read();
}

// A refused resume says why; the next attempt goes on from what the node still has.
void tail::on_declined() {
  auto status = handshake_response_.result();
  std::string said;
  std::string oldest;
  boost::system::error_code ec;
  auto body = boost::json::parse(handshake_response_.body(), ec);
  if (!ec && body.is_object()) {
    if (auto* error = body.as_object().if_contains("error"); error && error->is_string())
      said = std::string{" ("} + error->get_string().c_str() + ")";
    if (auto* available = body.as_object().if_contains("oldest_available");
        available && available->is_string())
      oldest = available->get_string().c_str();
  }
  auto refused = "cannot subscribe at " + stream_url_ + ": HTTP "
                 + std::to_string(handshake_response_.result_int()) + said;
  if (status == http::status::gone && !position_.cursor().empty()) {
    log_ << "evstream tail: GAP: the node no longer has the blocks after " << position_.cursor()
         << "; events before "
         << (oldest.empty() ? std::string{"the live stream"} : "the block after " + oldest) << " are lost"
         << std::endl;
    position_.skip_to(oldest);
  } else if (status == http::status::not_found && !position_.cursor().empty()) {
    log_ << "evstream tail: GAP: the node does not know block " << position_.cursor()
         << " (restarted without a journal?); going on with the live stream, events in between may be lost"
         << std::endl;
    position_.forget();
  } else if (permanent(status)) {
    return give_up(refused);
  }
  end_attempt(refused);
}

void tail::do_read() {
  ws_->async_read(buffer_, [this, n = attempt_](error_code ec, std::size_t bytes) {
    if (n == attempt_) on_read(ec, bytes);
  });
}

void tail::on_read(error_code ec, std::size_t) {
  if (ec == websocket::error::closed) {
    const auto& reason = ws_->reason();
    return end_attempt("disconnected from " + stream_url_ + ": close " + std::to_string(reason.code) + " \""
                       + reason.reason.c_str() + "\"");
  }
  if (ec) return end_attempt("disconnected from " + stream_url_ + ": " + ec.message());
  expect_message_soon();
  auto message = beast::buffers_to_string(buffer_.data());
  buffer_.clear();
  if (message != "pong") {
    if (position_.accept(message)) events_ << message << std::endl;
  } else if (!subscribed_) {
    subscribed_ = true;
    log_ << "evstream tail: subscribed (the server answered ping)" << std::endl;
  }
  do_read();
}

void tail::schedule_ping() {
  ping_timer_.expires_after(options_.ping_interval);
  ping_timer_.async_wait([this, n = attempt_](error_code ec) {
    if (ec || n != attempt_ || !open_) return;
    send_ping();
    schedule_ping();
  });
}

void tail::expect_message_soon() {
  auto silence_limit = 2 * options_.ping_interval;
  silence_timer_.expires_after(silence_limit); // cancels the previous wait
  silence_timer_.async_wait([this, n = attempt_, silence_limit](error_code ec) {
    if (ec || n != attempt_ || !open_) return;
    end_attempt("disconnected from " + stream_url_ + ": timeout, nothing for "
                + describe_seconds(silence_limit) + " though every ping is answered");
  });
}

// At most one write is in flight; a ping due during the previous one is
// skipped, the next one is soon enough.
void tail::send_ping() {
  if (writing_) return;
  writing_ = true;
  ws_->async_write(asio::buffer("ping", 4), [this, n = attempt_](error_code, std::size_t) {
    if (n != attempt_) return;
    writing_ = false;
    // A failed write shows up in the read as well; that one reports it.
    if (stopping_) close_stream();
  });
}

// The closing handshake with 1000, after the write in flight, if any.
void tail::close_stream() {
  open_ = false;
  if (writing_) return;
  ws_->async_close(websocket::close_code::normal, [this](error_code ec) {
    log_ << "evstream tail: closed " << stream_url_ << " with 1000"
         << (ec ? " (" + ec.message() + ")" : std::string{}) << std::endl;
  });
}

void tail::give_up(const std::string& what) {
  log_ << "evstream tail: " << what << "; giving up" << std::endl;
  exit_code_ = 1;
  stop();
}

void tail::end_attempt(const std::string& what) {
  if (stopping_) return;
  ++attempt_;
  open_ = false;
  writing_ = false;
  ping_timer_.cancel();
  silence_timer_.cancel();
  if (ws_) beast::get_lowest_layer(*ws_).close();
  buffer_.clear();
  log_ << "evstream tail: " << what << "; retrying in " << describe_seconds(retry_delay_) << std::endl;
  retry_timer_.expires_after(retry_delay_);
  retry_delay_ = std::min(retry_delay_ * 2, options_.max_retry_delay);
  retry_timer_.async_wait([this](error_code ec) {
    if (!ec && !stopping_) attempt();
  });
}

} // namespace evstream::client
