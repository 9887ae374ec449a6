#include "actors/demo_source.hpp"

#include "actors/messages.hpp"

#include "actors/observability.hpp"
#include "ops/log.hpp"

namespace evstream {

caf::behavior demo_source(caf::stateful_actor<demo_source_state>* self, caf::actor block_source,
                          demo_settings settings) {
  self->state.chain = demo_chain{settings.seed};
  auto period = std::chrono::duration_cast<caf::timespan>(
      std::chrono::duration<double>(1.0 / settings.blocks_per_second));
  self->send(self, demo_tick_atom::value);
  return {
      [=](demo_tick_atom) {
        self->send(block_source, ingest_atom::value,
                   self->state.chain.next_block_json(settings.transactions_per_block));
        self->delayed_send(self, period, demo_tick_atom::value);
      },
      [=](const ingest_result& result) {
        // Generated blocks are valid and unique; anything else is a bug worth seeing.
        if (result.result != ingest_result::outcome::accepted)
          log_refused_block(result, {{"source", "demo"}});
      },
  };
}

} // namespace evstream
