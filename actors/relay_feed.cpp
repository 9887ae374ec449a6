#include "actors/relay_feed.hpp"

#include "ops/log.hpp"

namespace evstream {

namespace {

using link_actor = caf::stateful_actor<follower_link_state>*;

// Sends what is pending while the relay has room for more blocks.
void pump(link_actor self) {
  auto& s = self->state;
  while (!s.pending.empty()) {
    auto& next = s.pending.front();
    if (auto* gap = std::get_if<upstream_gap>(&next)) {
      self->send(s.follower, std::move(*gap));
    } else if (std::holds_alternative<window_sent_atom>(next)) {
      self->send(s.follower, window_sent_atom::value);
    } else {
      if (s.unacknowledged >= s.settings.in_flight) return;
      self->send(s.follower, std::get<encoded_block_ptr>(next)->block);
      ++s.unacknowledged;
    }
    s.pending.pop_front();
  }
}

void enqueue(link_actor self, encoded_block_ptr block) {
  auto& s = self->state;
  s.pending.emplace_back(std::move(block));
  if (s.pending.size() > s.settings.max_pending_blocks) {
    ops::log(ops::log_level::warn, "relay_dropped",
             {{"relay", caf::to_string(s.follower.node())},
              {"reason", "over " + std::to_string(s.settings.max_pending_blocks)
                             + " blocks behind; it will reconnect and resume"}});
    self->quit();
    return;
  }
  pump(self);
}

// Every retained block, then live: what a relay gets that has nothing yet or
// whose cursor is gone.
void subscribe_from_oldest(link_actor self) {
  subscription wanted;
  wanted.stream = stream_kind::blocks;
  wanted.replay_window = true;
  self->send(self->state.dispatcher, subscribe{caf::actor_cast<caf::actor>(self), std::move(wanted)});
}

void subscribe_after(link_actor self, std::uint64_t sequence) {
  subscription wanted;
  wanted.stream = stream_kind::blocks;
  wanted.resume_after = sequence;
  self->send(self->state.dispatcher, subscribe{caf::actor_cast<caf::actor>(self), std::move(wanted)});
}

void tell_gap(link_actor self, std::string oldest_available) {
  auto& s = self->state;
  s.pending.emplace_back(upstream_gap{s.after_blockid, std::move(oldest_available)});
  pump(self);
}

} // namespace

caf::behavior follower_link(link_actor self, caf::actor dispatcher, follow_request request,
                            follower_link_settings settings) {
  auto& s = self->state;
  s.dispatcher = std::move(dispatcher);
  s.follower = std::move(request.follower);
  s.settings = settings;
  s.after_blockid = std::move(request.after_blockid);
  // Either end going away ends the link; a relay reconnects on its own.
  self->monitor(s.follower);
  self->monitor(s.dispatcher);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  self->send(s.follower, following_atom::value, relay_protocol_version);
  if (s.after_blockid.empty()) {
    subscribe_from_oldest(self);
  } else {
    self->request(s.dispatcher, settings.cursor_timeout, cursor_atom::value, s.after_blockid)
        .then(
            [=](const cursor_status& status) {
              if (status.where == cursor_status::standing::available)
                return subscribe_after(self, status.sequence);
              if (status.where == cursor_status::standing::pending) {
                // Not a gap: this node is a relay whose own window is still on its way.
                self->send(self->state.follower,
                           follow_refused{"this node is still taking its window from its own upstream"});
                return self->quit();
              }
              tell_gap(self, status.oldest_available);
              subscribe_from_oldest(self);
            },
            [=](caf::error&) { self->quit(); });
  }
  return {
      [=](const event_batch& batch) { enqueue(self, batch.block); },
      [=](backlog& missed) {
        for (auto& block : missed.blocks)
          enqueue(self, std::move(block));
        // Behind the last of them: the relay then has what this node held.
        self->state.pending.emplace_back(window_sent_atom::value);
        pump(self);
      },
      [=](const cursor_expired& expired) {
        // The cursor left the window between the lookup and the subscription.
        tell_gap(self, expired.oldest_available);
        subscribe_from_oldest(self);
      },
      [=](upstream_gap& gap) {
        // This node is itself a relay and missed blocks: so did its followers.
        self->state.pending.emplace_back(std::move(gap));
        pump(self);
      },
      [=](relay_ack_atom) {
        auto& state = self->state;
        if (state.unacknowledged > 0) --state.unacknowledged;
        pump(self);
      },
      [=](going_away) { self->quit(); },
      // Also told by its monitor; a link is one of few, so it keeps both.
      [=](dispatcher_ended) { self->quit(); },
  };
}

caf::behavior relay_feed(caf::event_based_actor* self, caf::actor dispatcher,
                         follower_link_settings settings) {
  // Anything else a peer sends is dropped, not an error: the port is open to
  // whoever can reach it.
  self->set_default_handler(caf::drop);
  return {
      [=](follow_request& request) {
        if (!request.follower) return;
        if (request.protocol != relay_protocol_version) {
          self->send(request.follower, follow_refused{"relay protocol " + std::to_string(request.protocol)
                                                      + " is not spoken here; this node speaks "
                                                      + std::to_string(relay_protocol_version)});
          return;
        }
        self->spawn(follower_link, dispatcher, std::move(request), settings);
      },
  };
}

} // namespace evstream
