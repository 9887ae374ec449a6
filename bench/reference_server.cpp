#include "bench/reference_server.hpp"

#include "bench/block_set.hpp"
#include "bench/ws_frames.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <malloc.h>

#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

namespace evstream::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using frames_ptr = std::shared_ptr<const std::string>;

// Ingest bodies are about 1 MB; this only bounds a runaway client.
constexpr std::uint64_t max_body_bytes = 64u << 20;

class fanout_subscriber;

struct fanout_state {
  std::vector<frames_ptr> blocks;   // each block's events as back-to-back text frames
  std::vector<std::string> answers; // each block's 202 body
  frames_ptr pong;
  std::size_t published = 0;
  std::vector<std::shared_ptr<fanout_subscriber>> subscribers;
  // Open connections as evstream's /metrics counts them (W7 waits for both
  // to settle): HTTP until upgraded or gone, WebSocket from the handshake
  // until its last handler has let go of it.
  std::size_t http_connections = 0;
  std::size_t websockets = 0;

  void join(const std::shared_ptr<fanout_subscriber>& subscriber);
  void leave(fanout_subscriber& subscriber);
  // Publishes the next block; returns its index.
  std::size_t publish_next();
};

class fanout_subscriber : public std::enable_shared_from_this<fanout_subscriber> {
public:
  fanout_subscriber(tcp::socket&& socket, fanout_state& state) : ws_(std::move(socket)), state_(state) {}
  ~fanout_subscriber() {
    if (accepted_) --state_.websockets;
  }

  void start(http::request<http::string_body> upgrade) {
    ws_.async_accept(upgrade, beast::bind_front_handler(&fanout_subscriber::on_accept, shared_from_this()));
  }

  void send(frames_ptr frames) {
    queue_.push_back(std::move(frames));
    if (!writing_) do_write();
  }

  std::size_t slot = 0; // index in fanout_state::subscribers while joined
  bool joined = false;

private:
  void on_accept(error_code ec) {
    if (ec) return;
    accepted_ = true;
    ++state_.websockets;
    do_read();
  }

  // Beast reads (and unmasks) what clients send: text pings. Writes bypass
  // it, so that a block is one write of ready-made frames.
  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&fanout_subscriber::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) {
      if (joined) state_.leave(*this);
      return;
    }
    const bool is_ping = ws_.got_text() && beast::buffers_to_string(buffer_.data()) == "ping";
    buffer_.consume(buffer_.size());
    if (is_ping) {
      if (!joined) state_.join(shared_from_this());
      send(state_.pong);
    }
    do_read();
  }

  void do_write() {
    writing_ = true;
    asio::async_write(ws_.next_layer(), asio::buffer(*queue_.front()),
                      beast::bind_front_handler(&fanout_subscriber::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    writing_ = false;
    queue_.pop_front();
    if (ec) {
      error_code ignored;
      ws_.next_layer().close(ignored); // the pending read ends and leaves
      return;
    }
    if (!queue_.empty()) do_write();
  }

  websocket::stream<tcp::socket> ws_;
  fanout_state& state_;
  beast::flat_buffer buffer_;
  std::deque<frames_ptr> queue_;
  bool writing_ = false;
  bool accepted_ = false;
};

void fanout_state::join(const std::shared_ptr<fanout_subscriber>& subscriber) {
  subscriber->joined = true;
  subscriber->slot = subscribers.size();
  subscribers.push_back(subscriber);
}

void fanout_state::leave(fanout_subscriber& subscriber) {
  const std::size_t slot = subscriber.slot;
  subscriber.joined = false;
  subscribers[slot] = std::move(subscribers.back());
  subscribers[slot]->slot = slot;
  subscribers.pop_back();
}

std::size_t fanout_state::publish_next() {
  const std::size_t index = published++ % blocks.size();
  for (const auto& subscriber : subscribers)
    subscriber->send(blocks[index]);
  return index;
}

class reference_http_session : public std::enable_shared_from_this<reference_http_session> {
public:
  reference_http_session(tcp::socket&& socket, fanout_state& state)
      : socket_(std::move(socket)), state_(state) {
    ++state_.http_connections;
  }
  ~reference_http_session() { --state_.http_connections; }

  void start() { do_read(); }

private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(max_body_bytes);
    http::async_read(socket_, buffer_, *parser_,
                     beast::bind_front_handler(&reference_http_session::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) return;
    auto request = parser_->release();
    if (websocket::is_upgrade(request))
      return std::make_shared<fanout_subscriber>(std::move(socket_), state_)->start(std::move(request));
    answer_ = {};
    answer_.version(request.version());
    answer_.keep_alive(request.keep_alive());
    answer_.set(http::field::content_type, "application/json");
    if (request.method() == http::verb::post && request.target() == "/api/v1/blocks"
        && !state_.blocks.empty()) {
      const std::size_t index = state_.publish_next();
      answer_.result(http::status::accepted);
      answer_.body() = state_.answers[index];
    } else if (request.method() == http::verb::get && request.target() == "/metrics") {
      answer_.result(http::status::ok);
      answer_.set(http::field::content_type, "text/plain; version=0.0.4");
      answer_.body() = "evstream_connections{kind=\"http\"} " + std::to_string(state_.http_connections)
                       + "\nevstream_connections{kind=\"websocket\"} " + std::to_string(state_.websockets)
                       + "\n";
    } else {
      answer_.result(http::status::not_found);
      answer_.body() =
          R"({"error": "the reference serves POST /api/v1/blocks, the valid_tx stream and /metrics"})";
    }
    answer_.prepare_payload();
    http::async_write(socket_, answer_,
                      beast::bind_front_handler(&reference_http_session::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    if (!ec && answer_.keep_alive()) do_read();
  }

  tcp::socket socket_;
  fanout_state& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> answer_;
};

void accept_next(tcp::acceptor& acceptor, fanout_state& state) {
  acceptor.async_accept([&acceptor, &state](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      // A block is one write: nothing is gained by letting Nagle hold its
      // tail back until the client acknowledges the previous one.
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<reference_http_session>(std::move(socket), state)->start();
    }
    accept_next(acceptor, state);
  });
}

} // namespace

int run_reference_server(const reference_options& options) {
  fanout_state state;
  {
    const auto blocks = block_set::generate(options.seed, options.blocks, options.transactions);
    for (std::size_t b = 0; b < blocks.events.size(); ++b) {
      std::string frames;
      for (const auto& event : blocks.events[b])
        append_server_frame(frames, opcode::text, event);
      state.blocks.push_back(std::make_shared<const std::string>(std::move(frames)));
      state.answers.push_back(R"({"blockid":")" + blocks.ids[b] + R"(","transactions":)"
                              + std::to_string(blocks.events[b].size()) + "}");
    }
  }
  // Generating the blocks is not serving them: give its memory back and reset
  // the peak (VmHWM), so the peak RSS the bench reads is that of serving.
  ::malloc_trim(0);
  std::ofstream{"/proc/self/clear_refs"} << "5";
  std::string pong;
  append_server_frame(pong, opcode::text, "pong");
  state.pong = std::make_shared<const std::string>(std::move(pong));

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), 0};
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  const auto port = acceptor.local_endpoint().port();
  accept_next(acceptor, state);

  asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&io](error_code, int) { io.stop(); });
  std::cout << "reference listening on http://127.0.0.1:" << port << " (stream: ws://127.0.0.1:" << port
            << "/api/v1/streams/valid_tx, " << state.blocks.size() << " blocks ready)" << std::endl;
  io.run();
  return 0;
}

} // namespace evstream::bench
