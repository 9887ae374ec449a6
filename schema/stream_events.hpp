// Every stream's messages for one block, encoded once and shared by every
// subscriber: valid_tx (the spec), valid_transactions (BigchainDB 1.x's or
// 2.x's messages) and blocks (one summary per block).
#pragma once

#include "schema/block.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace evstream::schema {

// Text messages, each already framed as a final, unmasked RFC 6455 text frame
// (what a server sends), back to back in one buffer. A block is one
// allocation however many transactions it holds, and a subscriber's share of
// it is a pointer and one contiguous write of frames() — or, for a filtered
// subscriber, of the chosen frame(i).
class encoded_events {
public:
  void append(std::string_view text);
  std::size_t size() const { return spans_.size(); }
  // The text of message `index`.
  std::string_view operator[](std::size_t index) const;
  // Message `index` as its WebSocket frame (header and text).
  std::string_view frame(std::size_t index) const;
  // Every message as WebSocket frames, ready for the socket.
  std::string_view frames() const { return frames_; }
  std::size_t wire_bytes() const { return frames_.size(); }

private:
  // The encoder sizes the buffers up front from the block.
  friend class transaction_event_encoder;

  struct message_span {
    std::uint32_t frame_begin;
    std::uint32_t text_begin;
    std::uint32_t end;
  };
  std::string frames_;
  std::vector<message_span> spans_;
};

// {"txid": …, "assetid": …, "blockid": …} for each transaction, in block order.
encoded_events encode_valid_tx_events(const block& b);

// The BigchainDB 1.x dialect of the same events:
// {"transaction_id": …, "asset_id": …, "block_id": …}.
encoded_events encode_valid_transactions_events(const block& b);

// Which BigchainDB release's messages valid_transactions carries.
enum class bigchaindb_api { v1, v2 };

// BigchainDB 2.x's events for the block at `height`, byte for byte as its
// own server writes them (Python's json.dumps of eventify_block's dicts):
// {"height": H, "asset_id": "…", "transaction_id": "…"}.
encoded_events encode_bigchaindb_2_events(const block& b, std::uint64_t height);

// The blocks stream's one message:
// {"blockid": …, "height": …, "timestamp": …, "transactions": N}.
encoded_events encode_block_event(const block& b, std::uint64_t height);

} // namespace evstream::schema
