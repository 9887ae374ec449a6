// The built-in demo block source: at a steady rate, offers the block source a
// freshly generated, realistic BigchainDB block, exactly as an ingest would.
//
//   accepts: demo_tick_atom (its own timer), ingest_result (replies)
//   sends:   (ingest_atom, std::string json) to the block source
#pragma once

#include "actors/demo_chain.hpp"

#include <caf/all.hpp>

namespace evstream {

struct demo_source_state {
  demo_chain chain{1};
  static inline const char* name = "demo_source";
};

struct demo_settings {
  double blocks_per_second = 1.0;
  std::size_t transactions_per_block = 10;
  std::uint64_t seed = 1;
};

caf::behavior demo_source(caf::stateful_actor<demo_source_state>* self, caf::actor block_source,
                          demo_settings settings);

} // namespace evstream
