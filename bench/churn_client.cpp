#include "bench/churn_client.hpp"

#include "bench/client_fleet.hpp"
#include "bench/ws_frames.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>

namespace evstream::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// The upgrade always sends RFC 6455's sample key, so the answer is known.
constexpr std::string_view expected_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// Few source addresses, so that each sees thousands of connections over a
// run: a per-address count that leaks then shows as 503 past
// --max-connections-per-ip (1 000). With 200 in flight, 25 per address at
// most are open, and each address keeps ~28 000 ephemeral ports to itself.
constexpr std::size_t source_addresses = 8;

asio::ip::address_v4 churn_source_address(std::size_t index) {
  return asio::ip::address_v4{(127u << 24) | (2u << 16)
                              | static_cast<std::uint32_t>(index % source_addresses + 1)};
}

} // namespace

const char* churn_end_name(churn_end way) {
  switch (way) {
  case churn_end::close_frame:
    return "close frame";
  case churn_end::reset:
    return "RST";
  case churn_end::eof:
    return "EOF after the 101";
  case churn_end::half_close:
    return "half-close";
  case churn_end::partial_request:
    return "partial upgrade request";
  case churn_end::request_timeout:
    return "request timeout";
  case churn_end::hello_reset:
    return "ClientHello, then RST";
  }
  return "?";
}

churn_end churn_way(std::size_t index, bool tls) {
  if (index % churn_timeout_every == churn_timeout_every - 1) return churn_end::request_timeout;
  // Numbered among the others of each churn_timeout_every, so each way gets its share.
  const std::size_t other =
      index / churn_timeout_every * (churn_timeout_every - 1) + index % churn_timeout_every;
  if (tls) return other % 2 == 0 ? churn_end::partial_request : churn_end::hello_reset;
  return static_cast<churn_end>(other % 5);
}

std::size_t churn_round_result::total_ended() const {
  std::size_t n = 0;
  for (auto e : ended)
    n += e;
  return n;
}

std::size_t churn_round_result::total_failed() const {
  std::size_t n = 0;
  for (auto f : failed)
    n += f;
  return n;
}

// One connection, from connect to its end; owned by its pending handlers.
class churn_connection : public std::enable_shared_from_this<churn_connection> {
public:
  churn_connection(churn_client& owner, std::size_t index)
      : owner_(owner), index_(index), way_(churn_way(index, !owner.settings_.tls_client_hello.empty())),
        socket_(owner.io_), timer_(owner.io_) {}

  void start() {
    error_code ec;
    socket_.open(tcp::v4(), ec);
    if (ec) return end("socket: " + ec.message());
    int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket_.bind(tcp::endpoint{churn_source_address(index_), 0}, ec);
    if (ec) return end("bind: " + ec.message());
    bound("connecting", owner_.settings_.step_timeout);
    socket_.async_connect(owner_.settings_.server,
                          [self = shared_from_this()](error_code e) { self->on_connect(e); });
  }

private:
  // Bounds the step now under way: past `limit` it fails (or, for the
  // deliberate waits, simply ends).
  void bound(const char* doing, std::chrono::milliseconds limit) {
    doing_ = doing;
    timer_.expires_after(limit);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && !self->over_) self->on_bound();
    });
  }

  void on_bound() {
    if (way_ == churn_end::partial_request && doing_ == waiting_partial) return end();
    if (way_ == churn_end::half_close && doing_ == waiting_half_closed) return end();
    if (way_ == churn_end::request_timeout && doing_ == waiting_timed_out) return end();
    end(std::string{"no progress within "} + std::to_string(timer_bound_ms()) + " ms while " + doing_);
  }

  long timer_bound_ms() const {
    return static_cast<long>((doing_ == waiting_partial       ? owner_.settings_.partial_wait
                              : doing_ == waiting_half_closed ? owner_.settings_.half_close_wait
                              : doing_ == waiting_timed_out   ? owner_.settings_.request_timeout_wait
                                                              : owner_.settings_.step_timeout)
                                 .count());
  }

  void on_connect(error_code ec) {
    if (over_) return;
    if (ec) return end("connect: " + ec.message());
    socket_.set_option(tcp::no_delay(true), ec);
    const auto& request = owner_.upgrade_;
    if (way_ == churn_end::partial_request) {
      // Half the headers: the server must let it go once the client does,
      // not wait out its request timeout.
      return asio::async_write(socket_, asio::buffer(request.data(), request.size() / 2),
                               [self = shared_from_this()](error_code e, std::size_t) {
                                 if (self->over_) return;
                                 if (e) return self->end("sending half the upgrade: " + e.message());
                                 self->bound(waiting_partial, self->owner_.settings_.partial_wait);
                               });
    }
    if (way_ == churn_end::request_timeout) {
      // Half the headers, then nothing: only the server's timeout ends it.
      return asio::async_write(socket_, asio::buffer(request.data(), request.size() / 2),
                               [self = shared_from_this()](error_code e, std::size_t) {
                                 if (self->over_) return;
                                 if (e) return self->end("sending half the upgrade: " + e.message());
                                 self->sent_ns_ = now_ns();
                                 self->bound(waiting_timed_out, self->owner_.settings_.request_timeout_wait);
                                 self->read_until_eof();
                               });
    }
    if (way_ == churn_end::hello_reset) {
      // A whole ClientHello, then RST as soon as the server's first flight arrives.
      bound("waiting for the server's hello", owner_.settings_.step_timeout);
      return asio::async_write(
          socket_, asio::buffer(request), [self = shared_from_this()](error_code e, std::size_t) {
            if (self->over_) return;
            if (e) return self->end("sending the ClientHello: " + e.message());
            self->socket_.async_read_some(asio::buffer(self->chunk_), [self](error_code e2, std::size_t) {
              if (self->over_) return;
              if (e2) return self->end("waiting for the server's hello: " + e2.message());
              error_code ignored;
              self->socket_.set_option(asio::socket_base::linger(true, 0), ignored);
              self->end();
            });
          });
    }
    bound("upgrading", owner_.settings_.step_timeout);
    asio::async_write(socket_, asio::buffer(request), [self = shared_from_this()](error_code e, std::size_t) {
      if (self->over_) return;
      if (e) return self->end("sending the upgrade: " + e.message());
      self->upgrade_.emplace();
      http::async_read(self->socket_, self->buffer_, self->upgrade_->parser,
                       [self](error_code e2, std::size_t) { self->on_upgrade_answer(e2); });
    });
  }

  void on_upgrade_answer(error_code ec) {
    if (over_) return;
    if (ec) return end("reading the upgrade answer: " + ec.message());
    const auto& answer = upgrade_->parser.get();
    if (answer.result() != http::status::switching_protocols)
      return end("upgrade answered " + std::to_string(answer.result_int()));
    if (answer[http::field::sec_websocket_accept] != expected_accept)
      return end("upgrade answered a wrong Sec-WebSocket-Accept");
    upgrade_.reset();
    error_code ignored;
    switch (way_) {
    case churn_end::close_frame: {
      // Whatever came with the 101 is frames already.
      const auto leftover = beast::buffers_to_string(buffer_.data());
      if (!consume(leftover.data(), leftover.size())) return;
      bound("closing (waiting for the server's close frame and EOF)", owner_.settings_.step_timeout);
      return asio::async_write(socket_, asio::buffer(close_frame()),
                               [self = shared_from_this()](error_code e, std::size_t) {
                                 if (self->over_) return;
                                 if (e) return self->end("sending the close frame: " + e.message());
                                 self->read_until_eof();
                               });
    }
    case churn_end::reset: {
      socket_.set_option(asio::socket_base::linger(true, 0), ignored);
      return end();
    }
    case churn_end::eof:
      return end();
    case churn_end::half_close:
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      bound(waiting_half_closed, owner_.settings_.half_close_wait);
      return read_until_eof();
    case churn_end::partial_request:
    case churn_end::request_timeout:
    case churn_end::hello_reset:
      break;
    }
    end("unreachable");
  }

  static const std::string& close_frame() {
    static const std::string frame = client_frame(opcode::close, close_payload(1000, ""));
    return frame;
  }

  void read_until_eof() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (self->over_) return;
      if (n > 0 && self->way_ == churn_end::close_frame && !self->consume(self->chunk_.data(), n)) return;
      if (!ec) return self->read_until_eof();
      if (self->way_ == churn_end::request_timeout) {
        self->owner_.timed_out(ns_to_ms(now_ns() - self->sent_ns_));
        return self->end();
      }
      if (self->way_ == churn_end::half_close) {
        ++self->owner_.result_.half_closed_by_server;
        return self->end();
      }
      if (ec != asio::error::eof) return self->end("waiting for EOF after the close frame: " + ec.message());
      if (!self->close_code_) return self->end("EOF without the server's close frame");
      if (*self->close_code_ != 1000)
        return self->end("the server answered close 1000 with close " + std::to_string(*self->close_code_));
      self->end();
    });
  }

  // Looks for the server's close frame; false when the connection ended here.
  bool consume(const char* data, std::size_t size) {
    bool ok = true;
    const bool framed = reader_.feed(data, size, [this, &ok](opcode code, std::string_view payload) {
      if (code != opcode::close || close_code_) return;
      close_code_ = payload.size() >= 2
                        ? (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1])
                        : 1005;
    });
    if (!framed) {
      end("a framing error from the server: " + reader_.error());
      ok = false;
    }
    return ok;
  }

  // `failure` empty: it ended as it was meant to.
  void end(const std::string& failure = {}) {
    if (over_) return;
    over_ = true;
    timer_.cancel();
    error_code ignored;
    if (way_ != churn_end::reset && way_ != churn_end::hello_reset)
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    owner_.ended(index_, failure.empty(), failure);
  }

  static constexpr const char* waiting_partial = "waiting after half the upgrade";
  static constexpr const char* waiting_half_closed = "waiting for the server to close after SHUT_WR";
  static constexpr const char* waiting_timed_out = "waiting for the server's request timeout";

  struct upgrade_state {
    http::response_parser<http::empty_body> parser;
  };

  churn_client& owner_;
  std::size_t index_;
  churn_end way_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<upgrade_state> upgrade_;
  frame_reader reader_;
  std::optional<int> close_code_;
  std::array<char, 512> chunk_{};
  const char* doing_ = "";
  std::int64_t sent_ns_ = 0;
  bool over_ = false;
};

churn_client::churn_client(churn_settings settings)
    : settings_(std::move(settings)),
      upgrade_(settings_.tls_client_hello.empty() ? upgrade_request_for(settings_.server)
                                                  : settings_.tls_client_hello) {}

churn_client::~churn_client() { stop(); }

void churn_client::start_round(std::size_t first, std::size_t count) {
  stop();
  result_ = {};
  next_ = first;
  end_ = first + count;
  count_ = count;
  done_ = 0;
  finished_ = count == 0;
  result_.started_ns = now_ns();
  io_.restart();
  for (std::size_t i = 0; i < settings_.in_flight; ++i)
    start_next();
  thread_ = std::thread{[this] { io_.run(); }};
}

void churn_client::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void churn_client::start_next() {
  if (next_ == end_) return;
  // Posted, not called: one that fails at once must not recurse into the next.
  asio::post(io_, [c = std::make_shared<churn_connection>(*this, next_++)] { c->start(); });
}

void churn_client::timed_out(double after_ms) {
  auto& r = result_;
  r.timeout_close_min_ms = r.timed_out_by_server == 0 ? after_ms : std::min(r.timeout_close_min_ms, after_ms);
  r.timeout_close_max_ms = std::max(r.timeout_close_max_ms, after_ms);
  ++r.timed_out_by_server;
}

void churn_client::ended(std::size_t index, bool as_meant, const std::string& failure) {
  const auto way = static_cast<std::size_t>(churn_way(index, !settings_.tls_client_hello.empty()));
  if (as_meant) {
    ++result_.ended[way];
  } else {
    if (result_.total_failed() == 0)
      result_.first_failure = "connection " + std::to_string(index) + " ("
                              + churn_end_name(static_cast<churn_end>(way)) + "): " + failure;
    ++result_.failed[way];
  }
  if (way != static_cast<std::size_t>(churn_end::request_timeout)) {
    ++result_.others;
    result_.others_finished_ns = now_ns();
  }
  start_next();
  if (++done_ == count_) {
    result_.finished_ns = now_ns();
    finished_ = true;
  }
}

std::string http_get(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout,
                     std::string& error) {
  asio::io_context io{1};
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  request.keep_alive(false);
  http::response<http::string_body> answer;
  error = "no answer";
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint{asio::ip::make_address_v4("127.0.0.1"), port}, [&](error_code ec) {
    if (ec) {
      error = "connect: " + ec.message();
      return;
    }
    http::async_write(stream, request, [&](error_code e, std::size_t) {
      if (e) {
        error = "sending the request: " + e.message();
        return;
      }
      http::async_read(stream, buffer, answer, [&](error_code e2, std::size_t) {
        if (e2)
          error = "reading the answer: " + e2.message();
        else if (answer.result() != http::status::ok)
          error = "answered " + std::to_string(answer.result_int());
        else
          error.clear();
      });
    });
  });
  io.run();
  error_code ignored;
  stream.socket().close(ignored);
  return error.empty() ? std::move(answer.body()) : std::string{};
}

std::size_t held_connections::open(const tcp::endpoint& server, std::size_t count, const std::string& request,
                                   std::chrono::milliseconds timeout) {
  release();
  io_.restart();
  std::size_t sent = 0;
  for (std::size_t i = 0; i < count; ++i) {
    auto* socket = sockets_.emplace_back(std::make_unique<tcp::socket>(io_)).get();
    socket->async_connect(server, [&sent, socket, &request](error_code ec) {
      if (ec) return;
      // The server's backlog completes the connect even when it cannot
      // accept; the request then waits in the socket's buffers.
      asio::async_write(*socket, asio::buffer(request), [&sent](error_code e, std::size_t) {
        if (!e) ++sent;
      });
    });
  }
  io_.run_for(timeout);
  io_.stop(); // whatever is unfinished is abandoned; release() closes it
  return sent;
}

void held_connections::release() {
  error_code ignored;
  for (auto& socket : sockets_)
    socket->close(ignored);
  sockets_.clear();
}

double metric_sample(const std::string& text, const std::string& series) {
  const std::string key = series + " ";
  for (std::size_t at = 0; at < text.size();) {
    const auto eol = std::min(text.find('\n', at), text.size());
    if (text.compare(at, key.size(), key) == 0) return std::strtod(text.c_str() + at + key.size(), nullptr);
    at = eol + 1;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

} // namespace evstream::bench
