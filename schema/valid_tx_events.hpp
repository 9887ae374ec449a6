// The valid_tx stream's messages for one block, encoded once and shared by
// every subscriber.
#pragma once

#include "schema/block.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace evstream::schema {

// All event texts of one block back to back in one buffer, so a block is one
// allocation however many transactions it holds.
class encoded_events {
public:
  void append(std::string_view event_json);
  std::size_t size() const { return ends_.size(); }
  std::string_view operator[](std::size_t index) const;
  // Bytes of all event texts together.
  std::size_t total_bytes() const { return text_.size(); }

private:
  // The encoder sizes the buffers up front from the block.
  friend encoded_events encode_valid_tx_events(const block& b);

  std::string text_;
  std::vector<std::uint32_t> ends_;
};

// {"txid": …, "assetid": …, "blockid": …} for each transaction, in block order.
encoded_events encode_valid_tx_events(const block& b);

} // namespace evstream::schema
