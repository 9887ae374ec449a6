// Every atom and message type the actors exchange, in one place.
//
//   block_source  <- (ingest_atom, json)            replies ingest_result
//                    block (typed, from a host node)
//                    (get_atom, counters_atom)      replies source_counters
//   dispatcher    <- encoded_block_ptr, subscribe, going_away,
//                    (get_atom, subscribers_atom)   replies std::size_t
//   session       <- encoded_block_ptr, client_ping, keepalive_deadline,
//                    connection_closed, going_away
#pragma once

#include "schema/block.hpp"
#include "schema/valid_tx_events.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace evstream {

using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using subscribers_atom = caf::atom_constant<caf::atom("subscrbrs")>;
using demo_tick_atom = caf::atom_constant<caf::atom("demotick")>;
using counters_atom = caf::atom_constant<caf::atom("counters")>;

// A block the block source accepted: numbered in arrival order and with its
// events encoded once, shared read-only by every session.
struct encoded_block {
  std::uint64_t sequence = 0;
  std::string blockid;
  schema::encoded_events valid_tx;
};
using encoded_block_ptr = std::shared_ptr<const encoded_block>;

// What became of one block offered to the block source.
struct ingest_result {
  enum class outcome { accepted, invalid, duplicate };
  outcome result = outcome::accepted;
  std::string blockid;
  std::size_t transactions = 0;
  schema::parse_error error; // set when invalid
};

// What the block source has done since it started.
struct source_counters {
  std::uint64_t blocks_published = 0;
  std::uint64_t blocks_refused = 0; // invalid or duplicate
};

// A session asks the dispatcher for every block from now on.
struct subscribe {
  caf::actor session;
};

// The client showed it is alive: a text "ping" (which wants a text "pong") or
// an RFC 6455 ping frame (which the WebSocket layer answers itself).
struct client_ping {
  bool wants_text_pong = false;
};

// The keep-alive timer of a session fired; stale unless `generation` is still
// the session's current one.
struct keepalive_deadline {
  std::uint64_t generation = 0;
};

// The client's connection ended (closed by either side, reset or failed).
struct connection_closed {
  std::string reason;
};

// The service is shutting down: sessions close with 1001.
struct going_away {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_counters& x) {
  return f(caf::meta::type_name("source_counters"), x.blocks_published, x.blocks_refused);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscribe& x) {
  return f(caf::meta::type_name("subscribe"), x.session);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_ping& x) {
  return f(caf::meta::type_name("client_ping"), x.wants_text_pong);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, keepalive_deadline& x) {
  return f(caf::meta::type_name("keepalive_deadline"), x.generation);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_closed& x) {
  return f(caf::meta::type_name("connection_closed"), x.reason);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, going_away&) {
  return f(caf::meta::type_name("going_away"));
}

} // namespace evstream

// Local only: these carry shared or non-serializable payloads.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::encoded_block_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::ingest_result)
