// Every atom and message type the actors exchange, in one place.
//
//   block_source  <- (ingest_atom, json)            replies ingest_result
//                    block (typed, from a host node)
//                    followed_block                 replies ingest_result
//                    publish_through (its publisher, once)
//                    wanted_streams (from the dispatcher, as they change)
//   publisher     <- publish_block                  replies ingest_result
//                    (get_atom, counters_atom)      replies source_counters
//   dispatcher    <- encoded_block_ptr, subscribe, going_away, upstream_gap,
//                    wanted_atom (tell the sender wanted_streams from now on)
//                    (cursor_atom, blockid)         replies cursor_status
//                    (get_atom, subscribers_atom)   replies std::size_t
//   session       <- event_batch, backlog, cursor_expired,
//                    keepalive_atom (its own timer), transport_drained, connection_closed,
//                    going_away, upstream_gap, dispatcher_ended
//   stream history <- (cursor_atom, blockid, known_height) replies cursor_status
//   (--jetstream)     (replay_atom, from, through)  replies stream_chunk
// The relay protocol between nodes is in actors/relay_messages.hpp.
#pragma once

#include "actors/encoded_block.hpp"
#include "actors/relay_messages.hpp"
#include "actors/subscription.hpp"
#include "schema/block.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace evstream {

using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using subscribers_atom = caf::atom_constant<caf::atom("subscrbrs")>;
using demo_tick_atom = caf::atom_constant<caf::atom("demotick")>;
using counters_atom = caf::atom_constant<caf::atom("counters")>;
using cursor_atom = caf::atom_constant<caf::atom("cursor")>;
using replay_atom = caf::atom_constant<caf::atom("replay")>;
using wanted_atom = caf::atom_constant<caf::atom("wanted")>;
// A session's keep-alive timer: the request it sends itself and never answers.
using keepalive_atom = caf::atom_constant<caf::atom("keepalive")>;

// What became of one block offered to the block source.
struct ingest_result {
  // unavailable: valid, but it could not be made durable (the journal failed).
  enum class outcome { accepted, invalid, duplicate, unavailable };
  outcome result = outcome::accepted;
  std::string blockid;
  std::size_t transactions = 0;
  schema::parse_error error; // set when invalid or unavailable
};

// A block of a chain the service follows (a BigchainDB node), at the height
// that chain gave it: the block source numbers it with that height, so a
// height is never streamed twice and heights mean the same here as there.
struct followed_block {
  schema::block block;
  std::uint64_t height = 0;
};

// With an engine shared by several nodes (--jetstream), the block source
// does not stream the blocks it accepts: it hands each to its publisher
// (publish_through), which answers once the engine has it, and streams what
// the engine delivers back to every node, as followed_blocks.
struct publish_block {
  std::string json;
  std::string blockid;
  std::size_t transactions = 0;
};
struct publish_through {
  caf::actor publisher;
};

// What the block source has done since it started.
struct source_counters {
  std::uint64_t blocks_published = 0;
  std::uint64_t blocks_refused = 0; // invalid or duplicate
};

// A session asks the dispatcher for its view of every block from now on or,
// resuming (wanted.resume_after), for every block after that height and then
// every new one.
struct subscribe {
  caf::actor session;
  subscription wanted;
};

// Where a resume cursor (a block id) stands in the dispatcher's window.
struct cursor_status {
  enum class standing {
    available, // its height is `sequence`; every block after it is retained
    expired,   // known, but blocks after it left the window
    unknown,   // never seen, or older than the node remembers
    pending,   // not seen yet, on a relay whose upstream's window is on its way
  };
  standing where = standing::unknown;
  std::uint64_t sequence = 0;
  // The oldest block a cursor can still name (empty when none is retained).
  std::string oldest_available;
};

// The retained blocks a resuming session missed, oldest first; the dispatcher
// sends them and subscribes the session to new blocks in one step.
struct backlog {
  std::vector<encoded_block_ptr> blocks;
};

// The cursor a session resumes from left the window while it connected.
struct cursor_expired {
  std::string oldest_available;
  // The dispatcher's newest height: a session that can read the blocks it
  // misses from a stream history reads them up to here, then asks again.
  std::uint64_t last_sequence = 0;
};

// Blocks read back from the engine's stream (--jetstream) for a session
// whose cursor is older than the dispatcher's window: those from `from` up
// to `through`, oldest first, numbered with their stream sequences. `gone`:
// the stream no longer holds the block at `from`; it begins at
// `oldest_available`.
struct stream_chunk {
  std::vector<encoded_block_ptr> blocks;
  std::uint64_t through = 0;
  bool gone = false;
  std::string oldest_available;
};

// The streams that have subscribers now: the block source encodes those at
// once, and leaves the others to be encoded if anyone asks for them.
struct wanted_streams {
  stream_set streams = all_streams;
};

// Everything a session handed its transport so far is on the wire.
struct transport_drained {};

// The client's connection ended (closed by either side, reset or failed).
struct connection_closed {
  std::string reason;
};

// The service is shutting down: sessions close with 1001.
struct going_away {};

// The dispatcher ended: for the shutdown (sessions close with 1001) or
// because it failed (1011). It tells each session itself, instead of each
// session monitoring it (see dispatcher.cpp).
struct dispatcher_ended {
  bool shutdown = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_counters& x) {
  return f(caf::meta::type_name("source_counters"), x.blocks_published, x.blocks_refused);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatcher_ended& x) {
  return f(caf::meta::type_name("dispatcher_ended"), x.shutdown);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_closed& x) {
  return f(caf::meta::type_name("connection_closed"), x.reason);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor_expired& x) {
  return f(caf::meta::type_name("cursor_expired"), x.oldest_available, x.last_sequence);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wanted_streams& x) {
  return f(caf::meta::type_name("wanted_streams"), x.streams);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_drained&) {
  return f(caf::meta::type_name("transport_drained"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, going_away&) {
  return f(caf::meta::type_name("going_away"));
}

} // namespace evstream

// Local only: these carry shared or non-serializable payloads.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::encoded_block_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::ingest_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::followed_block)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::publish_block)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::publish_through)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::subscribe)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::event_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::cursor_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::backlog)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::stream_chunk)
