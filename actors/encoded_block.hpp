// A block the block source accepted: numbered in arrival order (its height in
// this node), shared read-only by every session and kept in the dispatcher's
// retention window, with each stream's messages encoded once.
//
// A stream's messages are encoded when they are first needed: the block
// source encodes at once the streams that have subscribers, and any other is
// encoded by the first reader (in practice the dispatcher, before it hands
// the block to a subscriber of that stream). Encoding nobody reads is most
// of ingest's work when a node serves one stream.
#pragma once

#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

namespace evstream {

enum class stream_kind {
  valid_tx,           // {"txid", "assetid", "blockid"} per transaction (the spec)
  valid_transactions, // the same events with BigchainDB 1.x keys
  blocks,             // one summary per block
};
inline constexpr std::size_t stream_count = 3;

// A set of streams, one bit each.
using stream_set = unsigned;
constexpr stream_set bit_of(stream_kind stream) { return 1u << static_cast<unsigned>(stream); }
inline constexpr stream_set all_streams = (1u << stream_count) - 1;

class encoded_block {
public:
  std::uint64_t sequence = 0;
  // As validated: filters read its transactions.
  schema::block block;
  // The valid_transactions stream's messages (2.x's carry the sequence as height).
  schema::bigchaindb_api api = schema::bigchaindb_api::v1;
  // When the block source took it (the start of the dispatch latency);
  // unset for blocks restored from the journal.
  std::optional<std::chrono::steady_clock::time_point> received_at;

  const std::string& blockid() const { return block.id; }

  // The messages `stream` sends, encoded now if they were not yet. Safe from
  // any thread: each stream is encoded once.
  const schema::encoded_events& events(stream_kind stream) const;
  // Encodes `stream`'s messages unless they are; returns the bytes that added
  // to retained_bytes(), so that whoever bounds a set of blocks by bytes
  // (the retention window) can count an encoding made after it took the block.
  std::size_t encode(stream_kind stream) const;
  // The same for each stream of `streams`.
  std::size_t encode(stream_set streams) const;
  // What keeping this block costs: the typed block and the encodings made so far.
  std::size_t retained_bytes() const;
  // Gives `stream` these messages instead of encoding them (a block made by hand).
  void set_events(stream_kind stream, schema::encoded_events events);

private:
  // Fills `stream`'s messages with what `make` returns, unless they are;
  // returns the bytes that added.
  template <class Make>
  std::size_t fill(stream_kind stream, Make&& make) const;

  struct lazy_events {
    std::once_flag once;
    schema::encoded_events events;
  };
  // Mutable: encoding on first use is not a change anyone can see.
  mutable std::array<lazy_events, stream_count> streams_;
  mutable std::atomic<std::size_t> encoded_bytes_{0};
};
using encoded_block_ptr = std::shared_ptr<const encoded_block>;

// Block `b`, numbered `sequence`, with the messages of `eager` encoded now.
encoded_block_ptr encode_block(schema::block b, std::uint64_t sequence,
                               std::optional<std::chrono::steady_clock::time_point> received_at = {},
                               schema::bigchaindb_api api = schema::bigchaindb_api::v1,
                               stream_set eager = all_streams);

} // namespace evstream
