#include "actors/dispatcher.hpp"

#include "ops/log.hpp"

#include <charconv>

namespace evstream {

namespace {

// The gauges a memory dashboard reads.
void count_window(const dispatcher_state& state) {
  state.metrics->retained_blocks.set(static_cast<double>(state.window.size()));
  state.metrics->retained_bytes.set(static_cast<double>(state.window_bytes));
}

// Drops the oldest blocks until the window is within its bounds.
void trim(dispatcher_state& state) {
  while (!state.window.empty()
         && (state.window.size() > state.limits.max_blocks || state.window_bytes > state.limits.max_bytes)) {
    // At most what was counted: only this actor encodes a retained block
    // (see encoded_block.hpp), so the two agree, but a miscount must never wrap.
    state.window_bytes -= std::min(state.window_bytes, state.window.front()->retained_bytes());
    state.window.pop_front();
  }
  count_window(state);
}

void retain(dispatcher_state& state, const encoded_block_ptr& block) {
  state.remembered.remember(block->blockid(), block->sequence);
  state.window.push_back(block);
  state.window_bytes += block->retained_bytes();
  trim(state);
}

stream_set streams_with_views(const dispatcher_state& state) {
  stream_set streams = 0;
  for (std::size_t i = 0; i < stream_count; ++i)
    if (state.views_per_stream[i] > 0) streams |= bit_of(static_cast<stream_kind>(i));
  return streams;
}

// A view of `stream` came or went: those that encode blocks ahead learn when
// the set of streams with views changes.
void count_view(caf::stateful_actor<dispatcher_state>* self, stream_kind stream, bool added) {
  auto& state = self->state;
  auto before = streams_with_views(state);
  auto& views = state.views_per_stream[static_cast<std::size_t>(stream)];
  views = added ? views + 1 : views - 1;
  auto now = streams_with_views(state);
  if (now == before) return;
  for (const auto& told : state.told_wanted)
    if (auto alive = caf::actor_cast<caf::actor>(told)) self->send(alive, wanted_streams{now});
}

void restore(dispatcher_state& state, retention_limits limits, const dispatcher_history& history) {
  state.limits = limits;
  // The window's blocks are always remembered, however few ids are asked for.
  state.remembered = recent_block_ids{std::max(limits.remembered_ids, limits.max_blocks)};
  for (const auto& [blockid, height] : history.ids) {
    state.remembered.remember(blockid, height);
    state.last_sequence = std::max(state.last_sequence, height);
  }
  for (const auto& block : history.blocks)
    retain(state, block);
  state.window_pending = history.window_from_upstream;
  state.first_sequence = history.first_sequence;
}

// A session that has every block up to `after` misses nothing iff the block
// after it is still retained (or there is none yet).
bool can_resume_after(const dispatcher_state& state, std::uint64_t after) {
  if (after <= state.last_before_gap || after + 1 < state.first_sequence) return false;
  if (after >= state.last_sequence) return true;
  return !state.window.empty() && state.window.front()->sequence <= after + 1;
}

// The oldest retained block: `since` it, a subscriber gets every block still here but it.
std::string oldest_available(const dispatcher_state& state) {
  return state.window.empty() ? std::string{} : state.window.front()->blockid();
}

// What every subscribed session is told at once: shutdown, an upstream gap.
template <class Message>
void tell_every_session(caf::stateful_actor<dispatcher_state>* self, const Message& message) {
  for (auto& [key, group] : self->state.views)
    for (auto& entry : group.sessions)
      self->send(entry.second, message);
}

// The gauges a staleness alert reads. A timestamp that is not a number of
// seconds (BigchainDB writes them as decimal strings) leaves the last one.
void count_dispatched(const dispatcher_state& state, const encoded_block& block) {
  auto& metrics = *state.metrics;
  metrics.last_block_height.set(static_cast<double>(block.sequence));
  const auto& timestamp = block.block.timestamp;
  double seconds = 0;
  auto [end, error] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (error == std::errc{} && end == timestamp.data() + timestamp.size())
    metrics.last_block_timestamp.set(seconds);
}

} // namespace

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self, retention_limits limits,
                         dispatcher_history history, ops::metrics_ptr metrics) {
  self->state.metrics = std::move(metrics);
  restore(self->state, limits, history);
  // Sessions do not monitor the dispatcher: in CAF 0.17 each monitor is an
  // entry in the dispatcher's list, and a session that ends must remove its
  // own by searching that list, so subscribers leaving together would cost
  // the square of their number. The dispatcher tells them itself as it ends.
  auto roster = std::make_shared<std::unordered_map<caf::actor_id, caf::actor>>();
  self->state.roster = roster;
  self->attach_functor([roster](const caf::error& reason) {
    for (auto& entry : *roster)
      caf::anon_send(entry.second, dispatcher_ended{reason == caf::exit_reason::user_shutdown});
    roster->clear();
  });
  self->set_down_handler([=](caf::down_msg& down) {
    auto& state = self->state;
    state.roster->erase(down.source.id());
    auto view = state.view_of.find(down.source.id());
    if (view == state.view_of.end()) return;
    auto group = state.views.find(view->second);
    auto stream = group->second.wanted.stream;
    state.metrics->subscribers(name_of(stream)).decrement();
    group->second.sessions.erase(down.source.id());
    if (group->second.sessions.empty()) {
      state.views.erase(group);
      count_view(self, stream, false);
    }
    state.view_of.erase(view);
  });
  return {
      [=](subscribe& request) {
        auto& state = self->state;
        if (state.going_away) return self->send(request.session, going_away{});
        if (auto after = request.wanted.resume_after) {
          if (!can_resume_after(state, *after))
            // Up to where this node goes on: a stream history may fill in before that.
            return self->send(
                request.session,
                cursor_expired{
                    oldest_available(state),
                    std::max(state.last_sequence, state.first_sequence > 0 ? state.first_sequence - 1 : 0)});
          backlog missed;
          for (const auto& block : state.window)
            if (block->sequence > *after) {
              state.window_bytes += block->encode(request.wanted.stream);
              missed.blocks.push_back(block);
            }
          trim(state);
          // Sent before any new block can be, even empty (a relay's feed
          // tells its follower when the backlog is done): the switch to live
          // is this step.
          self->send(request.session, std::move(missed));
        } else if (request.wanted.replay_window) {
          for (const auto& block : state.window)
            state.window_bytes += block->encode(request.wanted.stream);
          self->send(request.session, backlog{{state.window.begin(), state.window.end()}});
          trim(state);
        }
        self->monitor(request.session);
        auto key = view_key(request.wanted);
        auto& group = state.views[key];
        if (group.sessions.empty()) count_view(self, request.wanted.stream, true);
        group.wanted = std::move(request.wanted);
        group.wanted.resume_after.reset();
        group.wanted.replay_window = false;
        state.view_of.emplace(request.session.id(), std::move(key));
        state.roster->emplace(request.session.id(), request.session);
        group.sessions.emplace(request.session.id(), std::move(request.session));
        state.metrics->subscribers(name_of(group.wanted.stream)).increment();
      },
      [=](const encoded_block_ptr& block) {
        auto& state = self->state;
        if (block->sequence <= state.last_sequence) {
          // Order is structural; a regression here is a bug upstream, and
          // forwarding the block would break every subscriber's order.
          ops::log(
              ops::log_level::error, "block_dropped",
              {{"blockid", block->blockid()}, {"sequence", block->sequence}, {"after", state.last_sequence}});
          return;
        }
        state.last_sequence = block->sequence;
        // Usually the block source did this: a stream whose first view came
        // after it encoded the block is encoded here, before it is counted.
        block->encode(streams_with_views(state));
        retain(state, block);
        count_dispatched(state, *block);
        std::size_t sent_to = 0;
        for (auto& [key, group] : state.views) {
          auto batch = select_events(block, group.wanted);
          if (!batch) continue; // the filter chose nothing
          // One message shared by the view's sessions: its payload is copy-on-write.
          auto message = caf::make_message(std::move(*batch));
          for (auto& entry : group.sessions)
            self->send(entry.second, message);
          sent_to += group.sessions.size();
        }
        if (ops::log_enabled(ops::log_level::debug))
          ops::log(ops::log_level::debug, "block_dispatched",
                   {{"blockid", block->blockid()},
                    {"height", block->sequence},
                    {"subscribers", sent_to},
                    {"views", state.views.size()},
                    {"retained_blocks", state.window.size()}});
        if (block->received_at) {
          std::chrono::duration<double> took = std::chrono::steady_clock::now() - *block->received_at;
          state.metrics->dispatch_latency.observe(took.count());
        }
      },
      [=](cursor_atom, const std::string& blockid) {
        const auto& state = self->state;
        cursor_status status;
        status.oldest_available = oldest_available(state);
        auto height = state.remembered.height_of(blockid);
        if (!height) {
          if (state.window_pending) status.where = cursor_status::standing::pending;
          return status;
        }
        status.sequence = *height;
        status.where = can_resume_after(state, *height) ? cursor_status::standing::available
                                                        : cursor_status::standing::expired;
        return status;
      },
      [=](const upstream_gap& gap) {
        // A relay's upstream lost blocks this node never got. Heights go on
        // without a hole, so the gap is marked: no cursor up to here can be
        // resumed from (410, with the oldest block after the gap), and the
        // blocks before it go. Subscribers are told.
        auto& state = self->state;
        state.last_before_gap = state.last_sequence;
        state.window.clear();
        state.window_bytes = 0;
        count_window(state);
        tell_every_session(self, gap);
      },
      [=](window_sent_atom) { self->state.window_pending = false; },
      [=](wanted_atom) {
        auto told = caf::actor_cast<caf::actor>(self->current_sender());
        if (!told) return;
        self->send(told, wanted_streams{streams_with_views(self->state)});
        self->state.told_wanted.push_back(told.address());
      },
      [=](going_away) {
        self->state.going_away = true;
        tell_every_session(self, going_away{});
      },
      [=](caf::get_atom, subscribers_atom) { return self->state.view_of.size(); },
  };
}

} // namespace evstream
