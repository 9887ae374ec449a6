#include "actors/session.hpp"

#include <cstdio>

namespace evstream {

std::string describe_duration(caf::timespan duration) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(duration).count();
  char text[32];
  if (ms < 1000)
    std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(ms));
  else if (ms % 1000 == 0)
    std::snprintf(text, sizeof text, "%lld s", static_cast<long long>(ms / 1000));
  else
    std::snprintf(text, sizeof text, "%.3g s", static_cast<double>(ms) / 1000.0);
  return text;
}

caf::behavior session(caf::stateful_actor<session_state>* self, caf::actor dispatcher,
                      transport_ptr connection, caf::timespan keepalive_timeout) {
  self->state.connection = std::move(connection);
  auto arm_keepalive = [=] {
    self->delayed_send(self, keepalive_timeout, keepalive_deadline{++self->state.keepalive_generation});
  };
  auto close_and_quit = [=](close_code code, std::string reason) {
    self->state.connection->close(code, std::move(reason));
    self->quit();
  };
  // A session that fails (an exception, a kill) still closes its client, so
  // the socket never outlives the actor silently.
  self->attach_functor([connection = self->state.connection](const caf::error& reason) {
    if (!reason) return; // a normal end closed the connection already
    if (reason == caf::exit_reason::user_shutdown)
      connection->close(close_code::going_away, "server shutting down");
    else
      connection->close(close_code::internal_error, "internal error: the session failed");
  });
  // Without a dispatcher no block will ever come: end with it.
  self->monitor(dispatcher);
  self->set_down_handler([=](caf::down_msg& down) {
    if (down.reason == caf::exit_reason::user_shutdown)
      close_and_quit(close_code::going_away, "server shutting down");
    else
      close_and_quit(close_code::internal_error, "internal error: the dispatcher stopped");
  });
  self->send(dispatcher, subscribe{caf::actor_cast<caf::actor>(self)});
  arm_keepalive();
  return {
      [=](const encoded_block_ptr& block) { self->state.connection->send_events(block); },
      [=](client_ping ping) {
        if (ping.wants_text_pong) self->state.connection->send_text("pong");
        arm_keepalive();
      },
      [=](keepalive_deadline deadline) {
        if (deadline.generation != self->state.keepalive_generation)
          return; // a ping came after this timer was set
        close_and_quit(close_code::policy_violation, "no ping for " + describe_duration(keepalive_timeout));
      },
      [=](const connection_closed&) { self->quit(); },
      [=](going_away) { close_and_quit(close_code::going_away, "server shutting down"); },
  };
}

} // namespace evstream
