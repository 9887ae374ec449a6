// The one actor that sees every block in order and fans it out. Sessions are
// grouped by view (a stream and a filter): for each block it makes each
// view's batch once — for a filter, the choice and the chosen frames — and
// sends that one shared message to the view's sessions, in sequence. So a
// filtered subscriber costs its view's work once per block, not its own.
// Sessions are monitored and forgotten as soon as they end.
//
// It also keeps the most recent blocks (the retention window, bounded by count
// and bytes), so a session can resume after a block it has: the dispatcher
// sends it the retained blocks after that one and subscribes it to new blocks
// in the same step, which is what makes the switch to live free of gaps and
// duplicates.
//
// It knows which streams have subscribers, and tells whoever asks (the block
// source, which then encodes only those). A block that reaches it without a
// stream it needs, live or for a resume, is encoded here and counted into
// the window's bytes.
//
//   accepts: subscribe, encoded_block_ptr, going_away, wanted_atom,
//            (cursor_atom, blockid) -> cursor_status
//            (get_atom, subscribers_atom) -> std::size_t
//   sends:   event_batch, backlog, cursor_expired and going_away (to sessions),
//            wanted_streams (to those that sent wanted_atom)
#pragma once

#include "actors/messages.hpp"
#include "actors/recent_block_ids.hpp"
#include "ops/metrics.hpp"

#include <caf/all.hpp>

#include <array>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace evstream {

struct retention_limits {
  std::size_t max_blocks = 1000;
  std::size_t max_bytes = 256u << 20;
  // Block ids (and heights) remembered beyond the window, so that a cursor
  // that is too old is told apart from one never seen (410 against 404).
  std::size_t remembered_ids = 100000;
};

// What a restarted node knew (from its journal), oldest first: the blocks of
// its window and the ids (with heights) it remembers.
struct dispatcher_history {
  std::vector<encoded_block_ptr> blocks;
  std::vector<std::pair<std::string, std::uint64_t>> ids;
  // A relay's: the rest of its window is on its way from the upstream.
  bool window_from_upstream = false;
  // Set when this node's first block will have this height (a JetStream
  // node that starts inside the stream): the blocks before it are not here.
  std::uint64_t first_sequence = 0;
};

// The sessions that get the same messages of every block.
struct view_group {
  subscription wanted;
  std::unordered_map<caf::actor_id, caf::actor> sessions;
};

struct dispatcher_state {
  // By view_key(); and each session's view, to forget it when it ends.
  std::unordered_map<std::string, view_group> views;
  std::unordered_map<caf::actor_id, std::string> view_of;
  // Views by stream, and who is told when the streams with views change
  // (weakly: the block source holds the dispatcher already).
  std::array<std::size_t, stream_count> views_per_stream{};
  std::vector<caf::actor_addr> told_wanted;
  std::uint64_t last_sequence = 0;
  retention_limits limits;
  // The retention window, oldest first, and what it holds.
  std::deque<encoded_block_ptr> window;
  std::size_t window_bytes = 0;
  // Heights of recent block ids: where a cursor stands.
  recent_block_ids remembered;
  // The height of the last block before an upstream gap (a relay's): a
  // cursor up to it cannot resume without missing blocks.
  std::uint64_t last_before_gap = 0;
  // The first height this node streams (0: from the first): a cursor before
  // it misses blocks this node never had, which a stream history may hold.
  std::uint64_t first_sequence = 0;
  // A relay's, until its upstream's window has arrived: a cursor it does not
  // know may be on its way, so it is not yet unknown.
  bool window_pending = false;
  // Set at shutdown: late subscribers are sent away at once.
  bool going_away = false;
  // Every subscribed session, shared with what tells them when the dispatcher ends.
  std::shared_ptr<std::unordered_map<caf::actor_id, caf::actor>> roster;
  // Subscribers by stream, and how long each block took to reach them.
  ops::metrics_ptr metrics;
  static inline const char* name = "dispatcher";
};

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self, retention_limits limits,
                         dispatcher_history history, ops::metrics_ptr metrics);

} // namespace evstream
