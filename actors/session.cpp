#include "actors/session.hpp"

#include "actors/client_limits.hpp"

#include <algorithm>

namespace evstream {

namespace {

// How long one read of the stream history may take (a chunk of blocks from NATS).
constexpr auto history_read_timeout = std::chrono::seconds(30);

void end_session(session_actor self, close_code code, std::string reason, close_cause cause) {
  self->state.connection->close(code, std::move(reason), cause);
  self->quit();
}

// The keep-alive timer: the session asks itself a question it never answers,
// and the request's timeout is the deadline. Not delayed_send: in CAF 0.17 a
// pending delayed message holds its receiver, so every ended session would
// stay in memory until its timer fired, minutes later; a request's timeout
// goes with the actor. One timer at a time, however often the client pings:
// when it fires early (the transport saw a ping since), it is set again for
// what is left.
void expect_ping_within(session_actor self, caf::timespan within) {
  self->request(caf::actor_cast<caf::actor>(self), within, keepalive_atom::value)
      .then([] {},
            [=](const caf::error& error) {
              if (error != caf::sec::request_timeout) return;
              const auto& s = self->state;
              auto last = std::max(s.last_ping, s.connection->last_ping().value_or(s.last_ping));
              auto silent = self->clock().now() - last;
              if (silent < s.settings.keepalive_timeout)
                return expect_ping_within(self, s.settings.keepalive_timeout - silent);
              end_session(self, close_code::policy_violation,
                          "no ping for " + describe_duration(s.settings.keepalive_timeout),
                          close_cause::keepalive);
            });
}

} // namespace

caf::behavior session(session_actor self, caf::actor dispatcher, transport_ptr connection,
                      session_settings settings) {
  self->state.connection = std::move(connection);
  self->state.settings = std::move(settings);
  auto& state = self->state;
  // Returns the bytes handed over.
  auto forward = [=](const event_batch& batch) -> std::size_t {
    self->state.connection->send_events(batch);
    return batch.frames().size();
  };
  auto forward_behind = [=](const std::variant<encoded_block_ptr, event_batch>& item) -> std::size_t {
    if (auto* batch = std::get_if<event_batch>(&item)) return forward(*batch);
    auto batch = select_events(std::get<encoded_block_ptr>(item), self->state.settings.wanted);
    return batch ? forward(*batch) : 0;
  };
  // Hands over what is behind, a chunk per drain of the transport.
  auto catch_up = [=] {
    auto& s = self->state;
    while (!s.awaiting_drain && !s.behind.empty()) {
      s.bytes_since_drain += forward_behind(s.behind.front());
      s.behind.pop_front();
      if (s.bytes_since_drain >= s.settings.catch_up_chunk_bytes && !s.behind.empty()) {
        s.awaiting_drain = true;
        s.bytes_since_drain = 0;
        s.connection->notify_when_drained();
      }
    }
  };
  // Once a chunk read from the stream is all handed over, the dispatcher is
  // asked again from after its last block.
  auto resubscribe_when_handed_over = [=] {
    auto& s = self->state;
    if (!s.replaying || s.awaiting_drain || !s.behind.empty()) return;
    s.replaying = false;
    self->send(dispatcher, subscribe{caf::actor_cast<caf::actor>(self), s.settings.wanted});
  };
  // The blocks from `from` to `through` (the dispatcher's newest), from the stream history.
  auto read_from_stream = [=](std::uint64_t from, std::uint64_t through) {
    self->request(self->state.settings.history, history_read_timeout, replay_atom::value, from, through)
        .then(
            [=](stream_chunk& chunk) {
              auto& s = self->state;
              // A history that cannot go on from `from` no longer holds it; the
              // stream is this node's window then, and the close says so in
              // the words clients already act on.
              if (chunk.gone || chunk.through < from)
                return end_session(self, close_code::policy_violation,
                                   chunk.oldest_available.empty()
                                       ? std::string{"resume cursor left the window; no block is retained"}
                                       : "resume cursor left the window; oldest is " + chunk.oldest_available,
                                   close_cause::limits);
              s.settings.wanted.resume_after = chunk.through;
              s.replaying = true;
              s.behind.insert(s.behind.end(), chunk.blocks.begin(), chunk.blocks.end());
              catch_up();
              resubscribe_when_handed_over();
            },
            [=](const caf::error&) {
              end_session(self, close_code::internal_error, "the stream history did not answer",
                          close_cause::internal_error);
            });
  };
  // Every end of a session, normal or not, runs this.
  self->attach_functor([connection = state.connection](const caf::error& reason) {
    // A session that fails (an exception, a kill) still closes its client,
    // so the socket never outlives the actor silently.
    if (!reason) return; // a normal end closed the connection already
    if (reason == caf::exit_reason::user_shutdown)
      connection->close(close_code::going_away, "server shutting down", close_cause::shutdown);
    else
      connection->close(close_code::internal_error, "internal error: the session failed",
                        close_cause::internal_error);
  });
  self->send(dispatcher, subscribe{caf::actor_cast<caf::actor>(self), state.settings.wanted});
  // After the subscription is on its way: a block posted once the client has
  // its pong reaches the dispatcher after it.
  state.connection->subscribed();
  state.last_ping = self->clock().now();
  expect_ping_within(self, state.settings.keepalive_timeout);
  return {
      [=](const event_batch& batch) {
        auto& s = self->state;
        // A cursor the stream history resolved may be ahead of this node's
        // consumer: what the client has is not sent again.
        if (s.settings.wanted.resume_after && batch.block->sequence <= *s.settings.wanted.resume_after)
          return;
        if (s.behind.empty()) {
          forward(batch);
          return;
        }
        s.behind.push_back(batch);
        if (s.behind.size() > s.settings.max_blocks_behind)
          end_session(self, close_code::policy_violation,
                      "slow consumer: over " + std::to_string(s.settings.max_blocks_behind)
                          + " blocks behind while catching up",
                      close_cause::limits);
      },
      [=](backlog& missed) {
        auto& s = self->state;
        // Comes first, before any new block: nothing is behind yet.
        s.behind.insert(s.behind.end(), missed.blocks.begin(), missed.blocks.end());
        catch_up();
      },
      [=](transport_drained) {
        self->state.awaiting_drain = false;
        catch_up();
        resubscribe_when_handed_over();
      },
      [=](const cursor_expired& expired) {
        const auto& s = self->state;
        // Older than the window: the stream history may still hold what is missed.
        if (s.settings.history && s.settings.wanted.resume_after
            && *s.settings.wanted.resume_after < expired.last_sequence)
          return read_from_stream(*s.settings.wanted.resume_after + 1, expired.last_sequence);
        end_session(self, close_code::policy_violation,
                    // A close reason holds at most 123 bytes (RFC 6455 5.5).
                    expired.oldest_available.empty()
                        ? std::string{"resume cursor left the window; no block is retained"}
                        : "resume cursor left the window; oldest is " + expired.oldest_available,
                    close_cause::limits);
      },
      // The keep-alive timer's question, left unanswered on purpose.
      [=](keepalive_atom) -> caf::response_promise { return self->make_response_promise(); },
      [=](const upstream_gap&) {
        // This node is a relay and missed blocks; resuming tells the client
        // where the stream goes on (410 with oldest_available).
        end_session(self, close_code::internal_error,
                    "blocks were lost upstream; resume with ?since= to learn the gap",
                    close_cause::upstream_gap);
      },
      [=](const connection_closed&) { self->quit(); },
      [=](going_away) {
        end_session(self, close_code::going_away, "server shutting down", close_cause::shutdown);
      },
      // Without a dispatcher no block will ever come: end with it. It tells
      // its sessions as it ends (see dispatcher.cpp for why not a monitor).
      [=](dispatcher_ended ended) {
        if (ended.shutdown)
          end_session(self, close_code::going_away, "server shutting down", close_cause::shutdown);
        else
          end_session(self, close_code::internal_error, "internal error: the dispatcher stopped",
                      close_cause::internal_error);
      },
  };
}

} // namespace evstream
