// Where a node of a JetStream-backed cluster (--jetstream) reaches back past
// its retention window: the stream keeps every block its limits allow, by
// sequence, on the subject PREFIX.<blockid>. So a resume cursor this node no
// longer has (or never had) is looked up there, and the blocks after it are
// read back from there, a chunk at a time, for the session that resumes.
//
// A detached actor of its own: each answer waits on NATS, and neither the
// link's publishing nor the dispatcher should wait behind it.
//
//   accepts: (cursor_atom, blockid, known_height) -> cursor_status
//              available at the block's stream sequence when the stream holds
//              it, or holds the block after `known_height` (the height this
//              node remembers for it, 0 if none); else unknown.
//              oldest_available is the stream's oldest block
//            (replay_atom, from, through) -> stream_chunk
//              at most `max_blocks` blocks or about `max_bytes` of them
#pragma once

#include "actors/messages.hpp"
#include "net/jetstream_link.hpp"
#include "schema/stream_events.hpp"

#include <caf/all.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>

namespace evstream::net {

struct stream_history_limits {
  // One read: at most this many blocks, or about this many bytes of them
  // encoded (a session holds one read at a time).
  std::size_t max_blocks = 256;
  std::size_t max_bytes = 4u << 20;
  // The blocks read most recently, kept encoded: clients resuming from the
  // same cursor (after an outage, all at once) share one copy and one read.
  std::size_t cached_bytes = 64u << 20;
};

struct jetstream_history_state {
  jetstream_connection_ptr connection;
  schema::bigchaindb_api api = schema::bigchaindb_api::v1;
  stream_history_limits limits;
  std::unordered_map<std::uint64_t, encoded_block_ptr> cached;
  std::deque<std::uint64_t> cached_order; // oldest read first
  std::size_t cached_bytes = 0;
  static inline const char* name = "jetstream_history";
};

caf::behavior jetstream_history(caf::stateful_actor<jetstream_history_state>* self,
                                jetstream_connection_ptr connection, schema::bigchaindb_api api,
                                stream_history_limits limits);

} // namespace evstream::net
