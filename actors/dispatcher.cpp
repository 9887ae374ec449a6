#include "actors/dispatcher.hpp"

#include <iostream>

namespace evstream {

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self) {
  self->set_down_handler([=](caf::down_msg& down) { self->state.sessions.erase(down.source.id()); });
  return {
      [=](subscribe& request) {
        if (self->state.going_away) return self->send(request.session, going_away{});
        self->monitor(request.session);
        self->state.sessions.emplace(request.session.id(), std::move(request.session));
      },
      [=](const encoded_block_ptr& block) {
        if (block->sequence <= self->state.last_sequence) {
          // Order is structural; a regression here is a bug upstream, and
          // forwarding the block would break every subscriber's order.
          std::cerr << "dispatcher: dropped block " << block->blockid << " with sequence " << block->sequence
                    << " after " << self->state.last_sequence << "\n";
          return;
        }
        self->state.last_sequence = block->sequence;
        // One message shared by all sessions: its payload is copy-on-write.
        auto message = caf::make_message(block);
        for (auto& entry : self->state.sessions)
          self->send(entry.second, message);
      },
      [=](going_away) {
        self->state.going_away = true;
        for (auto& entry : self->state.sessions)
          self->send(entry.second, going_away{});
      },
      [=](caf::get_atom, subscribers_atom) { return self->state.sessions.size(); },
  };
}

} // namespace evstream
