#include "net/node_follower.hpp"

#include "ops/log.hpp"
#include "schema/bigchaindb_node.hpp"

namespace evstream::net {
namespace {

using self_ptr = caf::stateful_actor<node_follower_state>*;

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
// The block source answers once the block is durable (a journal's fsync).
constexpr auto source_timeout = std::chrono::seconds(30);

// GETs `target` from `where`; the answer comes back to the actor as a message.
void ask(self_ptr self, const http_target& where, std::string target, node_answer::from source) {
  auto height = self->state.next_height;
  http_get(*self->state.settings.io, {where.host, where.port, std::move(target)},
           self->state.settings.request_timeout,
           [self_handle = caf::actor_cast<caf::actor>(self), source, height](http_answer answer) {
             caf::anon_send(self_handle, node_answer{source, height, std::move(answer)});
           });
}

void ask_node(self_ptr self) {
  ask(self, self->state.settings.node, "/api/v1/blocks/" + std::to_string(self->state.next_height),
      node_answer::from::node);
}

// The node or Tendermint did not answer as it should: ask the same height
// again after a backoff, and say so (once per episode, then every 10 s).
void retry_later(self_ptr self, std::string_view event, std::string why) {
  auto& state = self->state;
  state.reachable = false;
  state.backoff = std::min(max_backoff,
                           state.backoff == std::chrono::milliseconds{0} ? first_backoff : state.backoff * 2);
  ops::log_repeatable(ops::log_level::warn, event, state.settings.node_url,
                      {{"node", state.settings.node_url},
                       {"tendermint", state.settings.tendermint_url},
                       {"height", state.next_height},
                       {"error", std::move(why)},
                       {"retry_in_ms", state.backoff.count()}});
  self->delayed_send(self, state.backoff, follow_poll_atom::value);
}

void answered(self_ptr self) {
  auto& state = self->state;
  if (!state.reachable && state.backoff.count() > 0)
    ops::log(ops::log_level::info, "bigchaindb_reachable",
             {{"node", state.settings.node_url}, {"height", state.next_height}});
  state.reachable = true;
  state.backoff = std::chrono::milliseconds{0};
}

void on_node_block(self_ptr self, http_answer& answer) {
  auto& state = self->state;
  if (!answer.failure.empty()) return retry_later(self, "bigchaindb_unreachable", std::move(answer.failure));
  if (answer.status == 404) {
    // Not there yet: the chain's next block.
    answered(self);
    self->delayed_send(self, state.settings.poll_interval, follow_poll_atom::value);
    return;
  }
  if (answer.status != 200)
    return retry_later(self, "bigchaindb_unreachable", "the node answered " + std::to_string(answer.status));
  state.node_block = std::move(answer.body);
  ask(self, state.settings.tendermint, "/block?height=" + std::to_string(state.next_height),
      node_answer::from::tendermint);
}

void on_tendermint_block(self_ptr self, http_answer& answer) {
  auto& state = self->state;
  if (!answer.failure.empty()) return retry_later(self, "tendermint_unreachable", std::move(answer.failure));
  if (answer.status != 200)
    return retry_later(self, "tendermint_unreachable",
                       "Tendermint answered " + std::to_string(answer.status));
  auto tendermint = schema::tendermint_block_at(answer.body, state.next_height);
  if (!tendermint) return retry_later(self, "tendermint_unreachable", tendermint.error().message);
  auto block = schema::bigchaindb_block_at(state.node_block, state.next_height, *tendermint);
  state.node_block.clear();
  if (!block)
    // Never skipped: the follower waits on this height, loudly, until the
    // node answers a block evstream can stream.
    return retry_later(self, "bigchaindb_block_refused", block.error().message + " at " + block.error().path);
  auto height = state.next_height;
  self->request(state.block_source, source_timeout, followed_block{std::move(*block), height})
      .then(
          [self, height](const ingest_result& result) {
            using outcome = ingest_result::outcome;
            if (result.result == outcome::invalid)
              return retry_later(self, "bigchaindb_block_refused",
                                 result.error.message + " at " + result.error.path);
            if (result.result == outcome::unavailable)
              return retry_later(self, "bigchaindb_block_not_kept", result.error.message);
            // Accepted, or already streamed (a repeat): on to the next height.
            answered(self);
            self->state.next_height = height + 1;
            self->send(self, follow_poll_atom::value);
          },
          [self](caf::error& error) {
            retry_later(self, "bigchaindb_block_not_kept", self->system().render(error));
          });
}

} // namespace

caf::behavior node_follower(caf::stateful_actor<node_follower_state>* self, caf::actor block_source,
                            node_follower_settings settings) {
  auto& state = self->state;
  state.block_source = std::move(block_source);
  state.next_height = settings.first_height;
  state.settings = std::move(settings);
  self->send(self, follow_poll_atom::value);
  return {
      [=](follow_poll_atom) { ask_node(self); },
      [=](node_answer& reply) {
        // Only the height being asked for is ever pending.
        if (reply.height != self->state.next_height) return;
        if (reply.source == node_answer::from::node)
          on_node_block(self, reply.answer);
        else
          on_tendermint_block(self, reply.answer);
      },
      [=](caf::get_atom, follower_atom) {
        return follower_status{self->state.reachable, self->state.settings.node_url, self->state.next_height};
      },
  };
}

} // namespace evstream::net
