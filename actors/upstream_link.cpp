#include "actors/upstream_link.hpp"

#include "actors/client_limits.hpp"
#include "ops/log.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>

#include <algorithm>

namespace evstream {

namespace {

using link_actor = caf::stateful_actor<upstream_link_state>*;

void connect(link_actor self);

void forget_upstream(link_actor self) {
  auto& s = self->state;
  if (s.feed) self->demonitor(s.feed);
  if (s.link) self->demonitor(s.link);
  s.feed = nullptr;
  s.link = nullptr;
}

// The attempt or the link failed: try again later, waiting longer each time
// until a link is up again.
void retry_later(link_actor self, const std::string& why) {
  auto& s = self->state;
  if (s.link) {
    ++s.links_lost;
    s.metrics->relay_upstream_connected.set(0);
  }
  forget_upstream(self);
  auto attempt = ++s.attempt;
  ops::log_relay_link(false, s.settings.upstream.text(),
                      why + "; retrying in " + describe_duration(s.next_retry));
  self->delayed_send(self, s.next_retry, retry_due{attempt});
  s.next_retry = std::min(s.next_retry * 2, s.settings.max_retry);
}

void follow(link_actor self, caf::actor feed) {
  auto& s = self->state;
  s.feed = std::move(feed);
  self->monitor(s.feed);
  self->send(s.feed,
             follow_request{relay_protocol_version, caf::actor_cast<caf::actor>(self), s.after_blockid});
  self->delayed_send(self, s.settings.answer_timeout, follow_deadline{s.attempt});
}

void connect(link_actor self) {
  auto& s = self->state;
  auto attempt = s.attempt;
  auto& system = self->home_system();
  auto middleman =
      s.settings.over_tls ? system.openssl_manager().actor_handle() : system.middleman().actor_handle();
  self->request(middleman, s.settings.answer_timeout, caf::connect_atom::value, s.settings.upstream.host,
                s.settings.upstream.port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& feed, const std::set<std::string>&) {
            if (attempt != self->state.attempt) return;
            if (!feed) return retry_later(self, "nothing is published on that port");
            follow(self, caf::actor_cast<caf::actor>(std::move(feed)));
          },
          [=](caf::error& error) {
            if (attempt != self->state.attempt) return;
            // Under TLS, a certificate either side refuses ends the handshake so.
            if (self->state.settings.over_tls && error == caf::sec::disconnect_during_handshake)
              return retry_later(self, "TLS handshake refused: the upstream's certificate does not chain to "
                                       "--relay-ca, or it does not accept ours");
            retry_later(self, "cannot connect: " + self->system().render(error));
          });
}

// Only the current link's messages count: a late one from a link that was
// lost would repeat or reorder blocks.
bool from_current_link(link_actor self) {
  auto& s = self->state;
  return s.link && self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(s.link);
}

} // namespace

caf::behavior upstream_link(link_actor self, caf::actor block_source, upstream_link_settings settings,
                            ops::metrics_ptr metrics) {
  auto& s = self->state;
  s.metrics = std::move(metrics);
  s.block_source = std::move(block_source);
  s.after_blockid = settings.after_blockid;
  s.next_retry = settings.first_retry;
  s.settings = std::move(settings);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& state = self->state;
    bool current = (state.feed && down.source == state.feed.address())
                   || (state.link && down.source == state.link.address());
    if (!current) return;
    retry_later(self, "link lost (" + self->system().render(down.reason) + ")");
  });
  connect(self);
  return {
      [=](following_atom, std::uint32_t) {
        auto& state = self->state;
        if (!state.feed || state.link) return; // not asked for, or a repeat
        state.link = caf::actor_cast<caf::actor>(self->current_sender());
        self->monitor(state.link);
        state.metrics->relay_upstream_connected.set(1);
        state.next_retry = state.settings.first_retry;
        ops::log_relay_link(true, state.settings.upstream.text(),
                            "following after "
                                + (state.after_blockid.empty() ? std::string{"its oldest retained block"}
                                                               : state.after_blockid));
      },
      [=](block& next) {
        if (!from_current_link(self)) return;
        auto& state = self->state;
        state.after_blockid = next.id;
        // Acknowledged once the block source took it: the upstream sends no
        // faster than this node ingests.
        self->request(state.block_source, caf::infinite, std::move(next))
            .then([=, link = state.link] { self->send(link, relay_ack_atom::value); },
                  [=](caf::error&) { self->quit(); });
      },
      [=](window_sent_atom) {
        auto& state = self->state;
        if (!from_current_link(self) || state.caught_up) return;
        state.caught_up = true;
        ops::log(ops::log_level::info, "relay_caught_up", {{"upstream", state.settings.upstream.text()}});
        // Through the block source, so the dispatcher learns it behind the blocks.
        self->send(state.block_source, window_sent_atom::value);
      },
      [=](upstream_gap& gap) {
        if (!from_current_link(self)) return;
        ops::log(ops::log_level::warn, "upstream_gap",
                 {{"upstream", self->state.settings.upstream.text()},
                  {"after", gap.after_blockid},
                  {"going_on_from", gap.oldest_available}});
        // Through the block source, so it stays in order with the blocks.
        self->send(self->state.block_source, std::move(gap));
      },
      [=](const follow_refused& refused) { retry_later(self, "refused: " + refused.reason); },
      [=](retry_due due) {
        if (due.attempt != self->state.attempt) return;
        self->state.metrics->relay_reconnects.increment();
        connect(self);
      },
      [=](follow_deadline deadline) {
        auto& state = self->state;
        if (deadline.attempt == state.attempt && !state.link)
          retry_later(self, "no answer to the follow request");
      },
      [=](caf::get_atom, upstream_atom) {
        auto& state = self->state;
        return upstream_status{static_cast<bool>(state.link), state.caught_up, state.settings.upstream.text(),
                               state.links_lost};
      },
  };
}

} // namespace evstream
