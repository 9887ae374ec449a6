// The layer under Beast's websocket::stream that owns a connection's ordered
// output queue. Frames encoded once and shared by every subscriber, and
// Beast's own writes (its control frames: pong, close), leave in the order they
// were queued, as few gather writes as the socket takes. Beast stays in charge
// of the protocol — handshake, reads, ping answers, the close handshake — and
// because each of its writes is queued whole, no frame is ever split by
// another (Beast's websocket::stream has no multi-message write:
// boostorg/beast#2033).
//
// All members run on the connection's strand.
#pragma once

#include "net/beast.hpp"
#include "net/tcp_or_tls_stream.hpp"
#include "ops/metrics.hpp"

#include <boost/asio/any_completion_handler.hpp>

#include <boost/container/small_vector.hpp>
#include <chrono>

#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <vector>

namespace evstream::net {

class coalescing_stream {
public:
  using executor_type = tcp_or_tls_stream::executor_type;

  explicit coalescing_stream(tcp_or_tls_stream&& next) : next_(std::move(next)) {}

  // The object that owns this stream, kept alive while a write is pending.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }
  // Adds every byte written to the socket to `written`.
  void count_written(ops::counter written) { written_ = written; }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  tcp_or_tls_stream& next_layer() noexcept { return next_; }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  // Beast's writes: queued whole behind what is already queued; the handler
  // runs once every byte is on the socket.
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    return asio::async_initiate<WriteHandler, void(error_code, std::size_t)>(
        [this](auto&& done, const ConstBufferSequence& sequence) {
          entry item;
          for (auto buffer : beast::buffers_range_ref(sequence))
            item.buffers.push_back(buffer);
          item.remaining = beast::buffer_bytes(sequence);
          item.size = item.remaining;
          item.done = std::make_unique<write_handler>(std::move(done));
          if (starts_close_frame(sequence)) close_queued_ = true;
          enqueue(std::move(item));
        },
        handler, buffers);
  }

  // Queues bytes that `owner` keeps alive until they are written; drops
  // them once a close frame is queued. Returns whether they were queued.
  bool enqueue_shared(std::shared_ptr<const void> owner, asio::const_buffer bytes);

  // Bytes queued by enqueue_shared and not yet written.
  std::size_t shared_bytes_queued() const { return shared_bytes_queued_; }

  // Runs `drained` once no shared bytes are queued (posted, at once if none
  // are); replaces an earlier wish. Not run if the connection fails.
  void when_drained(std::function<void()> drained);

  // Since when queued output has waited for the socket to take a byte: the
  // last write that made progress, or when the queue last filled from empty.
  // None while nothing is queued.
  std::optional<std::chrono::steady_clock::time_point> stalled_since() const {
    if (queue_.empty()) return std::nullopt;
    return progress_at_;
  }

  // Forgets shared bytes not yet started; Beast's writes and the one on the
  // wire stay, so no frame is cut and every Beast handler still runs.
  void drop_unsent_shared();

private:
  using write_handler = asio::any_completion_handler<void(error_code, std::size_t)>;
  struct entry {
    std::shared_ptr<const void> owner; // set for shared bytes
    // One buffer for shared bytes, a few for Beast's writes: kept inline.
    boost::container::small_vector<asio::const_buffer, 2> buffers;
    std::size_t size = 0;
    std::size_t remaining = 0;
    // Set for Beast's writes. Behind a pointer because Boost 1.81's
    // any_completion_handler recurses forever in its move assignment.
    std::unique_ptr<write_handler> done;
  };

  // Beast writes nothing but its handshake answer and control frames here
  // (the data frames are ours, shared), so a write that opens with a final
  // close frame's first byte is a close frame.
  template <class ConstBufferSequence>
  static bool starts_close_frame(const ConstBufferSequence& sequence) {
    for (auto buffer : beast::buffers_range_ref(sequence))
      if (buffer.size() > 0)
        return *static_cast<const unsigned char*>(buffer.data()) == close_frame_first_byte;
    return false;
  }
  static constexpr unsigned char close_frame_first_byte = 0x88; // FIN, opcode 8

  void enqueue(entry item);
  void do_write();
  void on_write(error_code ec, std::size_t bytes);
  void complete(entry& item, error_code ec);
  void notify_if_drained();

  tcp_or_tls_stream next_;
  // A list: an idle connection's empty queue holds no memory (a deque keeps
  // a 512-byte block), and entries are only added at the back and taken
  // from the front (or dropped unsent from the middle).
  std::list<entry> queue_;
  std::vector<asio::const_buffer> gather_;
  std::size_t shared_bytes_queued_ = 0;
  // Entries whose bytes the pending gather write holds (from the front).
  std::size_t entries_in_flight_ = 0;
  bool writing_ = false;
  // Set once a close frame is queued, by evstream or by Beast failing the
  // connection inside a read: RFC 6455 section 5.5.1 lets no data frame
  // follow it, so the queue takes none from then on.
  bool close_queued_ = false;
  std::chrono::steady_clock::time_point progress_at_;
  std::weak_ptr<void> owner_;
  ops::counter written_;
  error_code failed_;
  std::function<void()> drained_;
};

// Beast closes the TCP connection through these after the close handshake.
template <class TeardownHandler>
void async_teardown(beast::role_type role, coalescing_stream& stream, TeardownHandler&& handler) {
  async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

void teardown(beast::role_type role, coalescing_stream& stream, error_code& ec);

} // namespace evstream::net
