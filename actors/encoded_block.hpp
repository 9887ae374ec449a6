// A block the block source accepted: numbered in arrival order (its height in
// this node) and with every stream's messages encoded once, shared read-only
// by every session and kept in the dispatcher's retention window.
#pragma once

#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace evstream {

struct encoded_block {
  std::uint64_t sequence = 0;
  // As validated: filters read its transactions.
  schema::block block;
  schema::encoded_events valid_tx;
  schema::encoded_events valid_transactions;
  schema::encoded_events summary;

  const std::string& blockid() const { return block.id; }
  // What keeping this block costs, for the retention window's byte bound.
  std::size_t retained_bytes = 0;
  // When the block source took it (the start of the dispatch latency);
  // unset for blocks restored from the journal.
  std::optional<std::chrono::steady_clock::time_point> received_at;
};
using encoded_block_ptr = std::shared_ptr<const encoded_block>;

// Encodes every stream's messages of `b`, numbered `sequence`; `api` chooses
// the valid_transactions stream's messages (2.x's carry the sequence as height).
encoded_block_ptr encode_block(schema::block b, std::uint64_t sequence,
                               std::optional<std::chrono::steady_clock::time_point> received_at = {},
                               schema::bigchaindb_api api = schema::bigchaindb_api::v1);

} // namespace evstream
