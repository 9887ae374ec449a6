// One subscriber's WebSocket over Beast, on its own strand. It is the
// session actor's transport: it queues each block's shared, already framed
// events (coalescing_stream writes them), holds at most `send_budget_bytes`
// unsent (past that the client is slow and is closed with 1008), answers
// text pings with pong and notes when the last ping came (its session reads
// that), and reports the end of the connection to its session.
#pragma once

#include "actors/client_limits.hpp"
#include "actors/subscription.hpp"
#include "actors/transport.hpp"
#include "net/beast.hpp"
#include "net/coalescing_stream.hpp"
#include "net/server_context.hpp"

#include <caf/all.hpp>

#include <array>
#include <atomic>
#include <cstdint>

namespace evstream::net {

class websocket_connection : public transport,
                             public registered_connection,
                             public std::enable_shared_from_this<websocket_connection> {
public:
  // `client` holds a subscriber slot admitted by the registry; this
  // connection releases it when it ends. `credentials` are those the stream
  // was accepted with: its TLS context lives as long as the stream.
  websocket_connection(tcp_or_tls_stream&& stream, credentials_ptr credentials, server_context_ptr context,
                       asio::ip::address client);
  ~websocket_connection() override;

  // Completes the upgrade and, once it succeeded, starts this client's
  // session with what the client asked for.
  void start(http::request<http::string_body> upgrade_request, subscription wanted);

  void send_events(event_batch batch) override;
  void subscribed() override;
  std::optional<caf::actor_clock::time_point> last_ping() const override;
  void close(close_code code, std::string reason, close_cause cause) override;
  void notify_when_drained() override;
  void force_close() override;

private:
  void on_accept(error_code ec);
  void do_read();
  void note_ping();
  void send_pong();
  void on_read(error_code ec, std::size_t bytes);
  bool enqueue(std::shared_ptr<const void> owner, std::string_view frames);
  void begin_close(close_code code, std::string reason, close_cause cause);
  void arm_close_deadline();
  // Closes the client as slow once its queued output has waited
  // `send_timeout` for the socket to take a byte.
  void watch_send_progress();
  void on_send_deadline(error_code ec);
  // Drops what is not yet sent, counts the client as slow and closes it.
  void close_as_slow(client_close slow);
  // How the connection ended, as first seen: counted once, logged once.
  struct ending {
    close_cause cause;
    std::optional<std::uint16_t> code; // the close code sent, or the client's
    std::string detail;                // the close reason, or what failed
  };
  void record_end(ending end);
  void report_closed(close_cause cause, const std::string& reason);
  void log_end();

  // Declared first: destroyed after the socket (see registration).
  server_context_ptr context_;
  credentials_ptr credentials_;
  registration registration_;
  asio::ip::address client_;
  websocket::stream<coalescing_stream> ws_;
  subscription wanted_;
  caf::actor session_;
  // Client messages are pings: reads take a small chunk at a time into the
  // connection itself (nothing on the heap per connection), and of each
  // message only its first bytes are kept, enough to tell "ping".
  std::array<char, 64> read_chunk_;
  std::array<char, 4> message_start_;
  std::size_t inbound_message_bytes_ = 0;
  bool closing_ = false;
  // The last ping, as steady_clock ticks (CAF's clock); 0: none yet. Written
  // on the strand, read by the session's worker when its timer fires.
  std::atomic<std::int64_t> last_ping_ticks_{0};
  // Text pings are answered once the session has subscribed; until then they are owed.
  bool answering_pings_ = false;
  std::size_t pongs_owed_ = 0;
  // Set once the handshake succeeded: the connection counts as open.
  ops::open_connection open_;
  bool accepted_ = false;
  std::chrono::steady_clock::time_point opened_at_;
  // For the log: who and what they subscribed to.
  std::string remote_;
  stream_kind stream_ = stream_kind::valid_tx;
  // The first sign of the end (the server closing, the client's close frame,
  // a lost connection) is the one counted and logged.
  std::optional<ending> end_;
  // Allocated only once the connection is closing.
  std::unique_ptr<asio::steady_timer> close_deadline_;
  // Allocated with the first output; armed while output is queued.
  std::unique_ptr<asio::steady_timer> send_deadline_;
  bool send_deadline_armed_ = false;
};

} // namespace evstream::net
