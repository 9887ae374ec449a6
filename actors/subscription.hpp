// What one subscriber asked for: a stream, optionally only the transactions
// that pass a filter, optionally resumed after a block it already has.
#pragma once

#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

namespace evstream {

struct encoded_block;

enum class stream_kind {
  valid_tx,           // {"txid", "assetid", "blockid"} per transaction (the spec)
  valid_transactions, // the same events with BigchainDB 1.x keys
  blocks,             // one summary per block
};

// Transactions a subscriber wants: each list that is not empty must match
// (asset and operation and key), and within a list any entry matches.
struct transaction_filter {
  std::unordered_set<std::string> asset_ids;
  std::unordered_set<std::string> public_keys; // any of the transaction's outputs' keys
  std::unordered_set<std::string> operations;

  bool empty() const { return asset_ids.empty() && public_keys.empty() && operations.empty(); }
  bool matches(const schema::transaction_ref& tx) const;
};

struct subscription {
  stream_kind stream = stream_kind::valid_tx;
  transaction_filter filter;
  // The height of the last block the subscriber already has: it gets every
  // block after it, then the live stream. Unset: live blocks only.
  std::optional<std::uint64_t> resume_after;
};

// The messages of `block` that `stream` sends.
const schema::encoded_events& events_of(const encoded_block& block, stream_kind stream);

} // namespace evstream
