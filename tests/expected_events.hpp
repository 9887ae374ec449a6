// The valid_tx messages a subscriber should receive for a block, computed the
// way the service computes them, for tests in every layer.
#pragma once

#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <string>
#include <vector>

namespace evstream::testing {

inline std::vector<std::string> events_of(const std::string& block_json) {
  auto block = schema::parse_block(block_json).value();
  auto encoded = schema::encode_valid_tx_events(block);
  std::vector<std::string> events;
  for (std::size_t i = 0; i < encoded.size(); ++i)
    events.emplace_back(encoded[i]);
  return events;
}

} // namespace evstream::testing
