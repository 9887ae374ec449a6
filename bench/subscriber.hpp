// One WebSocket client of the valid_tx stream. It subscribes (Beast-parsed
// upgrade, then `ping` until `pong`, after which the server delivers every
// later block), checks every event against the expected sequence as it
// arrives, times its pings' pongs, and records how the server ended it.
// All its handlers run on one io thread; its result is read once that thread
// has stopped.
#pragma once

#include "bench/bench_clock.hpp"
#include "bench/block_set.hpp"
#include "bench/ws_frames.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace evstream::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// What the orchestrating thread polls while the io threads run.
struct fleet_progress {
  std::atomic<std::size_t> subscribed{0};
  std::atomic<std::size_t> failed{0};           // never subscribed
  std::atomic<std::size_t> completed{0};        // received the last expected event
  std::atomic<std::size_t> ended{0};            // ended by the server or the network after subscribing
  std::atomic<std::size_t> ended_incomplete{0}; // … before its last expected event
  std::atomic<std::size_t> slow_subscribed{0};  // of `subscribed`, those that stop reading
  std::atomic<std::size_t> slow_ended{0};       // of `ended`, those that stopped reading
  std::atomic<std::int64_t> pings_in_flight{0};
};

struct subscriber_options {
  tcp::endpoint server;
  asio::ip::address_v4 source;                  // bound before connecting
  const std::string* upgrade_request = nullptr; // the HTTP upgrade, shared by all
  const expected_stream* expected = nullptr;    // null: no events expected
  int receive_buffer_bytes = 0;                 // 0: the system's default
  bool reads_while_streaming = true;            // false: stops reading once subscribed (slow consumer)
};

struct subscriber_result {
  bool subscribed = false;
  std::string failure; // why it never subscribed
  std::int64_t connect_started_ns = 0;
  std::int64_t subscribed_ns = 0;

  std::size_t in_order = 0;
  std::size_t lost = 0;
  std::size_t duplicates = 0;
  std::size_t unknown = 0;
  std::size_t extra = 0;
  std::string first_problem;
  std::vector<std::int64_t> block_done_ns; // when each block's last event arrived; 0: never

  std::size_t pings_sent = 0; // the subscribing ping included
  std::size_t pings_skipped = 0;
  std::size_t unexpected_pongs = 0;
  std::int64_t last_ping_ns = 0;
  std::vector<std::int64_t> pong_rtt_ns; // after subscribing

  bool ended = false;
  bool close_frame = false;
  int close_code = 0;
  std::string close_reason;
  std::string end; // how it ended, for reports
  std::int64_t ended_ns = 0;

  bool problems() const { return lost + duplicates + unknown + extra > 0 || !first_problem.empty(); }
};

class subscriber {
public:
  subscriber(asio::io_context& io, subscriber_options options, fleet_progress& progress);
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  // Connects, upgrades and pings; calls `settled` once, subscribed or failed.
  void start(std::function<void()> settled);
  void ping();
  // Pings after `first`, then every `interval`, while the clock is before `until_ns`.
  void ping_periodically(clock::duration first, clock::duration interval, std::int64_t until_ns);
  // A slow consumer reads again, to drain what was sent and see its close frame.
  void resume_reading();

  const subscriber_result& result() const { return result_; }
  // Every expected event received, once, in order.
  bool complete() const;

private:
  enum class phase { idle, connecting, upgrading, awaiting_pong, subscribed, ended };
  struct upgrade_state {
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
  };

  void on_connect(error_code ec);
  void on_upgrade_sent(error_code ec);
  void on_upgrade_answer(error_code ec);
  void arm_read();
  void on_readable(error_code ec);
  bool consume(const char* data, std::size_t size, std::int64_t now);
  void on_frame(opcode code, std::string_view payload, std::int64_t now);
  void on_event(std::string_view text, std::int64_t now);
  void on_pong(std::int64_t now);
  void on_close_frame(std::string_view payload, std::int64_t now);
  void advance(std::int64_t now);
  void note_problem(const std::string& text);
  bool write(const std::string& frame);
  void on_ping_timer(error_code ec);
  void lost_connection(const std::string& how);
  void fail(const std::string& why);
  void finish(const std::string& how, std::int64_t now);
  void settle();

  tcp::socket socket_;
  subscriber_options options_;
  fleet_progress& progress_;
  subscriber_result result_;
  phase phase_ = phase::idle;
  std::function<void()> settled_;
  std::unique_ptr<upgrade_state> upgrade_;
  frame_reader reader_;
  bool reading_paused_ = false;
  bool read_armed_ = false;
  bool writing_ = false;
  std::string control_reply_; // a close or pong frame being written
  std::deque<std::int64_t> pings_in_flight_;
  std::size_t next_ = 0;  // stream position of the next expected event
  std::size_t block_ = 0; // the block that position is in
  std::unique_ptr<asio::steady_timer> ping_timer_;
  clock::duration ping_interval_{};
  std::int64_t ping_until_ns_ = 0;
};

} // namespace evstream::bench
