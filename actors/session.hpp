// One subscriber's WebSocket, as an actor: forwards the dispatcher's blocks to
// its transport, answers keep-alive pings, and owns the keep-alive rule — no
// ping for `keepalive_timeout` and it closes the connection (1008) and ends.
//
//   accepts: encoded_block_ptr, client_ping, keepalive_deadline,
//            connection_closed, going_away
//   sends:   subscribe (to the dispatcher, once at start)
#pragma once

#include "actors/transport.hpp"

#include <caf/all.hpp>

namespace evstream {

struct session_state {
  transport_ptr connection;
  // Bumped by every ping, so that only the newest keepalive_deadline counts.
  std::uint64_t keepalive_generation = 0;
  static inline const char* name = "session";
};

caf::behavior session(caf::stateful_actor<session_state>* self, caf::actor dispatcher,
                      transport_ptr connection, caf::timespan keepalive_timeout);

// "180 s", "1.5 s", "250 ms": a duration as a person reads it in a close reason.
std::string describe_duration(caf::timespan duration);

} // namespace evstream
