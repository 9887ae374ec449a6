#include "bench/subscriber.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace evstream::bench {

namespace {

const std::string& ping_frame() {
  static const std::string frame = client_frame(opcode::text, "ping");
  return frame;
}

// The upgrade always sends RFC 6455's sample key, so the answer is known.
constexpr std::string_view expected_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string_view txid_in(std::string_view event) {
  constexpr std::string_view key = R"("txid":")";
  const auto at = event.find(key);
  if (at == std::string_view::npos || event.size() < at + key.size() + 64) return {};
  return event.substr(at + key.size(), 64);
}

// One buffer per io thread for all its sockets: a subscriber keeps only a
// frame split across reads, so idle subscribers cost no buffer at all.
std::vector<char>& read_buffer() {
  thread_local std::vector<char> buffer(256 * 1024);
  return buffer;
}

std::string quoted_prefix(std::string_view text) {
  constexpr std::size_t shown = 100;
  return "\"" + std::string{text.substr(0, shown)} + (text.size() > shown ? "…\"" : "\"");
}

} // namespace

subscriber::subscriber(asio::io_context& io, subscriber_options options, fleet_progress& progress)
    : socket_(io), options_(std::move(options)), progress_(progress) {
  if (options_.expected) result_.block_done_ns.assign(options_.expected->blocks(), 0);
}

bool subscriber::complete() const {
  return options_.expected && next_ == options_.expected->total() && !result_.problems();
}

void subscriber::start(std::function<void()> settled) {
  settled_ = std::move(settled);
  phase_ = phase::connecting;
  result_.connect_started_ns = now_ns();
  error_code ec;
  socket_.open(tcp::v4(), ec);
  if (ec) return fail("socket: " + ec.message());
  if (options_.receive_buffer_bytes > 0)
    socket_.set_option(asio::socket_base::receive_buffer_size(options_.receive_buffer_bytes), ec);
  // Leave the port to connect(), which only needs the 4-tuple to be unique:
  // that is what lets 127.x.y.z sources go past one address's ephemeral ports.
  int on = 1;
  ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
  socket_.bind(tcp::endpoint{options_.source, 0}, ec);
  if (ec) return fail("bind " + options_.source.to_string() + ": " + ec.message());
  socket_.async_connect(options_.server, [this](error_code e) { on_connect(e); });
}

void subscriber::on_connect(error_code ec) {
  if (phase_ == phase::ended) return;
  if (ec) return fail("connect: " + ec.message());
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  phase_ = phase::upgrading;
  upgrade_ = std::make_unique<upgrade_state>();
  asio::async_write(socket_, asio::buffer(*options_.upgrade_request),
                    [this](error_code e, std::size_t) { on_upgrade_sent(e); });
}

void subscriber::on_upgrade_sent(error_code ec) {
  if (phase_ == phase::ended) return;
  if (ec) return fail("sending the upgrade: " + ec.message());
  http::async_read(socket_, upgrade_->buffer, upgrade_->parser,
                   [this](error_code e, std::size_t) { on_upgrade_answer(e); });
}

void subscriber::on_upgrade_answer(error_code ec) {
  if (phase_ == phase::ended) return;
  if (ec) return fail("reading the upgrade answer: " + ec.message());
  const auto& answer = upgrade_->parser.get();
  if (answer.result() != http::status::switching_protocols)
    return fail("upgrade answered " + std::to_string(answer.result_int()));
  if (answer[http::field::sec_websocket_accept] != expected_accept)
    return fail("upgrade answered a wrong Sec-WebSocket-Accept");
  // Whatever followed the answer in the same read is already WebSocket frames.
  auto leftover = beast::buffers_to_string(upgrade_->buffer.data());
  upgrade_.reset();
  phase_ = phase::awaiting_pong;
  ping();
  if (!leftover.empty() && !consume(leftover.data(), leftover.size(), now_ns())) return;
  arm_read();
}

void subscriber::arm_read() {
  if (read_armed_ || reading_paused_ || phase_ == phase::ended) return;
  read_armed_ = true;
  socket_.async_wait(tcp::socket::wait_read, [this](error_code ec) { on_readable(ec); });
}

void subscriber::on_readable(error_code ec) {
  read_armed_ = false;
  if (phase_ == phase::ended) return;
  if (ec) return lost_connection("waiting to read: " + ec.message());
  auto& buffer = read_buffer();
  // Drain the socket: the reactor is edge-triggered, so leftover bytes would
  // not wake this subscriber again.
  for (;;) {
    const std::size_t size = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec == asio::error::eof)
      return lost_connection("the server closed the connection without a close frame");
    if (ec) return lost_connection("read: " + ec.message());
    if (!consume(buffer.data(), size, now_ns()) || reading_paused_) return;
  }
  arm_read();
}

bool subscriber::consume(const char* data, std::size_t size, std::int64_t now) {
  const bool framed = reader_.feed(
      data, size, [this, now](opcode code, std::string_view payload) { on_frame(code, payload, now); });
  if (!framed) {
    note_problem("bad framing: " + reader_.error());
    lost_connection("bad framing: " + reader_.error());
    return false;
  }
  return phase_ != phase::ended;
}

void subscriber::on_frame(opcode code, std::string_view payload, std::int64_t now) {
  if (phase_ == phase::ended) return;
  switch (code) {
  case opcode::text:
    if (payload == "pong")
      on_pong(now);
    else
      on_event(payload, now);
    break;
  case opcode::close:
    on_close_frame(payload, now);
    break;
  case opcode::ping:
    control_reply_ = client_frame(opcode::pong, payload.substr(0, 125));
    write(control_reply_);
    break;
  case opcode::pong:
    break;
  default:
    note_problem("unexpected frame with opcode " + std::to_string(static_cast<int>(code)));
  }
}

void subscriber::on_event(std::string_view text, std::int64_t now) {
  const auto* expected = options_.expected;
  if (!expected) {
    ++result_.unknown;
    return note_problem("a message where none was expected: " + quoted_prefix(text));
  }
  const auto txid = txid_in(text);
  if (next_ < expected->total() && txid == expected->txid(next_)) {
    ++result_.in_order;
    return advance(now);
  }
  const auto at = expected->position_of(txid);
  if (at == expected->total()) {
    ++result_.unknown;
    return note_problem("expected " + expected->describe(next_)
                        + ", got a message not in the stream: " + quoted_prefix(text));
  }
  if (next_ == expected->total()) {
    ++result_.extra;
    return note_problem(expected->describe(at) + " arrived again after the last event");
  }
  if (at < next_) {
    ++result_.duplicates;
    return note_problem("expected " + expected->describe(next_) + ", got " + expected->describe(at)
                        + " again (duplicate or out of order)");
  }
  result_.lost += at - next_;
  note_problem("expected " + expected->describe(next_) + ", got " + expected->describe(at) + ": "
               + std::to_string(at - next_) + " events skipped");
  next_ = at;
  ++result_.in_order;
  advance(now);
}

void subscriber::advance(std::int64_t now) {
  const auto& expected = *options_.expected;
  ++next_;
  while (block_ < expected.blocks() && next_ >= expected.block_end(block_))
    result_.block_done_ns[block_++] = now;
  if (next_ == expected.total()) ++progress_.completed;
}

void subscriber::note_problem(const std::string& text) {
  if (result_.first_problem.empty()) result_.first_problem = text;
}

void subscriber::on_pong(std::int64_t now) {
  if (pings_in_flight_.empty()) {
    ++result_.unexpected_pongs;
    return;
  }
  const auto rtt = now - pings_in_flight_.front();
  pings_in_flight_.pop_front();
  --progress_.pings_in_flight;
  if (phase_ != phase::awaiting_pong) {
    result_.pong_rtt_ns.push_back(rtt);
    return;
  }
  phase_ = phase::subscribed;
  result_.subscribed = true;
  result_.subscribed_ns = now;
  ++progress_.subscribed;
  if (!options_.reads_while_streaming) {
    reading_paused_ = true;
    ++progress_.slow_subscribed;
  }
  settle();
}

void subscriber::on_close_frame(std::string_view payload, std::int64_t now) {
  result_.close_frame = true;
  result_.close_code = 1005; // no status in the frame
  if (payload.size() >= 2) {
    result_.close_code = (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
    result_.close_reason = std::string{payload.substr(2)};
  }
  const std::string how = "close " + std::to_string(result_.close_code) + " \"" + result_.close_reason + "\"";
  if (phase_ != phase::subscribed) return fail("closed before subscribing: " + how);
  finish(how, now);
  // Answer the close, then let the socket go.
  control_reply_ = client_frame(opcode::close, payload.substr(0, 2));
  if (writing_) {
    error_code ignored;
    socket_.close(ignored);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(control_reply_), [this](error_code, std::size_t) {
    writing_ = false;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  });
}

bool subscriber::write(const std::string& frame) {
  if (writing_ || phase_ == phase::ended) return false;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(frame), [this](error_code, std::size_t) {
    // A failed write shows up on the read side, which reports the end.
    writing_ = false;
  });
  return true;
}

void subscriber::ping() {
  if (!write(ping_frame())) {
    ++result_.pings_skipped;
    return;
  }
  const auto now = now_ns();
  pings_in_flight_.push_back(now);
  ++progress_.pings_in_flight;
  ++result_.pings_sent;
  result_.last_ping_ns = now;
}

void subscriber::ping_periodically(clock::duration first, clock::duration interval, std::int64_t until_ns) {
  if (phase_ == phase::ended) return;
  ping_interval_ = interval;
  ping_until_ns_ = until_ns;
  if (!ping_timer_) ping_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  ping_timer_->expires_after(first);
  ping_timer_->async_wait([this](error_code ec) { on_ping_timer(ec); });
}

void subscriber::on_ping_timer(error_code ec) {
  if (ec || phase_ == phase::ended || now_ns() >= ping_until_ns_) return;
  ping();
  ping_timer_->expires_at(ping_timer_->expiry() + ping_interval_);
  ping_timer_->async_wait([this](error_code e) { on_ping_timer(e); });
}

void subscriber::resume_reading() {
  reading_paused_ = false;
  arm_read();
}

void subscriber::lost_connection(const std::string& how) {
  if (phase_ == phase::ended) return;
  if (phase_ != phase::subscribed) return fail(how);
  finish(how, now_ns());
  error_code ignored;
  socket_.close(ignored);
}

void subscriber::fail(const std::string& why) {
  if (phase_ == phase::ended) return;
  phase_ = phase::ended;
  result_.failure = why;
  ++progress_.failed;
  progress_.pings_in_flight -= static_cast<std::int64_t>(pings_in_flight_.size());
  pings_in_flight_.clear();
  error_code ignored;
  socket_.close(ignored);
  if (ping_timer_) ping_timer_->cancel();
  settle();
}

void subscriber::finish(const std::string& how, std::int64_t now) {
  phase_ = phase::ended;
  result_.ended = true;
  result_.end = how;
  result_.ended_ns = now;
  ++progress_.ended;
  if (!options_.reads_while_streaming)
    ++progress_.slow_ended;
  else if (!options_.expected || next_ < options_.expected->total())
    ++progress_.ended_incomplete;
  progress_.pings_in_flight -= static_cast<std::int64_t>(pings_in_flight_.size());
  pings_in_flight_.clear();
  if (ping_timer_) ping_timer_->cancel();
}

void subscriber::settle() {
  if (!settled_) return;
  auto settled = std::move(settled_);
  settled_ = nullptr;
  settled();
}

} // namespace evstream::bench
