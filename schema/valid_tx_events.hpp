// The valid_tx stream's messages for one block, encoded once and shared by
// every subscriber.
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
// it is a pointer and one contiguous write of frames().
class encoded_events {
public:
  void append(std::string_view text);
  std::size_t size() const { return payloads_.size(); }
  // The text of message `index`.
  std::string_view operator[](std::size_t index) const;
  // Every message as WebSocket frames, ready for the socket.
  std::string_view frames() const { return frames_; }
  std::size_t wire_bytes() const { return frames_.size(); }

private:
  // The encoder sizes the buffers up front from the block.
  friend encoded_events encode_valid_tx_events(const block& b);

  struct payload_span {
    std::uint32_t begin;
    std::uint32_t end;
  };
  std::string frames_;
  std::vector<payload_span> payloads_;
};

// {"txid": …, "assetid": …, "blockid": …} for each transaction, in block order.
encoded_events encode_valid_tx_events(const block& b);

} // namespace evstream::schema
