// The one actor that sees every block in order and fans it out: each session
// gets the same shared, already-encoded block, in sequence. Sessions are
// monitored and forgotten as soon as they end.
//
//   accepts: subscribe, encoded_block_ptr, going_away,
//            (get_atom, subscribers_atom) -> std::size_t
//   sends:   encoded_block_ptr and going_away (to every session)
#pragma once

#include "actors/messages.hpp"

#include <caf/all.hpp>

#include <unordered_map>

namespace evstream {

struct dispatcher_state {
  std::unordered_map<caf::actor_id, caf::actor> sessions;
  std::uint64_t last_sequence = 0;
  // Set at shutdown: late subscribers are sent away at once.
  bool going_away = false;
  static inline const char* name = "dispatcher";
};

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self);

} // namespace evstream
