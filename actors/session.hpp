// One subscriber's WebSocket, as an actor: forwards the dispatcher's batches
// (its view of each block: the stream it asked for, filtered as it asked) to
// its transport, and owns the keep-alive rule: no ping for
// `keepalive_timeout` and it closes the connection (1008) and ends. The
// transport answers pings and notes when the last came; the session reads
// that when its keep-alive timer fires, so a ping costs no message.
//
// A resuming session first gets its backlog as whole blocks and takes its
// view of them itself; it hands them to the transport a chunk at a time,
// waiting for each to be written, so a long catch-up never counts as a slow
// consumer. New batches queue behind it. With a stream history (--jetstream),
// a cursor older than the dispatcher's window is not the end: the session
// reads the blocks it misses from the stream, a chunk at a time, and asks
// the dispatcher again after each, until the window takes over.
//
//   accepts: event_batch, backlog, cursor_expired,
//            keepalive (its own timer), transport_drained, connection_closed,
//            going_away, upstream_gap (a relay missed blocks: close 1011)
//   sends:   subscribe (to the dispatcher: at start, and after each chunk
//            read from the stream history)
//            (replay_atom, from, through) to the stream history
#pragma once

#include "actors/subscription.hpp"
#include "actors/transport.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <list>
#include <variant>

namespace evstream {

struct session_settings {
  caf::timespan keepalive_timeout = std::chrono::minutes(3);
  subscription wanted;
  // Bytes of backlog handed to the transport before waiting for it to drain.
  std::size_t catch_up_chunk_bytes = 1u << 20;
  // A catching-up subscriber further behind than this many blocks is slow.
  std::size_t max_blocks_behind = 1000;
  // Set with --jetstream: where blocks older than the window are read back.
  caf::actor history;
};

struct session_state {
  transport_ptr connection;
  session_settings settings;
  // When the session began, by the actor clock: the keep-alive rule counts
  // from there until the transport reports a ping.
  caf::actor_clock::time_point last_ping;
  // Not yet handed to the transport while catching up, oldest first: backlog
  // blocks (this session makes their batches) and live batches.
  // A list: empty (as it is for nearly every session) it holds no memory.
  std::list<std::variant<encoded_block_ptr, event_batch>> behind;
  bool awaiting_drain = false;
  // Handing over a chunk read from the stream history; the dispatcher is
  // asked again once it is all handed over.
  bool replaying = false;
  std::size_t bytes_since_drain = 0;
  static inline const char* name = "session";
};

using session_actor = caf::stateful_actor<session_state>*;

caf::behavior session(session_actor self, caf::actor dispatcher, transport_ptr connection,
                      session_settings settings);

} // namespace evstream
