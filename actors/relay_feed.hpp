// The origin side of a relay link (see relay_messages.hpp). relay_feed is the
// actor a node publishes on --publish-port; for each relay that asks to
// follow, it spawns a follower_link. The link subscribes to the dispatcher
// like a session of the blocks stream — so it resumes after the relay's
// cursor exactly as a WebSocket client would — and sends the relay whole
// blocks in order, at most `in_flight` unacknowledged. A relay that falls more
// than `max_pending_blocks` behind is dropped; it reconnects and resumes.
//
//   relay_feed    accepts: follow_request            spawns: follower_link
//   follower_link accepts: event_batch, backlog, cursor_expired, upstream_gap,
//                          going_away (from the dispatcher),
//                          relay_ack_atom (from the relay)
//                 sends:   following_atom, block, upstream_gap (to the relay)
#pragma once

#include "actors/messages.hpp"

#include <caf/all.hpp>

#include <deque>
#include <variant>

namespace evstream {

struct follower_link_settings {
  // Blocks sent and not yet acknowledged: enough to keep a link busy, few
  // enough that a slow relay costs its upstream little.
  std::size_t in_flight = 32;
  std::size_t max_pending_blocks = 1000;
  // How long the dispatcher may take to place the relay's cursor.
  caf::timespan cursor_timeout = std::chrono::seconds(10);
};

struct follower_link_state {
  caf::actor dispatcher;
  caf::actor follower;
  follower_link_settings settings;
  std::string after_blockid;
  // In order, not yet sent: blocks, and gaps the dispatcher passed on.
  std::deque<std::variant<encoded_block_ptr, upstream_gap, window_sent_atom>> pending;
  std::size_t unacknowledged = 0;
  static inline const char* name = "follower_link";
};

caf::behavior follower_link(caf::stateful_actor<follower_link_state>* self, caf::actor dispatcher,
                            follow_request request, follower_link_settings settings);

caf::behavior relay_feed(caf::event_based_actor* self, caf::actor dispatcher,
                         follower_link_settings settings);

} // namespace evstream
